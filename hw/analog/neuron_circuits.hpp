// NeuronCircuits: the fixed-pattern (transistor) mismatch of every neuron circuit and the
// mapping from its parameter-memory cells to the physical parameters the NeuronArray runs.
// Mismatch is drawn once per chip from the seed (Boost.Random, Stream::kNeuronMismatch), each
// spread from the config and switchable to zero; the drawn values are kept (the oracle).
// Abstracts away how mismatch arises: each parameter gets one Gaussian deviation per circuit.
#pragma once

#include <cstdint>
#include <vector>

#include "hw/analog/neuron_array.hpp"
#include "hw/analog/parameter_memory.hpp"
#include "hw/common/chip_config.hpp"

namespace salvo {

// The true deviation of one neuron circuit from the ideal circuit laws (the oracle).
// Relative spreads are factors (true = ideal * factor), absolute ones offsets in mV.
struct NeuronCircuitMismatch {
  double tau_mem = 1.0;
  double tau_syn_exc = 1.0;
  double tau_syn_inh = 1.0;
  double v_leak_mV = 0.0;
  double v_reset_mV = 0.0;
  double v_threshold_mV = 0.0;
  double syn_gain_exc = 1.0;
  double syn_gain_inh = 1.0;
};

// The spreads actually drawn (MismatchConfig x scale, calibration bars applied).
struct NeuronMismatchSpreads {
  double tau_mem = 0.0;  // relative σ
  double tau_syn = 0.0;  // relative σ (exc and inh drawn independently)
  double v_leak_mV = 0.0;
  double v_reset_mV = 0.0;
  double v_threshold_mV = 0.0;
  double syn_gain = 0.0;  // relative σ (exc and inh drawn independently)
  static NeuronMismatchSpreads from(const MismatchConfig& m);
};

// Digital (non-analog) configuration of one neuron circuit: switches and the selected
// membrane capacitance. Defaults from NeuronConfig.
struct NeuronSwitches {
  bool adaptation = false;
  bool exponential = false;
  double c_mem_pF = 2.2;
};

class NeuronCircuits {
 public:
  // Every neuron of the chip; mismatch drawn from (seed, Stream::kNeuronMismatch, neuron).
  NeuronCircuits(const ChipConfig& chip, std::uint64_t seed);
  NeuronCircuits(const ChipConfig& chip, std::uint64_t seed, const ParameterTransfer& transfer);

  int size() const { return static_cast<int>(mismatch_.size()); }
  const NeuronCircuitMismatch& mismatch(int neuron) const;  // the oracle
  const NeuronMismatchSpreads& spreads() const { return spreads_; }
  const ParameterTransfer& transfer() const { return transfer_; }

  const NeuronSwitches& switches(int neuron) const;
  void set_switches(int neuron, const NeuronSwitches& s);

  // The true physical parameters of `neuron`'s circuit from the values its memory cells hold
  // (cell mismatch included) and its own circuit mismatch.
  NeuronCircuitParams params(int neuron, const ParameterMemory& memory) const;
  std::vector<NeuronCircuitParams> all_params(const ParameterMemory& memory) const;
  // What an ideal chip (no cell, no circuit mismatch) would make of the same codes.
  NeuronCircuitParams ideal_params(int neuron, const ParameterMemory& memory) const;

 private:
  NeuronCircuitParams assemble(int neuron, const ParameterMemory& memory, bool ideal) const;
  int check(int neuron) const;

  ChipConfig chip_;
  ParameterTransfer transfer_;
  NeuronMismatchSpreads spreads_;
  std::vector<NeuronCircuitMismatch> mismatch_;
  std::vector<NeuronSwitches> switches_;
};

// One neuron's codes, voltage cells first (ParameterMemory::cells_per_neuron() entries).
using NeuronCodes = std::vector<int>;

// Codes for the NeuronConfig targets through the ideal inverse transfer (the uncalibrated
// mapping the host uses before any calibration); unmodelled cells get code 0.
// UserError naming the neurons.* key when a target is out of reach.
NeuronCodes target_codes(const ChipConfig& chip);
void write_target_codes(const ChipConfig& chip, ParameterMemory& memory);

// Every neuron's true circuit parameters for a chip instance (seed) and its codes
// (one NeuronCodes per neuron, or a single one applied to every neuron).
std::vector<NeuronCircuitParams> build_neuron_params(const ChipConfig& chip, std::uint64_t seed,
                                                     const std::vector<NeuronCodes>& codes);

// A run-time write (processor or host): the code goes into the memory and the neuron's circuit
// (and so its propagators) is re-derived in the array; the neuron's state is kept.
void write_parameter_code(ParameterMemory& memory, const NeuronCircuits& circuits,
                          NeuronArray& neurons, int neuron, int cell, int code);

}  // namespace salvo
