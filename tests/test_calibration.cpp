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
}

TEST(Calibration, AppliedCalibrationMapsLaterVoltageTargetsThroughItsLines) {
  const auto cfg = mini(3);
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
}

TEST(Calibration, TargetRateMode) {
  const auto cfg = mini(3, {"chip.calibration.rate_hz=50000"});
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
  const auto cfg = mini(11, {"chip.neurons.v_reset_mV=1185", "chip.neurons.v_threshold_mV=1195"});
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
