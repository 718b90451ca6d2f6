// NeuronCircuits: fixed-pattern mismatch statistics (10 000 circuits), switching spreads off,
// seed reproducibility down to spike trains, the code -> circuit mapping and run-time writes.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <vector>

#include "hw/analog/neuron_circuits.hpp"
#include "hw/common/error.hpp"

namespace salvo {
namespace {

ChipConfig chip_with(int neurons) {
  ChipConfig c;
  c.halves = 1;
  c.neurons.per_half = neurons;
  return c;
}

struct Moments {
  double mean, sd;
};

Moments moments(const NeuronCircuits& c,
                const std::function<double(const NeuronCircuitMismatch&)>& f) {
  double s1 = 0.0, s2 = 0.0;
  for (int i = 0; i < c.size(); ++i) {
    const double x = f(c.mismatch(i));
    s1 += x;
    s2 += x * x;
  }
  const double n = c.size();
  return Moments{s1 / n, std::sqrt(s2 / n - (s1 / n) * (s1 / n))};
}

TEST(NeuronCircuits, TenThousandCircuitsGiveTheConfiguredSpreads) {
  const ChipConfig chip = chip_with(10000);
  const NeuronCircuits c(chip, 2024);
  const MismatchConfig& m = chip.mismatch;
  struct Case {
    const char* name;
    std::function<double(const NeuronCircuitMismatch&)> f;
    double sigma;
    double mean;
  };
  const Case cases[] = {
      {"tau_mem", [](const auto& x) { return x.tau_mem; }, m.tau_mem, 1.0},
      {"tau_syn_exc", [](const auto& x) { return x.tau_syn_exc; }, m.tau_syn, 1.0},
      {"tau_syn_inh", [](const auto& x) { return x.tau_syn_inh; }, m.tau_syn, 1.0},
      {"syn_gain_exc", [](const auto& x) { return x.syn_gain_exc; }, m.syn_gain, 1.0},
      {"syn_gain_inh", [](const auto& x) { return x.syn_gain_inh; }, m.syn_gain, 1.0},
      {"v_leak", [](const auto& x) { return x.v_leak_mV; }, m.v_leak_mV, 0.0},
      {"v_reset", [](const auto& x) { return x.v_reset_mV; }, m.v_reset_mV, 0.0},
      {"v_threshold", [](const auto& x) { return x.v_threshold_mV; }, m.v_threshold_mV, 0.0},
  };
  for (const Case& k : cases) {
    const Moments mo = moments(c, k.f);
    // Relative spread = sd / mean (mean 1) for factors, sd in mV for offsets.
    EXPECT_NEAR(mo.sd / k.sigma, 1.0, 0.05) << k.name;
    EXPECT_NEAR(mo.mean, k.mean, 4.0 * k.sigma / 100.0) << k.name;
  }
}

TEST(NeuronCircuits, SpreadsShowInTheCircuitParameters) {
  // With the memory cells ideal, the spread of the physical parameters is the circuit's.
  ChipConfig chip = chip_with(10000);
  chip.mismatch.capmem_gain = 0.0;
  chip.mismatch.capmem_offset_mV = 0.0;
  ParameterMemory mem(chip, 7);
  write_target_codes(chip, mem);
  const NeuronCircuits c(chip, 7);
  const NeuronCircuitParams ideal = c.ideal_params(0, mem);
  double t1 = 0, t2 = 0, v1 = 0, v2 = 0;
  for (int i = 0; i < c.size(); ++i) {
    const NeuronCircuitParams p = c.params(i, mem);
    const double r = p.tau_mem_us / ideal.tau_mem_us;
    t1 += r;
    t2 += r * r;
    const double d = p.v_threshold_mV - ideal.v_threshold_mV;
    v1 += d;
    v2 += d * d;
    EXPECT_DOUBLE_EQ(p.tau_mem_us, ideal.tau_mem_us * c.mismatch(i).tau_mem);
  }
  const double n = c.size();
  EXPECT_NEAR(std::sqrt(t2 / n - (t1 / n) * (t1 / n)) / (t1 / n) / 0.20, 1.0, 0.05);
  EXPECT_NEAR(std::sqrt(v2 / n - (v1 / n) * (v1 / n)) / 25.0, 1.0, 0.05);
}

TEST(NeuronCircuits, ZeroSpreadGivesIdenticalCircuits) {
  ChipConfig chip = chip_with(64);
  chip.mismatch.scale = 0.0;
  ParameterMemory mem(chip, 3);
  write_target_codes(chip, mem);
  const NeuronCircuits c(chip, 3);
  const auto ps = c.all_params(mem);
  for (const auto& p : ps) {
    EXPECT_EQ(p.tau_mem_us, ps[0].tau_mem_us);
    EXPECT_EQ(p.tau_syn_exc_us, ps[0].tau_syn_exc_us);
    EXPECT_EQ(p.v_leak_mV, ps[0].v_leak_mV);
    EXPECT_EQ(p.v_reset_mV, ps[0].v_reset_mV);
    EXPECT_EQ(p.v_threshold_mV, ps[0].v_threshold_mV);
    EXPECT_EQ(p.syn_gain_exc, ps[0].syn_gain_exc);
    EXPECT_EQ(p.syn_gain_inh, ps[0].syn_gain_inh);
  }
  EXPECT_EQ(ps[5].tau_mem_us, c.ideal_params(5, mem).tau_mem_us);
}

TEST(NeuronCircuits, EachSpreadSwitchesOffAlone) {
  ChipConfig chip = chip_with(32);
  ChipConfig no_tau = chip;
  no_tau.mismatch.tau_mem = 0.0;
  const NeuronCircuits a(chip, 11), b(no_tau, 11);
  for (int i = 0; i < 32; ++i) {
    EXPECT_EQ(b.mismatch(i).tau_mem, 1.0);
    // The other draws are untouched (the engine advances the same way).
    EXPECT_EQ(b.mismatch(i).v_leak_mV, a.mismatch(i).v_leak_mV);
    EXPECT_EQ(b.mismatch(i).syn_gain_inh, a.mismatch(i).syn_gain_inh);
  }
}

TEST(NeuronCircuits, CalibratedChipAppliesTheCalibrationBars) {
  ChipConfig chip = chip_with(4);
  chip.mismatch.shortcut_bars = true;
  const NeuronMismatchSpreads s = NeuronCircuits(chip, 1).spreads();
  EXPECT_DOUBLE_EQ(s.v_leak_mV, 20.0 * 0.30);
  EXPECT_DOUBLE_EQ(s.v_reset_mV, 15.0 * 0.20);
  EXPECT_DOUBLE_EQ(s.v_threshold_mV, 25.0 * 0.35);
  EXPECT_DOUBLE_EQ(s.tau_mem, 0.20 * 0.45);
  EXPECT_DOUBLE_EQ(s.tau_syn, 0.15);
}

TEST(NeuronCircuits, SameSeedBitIdenticalAnotherSeedDifferent) {
  const ChipConfig chip = chip_with(32);
  const auto codes = std::vector<NeuronCodes>{target_codes(chip)};
  const auto a = build_neuron_params(chip, 99, codes);
  const auto b = build_neuron_params(chip, 99, codes);
  const auto c = build_neuron_params(chip, 100, codes);
  ASSERT_EQ(a.size(), 32u);
  int differ = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].tau_mem_us, b[i].tau_mem_us);
    EXPECT_EQ(a[i].v_leak_mV, b[i].v_leak_mV);
    EXPECT_EQ(a[i].v_threshold_mV, b[i].v_threshold_mV);
    EXPECT_EQ(a[i].syn_gain_exc, b[i].syn_gain_exc);
    differ += a[i].tau_mem_us != c[i].tau_mem_us;
  }
  EXPECT_GT(differ, 30);
}

