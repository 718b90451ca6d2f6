// Correlation sensors: pairing rule against a brute-force reference, analog storage (baseline,
// saturation, reset, drift), mismatch statistics, trims, enable, noise, reproducibility.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "hw/analog/column_adc.hpp"
#include "hw/analog/correlation_sensors.hpp"
#include "hw/common/error.hpp"
#include "hw/common/rng.hpp"

namespace salvo {
namespace {

constexpr SensorChannel kC = SensorChannel::kCausal;
constexpr SensorChannel kA = SensorChannel::kAcausal;

CorrelationSensorParams mini_params() {
  CorrelationSensorParams p;
  p.rows = 32;
  p.columns = 32;
  p.sigma_amplitude = 0.20;
  p.sigma_tau = 0.15;
  p.readout_noise_lsb = 0.0;
  return p;
}

ColumnAdcParams ideal_adc(int columns) {
  ColumnAdcParams a;
  a.columns = columns;
  a.offset_sigma_lsb = 0.0;
  return a;
}

double rel_sd(const std::vector<double>& v) {
  double m = 0.0;
  for (double x : v) m += x;
  m /= static_cast<double>(v.size());
  double s = 0.0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size() - 1)) / m;
}

TEST(CorrelationSensors, FastExpMatchesStdExp) {
  double worst = 0.0;
  for (int i = 0; i <= 200000; ++i) {
    const double x = -87.0 * i / 200000.0;
    const double ref = std::exp(x);
    const double got = detail::exp_nonpositive(static_cast<float>(x));
    // Compare against exp of the float-rounded argument: the function only sees that.
    const double ref_f = std::exp(static_cast<double>(static_cast<float>(x)));
    worst = std::max(worst, std::abs(got - ref_f) / ref_f);
    ASSERT_NEAR(got, ref, 1e-5 * ref + 1e-37);
  }
  EXPECT_LT(worst, 3e-7);
  EXPECT_EQ(detail::exp_nonpositive(-100.0f), 0.0f);
  EXPECT_EQ(detail::exp_nonpositive(-std::numeric_limits<float>::infinity()), 0.0f);
  EXPECT_FLOAT_EQ(detail::exp_nonpositive(0.0f), 1.0f);
}

// One isolated pair per synapse: every row fires at t0, every column at t0 + Δt (or the other way
// round). The CADC code must be the quantised baseline − A·exp(−|Δt|/τ) of that synapse's own
// (mismatched) A and τ, in the channel of the pair's sign; the other channel stays at baseline.
TEST(CorrelationSensors, OnePairReadoutBothSigns) {
  CorrelationSensorParams p = mini_params();
  p.amplitude_lsb = 60.0;  // large, so the exponential is visible above the 1-LSB quantisation
  const std::vector<double> dts = {0.3, 1.0, 2.5, 5.0, 9.0, 17.0, -0.3, -1.0, -4.0, -8.0, -20.0};
  for (double dt : dts) {
    CorrelationSensors s(p, 7);
    ColumnAdc adc(ideal_adc(p.columns), 7);
    const double t0 = 100.0;
    const double t_pre = dt > 0 ? t0 : t0 - dt;
    const double t_post = dt > 0 ? t0 + dt : t0;
    auto fire_rows = [&] {
      for (int r = 0; r < p.rows; ++r) s.on_pre(r, t_pre);
    };
    auto fire_cols = [&] {
      for (int c = 0; c < p.columns; ++c) s.on_post(c, t_post);
    };
    if (t_pre < t_post) {
      fire_rows();
      fire_cols();
    } else {
      fire_cols();
      fire_rows();
    }
    std::vector<std::uint8_t> cc, ac;
    for (int r = 0; r < p.rows; ++r) {
      adc.convert_row(s, r, 200.0, cc, ac);
      for (int c = 0; c < p.columns; ++c) {
        const SensorChannel paired = dt > 0 ? kC : kA;
        const double a = s.amplitude_lsb(paired, r, c);
        const double tau = s.tau_us(paired, r, c);
        const double v = p.baseline_lsb - a * std::exp(-std::abs(dt) / tau);
        const int expected = static_cast<int>(std::floor(v + 0.5));
        const int base = static_cast<int>(std::floor(p.baseline_lsb + 0.5));
        if (dt > 0) {
          ASSERT_EQ(cc[c], expected) << "dt " << dt << " r " << r << " c " << c;
          ASSERT_EQ(ac[c], base);
        } else {
          ASSERT_EQ(ac[c], expected) << "dt " << dt << " r " << r << " c " << c;
          ASSERT_EQ(cc[c], base);
        }
        ASSERT_NEAR(s.analog_lsb(paired, r, c, 200.0), v, 1e-5 * p.baseline_lsb);
      }
    }
  }
}

