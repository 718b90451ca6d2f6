// Experiment `sal-feedback` (the default): layer A → layer B through fixed random signed
// forward weights W, feedback weights B from B back to A learned by SAL on the plasticity
// processor, forward plasticity off, every neuron driven by independent Poisson noise from
// the on-chip background sources. The measure is the angle between the effective feedback
// matrix and the effective transposed forward matrix (PSP amplitudes, mismatch included).
// The feedback-alignment baseline (experiment.feedback_plasticity: none) keeps B random.
#include "emulator/experiments/sal_feedback.hpp"

#include <cmath>

#include <fmt/format.h>

#include "emulator/experiments/chip_setup.hpp"
#include "emulator/experiments/functional_weights.hpp"
#include "emulator/experiments/sal_network.hpp"
#include "firmware/sal/sal_kernel.h"
#include "hw/common/error.hpp"
#include "hw/common/rng.hpp"

namespace salvo::experiments {

using namespace config;

namespace {

// Angle between two flattened matrices. For noisy estimates, var_x and var_y (the summed
// variances of their elements) are taken out of the squared norms, which noise inflates.
double angle_deg(const std::vector<double>& x, const std::vector<double>& y, double var_x = 0,
                 double var_y = 0) {
  double xy = 0, xx = -var_x, yy = -var_y;
  for (std::size_t i = 0; i < x.size(); ++i) {
    xy += x[i] * y[i];
    xx += x[i] * x[i];
    yy += y[i] * y[i];
  }
  if (xx <= 0 || yy <= 0) return 90.0;
  return std::acos(std::clamp(xy / std::sqrt(xx * yy), -1.0, 1.0)) * 180.0 / M_PI;
}

class SalFeedback : public Experiment {
 public:
  void run(RunContext& ctx) override {
    const YAML::Node& e = ctx.exp;
    const std::string file = ctx.config.experiment_file;
    const int na = e["layer_a"].as<int>(), nb = e["layer_b"].as<int>();
    const double duration = e["duration_us"].as<double>();
    const std::string rule = e["feedback_plasticity"].as<std::string>();
    const bool learn = rule != "none";
    const bool use_firmware = e["executor"].as<std::string>() == "firmware";
    if (use_firmware && (na > 32 || nb > 32))
      throw UserError(fmt::format(
          "{}: experiment.layer_a/layer_b: the SAL firmware for {} KiB holds at most 32 x 32 "
          "plastic synapses (allowed: <= 32 each, or executor: host)",
          file, ctx.chip.processor.memory_kib));

    Chip chip("chip", ctx.chip, ctx.seed, use_firmware && learn ? 1 : 0);
    std::unique_ptr<FirmwarePlasticity> firmware;
    if (use_firmware && learn)
      firmware = std::make_unique<FirmwarePlasticity>(
          chip, ctx.chip, ctx.seed, firmware_image(rule == "stdp" ? "stdp.elf" : "sal.elf"),
          ctx.gdb_port);
    ctx.gdb_used = firmware != nullptr;
    AnalogCore& core = chip.core();
    SalNetwork net = setup_sal_network(core, e, na + nb, file);
    auto a_id = [&](int a) { return a; };
    auto b_id = [&](int b) { return na + b; };

    // Random signed codes, W and B independent (so they start near 90°).
    Engine eng = make_engine(ctx.seed, Stream::kExperiment, 7);
    const int w_init = e["w_init"].as<int>(), b_init = e["b_init"].as<int>();
    const int wmax = core.synapses(net.half).weight_max();
    if (w_init > wmax || b_init > wmax)
      throw UserError(fmt::format(
          "{}: experiment.w_init/b_init: {}/{} exceed the weight range (allowed: 0..{})", file,
          w_init, b_init, wmax));
    auto draw = [&](int m) {
      return static_cast<int>(std::floor(draw_uniform01(eng) * (2 * m + 1))) - m;
    };
    std::vector<int> w_codes(na * nb), b_codes(na * nb);
    for (int a = 0; a < na; ++a)
      for (int b = 0; b < nb; ++b) {
        w_codes[a * nb + b] = draw(w_init);
        b_codes[a * nb + b] = draw(b_init);
      }

    // The whole schedule, so that the progress line's ETA holds from the start.
    const double t_gain = e["sensor_gain_calibration_us"].as<double>();
    ctx.progress.set_total(e["calibration_window_us"].as<double>() *
                               (e["calibration_iterations"].as<int>() + 1) *
                               (e["target_rate_hz"].as<double>() > 0) +
                           (learn ? t_gain : 0.0) + duration);
    // Rate calibration with every recurrent synapse off.
    const auto rates = calibrate_rates(ctx, chip, net, e);
    double rate_mean = 0;
    for (double r : rates) rate_mean += r / rates.size();
    ctx.metrics["calibrated_rate_mean_hz"] = rate_mean;
    std::vector<PlasticSynapse> plastic;
    if (learn)
      for (int b = 0; b < nb; ++b)
        for (int a = 0; a < na; ++a) plastic.push_back({b_id(b), a_id(a)});
    // Sensor-gain calibration while the neurons are still uncoupled.
    SensorGainCalibration gains;
    if (t_gain > 0 && learn) {
      gains = calibrate_sensor_gains(ctx, chip, net, plastic, t_gain);
      double err = 0, spread = 0;
      for (std::size_t k = 0; k < gains.gain.size(); ++k) {
        err += std::pow(gains.gain[k] / gains.true_gain[k] - 1, 2) / gains.gain.size();
        spread += std::pow(gains.true_gain[k] - 1, 2) / gains.gain.size();
      }
      ctx.metrics["sensor_gain_error_rms"] = std::sqrt(err);
      ctx.metrics["sensor_gain_true_spread_rms"] = std::sqrt(spread);
      ctx.metrics["sensor_gain_stored_lsb"] = gains.stored_lsb_mean;
      ctx.summary_lines.push_back(fmt::format(
          "sensor-gain calibration ({} µs): acausal/causal ratios spread {:.1f} %, measured to "
          "{:.1f} % rms",
          t_gain, 100 * std::sqrt(spread), 100 * std::sqrt(err)));
    }
    for (int a = 0; a < na; ++a)
      for (int b = 0; b < nb; ++b) {
        set_signed_weight(core, net, a_id(a), b_id(b), w_codes[a * nb + b]);
        set_signed_weight(core, net, b_id(b), a_id(a), b_codes[a * nb + b]);
      }

    // Wᵀ and B flattened as [a][b], effective (oracle, mV) and as codes.
    struct Matrices {
      std::vector<double> w_eff, b_eff, w_code, b_code;
    };
    auto matrices = [&] {
      Matrices m;
      for (int a = 0; a < na; ++a)
        for (int b = 0; b < nb; ++b) {
          m.w_eff.push_back(effective_weight(core, net, a_id(a), b_id(b)));
          m.b_eff.push_back(effective_weight(core, net, b_id(b), a_id(a)));
          m.w_code.push_back(signed_weight(core, net, a_id(a), b_id(b)));
          m.b_code.push_back(signed_weight(core, net, b_id(b), a_id(a)));
        }
      return m;
    };
    auto angles = [&](double& eff, double& codes) {
      const Matrices m = matrices();
      eff = angle_deg(m.w_eff, m.b_eff);
      codes = angle_deg(m.w_code, m.b_code);
    };
    double eff0, codes0;
    angles(eff0, codes0);

    SalSchedule sched = sal_schedule(e);
    sched.rule = rule == "stdp" ? SAL_RULE_STDP : SAL_RULE_SAL;
    HostPlasticity host(core, net, plastic, sched, ctx.seed);
    if (!gains.gain.empty()) host.set_gains(gains.gain);
    output::CsvWriter csv(ctx.out / "angle.csv", {"time_us", "sal_effective_deg", "sal_codes_deg",
                                                  "feedback_alignment_deg"});
    const double t_learn = core.now_us();
    auto sample = [&](double t) {
      double eff, codes;
      angles(eff, codes);
      // Feedback alignment keeps B (and W) fixed: its angle stays at the initial one.
      csv.row(t - t_learn, eff, codes, eff0);
    };
    run_learning(ctx, chip, firmware ? nullptr : &host, firmware.get(), net, plastic, sched,
                 duration, e["sample_period_us"].as<double>(), sample, gains.gain);
    csv.close();
    collect_stats(ctx, core);
    write_recordings(ctx, core);

    double eff1, codes1;
    angles(eff1, codes1);
    // Functional alignment: the spike-timing influences f (extra post spikes per pre spike,
    // weighted by the sensors' kernel: what SAL sees and equalises) of b -> a against those of
    // a -> b, over the first and the last part of learning. With noisy f the raw angle is
    // biased up; the corrected one removes the estimates' variance from both norms.
    const double part = std::min(e["functional_window_us"].as<double>(), duration);
    if (part > 0) {
      std::vector<int> ids;
      for (int k = 0; k < na + nb; ++k)
        ids.push_back(net.half * core.neurons_per_half() + net.columns[k]);
      FunctionalOptions fo;
      fo.kernel_tau_us = ctx.chip.sensors.tau_us;
      auto functional = [&](double t0, double t1, double& raw, double& corrected) {
        const auto m = functional_matrix(core.spikes(), ids, t0, t1, fo);
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
      functional(t_learn, t_learn + part, f0, f0c);
      functional(core.now_us() - part, core.now_us(), f1, f1c);
      ctx.metrics["angle_functional_initial_deg"] = f0;
      ctx.metrics["angle_functional_final_deg"] = f1;
      ctx.metrics["angle_functional_initial_corrected_deg"] = f0c;
      ctx.metrics["angle_functional_final_corrected_deg"] = f1c;
      ctx.summary_lines.push_back(fmt::format(
          "functional angle (spike-timing influence, first/last {} µs): {:.1f}° -> {:.1f}° "
          "(noise-corrected {:.1f}° -> {:.1f}°)",
          part, f0, f1, f0c, f1c));
    }
    {
      // The final matrices, for analyses beyond the angle (e.g. where B and Wᵀ differ).
      output::CsvWriter wcsv(ctx.out / "weights_final.csv",
                             {"a", "b", "w_code", "w_effective_mV", "b_code", "b_effective_mV"});
      const Matrices m = matrices();
      for (int a = 0; a < na; ++a)
        for (int b = 0; b < nb; ++b) {
          const int k = a * nb + b;
          wcsv.row(a, b, static_cast<int>(m.w_code[k]), m.w_eff[k], static_cast<int>(m.b_code[k]),
                   m.b_eff[k]);
        }
      wcsv.close();
    }
    // Rates over the learning phase (the calibrations before it run uncoupled).
    std::vector<double> count(na + nb, 0);
    for (const auto& s : core.spikes())
      if (s.neuron < na + nb && s.t_us >= t_learn) count[s.neuron] += 1;
    double ra = 0, rb = 0;
    for (int a = 0; a < na; ++a) ra += count[a] / na;
    for (int b = 0; b < nb; ++b) rb += count[na + b] / nb;
    const double t_total = (core.now_us() - t_learn) * 1e-6;
    ctx.metrics["angle_effective_initial_deg"] = eff0;
    ctx.metrics["angle_effective_final_deg"] = eff1;
    ctx.metrics["angle_codes_initial_deg"] = codes0;
    ctx.metrics["angle_codes_final_deg"] = codes1;
    ctx.metrics["rate_a_hz"] = ra / t_total;
    ctx.metrics["rate_b_hz"] = rb / t_total;
    ctx.summary_lines.push_back(fmt::format(
        "feedback {}: effective angle B vs Wᵀ {:.1f}° -> {:.1f}° (codes {:.1f}° -> {:.1f}°)",
        !learn ? "fixed (feedback alignment)"
               : (rule == "stdp" ? "learned by Hebbian STDP" : "learned by SAL"),
        eff0, eff1, codes0, codes1));
    ctx.summary_lines.push_back(fmt::format(
        "layers {} + {} neurons at {:.1f} / {:.1f} kHz; {} µs of learning, update every {} µs", na,
        nb, ra / t_total * 1e-3, rb / t_total * 1e-3, duration, sched.period_us));
    if (firmware)
      ctx.summary_lines.push_back(
          fmt::format("processor: busy {:.1f} %, {:.0f} cycles per pre-neuron update",
                      100 * ctx.stats.ppu_busy_fraction,
                      ctx.metrics["ppu_cycles_per_row_update"].get<double>()));
  }
};

}  // namespace

ExperimentInfo sal_feedback_info() {
  auto keys = common_keys("sal-feedback", 150000.0);
  keys.push_back({"layer_a", Int(32, 1, 63, "neurons of layer A (feedback targets)")});
  keys.push_back({"layer_b", Int(32, 1, 63, "neurons of layer B (forward targets)")});
  keys.push_back({"feedback_plasticity",
                  Enum("sal", {"sal", "stdp", "none"},
                       "sal: B learns by SAL; stdp: B learns by Hebbian STDP (causal pairs "
                       "potentiate; the firmware/stdp baseline); none: B stays random "
                       "(feedback alignment)")});
  keys.push_back({"w_init", Int(8, 0, 255, "forward codes drawn uniformly in [-w_init, w_init]")});
  keys.push_back(
      {"b_init", Int(8, 0, 255, "initial feedback codes drawn uniformly in [-b_init, b_init]")});
  keys.push_back(
      {"functional_window_us",
       Float(100000.0, 0.0, 1e9,
             "functional angle: spike-timing influences measured over the first and the last "
             "this long of learning (0 = off)")});
  for (auto& k : sal_common_keys()) keys.push_back(k);
  ExperimentInfo info;
  info.name = "sal-feedback";
  info.summary =
      "layer A -> B through fixed random signed W; feedback B learned by SAL on the processor; "
      "angle of B vs Wᵀ";
  info.schema = Map(keys);
  info.make = [] { return std::make_unique<SalFeedback>(); };
  return info;
}

}  // namespace salvo::experiments
