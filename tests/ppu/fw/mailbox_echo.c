/* Sleeps until the host rings the mailbox, answers word 0 + 1 and rings back. */
#include "ppu/ppu.h"

static volatile int rung;

static void on_mailbox(void) { rung = 1; }

int main(void) {
  ppu_set_mailbox_handler(on_mailbox);
  /* Interrupts off between the check and WFI, so the ring cannot slip in between; WFI still
   * wakes on the pending interrupt and the handler runs once they are on again. */
  while (!rung) {
    ppu_wfi();
    ppu_irq_enable();
    ppu_irq_disable();
  }
  ppu_irq_enable();
  ppu_mailbox_write(0, ppu_mailbox_read(0) + 1u);
  ppu_mailbox_ring();
  return 0;
}
