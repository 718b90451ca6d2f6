/* Chip access: copies synapse row 0's weights into row 1 and labels likewise, then checks.
 * Needs the chip (the lead runs it in `salvo run`); under ppu-run the chip window is unbound
 * and the first access faults. */
#include <stdio.h>
#include <string.h>

#include "ppu/ppu.h"

#define COLUMNS 256

static uint8_t row0[COLUMNS] __attribute__((aligned(4)));
static uint8_t check[COLUMNS] __attribute__((aligned(4)));

int main(void) {
  ppu_weights_get_row(0, row0, COLUMNS);
  ppu_weights_set_row(1, row0, COLUMNS);
  ppu_weights_get_row(1, check, COLUMNS);
  if (memcmp(row0, check, COLUMNS) != 0) {
    printf("weight copy mismatch\n");
    return 1;
  }
  ppu_labels_get_row(0, row0, COLUMNS);
  ppu_labels_set_row(1, row0, COLUMNS);
  ppu_mailbox_write(0, 1u); /* tell the host we are done */
  ppu_mailbox_ring();
  printf("copied row 0 to row 1\n");
  return 0;
}
