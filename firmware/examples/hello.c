/* The smallest libppu program: prints through the console device and passes. */
#include <stdio.h>

#include "ppu/ppu.h"

int main(void) {
  printf("hello from the plasticity processor %u (%u KiB SRAM, %u MHz)\n", (unsigned)ppu_id(),
         (unsigned)(ppu_memory_size() / 1024u), (unsigned)(ppu_clock_hz() / 1000000u));
  return 0;
}
