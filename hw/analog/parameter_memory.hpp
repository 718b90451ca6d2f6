// ParameterMemory: the analog parameter storage of the neuron circuits — per neuron a row of
// capacitive cells (8 voltage + 16 current on the reference chip) each holding a 10-bit code
// that a DAC turns into a voltage or a bias current, with per-cell gain/offset mismatch.
// Abstracts away the refresh cycle, droop and the DAC's settling: a written code acts at once.
// ParameterTransfer holds the ideal circuit laws (cell value -> circuit parameter) and their
// inverses; see docs/models/parameter-memory.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hw/common/chip_config.hpp"

namespace salvo {

// A neuron's voltage cells, in memory order.
enum class VoltageCell : int {
  kLeak = 0,       // v_leak: leak (resting) potential E_L
  kReset = 1,      // v_reset
  kThreshold = 2,  // v_threshold: spike comparator
  kExp = 3,        // v_exp: V_T of the exponential term
  kSynRefExc = 4,  // stored but not modelled (current-based synapses need no reference)
  kSynRefInh = 5,  // stored but not modelled
  kAdaptRef = 6,   // stored but not modelled (adaptation relaxes towards a (V - E_L))
  kSpare = 7,
};

// A neuron's current cells, in memory order (after the voltage cells).
enum class CurrentCell : int {
  kLeakBias = 0,        // i_bias_leak -> tau_mem
  kSynExcBias = 1,      // i_bias_syn_exc -> tau_syn_exc
  kSynInhBias = 2,      // i_bias_syn_inh -> tau_syn_inh
  kRefractoryBias = 3,  // i_bias_refractory -> t_ref
  kSynGainExc = 4,      // i_bias_syn_gain_exc -> syn_gain_exc
  kSynGainInh = 5,      // i_bias_syn_gain_inh -> syn_gain_inh
  kAdaptA = 6,          // i_bias_adapt_a -> adapt_a_nS
  kAdaptB = 7,          // i_bias_adapt_b -> adapt_b_nA
  kAdaptTau = 8,        // i_bias_adapt_tau -> tau_adapt_us
  kExpSlope = 9,        // i_bias_exp_slope -> delta_t_mV
  kOffset = 10,         // i_offset: constant current stimulus -> i_offset_nA
  kResetBias = 11,      // stored but not modelled (the reset is ideal)
  kThresholdBias = 12,  // stored but not modelled (the comparator is ideal)
  kReadoutBias = 13,    // stored but not modelled (membrane readout buffer)
  kSpare14 = 14,
  kSpare15 = 15,
};

// The cells the neuron model reads; a variant must have at least these many.
constexpr int kModelledVoltageCells = 4;
constexpr int kModelledCurrentCells = 11;

const char* cell_name(VoltageCell c);
const char* cell_name(CurrentCell c);

// The ideal (mismatch-free) circuit laws from a cell's value to the circuit parameter it
// sets, and their inverses. Voltages act directly. Time constants follow the inverse law of a
// capacitor charged (or an OTA-C stage biased) by the cell's current: tau = Q / I with
// Q = C * U (fC = pF * mV; fC / nA = µs); gains and adaptation strengths are proportional.
// The constants place the reference targets near the middle of the code range.
struct ParameterTransfer {
  double c_mem_pF = 2.2;            // membrane capacitance (neurons.c_mem_pF)
  double u_leak_mV = 1000.0;        // leak OTA linear range: tau_mem = c_mem * u_leak / I
  double q_syn_fC = 1000.0;         // tau_syn = q_syn / I
  double q_refractory_fC = 400.0;   // t_ref = q_refractory / I
  double q_adapt_fC = 10000.0;      // tau_adapt = q_adapt / I
  double i_gain_unity_nA = 500.0;   // syn_gain = I / i_gain_unity
  double adapt_a_nS_per_nA = 0.5;   // a = 0.5 nS/nA * I
  double adapt_b_per_nA = 0.05;     // b = 0.05 * I
  double delta_t_mV_per_nA = 0.05;  // Delta_T = 0.05 mV/nA * I
  double offset_per_nA = 0.2;       // i_offset = 0.2 * I (a scaled copy of the cell current)

  static ParameterTransfer for_chip(const ChipConfig& chip);

