// Experiments end to end through `salvo run` (each its own process, as a user runs them):
// outputs, metrics, the SAL claims on short runs, and bad network configs.
#include <filesystem>
#include <fstream>
#include <string>
#include "salvo_paths.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/salvo_run.hpp"

namespace fs = std::filesystem;

namespace {

const std::string kSrc = SALVO_SOURCE_DIR;
const std::string kMini = kSrc + "/configs/chips/mini.yaml";

using Run = salvo::testing::SalvoRun;

Run salvo_run(const std::string& name, const std::string& args) {
  return salvo::testing::salvo_run("exp_" + name, args);
}

std::string temp_yaml(const std::string& name, const std::string& text) {
  const fs::path p = fs::temp_directory_path() /
                     ("salvo_test_exp_" + std::to_string(::getpid()) + "_" + name + ".yaml");
  std::ofstream(p) << text;
  return p.string();
}

double metric(const Run& r, const char* name) {
  return r.summary.at("metrics").at(name).get<double>();
}

const std::string kPair = "--chip " + kMini + " --experiment " + kSrc +
                          "/configs/experiments/sal-pair.yaml " +
                          "--set experiment.duration_us=150000 ";

}  // namespace

TEST(Experiments, PlaybackWritesItsOutputs) {
  const auto r = salvo_run(
      "playback",
      "--chip " + kMini + " --experiment " + kSrc +
          "/configs/experiments/playback-demo.yaml --set experiment.duration_us=200 "
          "--set experiment.inputs.0.rows=16 --set experiment.inputs.0.rate_hz=400000 --set "
          "experiment.connections.0.rows=12 --set experiment.connections.0.probability=1 "
          "--set experiment.connections.0.columns=32 --set experiment.connections.1.first_row=12 "
          "--set experiment.connections.1.rows=4 --set experiment.connections.1.columns=32");
  ASSERT_EQ(r.code, 0) << r.output;
  for (const char* key : {"salvo_version", "chip", "experiment", "seed", "emulated_time_us",
                          "wall_time_s", "spikes", "bus", "ppu", "metrics"})
    EXPECT_TRUE(r.summary.contains(key)) << key;
  EXPECT_DOUBLE_EQ(r.summary["emulated_time_us"].get<double>(), 200.0);
  EXPECT_GT(r.summary["spikes"].get<int>(), 0);
  EXPECT_EQ(r.summary["chip"]["name"], "mini");
}

TEST(Experiments, SalPairBothAlignsTheEffectiveWeights) {
  const auto r = salvo_run("pair_both", kPair + "--set experiment.plastic=both");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_LT(metric(r, "effective_asymmetry_final"), 0.5 * metric(r, "effective_asymmetry_initial"))
      << r.output;
  EXPECT_GT(metric(r, "ppu_updates"), 100);
}

TEST(Experiments, SalPairOneMovesTheWeakWeightOnly) {
  const auto r = salvo_run("pair_one", kPair + "--set experiment.plastic=one");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(metric(r, "code_01_final"), 30);  // the strong synapse does not learn
  EXPECT_GT(metric(r, "effective_10_final_mV"), 1.5 * 3.96) << r.output;  // the weak one grows
  EXPECT_LT(metric(r, "effective_asymmetry_final"), metric(r, "effective_asymmetry_initial"))
      << r.output;
}

TEST(Experiments, SalPairNoneLeavesTheWeights) {
  const auto r = salvo_run("pair_none", kPair + "--set experiment.plastic=none");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_DOUBLE_EQ(metric(r, "effective_asymmetry_final"),
                   metric(r, "effective_asymmetry_initial"));
}

TEST(Experiments, SalFeedbackAlignsOnlyWithSal) {
  const std::string base = "--chip " + kMini +
                           " --set experiment.layer_a=6 --set experiment.layer_b=6 " +
                           "--set experiment.duration_us=100000 ";
  const auto sal = salvo_run("fb_sal", base + "--set experiment.feedback_plasticity=sal");
  ASSERT_EQ(sal.code, 0) << sal.output;
  EXPECT_LT(metric(sal, "angle_effective_final_deg"),
            metric(sal, "angle_effective_initial_deg") - 15)
      << sal.output;
  const auto fa = salvo_run("fb_none", base + "--set experiment.feedback_plasticity=none");
  ASSERT_EQ(fa.code, 0) << fa.output;
  EXPECT_DOUBLE_EQ(metric(fa, "angle_effective_final_deg"),
                   metric(fa, "angle_effective_initial_deg"));
}

const std::string kFeedback6 =
    "--chip " + kMini + " --set experiment.layer_a=6 --set experiment.layer_b=6 ";

