// The shared SAL kernel (firmware/sal/sal_kernel.h): stochastic rounding, clipping, the
// update rule and common-mode removal against straightforward double-precision references,
// and the firmware's arithmetic on the emulated processor against the host's.
#include <sys/wait.h>
#include "salvo_paths.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "firmware/sal/sal_kernel.h"

TEST(SalKernel, StochasticRoundingIsUnbiased) {
  std::uint32_t rng = 12345;
  for (double value : {0.0, 0.25, 3.5, 10.9, 62.01}) {
    const auto q16 = static_cast<std::int32_t>(std::lround(value * SAL_ONE));
    const int n = 200000;
    double sum = 0;
    for (int i = 0; i < n; ++i) {
      const int r = sal_round_stochastic(q16, sal_xorshift32(&rng));
      EXPECT_TRUE(r == (q16 >> SAL_Q) || r == (q16 >> SAL_Q) + 1);
      sum += r;
    }
    const double exact = static_cast<double>(q16) / SAL_ONE;
    const double frac = exact - std::floor(exact);
    const double sigma = std::sqrt(frac * (1 - frac) / n);
    // Mean of Bernoulli(frac) draws: within 5 standard errors (plus the 2^-16 grid of `random`).
    EXPECT_NEAR(sum / n, exact, 5 * sigma + 1.0 / 65536) << value;
  }
}

TEST(SalKernel, UpdateFollowsTheRuleAndClips) {
  const int n = 5;
  sal_params_t p{};
  p.eta_sal_q16 = SAL_ONE / 4;  // 0.25 codes per LSB
  p.w_max = 63;
  p.signed_pairs = 1;
  // a - c per synapse in LSB: +8, -8, 0, +1000 (clips high), -1000 (clips low).
  std::vector<std::int32_t> d = {8 * 256, -8 * 256, 0, 1000 * 256, -1000 * 256}, s(n, 0);
  std::vector<std::int32_t> shadow = {10 * SAL_ONE, 10 * SAL_ONE, -5 * SAL_ONE, 60 * SAL_ONE,
                                      -60 * SAL_ONE};
  std::vector<std::uint8_t> exc(n), inh(n);
  std::vector<std::uint32_t> random(2 * n, 0);  // rounding down unless the fraction is > 0
  sal_update_row(&p, n, d.data(), s.data(), nullptr, shadow.data(), exc.data(), inh.data(),
                 random.data());
  EXPECT_EQ(shadow[0], 12 * SAL_ONE);
  EXPECT_EQ(shadow[1], 8 * SAL_ONE);
  EXPECT_EQ(shadow[2], -5 * SAL_ONE);
  EXPECT_EQ(shadow[3], 63 * SAL_ONE);
  EXPECT_EQ(shadow[4], -63 * SAL_ONE);
  EXPECT_EQ(exc[0], 12);
  EXPECT_EQ(inh[0], 0);
  EXPECT_EQ(exc[2], 0);
  EXPECT_EQ(inh[2], 5);  // negative weights go to the inhibitory row
  EXPECT_EQ(exc[3], 63);
  EXPECT_EQ(inh[4], 63);
}

TEST(SalKernel, CommonModeRemovalSubtractsTheRowMean) {
  const int n = 4;
  sal_params_t p{};
  p.eta_sal_q16 = SAL_ONE;
  p.w_max = 63;
  p.signed_pairs = 1;
  p.remove_common_mode = 1;
  std::vector<std::int32_t> d = {4 * 256, 6 * 256, 2 * 256, 8 * 256}, s(n, 0);  // mean 5
  std::vector<std::int32_t> shadow(n, 0);
  std::vector<std::uint8_t> exc(n), inh(n);
  std::vector<std::uint32_t> random(2 * n, 0);
  sal_update_row(&p, n, d.data(), s.data(), nullptr, shadow.data(), exc.data(), inh.data(),
                 random.data());
  EXPECT_EQ(shadow[0], -1 * SAL_ONE);
  EXPECT_EQ(shadow[1], 1 * SAL_ONE);
  EXPECT_EQ(shadow[2], -3 * SAL_ONE);
  EXPECT_EQ(shadow[3], 3 * SAL_ONE);
}

TEST(SalKernel, StdpRuleHasTheOppositeSignOfSal) {
  // One synapse with a = 6 LSB, c = 2 LSB (acausal dominates): SAL potentiates by eta·(a − c),
  // Hebbian STDP depresses by the same amount; with a causal excess the signs swap.
  for (const auto& [a, c] : {std::pair<int, int>{6, 2}, std::pair<int, int>{1, 9}}) {
    std::int32_t d = (a - c) * 256, s = (a + c) * 256;
    for (int rule : {SAL_RULE_SAL, SAL_RULE_STDP}) {
      sal_params_t p{};
      sal_rule_params(rule, SAL_ONE / 2, &p);
      p.w_max = 63;
      p.signed_pairs = 1;
      std::int32_t shadow = 20 * SAL_ONE;
      std::uint8_t exc = 0, inh = 0;
      std::uint32_t random[2] = {0, 0};
      sal_update_row(&p, 1, &d, &s, nullptr, &shadow, &exc, &inh, random);
      const double expected = 20 + (rule == SAL_RULE_SAL ? 0.5 : -0.5) * (a - c);
      EXPECT_DOUBLE_EQ(static_cast<double>(shadow) / SAL_ONE, expected) << a << " " << c;
    }
  }
}

