#include "hw/analog/parameter_memory.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "hw/common/error.hpp"
#include "hw/common/rng.hpp"

namespace salvo {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Inverse law tau = q / i: no current, no decay (infinite time constant).
double inverse_law(double q, double i) { return i > 0.0 ? q / i : kInf; }
double inverse_law_cell(double q, double tau) {
  if (std::isinf(tau) && tau > 0.0) return 0.0;
  return tau > 0.0 ? q / tau : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

const char* cell_name(VoltageCell c) {
  switch (c) {
    case VoltageCell::kLeak:
      return "v_leak";
    case VoltageCell::kReset:
      return "v_reset";
    case VoltageCell::kThreshold:
      return "v_threshold";
    case VoltageCell::kExp:
      return "v_exp";
    case VoltageCell::kSynRefExc:
      return "v_syn_ref_exc";
    case VoltageCell::kSynRefInh:
      return "v_syn_ref_inh";
    case VoltageCell::kAdaptRef:
      return "v_adapt_ref";
    case VoltageCell::kSpare:
      return "v_spare";
  }
  return "v_cell";
}

const char* cell_name(CurrentCell c) {
  switch (c) {
    case CurrentCell::kLeakBias:
      return "i_bias_leak";
    case CurrentCell::kSynExcBias:
      return "i_bias_syn_exc";
    case CurrentCell::kSynInhBias:
      return "i_bias_syn_inh";
    case CurrentCell::kRefractoryBias:
      return "i_bias_refractory";
    case CurrentCell::kSynGainExc:
      return "i_bias_syn_gain_exc";
    case CurrentCell::kSynGainInh:
      return "i_bias_syn_gain_inh";
    case CurrentCell::kAdaptA:
      return "i_bias_adapt_a";
    case CurrentCell::kAdaptB:
      return "i_bias_adapt_b";
    case CurrentCell::kAdaptTau:
      return "i_bias_adapt_tau";
    case CurrentCell::kExpSlope:
      return "i_bias_exp_slope";
    case CurrentCell::kOffset:
      return "i_offset";
    case CurrentCell::kResetBias:
      return "i_bias_reset";
    case CurrentCell::kThresholdBias:
      return "i_bias_threshold";
    case CurrentCell::kReadoutBias:
      return "i_bias_readout";
    case CurrentCell::kSpare14:
      return "i_spare_14";
    case CurrentCell::kSpare15:
      return "i_spare_15";
  }
  return "i_cell";
}

// ---------------------------------------------------------------------------------------

ParameterTransfer ParameterTransfer::for_chip(const ChipConfig& chip) {
  ParameterTransfer t;
  t.c_mem_pF = chip.neurons.c_mem_pF;
  return t;
}

double ParameterTransfer::parameter(VoltageCell /*c*/, double v_mV) const { return v_mV; }

double ParameterTransfer::parameter(CurrentCell c, double i) const {
  switch (c) {
    case CurrentCell::kLeakBias:
      return inverse_law(c_mem_pF * u_leak_mV, i);
    case CurrentCell::kSynExcBias:
    case CurrentCell::kSynInhBias:
      return inverse_law(q_syn_fC, i);
    case CurrentCell::kRefractoryBias:
      return inverse_law(q_refractory_fC, i);
    case CurrentCell::kSynGainExc:
    case CurrentCell::kSynGainInh:
      return i / i_gain_unity_nA;
    case CurrentCell::kAdaptA:
      return adapt_a_nS_per_nA * i;
    case CurrentCell::kAdaptB:
      return adapt_b_per_nA * i;
    case CurrentCell::kAdaptTau:
      return inverse_law(q_adapt_fC, i);
    case CurrentCell::kExpSlope:
      return delta_t_mV_per_nA * i;
    case CurrentCell::kOffset:
      return offset_per_nA * i;
    default:
      return i;  // not modelled: the parameter is the cell current itself
  }
}

double ParameterTransfer::cell_value(VoltageCell /*c*/, double parameter) const {
  return parameter;
}

double ParameterTransfer::cell_value(CurrentCell c, double p) const {
  switch (c) {
    case CurrentCell::kLeakBias:
      return inverse_law_cell(c_mem_pF * u_leak_mV, p);
    case CurrentCell::kSynExcBias:
    case CurrentCell::kSynInhBias:
      return inverse_law_cell(q_syn_fC, p);
    case CurrentCell::kRefractoryBias:
      return inverse_law_cell(q_refractory_fC, p);
    case CurrentCell::kSynGainExc:
    case CurrentCell::kSynGainInh:
      return p * i_gain_unity_nA;
    case CurrentCell::kAdaptA:
      return p / adapt_a_nS_per_nA;
    case CurrentCell::kAdaptB:
      return p / adapt_b_per_nA;
    case CurrentCell::kAdaptTau:
      return inverse_law_cell(q_adapt_fC, p);
    case CurrentCell::kExpSlope:
      return p / delta_t_mV_per_nA;
    case CurrentCell::kOffset:
      return p / offset_per_nA;
    default:
      return p;
  }
}

const char* ParameterTransfer::parameter_name(VoltageCell c) {
  switch (c) {
    case VoltageCell::kLeak:
      return "v_leak_mV";
    case VoltageCell::kReset:
      return "v_reset_mV";
    case VoltageCell::kThreshold:
      return "v_threshold_mV";
    case VoltageCell::kExp:
      return "v_exp_mV";
    default:
      return "";
  }
}

const char* ParameterTransfer::parameter_name(CurrentCell c) {
  switch (c) {
    case CurrentCell::kLeakBias:
      return "tau_mem_us";
    case CurrentCell::kSynExcBias:
      return "tau_syn_exc_us";
    case CurrentCell::kSynInhBias:
      return "tau_syn_inh_us";
    case CurrentCell::kRefractoryBias:
      return "t_ref_us";
    case CurrentCell::kSynGainExc:
      return "syn_gain_exc";
    case CurrentCell::kSynGainInh:
      return "syn_gain_inh";
    case CurrentCell::kAdaptA:
      return "adapt_a_nS";
    case CurrentCell::kAdaptB:
      return "adapt_b_nA";
    case CurrentCell::kAdaptTau:
      return "tau_adapt_us";
    case CurrentCell::kExpSlope:
      return "delta_t_mV";
    case CurrentCell::kOffset:
      return "i_offset_nA";
    default:
      return "";
  }
}

// ---------------------------------------------------------------------------------------

ParameterMemory::ParameterMemory(const ChipConfig& chip, std::uint64_t seed)
    : ParameterMemory(chip.parameter_memory, chip.mismatch, chip.neurons_total(), seed,
                      ParameterTransfer::for_chip(chip)) {}

ParameterMemory::ParameterMemory(const ParameterMemoryConfig& cfg, const MismatchConfig& mm,
                                 int neurons, std::uint64_t seed, const ParameterTransfer& transfer)
    : cfg_(cfg), neurons_(neurons), transfer_(transfer) {
  if (cfg.voltage_cells_per_neuron < kModelledVoltageCells) {
    throw UserError(fmt::format(
        "parameter_memory.voltage_cells_per_neuron = {}: the neuron model needs at least {}",
        cfg.voltage_cells_per_neuron, kModelledVoltageCells));
  }
  if (cfg.current_cells_per_neuron < kModelledCurrentCells) {
    throw UserError(fmt::format(
        "parameter_memory.current_cells_per_neuron = {}: the neuron model needs at least {}",
        cfg.current_cells_per_neuron, kModelledCurrentCells));
  }
  if (cfg.code_bits < 1 || cfg.code_bits > 16 || cfg.code_max < 1 ||
      cfg.code_max > (1 << cfg.code_bits) - 1) {
    throw UserError(fmt::format(
        "parameter_memory.code_max = {}: must be 1..2^code_bits - 1 (code_bits = {}, 1..16)",
        cfg.code_max, cfg.code_bits));
  }
  if (!(cfg.voltage_full_scale_mV > 0.0) || !(cfg.current_full_scale_nA > 0.0)) {
    throw UserError("parameter_memory.voltage_full_scale_mV / current_full_scale_nA: must be > 0");
  }
  if (neurons < 0) throw UserError("ParameterMemory: neuron count must be >= 0");

  const int cells = cells_per_neuron();
  codes_.assign(static_cast<std::size_t>(neurons) * static_cast<std::size_t>(cells), 0);
  mismatch_.assign(codes_.size(), CellMismatch{});
  const double sigma_gain = mm.capmem_gain * mm.scale;
  const double sigma_offset_mV = mm.capmem_offset_mV * mm.scale;
  // A current cell is a voltage cell driving a V->I converter whose full scale maps the
  // voltage full scale onto the current full scale: a storage offset of x mV is an output
  // offset of x * I_fs / V_fs nA (5 mV -> 4.2 nA on the reference chip).
  const double na_per_mV = cfg.current_full_scale_nA / cfg.voltage_full_scale_mV;
  auto bar = [&](int cell) {
    if (!mm.shortcut_bars) return 1.0;
    if (cell == cell_index(VoltageCell::kLeak)) return CalibrationBars::kLeak;
    if (cell == cell_index(VoltageCell::kReset)) return CalibrationBars::kReset;
    if (cell == cell_index(VoltageCell::kThreshold)) return CalibrationBars::kThreshold;
    if (cell == cell_index(CurrentCell::kLeakBias)) return CalibrationBars::kTauMem;
    return 1.0;
  };
  for (int n = 0; n < neurons; ++n) {
    Engine eng = make_engine(seed, Stream::kParameterMemoryMismatch, static_cast<std::uint64_t>(n));
    for (int c = 0; c < cells; ++c) {
      const double f = bar(c);
      CellMismatch& m = mismatch_[at(n, c)];
      m.gain = std::max(0.0, 1.0 + draw_normal(eng, f * sigma_gain));
      m.offset = draw_normal(eng, f * sigma_offset_mV) * (is_voltage_cell(c) ? 1.0 : na_per_mV);
    }
  }
}

std::size_t ParameterMemory::at(int neuron, int cell) const {
  if (neuron < 0 || neuron >= neurons_) {
    throw UserError(fmt::format("parameter memory: neuron {} does not exist (allowed 0..{})",
                                neuron, neurons_ - 1));
  }
  if (cell < 0 || cell >= cells_per_neuron()) {
    throw UserError(fmt::format("parameter memory: cell {} does not exist (allowed 0..{})", cell,
                                cells_per_neuron() - 1));
  }
  return static_cast<std::size_t>(neuron) * static_cast<std::size_t>(cells_per_neuron()) +
         static_cast<std::size_t>(cell);
}

std::string ParameterMemory::cell_name(int cell) const {
  if (cell < 0 || cell >= cells_per_neuron()) return fmt::format("cell {}", cell);
  if (is_voltage_cell(cell)) {
    return cell < 8 ? salvo::cell_name(static_cast<VoltageCell>(cell))
                    : fmt::format("v_cell_{}", cell);
  }
  const int k = cell - voltage_cells();
  return k < 16 ? salvo::cell_name(static_cast<CurrentCell>(k)) : fmt::format("i_cell_{}", k);
}

void ParameterMemory::write(int neuron, int cell, int code) {
  const std::size_t k = at(neuron, cell);
  if (code < 0 || code > cfg_.code_max) {
    throw UserError(
        fmt::format("parameter memory: neuron {} cell {} ({}): code {} out of range 0..{}", neuron,
                    cell, cell_name(cell), code, cfg_.code_max));
  }
  codes_[k] = static_cast<std::uint16_t>(code);
}

int ParameterMemory::code(int neuron, int cell) const { return codes_[at(neuron, cell)]; }

double ParameterMemory::ideal_value(int cell, int code) const {
  const double fs = is_voltage_cell(cell) ? cfg_.voltage_full_scale_mV : cfg_.current_full_scale_nA;
  return static_cast<double>(code) / cfg_.code_max * fs;
}

double ParameterMemory::value(int neuron, int cell) const {
  const std::size_t k = at(neuron, cell);
  const CellMismatch& m = mismatch_[k];
  return std::max(0.0, m.gain * ideal_value(cell, codes_[k]) + m.offset);
}

const CellMismatch& ParameterMemory::mismatch(int neuron, int cell) const {
  return mismatch_[at(neuron, cell)];
}

int ParameterMemory::code_for_value(double value, double full_scale, const char* parameter,
                                    double target, const std::string& cell, double reach_a,
                                    double reach_b) const {
  const double x = value / full_scale * cfg_.code_max;
  if (!(x >= -0.5 && x <= cfg_.code_max + 0.5)) {
    throw UserError(
        fmt::format("neurons.{} = {}: no code of parameter cell {} reaches it (codes 1..{} give "
                    "{:.4g}..{:.4g})",
                    parameter, target, cell, cfg_.code_max, std::min(reach_a, reach_b),
                    std::max(reach_a, reach_b)));
  }
  return std::clamp(static_cast<int>(std::lround(x)), 0, cfg_.code_max);
}

int ParameterMemory::ideal_code(VoltageCell c, double target) const {
  return code_for_value(transfer_.cell_value(c, target), cfg_.voltage_full_scale_mV,
                        ParameterTransfer::parameter_name(c), target, salvo::cell_name(c),
                        ideal_parameter(c, 1), ideal_parameter(c, cfg_.code_max));
}

int ParameterMemory::ideal_code(CurrentCell c, double target) const {
  return code_for_value(transfer_.cell_value(c, target), cfg_.current_full_scale_nA,
                        ParameterTransfer::parameter_name(c), target, salvo::cell_name(c),
                        ideal_parameter(c, 1), ideal_parameter(c, cfg_.code_max));
}

double ParameterMemory::ideal_parameter(VoltageCell c, int code) const {
  return transfer_.parameter(c, ideal_value(cell_index(c), code));
}

double ParameterMemory::ideal_parameter(CurrentCell c, int code) const {
  return transfer_.parameter(c, ideal_value(cell_index(c), code));
}

}  // namespace salvo
