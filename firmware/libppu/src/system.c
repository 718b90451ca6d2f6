/* Program end (HTIF tohost), console through picolibc's stdio, the trap dispatcher. */
#include <stdio.h>

#include "ppu/ppu.h"

/* Spike's host-target interface words; the emulator watches stores to tohost. */
volatile uint64_t tohost __attribute__((section(".tohost"), aligned(8)));
volatile uint64_t fromhost __attribute__((section(".tohost"), aligned(8)));

void ppu_exit(int code) {
  volatile uint32_t* w = (volatile uint32_t*)&tohost;
  w[1] = 0; /* high word first: the store to the low word is the one that ends the run */
  w[0] = ((uint32_t)code << 1) | 1u;
  for (;;) ppu_wfi();
}

void _exit(int code) { ppu_exit(code); }

void ppu_putc(char c) { PPU_REG32(PPU_CONSOLE_TX) = (uint8_t)c; }

void ppu_puts(const char* s) {
  while (*s) ppu_putc(*s++);
}

static int console_put(char c, FILE* f) {
  (void)f;
  ppu_putc(c);
  return (unsigned char)c;
}

static FILE console = FDEV_SETUP_STREAM(console_put, NULL, NULL, _FDEV_SETUP_WRITE);
FILE* const stdin = &console;
FILE* const stdout = &console;
FILE* const stderr = &console;

/* ---- traps ---------------------------------------------------------------------------- */

void ppu_timer_interrupt(void);   /* timer.c */
void ppu_mailbox_interrupt(void); /* timer.c */

void ppu_trap_handler(uint32_t mcause, uint32_t mepc, uint32_t mtval) {
  (void)mepc;
  (void)mtval;
  if (mcause == 0x80000007u) {
    ppu_timer_interrupt();
    return;
  }
  if (mcause == 0x8000000Bu) {
    ppu_mailbox_interrupt();
    return;
  }
  /* An exception (or an unexpected interrupt) the firmware does not handle: hand it to the
   * emulator, which reports cause, pc, instruction and registers. With mtvec = 0 the
   * faulting instruction traps again when mret re-executes it, and the processor halts. */
  __asm__ volatile("csrw mtvec, zero" ::: "memory");
}
