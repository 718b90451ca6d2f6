/* libppu on the processor itself: platform registers, counters, the timer and the task
 * scheduler, the random number generator. Runs under ctest as firmware.libppu. */
#include <ppu/ppu.h>
#include <ppu/test.h>

PPU_TEST(platform_registers_describe_the_linked_processor) {
  PPU_ASSERT_EQ(ppu_memory_size(), 16u * 1024u); /* ppu-run gives what the ELF was linked for */
  PPU_ASSERT_EQ(ppu_clock_hz(), 250000000u);
  PPU_ASSERT_EQ(ppu_id(), 0u);
}

PPU_TEST(cycle_counter_counts_busy_cycles) {
  const uint64_t c0 = ppu_cycles();
  volatile unsigned i;
  for (i = 0; i < 100; ++i) {
  }
  const uint64_t used = ppu_cycles() - c0;
  PPU_ASSERT_GE(used, 100u * 3u); /* at least the loop's taken branches */
  PPU_ASSERT_LT(used, 100u * 20u);
}

PPU_TEST(delay_sleeps_for_the_time_asked) {
  const uint64_t t0 = ppu_time_us();
  ppu_delay_us(50);
  const uint64_t dt = ppu_time_us() - t0;
  PPU_ASSERT_GE(dt, 50u);
  PPU_ASSERT_LE(dt, 55u); /* plus the two time reads (64-bit divisions in software, ~1 us) */
}

static unsigned ticks;
static uint64_t tick_us[4];

static void tick(void* arg) {
  (void)arg;
  tick_us[ticks++] = ppu_time_us();
  if (ticks == 4) ppu_scheduler_stop();
}

PPU_TEST(scheduler_keeps_the_period) {
  PPU_ASSERT_GE(ppu_task_every_us(20, tick, 0), 0);
  PPU_ASSERT_EQ(ppu_scheduler_run(), 0u); /* no overruns */
  PPU_ASSERT_EQ(ticks, 4u);
  for (unsigned k = 1; k < 4; ++k) { /* the timer keeps the period; reads truncate to us */
    PPU_ASSERT_GE(tick_us[k] - tick_us[k - 1], 19u);
    PPU_ASSERT_LE(tick_us[k] - tick_us[k - 1], 21u);
  }
}

PPU_TEST(random_below_is_in_range_and_roughly_uniform) {
  unsigned counts[7] = {0};
  for (unsigned i = 0; i < 7000; ++i) {
    const uint32_t r = ppu_random_below(7);
    PPU_ASSERT_LT(r, 7u);
    counts[r]++;
  }
  /* 1000 expected per value, sigma ~31: 6 sigma either way. */
  for (unsigned v = 0; v < 7; ++v) {
    PPU_ASSERT_GT(counts[v], 810u);
    PPU_ASSERT_LT(counts[v], 1190u);
  }
}

int main(void) {
  PPU_RUN(platform_registers_describe_the_linked_processor);
  PPU_RUN(cycle_counter_counts_busy_cycles);
  PPU_RUN(delay_sleeps_for_the_time_asked);
  PPU_RUN(scheduler_keeps_the_period);
  PPU_RUN(random_below_is_in_range_and_roughly_uniform);
  return ppu_test_summary();
}