// Brute-force reference straight from the rule, with full spike histories instead of last
// times: a post spike of c at t pairs with the most recent pre spike of r if that came after
// c's previous post spike and Δt > 0 (causal); a pre spike of r pairs with the most recent post
// spike of c if that came after r's previous pre spike and Δt > 0 (acausal).
struct Event {
  bool pre;
  int index;
  double t_us;
};

struct Reference {
  int rows, cols;
  std::vector<std::vector<double>> pre_hist, post_hist;
  std::vector<double> causal, acausal;  // row-major
  Reference(int r, int c)
      : rows(r), cols(c), pre_hist(r), post_hist(c), causal(r * c, 0.0), acausal(r * c, 0.0) {}

  void run(const std::vector<Event>& events, const CorrelationSensors& s, double range) {
    for (const Event& e : events) {
      if (e.pre) {
        const int r = e.index;
        const double prev_pre = pre_hist[r].empty() ? -1e300 : pre_hist[r].back();
        for (int c = 0; c < cols; ++c) {
          if (post_hist[c].empty() || !s.enabled(r, c)) continue;
          const double t_post = post_hist[c].back();
          const double dt = e.t_us - t_post;
          if (t_post > prev_pre && dt > 0) {
            double& a = acausal[r * cols + c];
            a = std::min(range, a + s.amplitude_lsb(kA, r, c) * std::exp(-dt / s.tau_us(kA, r, c)));
          }
        }
        pre_hist[r].push_back(e.t_us);
      } else {
        const int c = e.index;
        const double prev_post = post_hist[c].empty() ? -1e300 : post_hist[c].back();
        for (int r = 0; r < rows; ++r) {
          if (pre_hist[r].empty() || !s.enabled(r, c)) continue;
          const double t_pre = pre_hist[r].back();
          const double dt = e.t_us - t_pre;
          if (t_pre > prev_post && dt > 0) {
            double& a = causal[r * cols + c];
            a = std::min(range, a + s.amplitude_lsb(kC, r, c) * std::exp(-dt / s.tau_us(kC, r, c)));
          }
        }
        post_hist[c].push_back(e.t_us);
      }
    }
  }
};

std::vector<Event> random_events(std::uint64_t seed, int rows, int cols, int n, double grid_us) {
  Engine eng = make_engine(seed, Stream::kExperiment, 0);
  std::vector<Event> ev;
  double t = 0.0;
  for (int i = 0; i < n; ++i) {
    // Times on a coarse grid so that coincident pre/post events happen often.
    t += grid_us * std::floor(draw_uniform01(eng) * 4.0);
    const bool pre = draw_uniform01(eng) < 0.5;
    const int idx = static_cast<int>(draw_uniform01(eng) * (pre ? rows : cols));
    ev.push_back({pre, idx, t});
  }
  // Pre before post at equal times (the documented order).
  std::stable_sort(ev.begin(), ev.end(), [](const Event& a, const Event& b) {
    return a.t_us < b.t_us || (a.t_us == b.t_us && a.pre && !b.pre);
  });
  return ev;
}

TEST(CorrelationSensors, NearestNeighbourPairingMatchesBruteForce) {
  CorrelationSensorParams p = mini_params();
  p.rows = 11;  // an 8-lane vector block plus a scalar tail in both directions
  p.columns = 13;
  p.amplitude_lsb = 1.0;
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    p.range_lsb = seed % 3 == 0 ? 6.0 : 1e6;  // some seeds saturate
    CorrelationSensors s(p, seed);
    if (seed % 4 == 0) s.set_enable(2, 3, false);
    const auto events = random_events(seed, p.rows, p.columns, 400, seed % 2 ? 0.5 : 2.0);
    Reference ref(p.rows, p.columns);
    ref.run(events, s, p.range_lsb);
    for (const Event& e : events) {
      if (e.pre)
        s.on_pre(e.index, e.t_us);
      else
        s.on_post(e.index, e.t_us);
    }
    double total = 0.0;
    for (int r = 0; r < p.rows; ++r) {
      for (int c = 0; c < p.columns; ++c) {
        const double want_c = ref.causal[r * p.columns + c];
        const double want_a = ref.acausal[r * p.columns + c];
        total += want_c + want_a;
        ASSERT_NEAR(s.accumulated_lsb(kC, r, c, 1e9), want_c, 2e-6 * (1.0 + want_c))
            << "seed " << seed << " r " << r << " c " << c;
        ASSERT_NEAR(s.accumulated_lsb(kA, r, c, 1e9), want_a, 2e-6 * (1.0 + want_a))
            << "seed " << seed << " r " << r << " c " << c;
      }
    }
    ASSERT_GT(total, 1.0) << "seed " << seed << " produced no pairs: test is vacuous";
  }
}

