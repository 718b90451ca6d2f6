/* WFI with no interrupt enabled: nothing can ever wake the processor. */
#include "ppu/ppu.h"

int main(void) {
  for (;;) ppu_wfi();
}
