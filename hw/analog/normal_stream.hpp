// StandardNormalStream: the per-step Gaussian draws of the membrane noise, served in blocks.
// Not a chip block: a host-side helper that returns exactly the numbers
// boost::random::normal_distribution<double>(0, 1) gives when called once per number on the
// same Boost engine — same engine outputs consumed in the same order, same arithmetic — only
// without one out-of-line call and one engine round trip through memory per number.
#pragma once

#include <cstddef>
#include <cstdint>

#include "hw/common/rng.hpp"

namespace salvo {

class StandardNormalStream {
 public:
  explicit StandardNormalStream(const Engine& engine) : engine_(engine) {}

  // Restarts from `engine` (buffered outputs are dropped, as a reseed would).
  void reset(const Engine& engine) {
    engine_ = engine;
    pos_ = len_ = 0;
  }

  // out[k] = the k-th next N(0, 1) draw, k = 0 .. n-1.
  void fill(double* out, int n);
  double operator()() {
    double z;
    fill(&z, 1);
    return z;
  }

 private:
  // Engine interface over the buffered outputs, for Boost's own algorithm on the rare path.
  struct Buffered {
    using result_type = Engine::result_type;
    static constexpr result_type min() { return 0; }
    static constexpr result_type max() { return ~result_type{0}; }
    StandardNormalStream* s;
    result_type operator()() {
      if (s->pos_ == s->len_) s->refill();
      return s->buf_[s->pos_++];
    }
  };
  void refill();

  // Small: NeuronArray keeps one stream per 8-neuron block (64 on the reference chip).
  static constexpr std::size_t kBlock = 128;
  Engine engine_;
  std::size_t pos_ = 0, len_ = 0;
  std::uint64_t buf_[kBlock];
};

}  // namespace salvo
