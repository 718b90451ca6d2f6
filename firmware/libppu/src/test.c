/* Firmware unit tests: assertion reports through the console and HTIF tohost (ppu/test.h).
 * No printf: a failing test should not need picolibc's stdio, and 64-bit values are printed
 * without libgcc's 64-bit division. */
#include "ppu/test.h"

#include "ppu/ppu.h"

static const char* current_test = "?";
static unsigned tests_passed;

static void put_u32(uint32_t v) {
  char buf[11];
  int i = 10;
  buf[i] = 0;
  do {
    buf[--i] = (char)('0' + v % 10u);
    v /= 10u;
  } while (v);
  ppu_puts(buf + i);
}

static void put_value(long long v) {
  if (v >= -2147483647LL && v <= 2147483647LL) {
    if (v < 0) {
      ppu_putc('-');
      v = -v;
    }
    put_u32((uint32_t)v);
    return;
  }
  /* Outside 32 bits: hexadecimal (two's complement). */
  {
    unsigned long long u = (unsigned long long)v;
    int shift;
    ppu_puts("0x");
    for (shift = 60; shift >= 0; shift -= 4) ppu_putc("0123456789abcdef"[(u >> shift) & 15u]);
  }
}

static void fail_head(const char* file, int line, const char* expr) {
  ppu_puts("FAIL ");
  ppu_puts(current_test);
  ppu_puts(": ");
  ppu_puts(file);
  ppu_putc(':');
  put_u32((uint32_t)line);
  ppu_puts(": ");
  ppu_puts(expr);
}

void ppu_test_fail(const char* file, int line, const char* expr, const char* values) {
  fail_head(file, line, expr);
  if (values && *values) {
    ppu_puts(" (");
    ppu_puts(values);
    ppu_putc(')');
  }
  ppu_putc('\n');
  ppu_exit(line > 0 ? line : 1);
}

void ppu_test_fail_int(const char* file, int line, const char* expr, long long lhs, long long rhs) {
  fail_head(file, line, expr);
  ppu_puts(" (");
  put_value(lhs);
  ppu_puts(" vs ");
  put_value(rhs);
  ppu_puts(")\n");
  ppu_exit(line > 0 ? line : 1);
}

void ppu_test_begin(const char* name) { current_test = name; }

void ppu_test_end(void) {
  ppu_puts("ok   ");
  ppu_puts(current_test);
  ppu_putc('\n');
  ++tests_passed;
  current_test = "?";
}

int ppu_test_summary(void) {
  put_u32(tests_passed);
  ppu_puts(tests_passed == 1 ? " test passed\n" : " tests passed\n");
  return 0;
}