std::vector<NeuronSpike> chip_spikes(std::uint64_t seed) {
  ChipConfig chip = chip_with(64);
  auto ps = build_neuron_params(chip, seed, {target_codes(chip)});
  for (auto& p : ps) p.i_offset_nA = 50.0;  // drive every neuron
  NeuronArray a(ps, chip.neurons.dt_us, seed);
  std::vector<NeuronSpike> out;
  for (int k = 0; k < 2000; ++k) a.step(k * 0.1, out);
  return out;
}

TEST(NeuronCircuits, SameSeedGivesBitIdenticalSpikeTrains) {
  const auto a = chip_spikes(5), b = chip_spikes(5), c = chip_spikes(6);
  ASSERT_GT(a.size(), 100u);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t k = 0; k < a.size(); ++k) {
    ASSERT_EQ(a[k].time_us, b[k].time_us);
    ASSERT_EQ(a[k].neuron, b[k].neuron);
  }
  bool differs = a.size() != c.size();
  for (std::size_t k = 0; !differs && k < a.size(); ++k) {
    differs = a[k].time_us != c[k].time_us || a[k].neuron != c[k].neuron;
  }
  EXPECT_TRUE(differs);
}

TEST(NeuronCircuits, TargetCodesGiveTheTargetsOnAnIdealChip) {
  ChipConfig chip = chip_with(2);
  chip.neurons.adaptation = true;
  chip.neurons.adapt_a_nS = 20.0;
  chip.neurons.adapt_b_nA = 3.0;
  ParameterMemory mem(chip, 1);
  write_target_codes(chip, mem);
  const NeuronCircuits c(chip, 1);
  const NeuronCircuitParams p = c.ideal_params(1, mem);
  const NeuronConfig& n = chip.neurons;
  // Within the quantisation of a 10-bit code near mid-range (< 0.5 %).
  EXPECT_NEAR(p.tau_mem_us, n.tau_mem_us, 5e-3 * n.tau_mem_us);
  EXPECT_NEAR(p.tau_syn_exc_us, n.tau_syn_exc_us, 5e-3 * n.tau_syn_exc_us);
  EXPECT_NEAR(p.tau_syn_inh_us, n.tau_syn_inh_us, 5e-3 * n.tau_syn_inh_us);
  EXPECT_NEAR(p.t_ref_us, n.t_ref_us, 5e-3 * n.t_ref_us);
  EXPECT_NEAR(p.v_leak_mV, n.v_leak_mV, 0.6);
  EXPECT_NEAR(p.v_reset_mV, n.v_reset_mV, 0.6);
  EXPECT_NEAR(p.v_threshold_mV, n.v_threshold_mV, 0.6);
  EXPECT_NEAR(p.v_exp_mV, n.v_exp_mV, 0.6);
  EXPECT_NEAR(p.delta_t_mV, n.delta_t_mV, 5e-3 * n.delta_t_mV);
  EXPECT_NEAR(p.adapt_a_nS, 20.0, 0.25);
  EXPECT_NEAR(p.adapt_b_nA, 3.0, 0.025);
  EXPECT_NEAR(p.tau_adapt_us, n.tau_adapt_us, 5e-3 * n.tau_adapt_us);
  EXPECT_NEAR(p.syn_gain_exc, 1.0, 1e-3);
  EXPECT_EQ(p.i_offset_nA, 0.0);
  EXPECT_TRUE(p.adaptation);
  EXPECT_EQ(p.c_mem_pF, n.c_mem_pF);
  EXPECT_EQ(p.noise_v_rms_mV, chip.noise.membrane_mV_rms);

  ChipConfig bad = chip;
  bad.neurons.tau_mem_us = 0.5;
  try {
    target_codes(bad);
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("neurons.tau_mem_us"), std::string::npos) << e.what();
  }
}

