// AnalogCore: the chip's analog side as a whole — effective-weight oracle against the
// simulated membrane, label-exact delivery, causal timing, reproducibility, rate counters
// and run-time parameter writes.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include "salvo_paths.hpp"

#include <gtest/gtest.h>

#include "emulator/config/config.hpp"
#include "hw/chip/analog_core.hpp"
#include "salvo_run.hpp"

using namespace salvo;

namespace {

ChipConfig mini(std::vector<std::string> sets = {}) {
  sets.push_back("chip.noise.membrane_mV_rms=0");
  return config::load_chip(std::string(SALVO_SOURCE_DIR) + "/configs/chips/mini.yaml", sets)
      .chip_config;
}

// Peak deviation (signed, largest magnitude) of neuron n's membrane from its value at t0
// while the core runs to t1, sampled every step.
double peak_deviation(AnalogCore& core, int n, double t1) {
  const double v0 = core.neurons().v_mV(n);
  double peak = 0;
  while (core.now_us() < t1 - 1e-9) {
    core.advance_to(core.now_us() + core.dt_us());
    const double dv = core.neurons().v_mV(n) - v0;
    if (std::fabs(dv) > std::fabs(peak)) peak = dv;
  }
  return peak;
}

}  // namespace

TEST(AnalogCore, EffectiveWeightOracleMatchesTheMembrane) {
  AnalogCore core(mini(), 7);
  core.select_drivers_by_index();
  core.route_all_inputs_round_robin();
  auto& syn = core.synapses(0);
  syn.set_row_sign(3, SynapseArray::RowSign::kInhibitory);
  struct Probe {
    int row, col, weight;
  };
  const std::vector<Probe> probes = {{2, 0, 20}, {2, 5, 63}, {3, 9, 40}, {2, 17, 7}, {3, 30, 63}};
  double t = 20.0;
  core.advance_to(t);
  for (const auto& p : probes) {
    syn.set_weight(p.row, p.col, p.weight);
    syn.set_label(p.row, p.col, p.row % 2);
    // One event, then 60 µs (12 τ_syn) for the PSP to rise and fall, membrane at rest.
    core.add_playback({{t + 1.0, AnalogCore::row_label(0, p.row, 2, p.row % 2)}});
    core.advance_to(t);
    const double measured = peak_deviation(core, p.col, t + 60.0);
    const double oracle = core.effective_weight_mV(0, p.row, p.col);
    EXPECT_NEAR(measured, oracle, 0.02 * std::fabs(oracle)) << "row " << p.row << " col " << p.col;
    EXPECT_EQ(measured < 0, p.row == 3);
    t += 80.0;
    core.advance_to(t);
  }
}

TEST(AnalogCore, EventsReachExactlyTheSynapsesWithTheirLabel) {
  AnalogCore core(mini(), 3);
  core.select_drivers_by_index();
  core.route_all_inputs_round_robin();
  auto& syn = core.synapses(0);
  for (int c = 0; c < 32; ++c) {
    syn.set_weight(10, c, 40);
    syn.set_label(10, c, c % 4);  // columns with label 1: 1, 5, 9, ...
  }
  core.add_playback({{305.0, AnalogCore::row_label(0, 10, 2, 1)}});
  core.advance_to(300.0);  // every membrane settled at its (mismatched) rest
  std::vector<double> v0(32);
  for (int c = 0; c < 32; ++c) v0[c] = core.neurons().v_mV(c);
  core.advance_to(312.0);
  for (int c = 0; c < 32; ++c) {
    const double dv = core.neurons().v_mV(c) - v0[c];
    if (c % 4 == 1)
      EXPECT_GT(dv, 1.0) << c;
    else
      EXPECT_NEAR(dv, 0.0, 1e-6) << c;
  }
}

