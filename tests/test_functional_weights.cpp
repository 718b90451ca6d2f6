// Functional weights (emulator/measures/functional_weights.hpp) on synthetic spike trains
// with a known answer: a post train that copies each pre spike with probability p after a
// delay gives f ≈ p; deleting post spikes after pre spikes gives the predicted negative f;
// independent trains give 0; the standard error is calibrated over many seeds; the matrix
// form equals the pairwise one; the correlogram peaks at the copy delay.
#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>
#include <boost/random/exponential_distribution.hpp>
#include <boost/random/uniform_real_distribution.hpp>

#include "emulator/measures/functional_weights.hpp"
#include "hw/common/error.hpp"
#include "hw/common/rng.hpp"

using namespace salvo;
using namespace salvo::measures;

namespace {

std::vector<double> poisson(Engine& eng, double rate_per_us, double t_end) {
  boost::random::exponential_distribution<double> isi(rate_per_us);
  std::vector<double> t;
  for (double s = isi(eng); s < t_end; s += isi(eng)) t.push_back(s);
  return t;
}

void append(std::vector<RecordedSpike>& out, const std::vector<double>& t, int neuron) {
  for (double s : t) out.push_back({s, neuron});
}

void sort_by_time(std::vector<RecordedSpike>& s) {
  std::stable_sort(s.begin(), s.end(),
                   [](const RecordedSpike& a, const RecordedSpike& b) { return a.t_us < b.t_us; });
}

// Post neuron `post_id` = independent Poisson at rate_post plus a copy of each pre spike with
// probability p, delayed by U[delay_lo, delay_hi]. Rates per µs (hardware: 0.015 = 15 kHz).
std::vector<RecordedSpike> copy_pair(std::uint64_t seed, double rate_pre, double rate_post,
                                     double p, double t_end, double delay_lo = 1.0,
                                     double delay_hi = 8.0) {
  Engine eng = make_engine(seed, Stream::kExperiment, 1);
  const auto pre = poisson(eng, rate_pre, t_end);
  auto post = poisson(eng, rate_post, t_end);
  boost::random::uniform_real_distribution<double> delay(delay_lo, delay_hi);
  for (double t : pre)
    if (draw_uniform01(eng) < p) {
      const double d = delay(eng);
      if (t + d < t_end) post.push_back(t + d);
    }
  std::vector<RecordedSpike> s;
  append(s, pre, 0);
  append(s, post, 1);
  sort_by_time(s);
  return s;
}

}  // namespace

TEST(FunctionalWeights, CopyProbabilityIsMeasured) {
  const double p = 0.2, t_end = 400000.0;  // 400 ms hardware time at 15 kHz: ≈ 6000 pre spikes
  const auto s = copy_pair(1, 0.015, 0.015, p, t_end);
  for (auto chance :
       {FunctionalOptions::Chance::kRate, FunctionalOptions::Chance::kShiftedWindow}) {
    FunctionalOptions o;
    o.chance = chance;
    const auto f = functional_weight(s, 0, 1, 0.0, t_end, o);
    EXPECT_GT(f.n_pre, 5500u);
    // Bound: SE² ≈ (r·w + p(1 − p)) / N ≈ (0.29 + 0.16) / 6000 → SE ≈ 0.009.
    EXPECT_LT(f.stderr, 0.013);
    EXPECT_GT(f.stderr, 0.005);
    EXPECT_NEAR(f.extra_per_pre, p, 4 * f.stderr);
    // The reverse direction has no influence.
    const auto r = functional_weight(s, 1, 0, 0.0, t_end, o);
    EXPECT_NEAR(r.extra_per_pre, 0.0, 4 * r.stderr);
  }
}

TEST(FunctionalWeights, SensorKernelWeighting) {
  // With the sensors' kernel exp(−lag/τ): a copy at delay δ ~ U[1, 8] µs counts
  // E[exp(−δ/τ)] = τ/7 · (e^{−1/τ} − e^{−8/τ}) ≈ 0.441 for τ = 5 µs.
  const double p = 0.3, t_end = 400000.0, tau = 5.0;
  const auto s = copy_pair(6, 0.015, 0.015, p, t_end);
  FunctionalOptions o;
  o.kernel_tau_us = tau;
  const double expected = p * tau / 7.0 * (std::exp(-1.0 / tau) - std::exp(-8.0 / tau));
  for (auto chance :
       {FunctionalOptions::Chance::kRate, FunctionalOptions::Chance::kShiftedWindow}) {
    o.chance = chance;
    const auto f = functional_weight(s, 0, 1, 0.0, t_end, o);
    EXPECT_NEAR(f.extra_per_pre, expected, 4 * f.stderr);
    EXPECT_LT(f.stderr, 0.01);
    const auto m = functional_matrix(s, {0, 1}, 0.0, t_end, o);
    EXPECT_NEAR(m.at(0, 1).extra_per_pre, f.extra_per_pre, 1e-12);
    EXPECT_NEAR(m.at(0, 1).stderr, f.stderr, 1e-9);
  }
  // Counting (no kernel) on the same trains gives p, not the weighted value.
  EXPECT_NEAR(functional_weight(s, 0, 1, 0.0, t_end).extra_per_pre, p, 0.03);
}