TEST(SalKernel, GainRatioWeighsTheCausalSignal) {
  // a = 6, c = 4 LSB with an acausal/causal sensor-gain ratio g = 1.5: a − g·c = 0.
  std::int32_t d = 2 * 256, s = 10 * 256, shadow = 10 * SAL_ONE;
  sal_params_t p{};
  sal_rule_params(SAL_RULE_SAL, SAL_ONE, &p);
  p.w_max = 63;
  p.signed_pairs = 1;
  const std::uint16_t gain = sal_gain_q8_from_q6(96);  // 1.5 in Q6
  std::uint8_t exc = 0, inh = 0;
  std::uint32_t random[2] = {0, 0};
  sal_update_row(&p, 1, &d, &s, &gain, &shadow, &exc, &inh, random);
  EXPECT_EQ(shadow, 10 * SAL_ONE);
  const std::uint16_t unity = sal_gain_q8_from_q6(64);
  sal_update_row(&p, 1, &d, &s, &unity, &shadow, &exc, &inh, random);
  EXPECT_EQ(shadow, 12 * SAL_ONE);  // g = 1: the plain a − c
}

TEST(SalKernel, ShadowStorageKeepsEightFractionalBits) {
  for (double w : {0.0, 1.0 / 256, -1.0 / 256, 12.34, -62.99, 63.0, -63.0}) {
    const auto q16 = static_cast<std::int32_t>(std::lround(w * SAL_ONE));
    const std::int32_t back = sal_shadow_load(sal_shadow_store(q16));
    EXPECT_LE(std::abs(back - q16), 128) << w;  // within half a Q8 step
  }
}

TEST(SalKernel, HomeostasisIsAnIntegralController) {
  std::int32_t code_q8 = 500 * 256;
  // 10 spikes too many per period at 1/8 code per spike: the leak code falls 1.25 per update.
  int code = 0;
  for (int k = 0; k < 4; ++k) code = sal_homeostasis_step(40, 30, 32, 1022, &code_q8);
  EXPECT_EQ(code_q8, 500 * 256 - 4 * 320);
  EXPECT_EQ(code, 495);
  // On target: no change. Too few spikes: rises, clipped at code_max.
  sal_homeostasis_step(30, 30, 32, 1022, &code_q8);
  EXPECT_EQ(code_q8, 500 * 256 - 4 * 320);
  for (int k = 0; k < 1000; ++k) code = sal_homeostasis_step(0, 30, 256, 1022, &code_q8);
  EXPECT_EQ(code, 1022);
  for (int k = 0; k < 1000; ++k) code = sal_homeostasis_step(255, 30, 256, 1022, &code_q8);
  EXPECT_EQ(code, 0);
}

TEST(SalKernel, SignalsUseTheQ8Baselines) {
  // base 200.5 LSB (Q8 51328); causal code 198 -> c = 2.5; acausal code 195 -> a = 5.5.
  std::uint8_t causal[1] = {198}, acausal[1] = {195};
  std::uint16_t base_c[1] = {51328}, base_a[1] = {51328};
  std::int32_t d[1] = {0}, s[1] = {0};
  sal_add_signals(1, causal, acausal, base_c, base_a, d, s);
  EXPECT_EQ(d[0], 3 * 256);
  EXPECT_EQ(s[0], 8 * 256);
}

TEST(SalKernel, FirmwareArithmeticMatchesTheHost) {
  // tests/ppu/fw/sal_kernel_check.c runs the same inputs through the kernel on the emulated
  // processor and prints every shadow weight and code; the host computes them here.
  const std::string elf = std::string(SALVO_FIRMWARE_DIR) + "/tests/sal_kernel_check.elf";
  const std::string cmd = std::string(SALVO_BIN_DIR) + "/salvo ppu-run " + elf + " 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, pipe)) out += buf;
  ASSERT_EQ(WEXITSTATUS(::pclose(pipe)), 0) << out;

  std::uint32_t rng = 2463534242u;
  const int n = 32;
  std::ostringstream expect;
  std::vector<std::int32_t> shadow(n);
  for (int i = 0; i < n; ++i)
    shadow[i] = static_cast<std::int32_t>(sal_xorshift32(&rng) % (127u << 16)) - (63 << 16);
  sal_params_t p{};
  p.eta_sal_q16 = 6554;
  p.w_max = 63;
  p.signed_pairs = 1;
  p.remove_common_mode = 1;
  for (int round = 0; round < 20; ++round) {
    std::vector<std::int32_t> d(n), s(n);
    std::vector<std::uint8_t> exc(n), inh(n);
    std::vector<std::uint32_t> random(2 * n);
    for (int i = 0; i < n; ++i) {
      d[i] = static_cast<std::int32_t>(sal_xorshift32(&rng) % 4001u) - 2000;
      s[i] = static_cast<std::int32_t>(sal_xorshift32(&rng) % 4001u);
    }
    for (auto& r : random) r = sal_xorshift32(&rng);
    sal_update_row(&p, n, d.data(), s.data(), nullptr, shadow.data(), exc.data(), inh.data(),
                   random.data());
    for (int i = 0; i < n; ++i)
      expect << shadow[i] << ' ' << int(exc[i]) << ' ' << int(inh[i]) << '\n';
  }
  // Console lines carry the processor's log prefix ("[info] ppu0: "): keep what follows it,
  // between the BEGIN and END lines.
  std::istringstream in(out);
  std::ostringstream cleaned;
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    const auto at = line.find("ppu0: ");
    const std::string text = at == std::string::npos ? line : line.substr(at + 6);
    if (text == "BEGIN") {
      inside = true;
    } else if (text == "END") {
      inside = false;
    } else if (inside) {
      cleaned << text << '\n';
    }
  }
  EXPECT_EQ(cleaned.str(), expect.str());
}