TEST(AnalogCore, InputActsOnlyAfterTheBusLatency) {
  AnalogCore core(mini({"chip.buses.latency_us=2.0"}), 3);
  core.select_drivers_by_index();
  core.route_all_inputs_round_robin();
  core.synapses(0).set_weight(4, 0, 63);
  core.add_playback({{300.0, AnalogCore::row_label(0, 4, 2, 0)}});
  core.advance_to(300.0);  // membrane settled at rest
  const double v0 = core.neurons().v_mV(0);
  core.advance_to(302.0);  // the event is still on the bus
  EXPECT_NEAR(core.neurons().v_mV(0), v0, 1e-6);
  core.advance_to(302.5);
  EXPECT_GT(core.neurons().v_mV(0), v0 + 0.1);
}

namespace {

std::vector<RecordedSpike> noisy_run(std::uint64_t seed) {
  auto cfg = mini();
  cfg.noise.membrane_mV_rms = 1.0;
  AnalogCore core(cfg, seed);
  core.select_drivers_by_index();
  core.route_all_inputs_round_robin();
  for (int c = 0; c < 32; ++c)
    core.synapses(0).set_weight(30, c, 63), core.synapses(0).set_label(30, c, 0);
  auto& src = core.add_background();
  src.configure(BackgroundSource::Mode::kPoisson, 2e6, AnalogCore::row_label(0, 30, 2, 0));
  core.advance_to(500.0);
  return core.spikes();
}

}  // namespace

TEST(AnalogCore, SameSeedIsBitIdenticalAnotherSeedDiffers) {
  const auto a = noisy_run(11), b = noisy_run(11), c = noisy_run(12);
  ASSERT_GT(a.size(), 100u);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].t_us, b[i].t_us);
    EXPECT_EQ(a[i].neuron, b[i].neuron);
  }
  bool differs = a.size() != c.size();
  for (std::size_t i = 0; !differs && i < a.size(); ++i) differs = a[i].t_us != c[i].t_us;
  EXPECT_TRUE(differs);
}

TEST(AnalogCore, SpikeTimestampsResolveToTheEventClock) {
  const auto s = noisy_run(5);
  ASSERT_FALSE(s.empty());
  for (const auto& sp : s) {
    const double cycles = sp.t_us * 125.0;
    EXPECT_NEAR(cycles, std::round(cycles), 1e-6);
  }
  EXPECT_TRUE(std::is_sorted(s.begin(), s.end(),
                             [](const auto& x, const auto& y) { return x.t_us < y.t_us; }));
}

TEST(AnalogCore, RateCountersSaturateAndReset) {
  auto cfg = mini();
  cfg.noise.membrane_mV_rms = 0;
  AnalogCore core(cfg, 1);
  // Neuron 0 driven hard: a constant offset current far above rheobase.
  const int cell = core.parameters().cell_index(CurrentCell::kOffset);
  core.write_parameter(0, cell, core.parameters().code_max());
  core.advance_to(3000.0);
  EXPECT_EQ(core.rate_counter(0), 255);
  EXPECT_EQ(core.rate_counter(1), 0);
  core.reset_rate_counter(0);
  EXPECT_EQ(core.rate_counter(0), 0);
}

TEST(AnalogCore, ParameterWritesChangeTheCircuitAtRunTime) {
  auto cfg = mini({"chip.mismatch.scale=0"});
  AnalogCore core(cfg, 1);
  const double before = core.neurons().params(4).v_leak_mV;
  core.set_voltage_target(4, VoltageCell::kLeak, 700.0);
  EXPECT_NEAR(core.neurons().params(4).v_leak_mV, 700.0, 1.5);  // one code is ~1.2 mV
  EXPECT_NEAR(before, cfg.neurons.v_leak_mV, 1.5);
  // The membrane relaxes to the new leak.
  core.advance_to(200.0);
  EXPECT_NEAR(core.neurons().v_mV(4), core.neurons().params(4).v_leak_mV, 0.01);
}