// Sweeps skip groups of 8 partners whose latest spike precedes this side's previous spike: with
// activity that moves from every row and column to the first few (the groups further on keep
// only old spikes, then none), the charges still match the brute force.
TEST(CorrelationSensors, SkippingQuietPartnerGroupsMatchesBruteForce) {
  CorrelationSensorParams p = mini_params();
  p.rows = 42;
  p.columns = 40;
  p.amplitude_lsb = 1.0;
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    CorrelationSensors s(p, seed);
    std::vector<Event> events = random_events(seed, p.rows, p.columns, 1500, 0.5);
    for (std::size_t i = events.size() / 3; i < events.size(); ++i)
      events[i].index %= (i < 2 * events.size() / 3 ? 20 : 6);
    Reference ref(p.rows, p.columns);
    ref.run(events, s, p.range_lsb);
    for (const Event& e : events) {
      if (e.pre)
        s.on_pre(e.index, e.t_us);
      else
        s.on_post(e.index, e.t_us);
    }
    double total = 0.0;
    for (int r = 0; r < p.rows; ++r) {
      for (int c = 0; c < p.columns; ++c) {
        const double want_c = ref.causal[r * p.columns + c];
        const double want_a = ref.acausal[r * p.columns + c];
        total += want_c + want_a;
        ASSERT_NEAR(s.accumulated_lsb(kC, r, c, 1e9), want_c, 2e-6 * (1.0 + want_c))
            << "seed " << seed << " r " << r << " c " << c;
        ASSERT_NEAR(s.accumulated_lsb(kA, r, c, 1e9), want_a, 2e-6 * (1.0 + want_a))
            << "seed " << seed << " r " << r << " c " << c;
      }
    }
    ASSERT_GT(total, 1.0) << "seed " << seed << " produced no pairs: test is vacuous";
  }
}

// The pairing is nearest-neighbour, not all-to-all: a burst of pre spikes before one post
// spike yields exactly one causal pair (with the last pre), and a second post spike without a
// new pre spike yields none.
TEST(CorrelationSensors, NearestNeighbourOnlyLastPartnerCounts) {
  CorrelationSensorParams p = mini_params();
  p.rows = 1;
  p.columns = 1;
  p.sigma_amplitude = p.sigma_tau = 0.0;
  CorrelationSensors s(p, 1);
  s.on_pre(0, 0.0);
  s.on_pre(0, 1.0);
  s.on_pre(0, 2.0);
  s.on_post(0, 3.0);  // pairs with pre at 2.0 only (Δt = 1)
  const double one = 0.5 * std::exp(-1.0 / 5.0);
  EXPECT_NEAR(s.accumulated_lsb(kC, 0, 0, 3.0), one, 1e-6);
  s.on_post(0, 4.0);  // pre at 2.0 is older than the previous post: no pair
  EXPECT_NEAR(s.accumulated_lsb(kC, 0, 0, 4.0), one, 1e-6);
  EXPECT_NEAR(s.accumulated_lsb(kA, 0, 0, 4.0), 0.0, 1e-9);
  s.on_pre(0, 6.0);  // acausal with post at 4.0 (Δt = −2); the post at 3.0 does not count
  EXPECT_NEAR(s.accumulated_lsb(kA, 0, 0, 6.0), 0.5 * std::exp(-2.0 / 5.0), 1e-6);
  s.on_pre(0, 7.0);  // post at 4.0 came before the previous pre: no second acausal pair
  EXPECT_NEAR(s.accumulated_lsb(kA, 0, 0, 7.0), 0.5 * std::exp(-2.0 / 5.0), 1e-6);
  // Coincident pre and post: Δt = 0 adds nothing in either channel.
  s.on_pre(0, 10.0);
  s.on_post(0, 10.0);
  EXPECT_NEAR(s.accumulated_lsb(kC, 0, 0, 10.0), one, 1e-6);
  EXPECT_NEAR(s.accumulated_lsb(kA, 0, 0, 10.0), 0.5 * std::exp(-2.0 / 5.0), 1e-6);
}

