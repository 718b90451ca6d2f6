// ColumnAdc (CADC): the 8-bit column-parallel ADC of one chip half. Two channels per column
// (causal, acausal correlation sensor) convert a whole synapse row at once; in membrane mode the
// causal channel of each column samples its neuron's membrane voltage instead. Abstracted away:
// the ramp comparator and counter (we round the input plus the channel offset), differential
// non-linearity and the settling before a conversion.
//
// Plain C++: the lead's SystemC module uses conversion_time_us() to make the processor wait.
// See docs/models/column-adc.md.
#pragma once

#include <cstdint>
#include <vector>

#include "hw/analog/correlation_sensors.hpp"
#include "hw/common/chip_config.hpp"

namespace salvo {

struct ColumnAdcParams {
  int columns = 256;
  int bits = 8;
  double sample_rate_msps = 1.85;   // per channel; all channels of a row convert in parallel
  double offset_sigma_lsb = 0.0;    // fixed-pattern offset per channel (already × mismatch.scale)
  double v_full_scale_mV = 1200.0;  // membrane mode: this voltage maps to the top code [not in
                                    // ChipConfig; defaults to the supply range]

  static ColumnAdcParams from_config(const ChipConfig& chip);
  void validate() const;  // UserError naming the chip.cadc key
};

class ColumnAdc {
 public:
  // Offsets drawn from (seed, Stream::kCadcMismatch, half): causal channels of columns
  // 0..N-1 first, then acausal channels.
  ColumnAdc(const ColumnAdcParams& params, std::uint64_t seed, int half = 0);

  int columns() const { return p_.columns; }
  int max_code() const { return max_code_; }
  const ColumnAdcParams& params() const { return p_; }

  // Hardware time one row conversion (all columns, both channels in parallel) takes:
  // 1 / sample_rate, ≈ 0.54 µs at 1.85 MSa/s. The processor waits this long for results.
  double conversion_time_us() const { return 1.0 / p_.sample_rate_msps; }

  // Converts row `row` of the sensors as seen at t_us (drift applied, fresh readout noise):
  // code = clamp(round(v_lsb + offset), 0, max_code). `columns()` codes per output.
  void convert_row(CorrelationSensors& sensors, int row, double t_us, std::uint8_t* out_causal,
                   std::uint8_t* out_acausal);
  void convert_row(CorrelationSensors& sensors, int row, double t_us,
                   std::vector<std::uint8_t>& out_causal, std::vector<std::uint8_t>& out_acausal);

  // Membrane mode: the causal channel of column c converts v_mV[c]:
  // code = clamp(round(v_mV / v_full_scale_mV · max_code + offset_causal[c]), 0, max_code).
  void convert_membranes(const double* v_mV, std::uint8_t* out) const;

  // Quantiser of one channel (exposed for tests and for calibration oracles).
  std::uint8_t quantise(SensorChannel ch, int col, double v_lsb) const;

  // Oracle: the drawn offset of a channel in LSB.
  double offset_lsb(SensorChannel ch, int col) const;

 private:
  ColumnAdcParams p_;
  int max_code_;
  std::vector<double> offset_[2];  // per channel kind, per column
  std::vector<float> scratch_causal_, scratch_acausal_;
};

}  // namespace salvo
