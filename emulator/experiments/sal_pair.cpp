// Experiment `sal-pair`: the SAL principle on two neurons with reciprocal synapses whose
// codes start 3:1 (the paper's 1.5 / 0.5), both driven by independent Poisson noise from the
// on-chip background sources. Modes: both synapses learn, only the weaker one learns, or
// none. Success is judged on the *effective* weights (PSP at the post neuron, all mismatch
// included), not on the codes.
#include "emulator/experiments/sal_pair.hpp"

#include <cmath>

#include <fmt/format.h>

#include "emulator/experiments/chip_setup.hpp"
#include "emulator/experiments/sal_network.hpp"
#include "hw/common/error.hpp"

namespace salvo::experiments {

using namespace config;

namespace {

double asymmetry(double a, double b) {
  const double mean = 0.5 * (std::fabs(a) + std::fabs(b));
  return mean > 0 ? std::fabs(a - b) / mean : 0.0;
}

class SalPair : public Experiment {
 public:
  void run(RunContext& ctx) override {
    const YAML::Node& e = ctx.exp;
    const double duration = e["duration_us"].as<double>();
    const std::string mode = e["plastic"].as<std::string>();
    const std::string file = ctx.config.experiment_file;
    const bool use_firmware = e["executor"].as<std::string>() == "firmware";
    Chip chip("chip", ctx.chip, ctx.seed, use_firmware ? 1 : 0);
    std::unique_ptr<FirmwarePlasticity> firmware;
    if (use_firmware)
      firmware =
          std::make_unique<FirmwarePlasticity>(chip, ctx.chip, ctx.seed, firmware_image("sal.elf"));
    AnalogCore& core = chip.core();
    SalNetwork net = setup_sal_network(core, e, 2, file);
    const int w_strong = e["w_strong"].as<int>(), w_weak = e["w_weak"].as<int>();
    const int wmax = core.synapses(net.half).weight_max();
    if (w_strong > wmax || w_weak > wmax)
      throw UserError(fmt::format(
          "{}: experiment.w_strong/w_weak: {}/{} exceed the {}-bit weight range (allowed: 0..{})",
          file, w_strong, w_weak, ctx.chip.synapses.weight_bits, wmax));
    // 0 → 1 is the strong direction, 1 → 0 the weak one.
    set_signed_weight(core, net, 0, 1, w_strong);
    set_signed_weight(core, net, 1, 0, w_weak);
    std::vector<PlasticSynapse> plastic;
    if (mode == "both") plastic = {{0, 1}, {1, 0}};
    if (mode == "one") plastic = {{1, 0}};
    SalSchedule sched{e["update_period_us"].as<double>(), e["eta"].as<double>(),
                      e["eta_decay_us"].as<double>(), e["remove_common_mode"].as<bool>()};

    // Calibrate with the recurrent synapses off, so each neuron's own operating point is set
    // and the correlation sensors see uncoupled neurons (chance-level correlations only).
    set_signed_weight(core, net, 0, 1, 0);
    set_signed_weight(core, net, 1, 0, 0);
    const auto cal_rates = calibrate_rates(ctx, chip, net, e);
    ctx.metrics["calibrated_rate_0_hz"] = cal_rates[0];
    ctx.metrics["calibrated_rate_1_hz"] = cal_rates[1];
    HostPlasticity plasticity(core, net, plastic, sched, ctx.seed);
    plasticity.start(core.now_us());
    const double t_gain = e["sensor_gain_calibration_us"].as<double>();
    if (t_gain > 0 && !plastic.empty()) {
      if (use_firmware)
        throw UserError(fmt::format(
            "{}: experiment.sensor_gain_calibration_us: only the host executor implements it "
            "(allowed: 0 with executor firmware)",
            file));
      plasticity.begin_gain_calibration();
      run_updates(ctx, chip, &plasticity, core.now_us() + t_gain, sched.period_us, nullptr);
      plasticity.finish_gain_calibration();
      for (std::size_t k = 0; k < plasticity.gains().size(); ++k)
        ctx.metrics[fmt::format("sensor_gain_{}{}", plastic[k].pre, plastic[k].post)] =
            plasticity.gains()[k];
    }
    set_signed_weight(core, net, 0, 1, w_strong);
    set_signed_weight(core, net, 1, 0, w_weak);
    plasticity.load_shadow_from_chip();
    const double e01_0 = effective_weight(core, net, 0, 1),
                 e10_0 = effective_weight(core, net, 1, 0);
    output::CsvWriter weights(ctx.out / "weights.csv", {"time_us", "code_01", "code_10",
                                                        "effective_01_mV", "effective_10_mV"});
    auto sample = [&](double t) {
      weights.row(t, signed_weight(core, net, 0, 1), signed_weight(core, net, 1, 0),
                  effective_weight(core, net, 0, 1), effective_weight(core, net, 1, 0));
    };
    run_learning(ctx, chip, use_firmware ? nullptr : &plasticity, firmware.get(), net, plastic,
                 sched, duration, e["sample_period_us"].as<double>(), sample);
    weights.close();
    collect_stats(ctx, core);
    write_recordings(ctx, core);

    const double e01 = effective_weight(core, net, 0, 1), e10 = effective_weight(core, net, 1, 0);
    const int c01 = signed_weight(core, net, 0, 1), c10 = signed_weight(core, net, 1, 0);
    std::vector<double> count(2, 0);
    for (const auto& s : core.spikes())
      if (s.neuron < 2) count[s.neuron] += 1;
    ctx.metrics["effective_asymmetry_initial"] = asymmetry(e01_0, e10_0);
    ctx.metrics["effective_asymmetry_final"] = asymmetry(e01, e10);
    ctx.metrics["code_asymmetry_final"] = asymmetry(c01, c10);
    ctx.metrics["effective_01_final_mV"] = e01;
    ctx.metrics["effective_10_final_mV"] = e10;
    ctx.metrics["code_01_final"] = c01;
    ctx.metrics["code_10_final"] = c10;
    const double t_end = core.now_us();
    ctx.metrics["rate_0_hz"] = count[0] / (t_end * 1e-6);
    ctx.metrics["rate_1_hz"] = count[1] / (t_end * 1e-6);
    ctx.metrics["updates"] = plasticity.updates();
    if (!plastic.empty() && !use_firmware) {
      // Mean (a − c) and (a + c) per update, LSB, of each plastic synapse: the raw learning signal.
      for (std::size_t k = 0; k < plastic.size(); ++k) {
        const auto& ps = plastic[k];
        const double u = std::max<double>(1, plasticity.updates());
        ctx.metrics[fmt::format("signal_{}{}_mean_lsb", ps.pre, ps.post)] =
            plasticity.d_sum()[ps.pre][0] / u;
        ctx.metrics[fmt::format("hebbian_{}{}_mean_lsb", ps.pre, ps.post)] =
            plasticity.s_sum()[ps.pre][0] / u;
      }
    }
    ctx.summary_lines.push_back(
        fmt::format("mode {}: codes {} / {} -> {} / {}", mode, w_strong, w_weak, c01, c10));
    ctx.summary_lines.push_back(fmt::format(
        "effective weights {:.2f} / {:.2f} mV -> {:.2f} / {:.2f} mV", e01_0, e10_0, e01, e10));
    ctx.summary_lines.push_back(fmt::format(
        "effective asymmetry {:.3f} -> {:.3f}; rates {:.1f} / {:.1f} kHz", asymmetry(e01_0, e10_0),
        asymmetry(e01, e10), count[0] / t_end * 1e3, count[1] / t_end * 1e3));
  }
};

}  // namespace

ExperimentInfo sal_pair_info() {
  auto keys = common_keys("sal-pair", 100000.0);
  keys.push_back(
      {"plastic", Enum("both", {"both", "one", "none"},
                       "which synapses learn: both, only the weaker one (1 -> 0), or none")});
  keys.push_back({"w_strong", Int(30, 0, 255, "initial code of the strong synapse 0 -> 1")});
  keys.push_back({"w_weak", Int(10, 0, 255, "initial code of the weak synapse 1 -> 0")});
  for (auto& k : sal_common_keys()) keys.push_back(k);
  ExperimentInfo info;
  info.name = "sal-pair";
  info.summary =
      "two neurons with reciprocal synapses (codes 3:1) under Poisson noise; SAL aligns their "
      "effective weights";
  info.schema = Map(keys);
  info.make = [] { return std::make_unique<SalPair>(); };
  return info;
}

}  // namespace salvo::experiments