// The AVX2 and the baseline (SSE2) sweep give bit-identical charges.
TEST(CorrelationSensors, WideAndBaselineSweepsAgreeBitwise) {
  CorrelationSensorParams p = mini_params();
  p.rows = 37;
  p.columns = 45;
  p.range_lsb = 30.0;
  const auto events = random_events(77, p.rows, p.columns, 3000, 0.3);
  auto run = [&](bool wide) {
    detail::use_wide_sweep(wide);
    CorrelationSensors s(p, 5);
    for (const Event& e : events) {
      if (e.pre)
        s.on_pre(e.index, e.t_us);
      else
        s.on_post(e.index, e.t_us);
    }
    std::vector<double> v;
    for (SensorChannel ch : {kC, kA})
      for (int r = 0; r < p.rows; ++r)
        for (int c = 0; c < p.columns; ++c) v.push_back(s.accumulated_lsb(ch, r, c, 1e9));
    return v;
  };
  const std::vector<double> base = run(false);
  const bool have_wide = detail::use_wide_sweep(true);
  const std::vector<double> wide = run(true);
  ASSERT_EQ(base.size(), wide.size());
  double total = 0.0;
  for (std::size_t i = 0; i < base.size(); ++i) {
    ASSERT_EQ(base[i], wide[i]) << i;
    total += base[i];
  }
  EXPECT_GT(total, 10.0);
  if (!have_wide) GTEST_SKIP() << "CPU without AVX2: only the baseline sweep ran";
}

// The vector sweeps (pass 1: Δt per partner, +inf where no pair; pass 2: kernel over the
// blocks with a pair, `below` folded into A) give bit for bit the scalar float formula
// acc = min(acc + (pair·A)·exp_nonpositive(Δt·(−1/τ)), range), in both variants, with
// quiet partner groups, disabled synapses, saturation and sizes that are not whole blocks.
TEST(CorrelationSensors, SweepsMatchScalarFloatFormulaBitwise) {
  CorrelationSensorParams p = mini_params();
  p.rows = 29;
  p.columns = 19;
  p.tau_min_us = 0.01;
  int clamped = 0, saturated = 0, synapses = 0;
  // Short τ: some pairs reach the exp clamp (Δt/τ > 87); long τ and a low range: saturation.
  for (const auto& [tau, wide] :
       {std::pair{0.05, false}, {0.05, true}, {5.0, false}, {5.0, true}}) {
    p.tau_us = tau;
    p.range_lsb = tau < 1.0 ? 9.0 : 3.0;
    detail::use_wide_sweep(wide);
    CorrelationSensors s(p, 11);
    s.set_enable(3, 4, false);
    std::vector<Event> events = random_events(5, p.rows, p.columns, 4000, 0.05);
    for (std::size_t i = events.size() / 2; i < events.size(); ++i) events[i].index %= 7;
    const std::size_t n = static_cast<std::size_t>(p.rows * p.columns);
    std::vector<float> causal(n, 0.0f), acausal(n, 0.0f);
    std::vector<double> last_pre(p.rows, CorrelationSensors::kNever);
    std::vector<double> last_post(p.columns, CorrelationSensors::kNever);
    const float range = static_cast<float>(p.range_lsb);
    auto add = [&](float& acc, SensorChannel ch, int r, int c, double tp, double t_prev, double t) {
      const float dt = static_cast<float>(t - tp);
      const float since_prev = static_cast<float>(tp - t_prev);
      const float pair = (dt > 0.0f && since_prev > 0.0f) ? 1.0f : 0.0f;
      const float amp = s.enabled(r, c) ? static_cast<float>(s.amplitude_lsb(ch, r, c)) : 0.0f;
      const float nit = static_cast<float>(-1.0 / s.tau_us(ch, r, c));
      clamped += pair > 0.0f && dt * nit < -87.0f;
      const float v = acc + pair * amp * detail::exp_nonpositive(dt * nit);
      acc = v < range ? v : range;
    };
    for (const Event& e : events) {
      if (e.pre) {
        for (int c = 0; c < p.columns; ++c)
          add(acausal[e.index * p.columns + c], kA, e.index, c, last_post[c], last_pre[e.index],
              e.t_us);
        last_pre[e.index] = e.t_us;
        s.on_pre(e.index, e.t_us);
      } else {
        for (int r = 0; r < p.rows; ++r)
          add(causal[r * p.columns + e.index], kC, r, e.index, last_pre[r], last_post[e.index],
              e.t_us);
        last_post[e.index] = e.t_us;
        s.on_post(e.index, e.t_us);
      }
    }
    for (int r = 0; r < p.rows; ++r) {
      for (int c = 0; c < p.columns; ++c) {
        const float want_c = causal[r * p.columns + c], want_a = acausal[r * p.columns + c];
        ASSERT_EQ(static_cast<float>(s.accumulated_lsb(kC, r, c, 0.0)), want_c) << r << " " << c;
        ASSERT_EQ(static_cast<float>(s.accumulated_lsb(kA, r, c, 0.0)), want_a) << r << " " << c;
        saturated += (want_c == range) + (want_a == range);
      }
    }
    synapses += 2 * p.rows * p.columns;
  }
  EXPECT_GT(saturated, 0) << "no synapse saturated: the test misses the range clamp";
  EXPECT_LT(saturated, synapses / 2) << "most synapses saturated: the test is weak";
  EXPECT_GT(clamped, 0) << "no pair below the exp clamp: the test misses that region";
  detail::use_wide_sweep(true);
}

