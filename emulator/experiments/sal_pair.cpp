// Experiment `sal-pair`: the SAL principle on two neurons with reciprocal synapses whose
// codes start 3:1 (the paper's 1.5 / 0.5), both driven by independent Poisson noise from the
// on-chip background sources. Modes: both synapses learn, only the weaker one learns, or
// none. Success is judged on the *effective* weights (PSP at the post neuron, all mismatch
// included), not on the codes. Next to them, the *functional* weights (extra post spikes per
// pre spike from the recorded spike trains, emulator/experiments/functional_weights.hpp) over
// the first and the last part of the learning run: what SAL actually equalises
// (docs/alignment-measures.md).
#include "emulator/experiments/sal_pair.hpp"

#include <cmath>

#include <fmt/format.h>

#include "emulator/experiments/chip_setup.hpp"
#include "emulator/experiments/functional_weights.hpp"
#include "emulator/experiments/sal_network.hpp"
#include "hw/common/error.hpp"

namespace salvo::experiments {

using namespace config;

namespace {

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
      firmware = std::make_unique<FirmwarePlasticity>(chip, ctx.chip, ctx.seed,
                                                      firmware_image("sal.elf"), ctx.gdb_port);
    ctx.gdb_used = firmware != nullptr;
    AnalogCore& core = chip.core();
    SalNetwork net = setup_sal_network(core, e, 2, file);
    const int w_strong = e["w_strong"].as<int>(), w_weak = e["w_weak"].as<int>();
    const int wmax = core.synapses(net.half).weight_max();
    if (std::abs(w_strong) > wmax || std::abs(w_weak) > wmax)
      throw UserError(fmt::format(
          "{}: experiment.w_strong/w_weak: {}/{} exceed the {}-bit weight range (allowed: "
          "-{}..{}, negative = inhibitory)",
          file, w_strong, w_weak, ctx.chip.synapses.weight_bits, wmax, wmax));
    // 0 → 1 is the strong direction, 1 → 0 the weak one.
    set_signed_weight(core, net, 0, 1, w_strong);
    set_signed_weight(core, net, 1, 0, w_weak);
    std::vector<PlasticSynapse> plastic;
    if (mode == "both") plastic = {{0, 1}, {1, 0}};
    if (mode == "one") plastic = {{1, 0}};
    const SalSchedule sched = sal_schedule(e);

