// The cost model (emulator/session/cost_model.hpp): area and static power of a variant, and
// the cost block of a run's summary.json recomputed here from the run's own activity counters
// and the coefficients in its resolved config.yaml.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <yaml-cpp/yaml.h>

#include "emulator/config/config.hpp"
#include "emulator/session/cost_model.hpp"
#include "salvo_paths.hpp"
#include "salvo_run.hpp"

using namespace salvo;

namespace {

const std::string kSrc = SALVO_SOURCE_DIR;
const std::string kMini = kSrc + "/configs/chips/mini.yaml";

double d(const YAML::Node& n) { return n.as<double>(); }

}  // namespace

TEST(CostModel, AreaAndStaticPowerFollowTheVariant) {
  const auto plain = config::load_chip(kMini, {}).chip_config;
  const auto vec = config::load_chip(kMini, {"chip.processor.vector.enabled=true",
                                             "chip.processor.vector.bytes=64"})
                       .chip_config;
  const auto a0 = session::area_mm2(plain), a1 = session::area_mm2(vec);
  // mini: 1 half, 32 neurons x 32 rows, 2 CADC channels per column, 16 KiB.
  const CostAreaConfig& c = plain.cost.area;
  EXPECT_NEAR(a0["neurons"].get<double>(), 32 * c.neuron_um2 * 1e-6, 1e-12);
  EXPECT_NEAR(a0["synapses"].get<double>(), 1024 * c.synapse_um2 * 1e-6, 1e-12);
  EXPECT_NEAR(a0["sram"].get<double>(), plain.processor.memory_kib * c.sram_kib_um2 * 1e-6, 1e-12);
  EXPECT_EQ(a0["vector"].get<double>(), 0.0);
  EXPECT_NEAR(a1["vector"].get<double>(), 64 * c.vector_byte_um2 * 1e-6, 1e-12);
  EXPECT_NEAR(a1["total"].get<double>() - a0["total"].get<double>(), a1["vector"].get<double>(),
              1e-12);
  const auto p0 = session::static_power_mW(plain), p1 = session::static_power_mW(vec);
  EXPECT_NEAR(p1["total"].get<double>() - p0["total"].get<double>(),
              64 * plain.cost.static_power.vector_byte_uW * 1e-3, 1e-12);
}

TEST(CostModel, RunCostIsRecomputedFromItsCounters) {
  const auto r = salvo::testing::salvo_run(
      "cost", "--no-plots --chip " + kMini + " --experiment " + kSrc +
                  "/configs/experiments/sal-pair.yaml --set experiment.duration_us=20000 "
                  "--set experiment.sensor_gain_calibration_us=0 "
                  "--set chip.processor.vector.enabled=true");
  ASSERT_EQ(r.code, 0) << r.output;
  ASSERT_TRUE(r.summary.contains("cost")) << r.summary.dump(2);
  const auto& cost = r.summary["cost"];
  const auto& a = cost["activity"];
  const YAML::Node chip = YAML::LoadFile((r.out / "config.yaml").string())["chip"];
  const YAML::Node e = chip["cost"]["energy_pJ"], st = chip["cost"]["static_uW"];
  // The run did all the things the model counts.
  for (const char* k : {"spikes", "synaptic_events", "cadc_conversions", "instructions",
                        "vector_instructions", "vector_lane_ops"})
    EXPECT_GT(a[k].get<double>(), 0) << k;
  EXPECT_DOUBLE_EQ(a["time_us"].get<double>(), r.summary["emulated_time_us"].get<double>());
  EXPECT_EQ(a["instructions"].get<double>(), r.summary["ppu"]["instructions"].get<double>());
  const double t = a["time_us"].get<double>();
  const double neurons = chip["neurons"]["per_half"].as<double>() * chip["halves"].as<double>();
  const double channels =
      chip["cadc"]["channels_per_column"].as<double>() * chip["neurons"]["per_half"].as<double>();
  const double halves = chip["halves"].as<double>();
  const double vbytes = chip["processor"]["vector"]["bytes"].as<double>();
  const double kib = chip["processor"]["memory_kib"].as<double>();
  auto n = [&](const char* k) { return a[k].get<double>(); };
  // pJ -> µJ: 1e-6; µW x µs -> µJ: 1e-6; mW x µs -> µJ: 1e-3.
  const double want_neurons =
      n("spikes") * d(e["spike"]) * 1e-6 + d(st["neuron"]) * neurons * t * 1e-6;
  const double want_syn = n("synaptic_events") * d(e["synaptic_event"]) * 1e-6;
  const double want_cadc = n("cadc_conversions") * channels * d(e["cadc_conversion"]) * 1e-6 +
                           d(st["cadc_channel"]) * channels * halves * t * 1e-6;
  const double want_param = n("parameter_writes") * d(e["parameter_write"]) * 1e-6;
  const double want_proc =
      (n("instructions") - n("vector_instructions")) * d(e["instruction"]) * 1e-6 +
      d(st["processor"]) * halves * t * 1e-3;
  const double want_vec = (n("vector_instructions") * d(e["vector_instruction"]) +
                           n("vector_lane_ops") * d(e["vector_lane_op"])) *
                              1e-6 +
                          d(st["vector_byte"]) * vbytes * halves * t * 1e-6;
  const double want_sram = d(st["sram_kib"]) * kib * halves * t * 1e-6;
  const auto& got = cost["energy_uJ"];
  auto near = [](double x, double y) {
    return std::abs(x - y) <= 1e-9 * std::max(1.0, std::abs(y));
  };
  EXPECT_TRUE(near(got["neurons"].get<double>(), want_neurons))
      << got["neurons"] << " vs " << want_neurons;
  EXPECT_TRUE(near(got["synapses"].get<double>(), want_syn));
  EXPECT_TRUE(near(got["cadc"].get<double>(), want_cadc));
  EXPECT_TRUE(near(got["parameter_memory"].get<double>(), want_param));
  EXPECT_TRUE(near(got["processor"].get<double>(), want_proc));
  EXPECT_TRUE(near(got["vector"].get<double>(), want_vec));
  EXPECT_TRUE(near(got["sram"].get<double>(), want_sram));
  EXPECT_EQ(got["sensors"].get<double>(), 0.0);
  const double total =
      want_neurons + want_syn + want_cadc + want_param + want_proc + want_vec + want_sram;
  EXPECT_TRUE(near(got["total"].get<double>(), total));
  EXPECT_TRUE(near(cost["power_mW"].get<double>(), total / t * 1e3));
}
