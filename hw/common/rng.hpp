// Reproducible random streams. Every consumer (a mismatch draw of one block, a noise
// source, a background generator) owns an engine seeded from (chip seed, stream, index),
// so adding a consumer never shifts the numbers another one draws. Boost.Random engines
// and distributions give identical numbers on every platform (std:: distributions do not).
#pragma once

#include <cstdint>

#include <boost/random/mersenne_twister.hpp>
#include <boost/random/normal_distribution.hpp>
#include <boost/random/uniform_01.hpp>

#include "hw/common/bulk_mt.hpp"

namespace salvo {

using Engine = boost::random::mt19937_64;

enum class Stream : std::uint64_t {
  kNeuronMismatch = 1,
  kParameterMemoryMismatch = 2,
  kSynapseMismatch = 3,
  kSensorMismatch = 4,
  kCadcMismatch = 5,
  kMembraneNoise = 6,
  kSensorNoise = 7,
  kBackground = 8,
  kProcessorRng = 9,
  kExperiment = 10,
  kHostInput = 11,
};

// SplitMix64 finaliser: decorrelates nearby seeds before they reach the Mersenne Twister.
constexpr std::uint64_t mix_seed(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// The 64-bit seed of the engine of (chip seed, stream, index).
constexpr std::uint64_t engine_seed(std::uint64_t seed, Stream stream, std::uint64_t index = 0) {
  return mix_seed(mix_seed(mix_seed(seed) ^ static_cast<std::uint64_t>(stream)) ^ index);
}

inline Engine make_engine(std::uint64_t seed, Stream stream, std::uint64_t index = 0) {
  return Engine(engine_seed(seed, stream, index));
}

// The engine of the hot streams (background generators, host Poisson inputs, membrane noise):
// the numbers of Engine seeded alike, generated a block at a time (hw/common/bulk_mt.hpp).
using BulkEngine = BulkMt19937_64;

inline BulkEngine make_bulk_engine(std::uint64_t seed, Stream stream, std::uint64_t index = 0) {
  return BulkEngine(engine_seed(seed, stream, index));
}

// One N(0, sigma^2) sample; sigma == 0 returns exactly 0 without consuming the engine
// differently from the non-zero case (so switching one spread off keeps the others).
inline double draw_normal(Engine& eng, double sigma) {
  boost::random::normal_distribution<double> dist(0.0, 1.0);
  const double z = dist(eng);
  return sigma == 0.0 ? 0.0 : sigma * z;
}

inline double draw_uniform01(Engine& eng) { return boost::random::uniform_01<double>()(eng); }

}  // namespace salvo
