// BackgroundSource: Poisson rate and CV within statistical bounds, exact regular intervals,
// windowing independence, seeding and reseeding.
#include "hw/routing/background_source.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "hw/common/error.hpp"

namespace salvo {
namespace {

using Mode = BackgroundSource::Mode;

TEST(BackgroundSource, PoissonRateAndCv) {
  BackgroundSource s(BackgroundSourceParams{}, 42, 0);
  const double rate_hz = 2e6;  // 2 events per µs of hardware time
  const double duration_us = 20000.0;
  s.configure(Mode::kPoisson, rate_hz, 0x1234, 0.0);
  EventList out;
  s.generate_until(duration_us, out);
  const double expected = rate_hz * duration_us * 1e-6;  // 40 000
  const double n = static_cast<double>(out.size());
  EXPECT_NEAR(n, expected, 4.0 * std::sqrt(expected));  // 4 σ of a Poisson count
  double sum = 0.0, sum2 = 0.0;
  for (std::size_t k = 1; k < out.size(); ++k) {
    const double isi = out[k].t_us - out[k - 1].t_us;
    ASSERT_GT(isi, 0.0);
    sum += isi;
    sum2 += isi * isi;
    ASSERT_EQ(out[k].label, 0x1234);
  }
  const double m = sum / (n - 1);
  const double cv = std::sqrt(sum2 / (n - 1) - m * m) / m;
  // Standard error of the CV of n exponential intervals is ~1/sqrt(n) = 0.005.
  EXPECT_NEAR(cv, 1.0, 0.025);
  EXPECT_NEAR(m, 0.5, 4.0 * 0.5 / std::sqrt(n));
  EXPECT_GT(out.front().t_us, 0.0);
  EXPECT_LE(out.back().t_us, duration_us);
}

TEST(BackgroundSource, RegularIntervalsAreExactWithPhase) {
  BackgroundSource s(BackgroundSourceParams{}, 1, 3);
  s.configure(Mode::kRegular, 125e6, 7, 10.0, 0.003);  // the maximum rate: 8 ns period
  EventList out;
  s.generate_until(10.0 + 0.003 + 0.008 * 1000 + 1e-9, out);
  ASSERT_EQ(out.size(), 1001u);
  for (std::size_t k = 0; k < out.size(); ++k) {
    EXPECT_EQ(out[k].t_us, 10.003 + static_cast<double>(k) * (1e6 / 125e6)) << k;
    EXPECT_EQ(out[k].label, 7);
  }
}

TEST(BackgroundSource, WindowingDoesNotChangeTheSpikeTrain) {
  for (Mode mode : {Mode::kRegular, Mode::kPoisson}) {
    BackgroundSource a(BackgroundSourceParams{}, 5, 1), b(BackgroundSourceParams{}, 5, 1);
    a.configure(mode, 3e6, 1);
    b.configure(mode, 3e6, 1);
    EventList whole, pieces;
    a.generate_until(100.0, whole);
    for (double t = 0.37; t < 100.0; t += 0.37) {
      const std::size_t before = pieces.size();
      b.generate_until(t, pieces);
      for (std::size_t k = before; k < pieces.size(); ++k) ASSERT_LE(pieces[k].t_us, t);
      EXPECT_GT(b.next_spike_us(), t);
    }
    b.generate_until(100.0, pieces);
    EXPECT_EQ(whole, pieces);
    EXPECT_EQ(a.emitted(), whole.size());
  }
}

TEST(BackgroundSource, SeedsAreReproducibleAndIndependent) {
  auto train = [](std::uint64_t seed, int id) {
    BackgroundSource s(BackgroundSourceParams{}, seed, id);
    s.configure(Mode::kPoisson, 1e6, 0);
    EventList out;
    s.generate_until(50.0, out);
    return out;
  };
  EXPECT_EQ(train(9, 2), train(9, 2));
  EXPECT_NE(train(9, 2), train(10, 2));
  EXPECT_NE(train(9, 2), train(9, 3));
}

// reseed(key, t): the same key restarts the same train (times relative to t, and addresses);
// another key gives another one; the power-on train is not one of them.
TEST(BackgroundSource, ReseedRepeatsTheTrainOfItsKey) {
  BackgroundSource s(BackgroundSourceParams{}, 4, 1);
  s.configure(Mode::kPoisson, 2e6, 0x100);
  s.set_random_address_mask(0x3F);
  EventList power_on, a, b, c;
  s.generate_until(20.0, power_on);
  auto window = [&](std::uint64_t key, double t0, EventList& out) {
    s.reseed(key, t0);
    s.generate_until(t0 + 20.0, out);
    for (auto& e : out) e.t_us -= t0;
  };
  window(7, 100.0, a);
  window(7, 300.0, b);
  window(8, 500.0, c);
  ASSERT_GT(a.size(), 10u);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t k = 0; k < a.size(); ++k) {
    EXPECT_NEAR(a[k].t_us, b[k].t_us, 1e-9) << k;
    EXPECT_EQ(a[k].label, b[k].label) << k;
  }
  EXPECT_NE(a, c);
  EXPECT_NE(a, power_on);
  EXPECT_EQ(s.rate_hz(), 2e6);
  EXPECT_EQ(s.random_address_mask(), 0x3F);
}

TEST(BackgroundSource, OffAndReconfigure) {
  BackgroundSource s(BackgroundSourceParams{}, 1, 0);
  EventList out;
  s.generate_until(1e6, out);  // off by default
  EXPECT_TRUE(out.empty());
  s.configure(Mode::kRegular, 1e6, 2, 5.0);
  s.generate_until(7.0, out);
  EXPECT_EQ(out.size(), 3u);  // 5, 6, 7
  s.configure(Mode::kRegular, 0.0, 2, 7.0);
  s.generate_until(100.0, out);
  EXPECT_EQ(out.size(), 3u);
  EXPECT_TRUE(std::isinf(s.next_spike_us()));
}

TEST(BackgroundSource, RandomAddressBitsSplitTheTrainWithoutMovingIt) {
  BackgroundSource plain(BackgroundSourceParams{}, 8, 2), random(BackgroundSourceParams{}, 8, 2);
  plain.configure(Mode::kPoisson, 4e6, 0x1540);
  random.configure(Mode::kPoisson, 4e6, 0x1540);
  random.set_random_address_mask(0x003F);
  EventList a, b;
  plain.generate_until(2000.0, a);
  random.generate_until(2000.0, b);
  ASSERT_EQ(a.size(), b.size());
  std::vector<int> per_address(64, 0);
  for (std::size_t k = 0; k < a.size(); ++k) {
    ASSERT_EQ(a[k].t_us, b[k].t_us) << k;  // the address draw has its own stream
    ASSERT_EQ(a[k].label, 0x1540);
    ASSERT_EQ(b[k].label & 0xFFC0, 0x1540) << k;  // bits outside the mask kept
    ++per_address[b[k].label & 0x3F];
  }
  // Uniform over 64 addresses: ~125 events each; chi-square with 63 degrees of freedom
  // stays below 110 with probability > 0.9998.
  const double expected = static_cast<double>(b.size()) / 64.0;
  double chi2 = 0.0;
  for (int n : per_address) chi2 += (n - expected) * (n - expected) / expected;
  EXPECT_LT(chi2, 110.0);
}

TEST(BackgroundSource, RejectsRatesAboveTheChipMaximum) {
  ChipConfig cfg;
  BackgroundSource s(BackgroundSourceParams::from_config(cfg), 1, 6);
  EXPECT_NO_THROW(s.configure(Mode::kPoisson, 125e6, 0));
  try {
    s.configure(Mode::kPoisson, 126e6, 0);
    ADD_FAILURE();
  } catch (const UserError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("background source 6"), std::string::npos) << what;
    EXPECT_NE(what.find("background.max_rate_mevents_per_s"), std::string::npos) << what;
  }
  EXPECT_THROW(s.configure(Mode::kRegular, -1.0, 0), UserError);
  EXPECT_THROW(s.configure(Mode::kRegular, 1e6, 0, 0.0, -0.5), UserError);
}

}  // namespace
}  // namespace salvo
