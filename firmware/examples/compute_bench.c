/* A compute-bound benchmark in the spirit of CoreMark: linked-list manipulation, a small
 * integer matrix kernel, a state machine over a byte string, all folded into a CRC-16.
 * No chip access, no sleeping: it measures raw instruction throughput of the emulator.
 * ITERATIONS is set at build time. The checksums below were computed by compiling this same
 * source natively on the host (x86-64, GCC): a run that reproduces them executed every
 * instruction right. */
#include <stdint.h>
#include <stdio.h>

#include "ppu/ppu.h"

#ifndef ITERATIONS
#define ITERATIONS 2000
#endif

#if ITERATIONS == 20
#define EXPECTED_CRC 0x85e4u
#elif ITERATIONS == 2000
#define EXPECTED_CRC 0x2ca2u
#endif

#define LIST_NODES 64
#define MAT_N 12

static uint16_t crc16(uint16_t crc, uint32_t data) {
  for (int i = 0; i < 32; ++i) {
    const uint16_t bit = (uint16_t)((crc ^ data) & 1u);
    crc >>= 1;
    data >>= 1;
    if (bit) crc ^= 0xA001u;
  }
  return crc;
}

struct node {
  struct node* next;
  int32_t value;
  uint16_t index;
};

static struct node nodes[LIST_NODES];

static struct node* list_build(uint32_t seed) {
  struct node* head = 0;
  for (int i = 0; i < LIST_NODES; ++i) {
    seed = seed * 1103515245u + 12345u;
    nodes[i].value = (int32_t)(seed >> 8) - (1 << 22);
    nodes[i].index = (uint16_t)i;
    nodes[i].next = head;
    head = &nodes[i];
  }
  return head;
}

static struct node* list_reverse(struct node* head) {
  struct node* prev = 0;
  while (head) {
    struct node* next = head->next;
    head->next = prev;
    prev = head;
    head = next;
  }
  return prev;
}

/* Insertion sort by value (stable), then a search. */
static struct node* list_sort(struct node* head) {
  struct node* sorted = 0;
  while (head) {
    struct node* n = head;
    head = head->next;
    struct node** p = &sorted;
    while (*p && (*p)->value <= n->value) p = &(*p)->next;
    n->next = *p;
    *p = n;
  }
  return sorted;
}

static uint16_t list_work(uint32_t seed, uint16_t crc) {
  struct node* l = list_build(seed);
  l = list_reverse(l);
  l = list_sort(l);
  int32_t prev = INT32_MIN;
  for (struct node* n = l; n; n = n->next) {
    if (n->value < prev) crc ^= 0xFFFFu; /* never: sorted */
    prev = n->value;
    crc = crc16(crc, (uint32_t)n->value ^ n->index);
  }
  return crc;
}

static int32_t A[MAT_N][MAT_N], B[MAT_N][MAT_N], C[MAT_N][MAT_N];

static uint16_t matrix_work(uint32_t seed, uint16_t crc) {
  for (int i = 0; i < MAT_N; ++i)
    for (int j = 0; j < MAT_N; ++j) {
      seed = seed * 1664525u + 1013904223u;
      A[i][j] = (int32_t)(seed >> 20) - 2048;
      B[i][j] = (int32_t)((seed >> 4) & 0xFFF) - 2048;
    }
  for (int i = 0; i < MAT_N; ++i)
    for (int j = 0; j < MAT_N; ++j) {
      int32_t acc = 0;
      for (int k = 0; k < MAT_N; ++k) acc += A[i][k] * B[k][j];
      C[i][j] = acc;
    }
  int32_t sum = 0;
  for (int i = 0; i < MAT_N; ++i)
    for (int j = 0; j < MAT_N; ++j) sum += (C[i][j] >> 3) / (j + 1) + (C[i][j] % 7);
  return crc16(crc, (uint32_t)sum);
}

/* A small number parser: counts integers, decimals and invalid tokens. */
static uint16_t state_work(uint32_t seed, uint16_t crc) {
  static char text[96];
  static const char alphabet[] = "0123456789.,+- e";
  for (unsigned i = 0; i < sizeof text - 1; ++i) {
    seed = seed * 22695477u + 1u;
    text[i] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
  }
  text[sizeof text - 1] = 0;
  enum { START, INT, FRAC, BAD } s = START;
  uint32_t ints = 0, decs = 0, bad = 0;
  for (const char* p = text;; ++p) {
    const char c = *p;
    const int sep = c == ' ' || c == ',' || c == 0;
    if (sep) {
      if (s == INT)
        ++ints;
      else if (s == FRAC)
        ++decs;
      else if (s == BAD)
        ++bad;
      s = START;
      if (!c) break;
      continue;
    }
    const int digit = c >= '0' && c <= '9';
    switch (s) {
      case START:
        s = (digit || c == '+' || c == '-') ? INT : (c == '.' ? FRAC : BAD);
        break;
      case INT:
        s = digit ? INT : (c == '.' ? FRAC : BAD);
        break;
      case FRAC:
        s = digit ? FRAC : BAD;
        break;
      default:
        break;
    }
  }
  return crc16(crc16(crc16(crc, ints), decs), bad);
}

static uint16_t run(uint32_t iterations) {
  uint16_t crc = 0;
  for (uint32_t it = 0; it < iterations; ++it) {
    crc = list_work(it * 7u + 1u, crc);
    crc = matrix_work(it * 13u + 5u, crc);
    crc = state_work(it * 17u + 3u, crc);
  }
  return crc;
}

int main(void) {
  const uint64_t c0 = ppu_cycles();
  uint64_t i0;
  __asm__ volatile("rdinstret %0" : "=r"(i0));
  const uint16_t crc = run(ITERATIONS);
  uint64_t i1;
  __asm__ volatile("rdinstret %0" : "=r"(i1));
  const uint64_t c1 = ppu_cycles();
  printf("compute_bench: %u iterations, crc 0x%04x, %lu instructions, %lu cycles\n",
         (unsigned)ITERATIONS, crc, (unsigned long)(uint32_t)(i1 - i0),
         (unsigned long)(uint32_t)(c1 - c0));
#ifdef EXPECTED_CRC
  return crc == EXPECTED_CRC ? 0 : 3;
#else
  return 0;
#endif
}