TEST(NeuronCircuits, RunTimeCodeWriteChangesTheCircuit) {
  ChipConfig chip = chip_with(4);
  chip.noise.membrane_mV_rms = 0.0;
  ParameterMemory mem(chip, 8);
  write_target_codes(chip, mem);
  const NeuronCircuits circuits(chip, 8);
  NeuronArray neurons(circuits.all_params(mem), chip.neurons.dt_us, 8);
  const int cell = mem.cell_index(CurrentCell::kLeakBias);
  const double tau_before = neurons.params(2).tau_mem_us;
  NeuronState s;
  s.v_mV = neurons.params(2).v_leak_mV + 100.0;
  neurons.set_state(2, s);

  // Doubling the leak bias current halves tau_mem (up to the cell's offset).
  write_parameter_code(mem, circuits, neurons, 2, cell, 2 * mem.code(2, cell));
  const NeuronCircuitParams p = neurons.params(2);
  const CellMismatch& m = mem.mismatch(2, cell);
  const double i_nA = m.gain * mem.ideal_value(cell, mem.code(2, cell)) + m.offset;
  EXPECT_DOUBLE_EQ(p.tau_mem_us, chip.neurons.c_mem_pF * circuits.transfer().u_leak_mV / i_nA *
                                     circuits.mismatch(2).tau_mem);
  EXPECT_NEAR(p.tau_mem_us / tau_before, 0.5, 0.02);
  EXPECT_EQ(neurons.params(1).tau_mem_us, circuits.params(1, mem).tau_mem_us);  // others kept
  EXPECT_EQ(neurons.v_mV(2), s.v_mV);                                           // state kept
  // ... and the membrane now relaxes with the new tau.
  std::vector<NeuronSpike> out;
  for (int k = 0; k < 50; ++k) neurons.step(k * 0.1, out);
  EXPECT_NEAR(neurons.v_mV(2) - p.v_leak_mV, 100.0 * std::exp(-5.0 / p.tau_mem_us), 1e-9);

  // A voltage cell: the threshold follows code * 1200 / 1022 mV (gain, offset, mismatch).
  const int th = ParameterMemory::cell_index(VoltageCell::kThreshold);
  write_parameter_code(mem, circuits, neurons, 2, th, 700);
  const CellMismatch& mt = mem.mismatch(2, th);
  EXPECT_DOUBLE_EQ(neurons.params(2).v_threshold_mV, mt.gain * 700.0 / 1022.0 * 1200.0 + mt.offset +
                                                         circuits.mismatch(2).v_threshold_mV);

  // A bad code changes nothing.
  EXPECT_THROW(write_parameter_code(mem, circuits, neurons, 2, th, 1023), UserError);
  EXPECT_EQ(mem.code(2, th), 700);
}

