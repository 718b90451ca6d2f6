// Experiment `stdp-window`: measures the correlation sensors the way a calibration lab
// would. Trigger rows make the measured neurons fire at known times; the measured rows get
// one pre spike per repetition at a chosen offset (their weights are 0, so they do not
// disturb the neurons — the sensors pair every pre spike of a row regardless). After a
// block of repetitions at one offset the CADC reads every measured row; the host then fits
// A·exp(−|Δt|/τ) per synapse and channel, with Δt taken from the recorded spike times.
#include "emulator/experiments/stdp_window.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "emulator/experiments/chip_setup.hpp"
#include "emulator/experiments/stdp_window_fit.hpp"
#include "hw/common/error.hpp"

namespace salvo::experiments {

using namespace config;

namespace {

struct PointResult {
  double dt_nominal_us;
  double dt_measured_us;  // mean Δt of the pairs the sensors saw (latency and rise included)
  // Per (row, col): readout (LSB below the post-reset reading), and the paired Δt.
  std::vector<double> causal, acausal;
  std::vector<double> dt_causal, dt_acausal;                     // mean Δt of the pairs per column
  std::vector<int> n_causal, n_acausal;                          // pairs per column
  std::vector<std::vector<double>> pairs_causal, pairs_acausal;  // |Δt| of every pair, per column
};

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

class StdpWindow : public Experiment {
 public:
  void run(RunContext& ctx) override {
    const YAML::Node& e = ctx.exp;
    const int half = e["half"].as<int>();
    const int n_rows = e["rows"].as<int>();
    const int n_cols = e["columns"].as<int>();
    const int n_trig = e["trigger_rows"].as<int>();
    const int reps = e["pairs_per_point"].as<int>();
    const double period = e["period_us"].as<double>();
    std::vector<double> offsets;
    for (const auto& v : e["dt_us"]) offsets.push_back(v.as<double>());

    Chip chip("chip", ctx.chip, ctx.seed);
    AnalogCore& core = chip.core();
    const auto& cfg = ctx.chip;
    const int rows_total = cfg.synapses.rows_per_half;
    const std::string file = ctx.config.experiment_file;
    if (half >= core.halves())
      throw UserError(fmt::format("{}: experiment.half: {} does not exist (allowed: 0..{})", file,
                                  half, core.halves() - 1));
    if (n_rows + n_trig > rows_total)
      throw UserError(
          fmt::format("{}: experiment.rows + trigger_rows = {} exceeds the {} rows of chip '{}' "
                      "(allowed: <= {})",
                      file, n_rows + n_trig, rows_total, cfg.name, rows_total));
    if (n_cols > core.neurons_per_half())
      throw UserError(
          fmt::format("{}: experiment.columns: {} exceeds {} neurons per half (allowed: <= {})",
                      file, n_cols, core.neurons_per_half(), core.neurons_per_half()));
    if (n_trig % cfg.drivers.rows_per_driver != 0 || n_rows % cfg.drivers.rows_per_driver != 0)
      throw UserError(fmt::format(
          "{}: experiment.rows/trigger_rows must be multiples of drivers.rows_per_driver = {}",
          file, cfg.drivers.rows_per_driver));
    const double max_abs = std::max(std::fabs(*std::min_element(offsets.begin(), offsets.end())),
                                    std::fabs(*std::max_element(offsets.begin(), offsets.end())));
    if (period < 2 * max_abs + 20)
      throw UserError(
          fmt::format("{}: experiment.period_us: {} µs leaves no isolation between pairs (allowed: "
                      ">= 2·max|dt_us| + 20 = {})",
                      file, period, 2 * max_abs + 20));

    default_routing(core);
    auto& syn = core.synapses(half);
    const int first_trig = rows_total - n_trig;
    for (int r = first_trig; r < rows_total; ++r)
      for (int c = 0; c < n_cols; ++c) {
        syn.set_weight(r, c, e["trigger_weight"].as<int>());
        syn.set_label(r, c, row_address(core, r, -1));
      }
    const double latency = cfg.buses.latency_us;
    const double lead_in = max_abs + 10.0;  // before the first trigger of a point
    const double point_len = lead_in + reps * period;
    const double total = offsets.size() * (point_len + 5.0);
    ctx.progress.set_total(total);

    // The whole schedule is known in advance: playback it.
    std::vector<Event> events;
    std::vector<std::vector<double>> pre_times(offsets.size());
    std::vector<double> point_start(offsets.size());
    for (std::size_t p = 0; p < offsets.size(); ++p) {
      point_start[p] = p * (point_len + 5.0);
      for (int k = 0; k < reps; ++k) {
        const double t_trig = point_start[p] + lead_in + k * period;
        for (int r = first_trig; r < rows_total; r += cfg.drivers.rows_per_driver)
          for (int a = 0; a < cfg.drivers.rows_per_driver; ++a)
            events.push_back(
                {t_trig, AnalogCore::row_label(half, r + a, cfg.drivers.rows_per_driver,
                                               row_address(core, r + a, -1))});
        const double t_pre = t_trig - offsets[p];  // nominal Δt = t_post − t_pre
        for (int r = 0; r < n_rows; r += cfg.drivers.rows_per_driver)
          events.push_back({t_pre, AnalogCore::row_label(half, r, cfg.drivers.rows_per_driver, 0)});
        pre_times[p].push_back(t_pre + latency);
      }
    }
    core.add_playback(events);

    std::vector<PointResult> results;
    std::vector<std::uint8_t> c0(core.neurons_per_half()), a0(c0.size()), c1(c0.size()),
        a1(c0.size());
    std::vector<double> base_c(static_cast<std::size_t>(n_rows) * n_cols), base_a(base_c.size());
    std::vector<double> dts;
    for (std::size_t p = 0; p < offsets.size(); ++p) {
      run_kernel_to(ctx, chip, point_start[p]);
      core.sensors(half).reset_all(core.now_us());
      // Reading right after the reset: the per-channel zero (offsets) the lab subtracts.
      for (int r = 0; r < n_rows; ++r) {
        core.cadc(half).convert_row(core.sensors(half), r, core.now_us(), c0.data(), a0.data());
        for (int c = 0; c < n_cols; ++c) {
          base_c[r * n_cols + c] = c0[c];
          base_a[r * n_cols + c] = a0[c];
        }
      }
      const double t_read = point_start[p] + point_len;
      run_kernel_to(ctx, chip, t_read);
      PointResult res;
      res.dt_nominal_us = offsets[p];
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
      for (const auto& s : core.spikes()) {
        const int col = s.neuron - half * core.neurons_per_half();
        // The sensors see a post spike sensors.post_delay_us after it (as pre spikes after the
        // bus).
        if (col >= 0 && col < n_cols && s.t_us >= point_start[p] && s.t_us < t_read)
          post[col].push_back(s.t_us + cfg.sensors.post_delay_us);
      }
      res.dt_causal.assign(n_cols, 0.0);
      res.dt_acausal.assign(n_cols, 0.0);
      res.n_causal.assign(n_cols, 0);
      res.n_acausal.assign(n_cols, 0);
      res.pairs_causal.assign(n_cols, {});
      res.pairs_acausal.assign(n_cols, {});
      double dt_sum = 0;
      int dt_n = 0;
      for (int c = 0; c < n_cols; ++c) {
        pairs(pre_times[p], post[c], dts);
        for (double d : dts) {
          // Pairs with the neighbouring repetition (|Δt| ~ period) add nothing measurable
          // (e^{-period/τ}) but would spoil the mean Δt of the point.
          if (std::fabs(d) > max_abs + 20.0) continue;
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
      res.dt_measured_us = dt_n ? dt_sum / dt_n : offsets[p];
      results.push_back(std::move(res));
    }
    collect_stats(ctx, core);
    write_recordings(ctx, core);

    // window.csv: per nominal Δt, mean and σ across synapses of the readout per pair.
    output::CsvWriter win(ctx.out / "window.csv", {"dt_us", "causal_mean", "causal_std",
                                                   "acausal_mean", "acausal_std", "dt_nominal_us"});
    for (const auto& res : results) {
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

    // Per-synapse fits, causal and acausal separately.
    output::CsvWriter fits(ctx.out / "fits.csv",
                           {"row", "column", "channel", "amplitude_lsb", "tau_us", "points",
                            "true_amplitude_lsb", "true_tau_us"});
    std::vector<ExpWindowFit> fit_c, fit_a;
    std::vector<double> true_ac, true_aa;
    WindowFitOptions opts;
    for (int r = 0; r < n_rows; ++r) {
      for (int c = 0; c < n_cols; ++c) {
        for (int ch = 0; ch < 2; ++ch) {
          const bool causal = ch == 0;
          std::vector<const std::vector<double>*> pair_dts;
          std::vector<double> value;
          for (const auto& res : results) {
            pair_dts.push_back(&(causal ? res.pairs_causal : res.pairs_acausal)[c]);
            value.push_back((causal ? res.causal : res.acausal)[r * n_cols + c]);
          }
          const ExpWindowFit f =
              fit_pairs(pair_dts, value, cfg.sensors.tau_min_us / 4, cfg.sensors.tau_max_us * 4);
          const auto channel = causal ? SensorChannel::kCausal : SensorChannel::kAcausal;
          const double true_a = core.sensors(half).amplitude_lsb(channel, r, c);
          const double true_tau = core.sensors(half).tau_us(channel, r, c);
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
    ctx.metrics["synapses_measured"] = n_rows * n_cols;
    ctx.summary_lines.push_back(
        fmt::format("τ causal {:.2f} µs, acausal {:.2f} µs (configured {} µs)", sc[0], sa[0],
                    cfg.sensors.tau_us));
    ctx.summary_lines.push_back(fmt::format(
        "amplitude spread causal {:.1f} % (drawn {:.1f} %), acausal {:.1f} % (drawn {:.1f} %)",
        100 * sc[1], 100 * sc[2], 100 * sa[1], 100 * sa[2]));
    ctx.summary_lines.push_back(fmt::format("{} of {} synapses fitted (causal), {} (acausal)",
                                            fit_c.size(), n_rows * n_cols, fit_a.size()));
    if (fit_c.empty() || fit_a.empty())
      throw RunFailure(
          "stdp-window: no synapse could be fitted (did the neurons fire? check "
          "trigger_rows/trigger_weight)");
  }

 private:
  static void run_kernel_to(RunContext& ctx, Chip& chip, double t_us) {
    const double now = sc_core::sc_time_stamp().to_seconds() * 1e6;
    if (t_us > now) sc_core::sc_start(sc_core::sc_time(t_us - now, sc_core::SC_US));
    chip.core().advance_to(t_us);
    ctx.progress.update(t_us);
  }
};

}  // namespace

ExperimentInfo stdp_window_info() {
  std::vector<std::pair<std::string, SchemaNode>> keys = {
      {"name", Required(Enum("stdp-window", names(), "which experiment this file configures"))},
      {"half", Int(0, 0, 1, "chip half measured")},
      {"rows", Int(32, 2, 256, "measured synapse rows (the first ones)")},
      {"columns", Int(32, 1, 256, "measured neuron columns (the first ones)")},
      {"trigger_rows",
       Int(8, 2, 128, "rows at the end of the array that make the measured neurons fire")},
      {"trigger_weight", Int(63, 1, 255, "weight of the trigger synapses")},
      {"pairs_per_point", Int(40, 1, 10000, "pre/post pairs accumulated before each readout")},
      {"period_us", Float(150.0, 1.0, 1e6, "time between pairs (isolation)")},
      {"dt_us", List(Float(0, -1000, 1000, "Δt"),
                     "[-50, -40, -30, -20, -15, -10, -8, -6, -4, -2, -1, 1, 2, 4, 6, 8, 10, 15, "
                     "20, 30, 40, 50]",
                     "nominal Δt = t_post − t_pre (µs): the pre spike is sent Δt before the "
                     "trigger; the fit uses the Δt measured from recorded spikes")},
  };
  ExperimentInfo info;
  info.name = "stdp-window";
  info.summary =
      "measures the correlation sensors' STDP window with isolated pre/post pairs and fits A, τ "
      "per synapse";
  info.schema = Map(keys);
  info.make = [] { return std::make_unique<StdpWindow>(); };
  return info;
}

}  // namespace salvo::experiments
