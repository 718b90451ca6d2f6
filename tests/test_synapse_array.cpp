// SynapseArray: label matching against a brute-force reading of the definition, driver
// row-select/mask logic, row signs, weight-DAC mismatch statistics and input validation.
#include "hw/analog/synapse_array.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "hw/common/error.hpp"
#include "hw/common/rng.hpp"
#include "hw/routing/event.hpp"

namespace salvo {
namespace {

SynapseArrayParams mini(int columns = 32, double sigma = 0.0) {
  SynapseArrayParams p;
  p.rows = 32;
  p.columns = columns;
  p.drivers = 16;
  p.rows_per_driver = 2;
  p.i_lsb_nA = 0.4;
  p.weight_dac_sigma = sigma;
  return p;
}

// Fill weights, labels and signs from a seeded engine (test data, not chip randomness).
void randomise(SynapseArray& a, std::uint64_t seed) {
  Engine eng = make_engine(seed, Stream::kExperiment, 0);
  for (int r = 0; r < a.rows(); ++r) {
    a.set_row_sign(r, draw_uniform01(eng) < 0.3 ? SynapseArray::RowSign::kInhibitory
                                                : SynapseArray::RowSign::kExcitatory);
    for (int c = 0; c < a.columns(); ++c) {
      a.set_weight(r, c, static_cast<int>(draw_uniform01(eng) * 64));
      a.set_label(r, c, static_cast<int>(draw_uniform01(eng) * 8));  // few labels: many hits
    }
  }
}

// The definition, evaluated independently of the hot path: driver compare, then label compare.
void reference_deliver(const SynapseArray& a, std::uint16_t label, std::vector<double>& exc,
                       std::vector<double>& inh, std::vector<int>& rows) {
  const int select = (label >> 6) & 0xFF;
  const int address = label & 0x3F;
  for (int d = 0; d < a.drivers(); ++d) {
    if (!a.driver_enabled(d)) continue;
    const int m = a.driver_mask(d);
    if ((select & m) != (a.driver_select(d) & m)) continue;
    for (int k = 0; k < a.rows_per_driver(); ++k) {
      const int r = d * a.rows_per_driver() + k;
      rows.push_back(r);
      const bool inhibitory = a.row_sign(r) == SynapseArray::RowSign::kInhibitory;
      for (int c = 0; c < a.columns(); ++c) {
        if (a.label(r, c) != address) continue;
        // Magnitudes into both inputs: the neuron subtracts its inhibitory input.
        const double i_nA = a.weight(r, c) * 0.4 * std::max(0.0, 1.0 + a.dac_mismatch(r, c));
        (inhibitory ? inh : exc)[static_cast<std::size_t>(c)] += i_nA;
      }
    }
  }
}

void expect_matches_reference(SynapseArray& a, std::uint16_t label) {
  const auto n = static_cast<std::size_t>(a.columns());
  std::vector<float> exc(n, 0.0f), inh(n, 0.0f);
  std::vector<double> exc_ref(n, 0.0), inh_ref(n, 0.0);
  std::vector<int> rows, rows_ref;
  const int hit = a.deliver(label, exc.data(), inh.data(), rows);
  reference_deliver(a, label, exc_ref, inh_ref, rows_ref);
  ASSERT_EQ(rows, rows_ref) << "label " << label;
  ASSERT_EQ(hit, static_cast<int>(rows.size()));
  for (std::size_t c = 0; c < n; ++c) {
    ASSERT_NEAR(exc[c], exc_ref[c], 1e-4) << "label " << label << " column " << c;
    ASSERT_NEAR(inh[c], inh_ref[c], 1e-4) << "label " << label << " column " << c;
  }
}

TEST(SynapseArray, DefaultDriversAddressOneDriverEach) {
  SynapseArray a(mini(), 1);
  std::vector<int> rows;
  a.rows_for_label(make_label(5, 0), rows);
  EXPECT_EQ(rows, (std::vector<int>{10, 11}));
  rows.clear();
  a.rows_for_label(make_label(200, 0), rows);  // no driver has select 200
  EXPECT_TRUE(rows.empty());
}

TEST(SynapseArray, EventReachesExactlyTheMatchingSynapses) {
  SynapseArray a(mini(), 1);
  // Row 6 and 7 belong to driver 3; give every synapse of the array weight 1, and labels
  // equal to column % 4, so label address 2 hits columns 2, 6, 10, ... of rows 6 and 7 only.
  for (int r = 0; r < a.rows(); ++r)
    for (int c = 0; c < a.columns(); ++c) {
      a.set_weight(r, c, 1);
      a.set_label(r, c, c % 4);
    }
  a.set_weight(7, 10, 3);
  std::vector<float> exc(32, 0.0f), inh(32, 0.0f);
  std::vector<int> rows;
  EXPECT_EQ(a.deliver(make_label(3, 2), exc.data(), inh.data(), rows), 2);
  EXPECT_EQ(rows, (std::vector<int>{6, 7}));
  for (int c = 0; c < 32; ++c) {
    const float expected = (c % 4 == 2) ? (c == 10 ? 4 * 0.4f : 2 * 0.4f) : 0.0f;
    EXPECT_FLOAT_EQ(exc[static_cast<std::size_t>(c)], expected) << "column " << c;
    EXPECT_EQ(inh[static_cast<std::size_t>(c)], 0.0f);
  }
}

TEST(SynapseArray, MatchesDefinitionForAllLabelsWithMaskedDrivers) {
  // 37 columns: exercises both the 16-wide vector blocks and the scalar tail.
  for (int columns : {32, 37, 5}) {
    SynapseArray a(mini(columns, 0.03), 7);
    randomise(a, 3);
    // A mix of driver configurations: exact match, wildcards in low bits, match-all, disabled.
    for (int d = 0; d < a.drivers(); ++d) a.set_driver(d, d, 0xFF);
    a.set_driver(2, 0x10, 0xF0);  // any select 0x10..0x1F
    a.set_driver(3, 0x00, 0x00);  // every event
    a.set_driver(4, 0x05, 0x0F);  // low nibble 5, any high nibble
    a.set_driver_enabled(9, false);
    for (unsigned select = 0; select < 256; select += 3)
      for (unsigned address = 0; address < 10; ++address)
        expect_matches_reference(a, make_label(select, address, select & 3));
  }
}

// Rows whose labels all agree skip the label compare (add every amplitude or nothing); the
// sums stay bit for bit those of the masked add, also after label writes turn a uniform row
// mixed (set_label) or mixed rows uniform (set_label_row), for deliver and deliver_to_row.
TEST(SynapseArray, UniformLabelRowsGiveTheMaskedSumsBitwise) {
  for (int columns : {32, 37}) {
    SynapseArray a(mini(columns, 0.03), 5);
    randomise(a, 4);
    const std::vector<std::uint8_t> threes(static_cast<std::size_t>(columns), 3);
    for (int r = 0; r < a.rows(); r += 3) a.set_label_row(r, threes.data());
    const auto n = static_cast<std::size_t>(columns);
    std::vector<float> exc(n, 0.0f), inh(n, 0.0f), exc_ref(n, 0.0f), inh_ref(n, 0.0f);
    auto reference_row = [&](int r, int address) {
      const bool inhibitory = a.row_sign(r) == SynapseArray::RowSign::kInhibitory;
      for (int c = 0; c < columns; ++c) {
        const float amp = static_cast<float>(std::abs(a.amplitude_nA(r, c)));
        (inhibitory ? inh_ref : exc_ref)[static_cast<std::size_t>(c)] +=
            a.label(r, c) == address ? amp : 0.0f;
      }
    };
    Engine eng = make_engine(9, Stream::kExperiment, 0);
    int uniform_hits = 0;
    for (int k = 0; k < 600; ++k) {
      if (k == 200) a.set_label(3, 1, 5);               // row 3 uniform -> mixed
      if (k == 400) a.set_label_row(4, threes.data());  // row 4 mixed -> uniform
      const int address = static_cast<int>(draw_uniform01(eng) * 5);
      if (k % 2 == 0) {
        const int driver = static_cast<int>(draw_uniform01(eng) * a.drivers());
        std::vector<int> rows;
        a.deliver(make_label(static_cast<unsigned>(driver), static_cast<unsigned>(address), 0),
                  exc.data(), inh.data(), rows);
        for (int r : rows) {
          reference_row(r, address);
          uniform_hits += r % 3 == 0 && address == 3;
        }
      } else {
        const int r = static_cast<int>(draw_uniform01(eng) * a.rows());
        a.deliver_to_row(r, address, exc.data(), inh.data());
        reference_row(r, address);
        uniform_hits += r % 3 == 0 && address == 3;
      }
    }
    for (std::size_t c = 0; c < n; ++c) {
      ASSERT_EQ(exc[c], exc_ref[c]) << "column " << c;
      ASSERT_EQ(inh[c], inh_ref[c]) << "column " << c;
    }
    EXPECT_GT(uniform_hits, 20) << "uniform rows were hardly reached: the test is weak";
  }
}

TEST(SynapseArray, DeliverToRowMatchesTheDefinition) {
  SynapseArray a(mini(37, 0.03), 7);
  randomise(a, 4);
  for (int r = 0; r < a.rows(); ++r) {
    std::vector<float> exc(37, 0.0f), inh(37, 0.0f);
    a.deliver_to_row(r, 5, exc.data(), inh.data());
    // Reference: the definition for this row alone.
    const bool inhibitory = a.row_sign(r) == SynapseArray::RowSign::kInhibitory;
    std::vector<double> e(37, 0.0), i(37, 0.0);
    for (int c = 0; c < 37; ++c) {
      if (a.label(r, c) != 5) continue;
      (inhibitory ? i : e)[static_cast<std::size_t>(c)] +=
          a.weight(r, c) * 0.4 * (1.0 + a.dac_mismatch(r, c));
    }
    for (std::size_t c = 0; c < 37; ++c) {
      ASSERT_NEAR(exc[c], e[c], 1e-5) << r << " " << c;
      ASSERT_NEAR(inh[c], i[c], 1e-5) << r << " " << c;
    }
  }
  EXPECT_THROW(a.deliver_to_row(0, 64, nullptr, nullptr), UserError);
}

TEST(SynapseArray, HintBitsAreIgnored) {
  SynapseArray a(mini(), 1);
  randomise(a, 5);
  std::vector<float> e0(32, 0.0f), i0(32, 0.0f), e1(32, 0.0f), i1(32, 0.0f);
  std::vector<int> r0, r1;
  a.deliver(make_label(4, 3, 0), e0.data(), i0.data(), r0);
  a.deliver(make_label(4, 3, 3), e1.data(), i1.data(), r1);
  EXPECT_EQ(r0, r1);
  EXPECT_EQ(e0, e1);
  EXPECT_EQ(i0, i1);
}

TEST(SynapseArray, InhibitoryRowFeedsTheInhibitoryInput) {
  SynapseArray a(mini(), 1);
  a.set_weight(0, 4, 10);
  a.set_weight(1, 4, 20);
  a.set_row_sign(1, SynapseArray::RowSign::kInhibitory);
  EXPECT_DOUBLE_EQ(a.amplitude_nA(1, 4), -20 * 0.4f);
  std::vector<float> exc(32, 0.0f), inh(32, 0.0f);
  std::vector<int> rows;
  a.deliver(make_label(0, 0), exc.data(), inh.data(), rows);
  EXPECT_FLOAT_EQ(exc[4], 10 * 0.4f);
  EXPECT_FLOAT_EQ(inh[4], 20 * 0.4f);  // a magnitude: the neuron subtracts this input
  // Switching the sign back moves the row to the excitatory input.
  a.set_row_sign(1, SynapseArray::RowSign::kExcitatory);
  EXPECT_DOUBLE_EQ(a.amplitude_nA(1, 4), 20 * 0.4f);
  a.deliver(make_label(0, 0), exc.data(), inh.data(), rows);
  EXPECT_FLOAT_EQ(exc[4], 40 * 0.4f);
  EXPECT_FLOAT_EQ(inh[4], 20 * 0.4f);
}

TEST(SynapseArray, AccumulatesAcrossEvents) {
  SynapseArray a(mini(), 1);
  a.set_weight(2, 0, 63);
  std::vector<float> exc(32, 0.0f), inh(32, 0.0f);
  std::vector<int> rows;
  for (int k = 0; k < 3; ++k) a.deliver(make_label(1, 0), exc.data(), inh.data(), rows);
  EXPECT_FLOAT_EQ(exc[0], 3 * 63 * 0.4f);
  EXPECT_EQ(rows, (std::vector<int>{2, 3, 2, 3, 2, 3}));  // appended, not cleared
}

TEST(SynapseArray, WeightDacMismatchHasConfiguredSpread) {
  SynapseArrayParams p;  // reference geometry: 256 x 256 = 65 536 synapses
  p.weight_dac_sigma = 0.03;
  SynapseArray a(p, 42, 0);
  double sum = 0.0, sum2 = 0.0;
  const double n = 256.0 * 256.0;
  for (int r = 0; r < 256; ++r)
    for (int c = 0; c < 256; ++c) {
      const double d = a.dac_mismatch(r, c);
      sum += d;
      sum2 += d * d;
    }
  const double mean = sum / n;
  const double sd = std::sqrt(sum2 / n - mean * mean);
  EXPECT_NEAR(mean, 0.0, 4 * 0.03 / std::sqrt(n));
  EXPECT_NEAR(sd, 0.03, 0.05 * 0.03);  // issue: spreads within 5 %
  // Amplitude follows the drawn gain.
  a.set_weight(17, 99, 40);
  EXPECT_FLOAT_EQ(static_cast<float>(a.amplitude_nA(17, 99)),
                  40 * 0.4f * static_cast<float>(1.0 + a.dac_mismatch(17, 99)));
}

TEST(SynapseArray, ZeroSpreadGivesIdenticalSynapses) {
  ChipConfig cfg;
  cfg.mismatch.scale = 0.0;
  SynapseArray a(SynapseArrayParams::from_config(cfg), 42, 1);
  for (int r = 0; r < 256; r += 17)
    for (int c = 0; c < 256; c += 13) {
      EXPECT_EQ(a.dac_mismatch(r, c), 0.0);
      a.set_weight(r, c, 33);
      EXPECT_EQ(a.amplitude_nA(r, c), static_cast<double>(33 * 0.4f));
    }
}

TEST(SynapseArray, MismatchIsReproducibleAndDiffersBySeedAndHalf) {
  const auto p = mini(32, 0.03);
  SynapseArray a(p, 11, 0), b(p, 11, 0), c(p, 12, 0), d(p, 11, 1);
  int same_c = 0, same_d = 0;
  for (int r = 0; r < 32; ++r)
    for (int col = 0; col < 32; ++col) {
      ASSERT_EQ(a.dac_mismatch(r, col), b.dac_mismatch(r, col));
      same_c += a.dac_mismatch(r, col) == c.dac_mismatch(r, col);
      same_d += a.dac_mismatch(r, col) == d.dac_mismatch(r, col);
    }
  EXPECT_EQ(same_c, 0);
  EXPECT_EQ(same_d, 0);
}

TEST(SynapseArray, RowAccessIsContiguousAndRecomputesAmplitudes) {
  SynapseArray a(mini(), 1);
  std::vector<std::uint8_t> w(32), l(32);
  for (int c = 0; c < 32; ++c) {
    w[static_cast<std::size_t>(c)] = static_cast<std::uint8_t>(c * 2);
    l[static_cast<std::size_t>(c)] = static_cast<std::uint8_t>(63 - c);
  }
  a.set_weight_row(5, w.data());
  a.set_label_row(5, l.data());
  EXPECT_EQ(std::vector<std::uint8_t>(a.weight_row(5), a.weight_row(5) + 32), w);
  EXPECT_EQ(std::vector<std::uint8_t>(a.label_row(5), a.label_row(5) + 32), l);
  EXPECT_EQ(a.weight(5, 7), 14);
  EXPECT_EQ(a.label(5, 7), 56);
  EXPECT_FLOAT_EQ(static_cast<float>(a.amplitude_nA(5, 7)), 14 * 0.4f);
}

void expect_user_error(const std::function<void()>& f, const std::string& fragment) {
  try {
    f();
    ADD_FAILURE() << "no UserError; expected one mentioning '" << fragment << "'";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(SynapseArray, RejectsOutOfRangeValuesNamingTheAllowedRange) {
  SynapseArray a(mini(), 1);
  expect_user_error([&] { a.set_weight(0, 0, 64); }, "weight 64 at row 0, column 0");
  expect_user_error([&] { a.set_weight(0, 0, 64); }, "allowed 0..63");
  expect_user_error([&] { a.set_weight(0, 0, -1); }, "allowed 0..63");
  expect_user_error([&] { a.set_label(1, 2, 64); }, "synapse label 64");
  expect_user_error([&] { a.set_weight(32, 0, 1); }, "row 32 out of range; allowed 0..31");
  expect_user_error([&] { a.set_weight(-1, 0, 1); }, "allowed 0..31");
  expect_user_error([&] { a.set_label(0, 32, 1); }, "column 32 out of range; allowed 0..31");
  expect_user_error([&] { a.set_row_sign(40, SynapseArray::RowSign::kInhibitory); },
                    "row 40 out of range");
  expect_user_error([&] { a.set_driver(16, 0, 0); }, "driver 16 out of range; allowed 0..15");
  expect_user_error([&] { a.set_driver(0, 256, 0); }, "row-select address 256");
  expect_user_error([&] { a.set_driver(0, 0, 300); }, "row-select mask 300");
  // A bad byte in a row write leaves the whole row unchanged.
  std::vector<std::uint8_t> w(32, 7);
  w[31] = 64;
  expect_user_error([&] { a.set_weight_row(3, w.data()); }, "column 31");
  EXPECT_EQ(a.weight(3, 0), 0);
}

TEST(SynapseArray, RejectsInconsistentGeometry) {
  auto p = mini();
  p.rows = 30;  // 16 drivers x 2 rows = 32
  expect_user_error([&] { SynapseArray a(p, 1); }, "synapses.rows_per_half");
}

}  // namespace
}  // namespace salvo
