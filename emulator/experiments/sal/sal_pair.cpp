#include "emulator/experiments/sal/sal_pair.hpp"

#include <cmath>

#include <fmt/format.h>

#include "emulator/calibration/rate_calibration.hpp"
#include "emulator/experiments/sal/sensor_gain.hpp"
#include "emulator/measures/functional_weights.hpp"
#include "emulator/session/session.hpp"
#include "hw/common/error.hpp"

namespace salvo::experiments {

using namespace config;
using measures::asymmetry;
using measures::asymmetry_stderr;
using measures::cross_correlogram;
using measures::functional_matrix;
using measures::FunctionalMatrix;
using measures::FunctionalOptions;

const Fields<SalPairParams>& SalPair::fields() {
  using P = SalPairParams;
  static const Fields<P> f = [] {
    Fields<P> f = {
        duration_field<P>(),
        choice("plastic", &P::plastic, {"both", "one", "none"},
               "which synapses learn: both, only the weaker one (1 -> 0), or none"),
        field("w_strong", &P::w_strong, -255, 255,
              "initial signed code of the strong synapse 0 -> 1 (negative: inhibitory row)"),
        field("w_weak", &P::w_weak, -255, 255, "initial signed code of the weak synapse 1 -> 0"),
        field("functional_d0_us", &P::functional_d0_us, 1e-3, 1e6,
              "functional weights: window after each pre spike starts here (>= bus latency)"),
        field("functional_d1_us", &P::functional_d1_us, 1e-3, 1e6,
              "functional weights: window end (covers the correlogram peak; later the post "
              "neuron's reset makes it dip)"),
        field("functional_part", &P::functional_part, 0.01, 0.5,
              "functional weights are measured over this fraction of the learning run at its "
              "start and at its end"),
    };
    for (auto& k : sal_fields<P>()) f.push_back(std::move(k));
    return f;
  }();
  return f;
}

void SalPair::check(const Params& p, const Checker& check) {
  check_sal_network(2, "plastic", check);
  if (p.executor == "firmware") check_sal_firmware(2, 1, "plastic", check);
  const int wmax = (1 << check.chip.synapses.weight_bits) - 1;
  for (const auto& [key, w] : {std::pair<const char*, int>{"w_strong", p.w_strong},
                               std::pair<const char*, int>{"w_weak", p.w_weak}})
    check.require(
        std::abs(w) <= wmax, key,
        fmt::format("{} exceeds the {}-bit weight range", w, check.chip.synapses.weight_bits),
        fmt::format("-{}..{}, negative = inhibitory", wmax, wmax));
  check.require(
      p.functional_d0_us < p.functional_d1_us, "functional_d1_us",
      fmt::format("the window [{}, {}] µs is empty", p.functional_d0_us, p.functional_d1_us),
      "> experiment.functional_d0_us");
  check_learning_duration(p.duration_us, p.update_period_us, check);
}

void SalPair::run(RunContext& ctx) {
  session::Session s(ctx, on_firmware() ? 1 : 0);
  wire(s);
  calibrate(s);
  learn(s);
  s.finish();
  write_results(s);
}

void SalPair::wire(session::Session& s) {
  net_ = setup_sal_network(s.core(), p_, 2);
  // 0 → 1 is the strong direction, 1 → 0 the weak one.
  set_signed_weight(s.core(), net_, 0, 1, p_.w_strong);
  set_signed_weight(s.core(), net_, 1, 0, p_.w_weak);
  if (p_.plastic == "both") plastic_ = {{0, 1}, {1, 0}};
  if (p_.plastic == "one") plastic_ = {{1, 0}};
  sched_ = sal_schedule(p_);
}

void SalPair::calibrate(session::Session& s) {
  AnalogCore& core = s.core();
  RunContext& ctx = s.ctx();
  // Calibrate with the recurrent synapses off, so each neuron's own operating point is set
  // and the correlation sensors see uncoupled neurons (chance-level correlations only).
  set_signed_weight(core, net_, 0, 1, 0);
  set_signed_weight(core, net_, 1, 0, 0);
  const auto cal_rates = calibration::calibrate_rates(
      s, {net_.neuron(core, 0), net_.neuron(core, 1)},
      {p_.target_rate_hz, p_.calibration_window_us, p_.calibration_iterations});
  ctx.metrics["calibrated_rate_0_hz"] = cal_rates[0];
  ctx.metrics["calibrated_rate_1_hz"] = cal_rates[1];
  host_ = std::make_unique<HostPlasticity>(core, net_, plastic_, sched_, s.seed());
  // Sensor-gain calibration while the neurons are uncoupled (calibrate_sensor_gains).
  const double t_gain = p_.sensor_gain_calibration_us;
  if (t_gain > 0 && !plastic_.empty()) {
    const auto cal = calibrate_sensor_gains(s, net_, plastic_, t_gain);
    gains_ = cal.gain;
    host_->set_gains(gains_);
    for (std::size_t k = 0; k < gains_.size(); ++k) {
      ctx.metrics[fmt::format("sensor_gain_{}{}", plastic_[k].pre, plastic_[k].post)] = gains_[k];
      ctx.metrics[fmt::format("sensor_gain_{}{}_true", plastic_[k].pre, plastic_[k].post)] =
          cal.true_gain[k];
    }
  }
}

void SalPair::learn(session::Session& s) {
  AnalogCore& core = s.core();
  set_signed_weight(core, net_, 0, 1, p_.w_strong);
  set_signed_weight(core, net_, 1, 0, p_.w_weak);
  host_->load_shadow_from_chip();
  e01_0_ = effective_weight(core, net_, 0, 1);
  e10_0_ = effective_weight(core, net_, 1, 0);
  output::CsvWriter weights(s.ctx().out / "weights.csv", {"time_us", "code_01", "code_10",
                                                          "effective_01_mV", "effective_10_mV"});
  t_learn_ = core.now_us();
  // The parts of the learning run the functional weights are measured over, and the mean
  // effective weights over the same parts (sampled with the time series) to compare with.
  const double part_us = p_.functional_part * p_.duration_us;
  const double first_end = t_learn_ + part_us, last_begin = t_learn_ + p_.duration_us - part_us;
  auto sample = [&](double t) {
    const double e01 = effective_weight(core, net_, 0, 1), e10 = effective_weight(core, net_, 1, 0);
    weights.row(t, signed_weight(core, net_, 0, 1), signed_weight(core, net_, 1, 0), e01, e10);
    if (t <= first_end) {
      eff_first_[0] += e01;
      eff_first_[1] += e10;
      ++n_first_;
    }
    if (t >= last_begin) {
      eff_last_[0] += e01;
      eff_last_[1] += e10;
      ++n_last_;
    }
  };
  std::unique_ptr<FirmwarePlasticity> firmware;
  if (on_firmware())
    firmware = std::make_unique<FirmwarePlasticity>(s.firmware(), s.chip_config(),
                                                    session::sal_image(s.chip_config()));
  run_learning(s, on_firmware() ? nullptr : host_.get(), firmware.get(), net_, plastic_, sched_,
               p_.duration_us, p_.sample_period_us, sample, gains_);
  weights.close();
}

void SalPair::write_results(session::Session& s) {
  AnalogCore& core = s.core();
  RunContext& ctx = s.ctx();
  const double e01 = effective_weight(core, net_, 0, 1), e10 = effective_weight(core, net_, 1, 0);
  const int c01 = signed_weight(core, net_, 0, 1), c10 = signed_weight(core, net_, 1, 0);
  // Rates over the learning phase (the calibrations before it run uncoupled).
  std::vector<double> count(2, 0);
  for (const auto& sp : core.spikes())
    if (sp.neuron < 2 && sp.t_us >= t_learn_) count[sp.neuron] += 1;
  ctx.metrics["effective_asymmetry_initial"] = asymmetry(e01_0_, e10_0_);
  ctx.metrics["effective_asymmetry_final"] = asymmetry(e01, e10);
  ctx.metrics["code_asymmetry_final"] = asymmetry(c01, c10);
  ctx.metrics["effective_01_final_mV"] = e01;
  ctx.metrics["effective_10_final_mV"] = e10;
  ctx.metrics["code_01_final"] = c01;
  ctx.metrics["code_10_final"] = c10;
  const double t_end = core.now_us() - t_learn_;
  ctx.metrics["rate_0_hz"] = count[0] / (t_end * 1e-6);
  ctx.metrics["rate_1_hz"] = count[1] / (t_end * 1e-6);
  // Updates the executor in use ran (the firmware counts its own).
  ctx.metrics["updates"] = on_firmware() && ctx.metrics.contains("ppu_updates")
                               ? ctx.metrics["ppu_updates"].get<double>()
                               : static_cast<double>(host_->updates());
  if (!plastic_.empty() && !on_firmware()) {
    // Mean (a − c) and (a + c) per update, LSB, of each plastic synapse: the raw learning signal.
    for (const auto& ps : plastic_) {
      const double u = std::max<double>(1, host_->updates());
      ctx.metrics[fmt::format("signal_{}{}_mean_lsb", ps.pre, ps.post)] =
          host_->d_sum()[ps.pre][0] / u;
      ctx.metrics[fmt::format("hebbian_{}{}_mean_lsb", ps.pre, ps.post)] =
          host_->s_sum()[ps.pre][0] / u;
    }
  }
  functional_metrics(s);
  ctx.summary_lines.push_back(fmt::format("mode {}: codes {} / {} -> {} / {}", p_.plastic,
                                          p_.w_strong, p_.w_weak, c01, c10));
  ctx.summary_lines.push_back(fmt::format(
      "effective weights {:.2f} / {:.2f} mV -> {:.2f} / {:.2f} mV", e01_0_, e10_0_, e01, e10));
  ctx.summary_lines.push_back(fmt::format(
      "effective asymmetry {:.3f} -> {:.3f}; rates {:.1f} / {:.1f} kHz", asymmetry(e01_0_, e10_0_),
      asymmetry(e01, e10), count[0] / t_end * 1e3, count[1] / t_end * 1e3));
  ctx.summary_lines.push_back(fmt::format(
      "functional weights (extra spikes per pre spike) {:.3f} / {:.3f} -> {:.3f} / {:.3f}; "
      "functional asymmetry {:.2f} ± {:.2f} -> {:.2f} ± {:.2f}",
      ctx.metrics["functional_01_initial"].get<double>(),
      ctx.metrics["functional_10_initial"].get<double>(),
      ctx.metrics["functional_01_final"].get<double>(),
      ctx.metrics["functional_10_final"].get<double>(),
      ctx.metrics["functional_asymmetry_initial"].get<double>(),
      ctx.metrics["functional_asymmetry_initial_se"].get<double>(),
      ctx.metrics["functional_asymmetry_final"].get<double>(),
      ctx.metrics["functional_asymmetry_final_se"].get<double>()));
}

// Functional weights f_01, f_10 over the first and the last `functional_part` of the
// learning run [t_learn, t_learn + duration) from the recorded spikes; the PSP-effective
// weights averaged over the same parts; each neuron's sensitivity (f per mV of PSP it
// receives) and its operating point from the oracle; the sensors' view (kernel- and
// rate-weighted functional weights, which SAL balances); correlograms in correlogram.csv.
void SalPair::functional_metrics(session::Session& s) {
  AnalogCore& core = s.core();
  RunContext& ctx = s.ctx();
  const SalNetwork& net = net_;
  const double t_learn = t_learn_, duration = p_.duration_us;
  const double* eff_first = eff_first_;
  const double* eff_last = eff_last_;
  const int n_first = n_first_, n_last = n_last_;
  FunctionalOptions o;
  o.d0_us = p_.functional_d0_us;
  o.d1_us = p_.functional_d1_us;
  const double part = p_.functional_part * duration;
  const int per_half = core.neurons_per_half();
  const std::vector<int> ids = {net.half * per_half + net.columns[0],
                                net.half * per_half + net.columns[1]};
  struct Part {
    const char* name;
    double t0, t1;
    const double* eff;
    int n_eff;
  };
  const Part parts[2] = {
      {"initial", t_learn, t_learn + part, eff_first, n_first},
      {"final", t_learn + duration - part, t_learn + duration, eff_last, n_last}};
  std::vector<std::vector<double>> ccg;
  const double bin_us = 1.0, max_lag_us = 40.0;
  for (const Part& p : parts) {
    const FunctionalMatrix m = functional_matrix(core.spikes(), ids, p.t0, p.t1, o);
    const auto& f01 = m.at(0, 1);
    const auto& f10 = m.at(1, 0);
    const std::string s = p.name;
    ctx.metrics["functional_01_" + s] = f01.extra_per_pre;
    ctx.metrics["functional_10_" + s] = f10.extra_per_pre;
    ctx.metrics["functional_01_" + s + "_se"] = f01.stderr;
    ctx.metrics["functional_10_" + s + "_se"] = f10.stderr;
    ctx.metrics["functional_asymmetry_" + s] = asymmetry(f01.extra_per_pre, f10.extra_per_pre);
    ctx.metrics["functional_asymmetry_" + s + "_se"] =
        asymmetry_stderr(f01.extra_per_pre, f01.stderr, f10.extra_per_pre, f10.stderr);
    const double e01 = p.n_eff ? p.eff[0] / p.n_eff : 0.0, e10 = p.n_eff ? p.eff[1] / p.n_eff : 0.0;
    ctx.metrics["effective_asymmetry_" + s + "_part"] = asymmetry(e01, e10);
    // Sensitivity of the post neuron: its extra spikes per mV of PSP it receives.
    ctx.metrics["sensitivity_1_" + s + "_per_mV"] = e01 != 0 ? f01.extra_per_pre / e01 : 0.0;
    ctx.metrics["sensitivity_0_" + s + "_per_mV"] = e10 != 0 ? f10.extra_per_pre / e10 : 0.0;
    double rate_hz[2];
    for (int k = 0; k < 2; ++k) {
      rate_hz[k] = static_cast<double>(m.at(k, k).n_post) / ((p.t1 - p.t0) * 1e-6);
      ctx.metrics[fmt::format("rate_{}_{}_hz", k, s)] = rate_hz[k];
    }
    // What the correlation sensors see: the sensor kernel weighting each pair, times the pre
    // rate (pairs per unit time beyond chance). SAL's fixed point is r_0·f̃_01 = r_1·f̃_10.
    FunctionalOptions ok = o;
    ok.kernel_tau_us = ctx.chip.sensors.tau_us;
    ok.d1_us = std::max(o.d1_us, 6 * ok.kernel_tau_us);
    const FunctionalMatrix mk = functional_matrix(core.spikes(), ids, p.t0, p.t1, ok);
    const double s01 = rate_hz[0] * mk.at(0, 1).extra_per_pre;
    const double s10 = rate_hz[1] * mk.at(1, 0).extra_per_pre;
    ctx.metrics["sal_view_asymmetry_" + s] = asymmetry(s01, s10);
    ctx.metrics["sal_view_asymmetry_" + s + "_se"] = asymmetry_stderr(
        s01, rate_hz[0] * mk.at(0, 1).stderr, s10, rate_hz[1] * mk.at(1, 0).stderr);
    ccg.push_back(cross_correlogram(core.spikes(), ids[0], ids[1], p.t0, p.t1, bin_us, max_lag_us));
    ccg.push_back(cross_correlogram(core.spikes(), ids[1], ids[0], p.t0, p.t1, bin_us, max_lag_us));
  }
  // The operating point each neuron sits at (oracle: true drawn parameters).
  for (int k = 0; k < 2; ++k) {
    const auto& prm = core.neurons().params(ids[k]);
    ctx.metrics[fmt::format("neuron_{}_tau_mem_us", k)] = prm.tau_mem_us;
    ctx.metrics[fmt::format("neuron_{}_threshold_minus_leak_mV", k)] =
        prm.v_threshold_mV - prm.v_leak_mV;
  }
  output::CsvWriter f(ctx.out / "correlogram.csv",
                      {"lag_us", "initial_01", "initial_10", "final_01", "final_10"});
  for (std::size_t b = 0; b < ccg[0].size(); ++b)
    f.row(-max_lag_us + (b + 0.5) * bin_us, ccg[0][b], ccg[1][b], ccg[2][b], ccg[3][b]);
  f.close();
}

}  // namespace salvo::experiments
