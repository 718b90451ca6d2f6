// StandardNormalStream (the membrane noise's block draws) against Boost's
// normal_distribution<double>(0, 1) called once per number on the same engine: every number
// bit-identical, including the rare ziggurat paths (wedges, tail) and across block refills.
// BlockNormalStreams (one stream per neuron block, drawn ahead by another thread) against a
// plain stream per block: the same numbers whoever drew them, with the producer running,
// absent, switched off and on, and across a reset.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <thread>
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

std::vector<std::uint64_t> block_seeds(int blocks) {
  std::vector<std::uint64_t> seeds;
  for (int b = 0; b < blocks; ++b)
    seeds.push_back(engine_seed(5, Stream::kMembraneNoise, static_cast<std::uint64_t>(b)));
  return seeds;
}

// Draws `rounds` requests of varying size from every block in turn and checks each number
// against that block's own plain stream.
void expect_same_as_plain(BlockNormalStreams& streams, std::vector<StandardNormalStream>& plain,
                          int rounds) {
  const int sizes[] = {8, 16, 9, 1, 64, 63, 130, 12, 8, 11};
  std::vector<double> scratch(200), want(200);
  for (int r = 0; r < rounds; ++r) {
    for (int b = 0; b < streams.blocks(); ++b) {
      const int n = sizes[(r + b) % 10];
      const double* got = streams.next(b, n, scratch.data());
      plain[static_cast<std::size_t>(b)].fill(want.data(), n);
      for (int k = 0; k < n; ++k)
        ASSERT_TRUE(same_bits(got[k], want[static_cast<std::size_t>(k)]))
            << "block " << b << " round " << r << " number " << k;
    }
  }
}

TEST(BlockNormalStreams, PrefetchedDrawsAreEachBlocksOwnStream) {
  const int blocks = 5;
  BlockNormalStreams streams;
  streams.assign(block_seeds(blocks));
  std::vector<StandardNormalStream> plain;
  for (std::uint64_t s : block_seeds(blocks)) plain.emplace_back(s);

  // No producer, prefetch off: straight from the streams.
  streams.set_prefetch(false);
  expect_same_as_plain(streams, plain, 50);
  EXPECT_EQ(streams.consumer_fills(), 0u);

  // A producer thread drawing ahead the whole time.
  streams.set_prefetch(true);
  std::atomic<bool> stop{false};
  std::atomic<long> produced{0};
  std::thread producer([&] {
    while (!stop.load())
      if (streams.produce()) produced.fetch_add(1);
  });
  expect_same_as_plain(streams, plain, 3000);
  // Off with numbers drawn ahead (handed out first), then on again.
  streams.set_prefetch(false);
  expect_same_as_plain(streams, plain, 300);
  streams.set_prefetch(true);
  expect_same_as_plain(streams, plain, 3000);
  // A reset with the producer running restarts every block.
  streams.reset(block_seeds(blocks));
  plain.clear();
  for (std::uint64_t s : block_seeds(blocks)) plain.emplace_back(s);
  expect_same_as_plain(streams, plain, 3000);
  stop = true;
  producer.join();
  EXPECT_GT(produced.load(), 0);
}

TEST(BlockNormalStreams, ConsumersFillTheRingsThemselvesWithoutAProducer) {
  BlockNormalStreams streams;
  streams.assign(block_seeds(3));
  std::vector<StandardNormalStream> plain;
  for (std::uint64_t s : block_seeds(3)) plain.emplace_back(s);
  EXPECT_TRUE(streams.prefetch());  // the default; nobody calls produce()
  expect_same_as_plain(streams, plain, 200);
  EXPECT_GT(streams.consumer_fills(), 0u);
  // The consumer's own thread may draw ahead between its draws too.
  EXPECT_TRUE(streams.produce());
  expect_same_as_plain(streams, plain, 200);
}

}  // namespace
}  // namespace salvo