TEST(CorrelationSensors, TimeGoingBackwardsIsAnInternalError) {
  CorrelationSensors s(mini_params(), 1);
  s.on_pre(0, 5.0);
  EXPECT_THROW(s.on_post(0, 4.0), InternalError);
  EXPECT_THROW(s.on_pre(32, 6.0), InternalError);
  EXPECT_THROW(s.on_post(-1, 6.0), InternalError);
}

TEST(CorrelationSensors, SaturatesAtRangeFloor) {
  CorrelationSensorParams p = mini_params();
  p.sigma_amplitude = p.sigma_tau = 0.0;
  p.amplitude_lsb = 7.0;
  p.range_lsb = 100.0;
  CorrelationSensors s(p, 3);
  ColumnAdc adc(ideal_adc(p.columns), 3);
  double t = 0.0;
  for (int k = 0; k < 40; ++k) {  // 40 pairs × ~6.3 LSB > range
    s.on_pre(0, t);
    s.on_post(0, t + 0.5);
    t += 200.0;
  }
  EXPECT_FLOAT_EQ(s.accumulated_lsb(kC, 0, 0, t), 100.0);
  EXPECT_FLOAT_EQ(s.analog_lsb(kC, 0, 0, t), 120.0);
  std::vector<std::uint8_t> cc, ac;
  adc.convert_row(s, 0, t, cc, ac);
  EXPECT_EQ(cc[0], 120);
  EXPECT_EQ(cc[1], 220);  // column 1 never fired
  // Acausal of (0,0): each new pre paired with the post 199.5 µs earlier: e^-39.9 ≈ 0.
  EXPECT_EQ(ac[0], 220);
}

TEST(CorrelationSensors, ResetRowAndAll) {
  CorrelationSensorParams p = mini_params();
  p.amplitude_lsb = 10.0;
  CorrelationSensors s(p, 4);
  for (int r = 0; r < p.rows; ++r) s.on_pre(r, 10.0);
  for (int c = 0; c < p.columns; ++c) s.on_post(c, 11.0);
  for (int r = 0; r < p.rows; ++r) s.on_pre(r, 12.0);  // acausal pairs too
  for (int c = 0; c < p.columns; ++c) {
    ASSERT_GT(s.accumulated_lsb(kC, 5, c, 20.0), 1.0);
    ASSERT_GT(s.accumulated_lsb(kA, 5, c, 20.0), 1.0);
  }
  s.reset_row(5, 20.0);
  for (int r = 0; r < p.rows; ++r) {
    for (int c = 0; c < p.columns; ++c) {
      if (r == 5) {
        ASSERT_EQ(s.analog_lsb(kC, r, c, 21.0), p.baseline_lsb);
        ASSERT_EQ(s.analog_lsb(kA, r, c, 21.0), p.baseline_lsb);
      } else {
        ASSERT_GT(s.accumulated_lsb(kC, r, c, 21.0), 1.0);
        ASSERT_GT(s.accumulated_lsb(kA, r, c, 21.0), 1.0);
      }
    }
  }
  s.reset_all(30.0);
  for (int r = 0; r < p.rows; ++r)
    for (int c = 0; c < p.columns; ++c) {
      ASSERT_EQ(s.analog_lsb(kC, r, c, 31.0), p.baseline_lsb);
      ASSERT_EQ(s.analog_lsb(kA, r, c, 31.0), p.baseline_lsb);
    }
  // Reset clears the capacitor, not the pairing memory: a post now pairs with the pre at 12.
  s.on_post(0, 32.0);
  EXPECT_NEAR(s.accumulated_lsb(kC, 0, 0, 32.0),
              s.amplitude_lsb(kC, 0, 0) * std::exp(-20.0 / s.tau_us(kC, 0, 0)), 1e-5);
}

