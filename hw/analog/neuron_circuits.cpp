#include "hw/analog/neuron_circuits.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "hw/common/error.hpp"
#include "hw/common/rng.hpp"

namespace salvo {

namespace {

// A relative deviation below -95 % would make a time constant or gain vanish or flip sign;
// at the reference spreads (<= 20 %) that is a > 4.7 σ draw, so the clamp does not bias the
// statistics measurably.
constexpr double kMinFactor = 0.05;

double factor(Engine& eng, double sigma) {
  return std::max(kMinFactor, 1.0 + draw_normal(eng, sigma));
}

}  // namespace

NeuronMismatchSpreads NeuronMismatchSpreads::from(const MismatchConfig& m) {
  NeuronMismatchSpreads s;
  const bool cal = m.shortcut_bars;
  s.tau_mem = m.tau_mem * m.scale * (cal ? CalibrationBars::kTauMem : 1.0);
  s.tau_syn = m.tau_syn * m.scale;
  s.v_leak_mV = m.v_leak_mV * m.scale * (cal ? CalibrationBars::kLeak : 1.0);
  s.v_reset_mV = m.v_reset_mV * m.scale * (cal ? CalibrationBars::kReset : 1.0);
  s.v_threshold_mV = m.v_threshold_mV * m.scale * (cal ? CalibrationBars::kThreshold : 1.0);
  s.syn_gain = m.syn_gain * m.scale;
  return s;
}

NeuronCircuits::NeuronCircuits(const ChipConfig& chip, std::uint64_t seed)
    : NeuronCircuits(chip, seed, ParameterTransfer::for_chip(chip)) {}

NeuronCircuits::NeuronCircuits(const ChipConfig& chip, std::uint64_t seed,
                               const ParameterTransfer& transfer)
    : chip_(chip), transfer_(transfer), spreads_(NeuronMismatchSpreads::from(chip.mismatch)) {
  const int n = chip.neurons_total();
  if (n < 0) throw UserError("neurons.per_half: must be >= 0");
  mismatch_.resize(static_cast<std::size_t>(n));
  NeuronSwitches sw;
  sw.adaptation = chip.neurons.adaptation;
  sw.exponential = chip.neurons.exponential;
  sw.c_mem_pF = chip.neurons.c_mem_pF;
  switches_.assign(static_cast<std::size_t>(n), sw);
  for (int i = 0; i < n; ++i) {
    // One engine per circuit: the draws of a neuron do not depend on how many others exist.
    Engine eng = make_engine(seed, Stream::kNeuronMismatch, static_cast<std::uint64_t>(i));
    NeuronCircuitMismatch& m = mismatch_[static_cast<std::size_t>(i)];
    m.tau_mem = factor(eng, spreads_.tau_mem);
    m.tau_syn_exc = factor(eng, spreads_.tau_syn);
    m.tau_syn_inh = factor(eng, spreads_.tau_syn);
    m.v_leak_mV = draw_normal(eng, spreads_.v_leak_mV);
    m.v_reset_mV = draw_normal(eng, spreads_.v_reset_mV);
    m.v_threshold_mV = draw_normal(eng, spreads_.v_threshold_mV);
    m.syn_gain_exc = factor(eng, spreads_.syn_gain);
    m.syn_gain_inh = factor(eng, spreads_.syn_gain);
  }
}

int NeuronCircuits::check(int neuron) const {
  if (neuron < 0 || neuron >= size()) {
    throw UserError(fmt::format("neuron {} does not exist (allowed 0..{})", neuron, size() - 1));
  }
  return neuron;
}

const NeuronCircuitMismatch& NeuronCircuits::mismatch(int neuron) const {
  return mismatch_[static_cast<std::size_t>(check(neuron))];
}

const NeuronSwitches& NeuronCircuits::switches(int neuron) const {
  return switches_[static_cast<std::size_t>(check(neuron))];
}

void NeuronCircuits::set_switches(int neuron, const NeuronSwitches& s) {
  if (!(s.c_mem_pF > 0.0)) {
    throw UserError(fmt::format("neuron {}: c_mem_pF = {} must be > 0", neuron, s.c_mem_pF));
  }
  switches_[static_cast<std::size_t>(check(neuron))] = s;
}

NeuronCircuitParams NeuronCircuits::params(int neuron, const ParameterMemory& memory) const {
  return assemble(neuron, memory, false);
}

NeuronCircuitParams NeuronCircuits::ideal_params(int neuron, const ParameterMemory& memory) const {
  return assemble(neuron, memory, true);
}

std::vector<NeuronCircuitParams> NeuronCircuits::all_params(const ParameterMemory& memory) const {
  std::vector<NeuronCircuitParams> out;
  out.reserve(static_cast<std::size_t>(size()));
  for (int i = 0; i < size(); ++i) out.push_back(params(i, memory));
  return out;
}

NeuronCircuitParams NeuronCircuits::assemble(int neuron, const ParameterMemory& memory,
                                             bool ideal) const {
  check(neuron);
  if (memory.neurons() != size()) {
    throw InternalError(fmt::format("NeuronCircuits: {} circuits but parameter memory of {}",
                                    size(), memory.neurons()));
  }
  const NeuronSwitches& sw = switches_[static_cast<std::size_t>(neuron)];
  const NeuronCircuitMismatch none;
  const NeuronCircuitMismatch& m = ideal ? none : mismatch_[static_cast<std::size_t>(neuron)];
  ParameterTransfer t = transfer_;
  t.c_mem_pF = sw.c_mem_pF;  // tau_mem scales with the selected capacitance
  auto v = [&](VoltageCell c) {
    const int cell = ParameterMemory::cell_index(c);
    const double x =
        ideal ? memory.ideal_value(cell, memory.code(neuron, cell)) : memory.value(neuron, cell);
    return t.parameter(c, x);
  };
  auto i = [&](CurrentCell c) {
    const int cell = memory.cell_index(c);
    const double x =
        ideal ? memory.ideal_value(cell, memory.code(neuron, cell)) : memory.value(neuron, cell);
    return t.parameter(c, x);
  };

  NeuronCircuitParams p;
  p.c_mem_pF = sw.c_mem_pF;
  p.tau_mem_us = i(CurrentCell::kLeakBias) * m.tau_mem;
  p.tau_syn_exc_us = i(CurrentCell::kSynExcBias) * m.tau_syn_exc;
  p.tau_syn_inh_us = i(CurrentCell::kSynInhBias) * m.tau_syn_inh;
  p.t_ref_us = i(CurrentCell::kRefractoryBias);
  p.v_leak_mV = v(VoltageCell::kLeak) + m.v_leak_mV;
  p.v_reset_mV = v(VoltageCell::kReset) + m.v_reset_mV;
  p.v_threshold_mV = v(VoltageCell::kThreshold) + m.v_threshold_mV;
  p.adaptation = sw.adaptation;
  p.exponential = sw.exponential;
  p.v_exp_mV = v(VoltageCell::kExp);
  p.delta_t_mV = i(CurrentCell::kExpSlope);
  p.adapt_a_nS = i(CurrentCell::kAdaptA);
  p.adapt_b_nA = i(CurrentCell::kAdaptB);
  p.tau_adapt_us = i(CurrentCell::kAdaptTau);
  p.syn_gain_exc = i(CurrentCell::kSynGainExc) * m.syn_gain_exc;
  p.syn_gain_inh = i(CurrentCell::kSynGainInh) * m.syn_gain_inh;
  p.i_offset_nA = i(CurrentCell::kOffset);
  p.v_min_mV = chip_.neurons.v_min_mV;
  p.v_max_mV = chip_.neurons.v_max_mV;
  p.noise_v_rms_mV = chip_.noise.membrane_mV_rms;
  p.noise_tau_us = chip_.noise.membrane_tau_us;
  return p;
}

// ---------------------------------------------------------------------------------------

NeuronCodes target_codes(const ChipConfig& chip) {
  const ParameterMemory m(chip.parameter_memory, MismatchConfig{}, 0, 0,
                          ParameterTransfer::for_chip(chip));
  const NeuronConfig& n = chip.neurons;
  NeuronCodes codes(static_cast<std::size_t>(m.cells_per_neuron()), 0);
  auto set_v = [&](VoltageCell c, double target) {
    codes[static_cast<std::size_t>(ParameterMemory::cell_index(c))] = m.ideal_code(c, target);
  };
  auto set_i = [&](CurrentCell c, double target) {
    codes[static_cast<std::size_t>(m.cell_index(c))] = m.ideal_code(c, target);
  };
  set_v(VoltageCell::kLeak, n.v_leak_mV);
  set_v(VoltageCell::kReset, n.v_reset_mV);
  set_v(VoltageCell::kThreshold, n.v_threshold_mV);
  set_v(VoltageCell::kExp, n.v_exp_mV);
  set_i(CurrentCell::kLeakBias, n.tau_mem_us);
  set_i(CurrentCell::kSynExcBias, n.tau_syn_exc_us);
  set_i(CurrentCell::kSynInhBias, n.tau_syn_inh_us);
  set_i(CurrentCell::kRefractoryBias, n.t_ref_us);
  set_i(CurrentCell::kSynGainExc, 1.0);
  set_i(CurrentCell::kSynGainInh, 1.0);
  set_i(CurrentCell::kAdaptA, n.adapt_a_nS);
  set_i(CurrentCell::kAdaptB, n.adapt_b_nA);
  set_i(CurrentCell::kAdaptTau, n.tau_adapt_us);
  set_i(CurrentCell::kExpSlope, n.delta_t_mV);
  set_i(CurrentCell::kOffset, 0.0);
  return codes;
}

void write_target_codes(const ChipConfig& chip, ParameterMemory& memory) {
  const NeuronCodes codes = target_codes(chip);
  for (int n = 0; n < memory.neurons(); ++n) {
    for (int c = 0; c < memory.cells_per_neuron(); ++c) {
      memory.write(n, c, codes[static_cast<std::size_t>(c)]);
    }
  }
}

std::vector<NeuronCircuitParams> build_neuron_params(const ChipConfig& chip, std::uint64_t seed,
                                                     const std::vector<NeuronCodes>& codes) {
  ParameterMemory memory(chip, seed);
  const NeuronCircuits circuits(chip, seed);
  const std::size_t n = static_cast<std::size_t>(memory.neurons());
  if (codes.size() != 1 && codes.size() != n) {
    throw UserError(
        fmt::format("neuron parameter codes: {} rows given, expected 1 or {}", codes.size(), n));
  }
  for (std::size_t k = 0; k < n; ++k) {
    const NeuronCodes& row = codes.size() == 1 ? codes[0] : codes[k];
    if (row.size() != static_cast<std::size_t>(memory.cells_per_neuron())) {
      throw UserError(fmt::format("neuron parameter codes: neuron {} has {} codes, expected {}", k,
                                  row.size(), memory.cells_per_neuron()));
    }
    for (std::size_t c = 0; c < row.size(); ++c) {
      memory.write(static_cast<int>(k), static_cast<int>(c), row[c]);
    }
  }
  return circuits.all_params(memory);
}

void write_parameter_code(ParameterMemory& memory, const NeuronCircuits& circuits,
                          NeuronArray& neurons, int neuron, int cell, int code) {
  const int old = memory.code(neuron, cell);
  memory.write(neuron, cell, code);
  try {
    neurons.set_params(neuron, circuits.params(neuron, memory));
  } catch (...) {
    memory.write(neuron, cell, old);
    throw;
  }
}

}  // namespace salvo