TEST(NeuronCircuits, SwitchesSelectTheModel) {
  ChipConfig chip = chip_with(2);
  ParameterMemory mem(chip, 1);
  write_target_codes(chip, mem);
  NeuronCircuits c(chip, 1);
  EXPECT_FALSE(c.params(0, mem).adaptation);
  c.set_switches(0, NeuronSwitches{true, true, 4.4});
  const NeuronCircuitParams p = c.params(0, mem);
  EXPECT_TRUE(p.adaptation);
  EXPECT_TRUE(p.exponential);
  EXPECT_EQ(p.c_mem_pF, 4.4);
  EXPECT_DOUBLE_EQ(c.ideal_params(0, mem).tau_mem_us, 2.0 * c.ideal_params(1, mem).tau_mem_us);
  EXPECT_THROW(c.set_switches(5, NeuronSwitches{}), UserError);
}

TEST(NeuronCircuits, BuildRejectsWrongCodeTables) {
  const ChipConfig chip = chip_with(4);
  EXPECT_THROW(build_neuron_params(chip, 1, std::vector<NeuronCodes>(3, target_codes(chip))),
               UserError);
  EXPECT_THROW(build_neuron_params(chip, 1, {NeuronCodes(5, 0)}), UserError);
  NeuronCodes bad = target_codes(chip);
  bad[0] = 2000;
  EXPECT_THROW(build_neuron_params(chip, 1, {bad}), UserError);
}

}  // namespace
}  // namespace salvo
