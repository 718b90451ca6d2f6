/* Firmware for the gdb session test: a function to break in, a local to print, a global
 * the debugger changes. Built with -g -Og. */
#include <stdio.h>

#include "ppu/ppu.h"

volatile int poke = 0; /* the debugger sets this to 42 */

__attribute__((noinline)) int accumulate(int n) {
  int total = 0;
  for (int i = 1; i <= n; ++i) total += i * i;
  return total;
}

int main(void) {
  const int sum = accumulate(10);
  printf("sum %d poke %d\n", sum, poke);
  return poke == 42 ? 0 : 3;
}
