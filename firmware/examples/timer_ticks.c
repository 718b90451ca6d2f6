/* A timer-driven periodic task: prints N ticks, one every 10 us of processor time, then ends.
 * The processor sleeps in WFI between ticks; the timer interrupt wakes it. */
#include <stdio.h>

#include "ppu/ppu.h"

#define TICKS 5
#define PERIOD_US 10

static unsigned ticks;
static uint64_t start_us;

static void tick(void* arg) {
  (void)arg;
  ++ticks;
  printf("tick %u at %u us\n", ticks, (unsigned)(ppu_time_us() - start_us));
  if (ticks == TICKS) ppu_scheduler_stop();
}

int main(void) {
  start_us = ppu_time_us();
  if (ppu_task_every_us(PERIOD_US, tick, 0) < 0) return 2;
  const uint32_t overruns = ppu_scheduler_run();
  const uint64_t elapsed = ppu_time_us() - start_us;
  printf("%u ticks in %u us, %u overruns, asleep %u%% of the time\n", ticks, (unsigned)elapsed,
         (unsigned)overruns, (unsigned)(100u * ppu_sleep_cycles() / ppu_cycles()));
  /* Pass only if every tick came and the period held. */
  return (ticks == TICKS && elapsed >= TICKS * PERIOD_US && elapsed < (TICKS + 2) * PERIOD_US) ? 0
                                                                                               : 1;
}