TEST(CorrelationSensors, LinearDriftTowardsBaseline) {
  CorrelationSensorParams p = mini_params();
  p.sigma_amplitude = p.sigma_tau = 0.0;
  p.amplitude_lsb = 40.0;
  p.drift_lsb_per_ms = 2.0;
  CorrelationSensors s(p, 5);
  s.on_pre(0, 0.0);
  s.on_post(0, 1.0);
  const double x0 = 40.0 * std::exp(-1.0 / 5.0);
  EXPECT_NEAR(s.accumulated_lsb(kC, 0, 0, 1.0), x0, 1e-5);
  EXPECT_NEAR(s.accumulated_lsb(kC, 0, 0, 1001.0), x0 - 2.0, 1e-5);
  EXPECT_NEAR(s.accumulated_lsb(kC, 0, 0, 5001.0), x0 - 10.0, 1e-5);
  EXPECT_EQ(s.accumulated_lsb(kC, 0, 0, 1e6), 0.0);  // floored at baseline
  // Lazy drift: a later pair adds to the drifted value.
  s.on_pre(0, 3000.0);
  s.on_post(0, 3002.0);
  const double x1 = (x0 - 2.0 * 3001.0 / 1000.0) + 40.0 * std::exp(-2.0 / 5.0);
  EXPECT_NEAR(s.accumulated_lsb(kC, 0, 0, 3002.0), x1, 1e-4);
  EXPECT_NEAR(s.accumulated_lsb(kC, 0, 0, 4002.0), x1 - 2.0, 1e-4);
  // Other synapses: untouched and at baseline.
  EXPECT_EQ(s.accumulated_lsb(kC, 1, 1, 4002.0), 0.0);
}

TEST(CorrelationSensors, ExponentialAndCombinedDrift) {
  CorrelationSensorParams p = mini_params();
  p.sigma_amplitude = p.sigma_tau = 0.0;
  p.amplitude_lsb = 40.0;
  p.drift_tau_ms = 2.0;
  {
    CorrelationSensors s(p, 5);
    s.on_post(3, 0.0);
    s.on_pre(4, 1.0);  // acausal, Δt = −1
    const double x0 = 40.0 * std::exp(-1.0 / 5.0);
    EXPECT_NEAR(s.accumulated_lsb(kA, 4, 3, 1.0), x0, 1e-5);
    EXPECT_NEAR(s.accumulated_lsb(kA, 4, 3, 2001.0), x0 * std::exp(-1.0), 1e-5);
    EXPECT_NEAR(s.accumulated_lsb(kA, 4, 3, 6001.0), x0 * std::exp(-3.0), 1e-5);
  }
  p.drift_lsb_per_ms = 1.0;
  {
    CorrelationSensors s(p, 5);
    s.on_post(3, 0.0);
    s.on_pre(4, 1.0);
    const double x0 = 40.0 * std::exp(-1.0 / 5.0);
    // dx/dt = −x/τ − r: x(t) = (x0 + rτ)e^(−t/τ) − rτ with rτ = 2 LSB.
    EXPECT_NEAR(s.accumulated_lsb(kA, 4, 3, 2001.0), (x0 + 2.0) * std::exp(-1.0) - 2.0, 1e-5);
    EXPECT_EQ(s.accumulated_lsb(kA, 4, 3, 100001.0), 0.0);
    // Splitting the interval at a touch gives the same value: the drift flow composes.
    s.on_post(3, 1500.0);
    s.on_pre(4, 1600.0);  // acausal pair with Δt = −100 µs: adds 40·e^-20 ≈ 1e-7, touches
    EXPECT_NEAR(s.accumulated_lsb(kA, 4, 3, 2001.0), (x0 + 2.0) * std::exp(-1.0) - 2.0, 1e-5);
  }
}

TEST(CorrelationSensors, MismatchSpreadsMatchConfig) {
  CorrelationSensorParams p = mini_params();
  p.rows = 128;
  p.columns = 128;  // 16384 synapses per channel
  CorrelationSensors s(p, 11);
  for (SensorChannel ch : {kC, kA}) {
    std::vector<double> a, t, t_eff;
    for (int r = 0; r < p.rows; ++r)
      for (int c = 0; c < p.columns; ++c) {
        a.push_back(s.amplitude_mismatch(ch, r, c));
        t.push_back(s.tau_mismatch(ch, r, c));
        t_eff.push_back(s.tau_us(ch, r, c));
        ASSERT_GE(s.tau_us(ch, r, c), p.tau_min_us);
        ASSERT_LE(s.tau_us(ch, r, c), p.tau_max_us);
        ASSERT_NEAR(s.amplitude_lsb(ch, r, c), p.amplitude_lsb * a.back(), 1e-6);
      }
    EXPECT_NEAR(rel_sd(a), 0.20, 0.05 * 0.20);
    EXPECT_NEAR(rel_sd(t), 0.15, 0.05 * 0.15);
    EXPECT_NEAR(rel_sd(t_eff), 0.15, 0.05 * 0.15);
    double mean_a = 0.0;
    for (double x : a) mean_a += x;
    EXPECT_NEAR(mean_a / a.size(), 1.0, 0.01);
  }
  // Causal and acausal circuits are independent.
  double cov = 0.0;
  for (int r = 0; r < p.rows; ++r)
    for (int c = 0; c < p.columns; ++c)
      cov += (s.amplitude_mismatch(kC, r, c) - 1.0) * (s.amplitude_mismatch(kA, r, c) - 1.0);
  EXPECT_LT(std::abs(cov / (p.rows * p.columns) / (0.2 * 0.2)), 0.05);
}

