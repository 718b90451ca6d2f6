// BulkMt19937_64 (the block-wise SIMD Mersenne Twister of the hot random streams) against
// Boost's mt19937_64 seeded alike: every output equal, for the AVX2 and the baseline block
// generator, through single calls and the bulk interface.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include <boost/random/mersenne_twister.hpp>

#include "hw/common/bulk_mt.hpp"
#include "hw/common/rng.hpp"

namespace salvo {
namespace {

class BulkMt : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { avx2_ = detail::use_avx2_mt(GetParam()); }
  void TearDown() override { detail::use_avx2_mt(true); }
  bool avx2_ = false;
};

TEST_P(BulkMt, SameOutputsAsBoostMt19937_64) {
  if (GetParam() && !avx2_) GTEST_SKIP() << "CPU without AVX2";
  const std::uint64_t seeds[] = {0, 1, 5489, 0xFFFFFFFFFFFFFFFFULL, mix_seed(42)};
  for (std::uint64_t seed : seeds) {
    boost::random::mt19937_64 reference(seed);
    BulkMt19937_64 bulk(seed);
    // Ten blocks and a bit: every word position of the twist (vector body, scalar tail and
    // the wrap-around word) is checked several times.
    for (int k = 0; k < 3500; ++k) ASSERT_EQ(bulk(), reference()) << "seed " << seed << " #" << k;
  }
}

TEST_P(BulkMt, TenThousandthOutputOfTheDefaultSeed) {
  // The C++ standard's check value for mt19937_64 default-constructed (seed 5489).
  BulkMt19937_64 bulk;
  std::uint64_t x = 0;
  for (int k = 0; k < 10000; ++k) x = bulk();
  EXPECT_EQ(x, 9981545732273789042ULL);
}

TEST_P(BulkMt, BulkInterfaceAndReseed) {
  BulkMt19937_64 bulk(7);
  boost::random::mt19937_64 reference(7);
  EXPECT_EQ(bulk(), reference());  // one read: the block holds kWords - 1 unread outputs
  EXPECT_EQ(bulk.pos(), 1u);
  for (std::size_t k = bulk.pos(); k < BulkMt19937_64::kWords; ++k)
    ASSERT_EQ(bulk.data()[k], reference()) << k;
  bulk.advance(BulkMt19937_64::kWords - 1);
  bulk.next_block();
  EXPECT_EQ(bulk.pos(), 0u);
  EXPECT_EQ(bulk.data()[0], reference());
  bulk.seed(7);
  boost::random::mt19937_64 again(7);
  for (int k = 0; k < 400; ++k) ASSERT_EQ(bulk(), again()) << k;
}

INSTANTIATE_TEST_SUITE_P(Generators, BulkMt, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& i) {
                           return i.param ? std::string("Avx2") : std::string("Baseline");
                         });

}  // namespace
}  // namespace salvo
