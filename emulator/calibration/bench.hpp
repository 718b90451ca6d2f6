// Bench: what a calibration may use of the chip — the host's view of a chip instance. It writes
// parameter-memory codes (all neurons of a cell at once, one "write round"), lets hardware time
// pass, and reads only what the chip exposes: CADC conversions in membrane mode (every column
// in parallel, corrected by the measured channel offsets), single MADC samples of a selected
// neuron, the rate counters and recorded spike times. It never reads a membrane voltage or a
// drawn parameter directly. Time passes through `advance` (a Session's advance_to, or the
// analog core's own for a chip without processors).
#pragma once

#include <functional>
#include <vector>

#include "hw/analog/column_adc.hpp"
#include "hw/chip/analog_core.hpp"

namespace salvo::calibration {

class Bench {
 public:
  Bench(AnalogCore& core, std::function<void(double t_us)> advance);

  AnalogCore& core() { return core_; }
  int neurons() const { return n_; }
  int code_max() const { return code_max_; }
  double now_us() const { return core_.now_us(); }
  void wait(double us) { advance_(core_.now_us() + us); }
  int write_rounds() const { return write_rounds_; }

  // One cell of every neuron (codes clamped to 0..code_max), one write round.
  void write(int cell, const std::vector<int>& codes);
  void write(int cell, int code) { write(cell, std::vector<int>(n_, code)); }
  std::vector<int> codes(int cell) const;

  // CADC membrane mode: the CADC interval (a whole number of steps >= one conversion).
  double cadc_interval_us() const { return cadc_interval_us_; }
  // Per column of each half: the causal channel's offset (LSB) used to correct membrane mode.
  void set_cadc_offsets(std::vector<std::vector<double>> causal_lsb) {
    offsets_ = std::move(causal_lsb);
  }
  const std::vector<std::vector<double>>& cadc_offsets() const { return offsets_; }
  // One conversion of every neuron now (raw codes), then `interval` passes.
  std::vector<int> cadc_codes();
  double cadc_mV_per_lsb() const { return cadc_mV_per_lsb_; }
  // Mean membrane voltage of every neuron over `window_us` (offset-corrected CADC).
  std::vector<double> cadc_mean_mV(double window_us);
  // `samples` offset-corrected conversions of every neuron, cadc_interval_us() apart:
  // trace[k][neuron].
  std::vector<std::vector<double>> cadc_trace_mV(int samples);
  // Neurons whose CADC conversions hit 0 or the top code since the last clear (a reading that
  // cannot be trusted: the membrane or the channel offset is outside the converter's range).
  const std::vector<char>& clipped() const { return clipped_; }
  void clear_clipped() { clipped_.assign(n_, 0); }
  // One MADC sample of each neuron in turn (for membranes that stand still, e.g. held at reset).
  std::vector<double> madc_each_mV();
  // Correlation-sensor readout of one row of a half, `reads` conversions averaged (LSB, both
  // channels, raw codes: the caller subtracts a reading taken right after a reset); `clipped`
  // per column: bit 0 (causal) / bit 1 (acausal) set when a conversion hit 0 or the top code. The
  // caller lets the conversions' time pass (reads x conversion time per row; the halves convert in
  // parallel).
  void read_sensor_row(int half, int row, int reads, std::vector<double>& causal,
                       std::vector<double>& acausal, std::vector<char>& clipped);
  // Spikes per neuron during `window_us` from the rate counters (saturating, as on the chip).
  std::vector<int> count_spikes(double window_us);
  // Recorded spike times per neuron during `window_us`.
  std::vector<std::vector<double>> spike_times(double window_us);

 private:
  AnalogCore& core_;
  std::function<void(double)> advance_;
  int n_, per_half_, code_max_;
  double cadc_interval_us_, cadc_mV_per_lsb_;
  std::vector<std::vector<double>> offsets_;
  int write_rounds_ = 0;
  std::vector<char> clipped_;
};

}  // namespace salvo::calibration
