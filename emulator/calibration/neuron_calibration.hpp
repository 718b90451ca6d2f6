// The calibration procedures: each tunes one quantity of every neuron at once, measuring only
// through the Bench (CADC, MADC, rate counters, spike times), never the drawn parameters.
// Voltage cells (leak, reset) and the bias currents behind τ_mem, τ_syn, the synaptic gain and
// the refractory time have a straight (or inverse-straight) code law, so each is fitted from two
// measurements per neuron and checked at the chosen code (model-based, calix's "linear
// prediction with a per-neuron offset"); the threshold is found by binary search over its code
// with a spike/no-spike test. Order: CADC offsets, leak, reset, τ_mem, threshold, τ_syn and
// strength (exc, inh), refractory, then the optional target-rate mode.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "emulator/calibration/bench.hpp"
#include "emulator/calibration/calibration.hpp"
#include "hw/common/chip_config.hpp"

namespace salvo::calibration {

// Cells the calibration sets, in Calibration::cells order.
std::vector<int> calibrated_cells(const ParameterMemory& memory);

// One step of the calibration as it is reported (progress line, summary.json).
struct StepReport {
  std::string name;
  double emulated_us = 0;
  double wall_s = 0;
  int write_rounds = 0;
};

class NeuronCalibrator {
 public:
  using Progress = std::function<void(const StepReport&)>;
  NeuronCalibrator(Bench& bench, const ChipConfig& chip, Progress progress = {});

  // Every step in order; fills the codes, lines, CADC offsets and usable flags of `out`.
  void run(Calibration& out);
  const std::vector<StepReport>& steps() const { return steps_; }
  // Rates measured at the end of the target-rate mode (empty when it is off).
  const std::vector<double>& final_rates_hz() const { return rates_; }

 private:
  void step(const std::string& name, const std::function<void()>& fn);
  void cadc_offsets();
  void leak();
  void reset();
  void tau_mem();
  void threshold();
  void synapses(bool inhibitory);
  void refractory();
  void rate();

  // Measurements.
  std::vector<double> leak_mV(const std::vector<int>& codes);
  std::vector<double> reset_mV(const std::vector<int>& codes);
  std::vector<double> tau_mem_us(const std::vector<int>& codes);
  struct SynMeasure {
    std::vector<double> tau_us, gain;
  };
  void syn_trace(bool inhibitory, double rest_mV, SynMeasure& sum, double weight);
  SynMeasure syn_response(bool inhibitory, const std::vector<int>& tau_codes,
                          const std::vector<int>& gain_codes);
  std::vector<double> isi_us(const std::vector<int>& codes);

  std::vector<int> leak_codes_for(double v_mV) const;
  void fail(int neuron, const std::string& reason) { out_->neurons[neuron].fail(reason); }
  int code_of(int neuron, int cell) const;
  void keep(int cell, const std::vector<int>& codes);  // write and record as calibrated
  void restore(int cell);                              // write the recorded codes back

  Bench& b_;
  const ChipConfig& chip_;
  Progress progress_;
  Calibration* out_ = nullptr;
  int n_;
  std::vector<StepReport> steps_;
  std::vector<CodeLine> inv_tau_mem_;  // 1/τ_mem (1/µs) over the leak-bias code
  std::vector<double> rates_;
  std::vector<int> syn_weight_;  // per neuron: the weight of its synaptic-input test rows
};

}  // namespace salvo::calibration