TEST(FunctionalWeights, DeletionsGiveTheExpectedNegativeInfluence) {
  // Inhibition: each post spike within [1, 10) µs after a pre spike is removed with
  // probability q, so f ≈ −q · r_post · 9 µs (exactly: below).
  Engine eng = make_engine(2, Stream::kExperiment, 1);
  const double t_end = 400000.0, r_post = 0.05, q = 0.5;
  const auto pre = poisson(eng, 0.01, t_end);
  const auto post_all = poisson(eng, r_post, t_end);
  std::vector<double> post;
  for (double t : post_all) {
    // Covered by some pre window [t_pre + 1, t_pre + 10)  ⇔  t − 10 < t_pre <= t − 1.
    const auto first = std::upper_bound(pre.begin(), pre.end(), t - 10.0);
    const bool covered = first != pre.end() && *first <= t - 1.0;
    if (!(covered && draw_uniform01(eng) < q)) post.push_back(t);
  }
  std::vector<RecordedSpike> s;
  append(s, pre, 0);
  append(s, post, 1);
  sort_by_time(s);
  FunctionalOptions o;
  o.d0_us = 1.0;
  o.d1_us = 10.0;
  const auto f = functional_weight(s, 0, 1, 0.0, t_end, o);
  // Observed per pre: r·9·(1 − q). Chance: the surviving rate r·(1 − q·C)·9, C = 1 − e^{−r_pre·9}
  // the fraction of time some window covers. f = −q·r·9·(1 − C).
  const double expected = -q * r_post * 9.0 * std::exp(-0.01 * 9.0);
  EXPECT_LT(f.extra_per_pre, 0.0);
  EXPECT_NEAR(f.extra_per_pre, expected, 4 * f.stderr);
  EXPECT_LT(f.stderr, 0.03);
}

TEST(FunctionalWeights, StandardErrorIsCalibratedOverSeeds) {
  // z = (f − p) / SE over independent seeds: mean z² ≈ 1 (the Poisson SE is slightly
  // conservative for Bernoulli copies, so a little below 1); 40 seeds: σ(mean z²) ≈ 0.22.
  const double p = 0.1, t_end = 100000.0;
  for (auto chance :
       {FunctionalOptions::Chance::kRate, FunctionalOptions::Chance::kShiftedWindow}) {
    double z2 = 0, z_mean = 0;
    const int seeds = 40;
    for (int k = 0; k < seeds; ++k) {
      const auto s = copy_pair(100 + k, 0.015, 0.015, p, t_end);
      FunctionalOptions o;
      o.chance = chance;
      const auto f = functional_weight(s, 0, 1, 0.0, t_end, o);
      const double z = (f.extra_per_pre - p) / f.stderr;
      z2 += z * z / seeds;
      z_mean += z / seeds;
    }
    EXPECT_GT(z2, 0.5) << "SE too large";
    EXPECT_LT(z2, 1.6) << "SE too small";
    EXPECT_NEAR(z_mean, 0.0, 3.0 / std::sqrt(seeds)) << "biased";
  }
}