namespace {

// A threshold at which about half of two_half_run's windows (of 4 steps: bus latency 0.5 µs,
// dt 0.1 µs) go to the pool.
constexpr double kMixedWorkNs = 1600.0;

struct TwoHalfRun {
  std::uint64_t parallel_steps = 0;
  std::vector<RecordedSpike> spikes;
  std::vector<double> v_mV;
  std::vector<double> sensors_lsb;
  std::vector<double> madc;  // time and voltage of each MADC sample of neuron 37 (half 1)
};

// Both halves of a two-half mini chip driven by background Poisson rows, with membrane noise,
// mismatch and sensors on, run on `threads` host threads; with two, steps go to the pool when
// both halves' work estimate is at least min_work_ns (0: every step). Advanced to 400 µs at
// once (in windows of several steps), or by `step_us` at a time (one step: windows of one).
TwoHalfRun two_half_run(int threads, double min_work_ns = 0.0, double step_us = 0.0) {
  auto cfg = mini({"chip.halves=2"});
  cfg.noise.membrane_mV_rms = 1.0;
  AnalogCore core(cfg, 17);
  core.set_threads(threads);
  core.set_parallel_min_work_ns(min_work_ns);
  EXPECT_EQ(core.threads(), threads);
  core.select_drivers_by_index();
  core.route_all_inputs_round_robin();
  for (int h = 0; h < 2; ++h) {
    for (int r = 0; r < 8; ++r)
      for (int c = 0; c < 32; ++c)
        core.synapses(h).set_weight(r, c, 20 + r), core.synapses(h).set_label(r, c, 0);
    for (int r = 0; r < 8; r += 2) {
      auto& src = core.add_background();
      src.configure(BackgroundSource::Mode::kPoisson, 1.5e6, AnalogCore::row_label(h, r, 2, 0));
    }
  }
  for (int n = 0; n < core.neurons_total(); ++n) core.set_neuron_label(n, 0x3F00);
  core.select_madc(37);
  if (step_us > 0.0) {
    for (std::uint64_t k = 1; static_cast<double>(k) * step_us <= 400.0; ++k)
      core.advance_to(static_cast<double>(k) * step_us);
  } else {
    core.advance_to(400.0);
  }
  TwoHalfRun out;
  out.parallel_steps = core.parallel_steps();
  out.spikes = core.spikes();
  for (const auto& m : core.madc_samples()) out.madc.insert(out.madc.end(), {m.t_us, m.v_mV});
  for (int n = 0; n < core.neurons_total(); ++n) out.v_mV.push_back(core.neurons().v_mV(n));
  for (int h = 0; h < 2; ++h)
    for (int r = 0; r < 8; ++r)
      for (int c = 0; c < 32; ++c)
        for (auto ch : {SensorChannel::kCausal, SensorChannel::kAcausal})
          out.sensors_lsb.push_back(core.sensors(h).accumulated_lsb(ch, r, c, 400.0));
  return out;
}

// Two runs computed the same: spikes, membranes, sensors and MADC samples, bit for bit.
void expect_same_run(const TwoHalfRun& a, const TwoHalfRun& b) {
  ASSERT_EQ(a.spikes.size(), b.spikes.size());
  for (std::size_t i = 0; i < a.spikes.size(); ++i) {
    EXPECT_EQ(a.spikes[i].t_us, b.spikes[i].t_us) << i;
    EXPECT_EQ(a.spikes[i].neuron, b.spikes[i].neuron) << i;
  }
  EXPECT_EQ(a.v_mV, b.v_mV);
  EXPECT_EQ(a.sensors_lsb, b.sensors_lsb);
  EXPECT_EQ(a.madc, b.madc);
}

}  // namespace

TEST(AnalogCore, ResultsDoNotDependOnTheThreadCount) {
  const TwoHalfRun one = two_half_run(1), two = two_half_run(2);
  EXPECT_EQ(one.parallel_steps, 0u);
  EXPECT_EQ(two.parallel_steps, 4000u);  // 400 µs of 0.1 µs steps, every one side by side
  ASSERT_GT(one.spikes.size(), 200u);
  bool both_halves = false;
  for (const auto& s : one.spikes) both_halves |= s.neuron >= 32;
  EXPECT_TRUE(both_halves);
  expect_same_run(one, two);
  double charge = 0;
  for (double x : one.sensors_lsb) charge += x;
  EXPECT_GT(charge, 0.0);
}

