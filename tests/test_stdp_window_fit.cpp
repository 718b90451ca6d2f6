// stdp-window fitting: exact and noisy synthetic windows with known A and τ, saturation, failure
// cases, the window table, and one end-to-end measurement through the sensor model and CADC.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "emulator/measures/stdp_window_fit.hpp"
#include "hw/analog/column_adc.hpp"
#include "hw/analog/correlation_sensors.hpp"
#include "hw/common/error.hpp"
#include "hw/common/rng.hpp"

namespace salvo::measures {
namespace {

std::vector<double> dt_grid() {  // µs, both signs, denser near 0 like a lab sweep
  const double mag[] = {0.5, 1, 1.5, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50};
  std::vector<double> g;
  for (double m : mag) g.push_back(-m);
  for (double m : mag) g.push_back(m);
  return g;
}

double mean(const std::vector<double>& v) {
  double s = 0.0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

double rel_sd(const std::vector<double>& v) {
  const double m = mean(v);
  double s = 0.0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size() - 1)) / m;
}

TEST(StdpWindowFit, ExactDataRecoversParameters) {
  std::vector<double> x, y;
  for (double d : dt_grid())
    if (d > 0) {
      x.push_back(d);
      y.push_back(37.5 * std::exp(-d / 6.3));
    }
  const ExpWindowFit f = fit_exp_window(x, y);
  ASSERT_TRUE(f.ok);
  EXPECT_NEAR(f.amplitude, 37.5, 1e-8 * 37.5);
  EXPECT_NEAR(f.tau_us, 6.3, 1e-8 * 6.3);
  EXPECT_EQ(f.points, 17);
  EXPECT_LT(f.rms_residual, 1e-9);
}

TEST(StdpWindowFit, SplitsChannelsBySignOfDt) {
  SynapseWindow w;
  for (double d : dt_grid()) {
    w.dt_us.push_back(d);
    // Each channel responds only on its own side; the other side reads 0 (+ a little junk
    // that must not leak into the fit of the other channel).
    w.causal.push_back(d > 0 ? 30.0 * std::exp(-d / 4.0) : 0.3);
    w.acausal.push_back(d < 0 ? 12.0 * std::exp(d / 9.0) : 0.3);
  }
  const auto fits = fit_synapse_windows({w});
  ASSERT_EQ(fits.size(), 1u);
  ASSERT_TRUE(fits[0].causal.ok);
  ASSERT_TRUE(fits[0].acausal.ok);
  EXPECT_NEAR(fits[0].causal.amplitude, 30.0, 1e-6);
  EXPECT_NEAR(fits[0].causal.tau_us, 4.0, 1e-7);
  EXPECT_NEAR(fits[0].acausal.amplitude, 12.0, 1e-6);
  EXPECT_NEAR(fits[0].acausal.tau_us, 9.0, 1e-7);
}

TEST(StdpWindowFit, SaturatedPointsAreExcluded) {
  std::vector<double> x, y;
  for (double d : dt_grid())
    if (d > 0) {
      x.push_back(d);
      y.push_back(std::min(220.0, 400.0 * std::exp(-d / 5.0)));  // floor of the capacitor
    }
  WindowFitOptions opt;
  opt.saturation_level = 219.9;  // just below the floor value
  const ExpWindowFit f = fit_exp_window(x, y, opt);
  ASSERT_TRUE(f.ok);
  EXPECT_NEAR(f.amplitude, 400.0, 1e-6);
  EXPECT_NEAR(f.tau_us, 5.0, 1e-8);
  EXPECT_EQ(f.points, 17 - 4);  // Δt = 0.5 … 2 µs are saturated
  // Without the exclusion the clipped points bias the fit (the check above is not vacuous).
  const ExpWindowFit biased = fit_exp_window(x, y);
  EXPECT_GT(std::abs(biased.amplitude - 400.0), 0.05 * 400.0);
}

TEST(StdpWindowFit, DegenerateInputsFailCleanly) {
  const std::vector<double> x = {1, 2, 3, 4, 5};
  EXPECT_FALSE(fit_exp_window(x, {0, 0, 0, 0, 0}).ok);
  EXPECT_FALSE(fit_exp_window({1, 2}, {5, 3}).ok);      // fewer than 3 points
  EXPECT_FALSE(fit_exp_window(x, {1, 2, 3, 4, 5}).ok);  // rising: τ < 0
  EXPECT_THROW(fit_exp_window(x, {1, 2}), InternalError);
  // Non-finite points (e.g. a CADC code clipped at 0 or 255) are skipped.
  const double nan = std::nan("");
  std::vector<double> y;
  for (double d : x) y.push_back(10.0 * std::exp(-d / 2.0));
  y[1] = nan;
  const ExpWindowFit f = fit_exp_window(x, y);
  ASSERT_TRUE(f.ok);
  EXPECT_EQ(f.points, 4);
  EXPECT_NEAR(f.tau_us, 2.0, 1e-8);
  const WindowFitSummary s = summarize_window_fits({{fit_exp_window(x, {0, 0, 0, 0, 0}), f}});
  EXPECT_EQ(s.failed_causal, 1);
  EXPECT_EQ(s.fitted_acausal, 1);
  EXPECT_TRUE(std::isnan(s.tau_causal_us));
  EXPECT_TRUE(std::isnan(s.amplitude_acausal_spread));  // one fit: no spread
}

// A population with known per-synapse A and τ, read with 1-LSB Gaussian noise and 8-bit
// quantisation: the summary recovers the mean τ within 2 % and the A spread within 10 %.
TEST(StdpWindowFit, NoisyQuantisedPopulation) {
  Engine eng = make_engine(3, Stream::kExperiment, 0);
  const int n = 3000;
  std::vector<SynapseWindow> syn(n);
  std::vector<double> a_c, a_a, t_c, t_a;
  for (int s = 0; s < n; ++s) {
    const double ac = 20.0 * (1.0 + draw_normal(eng, 0.2));
    const double aa = 20.0 * (1.0 + draw_normal(eng, 0.2));
    const double tc = 5.0 * (1.0 + draw_normal(eng, 0.15));
    const double ta = 5.0 * (1.0 + draw_normal(eng, 0.15));
    a_c.push_back(ac);
    a_a.push_back(aa);
    t_c.push_back(tc);
    t_a.push_back(ta);
    for (double d : dt_grid()) {
      const double vc = d > 0 ? ac * std::exp(-d / tc) : 0.0;
      const double va = d < 0 ? aa * std::exp(d / ta) : 0.0;
      syn[s].dt_us.push_back(d);
      syn[s].causal.push_back(std::round(vc + draw_normal(eng, 1.0)));
      syn[s].acausal.push_back(std::round(va + draw_normal(eng, 1.0)));
    }
  }
  WindowFitOptions opt;
  opt.noise_floor = 2.0;
  const auto fits = fit_synapse_windows(syn, opt);
  const WindowFitSummary sum = summarize_window_fits(fits);
  EXPECT_GE(sum.fitted_causal, n * 99 / 100);
  EXPECT_GE(sum.fitted_acausal, n * 99 / 100);
  EXPECT_NEAR(sum.tau_causal_us, mean(t_c), 0.02 * mean(t_c));
  EXPECT_NEAR(sum.tau_acausal_us, mean(t_a), 0.02 * mean(t_a));
  EXPECT_NEAR(sum.amplitude_causal, mean(a_c), 0.02 * mean(a_c));
  EXPECT_NEAR(sum.amplitude_causal_spread, rel_sd(a_c), 0.10 * rel_sd(a_c));
  EXPECT_NEAR(sum.amplitude_acausal_spread, rel_sd(a_a), 0.10 * rel_sd(a_a));
  // Per synapse the fit is near-efficient: its rms relative τ error is close to the Cramér–Rao
  // bound for Gaussian noise of variance 1 + 1/12 (readout noise plus quantisation).
  double err2 = 0.0, crlb2 = 0.0;
  int used = 0;
  for (int s = 0; s < n; ++s) {
    if (!fits[s].causal.ok) continue;
    double faa = 0.0, fat = 0.0, ftt = 0.0;
    for (double d : dt_grid()) {
      if (d <= 0) continue;
      const double e = std::exp(-d / t_c[s]);
      const double ja = e, jt = a_c[s] * d * e / (t_c[s] * t_c[s]);
      faa += ja * ja;
      fat += ja * jt;
      ftt += jt * jt;
    }
    const double var_tau = (1.0 + 1.0 / 12.0) * faa / (faa * ftt - fat * fat);
    crlb2 += var_tau / (t_c[s] * t_c[s]);
    const double rel = (fits[s].causal.tau_us - t_c[s]) / t_c[s];
    err2 += rel * rel;
    ++used;
  }
  const double rms = std::sqrt(err2 / used), bound = std::sqrt(crlb2 / used);
  EXPECT_LT(rms, 1.25 * bound) << "rms " << rms << " bound " << bound;
  EXPECT_GT(rms, 0.8 * bound) << "rms " << rms << " bound " << bound;
}

TEST(StdpWindowFit, WindowTableMeansAndStds) {
  SynapseWindow a{{-1.0, 2.0}, {0.0, 4.0}, {3.0, 0.0}};
  SynapseWindow b{{-1.0, 2.0}, {0.0, 6.0}, {5.0, 0.0}};
  const auto rows = window_table({a, b});
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].dt_us, -1.0);
  EXPECT_DOUBLE_EQ(rows[0].acausal_mean, 4.0);
  EXPECT_DOUBLE_EQ(rows[0].acausal_std, std::sqrt(2.0));
  EXPECT_DOUBLE_EQ(rows[1].causal_mean, 5.0);
  EXPECT_DOUBLE_EQ(rows[1].causal_std, std::sqrt(2.0));
  SynapseWindow c{{-1.0, 3.0}, {0.0, 6.0}, {5.0, 0.0}};
  EXPECT_THROW(window_table({a, c}), InternalError);
}