TEST(FunctionalWeights, MatrixEqualsThePairwiseMeasure) {
  // A chain 0 → 1 → 2 → 3 (each copies its predecessor with p = 0.3) plus an independent
  // neuron 7, interleaved with spikes of neurons outside the set.
  Engine eng = make_engine(3, Stream::kExperiment, 1);
  const double t_end = 50000.0;
  std::vector<std::vector<double>> t(4);
  t[0] = poisson(eng, 0.02, t_end);
  boost::random::uniform_real_distribution<double> delay(1.0, 6.0);
  for (int k = 1; k < 4; ++k) {
    t[k] = poisson(eng, 0.01, t_end);
    for (double s : t[k - 1])
      if (draw_uniform01(eng) < 0.3 && s + 6.0 < t_end) t[k].push_back(s + delay(eng));
  }
  std::vector<RecordedSpike> s;
  for (int k = 0; k < 4; ++k) append(s, t[k], k);
  append(s, poisson(eng, 0.02, t_end), 7);
  append(s, poisson(eng, 0.05, t_end), 5);  // not in the set
  sort_by_time(s);
  const std::vector<int> set = {0, 1, 2, 3, 7};
  for (auto chance :
       {FunctionalOptions::Chance::kRate, FunctionalOptions::Chance::kShiftedWindow}) {
    FunctionalOptions o;
    o.chance = chance;
    o.shift_us = 60.0;
    const double t0 = 1000.0, t1 = 45000.0;
    const auto m = functional_matrix(s, set, t0, t1, o);
    ASSERT_EQ(m.size(), 5);
    for (int i = 0; i < 5; ++i)
      for (int j = 0; j < 5; ++j) {
        const auto f = functional_weight(s, set[i], set[j], t0, t1, o);
        const auto& g = m.at(i, j);
        EXPECT_EQ(g.n_pre, f.n_pre);
        EXPECT_EQ(g.n_post, f.n_post);
        EXPECT_NEAR(g.extra_per_pre, f.extra_per_pre, 1e-12) << set[i] << " -> " << set[j];
        EXPECT_NEAR(g.stderr, f.stderr, 1e-9) << set[i] << " -> " << set[j];
      }
    // The chain is found: 0→1, 1→2, 2→3 strong; 0→2 (two hops) ≈ 0.09 weaker; 3→0 none.
    EXPECT_NEAR(m.at(0, 1).extra_per_pre, 0.3, 4 * m.at(0, 1).stderr);
    EXPECT_NEAR(m.at(2, 3).extra_per_pre, 0.3, 4 * m.at(2, 3).stderr);
    EXPECT_NEAR(m.at(3, 0).extra_per_pre, 0.0, 4 * m.at(3, 0).stderr);
    EXPECT_NEAR(m.at(0, 4).extra_per_pre, 0.0, 4 * m.at(0, 4).stderr);
    EXPECT_GT(m.at(0, 2).extra_per_pre, 0.0);
    EXPECT_LT(m.at(0, 2).extra_per_pre, m.at(0, 1).extra_per_pre);
    EXPECT_EQ(m.extra_per_pre().size(), 25u);
  }
}

TEST(FunctionalWeights, UnsortedInputGivesTheSameMatrix) {
  auto s = copy_pair(4, 0.015, 0.015, 0.2, 20000.0);
  const auto sorted = functional_matrix(s, {0, 1}, 0.0, 20000.0);
  std::reverse(s.begin(), s.end());
  const auto reversed = functional_matrix(s, {0, 1}, 0.0, 20000.0);
  for (int k = 0; k < 4; ++k)
    EXPECT_DOUBLE_EQ(sorted.entries[k].extra_per_pre, reversed.entries[k].extra_per_pre);
}

TEST(FunctionalWeights, CorrelogramPeaksAtTheCopyDelay) {
  const double t_end = 200000.0;
  const auto s = copy_pair(5, 0.015, 0.015, 0.4, t_end, 4.0, 6.0);
  const auto h = cross_correlogram(s, 0, 1, 0.0, t_end, 2.0, 20.0);
  ASSERT_EQ(h.size(), 20u);
  // Bins [4, 6) µs = index (4 + 20) / 2 = 12 holds the copies.
  const auto peak = std::max_element(h.begin(), h.end()) - h.begin();
  EXPECT_EQ(peak, 12);
  EXPECT_NEAR(h[12], 0.4, 0.05);
  double rest = 0;
  for (int b = 0; b < 20; ++b)
    if (b != 12) rest += h[b];
  EXPECT_NEAR(rest, 0.0, 0.1);
}

TEST(FunctionalWeights, AsymmetryAndItsError) {
  EXPECT_DOUBLE_EQ(asymmetry(3.0, 1.0), 1.0);
  EXPECT_DOUBLE_EQ(asymmetry(0.0, 0.0), 0.0);
  EXPECT_DOUBLE_EQ(asymmetry(-2.0, -2.0), 0.0);
  // Against a numerical derivative away from a = b.
  const double a = 0.3, b = 0.1, sa = 0.01, sb = 0.02, h = 1e-6;
  const double da = (asymmetry(a + h, b) - asymmetry(a - h, b)) / (2 * h);
  const double db = (asymmetry(a, b + h) - asymmetry(a, b - h)) / (2 * h);
  EXPECT_NEAR(asymmetry_stderr(a, sa, b, sb), std::hypot(da * sa, db * sb), 1e-6);
}