TEST(CorrelationSensors, ScaleFromChipConfig) {
  ChipConfig chip;
  chip.mismatch.scale = 0.5;
  const auto p = CorrelationSensorParams::from_config(chip);
  EXPECT_DOUBLE_EQ(p.sigma_amplitude, 0.10);
  EXPECT_DOUBLE_EQ(p.sigma_tau, 0.075);
  EXPECT_EQ(p.rows, 256);
  EXPECT_EQ(p.columns, 256);
  EXPECT_DOUBLE_EQ(p.readout_noise_lsb, 1.0);
  EXPECT_DOUBLE_EQ(p.baseline_lsb, 220.0);
  CorrelationSensors s(p, 1, 1);
  EXPECT_EQ(s.rows(), 256);
  chip.sensors.tau_min_us = 40.0;
  EXPECT_THROW(CorrelationSensors(CorrelationSensorParams::from_config(chip), 1), UserError);
}

TEST(CorrelationSensors, ZeroSpreadGivesIdenticalSynapses) {
  CorrelationSensorParams p = mini_params();
  p.sigma_amplitude = 0.0;
  p.sigma_tau = 0.0;
  CorrelationSensors s(p, 12);
  for (SensorChannel ch : {kC, kA})
    for (int r = 0; r < p.rows; ++r)
      for (int c = 0; c < p.columns; ++c) {
        ASSERT_EQ(s.amplitude_lsb(ch, r, c), p.amplitude_lsb);
        ASSERT_EQ(s.tau_us(ch, r, c), p.tau_us);
      }
  // Switching one spread off leaves the other's draws unchanged.
  CorrelationSensorParams q = mini_params();
  q.sigma_amplitude = 0.0;
  CorrelationSensors s_tau_only(q, 99);
  CorrelationSensors s_both(mini_params(), 99);
  for (int r = 0; r < p.rows; ++r)
    for (int c = 0; c < p.columns; ++c)
      ASSERT_EQ(s_tau_only.tau_us(kC, r, c), s_both.tau_us(kC, r, c));
}

TEST(CorrelationSensors, SeededReproducibility) {
  CorrelationSensorParams p = mini_params();
  p.readout_noise_lsb = 1.0;
  CorrelationSensors a(p, 42), b(p, 42), c(p, 43), other_half(p, 42, 1);
  int differ_seed = 0, differ_half = 0;
  for (int r = 0; r < p.rows; ++r)
    for (int col = 0; col < p.columns; ++col) {
      ASSERT_EQ(a.amplitude_lsb(kC, r, col), b.amplitude_lsb(kC, r, col));
      ASSERT_EQ(a.tau_us(kA, r, col), b.tau_us(kA, r, col));
      differ_seed += a.amplitude_lsb(kC, r, col) != c.amplitude_lsb(kC, r, col);
      differ_half += a.amplitude_lsb(kC, r, col) != other_half.amplitude_lsb(kC, r, col);
    }
  EXPECT_GT(differ_seed, p.rows * p.columns * 9 / 10);
  EXPECT_GT(differ_half, p.rows * p.columns * 9 / 10);
  std::vector<float> ca(p.columns), aa(p.columns), cb(p.columns), ab(p.columns);
  a.read_row(3, 0.0, ca.data(), aa.data());
  b.read_row(3, 0.0, cb.data(), ab.data());
  EXPECT_EQ(ca, cb);
  EXPECT_EQ(aa, ab);
}