// The measurement the `stdp-window` experiment makes, on the device model: per Δt, reset,
// `pairs` isolated pairs on every synapse of a 32×32 array, one CADC read per row, baseline
// subtracted per channel; fits of (LSB per pair).
struct Measured {
  WindowFitSummary summary;
  std::vector<double> drawn_a_causal, drawn_a_acausal;
};

Measured measure(double mismatch_scale, std::uint64_t seed) {
  CorrelationSensorParams sp;
  sp.rows = 32;
  sp.columns = 32;
  sp.sigma_amplitude = 0.20 * mismatch_scale;
  sp.sigma_tau = 0.15 * mismatch_scale;
  sp.readout_noise_lsb = 1.0;
  CorrelationSensors sensors(sp, seed);
  ColumnAdcParams ap;
  ap.columns = 32;
  ap.offset_sigma_lsb = 15.0 * mismatch_scale;
  ColumnAdc adc(ap, seed);
  const int pairs = 40;
  const int n = sp.rows * sp.columns;
  std::vector<SynapseWindow> syn(n);
  std::vector<std::uint8_t> cc, ac;
  double t = 0.0;
  // Baseline per channel: mean of several reads after a reset (readout noise averages out).
  std::vector<double> base_c(n, 0.0), base_a(n, 0.0);
  sensors.reset_all(t);
  const int base_reads = 8;
  for (int k = 0; k < base_reads; ++k)
    for (int r = 0; r < sp.rows; ++r) {
      adc.convert_row(sensors, r, t, cc, ac);
      for (int c = 0; c < sp.columns; ++c) {
        base_c[r * sp.columns + c] += cc[c] / double(base_reads);
        base_a[r * sp.columns + c] += ac[c] / double(base_reads);
      }
    }
  const double nan = std::nan("");
  for (double dt : dt_grid()) {
    t += 500.0;
    sensors.reset_all(t);
    for (int p = 0; p < pairs; ++p) {
      t += 300.0;  // ≫ τ: neighbouring repetitions do not pair measurably
      const double t_pre = dt > 0 ? t : t - dt;
      const double t_post = dt > 0 ? t + dt : t;
      if (dt > 0) {
        for (int r = 0; r < sp.rows; ++r) sensors.on_pre(r, t_pre);
        for (int c = 0; c < sp.columns; ++c) sensors.on_post(c, t_post);
      } else {
        for (int c = 0; c < sp.columns; ++c) sensors.on_post(c, t_post);
        for (int r = 0; r < sp.rows; ++r) sensors.on_pre(r, t_pre);
      }
    }
    t += 100.0;
    for (int r = 0; r < sp.rows; ++r) {
      adc.convert_row(sensors, r, t, cc, ac);
      for (int c = 0; c < sp.columns; ++c) {
        const int i = r * sp.columns + c;
        auto value = [&](int code, double base) {
          // Clipped codes carry no value; a clipped baseline spoils the channel.
          if (code == 0 || code == adc.max_code() || base >= adc.max_code() - 0.5) return nan;
          return (base - code) / pairs;
        };
        syn[i].dt_us.push_back(dt);
        syn[i].causal.push_back(value(cc[c], base_c[i]));
        syn[i].acausal.push_back(value(ac[c], base_a[i]));
      }
    }
  }
  WindowFitOptions opt;
  opt.noise_floor = 2.0 / pairs;
  Measured m;
  m.summary = summarize_window_fits(fit_synapse_windows(syn, opt));
  for (int r = 0; r < sp.rows; ++r)
    for (int c = 0; c < sp.columns; ++c) {
      m.drawn_a_causal.push_back(sensors.amplitude_lsb(SensorChannel::kCausal, r, c));
      m.drawn_a_acausal.push_back(sensors.amplitude_lsb(SensorChannel::kAcausal, r, c));
    }
  return m;
}