    // Calibrate with the recurrent synapses off, so each neuron's own operating point is set
    // and the correlation sensors see uncoupled neurons (chance-level correlations only).
    set_signed_weight(core, net, 0, 1, 0);
    set_signed_weight(core, net, 1, 0, 0);
    const auto cal_rates = calibrate_rates(ctx, chip, net, e);
    ctx.metrics["calibrated_rate_0_hz"] = cal_rates[0];
    ctx.metrics["calibrated_rate_1_hz"] = cal_rates[1];
    HostPlasticity plasticity(core, net, plastic, sched, ctx.seed);
    plasticity.start(core.now_us());
    // Sensor-gain calibration while the neurons are uncoupled (calibrate_sensor_gains).
    std::vector<double> gains;
    const double t_gain = e["sensor_gain_calibration_us"].as<double>();
    if (t_gain > 0 && !plastic.empty()) {
      const auto cal = calibrate_sensor_gains(ctx, chip, net, plastic, t_gain);
      gains = cal.gain;
      plasticity.set_gains(gains);
      for (std::size_t k = 0; k < gains.size(); ++k) {
        ctx.metrics[fmt::format("sensor_gain_{}{}", plastic[k].pre, plastic[k].post)] = gains[k];
        ctx.metrics[fmt::format("sensor_gain_{}{}_true", plastic[k].pre, plastic[k].post)] =
            cal.true_gain[k];
      }
    }
    set_signed_weight(core, net, 0, 1, w_strong);
    set_signed_weight(core, net, 1, 0, w_weak);
    plasticity.load_shadow_from_chip();
    const double e01_0 = effective_weight(core, net, 0, 1),
                 e10_0 = effective_weight(core, net, 1, 0);
    output::CsvWriter weights(ctx.out / "weights.csv", {"time_us", "code_01", "code_10",
                                                        "effective_01_mV", "effective_10_mV"});
    const double t_learn = core.now_us();
    // The parts of the learning run the functional weights are measured over, and the mean
    // effective weights over the same parts (sampled with the time series) to compare with.
    const double part_us = e["functional_part"].as<double>() * duration;
    const double first_end = t_learn + part_us, last_begin = t_learn + duration - part_us;
    double eff_first[2] = {0, 0}, eff_last[2] = {0, 0};
    int n_first = 0, n_last = 0;
    auto sample = [&](double t) {
      const double e01 = effective_weight(core, net, 0, 1), e10 = effective_weight(core, net, 1, 0);
      weights.row(t, signed_weight(core, net, 0, 1), signed_weight(core, net, 1, 0), e01, e10);
      if (t <= first_end) {
        eff_first[0] += e01;
        eff_first[1] += e10;
        ++n_first;
      }
      if (t >= last_begin) {
        eff_last[0] += e01;
        eff_last[1] += e10;
        ++n_last;
      }
    };
    run_learning(ctx, chip, use_firmware ? nullptr : &plasticity, firmware.get(), net, plastic,
                 sched, duration, e["sample_period_us"].as<double>(), sample, gains);
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
    functional_metrics(ctx, core, net, t_learn, duration, eff_first, n_first, eff_last, n_last);
    ctx.summary_lines.push_back(
        fmt::format("mode {}: codes {} / {} -> {} / {}", mode, w_strong, w_weak, c01, c10));
    ctx.summary_lines.push_back(fmt::format(
        "effective weights {:.2f} / {:.2f} mV -> {:.2f} / {:.2f} mV", e01_0, e10_0, e01, e10));
    ctx.summary_lines.push_back(fmt::format(
        "effective asymmetry {:.3f} -> {:.3f}; rates {:.1f} / {:.1f} kHz", asymmetry(e01_0, e10_0),
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

 private:
  // Functional weights f_01, f_10 over the first and the last `functional_part` of the
  // learning run [t_learn, t_learn + duration) from the recorded spikes; the PSP-effective
  // weights averaged over the same parts; each neuron's sensitivity (f per mV of PSP it
  // receives) and its operating point from the oracle; the sensors' view (kernel- and
  // rate-weighted functional weights, which SAL balances); correlograms in correlogram.csv.
  static void functional_metrics(RunContext& ctx, AnalogCore& core, const SalNetwork& net,
                                 double t_learn, double duration, const double* eff_first,
                                 int n_first, const double* eff_last, int n_last) {
    const YAML::Node& e = ctx.exp;
    FunctionalOptions o;
    o.d0_us = e["functional_d0_us"].as<double>();
    o.d1_us = e["functional_d1_us"].as<double>();
    const double part = e["functional_part"].as<double>() * duration;
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
      const double e01 = p.n_eff ? p.eff[0] / p.n_eff : 0.0,
                   e10 = p.n_eff ? p.eff[1] / p.n_eff : 0.0;
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
      ccg.push_back(
          cross_correlogram(core.spikes(), ids[0], ids[1], p.t0, p.t1, bin_us, max_lag_us));
      ccg.push_back(
          cross_correlogram(core.spikes(), ids[1], ids[0], p.t0, p.t1, bin_us, max_lag_us));
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
};

}  // namespace

ExperimentInfo sal_pair_info() {
  auto keys = common_keys("sal-pair", 100000.0);
  keys.push_back(
      {"plastic", Enum("both", {"both", "one", "none"},
                       "which synapses learn: both, only the weaker one (1 -> 0), or none")});
  keys.push_back({"w_strong", Int(30, -255, 255,
                                  "initial signed code of the strong synapse 0 -> 1 (negative: "
                                  "inhibitory row)")});
  keys.push_back({"w_weak", Int(10, -255, 255, "initial signed code of the weak synapse 1 -> 0")});
  keys.push_back(
      {"functional_d0_us",
       Float(0.5, 1e-3, 1e6,
             "functional weights: window after each pre spike starts here (>= bus latency)")});
  keys.push_back({"functional_d1_us",
                  Float(10.0, 1e-3, 1e6,
                        "functional weights: window end (covers the correlogram peak; later the "
                        "post neuron's reset makes it dip)")});
  keys.push_back({"functional_part",
                  Float(0.25, 0.01, 0.5,
                        "functional weights are measured over this fraction of the learning run "
                        "at its start and at its end")});
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
