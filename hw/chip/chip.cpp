#include "hw/chip/chip.hpp"

#include <algorithm>
#include <string>

#include "hw/chip/memory_map.hpp"
#include "hw/common/error.hpp"

namespace salvo {

namespace mm = memory_map;

Chip::Chip(sc_core::sc_module_name name, const ChipConfig& config, std::uint64_t seed,
           int processor_windows)
    : sc_module(name), core_(config, seed) {
  for (int h = 0; h < config.halves; ++h) {
    if (h < processor_windows) {
      windows_.push_back(std::make_unique<TargetSocket>(("window" + std::to_string(h)).c_str()));
      windows_.back()->register_b_transport(this, &Chip::b_transport, h);
    }
    CadcState s;
    s.causal.assign(config.neurons.per_half, 0);
    s.acausal.assign(config.neurons.per_half, 0);
    cadc_.push_back(std::move(s));
  }
  SC_THREAD(analog_thread);
}

void Chip::analog_thread() {
  const sc_core::sc_time slice(slice_us_, sc_core::SC_US);
  for (;;) {
    wait(slice);
    core_.advance_to(sc_core::sc_time_stamp().to_seconds() * 1e6);
  }
}

void Chip::b_transport(int half, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  const double t_us = (sc_core::sc_time_stamp() + delay).to_seconds() * 1e6;
  core_.advance_to(t_us);
  ++window_accesses_;
  const unsigned len = trans.get_data_length();
  const std::uint32_t addr = static_cast<std::uint32_t>(trans.get_address());
  if ((len != 1 && len != 2 && len != 4 && !burst_allowed(half, addr, len)) ||
      trans.get_byte_enable_ptr() || trans.get_streaming_width() < len) {
    trans.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    return;
  }
  unsigned char* data = trans.get_data_ptr();
  if (len > 4) {  // a vector unit's row segment: word by word, one transaction
    double stall_us = 0.0;
    bool ok = true;
    for (unsigned o = 0; o < len && ok; o += 4) {
      const unsigned n = std::min(4u, len - o);
      std::uint32_t value = 0;
      if (trans.is_read()) {
        double s = 0.0;
        ok = read(half, addr + o, n, t_us, value, s);
        stall_us = std::max(stall_us, s);
        for (unsigned i = 0; i < n; ++i) data[o + i] = static_cast<unsigned char>(value >> (8 * i));
      } else {
        for (unsigned i = 0; i < n; ++i)
          value |= static_cast<std::uint32_t>(data[o + i]) << (8 * i);
        ok = write(half, addr + o, n, t_us, value);
      }
    }
    if (stall_us > 0) delay += sc_core::sc_time(stall_us, sc_core::SC_US);
    trans.set_response_status(ok ? tlm::TLM_OK_RESPONSE : tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  bool ok = false;
  if (trans.is_read()) {
    std::uint32_t value = 0;
    double stall_us = 0.0;
    ok = read(half, addr, len, t_us, value, stall_us);
    for (unsigned i = 0; i < len; ++i) data[i] = static_cast<unsigned char>(value >> (8 * i));
    if (stall_us > 0) delay += sc_core::sc_time(stall_us, sc_core::SC_US);
  } else if (trans.is_write()) {
    std::uint32_t value = 0;
    for (unsigned i = 0; i < len; ++i) value |= static_cast<std::uint32_t>(data[i]) << (8 * i);
    ok = write(half, addr, len, t_us, value);
  }
  trans.set_response_status(ok ? tlm::TLM_OK_RESPONSE : tlm::TLM_ADDRESS_ERROR_RESPONSE);
}

namespace {

// Byte-array regions (weights, labels, CADC results, rate counters): `len` consecutive bytes.
template <typename Get>
std::uint32_t gather(unsigned len, Get&& get) {
  std::uint32_t v = 0;
  for (unsigned i = 0; i < len; ++i) v |= static_cast<std::uint32_t>(get(i) & 0xFF) << (8 * i);
  return v;
}

}  // namespace

bool Chip::burst_allowed(int half, std::uint32_t addr, unsigned len) {
  // Bursts (up to 256 bytes) reach the byte arrays only: weights and labels within one row,
  // CADC results. Registers with side effects (CADC control, sensor reset) take single words.
  if (len > 256) return false;
  const auto& syn = core_.synapses(half);
  const std::uint32_t rows = static_cast<std::uint32_t>(syn.rows());
  const std::uint32_t cols = static_cast<std::uint32_t>(syn.columns());
  auto in_rows = [&](std::uint32_t base) {
    return addr >= base && addr + len <= base + rows * mm::kRowStride &&
           (addr - base) % mm::kRowStride + len <= cols;
  };
  auto in_bytes = [&](std::uint32_t base, std::uint32_t n) {
    return addr >= base && addr + len <= base + n;
  };
  return in_rows(mm::kWeights) || in_rows(mm::kLabels) || in_bytes(mm::kCadcCausal, cols) ||
         in_bytes(mm::kCadcAcausal, cols);
}

bool Chip::param_cell(int half, std::uint32_t addr, unsigned len, int& neuron, int& cell) {
  const std::uint32_t cols = static_cast<std::uint32_t>(core_.neurons_per_half());
  if (addr < mm::kParameters || addr >= mm::kParameters + cols * mm::kNeuronParamStride)
    return false;
  const std::uint32_t off = addr - mm::kParameters;
  const std::uint32_t c = (off % mm::kNeuronParamStride) / 2;
  if (len != 2 || off % 2 != 0 || static_cast<int>(c) >= core_.parameters().cells_per_neuron())
    return false;
  neuron = half * core_.neurons_per_half() + static_cast<int>(off / mm::kNeuronParamStride);
  cell = static_cast<int>(c);
  return true;
}

bool Chip::read_info(int half, std::uint32_t addr, std::uint32_t& value) const {
  const ChipConfig& cfg = core_.config();
  switch (addr) {
    case mm::kInfoHalf:
      value = static_cast<std::uint32_t>(half);
      return true;
    case mm::kInfoNeurons:
      value = static_cast<std::uint32_t>(cfg.neurons.per_half);
      return true;
    case mm::kInfoRows:
      value = static_cast<std::uint32_t>(cfg.synapses.rows_per_half);
      return true;
    case mm::kInfoWeightMax:
      value = (1u << cfg.synapses.weight_bits) - 1;
      return true;
    case mm::kInfoCadcMax:
      value = (1u << cfg.cadc.bits) - 1;
      return true;
    default:
      return false;
  }
}

bool Chip::read(int half, std::uint32_t addr, unsigned len, double t_us, std::uint32_t& value,
                double& stall_us) {
  auto& syn = core_.synapses(half);
  const std::uint32_t rows = static_cast<std::uint32_t>(syn.rows());
  const std::uint32_t cols = static_cast<std::uint32_t>(syn.columns());
  auto in_row_region = [&](std::uint32_t base) {
    return addr >= base && addr + len <= base + rows * mm::kRowStride &&
           (addr - base) % mm::kRowStride + len <= cols;
  };
  if (in_row_region(mm::kWeights)) {
    const std::uint32_t off = addr - mm::kWeights;
    value = gather(len, [&](unsigned i) {
      return syn.weight(off / mm::kRowStride, off % mm::kRowStride + i);
    });
    return true;
  }
  if (in_row_region(mm::kLabels)) {
    const std::uint32_t off = addr - mm::kLabels;
    value = gather(
        len, [&](unsigned i) { return syn.label(off / mm::kRowStride, off % mm::kRowStride + i); });
    return true;
  }
  if (len == 4 && read_info(half, addr, value)) return true;
  CadcState& cadc = cadc_[half];
  int cell_neuron = 0, cell = 0;
  if (addr == mm::kCadcStatus && len == 4) {
    value = t_us < cadc.busy_until_us ? 1u : 0u;
    return true;
  }
  auto in_bytes = [&](std::uint32_t base, std::uint32_t n) {
    return addr >= base && addr + len <= base + n;
  };
  if (in_bytes(mm::kCadcCausal, cols) || in_bytes(mm::kCadcAcausal, cols)) {
    // Reading results of a conversion still running stalls the processor until it ends.
    if (t_us < cadc.busy_until_us) stall_us = cadc.busy_until_us - t_us;
    const bool causal = addr < mm::kCadcAcausal;
    const std::uint32_t off = addr - (causal ? mm::kCadcCausal : mm::kCadcAcausal);
    const auto& buf = causal ? cadc.causal : cadc.acausal;
    value = gather(len, [&](unsigned i) { return buf[off + i]; });
    return true;
  }
  if (param_cell(half, addr, len, cell_neuron, cell)) {
    value = static_cast<std::uint32_t>(core_.parameters().code(cell_neuron, cell));
    return true;
  }
  if (in_bytes(mm::kRateCounters, cols)) {
    const std::uint32_t off = addr - mm::kRateCounters;
    const int first = half * core_.neurons_per_half();
    value = gather(
        len, [&](unsigned i) { return core_.rate_counter(first + static_cast<int>(off + i)); });
    return true;
  }
  if (in_bytes(mm::kRowConfig, rows * 4) && len == 4 && addr % 4 == 0) {
    value =
        syn.row_sign((addr - mm::kRowConfig) / 4) == SynapseArray::RowSign::kInhibitory ? 1u : 0u;
    return true;
  }
  return false;
}

bool Chip::write(int half, std::uint32_t addr, unsigned len, double t_us, std::uint32_t value) {
  auto& syn = core_.synapses(half);
  const std::uint32_t rows = static_cast<std::uint32_t>(syn.rows());
  const std::uint32_t cols = static_cast<std::uint32_t>(syn.columns());
  auto in_row_region = [&](std::uint32_t base) {
    return addr >= base && addr + len <= base + rows * mm::kRowStride &&
           (addr - base) % mm::kRowStride + len <= cols;
  };
  auto byte = [&](unsigned i) { return static_cast<int>((value >> (8 * i)) & 0xFF); };
  if (in_row_region(mm::kWeights)) {
    const std::uint32_t off = addr - mm::kWeights;
    // Bits above the weight width do not exist in the synapse SRAM.
    for (unsigned i = 0; i < len; ++i)
      syn.set_weight(off / mm::kRowStride, off % mm::kRowStride + i, byte(i) & syn.weight_max());
    return true;
  }
  if (in_row_region(mm::kLabels)) {
    const std::uint32_t off = addr - mm::kLabels;
    for (unsigned i = 0; i < len; ++i)
      syn.set_label(off / mm::kRowStride, off % mm::kRowStride + i, byte(i) & syn.label_max());
    return true;
  }
  CadcState& cadc = cadc_[half];
  if (addr == mm::kCadcCtrl && len == 4) {
    const std::uint32_t row = value & mm::kCadcRowMask;
    const bool membrane = (value & mm::kCadcMembraneMode) != 0;
    if (!membrane && row >= rows) return false;
    // A conversion requested while one runs starts when the converter is free.
    const double start = std::max(t_us, cadc.busy_until_us);
    if (membrane) {
      std::vector<double> v(cols);
      for (std::uint32_t c = 0; c < cols; ++c)
        v[c] = core_.neurons().v_mV(half * core_.neurons_per_half() + static_cast<int>(c));
      core_.cadc(half).convert_membranes(v.data(), cadc.causal.data());
    } else {
      core_.cadc(half).convert_row(core_.sensors(half), static_cast<int>(row), start,
                                   cadc.causal.data(), cadc.acausal.data());
    }
    cadc.busy_until_us = start + core_.cadc(half).conversion_time_us();
    ++cadc_conversions_;
    if (observer_)
      observer_->on_cadc_conversion(half, membrane ? -1 : static_cast<int>(row), start,
                                    cadc.busy_until_us);
    return true;
  }
  if (addr == mm::kSensorReset && len == 4) {
    const std::uint32_t row = value & mm::kCadcRowMask;
    if (row == mm::kSensorResetAll) {
      core_.sensors(half).reset_all(t_us);
      return true;
    }
    if (row >= rows) return false;
    core_.sensors(half).reset_row(static_cast<int>(row), t_us);
    return true;
  }
  auto in_bytes = [&](std::uint32_t base, std::uint32_t n) {
    return addr >= base && addr + len <= base + n;
  };
  int cell_neuron = 0, cell = 0;
  if (param_cell(half, addr, len, cell_neuron, cell)) {
    // A code the cells cannot hold is the firmware's bug: the access faults.
    if (static_cast<int>(value) > core_.parameters().code_max()) return false;
    core_.write_parameter(cell_neuron, cell, static_cast<int>(value));
    if (observer_) observer_->on_parameter_write(cell_neuron, cell, static_cast<int>(value), t_us);
    return true;
  }
  if (in_bytes(mm::kRateCounters, cols)) {
    const int first = half * core_.neurons_per_half() + static_cast<int>(addr - mm::kRateCounters);
    for (unsigned i = 0; i < len; ++i) core_.reset_rate_counter(first + static_cast<int>(i));
    return true;
  }
  if (addr == mm::kRateCounterResetAll && len == 4) {
    const int first = half * core_.neurons_per_half();
    for (int n = 0; n < core_.neurons_per_half(); ++n) core_.reset_rate_counter(first + n);
    return true;
  }
  if (in_bytes(mm::kRowConfig, rows * 4) && len == 4 && addr % 4 == 0) {
    syn.set_row_sign(
        static_cast<int>((addr - mm::kRowConfig) / 4),
        (value & 1u) ? SynapseArray::RowSign::kInhibitory : SynapseArray::RowSign::kExcitatory);
    return true;
  }
  return false;
}

}  // namespace salvo