TEST(StdpWindowFit, EndToEndIdealChipRecoversTau) {
  const Measured m = measure(0.0, 5);
  EXPECT_EQ(m.summary.fitted_causal, 1024);
  EXPECT_EQ(m.summary.fitted_acausal, 1024);
  EXPECT_NEAR(m.summary.tau_causal_us, 5.0, 0.02 * 5.0);
  EXPECT_NEAR(m.summary.tau_acausal_us, 5.0, 0.02 * 5.0);
  EXPECT_NEAR(m.summary.amplitude_causal, 0.5, 0.02 * 0.5);
  EXPECT_NEAR(m.summary.amplitude_acausal, 0.5, 0.02 * 0.5);
}

TEST(StdpWindowFit, EndToEndReferenceMismatchSpreads) {
  const Measured m = measure(1.0, 6);
  // A few channels whose CADC offset clips the baseline at code 255 cannot be fitted.
  EXPECT_GE(m.summary.fitted_causal, 1000);
  EXPECT_GE(m.summary.fitted_acausal, 1000);
  EXPECT_NEAR(m.summary.amplitude_causal_spread, rel_sd(m.drawn_a_causal),
              0.10 * rel_sd(m.drawn_a_causal));
  EXPECT_NEAR(m.summary.amplitude_acausal_spread, rel_sd(m.drawn_a_acausal),
              0.10 * rel_sd(m.drawn_a_acausal));
  EXPECT_NEAR(m.summary.tau_causal_us, 5.0, 0.03 * 5.0);
}

}  // namespace
}  // namespace salvo::measures
