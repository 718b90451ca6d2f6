// ParameterMemory: code -> value transfer, per-cell gain/offset mismatch statistics, the ideal
// circuit laws and their inverse (host-side code computation), and bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "hw/analog/parameter_memory.hpp"
#include "hw/common/error.hpp"

namespace salvo {
namespace {

ChipConfig chip_with(int neurons) {
  ChipConfig c;
  c.halves = 1;
  c.neurons.per_half = neurons;
  return c;
}

const CurrentCell kModelledCurrent[] = {
    CurrentCell::kLeakBias,       CurrentCell::kSynExcBias, CurrentCell::kSynInhBias,
    CurrentCell::kRefractoryBias, CurrentCell::kSynGainExc, CurrentCell::kSynGainInh,
    CurrentCell::kAdaptA,         CurrentCell::kAdaptB,     CurrentCell::kAdaptTau,
    CurrentCell::kExpSlope,       CurrentCell::kOffset};
const VoltageCell kModelledVoltage[] = {VoltageCell::kLeak, VoltageCell::kReset,
                                        VoltageCell::kThreshold, VoltageCell::kExp};

TEST(ParameterMemory, IdealTransferIsCodeOverCodeMaxTimesFullScale) {
  ChipConfig chip = chip_with(1);
  ParameterMemory m(chip, 1);
  EXPECT_EQ(m.cells_per_neuron(), 24);
  for (int code : {0, 1, 511, 1022}) {
    EXPECT_DOUBLE_EQ(m.ideal_value(m.cell_index(VoltageCell::kLeak), code), code / 1022.0 * 1200.0);
    EXPECT_DOUBLE_EQ(m.ideal_value(m.cell_index(CurrentCell::kLeakBias), code),
                     code / 1022.0 * 1000.0);
  }
  EXPECT_DOUBLE_EQ(m.ideal_parameter(VoltageCell::kLeak, 511), 600.0);
}

TEST(ParameterMemory, CodeRoundTripThroughTheIdealInverse) {
  ParameterMemory m(chip_with(1), 1);
  for (VoltageCell c : kModelledVoltage) {
    for (int code = 0; code <= m.code_max(); ++code) {
      ASSERT_EQ(m.ideal_code(c, m.ideal_parameter(c, code)), code) << cell_name(c);
    }
  }
  for (CurrentCell c : kModelledCurrent) {
    // Code 0 of an inverse-law cell is an infinite time constant, which maps back to 0 too.
    for (int code = 0; code <= m.code_max(); ++code) {
      ASSERT_EQ(m.ideal_code(c, m.ideal_parameter(c, code)), code) << cell_name(c);
    }
  }
  EXPECT_TRUE(std::isinf(m.ideal_parameter(CurrentCell::kLeakBias, 0)));
}

TEST(ParameterMemory, IdealLawsAtTheReferenceTargets) {
  ParameterMemory m(chip_with(1), 1);
  // tau_mem = C * U_leak / I: 10 µs <-> 220 nA <-> code 225 (quantisation < 0.5 LSB).
  const int code = m.ideal_code(CurrentCell::kLeakBias, 10.0);
  EXPECT_EQ(code, 225);
  EXPECT_NEAR(m.ideal_parameter(CurrentCell::kLeakBias, code), 10.0, 10.0 * 0.5 / 225);
  EXPECT_NEAR(
      m.ideal_parameter(CurrentCell::kSynExcBias, m.ideal_code(CurrentCell::kSynExcBias, 5.0)), 5.0,
      5.0 * 0.5 / 200);
  EXPECT_NEAR(
      m.ideal_parameter(CurrentCell::kSynGainExc, m.ideal_code(CurrentCell::kSynGainExc, 1.0)), 1.0,
      1.0 / 1000);
  // A larger capacitance gives a proportionally longer tau at the same bias current.
  ChipConfig big = chip_with(1);
  big.neurons.c_mem_pF = 4.4;
  ParameterMemory m2(big, 1);
  EXPECT_DOUBLE_EQ(m2.ideal_parameter(CurrentCell::kLeakBias, code),
                   2.0 * m.ideal_parameter(CurrentCell::kLeakBias, code));
}

TEST(ParameterMemory, GainAndOffsetMismatchStatistics) {
  ChipConfig chip = chip_with(2000);
  ParameterMemory m(chip, 42);
  double g1 = 0, g2 = 0, ov1 = 0, ov2 = 0, oi1 = 0, oi2 = 0;
  long nv = 0, ni = 0;
  for (int n = 0; n < m.neurons(); ++n) {
    for (int c = 0; c < m.cells_per_neuron(); ++c) {
      const CellMismatch& mm = m.mismatch(n, c);
      g1 += mm.gain - 1.0;
      g2 += (mm.gain - 1.0) * (mm.gain - 1.0);
      if (m.is_voltage_cell(c)) {
        ov1 += mm.offset;
        ov2 += mm.offset * mm.offset;
        ++nv;
      } else {
        oi1 += mm.offset;
        oi2 += mm.offset * mm.offset;
        ++ni;
      }
    }
  }
  const long ng = nv + ni;
  const double sg = std::sqrt(g2 / ng - (g1 / ng) * (g1 / ng));
  const double sv = std::sqrt(ov2 / nv - (ov1 / nv) * (ov1 / nv));
  const double si = std::sqrt(oi2 / ni - (oi1 / ni) * (oi1 / ni));
  EXPECT_NEAR(sg / 0.02, 1.0, 0.05);
  EXPECT_NEAR(sv / 5.0, 1.0, 0.05);
  EXPECT_NEAR(si / (5.0 * 1000.0 / 1200.0), 1.0, 0.05);  // offset equivalent of 5 mV
  EXPECT_NEAR(g1 / ng, 0.0, 4.0 * 0.02 / std::sqrt(static_cast<double>(ng)));
  EXPECT_NEAR(ov1 / nv, 0.0, 4.0 * 5.0 / std::sqrt(static_cast<double>(nv)));
}

TEST(ParameterMemory, ValueIsGainTimesIdealPlusOffset) {
  ParameterMemory m(chip_with(8), 3);
  for (int n = 0; n < 8; ++n) {
    for (int c = 0; c < m.cells_per_neuron(); ++c) {
      m.write(n, c, 100 + 37 * c);
      const CellMismatch& mm = m.mismatch(n, c);
      EXPECT_DOUBLE_EQ(m.value(n, c), mm.gain * m.ideal_value(c, 100 + 37 * c) + mm.offset);
    }
    m.write(n, 0, 0);
    EXPECT_GE(m.value(n, 0), 0.0);  // never below ground
  }
}

TEST(ParameterMemory, ZeroSpreadAndSeeds) {
  ChipConfig ideal = chip_with(16);
  ideal.mismatch.scale = 0.0;
  ParameterMemory m(ideal, 1);
  for (int n = 0; n < 16; ++n) {
    for (int c = 0; c < m.cells_per_neuron(); ++c) {
      m.write(n, c, 777);
      EXPECT_EQ(m.value(n, c), m.ideal_value(c, 777));
    }
  }
  ChipConfig chip = chip_with(16);
  ParameterMemory a(chip, 5), b(chip, 5), c(chip, 6);
  bool differs = false;
  for (int n = 0; n < 16; ++n) {
    for (int k = 0; k < a.cells_per_neuron(); ++k) {
      EXPECT_EQ(a.mismatch(n, k).gain, b.mismatch(n, k).gain);
      EXPECT_EQ(a.mismatch(n, k).offset, b.mismatch(n, k).offset);
      differs = differs || a.mismatch(n, k).gain != c.mismatch(n, k).gain;
    }
  }
  EXPECT_TRUE(differs);
  // Switching the gain spread off leaves the offsets drawn exactly as before.
  ChipConfig no_gain = chip;
  no_gain.mismatch.capmem_gain = 0.0;
  ParameterMemory d(no_gain, 5);
  for (int k = 0; k < d.cells_per_neuron(); ++k) {
    EXPECT_EQ(d.mismatch(3, k).gain, 1.0);
    EXPECT_EQ(d.mismatch(3, k).offset, a.mismatch(3, k).offset);
  }
}

TEST(ParameterMemory, CalibratedChipReducesTheCalibratedCellsSpread) {
  ChipConfig chip = chip_with(8);
  ChipConfig cal = chip;
  cal.mismatch.shortcut_bars = true;
  ParameterMemory a(chip, 9), b(cal, 9);
  const int leak = ParameterMemory::cell_index(VoltageCell::kLeak);
  const int exp = ParameterMemory::cell_index(VoltageCell::kExp);
  for (int n = 0; n < 8; ++n) {
    EXPECT_NEAR(b.mismatch(n, leak).offset, CalibrationBars::kLeak * a.mismatch(n, leak).offset,
                1e-12);
    EXPECT_EQ(b.mismatch(n, exp).offset, a.mismatch(n, exp).offset);
  }
}

TEST(ParameterMemory, BadCodeIsAUserErrorNamingTheCellAndRange) {
  ParameterMemory m(chip_with(4), 1);
  const int cell = m.cell_index(CurrentCell::kLeakBias);
  for (int bad : {-1, 1023, 5000}) {
    try {
      m.write(2, cell, bad);
      FAIL() << "code " << bad << " accepted";
    } catch (const UserError& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("i_bias_leak"), std::string::npos) << msg;
      EXPECT_NE(msg.find("0..1022"), std::string::npos) << msg;
    }
  }
  EXPECT_EQ(m.code(2, cell), 0);  // unchanged
  EXPECT_THROW(m.write(4, 0, 1), UserError);
  EXPECT_THROW(m.write(0, 24, 1), UserError);
  EXPECT_NO_THROW(m.write(0, 23, 1022));
}

TEST(ParameterMemory, UnreachableTargetNamesTheParameter) {
  ParameterMemory m(chip_with(1), 1);
  try {
    m.ideal_code(CurrentCell::kLeakBias, 0.5);  // needs 4.4 µA
    FAIL();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("tau_mem_us"), std::string::npos) << e.what();
  }
  EXPECT_THROW(m.ideal_code(VoltageCell::kThreshold, 1500.0), UserError);
  EXPECT_THROW(m.ideal_code(VoltageCell::kThreshold, -10.0), UserError);
  EXPECT_THROW(m.ideal_code(CurrentCell::kRefractoryBias, 0.0), UserError);
}

TEST(ParameterMemory, TooFewCellsForTheModelIsAUserError) {
  ChipConfig chip = chip_with(1);
  chip.parameter_memory.voltage_cells_per_neuron = 3;
  EXPECT_THROW(ParameterMemory(chip, 1), UserError);
  chip = chip_with(1);
  chip.parameter_memory.code_max = 1024;  // does not fit 10 bits
  EXPECT_THROW(ParameterMemory(chip, 1), UserError);
}

TEST(ParameterMemory, CellNames) {
  ParameterMemory m(chip_with(1), 1);
  EXPECT_EQ(m.cell_name(0), "v_leak");
  EXPECT_EQ(m.cell_name(8), "i_bias_leak");
  EXPECT_EQ(m.cell_name(8 + 10), "i_offset");
  EXPECT_EQ(m.cell_name(23), "i_spare_15");
}

}  // namespace
}  // namespace salvo
