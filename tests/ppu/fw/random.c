/* Prints a few numbers from the hardware random number generator. */
#include <stdio.h>

#include "ppu/ppu.h"

int main(void) {
  for (int i = 0; i < 4; ++i) printf("%08lx\n", (unsigned long)ppu_random());
  printf("below 10: %lu\n", (unsigned long)ppu_random_below(10));
  return 0;
}
