// Chip: the SystemC face of the analog core. It owns the AnalogCore, wakes once per slice
// (not per neuron or step) to keep it level with simulated time, and serves each half's
// chip window to that half's plasticity processor over TLM-2.0: every access first catches
// the analog core up to the initiator's time, so reads and writes land at the right
// hardware time. Register layout: hw/chip/memory_map.hpp, docs/memory-map.md.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <tlm_utils/simple_target_socket.h>
#include <systemc>
#include <tlm>

#include "hw/chip/analog_core.hpp"

namespace salvo {

// Sees the processors' chip traffic that changes state over time (tracing).
class ChipObserver {
 public:
  virtual ~ChipObserver() = default;
  // A CADC conversion of half `half`: a sensor row, or the membranes (row -1), busy from
  // start_us to end_us.
  virtual void on_cadc_conversion(int half, int row, double start_us, double end_us) = 0;
  // A parameter-memory cell written through the chip window.
  virtual void on_parameter_write(int neuron, int cell, int code, double t_us) = 0;
};

class Chip : public sc_core::sc_module {
 public:
  using TargetSocket = tlm_utils::simple_target_socket_tagged<Chip>;

  // processor_windows: create the chip-window target sockets of halves 0..n-1 (a processor
  // must then bind to each of them before the simulation starts).
  Chip(sc_core::sc_module_name name, const ChipConfig& config, std::uint64_t seed,
       int processor_windows = 0);

  AnalogCore& core() { return core_; }
  // The chip window of half h; bind a processor's chip socket to it.
  TargetSocket& window(int half) { return *windows_.at(half); }

  // How often the chip thread catches the analog core up (processor accesses catch up on
  // their own, so this only bounds how stale unobserved state may get).
  void set_slice_us(double slice_us) { slice_us_ = slice_us; }

  // Counters of processor traffic, for the run summary.
  std::uint64_t window_accesses() const { return window_accesses_; }
  std::uint64_t cadc_conversions() const { return cadc_conversions_; }

  // The chip-info word at chip-window offset addr (memory_map::kInfo*) for half `half`;
  // false if addr is not one of them.
  bool read_info(int half, std::uint32_t addr, std::uint32_t& value) const;

  void set_observer(ChipObserver* observer) { observer_ = observer; }  // nullptr = none

 private:
  SC_HAS_PROCESS(Chip);
  void analog_thread();
  void b_transport(int half, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  // Register access of `len` bytes (1, 2 or 4) at chip-window offset `addr`; returns false
  // for an address that decodes to nothing.
  bool read(int half, std::uint32_t addr, unsigned len, double t_us, std::uint32_t& value,
            double& stall_us);
  bool write(int half, std::uint32_t addr, unsigned len, double t_us, std::uint32_t value);

  // A burst (> 4 bytes, from a vector unit) within one byte-array region.
  bool burst_allowed(int half, std::uint32_t addr, unsigned len);
  // Decodes a parameter-memory halfword address into (neuron, cell).
  bool param_cell(int half, std::uint32_t addr, unsigned len, int& neuron, int& cell);

  struct CadcState {
    double busy_until_us = 0.0;
    std::vector<std::uint8_t> causal, acausal;
  };

  AnalogCore core_;
  std::vector<std::unique_ptr<TargetSocket>> windows_;
  std::vector<CadcState> cadc_;
  double slice_us_ = 1.0;
  std::uint64_t window_accesses_ = 0;
  std::uint64_t cadc_conversions_ = 0;
  ChipObserver* observer_ = nullptr;
};

}  // namespace salvo
