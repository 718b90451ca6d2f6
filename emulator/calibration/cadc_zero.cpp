#include "emulator/calibration/cadc_zero.hpp"

namespace salvo::calibration {

CadcZero cadc_zero(AnalogCore& core, int half, int row, double t_us, int reads) {
  const int cols = core.neurons_per_half();
  auto& sens = core.sensors(half);
  auto& adc = core.cadc(half);
  sens.reset_all(t_us);
  std::vector<std::uint8_t> c(cols), a(cols);
  std::vector<long> sum_c(cols, 0), sum_a(cols, 0);
  for (int k = 0; k < reads; ++k) {
    adc.convert_row(sens, row, t_us, c.data(), a.data());
    for (int i = 0; i < cols; ++i) {
      sum_c[i] += c[i];
      sum_a[i] += a[i];
    }
  }
  CadcZero z;
  z.causal_q8.resize(cols);
  z.acausal_q8.resize(cols);
  for (int i = 0; i < cols; ++i) {  // rounded to nearest, halves up
    z.causal_q8[i] = static_cast<std::uint16_t>((sum_c[i] * 256 + reads / 2) / reads);
    z.acausal_q8[i] = static_cast<std::uint16_t>((sum_a[i] * 256 + reads / 2) / reads);
  }
  return z;
}

}  // namespace salvo::calibration