TEST(FunctionalWeights, RejectsBadWindows) {
  const std::vector<RecordedSpike> s = {{1.0, 0}, {2.0, 1}};
  FunctionalOptions o;
  EXPECT_THROW(functional_weight(s, 0, 1, 10.0, 10.0, o), UserError);
  o.d0_us = 0.0;
  EXPECT_THROW(functional_weight(s, 0, 1, 0.0, 100.0, o), UserError);
  o.d0_us = 5.0;
  o.d1_us = 4.0;
  EXPECT_THROW(functional_matrix(s, {0, 1}, 0.0, 100.0, o), UserError);
  o = {};
  o.kernel_tau_us = -1.0;
  EXPECT_THROW(functional_weight(s, 0, 1, 0.0, 100.0, o), UserError);
  o = {};
  o.chance = FunctionalOptions::Chance::kShiftedWindow;
  o.shift_us = 5.0;
  EXPECT_THROW(functional_weight(s, 0, 1, 0.0, 100.0, o), UserError);
  EXPECT_THROW(functional_matrix(s, {0, 0}, 0.0, 100.0), UserError);
}

// Between groups: the entries across groups are the full matrix's bit for bit (kernel-weighted,
// both chance models), those within a group are not measured (NaN, counts kept).
TEST(FunctionalWeights, BetweenGroupsGivesTheFullMatricesCrossEntriesExactly) {
  Engine eng = make_engine(11, Stream::kExperiment, 1);
  const double t_end = 30000.0;
  std::vector<std::vector<double>> t(6);
  boost::random::uniform_real_distribution<double> delay(1.0, 6.0);
  for (int k = 0; k < 6; ++k) {
    t[k] = poisson(eng, 0.03, t_end);
    if (k >= 3)  // group 1 copies group 0 (k - 3) with probability 0.3
      for (double s : t[k - 3])
        if (draw_uniform01(eng) < 0.3 && s + 6.0 < t_end) t[k].push_back(s + delay(eng));
  }
  std::vector<RecordedSpike> s;
  for (int k = 0; k < 6; ++k) append(s, t[k], 10 + k);
  sort_by_time(s);
  const std::vector<int> set = {10, 14, 11, 15, 12, 13};  // groups interleaved
  const std::vector<int> groups = {0, 1, 0, 1, 0, 1};
  for (auto chance :
       {FunctionalOptions::Chance::kRate, FunctionalOptions::Chance::kShiftedWindow}) {
    FunctionalOptions o;
    o.chance = chance;
    o.shift_us = 60.0;
    o.kernel_tau_us = 5.0;
    const auto full = functional_matrix(s, set, 500.0, 29000.0, o);
    const auto between = functional_matrix_between(s, set, groups, 500.0, 29000.0, o);
    ASSERT_EQ(between.size(), 6);
    for (int i = 0; i < 6; ++i)
      for (int j = 0; j < 6; ++j) {
        const auto& f = full.at(i, j);
        const auto& g = between.at(i, j);
        EXPECT_EQ(g.n_pre, f.n_pre);
        EXPECT_EQ(g.n_post, f.n_post);
        if (groups[i] == groups[j]) {
          EXPECT_TRUE(std::isnan(g.extra_per_pre) && std::isnan(g.stderr)) << i << " " << j;
          continue;
        }
        // Bit for bit, not near: the same terms summed in the same order.
        EXPECT_EQ(g.extra_per_pre, f.extra_per_pre) << i << " -> " << j;
        EXPECT_EQ(g.stderr, f.stderr) << i << " -> " << j;
        EXPECT_EQ(g.observed_per_pre, f.observed_per_pre) << i << " -> " << j;
        EXPECT_EQ(g.chance_per_pre, f.chance_per_pre) << i << " -> " << j;
      }
    // The copies are seen across the groups: 10 -> 13 (set index 0 -> 5).
    EXPECT_GT(between.at(0, 5).extra_per_pre, 4 * between.at(0, 5).stderr);
  }
  EXPECT_THROW(functional_matrix_between(s, set, {0, 1}, 0.0, t_end), UserError);
  EXPECT_THROW(functional_matrix_between(s, set, {0, 1, 0, 1, 0, -1}, 0.0, t_end), UserError);
}
