// Column ADC: quantisation, clamping, per-channel offsets (statistics, zero spread, seeds),
// membrane mode and conversion time.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "hw/analog/column_adc.hpp"
#include "hw/analog/correlation_sensors.hpp"
#include "hw/common/error.hpp"

namespace salvo {
namespace {

constexpr SensorChannel kC = SensorChannel::kCausal;
constexpr SensorChannel kA = SensorChannel::kAcausal;

TEST(ColumnAdc, QuantisesByRoundingAndClamps) {
  ColumnAdcParams p;
  p.columns = 4;
  p.offset_sigma_lsb = 0.0;
  ColumnAdc adc(p, 1);
  EXPECT_EQ(adc.max_code(), 255);
  EXPECT_EQ(adc.quantise(kC, 0, 100.49), 100);
  EXPECT_EQ(adc.quantise(kC, 0, 100.5), 101);
  EXPECT_EQ(adc.quantise(kA, 3, 99.51), 100);
  EXPECT_EQ(adc.quantise(kC, 1, 0.2), 0);
  EXPECT_EQ(adc.quantise(kC, 1, -30.0), 0);
  EXPECT_EQ(adc.quantise(kC, 1, 254.4), 254);
  EXPECT_EQ(adc.quantise(kC, 1, 254.6), 255);
  EXPECT_EQ(adc.quantise(kC, 1, 400.0), 255);
  EXPECT_EQ(adc.quantise(kC, 1, std::nan("")), 0);
  // Every code in range is reachable and the transfer is monotone with unit steps.
  int prev = -1;
  for (int k = 0; k <= 2550; ++k) {
    const int code = adc.quantise(kA, 2, k * 0.1);
    ASSERT_GE(code, prev);
    ASSERT_LE(code - prev, 1);
    prev = code;
  }
  EXPECT_EQ(prev, 255);
}

TEST(ColumnAdc, FewerBitsLowerTheTopCode) {
  ColumnAdcParams p;
  p.columns = 1;
  p.bits = 6;
  ColumnAdc adc(p, 1);
  EXPECT_EQ(adc.max_code(), 63);
  EXPECT_EQ(adc.quantise(kC, 0, 100.0), 63);
  p.bits = 9;
  EXPECT_THROW(ColumnAdc(p, 1), UserError);
}

TEST(ColumnAdc, OffsetSpreadMatchesConfig) {
  ColumnAdcParams p;
  p.columns = 10000;  // 20 000 channels
  p.offset_sigma_lsb = 15.0;
  ColumnAdc adc(p, 5);
  double m = 0.0, v = 0.0;
  const int n = 2 * p.columns;
  for (SensorChannel ch : {kC, kA})
    for (int c = 0; c < p.columns; ++c) m += adc.offset_lsb(ch, c);
  m /= n;
  for (SensorChannel ch : {kC, kA})
    for (int c = 0; c < p.columns; ++c) v += std::pow(adc.offset_lsb(ch, c) - m, 2);
  EXPECT_NEAR(std::sqrt(v / (n - 1)), 15.0, 0.05 * 15.0);
  EXPECT_NEAR(m, 0.0, 0.5);
  // The offset shifts the code: code = round(v + offset).
  for (int c = 0; c < 50; ++c) {
    const double o = adc.offset_lsb(kA, c);
    const int want = std::clamp(static_cast<int>(std::floor(120.0 + o + 0.5)), 0, 255);
    ASSERT_EQ(adc.quantise(kA, c, 120.0), want);
  }
}

TEST(ColumnAdc, ZeroSpreadAndSeeds) {
  ColumnAdcParams p;
  p.columns = 256;
  p.offset_sigma_lsb = 0.0;
  ColumnAdc ideal(p, 5);
  for (int c = 0; c < p.columns; ++c) {
    ASSERT_EQ(ideal.offset_lsb(kC, c), 0.0);
    ASSERT_EQ(ideal.offset_lsb(kA, c), 0.0);
  }
  p.offset_sigma_lsb = 15.0;
  ColumnAdc a(p, 5), b(p, 5), c6(p, 6), half1(p, 5, 1);
  int differ = 0, differ_half = 0;
  for (int c = 0; c < p.columns; ++c) {
    ASSERT_EQ(a.offset_lsb(kC, c), b.offset_lsb(kC, c));
    ASSERT_EQ(a.offset_lsb(kA, c), b.offset_lsb(kA, c));
    differ += a.offset_lsb(kC, c) != c6.offset_lsb(kC, c);
    differ_half += a.offset_lsb(kC, c) != half1.offset_lsb(kC, c);
  }
  EXPECT_EQ(differ, p.columns);
  EXPECT_EQ(differ_half, p.columns);
}

TEST(ColumnAdc, ConvertRowAppliesOffsetsToSensorReadout) {
  CorrelationSensorParams sp;
  sp.rows = 8;
  sp.columns = 16;
  sp.amplitude_lsb = 50.0;
  sp.sigma_amplitude = 0.2;
  sp.sigma_tau = 0.15;
  CorrelationSensors s(sp, 9);
  ColumnAdcParams ap;
  ap.columns = 16;
  ap.offset_sigma_lsb = 15.0;
  ColumnAdc adc(ap, 9);
  for (int r = 0; r < sp.rows; ++r) s.on_pre(r, 0.0);
  for (int c = 0; c < sp.columns; ++c) s.on_post(c, 3.0);
  std::vector<std::uint8_t> cc, ac;
  for (int r = 0; r < sp.rows; ++r) {
    adc.convert_row(s, r, 10.0, cc, ac);
    ASSERT_EQ(cc.size(), 16u);
    for (int c = 0; c < sp.columns; ++c) {
      const double vc = s.analog_lsb(kC, r, c, 10.0) + adc.offset_lsb(kC, c);
      const double va = s.analog_lsb(kA, r, c, 10.0) + adc.offset_lsb(kA, c);
      ASSERT_EQ(cc[c], std::clamp(static_cast<int>(std::floor(vc + 0.5)), 0, 255));
      ASSERT_EQ(ac[c], std::clamp(static_cast<int>(std::floor(va + 0.5)), 0, 255));
    }
  }
  // Mismatched array sizes are a wiring bug.
  ColumnAdcParams wrong = ap;
  wrong.columns = 8;
  ColumnAdc adc8(wrong, 9);
  EXPECT_THROW(adc8.convert_row(s, 0, 10.0, cc, ac), InternalError);
}

TEST(ColumnAdc, MembraneModeUsesFullScaleAndCausalOffset) {
  ColumnAdcParams p;
  p.columns = 4;
  p.offset_sigma_lsb = 0.0;
  p.v_full_scale_mV = 1200.0;
  ColumnAdc adc(p, 1);
  const double v[4] = {0.0, 600.0, 1200.0, 1500.0};
  std::uint8_t out[4];
  adc.convert_membranes(v, out);
  EXPECT_EQ(out[0], 0);
  EXPECT_EQ(out[1], 128);  // 600/1200·255 = 127.5 → rounds up
  EXPECT_EQ(out[2], 255);
  EXPECT_EQ(out[3], 255);
  p.offset_sigma_lsb = 10.0;
  ColumnAdc adc2(p, 3);
  const double w[4] = {400.0, 400.0, 400.0, 400.0};
  adc2.convert_membranes(w, out);
  for (int c = 0; c < 4; ++c)
    EXPECT_EQ(out[c],
              static_cast<int>(std::floor(400.0 * 255.0 / 1200.0 + adc2.offset_lsb(kC, c) + 0.5)));
}

TEST(ColumnAdc, ConversionTimeFromSampleRate) {
  ChipConfig chip;
  const ColumnAdcParams p = ColumnAdcParams::from_config(chip);
  EXPECT_EQ(p.columns, 256);
  EXPECT_EQ(p.bits, 8);
  EXPECT_DOUBLE_EQ(p.offset_sigma_lsb, 15.0);
  ColumnAdc adc(p, 1);
  EXPECT_NEAR(adc.conversion_time_us(), 1.0 / 1.85, 1e-12);
  EXPECT_NEAR(adc.conversion_time_us(), 0.5405, 1e-4);
  chip.cadc.sample_rate_msps = 0.0;
  EXPECT_THROW(ColumnAdc(ColumnAdcParams::from_config(chip), 1), UserError);
}

}  // namespace
}  // namespace salvo
