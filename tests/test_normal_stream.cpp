// StandardNormalStream (the membrane noise's block draws) against Boost's
// normal_distribution<double>(0, 1) called once per number on the same engine: every number
// bit-identical, including the rare ziggurat paths (wedges, tail) and across block refills.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include <boost/random/normal_distribution.hpp>

#include "hw/analog/normal_stream.hpp"
#include "hw/common/rng.hpp"

namespace salvo {
namespace {

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

TEST(StandardNormalStream, BitIdenticalToBoostNormalDistribution) {
  Engine reference = make_engine(3, Stream::kMembraneNoise);
  StandardNormalStream stream(engine_seed(3, Stream::kMembraneNoise));
  boost::random::normal_distribution<double> normal(0.0, 1.0);
  // Odd block sizes so that blocks end inside the buffer and rare paths straddle refills.
  const int sizes[] = {1, 7, 512, 1023, 1024, 1025, 3000};
  std::vector<double> got;
  long tail = 0, outside_rectangles = 0, n = 0;
  for (int round = 0; round < 300; ++round) {
    const int size = sizes[round % 7];
    got.resize(static_cast<std::size_t>(size));
    stream.fill(got.data(), size);
    for (int k = 0; k < size; ++k, ++n) {
      const double want = normal(reference);
      ASSERT_TRUE(same_bits(got[static_cast<std::size_t>(k)], want))
          << "draw " << n << ": " << got[static_cast<std::size_t>(k)] << " vs " << want;
      if (std::fabs(want) > 3.4426198558966521214) ++tail;  // beyond the first strip
      if (std::fabs(want) > 2.0) ++outside_rectangles;
    }
  }
  // The run covered the rare paths (about 0.06 % of N(0,1) lies beyond 3.44).
  EXPECT_GT(tail, 20);
  EXPECT_GT(outside_rectangles, 1000);
  // Single draws continue the same sequence.
  for (int k = 0; k < 2000; ++k) ASSERT_TRUE(same_bits(stream(), normal(reference))) << k;
}

TEST(StandardNormalStream, ResetRestartsTheSequence) {
  StandardNormalStream stream(engine_seed(9, Stream::kMembraneNoise));
  std::vector<double> first(700), again(700);
  stream.fill(first.data(), 700);
  stream.fill(again.data(), 100);  // leaves part of a block buffered
  stream.reset(engine_seed(9, Stream::kMembraneNoise));
  stream.fill(again.data(), 700);
  for (std::size_t k = 0; k < first.size(); ++k) ASSERT_TRUE(same_bits(first[k], again[k])) << k;
}

TEST(StandardNormalStream, MomentsOfAStandardNormal) {
  StandardNormalStream stream(engine_seed(1, Stream::kMembraneNoise));
  const int n = 400000;
  std::vector<double> z(n);
  stream.fill(z.data(), n);
  double m1 = 0, m2 = 0;
  for (double x : z) {
    m1 += x;
    m2 += x * x;
  }
  m1 /= n;
  m2 /= n;
  EXPECT_NEAR(m1, 0.0, 5.0 / std::sqrt(n));
  EXPECT_NEAR(m2, 1.0, 5.0 * std::sqrt(2.0 / n));
}

}  // namespace
}  // namespace salvo
