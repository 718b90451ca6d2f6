// `salvo calibrate` (emulator/calibration): on a mismatched mini chip every quantity reaches its
// bar against the oracle (the drawn parameters, which the procedures never read); a calibration
// of another instance or variant is refused with exit 2; a neuron that cannot reach its target
// is reported with its reason, not kept silently.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "emulator/calibration/calibrate.hpp"
#include "emulator/calibration/oracle.hpp"
#include "hw/analog/neuron_circuits.hpp"
#include "hw/common/error.hpp"
#include "salvo_paths.hpp"
#include "salvo_run.hpp"

namespace salvo::calibration {
namespace {

const std::string kMini = std::string(SALVO_SOURCE_DIR) + "/configs/chips/mini.yaml";

config::ResolvedConfig mini(std::uint64_t seed, const std::vector<std::string>& sets = {}) {
  config::ResolvedConfig cfg = config::load_chip(kMini, sets);
  cfg.seed = seed;
  return cfg;
}

CalibrationRun calibrate(const config::ResolvedConfig& cfg) {
  AnalogCore core(cfg.chip_config, cfg.seed);
  return calibrate_chip(
      core, [&core](double t) { core.advance_to(t); }, cfg);
}

TEST(Calibration, EveryQuantityReachesItsBarOnAMismatchedChip) {
  // 1.5x the reference mismatch on 2 x 32 neurons: spreads the bars must cut well apart.
  const auto cfg = mini(7, {"chip.halves=2", "chip.mismatch.scale=1.5"});
  const CalibrationRun run = calibrate(cfg);
  const auto& s = run.summary;
  EXPECT_LE(s["spread_ratio_leak"].get<double>(), 0.15);
  EXPECT_LE(s["spread_ratio_reset"].get<double>(), 0.10);
  EXPECT_LE(s["spread_ratio_threshold"].get<double>(), 0.18);
  EXPECT_LE(s["spread_ratio_tau_mem"].get<double>(), 0.22);
  // The project's goals (half of calix's bars; docs/calibration.md).
  EXPECT_LE(s["spread_ratio_tau_syn_exc"].get<double>(), 0.10);
  EXPECT_LE(s["spread_ratio_tau_syn_inh"].get<double>(), 0.10);
  EXPECT_LE(s["spread_ratio_synaptic_strength"].get<double>(), 0.15);
  EXPECT_LE(s["spread_ratio_refractory"].get<double>(), 0.15);
  EXPECT_GE(s["usable_fraction"].get<double>(), 0.95);
  // The calibrated operating point is where the targets are, not merely narrow.
  const auto& o = s["oracle"];
  EXPECT_NEAR(o["leak"]["mean_after"].get<double>(), 600.0, 2.0);
  EXPECT_NEAR(o["reset"]["mean_after"].get<double>(), 620.0, 2.0);
  EXPECT_NEAR(o["threshold"]["mean_after"].get<double>(), 800.0, 6.0);
  EXPECT_NEAR(o["tau_mem"]["mean_after"].get<double>(), 10.0, 0.3);
  EXPECT_NEAR(o["tau_syn_exc"]["mean_after"].get<double>(), 5.0, 0.25);
  EXPECT_NEAR(o["synaptic_strength"]["mean_after"].get<double>(), 1.0, 0.05);
  EXPECT_NEAR(o["refractory"]["mean_after"].get<double>(), 2.0, 0.1);
  // CADC channel offsets (15 LSB drawn) known to well under the 3 LSB bar.
  EXPECT_LT(s["cadc"]["causal_residual_rms_lsb"].get<double>(), 0.5);
  EXPECT_LT(s["cadc"]["acausal_residual_rms_lsb"].get<double>(), 0.5);
  // At 1.5x the reference spread some sensor baselines sit at the top code: counted.
  EXPECT_LT(s["cadc"]["acausal_unmeasurable_channels"].get<int>(), 10);
  // Correlation sensors, measured through CADC reads after pre/post pairs: A and τ of every
  // synapse close to the truth, the global values (medians) at the drawn ones, and the trims
  // (shared by both channels) narrow the channel mean's spread to near what trims chosen from
  // the true values reach.
  const auto& sn = s["sensors"];
  const double amp = cfg.chip_config.sensors.amplitude_lsb, tau = cfg.chip_config.sensors.tau_us;
  for (const char* ch : {"causal", "acausal"}) {
    SCOPED_TRACE(ch);
    EXPECT_LT(sn["measurement_error_rms"][std::string("amplitude_") + ch].get<double>(), 0.06);
    EXPECT_LT(sn["measurement_error_rms"][std::string("tau_") + ch].get<double>(), 0.06);
    EXPECT_NEAR(sn[std::string("amplitude_") + ch + "_lsb"].get<double>(), amp, 0.05 * amp);
    EXPECT_NEAR(sn[std::string("tau_") + ch + "_us"].get<double>(), tau, 0.05 * tau);
  }
  const auto& before = sn["spread_nominal_trims"];
  const auto& after = sn["spread_calibrated_trims"];
  const auto& ideal = sn["spread_ideal_trims"];
  for (const char* q : {"amplitude_channel_mean", "tau_channel_mean"}) {
    SCOPED_TRACE(q);
    // At 1.5x the reference spread 2-bit trims of -20..+10 % (mean kept at the design value)
    // cannot do more than ~0.55x (the oracle's own choice, `ideal`); 0.5x at 1x (docs).
    EXPECT_LT(after[q].get<double>(), 0.7 * before[q].get<double>());
    EXPECT_LT(after[q].get<double>(), ideal[q].get<double>() + 0.015);
  }
  // Unmeasured: the synapses of channels whose baseline the CADC cannot read (offset at the top
  // code, counted above) and little else.
  const int blind = s["cadc"]["causal_unmeasurable_channels"].get<int>() +
                    s["cadc"]["acausal_unmeasurable_channels"].get<int>();
  EXPECT_LE(sn["unmeasured_synapses"].get<int>(), 32 * blind + 2 * 32 * 32 / 50);
  // The trims reach the chip when the calibration is applied.
  AnalogCore core(cfg.chip_config, cfg.seed);
  run.calibration.apply(core);
  const auto& trims = run.calibration.sensors.amplitude_trim;
  int moved = 0;
  for (int r = 0; r < 32; ++r)
    for (int c = 0; c < 32; ++c) {
      EXPECT_EQ(core.sensors(1).amplitude_trim(r, c), trims[1][r * 32 + c]);
      moved += trims[1][r * 32 + c] != core.sensors(1).nominal_trim_code();
    }
  EXPECT_GT(moved, 32 * 32 / 4);
}

TEST(Calibration, AppliedCalibrationMapsLaterVoltageTargetsThroughItsLines) {
  const auto cfg = mini(3, {"chip.calibration.sensors=false"});
  const CalibrationRun run = calibrate(cfg);
  AnalogCore core(cfg.chip_config, cfg.seed);
  run.calibration.apply(core);
  const int leak = ParameterMemory::cell_index(VoltageCell::kLeak);
  for (int i = 0; i < core.neurons_total(); ++i) {
    EXPECT_EQ(core.parameters().code(i, leak), run.calibration.neurons[i].codes[0]);
    core.set_voltage_target(i, VoltageCell::kLeak, 600.0);  // the calibrated code again
    EXPECT_EQ(core.parameters().code(i, leak), run.calibration.neurons[i].codes[0]) << i;
    core.set_voltage_target(i, VoltageCell::kLeak, 660.0);  // ~51 codes of ~1.17 mV higher
    EXPECT_NEAR(core.parameters().code(i, leak) - run.calibration.neurons[i].codes[0], 51, 3);
  }
  // Current-cell targets (e.g. sampling's refractory and time constants) through the fitted
  // per-neuron lines: the calibrated code at the calibration's target, and the sampling
  // network's targets (far from the calibrated points) met better than by the ideal codes (the
  // truth from the oracle).
  const NeuronCircuits circ(cfg.chip_config, cfg.seed);
  const int refr = core.parameters().cell_index(CurrentCell::kRefractoryBias);
  const int k_refr =
      static_cast<int>(std::find(run.calibration.cells.begin(), run.calibration.cells.end(), refr) -
                       run.calibration.cells.begin());
  struct Target {
    CurrentCell cell;
    double value;
    double NeuronCircuitParams::*field;
  };
  const Target targets[] = {{CurrentCell::kRefractoryBias, 20.0, &NeuronCircuitParams::t_ref_us},
                            {CurrentCell::kSynExcBias, 20.0, &NeuronCircuitParams::tau_syn_exc_us},
                            {CurrentCell::kSynInhBias, 20.0, &NeuronCircuitParams::tau_syn_inh_us},
                            {CurrentCell::kLeakBias, 2.5, &NeuronCircuitParams::tau_mem_us}};
  AnalogCore ideal(cfg.chip_config, cfg.seed);  // no calibration: the ideal codes
  for (const Target& t : targets) {
    double rms_cal = 0, rms_ideal = 0;
    for (int i = 0; i < core.neurons_total(); ++i) {
      core.set_current_target(i, CurrentCell::kRefractoryBias, 2.0);
      EXPECT_EQ(core.parameters().code(i, refr), run.calibration.neurons[i].codes[k_refr]) << i;
      core.set_current_target(i, t.cell, t.value);
      ideal.set_current_target(i, t.cell, t.value);
      const double e_cal = circ.params(i, core.parameters()).*t.field / t.value - 1;
      const double e_ideal = circ.params(i, ideal.parameters()).*t.field / t.value - 1;
      rms_cal += e_cal * e_cal / core.neurons_total();
      rms_ideal += e_ideal * e_ideal / core.neurons_total();
    }
    EXPECT_LT(std::sqrt(rms_cal), 0.5 * std::sqrt(rms_ideal)) << static_cast<int>(t.cell);
  }
}

TEST(Calibration, TargetRateMode) {
  const auto cfg = mini(3, {"chip.calibration.rate_hz=50000", "chip.calibration.sensors=false"});
  const CalibrationRun run = calibrate(cfg);
  EXPECT_GE(run.summary["rate"]["fraction_within_5pct"].get<double>(), 0.99);
}

TEST(Calibration, JsonRoundTripAndRefusalOfAnotherInstanceOrVariant) {
  const auto cfg = mini(5);
  CalibrationRun run;
  run.calibration.chip_name = "mini";
  run.calibration.seed = 5;
  run.calibration.chip_hash = chip_hash(cfg.chip);
  run.calibration.cells = {0, 1};
  run.calibration.cell_names = {"v_leak", "v_reset"};
  NeuronCalibration nc;
  nc.codes = {500, 520};
  run.calibration.neurons.assign(32, nc);
  run.calibration.neurons[3].fail("leak: out of reach");
  SensorCalibration& sc = run.calibration.sensors;
  sc.columns = 32;
  sc.amplitude_causal_lsb = 0.49;
  sc.amplitude_trim.assign(1, std::vector<std::uint8_t>(32 * 32, 2));
  sc.tau_trim.assign(1, std::vector<std::uint8_t>(32 * 32, 1));
  sc.amplitude_trim[0][33] = 3;
  sc.tau_trim[0][1023] = 0;
  const auto dir =
      std::filesystem::temp_directory_path() / ("salvo_cal_" + std::to_string(::getpid()));
  write_run(run, dir.string());
  const std::string file = (dir / "calibration.json").string();
  const Calibration back = Calibration::read(file);
  EXPECT_EQ(back.to_json(), run.calibration.to_json());
  EXPECT_NO_THROW(back.check_belongs(file, "mini", 5, chip_hash(cfg.chip), 32));
  EXPECT_THROW(back.check_belongs(file, "mini", 6, chip_hash(cfg.chip), 32), ConfigError);
  const auto other = mini(5, {"chip.mismatch.scale=2"});
  EXPECT_NE(chip_hash(other.chip), chip_hash(cfg.chip));
  EXPECT_THROW(resolve_calibration(file, other), ConfigError);
  // Through the command line: exit 2 with a one-line message naming the file.
  const auto r = testing::salvo_run(
      "calref",
      "--chip " + kMini +
          " --seed 6 --set experiment.layer_a=3 --set experiment.layer_b=3 --calibration " + file);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find(file), std::string::npos) << r.output;
  std::filesystem::remove_all(dir);
}

TEST(Calibration, UnreachableNeuronIsReportedWithItsReason) {
  // A reset target at the top of the cells' range: neurons whose cell and circuit sit low cannot
  // reach it. Each must be listed with its reason, and every listed one must truly miss.
  const auto cfg = mini(11, {"chip.neurons.v_reset_mV=1185", "chip.neurons.v_threshold_mV=1195",
                             "chip.calibration.sensors=false"});
  const CalibrationRun run = calibrate(cfg);
  const auto ov = oracle_values(cfg.chip_config, cfg.seed, run.calibration);
  int missed = 0;
  for (std::size_t i = 0; i < run.calibration.neurons.size(); ++i) {
    const double err = ov.after[1][i] - 1185.0;  // reset
    const auto& n = run.calibration.neurons[i];
    bool reported = false;
    for (const auto& r : n.reasons) reported = reported || r.rfind("reset:", 0) == 0;
    if (std::abs(err) > 8.0) {
      ++missed;
      EXPECT_TRUE(reported) << "neuron " << i << " misses by " << err << " mV, not reported";
    }
    if (reported) {
      EXPECT_GT(std::abs(err), 4.0) << "neuron " << i << " reported but fine";
    }
  }
  EXPECT_GT(missed, 0);
  EXPECT_LT(run.summary["usable_fraction"].get<double>(), 1.0);
  EXPECT_EQ(run.summary["unusable"].size(),
            run.calibration.neurons.size() - run.calibration.usable_count());
}

}  // namespace
}  // namespace salvo::calibration
