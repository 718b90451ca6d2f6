#include "hw/analog/column_adc.hpp"

#include <cmath>
#include <string>

#include "hw/common/error.hpp"
#include "hw/common/rng.hpp"

namespace salvo {

ColumnAdcParams ColumnAdcParams::from_config(const ChipConfig& chip) {
  ColumnAdcParams p;
  p.columns = chip.neurons.per_half;
  p.bits = chip.cadc.bits;
  p.sample_rate_msps = chip.cadc.sample_rate_msps;
  p.offset_sigma_lsb = chip.mismatch.cadc_offset_lsb * chip.mismatch.scale;
  return p;
}

void ColumnAdcParams::validate() const {
  auto bad = [](const std::string& key, const std::string& allowed) {
    throw UserError("chip config: " + key + " must be " + allowed);
  };
  if (columns < 1) bad("chip.neurons.per_half", ">= 1");
  // Codes travel in bytes to the processor: the model supports up to 8 bits.
  if (bits < 1 || bits > 8) bad("chip.cadc.bits", "in 1..8");
  if (!(sample_rate_msps > 0.0)) bad("chip.cadc.sample_rate_msps", "> 0");
  if (!(offset_sigma_lsb >= 0.0)) bad("chip.mismatch.cadc_offset_lsb", ">= 0");
  if (!(v_full_scale_mV > 0.0)) bad("chip.cadc.v_full_scale_mV", "> 0");
}

ColumnAdc::ColumnAdc(const ColumnAdcParams& params, std::uint64_t seed, int half)
    : p_(params), max_code_((1 << params.bits) - 1) {
  p_.validate();
  if (half < 0) throw InternalError("ColumnAdc: negative half index");
  Engine eng = make_engine(seed, Stream::kCadcMismatch, static_cast<std::uint64_t>(half));
  for (auto& v : offset_) {
    v.resize(static_cast<std::size_t>(p_.columns));
    for (double& o : v) o = draw_normal(eng, p_.offset_sigma_lsb);
  }
  scratch_causal_.resize(static_cast<std::size_t>(p_.columns));
  scratch_acausal_.resize(static_cast<std::size_t>(p_.columns));
}

std::uint8_t ColumnAdc::quantise(SensorChannel ch, int col, double v_lsb) const {
  const double x =
      std::floor(v_lsb + offset_[static_cast<int>(ch)][static_cast<std::size_t>(col)] + 0.5);
  if (!(x > 0.0)) return 0;  // also catches NaN
  if (x >= max_code_) return static_cast<std::uint8_t>(max_code_);
  return static_cast<std::uint8_t>(x);
}

double ColumnAdc::offset_lsb(SensorChannel ch, int col) const {
  if (col < 0 || col >= p_.columns)
    throw InternalError("ColumnAdc: column " + std::to_string(col) + " outside range");
  return offset_[static_cast<int>(ch)][static_cast<std::size_t>(col)];
}

void ColumnAdc::convert_row(CorrelationSensors& sensors, int row, double t_us,
                            std::uint8_t* out_causal, std::uint8_t* out_acausal) {
  if (sensors.columns() != p_.columns)
    throw InternalError("ColumnAdc: sensor array has " + std::to_string(sensors.columns()) +
                        " columns, CADC " + std::to_string(p_.columns));
  sensors.read_row(row, t_us, scratch_causal_.data(), scratch_acausal_.data());
  for (int c = 0; c < p_.columns; ++c) {
    out_causal[c] =
        quantise(SensorChannel::kCausal, c, scratch_causal_[static_cast<std::size_t>(c)]);
    out_acausal[c] =
        quantise(SensorChannel::kAcausal, c, scratch_acausal_[static_cast<std::size_t>(c)]);
  }
}

void ColumnAdc::convert_row(CorrelationSensors& sensors, int row, double t_us,
                            std::vector<std::uint8_t>& out_causal,
                            std::vector<std::uint8_t>& out_acausal) {
  out_causal.resize(static_cast<std::size_t>(p_.columns));
  out_acausal.resize(static_cast<std::size_t>(p_.columns));
  convert_row(sensors, row, t_us, out_causal.data(), out_acausal.data());
}

void ColumnAdc::convert_membranes(const double* v_mV, std::uint8_t* out) const {
  const double lsb_per_mV = max_code_ / p_.v_full_scale_mV;
  for (int c = 0; c < p_.columns; ++c)
    out[c] = quantise(SensorChannel::kCausal, c, v_mV[c] * lsb_per_mV);
}

}  // namespace salvo