TEST(Experiments, SalFeedbackMeasuresTheSensorGains) {
  // Replaying the recorded spikes removes the chance pairs' Poisson noise: the ratios come out
  // far more precisely than they are spread.
  const auto r = salvo_run("fb_gain", kFeedback6 +
                                          "--set experiment.duration_us=2000 "
                                          "--set experiment.sensor_gain_calibration_us=50000");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_GT(metric(r, "sensor_gain_true_spread_rms"), 0.15);
  EXPECT_LT(metric(r, "sensor_gain_error_rms"), 0.05) << r.output;
}

TEST(Experiments, SalFeedbackHomeostasisHoldsTheRates) {
  // Strong random W and B raise the rates the neurons were calibrated to (15 kHz) without
  // homeostasis; with it they stay near the target.
  const std::string base = kFeedback6 +
                           "--set experiment.feedback_plasticity=none --set experiment.w_init=40 "
                           "--set experiment.b_init=40 --set experiment.duration_us=60000 ";
  const auto off = salvo_run("fb_h0", base + "--set experiment.homeostasis_gain=0");
  ASSERT_EQ(off.code, 0) << off.output;
  const auto on = salvo_run("fb_h1", base + "--set experiment.homeostasis_gain=0.1");
  ASSERT_EQ(on.code, 0) << on.output;
  EXPECT_GT(metric(off, "rate_b_hz"), 17000) << off.output;
  EXPECT_NEAR(metric(on, "rate_a_hz"), 15000, 1000) << on.output;
  EXPECT_NEAR(metric(on, "rate_b_hz"), 15000, 1000) << on.output;
}

TEST(Experiments, SalFeedbackStdpBaselineDoesNotAlign) {
  // The Hebbian STDP firmware strengthens the causal direction b -> a: B moves away from Wᵀ.
  const auto r = salvo_run(
      "fb_stdp",
      kFeedback6 + "--set experiment.duration_us=60000 --set experiment.feedback_plasticity=stdp");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_GT(metric(r, "angle_effective_final_deg"), metric(r, "angle_effective_initial_deg"))
      << r.output;
}

TEST(Experiments, BadNetworkConfigsExitTwo) {
  const std::string play = "--chip " + kMini + " --experiment ";
  const auto row = salvo_run(
      "bad_row",
      play + temp_yaml("row", "name: playback\nconnections:\n  - {first_row: 30, rows: 8}\n"));
  EXPECT_EQ(row.code, 2);
  EXPECT_NE(row.output.find(
                ":3:27: experiment.connections.0.rows: rows 30..37 out of range (allowed: 0..31"),
            std::string::npos)
      << row.output;
  const auto weight = salvo_run(
      "bad_weight", play + temp_yaml("w", "name: playback\nconnections:\n  - {weight: 64}\n"));
  EXPECT_EQ(weight.code, 2);
  EXPECT_NE(weight.output.find("does not fit 6-bit weights (allowed: 0..63)"), std::string::npos)
      << weight.output;
  const auto label = salvo_run(
      "bad_label", play + temp_yaml("l", "name: playback\nconnections:\n  - {address: 64}\n"));
  EXPECT_EQ(label.code, 2);
  EXPECT_NE(label.output.find("experiment.connections.0.address: 64 is out of range"),
            std::string::npos)
      << label.output;
  const auto name = salvo_run("bad_name", play + temp_yaml("n", "name: sal-pairs\n"));
  EXPECT_EQ(name.code, 2);
  EXPECT_NE(name.output.find("did you mean 'sal-pair'"), std::string::npos) << name.output;
  const auto big = salvo_run("bad_size", "--chip " + kMini + " --set experiment.layer_a=32");
  EXPECT_EQ(big.code, 2) << big.output;
  EXPECT_FALSE(big.summary.is_object()) << "a run that fails on input leaves no summary.json";
}

// Reliability class 4 (a success that is not one): a learning run shorter than one update
// period, or not a whole number of them, is refused before anything runs (exit 2, naming
// file and key) instead of emulating 0 µs or silently dropping the last partial period.
TEST(Experiments, LearningDurationMustBeWholeUpdatePeriods) {
  const std::string mini = "--chip " + kMini +
                           " --set experiment.layer_a=3 --set "
                           "experiment.layer_b=3 ";
  const auto short_run = salvo_run("short", mini + "--set experiment.duration_us=1000");
  EXPECT_EQ(short_run.code, 2) << short_run.output;
  EXPECT_NE(short_run.output.find("--set: experiment.duration_us: 1000 µs is not a whole number "
                                  "of update periods (2000 µs)"),
            std::string::npos)
      << short_run.output;
  EXPECT_FALSE(fs::exists(short_run.out / "config.yaml")) << "refused before the run started";
  const auto partial = salvo_run("partial", mini + "--set experiment.duration_us=5000");
  EXPECT_EQ(partial.code, 2) << partial.output;
  EXPECT_NE(partial.output.find("experiment.duration_us"), std::string::npos);
  const auto pair = salvo_run("pair_partial", kPair + "--set experiment.update_period_us=4000");
  EXPECT_EQ(pair.code, 2) << pair.output;  // 150 000 µs is 37.5 periods of 4000 µs
}

