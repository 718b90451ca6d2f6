// StandardNormalStream: the per-step Gaussian draws of the membrane noise, served in blocks.
// Not a chip block: a host-side helper that returns exactly the numbers
// boost::random::normal_distribution<double>(0, 1) gives when called once per number on
// boost::random::mt19937_64 seeded alike — same engine outputs (BulkMt19937_64: the same
// Mersenne Twister, generated a block at a time) consumed in the same order, same arithmetic —
// only without one out-of-line call and one engine round trip through memory per number.
#pragma once

#include <cstddef>
#include <cstdint>

#include "hw/common/bulk_mt.hpp"

namespace salvo {

class StandardNormalStream {
 public:
  // The stream of boost::random::mt19937_64(seed) (e.g. seed = engine_seed(...), rng.hpp).
  explicit StandardNormalStream(std::uint64_t seed) : engine_(seed) {}

  // Restarts the sequence from `seed` (buffered outputs are dropped).
  void reset(std::uint64_t seed) { engine_.seed(seed); }

  // out[k] = the k-th next N(0, 1) draw, k = 0 .. n-1.
  void fill(double* out, int n);
  double operator()() {
    double z;
    fill(&z, 1);
    return z;
  }

 private:
  BulkMt19937_64 engine_;
};

}  // namespace salvo
