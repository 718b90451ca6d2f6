/* A program whose profile is known in advance (tests/test_ppu_profile.cpp): work_a runs 5 times
 * 1000 iterations, work_b 2 times 7500, each iteration two instructions (addi, bnez). With the
 * default cycle model n iterations cost n addi (1) + n-1 taken branches (3) + one not taken
 * (1) = 4n - 2 cycles, plus the return (3): 4001 cycles per call of work_a, 30 001 per call of
 * work_b. With
 * `use_chip` set by the host (a chip bound), read_cadc reads a CADC result and read_weight a
 * synapse weight once each, so their stalls show under the CADC and the chip window. */
#include <ppu/chip_regs.h>

volatile unsigned use_chip __attribute__((section(".data")));
volatile unsigned sink;

__attribute__((noinline)) void work_a(unsigned n) {
  __asm__ volatile("1: addi %0, %0, -1\n bnez %0, 1b\n" : "+r"(n));
}

__attribute__((noinline)) void work_b(unsigned n) {
  __asm__ volatile("1: addi %0, %0, -1\n bnez %0, 1b\n" : "+r"(n));
}

__attribute__((noinline)) void read_cadc(void) { sink = PPU_CHIP8(PPU_CHIP_CADC_CAUSAL); }

__attribute__((noinline)) void read_weight(void) { sink = PPU_CHIP8(PPU_CHIP_WEIGHTS + 4); }

int main(void) {
  int i;
  for (i = 0; i < 5; ++i) work_a(1000);
  for (i = 0; i < 2; ++i) work_b(7500);
  if (use_chip) {
    read_cadc();
    read_weight();
  }
  return 0;
}
