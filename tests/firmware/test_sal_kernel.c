/* The SAL kernel (firmware/sal/sal_kernel.h) on the processor, against values worked out by
 * hand from its definition. Runs under ctest as firmware.sal_kernel. */
#include <ppu/ppu.h>
#include <ppu/test.h>

#include "sal_kernel.h"

PPU_TEST(stochastic_rounding_picks_floor_or_ceiling_by_the_fraction) {
  const int32_t v = (2 << SAL_Q) | 0x4000; /* 2.25 */
  PPU_ASSERT_EQ(sal_round_stochastic(v, 0x3FFF0000u), 3);
  PPU_ASSERT_EQ(sal_round_stochastic(v, 0x40000000u), 2);
  PPU_ASSERT_EQ(sal_round_stochastic(5 << SAL_Q, 0u), 5); /* whole numbers never round up */
}

PPU_TEST(stochastic_rounding_is_unbiased) {
  const int32_t v = (2 << SAL_Q) | 0x4000; /* 2.25 */
  uint32_t s = 2463534242u, sum = 0;
  for (int i = 0; i < 10000; ++i) sum += (uint32_t)sal_round_stochastic(v, sal_xorshift32(&s));
  PPU_ASSERT_GT(sum, 22300u); /* 22 500 expected, sigma 43 */
  PPU_ASSERT_LT(sum, 22700u);
}

PPU_TEST(shadow_storage_round_trips) {
  for (int32_t w = -63 * 256; w <= 63 * 256; w += 37)
    PPU_ASSERT_EQ(sal_shadow_store(sal_shadow_load((int16_t)w)), w);
  PPU_ASSERT_EQ(sal_shadow_store(SAL_ONE + 127), 256); /* rounds to nearest Q8 */
  PPU_ASSERT_EQ(sal_shadow_store(SAL_ONE + 128), 257);
}

PPU_TEST(signals_are_baseline_minus_code) {
  const uint8_t causal[1] = {100}, acausal[1] = {120};
  const uint16_t base[1] = {128 << SAL_BASE_Q};
  int32_t d[1] = {0}, s[1] = {0};
  sal_add_signals(1, causal, acausal, base, base, d, s);
  PPU_ASSERT_EQ(d[0], (8 - 28) * 256); /* a - c */
  PPU_ASSERT_EQ(s[0], (8 + 28) * 256); /* a + c */
}

PPU_TEST(update_moves_clips_and_splits_the_shadow_weight) {
  sal_params_t p = {0};
  int32_t d[3] = {256, 5 * 256, -4 * 256}, s[3] = {0, 0, 0};
  int32_t shadow[3] = {10 << SAL_Q, 62 << SAL_Q, 1 << SAL_Q};
  uint8_t exc[3], inh[3];
  const uint32_t random[6] = {0, 0, 0, 0, 0, 0};
  p.eta_sal_q16 = SAL_ONE; /* one code per LSB of (a - c) */
  p.w_max = 63;
  p.signed_pairs = 1;
  sal_update_row(&p, 3, d, s, 0, shadow, exc, inh, random);
  PPU_ASSERT_EQ(shadow[0], 11 << SAL_Q);
  PPU_ASSERT_EQ(shadow[1], 63 << SAL_Q); /* clipped at w_max */
  PPU_ASSERT_EQ(shadow[2], -(3 << SAL_Q));
  PPU_ASSERT_EQ(exc[0], 11);
  PPU_ASSERT_EQ(inh[0], 0);
  PPU_ASSERT_EQ(exc[1], 63);
  PPU_ASSERT_EQ(exc[2], 0); /* negative weights go to the inhibitory row */
  PPU_ASSERT_EQ(inh[2], 3);
}

PPU_TEST(common_mode_removal_subtracts_the_row_mean) {
  sal_params_t p = {0};
  int32_t d[2] = {512, 0}, s[2] = {0, 0};
  int32_t shadow[2] = {20 << SAL_Q, 20 << SAL_Q};
  uint8_t exc[2], inh[2];
  const uint32_t random[4] = {0, 0, 0, 0};
  p.eta_sal_q16 = SAL_ONE;
  p.w_max = 63;
  p.signed_pairs = 1;
  p.remove_common_mode = 1;
  sal_update_row(&p, 2, d, s, 0, shadow, exc, inh, random);
  PPU_ASSERT_EQ(shadow[0], 21 << SAL_Q); /* mean 256 (1 LSB) removed */
  PPU_ASSERT_EQ(shadow[1], 19 << SAL_Q);
}

PPU_TEST(homeostasis_integrates_the_rate_error) {
  int32_t code_q8 = 10 << 8;
  PPU_ASSERT_EQ(sal_homeostasis_step(3, 5, 256, 63, &code_q8), 12);
  PPU_ASSERT_EQ(code_q8, 12 << 8);
  PPU_ASSERT_EQ(sal_homeostasis_step(100, 5, 256, 63, &code_q8), 0);  /* clipped at 0 */
  PPU_ASSERT_EQ(sal_homeostasis_step(0, 100, 256, 63, &code_q8), 63); /* and at code_max */
}

int main(void) {
  PPU_RUN(stochastic_rounding_picks_floor_or_ceiling_by_the_fraction);
  PPU_RUN(stochastic_rounding_is_unbiased);
  PPU_RUN(shadow_storage_round_trips);
  PPU_RUN(signals_are_baseline_minus_code);
  PPU_RUN(update_moves_clips_and_splits_the_shadow_weight);
  PPU_RUN(common_mode_removal_subtracts_the_row_mean);
  PPU_RUN(homeostasis_integrates_the_rate_error);
  return ppu_test_summary();
}
