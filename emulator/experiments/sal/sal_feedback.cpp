#include "emulator/experiments/sal/sal_feedback.hpp"

#include <cmath>

#include <fmt/format.h>

#include "emulator/calibration/rate_calibration.hpp"
#include "emulator/measures/angles.hpp"
#include "emulator/measures/functional_weights.hpp"
#include "emulator/session/session.hpp"
#include "firmware/sal/sal_kernel.h"
#include "hw/common/error.hpp"
#include "hw/common/rng.hpp"

namespace salvo::experiments {

using namespace config;
using measures::angle_deg;

const Fields<SalFeedbackParams>& SalFeedback::fields() {
  using P = SalFeedbackParams;
  static const Fields<P> f = [] {
    Fields<P> f = {
        duration_field<P>(),
        field("layer_a", &P::layer_a, 1, 63, "neurons of layer A (feedback targets)"),
        field("layer_b", &P::layer_b, 1, 63, "neurons of layer B (forward targets)"),
        choice("feedback_plasticity", &P::feedback_plasticity, {"sal", "stdp", "none"},
               "sal: B learns by SAL; stdp: B learns by Hebbian STDP (causal pairs potentiate; the "
               "firmware/stdp baseline); none: B stays random (feedback alignment)"),
        field("w_init", &P::w_init, 0, 255, "forward codes drawn uniformly in [-w_init, w_init]"),
        field("b_init", &P::b_init, 0, 255,
              "initial feedback codes drawn uniformly in [-b_init, b_init]"),
        field("functional_window_us", &P::functional_window_us, 0.0, 1e9,
              "functional angle: spike-timing influences measured over the first and the last "
              "this long of learning (0 = off)"),
    };
    for (auto& k : sal_fields<P>()) f.push_back(std::move(k));
    return f;
  }();
  return f;
}

void SalFeedback::check(const Params& p, const Checker& check) {
  check_sal_network(p.layer_a + p.layer_b, "layer_a", check);
  if (p.executor == "firmware" && p.feedback_plasticity != "none")
    check_sal_firmware(p.layer_b, p.layer_a, "layer_a", check);
  const int wmax = (1 << check.chip.synapses.weight_bits) - 1;
  check.require(
      p.w_init <= wmax, "w_init",
      fmt::format("{} exceeds the {}-bit weight range", p.w_init, check.chip.synapses.weight_bits),
      fmt::format("0..{}", wmax));
  check.require(
      p.b_init <= wmax, "b_init",
      fmt::format("{} exceeds the {}-bit weight range", p.b_init, check.chip.synapses.weight_bits),
      fmt::format("0..{}", wmax));
  check_learning_duration(p.duration_us, p.update_period_us, check);
}

void SalFeedback::run(RunContext& ctx) {
  session::Session s(ctx, on_firmware() ? 1 : 0);
  wire(s);
  calibrate(s);
  learn(s);
  s.finish();
  measure_functional(s);
  write_results(s);
}

void SalFeedback::wire(session::Session& s) {
  const int na = p_.layer_a, nb = p_.layer_b;
  net_ = setup_sal_network(s.core(), p_, na + nb);
  // Random signed codes, W and B independent (so they start near 90°).
  Engine eng = make_engine(s.seed(), Stream::kExperiment, 7);
  auto draw = [&](int m) {
    return static_cast<int>(std::floor(draw_uniform01(eng) * (2 * m + 1))) - m;
  };
  w_codes_.assign(na * nb, 0);
  b_codes_.assign(na * nb, 0);
  for (int a = 0; a < na; ++a)
    for (int b = 0; b < nb; ++b) {
      w_codes_[a * nb + b] = draw(p_.w_init);
      b_codes_[a * nb + b] = draw(p_.b_init);
    }
  if (learns())
    for (int b = 0; b < nb; ++b)
      for (int a = 0; a < na; ++a) plastic_.push_back({b_id(b), a_id(a)});
  // The whole schedule, so that the progress line's ETA holds from the start.
  s.plan(p_.calibration_window_us * (p_.calibration_iterations + 1) * (p_.target_rate_hz > 0) +
         (learns() ? p_.sensor_gain_calibration_us : 0.0) + p_.duration_us);
}

void SalFeedback::calibrate(session::Session& s) {
  RunContext& ctx = s.ctx();
  // Rate calibration with every recurrent synapse off.
  std::vector<int> neurons;
  for (int k = 0; k < p_.layer_a + p_.layer_b; ++k) neurons.push_back(net_.neuron(s.core(), k));
  const auto rates = calibration::calibrate_rates(
      s, neurons, {p_.target_rate_hz, p_.calibration_window_us, p_.calibration_iterations});
  double rate_mean = 0;
  for (double r : rates) rate_mean += r / rates.size();
  ctx.metrics["calibrated_rate_mean_hz"] = rate_mean;
  // Sensor-gain calibration while the neurons are still uncoupled.
  const double t_gain = p_.sensor_gain_calibration_us;
  if (!(t_gain > 0 && learns())) return;
  gains_ = calibrate_sensor_gains(s, net_, plastic_, t_gain);
  double err = 0, spread = 0;
  for (std::size_t k = 0; k < gains_.gain.size(); ++k) {
    err += std::pow(gains_.gain[k] / gains_.true_gain[k] - 1, 2) / gains_.gain.size();
    spread += std::pow(gains_.true_gain[k] - 1, 2) / gains_.gain.size();
  }
  ctx.metrics["sensor_gain_error_rms"] = std::sqrt(err);
  ctx.metrics["sensor_gain_true_spread_rms"] = std::sqrt(spread);
  ctx.metrics["sensor_gain_stored_lsb"] = gains_.stored_lsb_mean;
  ctx.summary_lines.push_back(fmt::format(
      "sensor-gain calibration ({} µs): acausal/causal ratios spread {:.1f} %, measured to "
      "{:.1f} % rms",
      t_gain, 100 * std::sqrt(spread), 100 * std::sqrt(err)));
}

SalFeedback::Matrices SalFeedback::matrices(AnalogCore& core) const {
  Matrices m;
  for (int a = 0; a < p_.layer_a; ++a)
    for (int b = 0; b < p_.layer_b; ++b) {
      m.w_eff.push_back(effective_weight(core, net_, a_id(a), b_id(b)));
      m.b_eff.push_back(effective_weight(core, net_, b_id(b), a_id(a)));
      m.w_code.push_back(signed_weight(core, net_, a_id(a), b_id(b)));
      m.b_code.push_back(signed_weight(core, net_, b_id(b), a_id(a)));
    }
  return m;
}

void SalFeedback::learn(session::Session& s) {
  AnalogCore& core = s.core();
  const int na = p_.layer_a, nb = p_.layer_b;
  for (int a = 0; a < na; ++a)
    for (int b = 0; b < nb; ++b) {
      set_signed_weight(core, net_, a_id(a), b_id(b), w_codes_[a * nb + b]);
      set_signed_weight(core, net_, b_id(b), a_id(a), b_codes_[a * nb + b]);
    }
  auto angles = [&](double& eff, double& codes) {
    const Matrices m = matrices(core);
    eff = angle_deg(m.w_eff, m.b_eff);
    codes = angle_deg(m.w_code, m.b_code);
  };
  angles(eff0_, codes0_);
  sched_ = sal_schedule(p_, p_.feedback_plasticity == "stdp" ? SAL_RULE_STDP : SAL_RULE_SAL);
  HostPlasticity host(core, net_, plastic_, sched_, s.seed());
  if (!gains_.gain.empty()) host.set_gains(gains_.gain);
  std::unique_ptr<FirmwarePlasticity> firmware;
  if (on_firmware())
    firmware = std::make_unique<FirmwarePlasticity>(s.firmware(), s.chip_config(),
                                                    p_.feedback_plasticity == "stdp"
                                                        ? session::firmware_image("stdp.elf")
                                                        : session::sal_image(s.chip_config()));
  output::CsvWriter csv(s.ctx().out / "angle.csv", {"time_us", "sal_effective_deg", "sal_codes_deg",
                                                    "feedback_alignment_deg"});
  t_learn_ = core.now_us();
  auto sample = [&](double t) {
    double eff, codes;
    angles(eff, codes);
    // Feedback alignment keeps B (and W) fixed: its angle stays at the initial one.
    csv.row(t - t_learn_, eff, codes, eff0_);
  };
  run_learning(s, firmware ? nullptr : &host, firmware.get(), net_, plastic_, sched_,
               p_.duration_us, p_.sample_period_us, sample, gains_.gain);
  csv.close();
}

void SalFeedback::measure_functional(session::Session& s) {
  // Functional alignment: the spike-timing influences f (extra post spikes per pre spike,
  // weighted by the sensors' kernel: what SAL sees and equalises) of b -> a against those of
  // a -> b, over the first and the last part of learning. With noisy f the raw angle is
  // biased up; the corrected one removes the estimates' variance from both norms.
  AnalogCore& core = s.core();
  RunContext& ctx = s.ctx();
  const int na = p_.layer_a, nb = p_.layer_b;
  const double part = std::min(p_.functional_window_us, p_.duration_us);
  if (!(part > 0)) return;
  std::vector<int> ids, layer;
  for (int k = 0; k < na + nb; ++k) {
    ids.push_back(net_.neuron(core, k));
    layer.push_back(k < na ? 0 : 1);
  }
  measures::FunctionalOptions fo;
  fo.kernel_tau_us = s.chip_config().sensors.tau_us;
  auto functional = [&](double t0, double t1, double& raw, double& corrected) {
    // Only the pairs between the layers are used: the within-layer ones are not measured.
    const auto m = measures::functional_matrix_between(core.spikes(), ids, layer, t0, t1, fo);
    std::vector<double> fb, fw;
    double var_b = 0, var_w = 0;
    for (int a = 0; a < na; ++a)
      for (int b = 0; b < nb; ++b) {
        const auto& x = m.at(b_id(b), a_id(a));
        const auto& y = m.at(a_id(a), b_id(b));
        fb.push_back(x.extra_per_pre);
        fw.push_back(y.extra_per_pre);
        var_b += x.stderr * x.stderr;
        var_w += y.stderr * y.stderr;
      }
    raw = angle_deg(fw, fb);
    corrected = angle_deg(fw, fb, var_w, var_b);
  };
  double f0, f0c, f1, f1c;
  functional(t_learn_, t_learn_ + part, f0, f0c);
  functional(core.now_us() - part, core.now_us(), f1, f1c);
  ctx.metrics["angle_functional_initial_deg"] = f0;
  ctx.metrics["angle_functional_final_deg"] = f1;
  ctx.metrics["angle_functional_initial_corrected_deg"] = f0c;
  ctx.metrics["angle_functional_final_corrected_deg"] = f1c;
  ctx.summary_lines.push_back(
      fmt::format("functional angle (spike-timing influence, first/last {} µs): {:.1f}° -> {:.1f}° "
                  "(noise-corrected {:.1f}° -> {:.1f}°)",
                  part, f0, f1, f0c, f1c));
}

void SalFeedback::write_results(session::Session& s) {
  AnalogCore& core = s.core();
  RunContext& ctx = s.ctx();
  const int na = p_.layer_a, nb = p_.layer_b;
  const Matrices m = matrices(core);
  const double eff1 = angle_deg(m.w_eff, m.b_eff), codes1 = angle_deg(m.w_code, m.b_code);
  // The final matrices, for analyses beyond the angle (e.g. where B and Wᵀ differ).
  output::CsvWriter wcsv(ctx.out / "weights_final.csv",
                         {"a", "b", "w_code", "w_effective_mV", "b_code", "b_effective_mV"});
  for (int a = 0; a < na; ++a)
    for (int b = 0; b < nb; ++b) {
      const int k = a * nb + b;
      wcsv.row(a, b, static_cast<int>(m.w_code[k]), m.w_eff[k], static_cast<int>(m.b_code[k]),
               m.b_eff[k]);
    }
  wcsv.close();
  // Rates over the learning phase (the calibrations before it run uncoupled).
  std::vector<double> count(na + nb, 0);
  for (const auto& sp : core.spikes())
    if (sp.neuron < na + nb && sp.t_us >= t_learn_) count[sp.neuron] += 1;
  double ra = 0, rb = 0;
  for (int a = 0; a < na; ++a) ra += count[a] / na;
  for (int b = 0; b < nb; ++b) rb += count[na + b] / nb;
  const double t_total = (core.now_us() - t_learn_) * 1e-6;
  ctx.metrics["angle_effective_initial_deg"] = eff0_;
  ctx.metrics["angle_effective_final_deg"] = eff1;
  ctx.metrics["angle_codes_initial_deg"] = codes0_;
  ctx.metrics["angle_codes_final_deg"] = codes1;
  ctx.metrics["rate_a_hz"] = ra / t_total;
  ctx.metrics["rate_b_hz"] = rb / t_total;
  const std::string& rule = p_.feedback_plasticity;
  ctx.summary_lines.push_back(fmt::format(
      "feedback {}: effective angle B vs Wᵀ {:.1f}° -> {:.1f}° (codes {:.1f}° -> {:.1f}°)",
      !learns() ? "fixed (feedback alignment)"
                : (rule == "stdp" ? "learned by Hebbian STDP" : "learned by SAL"),
      eff0_, eff1, codes0_, codes1));
  ctx.summary_lines.push_back(fmt::format(
      "layers {} + {} neurons at {:.1f} / {:.1f} kHz; {} µs of learning, update every {} µs", na,
      nb, ra / t_total * 1e-3, rb / t_total * 1e-3, p_.duration_us, sched_.period_us));
  if (on_firmware())
    ctx.summary_lines.push_back(fmt::format(
        "processor: busy {:.1f} %, {:.0f} cycles per pre-neuron update",
        100 * ctx.stats.ppu_busy_fraction, ctx.metrics["ppu_cycles_per_row_update"].get<double>()));
}

}  // namespace salvo::experiments