TEST(CorrelationSensors, ReadoutNoiseIsTemporalWithConfiguredSigma) {
  CorrelationSensorParams p = mini_params();
  p.readout_noise_lsb = 1.5;
  CorrelationSensors s(p, 8);
  std::vector<float> c1(p.columns), a1(p.columns), c2(p.columns), a2(p.columns);
  s.read_row(0, 0.0, c1.data(), a1.data());
  s.read_row(0, 0.0, c2.data(), a2.data());
  EXPECT_NE(c1, c2);
  std::vector<double> dev;
  for (int k = 0; k < 400; ++k) {
    s.read_row(k % p.rows, 0.0, c1.data(), a1.data());
    for (int c = 0; c < p.columns; ++c) {
      dev.push_back(c1[c] - p.baseline_lsb);
      dev.push_back(a1[c] - p.baseline_lsb);
    }
  }
  double m = 0.0, v = 0.0;
  for (double d : dev) m += d;
  m /= dev.size();
  for (double d : dev) v += (d - m) * (d - m);
  EXPECT_NEAR(m, 0.0, 0.02);
  EXPECT_NEAR(std::sqrt(v / (dev.size() - 1)), 1.5, 0.05 * 1.5);
  // The oracle is noiseless.
  EXPECT_EQ(s.analog_lsb(kC, 0, 0, 0.0), p.baseline_lsb);
}

TEST(CorrelationSensors, TrimsMoveAmplitudeAndTauByDocumentedSteps) {
  CorrelationSensorParams p = mini_params();
  p.trim_step_amplitude = 0.12;
  p.trim_step_tau = 0.08;
  CorrelationSensors s(p, 21);
  EXPECT_EQ(s.nominal_trim_code(), 2);
  EXPECT_EQ(s.amplitude_trim(4, 5), 2);
  EXPECT_EQ(s.tau_trim(4, 5), 2);
  for (SensorChannel ch : {kC, kA}) {
    s.set_trim(4, 5, 2, 2);
    const double a_mm = s.amplitude_mismatch(ch, 4, 5);
    const double t_mm = s.tau_mismatch(ch, 4, 5);
    EXPECT_NEAR(s.amplitude_lsb(ch, 4, 5), p.amplitude_lsb * a_mm, 1e-7);
    for (int code = 0; code < 4; ++code) {
      s.set_trim(4, 5, code, 3 - code);
      EXPECT_NEAR(s.amplitude_lsb(ch, 4, 5), p.amplitude_lsb * a_mm * (1.0 + 0.12 * (code - 2)),
                  1e-7);
      const double want_tau =
          std::clamp(p.tau_us * t_mm * (1.0 + 0.08 * (1 - code)), p.tau_min_us, p.tau_max_us);
      EXPECT_NEAR(s.tau_us(ch, 4, 5), want_tau, 1e-6);
    }
  }
  EXPECT_THROW(s.set_trim(0, 0, 4, 0), UserError);
  EXPECT_THROW(s.set_trim(0, 0, 0, -1), UserError);
  // The hot path uses the trimmed values.
  s.set_trim(4, 5, 3, 0);
  s.on_pre(4, 0.0);
  s.on_post(5, 2.0);
  EXPECT_NEAR(s.accumulated_lsb(kC, 4, 5, 2.0),
              s.amplitude_lsb(kC, 4, 5) * std::exp(-2.0 / s.tau_us(kC, 4, 5)), 1e-5);
  // τ trims are clipped into the circuit's range.
  CorrelationSensorParams q = mini_params();
  q.sigma_tau = 0.0;
  q.tau_us = 29.0;
  q.trim_step_tau = 0.2;
  CorrelationSensors t(q, 1);
  t.set_trim(0, 0, 2, 3);
  EXPECT_EQ(t.tau_us(kC, 0, 0), 30.0);
}

TEST(CorrelationSensors, DisabledSensorNeverAccumulates) {
  CorrelationSensorParams p = mini_params();
  CorrelationSensors s(p, 2);
  EXPECT_TRUE(s.enabled(1, 1));
  s.set_enable(1, 1, false);
  EXPECT_FALSE(s.enabled(1, 1));
  s.on_post(1, 0.0);
  s.on_post(0, 0.0);
  s.on_pre(1, 1.0);
  s.on_post(1, 2.0);
  EXPECT_EQ(s.accumulated_lsb(kC, 1, 1, 3.0), 0.0);
  EXPECT_EQ(s.accumulated_lsb(kA, 1, 1, 3.0), 0.0);
  EXPECT_GT(s.accumulated_lsb(kA, 1, 0, 3.0), 0.0);  // the row's other synapses still pair
  s.set_enable(1, 1, true);
  s.on_pre(1, 4.0);
  EXPECT_GT(s.accumulated_lsb(kA, 1, 1, 4.0), 0.0);
}

}  // namespace
}  // namespace salvo