// Reliability class 12 (checks after the simulation): sal-pair's functional window is checked
// when the config is loaded, naming the file, the line and the key.
TEST(Experiments, CrossKeyChecksRunBeforeTheChipIsBuilt) {
  const auto r =
      salvo_run("window", "--chip " + kMini + " --experiment " +
                              temp_yaml("window", "name: sal-pair\nfunctional_d0_us: 12\n"));
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("experiment.functional_d1_us: the window [12, 10] µs is empty (allowed: "
                          "> experiment.functional_d0_us)"),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(r.out / "config.yaml")) << "refused before the run started";
  EXPECT_FALSE(r.summary.is_object());
}

// Reliability class 14: a firmware run stopped by the watchdog reported a trap that never
// happened ("instruction address misaligned at pc 0 <vfscanf>") after the watchdog line.
TEST(Experiments, WatchdogStopIsReportedWithoutATrapReport) {
  const auto r = salvo_run("watchdog", kPair + "--set chip.processor.watchdog_instructions=2000");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("watchdog: the program did not end within 2000 instructions"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(r.output.find("unhandled trap"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("misaligned"), std::string::npos) << r.output;
  EXPECT_EQ(r.summary.value("status", ""), "failed");
}

// An input CSV's fields are read like config values: a stream read took row "1.5" as 1 and
// "0x1" as 0, and ignored anything after the number.
TEST(Experiments, InputCsvFieldsAreWholeNumbers) {
  const fs::path csv =
      fs::temp_directory_path() / ("salvo_test_exp_" + std::to_string(::getpid()) + "_events.csv");
  const std::string exp = temp_yaml(
      "csv",
      "name: playback\nduration_us: 20\ninputs:\n  - {type: file, file: " + csv.string() + "}\n");
  for (const auto& [line, problem] :
       {std::pair{"1.5,1.5", "row: '1.5' is not an integer (allowed: an integer in [0, 31])"},
        std::pair{"1,0x1", "row: '0x1' is not a number"},
        std::pair{"1,2 junk", "row: '2 junk' is not a number"},
        std::pair{"1,2,3", "expected 'time_us,row', got '1,2,3'"},
        std::pair{"-1,2", "time_us: -1 is out of range"}, std::pair{"1,32", "row: 32 is out"}}) {
    std::ofstream(csv) << "time_us,row\n0.5,3\n" << line << "\n";
    const auto r = salvo_run("csv", "--chip " + kMini + " --experiment " + exp);
    EXPECT_EQ(r.code, 2) << line << ": " << r.output;
    EXPECT_NE(r.output.find(csv.string() + ":3: " + problem), std::string::npos)
        << line << ": " << r.output;
  }
  std::ofstream(csv) << "time_us,row\r\n0.5,3\r\n1,4\r\n";  // CRLF is fine
  const auto ok = salvo_run("csv", "--chip " + kMini + " --experiment " + exp);
  EXPECT_EQ(ok.code, 0) << ok.output;
  EXPECT_EQ(ok.summary["bus"]["events"].get<int>(), 2) << ok.output;
}

TEST(Experiments, StdpWindowRecoversTheKernel) {
  const std::string base = "--chip " + kMini + " --experiment " + kSrc +
                           "/configs/experiments/stdp-window.yaml " + "--set experiment.rows=16 ";
  const auto ideal = salvo_run("stdp_ideal", base + "--set chip.mismatch.scale=0");
  ASSERT_EQ(ideal.code, 0) << ideal.output;
  EXPECT_NEAR(metric(ideal, "tau_causal_us"), 5.0, 0.02 * 5.0);
  EXPECT_NEAR(metric(ideal, "tau_acausal_us"), 5.0, 0.02 * 5.0);
  const auto ref = salvo_run("stdp_mismatch", base);
  ASSERT_EQ(ref.code, 0) << ref.output;
  EXPECT_NEAR(metric(ref, "amplitude_causal_spread"), metric(ref, "amplitude_causal_spread_true"),
              0.10 * metric(ref, "amplitude_causal_spread_true"));
  EXPECT_NEAR(metric(ref, "amplitude_acausal_spread"), metric(ref, "amplitude_acausal_spread_true"),
              0.10 * metric(ref, "amplitude_acausal_spread_true"));
}