// Steps switching between side by side and one after the other (by the halves' work) change
// nothing either.
TEST(AnalogCore, ResultsDoNotDependOnWhichStepsRunSideBySide) {
  const TwoHalfRun one = two_half_run(1), mixed = two_half_run(2, kMixedWorkNs);
  EXPECT_GT(mixed.parallel_steps, 400u);
  EXPECT_LT(mixed.parallel_steps, 3600u);
  expect_same_run(one, mixed);
}

// Windows of steps (the halves run up to 4 steps without hearing from each other) compute
// what single steps compute.
TEST(AnalogCore, WindowsOfStepsGiveTheResultsOfSingleSteps) {
  for (int threads : {1, 2}) {
    const TwoHalfRun windows = two_half_run(threads), single = two_half_run(threads, 0.0, 0.1);
    ASSERT_GT(single.spikes.size(), 200u);
    EXPECT_EQ(windows.madc.size(), 2 * 4001u);  // 10 MSPS over 400 µs, sample 0 included
    expect_same_run(windows, single);
  }
}

TEST(AnalogCore, QuietHalvesStepOneAfterTheOther) {
  // The default threshold: the halves of a two-half mini chip without input (4 blocks of 8
  // neurons each, asleep) have too little to do to be worth a second core; driven as in
  // two_half_run, a window of 4 steps is (the handover cost is paid once per window).
  AnalogCore quiet(mini({"chip.halves=2"}), 17);
  quiet.set_threads(2);
  quiet.advance_to(100.0);
  EXPECT_EQ(quiet.parallel_steps(), 0u);
  const TwoHalfRun busy = two_half_run(2, AnalogCore::kParallelMinWorkNs);
  EXPECT_GT(busy.parallel_steps, 2000u);
}

TEST(AnalogCore, ThreadsBeyondTheHalvesAreNotUsed) {
  AnalogCore core(mini(), 1);  // one half
  core.set_threads(4);
  EXPECT_EQ(core.threads(), 1);
}

// What a user runs: `salvo run --threads 1` and `--threads 2` write identical results
// (firmware on the processor, sensors, mismatch, noise, two halves).
TEST(AnalogCore, SalvoRunThreadsOneAndTwoGiveIdenticalOutputs) {
  namespace fs = std::filesystem;
  const std::string args =
      "--chip " + std::string(SALVO_SOURCE_DIR) +
      "/configs/chips/mini.yaml --set chip.halves=2 --set experiment.layer_a=6 "
      "--set experiment.layer_b=6 --set experiment.duration_us=6000 "
      "--set experiment.sensor_gain_calibration_us=4000 --set experiment.functional_window_us=4000 "
      "--no-plots";
  const auto a = salvo::testing::salvo_run("threads1", args + " --threads 1");
  const auto b = salvo::testing::salvo_run("threads2", args + " --threads 2");
  ASSERT_EQ(a.code, 0) << a.output;
  ASSERT_EQ(b.code, 0) << b.output;
  int files = 0;
  for (const auto& f : fs::directory_iterator(a.out)) {
    const std::string name = f.path().filename().string();
    if (name == "summary.json") continue;
    std::ifstream fa(f.path()), fb(b.out / name);
    ASSERT_TRUE(fb.good()) << name;
    const std::string ca((std::istreambuf_iterator<char>(fa)), {}),
        cb((std::istreambuf_iterator<char>(fb)), {});
    EXPECT_EQ(ca, cb) << name;
    ++files;
  }
  EXPECT_GE(files, 3);
  auto strip = [](nlohmann::json j) {
    j.erase("wall_time_s");
    j["host"].erase("threads");  // where the work ran, not what it computed
    j["host"].erase("parallel_steps");
    return j;
  };
  EXPECT_EQ(strip(a.summary).dump(), strip(b.summary).dump());
  EXPECT_GT(a.summary["spikes"].get<long>(), 0);
  // Bad values are a one-line usage error.
  const auto bad = salvo::testing::salvo_run("threads0", args + " --threads 0");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.output.find("--threads"), std::string::npos) << bad.output;
}

