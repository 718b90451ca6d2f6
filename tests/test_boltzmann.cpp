// Boltzmann-machine math of the `sampling` experiment against hand-computed small cases.
#include "emulator/measures/boltzmann.hpp"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

using namespace salvo::boltzmann;

TEST(Boltzmann, SingleUnitIsALogistic) {
  Machine m = make_machine(1);
  m.b[0] = 0.7;
  const auto p = distribution(m);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_NEAR(p[1], 1.0 / (1.0 + std::exp(-0.7)), 1e-12);
  EXPECT_NEAR(p[0] + p[1], 1.0, 1e-12);
  const auto mo = moments(p, 1);
  EXPECT_NEAR(mo.mean[0], p[1], 1e-12);
  EXPECT_NEAR(mo.corr[0], p[1], 1e-12);
}

TEST(Boltzmann, TwoUnitsMatchHandComputedWeights) {
  Machine m = make_machine(2);
  m.b = {0.3, -0.5};
  m.weight(0, 1) = m.weight(1, 0) = 0.8;
  // Unnormalised: 00 → 1, z0 only (s=1) → e^0.3, z1 only (s=2) → e^−0.5, both → e^(0.3−0.5+0.8).
  const double w[4] = {1.0, std::exp(0.3), std::exp(-0.5), std::exp(0.6)};
  const double z = w[0] + w[1] + w[2] + w[3];
  const auto p = distribution(m);
  for (int s = 0; s < 4; ++s) EXPECT_NEAR(p[s], w[s] / z, 1e-12) << s;
  const auto mo = moments(p, 2);
  EXPECT_NEAR(mo.mean[0], (w[1] + w[3]) / z, 1e-12);
  EXPECT_NEAR(mo.mean[1], (w[2] + w[3]) / z, 1e-12);
  EXPECT_NEAR(mo.corr[0 * 2 + 1], w[3] / z, 1e-12);
  EXPECT_NEAR(mo.corr[1 * 2 + 0], w[3] / z, 1e-12);
  EXPECT_NEAR(mo.corr[0], mo.mean[0], 1e-12);
  // An asymmetric W enters only through its symmetric part.
  Machine a = m;
  a.weight(0, 1) = 1.2;
  a.weight(1, 0) = 0.4;
  const auto pa = distribution(a);
  for (int s = 0; s < 4; ++s) EXPECT_NEAR(pa[s], p[s], 1e-12);
  EXPECT_NEAR(asymmetry(a), 0.0, 1e-12);  // one pair: the variance of one value is 0
}

TEST(Boltzmann, KlDivergenceHandCases) {
  EXPECT_NEAR(kl_divergence({0.5, 0.5}, {0.25, 0.75}),
              0.5 * std::log(2.0) + 0.5 * std::log(0.5 / 0.75), 1e-12);
  EXPECT_DOUBLE_EQ(kl_divergence({0.3, 0.7}, {0.3, 0.7}), 0.0);
  EXPECT_DOUBLE_EQ(kl_divergence({0.0, 1.0}, {0.5, 0.5}), std::log(2.0));
  EXPECT_EQ(kl_divergence({0.5, 0.5}, {1.0, 0.0}), std::numeric_limits<double>::infinity());
  // Pseudo-counts: 3 and 0 samples with 1 pseudo-count each → 4/5, 1/5.
  const auto q = normalise_counts({3, 0}, 1.0);
  EXPECT_DOUBLE_EQ(q[0], 0.8);
  EXPECT_DOUBLE_EQ(q[1], 0.2);
}

TEST(Boltzmann, StatesFromSpikesOnAGrid) {
  // Grid 0.5, 1.5, …, 9.5 µs; τ_on = 2 µs. Neuron 0 spikes at 1.0 → on at 1.5, 2.5;
  // neuron 1 at 2.2 → on at 2.5, 3.5; neuron 0 again at 7.5 → on at 7.5, 8.5.
  const auto c = state_counts({{1.0, 7.5}, {2.2}}, 2, 2.0, 0.0, 10.0, 1.0);
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c[0], 5);  // 0.5, 4.5, 5.5, 6.5, 9.5
  EXPECT_EQ(c[1], 3);  // 1.5, 7.5, 8.5
  EXPECT_EQ(c[2], 1);  // 3.5
  EXPECT_EQ(c[3], 1);  // 2.5
  // A window that starts later ignores earlier samples but keeps a spike's tail.
  const auto d = state_counts({{1.0}, {}}, 2, 2.0, 2.0, 4.0, 1.0);
  EXPECT_EQ(d[1], 1);  // 2.5
  EXPECT_EQ(d[0], 1);  // 3.5
}

TEST(Boltzmann, TargetIsSymmetricUniformAndReproducible) {
  const auto t = draw_target(7, 42);
  const auto u = draw_target(7, 42);
  EXPECT_EQ(t.w, u.w);
  EXPECT_EQ(t.b, u.b);
  EXPECT_NE(draw_target(7, 43).w, t.w);
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(t.weight(i, i), 0.0);
    EXPECT_LE(std::fabs(t.b[i]), 1.0);
    for (int j = 0; j < 7; ++j) {
      EXPECT_EQ(t.weight(i, j), t.weight(j, i));
      EXPECT_LE(std::fabs(t.weight(i, j)), 1.0);
    }
  }
  EXPECT_EQ(asymmetry(t), 0.0);
  // Initial weights: σ_init = 0 is symmetric, σ_init > 0 is not (variance ≈ 2σ²).
  EXPECT_EQ(asymmetry(draw_initial(7, 1, 0.2, 0.0)), 0.0);
  const double a = asymmetry(draw_initial(7, 1, 0.2, 0.6));
  EXPECT_GT(a, 0.1);
  EXPECT_LT(a, 2.0);
}
