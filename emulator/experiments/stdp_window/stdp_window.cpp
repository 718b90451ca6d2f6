#include "emulator/experiments/stdp_window/stdp_window.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "emulator/experiments/wiring.hpp"
#include "emulator/measures/stdp_window_fit.hpp"
#include "hw/common/error.hpp"

namespace salvo::experiments {

using namespace config;
using measures::ExpWindowFit;

namespace {

// The sensors' nearest-neighbour rule replayed on the host from known pre and recorded post
// times of one column: returns the pairs' Δt (causal > 0, acausal < 0).
void pairs(const std::vector<double>& pre, const std::vector<double>& post,
           std::vector<double>& out) {
  out.clear();
  double last_pre = -std::numeric_limits<double>::infinity();
  double last_post = -std::numeric_limits<double>::infinity();
  std::size_t i = 0, j = 0;
  while (i < pre.size() || j < post.size()) {
    // Same time: the pre spike is taken first (as the sensor model documents).
    if (j >= post.size() || (i < pre.size() && pre[i] <= post[j])) {
      if (last_post > last_pre) out.push_back(last_post - pre[i]);
      last_pre = pre[i++];
    } else {
      if (last_pre > last_post) out.push_back(post[j] - last_pre);
      last_post = post[j++];
    }
  }
}

// Fits readout_p = A · Σ_k exp(−|Δt_pk|/τ) over the points p of one synapse, every pair k
// the sensor saw counted (neurons fire short bursts, so one point holds several pairs): A in
// closed form for each τ, τ by golden-section search on log τ.
ExpWindowFit fit_pairs(const std::vector<const std::vector<double>*>& pair_dts,
                       const std::vector<double>& value, double tau_lo, double tau_hi) {
  auto solve = [&](double tau, double& a) {
    double ss = 0, rs = 0, rr = 0;
    for (std::size_t p = 0; p < value.size(); ++p) {
      double sp = 0;
      for (double d : *pair_dts[p]) sp += std::exp(-d / tau);
      ss += sp * sp;
      rs += value[p] * sp;
      rr += value[p] * value[p];
    }
    a = ss > 0 ? rs / ss : 0.0;
    return rr - 2 * a * rs + a * a * ss;  // residual sum of squares
  };
  ExpWindowFit f;
  int used = 0;
  for (std::size_t p = 0; p < value.size(); ++p) used += pair_dts[p]->empty() ? 0 : 1;
  f.points = used;
  if (used < 3) return f;
  const double g = (std::sqrt(5.0) - 1) / 2;
  double lo = std::log(tau_lo), hi = std::log(tau_hi), a_dummy;
  double x1 = hi - g * (hi - lo), x2 = lo + g * (hi - lo);
  double f1 = solve(std::exp(x1), a_dummy), f2 = solve(std::exp(x2), a_dummy);
  for (int it = 0; it < 60; ++it) {
    if (f1 < f2) {
      hi = x2, x2 = x1, f2 = f1, x1 = hi - g * (hi - lo), f1 = solve(std::exp(x1), a_dummy);
    } else {
      lo = x1, x1 = x2, f1 = f2, x2 = lo + g * (hi - lo), f2 = solve(std::exp(x2), a_dummy);
    }
  }
  f.tau_us = std::exp(0.5 * (lo + hi));
  solve(f.tau_us, f.amplitude);
  // A fit pinned to the search bounds found no exponential in the data.
  f.ok = f.amplitude > 0 && f.tau_us > tau_lo * 1.05 && f.tau_us < tau_hi / 1.05;
  return f;
}

}  // namespace

// Points each side's exponential fit needs at least (measures::fit_exp_window).
constexpr std::size_t kFitPoints = 3;

const Fields<StdpWindowParams>& StdpWindow::fields() {
  using P = StdpWindowParams;
  static const Fields<P> f = {
      field("half", &P::half, 0, 1, "chip half measured"),
      field("rows", &P::rows, 2, 256, "measured synapse rows (the first ones)"),
      field("columns", &P::columns, 1, 256, "measured neuron columns (the first ones)"),
      field("trigger_rows", &P::trigger_rows, 2, 128,
            "rows at the end of the array that make the measured neurons fire"),
      field("trigger_weight", &P::trigger_weight, 1, 255, "weight of the trigger synapses"),
      field("pairs_per_point", &P::pairs_per_point, 1, 10000,
            "pre/post pairs accumulated before each readout"),
      field("period_us", &P::period_us, 1.0, 1e6, "time between pairs (isolation)"),
      list("dt_us", &P::dt_us, 2 * kFitPoints, Float(0, -1000, 1000, "Δt"),
           "nominal Δt = t_post − t_pre (µs): the pre spike is sent Δt before the trigger; the fit "
           "uses the Δt measured from recorded spikes"),
  };
  return f;
}

void StdpWindow::check(const Params& p, const Checker& check) {
  const ChipConfig& chip = check.chip;
  const int rows_total = chip.synapses.rows_per_half;
  const int rpd = chip.drivers.rows_per_driver;
  check.require(p.half < chip.halves, "half", fmt::format("{} does not exist", p.half),
                fmt::format("0..{}", chip.halves - 1));
  check.require(p.rows + p.trigger_rows <= rows_total, "rows",
                fmt::format("rows + trigger_rows = {} exceeds the {} rows of chip '{}'",
                            p.rows + p.trigger_rows, rows_total, chip.name),
                fmt::format("<= {}", rows_total));
  check.require(p.columns <= chip.neurons.per_half, "columns",
                fmt::format("{} exceeds {} neurons per half", p.columns, chip.neurons.per_half),
                fmt::format("<= {}", chip.neurons.per_half));
  check.require(p.trigger_rows % rpd == 0, "trigger_rows",
                fmt::format("{} is not a multiple of drivers.rows_per_driver", p.trigger_rows),
                fmt::format("multiples of {}", rpd));
  check.require(p.rows % rpd == 0, "rows",
                fmt::format("{} is not a multiple of drivers.rows_per_driver", p.rows),
                fmt::format("multiples of {}", rpd));
  std::size_t causal = 0, acausal = 0;
  for (double d : p.dt_us) {
    causal += d > 0;
    acausal += d < 0;
  }
  check.require(causal >= kFitPoints && acausal >= kFitPoints, "dt_us",
                fmt::format("{} positive and {} negative offsets; each side's exponential fit "
                            "needs {}",
                            causal, acausal, kFitPoints),
                fmt::format("at least {} Δt > 0 and {} Δt < 0", kFitPoints, kFitPoints));
  double max_abs = 0;
  for (double d : p.dt_us) max_abs = std::max(max_abs, std::fabs(d));
  check.require(p.period_us >= 2 * max_abs + 20, "period_us",
                fmt::format("{} µs leaves no isolation between pairs", p.period_us),
                fmt::format(">= 2·max|dt_us| + 20 = {}", 2 * max_abs + 20));
}

void StdpWindow::run(RunContext& ctx) {
  session::Session s(ctx);
  wire(s);
  for (std::size_t p = 0; p < p_.dt_us.size(); ++p) results_.push_back(measure_point(s, p));
  s.finish();
  write_window(ctx);
  fit_and_write(ctx, s.core());
}

void StdpWindow::wire(session::Session& s) {
  AnalogCore& core = s.core();
  const auto& cfg = s.chip_config();
  const int rows_total = cfg.synapses.rows_per_half;
  const int rpd = cfg.drivers.rows_per_driver;
  max_abs_dt_ = 0.0;
  for (double d : p_.dt_us) max_abs_dt_ = std::max(max_abs_dt_, std::fabs(d));
  default_routing(core);
  auto& syn = core.synapses(p_.half);
  const int first_trig = rows_total - p_.trigger_rows;
  for (int r = first_trig; r < rows_total; ++r)
    for (int c = 0; c < p_.columns; ++c) {
      syn.set_weight(r, c, p_.trigger_weight);
      syn.set_label(r, c, row_address(core, r, -1));
    }
  const double latency = cfg.buses.latency_us;
  const double lead_in = max_abs_dt_ + 10.0;  // before the first trigger of a point
  point_len_ = lead_in + p_.pairs_per_point * p_.period_us;
  const std::size_t points = p_.dt_us.size();
  // The run ends with the last point's readout.
  s.plan((points - 1) * (point_len_ + 5.0) + point_len_);

  // The whole schedule is known in advance: playback it.
  std::vector<Event> events;
  pre_times_.assign(points, {});
  point_start_.assign(points, 0.0);
  for (std::size_t p = 0; p < points; ++p) {
    point_start_[p] = p * (point_len_ + 5.0);
    for (int k = 0; k < p_.pairs_per_point; ++k) {
      const double t_trig = point_start_[p] + lead_in + k * p_.period_us;
      for (int r = first_trig; r < rows_total; r += rpd)
        for (int a = 0; a < rpd; ++a)
          events.push_back(
              {t_trig, AnalogCore::row_label(p_.half, r + a, rpd, row_address(core, r + a, -1))});
      const double t_pre = t_trig - p_.dt_us[p];  // nominal Δt = t_post − t_pre
      for (int r = 0; r < p_.rows; r += rpd)
        events.push_back({t_pre, AnalogCore::row_label(p_.half, r, rpd, 0)});
      pre_times_[p].push_back(t_pre + latency);
    }
  }
  core.add_playback(events);
}

StdpWindow::PointResult StdpWindow::measure_point(session::Session& s, std::size_t p) {
  AnalogCore& core = s.core();
  const auto& cfg = s.chip_config();
  const int n_rows = p_.rows, n_cols = p_.columns, half = p_.half;
  std::vector<std::uint8_t> c0(core.neurons_per_half()), a0(c0.size()), c1(c0.size()),
      a1(c0.size());
  std::vector<double> base_c(static_cast<std::size_t>(n_rows) * n_cols), base_a(base_c.size());
  s.advance_to(point_start_[p]);
  core.sensors(half).reset_all(core.now_us());
  // Reading right after the reset: the per-channel zero (offsets) the lab subtracts.
  for (int r = 0; r < n_rows; ++r) {
    core.cadc(half).convert_row(core.sensors(half), r, core.now_us(), c0.data(), a0.data());
    for (int c = 0; c < n_cols; ++c) {
      base_c[r * n_cols + c] = c0[c];
      base_a[r * n_cols + c] = a0[c];
    }
  }
  const double t_read = point_start_[p] + point_len_;
  s.advance_to(t_read);
  PointResult res;
  res.dt_nominal_us = p_.dt_us[p];
  res.causal.resize(base_c.size());
  res.acausal.resize(base_c.size());
  for (int r = 0; r < n_rows; ++r) {
    core.cadc(half).convert_row(core.sensors(half), r, core.now_us(), c1.data(), a1.data());
    for (int c = 0; c < n_cols; ++c) {
      res.causal[r * n_cols + c] = base_c[r * n_cols + c] - c1[c];
      res.acausal[r * n_cols + c] = base_a[r * n_cols + c] - a1[c];
    }
  }
  // Post spike times of each measured column inside this point.
  std::vector<std::vector<double>> post(n_cols);
  for (const auto& sp : core.spikes()) {
    const int col = sp.neuron - half * core.neurons_per_half();
    // The sensors see a post spike sensors.post_delay_us after it (as pre spikes after the bus).
    if (col >= 0 && col < n_cols && sp.t_us >= point_start_[p] && sp.t_us < t_read)
      post[col].push_back(sp.t_us + cfg.sensors.post_delay_us);
  }
  res.dt_causal.assign(n_cols, 0.0);
  res.dt_acausal.assign(n_cols, 0.0);
  res.n_causal.assign(n_cols, 0);
  res.n_acausal.assign(n_cols, 0);
  res.pairs_causal.assign(n_cols, {});
  res.pairs_acausal.assign(n_cols, {});
  double dt_sum = 0;
  int dt_n = 0;
  std::vector<double> dts;
  for (int c = 0; c < n_cols; ++c) {
    pairs(pre_times_[p], post[c], dts);
    for (double d : dts) {
      // Pairs with the neighbouring repetition (|Δt| ~ period) add nothing measurable
      // (e^{-period/τ}) but would spoil the mean Δt of the point.
      if (std::fabs(d) > max_abs_dt_ + 20.0) continue;
      dt_sum += d;
      ++dt_n;
      (d > 0 ? res.pairs_causal : res.pairs_acausal)[c].push_back(std::fabs(d));
      if (d > 0) {
        res.dt_causal[c] += d;
        ++res.n_causal[c];
      } else if (d < 0) {
        res.dt_acausal[c] += d;
        ++res.n_acausal[c];
      }
    }
    if (res.n_causal[c]) res.dt_causal[c] /= res.n_causal[c];
    if (res.n_acausal[c]) res.dt_acausal[c] /= res.n_acausal[c];
  }
  res.dt_measured_us = dt_n ? dt_sum / dt_n : p_.dt_us[p];
  return res;
}

void StdpWindow::write_window(RunContext& ctx) const {
  // window.csv: per nominal Δt, mean and σ across synapses of the readout per pair.
  output::CsvWriter win(ctx.out / "window.csv", {"dt_us", "causal_mean", "causal_std",
                                                 "acausal_mean", "acausal_std", "dt_nominal_us"});
  const int reps = p_.pairs_per_point;
  for (const auto& res : results_) {
    double sc = 0, sc2 = 0, sa = 0, sa2 = 0;
    const double n = static_cast<double>(res.causal.size());
    for (std::size_t i = 0; i < res.causal.size(); ++i) {
      const double vc = res.causal[i] / reps, va = res.acausal[i] / reps;
      sc += vc;
      sc2 += vc * vc;
      sa += va;
      sa2 += va * va;
    }
    const double mc = sc / n, ma = sa / n;
    win.row(res.dt_measured_us, mc, std::sqrt(std::max(0.0, sc2 / n - mc * mc)), ma,
            std::sqrt(std::max(0.0, sa2 / n - ma * ma)), res.dt_nominal_us);
  }
  win.close();
}

void StdpWindow::fit_and_write(RunContext& ctx, AnalogCore& core) const {
  // Per-synapse fits, causal and acausal separately.
  output::CsvWriter fits(ctx.out / "fits.csv",
                         {"row", "column", "channel", "amplitude_lsb", "tau_us", "points",
                          "true_amplitude_lsb", "true_tau_us"});
  std::vector<ExpWindowFit> fit_c, fit_a;
  std::vector<double> true_ac, true_aa;
  for (int r = 0; r < p_.rows; ++r) {
    for (int c = 0; c < p_.columns; ++c) {
      for (int ch = 0; ch < 2; ++ch) {
        const bool causal = ch == 0;
        std::vector<const std::vector<double>*> pair_dts;
        std::vector<double> value;
        for (const auto& res : results_) {
          pair_dts.push_back(&(causal ? res.pairs_causal : res.pairs_acausal)[c]);
          value.push_back((causal ? res.causal : res.acausal)[r * p_.columns + c]);
        }
        const ExpWindowFit f = fit_pairs(pair_dts, value, ctx.chip.sensors.tau_min_us / 4,
                                         ctx.chip.sensors.tau_max_us * 4);
        const auto channel = causal ? SensorChannel::kCausal : SensorChannel::kAcausal;
        const double true_a = core.sensors(p_.half).amplitude_lsb(channel, r, c);
        const double true_tau = core.sensors(p_.half).tau_us(channel, r, c);
        fits.row(r, c, causal ? "causal" : "acausal", f.amplitude, f.tau_us, f.points, true_a,
                 true_tau);
        if (f.ok) {
          (causal ? fit_c : fit_a).push_back(f);
          (causal ? true_ac : true_aa).push_back(true_a);
        }
      }
    }
  }
  fits.close();
  auto summary = [](const std::vector<ExpWindowFit>& v, const std::vector<double>& truth) {
    double mt = 0, ma = 0, ma2 = 0, tm = 0, tm2 = 0;
    for (const auto& f : v) {
      mt += f.tau_us;
      ma += f.amplitude;
      ma2 += f.amplitude * f.amplitude;
    }
    for (double a : truth) {
      tm += a;
      tm2 += a * a;
    }
    const double n = std::max<double>(1, v.size());
    const double mean_a = ma / n, mean_t = tm / n;
    return std::array<double, 3>{mt / n,
                                 std::sqrt(std::max(0.0, ma2 / n - mean_a * mean_a)) / mean_a,
                                 std::sqrt(std::max(0.0, tm2 / n - mean_t * mean_t)) / mean_t};
  };
  const auto sc = summary(fit_c, true_ac), sa = summary(fit_a, true_aa);
  ctx.metrics["tau_causal_us"] = sc[0];
  ctx.metrics["tau_acausal_us"] = sa[0];
  ctx.metrics["amplitude_causal_spread"] = sc[1];
  ctx.metrics["amplitude_acausal_spread"] = sa[1];
  ctx.metrics["amplitude_causal_spread_true"] = sc[2];
  ctx.metrics["amplitude_acausal_spread_true"] = sa[2];
  ctx.metrics["synapses_fitted_causal"] = fit_c.size();
  ctx.metrics["synapses_fitted_acausal"] = fit_a.size();
  ctx.metrics["synapses_measured"] = p_.rows * p_.columns;
  ctx.summary_lines.push_back(
      fmt::format("τ causal {:.2f} µs, acausal {:.2f} µs (configured {} µs)", sc[0], sa[0],
                  ctx.chip.sensors.tau_us));
  ctx.summary_lines.push_back(fmt::format(
      "amplitude spread causal {:.1f} % (drawn {:.1f} %), acausal {:.1f} % (drawn {:.1f} %)",
      100 * sc[1], 100 * sc[2], 100 * sa[1], 100 * sa[2]));
  ctx.summary_lines.push_back(fmt::format("{} of {} synapses fitted (causal), {} (acausal)",
                                          fit_c.size(), p_.rows * p_.columns, fit_a.size()));
  if (fit_c.empty() || fit_a.empty())
    throw RunFailure(
        "stdp-window: no synapse could be fitted (did the neurons fire? check "
        "trigger_rows/trigger_weight)");
}

}  // namespace salvo::experiments