  // Cell value (mV or nA) -> circuit parameter (units of the NeuronCircuitParams field).
  double parameter(VoltageCell c, double v_mV) const;
  double parameter(CurrentCell c, double i_nA) const;
  // Circuit parameter -> the cell value that gives it (inverse of the above).
  double cell_value(VoltageCell c, double parameter) const;
  double cell_value(CurrentCell c, double parameter) const;
  // The NeuronCircuitParams / NeuronConfig field a cell sets ("" when not modelled).
  static const char* parameter_name(VoltageCell c);
  static const char* parameter_name(CurrentCell c);
};

// Fixed-pattern mismatch of one cell (the oracle): value = gain * ideal + offset.
struct CellMismatch {
  double gain = 1.0;
  double offset = 0.0;  // mV for voltage cells, nA for current cells
};

// Calibration bars: with mismatch.shortcut_bars the spread of these parameters (circuit and
// their memory cells) is reduced to this fraction, as calibration achieves on the real system.
struct CalibrationBars {
  static constexpr double kLeak = 0.30;
  static constexpr double kReset = 0.20;
  static constexpr double kThreshold = 0.35;
  static constexpr double kTauMem = 0.45;
};

class ParameterMemory {
 public:
  ParameterMemory(const ParameterMemoryConfig& cfg, const MismatchConfig& mismatch, int neurons,
                  std::uint64_t seed, const ParameterTransfer& transfer = {});
  // Every neuron of the chip, transfer constants from the chip (c_mem).
  ParameterMemory(const ChipConfig& chip, std::uint64_t seed);

  int neurons() const { return neurons_; }
  int voltage_cells() const { return cfg_.voltage_cells_per_neuron; }
  int current_cells() const { return cfg_.current_cells_per_neuron; }
  int cells_per_neuron() const { return voltage_cells() + current_cells(); }
  int code_max() const { return cfg_.code_max; }
  const ParameterTransfer& transfer() const { return transfer_; }

  // A cell's index within its neuron's row: voltage cells first, then current cells.
  static int cell_index(VoltageCell c) { return static_cast<int>(c); }
  int cell_index(CurrentCell c) const { return voltage_cells() + static_cast<int>(c); }
  bool is_voltage_cell(int cell) const { return cell < voltage_cells(); }
  std::string cell_name(int cell) const;

  // Throws UserError naming the cell and the allowed range for a code outside 0..code_max.
  void write(int neuron, int cell, int code);
  void write(int neuron, VoltageCell c, int code) { write(neuron, cell_index(c), code); }
  void write(int neuron, CurrentCell c, int code) { write(neuron, cell_index(c), code); }
  int code(int neuron, int cell) const;
  int code(int neuron, VoltageCell c) const { return code(neuron, cell_index(c)); }
  int code(int neuron, CurrentCell c) const { return code(neuron, cell_index(c)); }

  // What the cell holds: mV for voltage cells, nA for current cells (true value, mismatch
  // included; never below 0: a capacitor cannot hold a value below ground).
  double value(int neuron, int cell) const;
  double voltage_mV(int neuron, VoltageCell c) const { return value(neuron, cell_index(c)); }
  double current_nA(int neuron, CurrentCell c) const { return value(neuron, cell_index(c)); }
  // The ideal transfer: code / code_max * full scale.
  double ideal_value(int cell, int code) const;
  const CellMismatch& mismatch(int neuron, int cell) const;

  // Ideal code for a circuit parameter target (inverse of the ideal transfer and circuit
  // law, rounded); UserError naming the parameter when no code reaches it.
  int ideal_code(VoltageCell c, double target) const;
  int ideal_code(CurrentCell c, double target) const;
  // The circuit parameter an ideal (mismatch-free) chip gets from a code.
  double ideal_parameter(VoltageCell c, int code) const;
  double ideal_parameter(CurrentCell c, int code) const;

 private:
  std::size_t at(int neuron, int cell) const;
  int code_for_value(double value, double full_scale, const char* parameter, double target,
                     const std::string& cell, double reach_a, double reach_b) const;

  ParameterMemoryConfig cfg_;
  int neurons_ = 0;
  ParameterTransfer transfer_;
  std::vector<std::uint16_t> codes_;
  std::vector<CellMismatch> mismatch_;
};

}  // namespace salvo