// Issue 12 class 16: each MADC sample labelled t shows the membrane at t — not, for some
// samples, at t + one step (the sample time used to be an accumulated float).
TEST(AnalogCore, MadcSampleLabelsAgreeWithTheMembraneTheyShow) {
  auto cfg = mini();
  cfg.noise.membrane_mV_rms = 1.0;  // a membrane that differs from step to step
  AnalogCore core(cfg, 9);
  core.select_madc(5);
  std::vector<std::pair<double, double>> truth;  // (time, V) at every step boundary
  truth.push_back({core.now_us(), core.neurons().v_mV(5)});
  const double max_code = (1 << cfg.madc.bits) - 1;
  const auto code_of = [&](double v) {
    return std::clamp<long>(std::lround(v / cfg.madc.v_full_scale_mV * max_code), 0, max_code);
  };
  while (core.now_us() < 200.0) {
    core.advance_to(core.now_us() + core.dt_us());
    truth.push_back({core.now_us(), core.neurons().v_mV(5)});
  }
  const auto& s = core.madc_samples();
  ASSERT_GE(s.size(), 2000u);
  int wrong = 0;
  for (std::size_t i = 0; i < 2000; ++i) {
    EXPECT_NEAR(s[i].t_us, i * 0.1, 1e-9);
    // 10 MSPS and dt = 0.1 µs: sample i is the state at boundary i.
    if (std::abs(s[i].t_us - truth[i].first) > 1e-9 || s[i].code != code_of(truth[i].second))
      ++wrong;
  }
  EXPECT_EQ(wrong, 0);
}

// A PSP's recorded peak time against the closed form t* = τm τs/(τm − τs) ln(τm/τs), counted
// from the step boundary at which the delivered event acts (delivery at t_e + latency inside
// a step; the jump acts at that step's end). The peak is flat to 0.01 mV over ±0.1 µs, so
// the recorded peak time is the fitted onset of the whole recorded PSP (16-bit MADC) plus t*.
TEST(AnalogCore, MadcRecordsThePspPeakAtTheClosedFormTime) {
  AnalogCore core(mini({"chip.mismatch.scale=0", "chip.madc.bits=16"}), 3);
  core.select_drivers_by_index();
  core.route_all_inputs_round_robin();
  core.synapses(0).set_weight(4, 0, 63);
  core.select_madc(0);
  const auto& p = core.neurons().params(0);
  const double tm = p.tau_mem_us, ts = p.tau_syn_exc_us, latency = 0.5, dt = 0.1;
  const double tstar = tm * ts / (tm - ts) * std::log(tm / ts);  // 6.93 µs
  const auto shape = [&](double t) { return t <= 0 ? 0.0 : std::exp(-t / tm) - std::exp(-t / ts); };
  const double amp = core.effective_weight_mV(0, 4, 0) / shape(tstar);
  std::vector<Event> events;
  for (int k = 1; k <= 12; ++k)
    events.push_back({k * 200.0 + 0.25 + 0.013 * k, AnalogCore::row_label(0, 4, 2, 0)});
  core.add_playback(events);
  core.advance_to(13 * 200.0);
  const auto& s = core.madc_samples();
  const auto at = [&s](double t) {
    return std::lower_bound(s.begin(), s.end(), t,
                            [](const MadcSample& m, double x) { return m.t_us < x; });
  };
  for (const Event& e : events) {
    const double t_on = (std::floor((e.t_us + latency) / dt + 1e-9) + 1) * dt;
    const auto from = at(e.t_us - 5.0), to = at(e.t_us + 60.0);
    ASSERT_GT(to - from, 600);
    const double base = from->v_mV;
    double best_sse = 1e300, best_on = 0;
    for (double on = t_on - 0.3; on <= t_on + 0.3; on += 0.001) {
      double sse = 0;
      for (auto it = from; it != to; ++it) {
        const double r = it->v_mV - base - amp * shape(it->t_us - on);
        sse += r * r;
      }
      if (sse < best_sse) best_sse = sse, best_on = on;
    }
    EXPECT_NEAR(best_on + tstar, t_on + tstar, 0.02) << "event at " << e.t_us;
  }
}
