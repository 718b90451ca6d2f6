// BulkMt19937_64: the 64-bit Mersenne Twister (MT19937-64, the engine of
// boost::random::mt19937_64 and std::mt19937_64) generated a whole state block at a time with
// SIMD, for the hot random streams (membrane noise, background generators, host Poisson inputs).
// Seeded with the same 64-bit seed it gives exactly the numbers boost::random::mt19937_64 gives,
// in the same order (tests/test_bulk_mt.cpp checks this bit by bit), so any Boost distribution
// drawn from it returns Boost's numbers; it is only faster: Boost's engine twists and tempers one
// word per call, this one twists the 312-word state and tempers it into an output block in
// vector loops (AVX2 when the CPU has it, chosen at run time; SSE2 otherwise — same integer
// operations, same numbers).
#pragma once

#include <cstddef>
#include <cstdint>

namespace salvo {

class BulkMt19937_64 {
 public:
  using result_type = std::uint64_t;
  static constexpr std::size_t kWords = 312;  // n of MT19937-64: one block of outputs

  explicit BulkMt19937_64(std::uint64_t seed = 5489u) { this->seed(seed); }

  // Restarts the sequence as boost::random::mt19937_64(seed) would.
  void seed(std::uint64_t s);

  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return ~result_type{0}; }

  result_type operator()() {
    if (pos_ == kWords) next_block();
    return out_[pos_++];
  }

  // Bulk access: the unread outputs of the current block are [data() + pos(), data() + kWords);
  // advance(k) marks k of them read; next_block() refills (all kWords unread).
  const std::uint64_t* data() const { return out_; }
  std::size_t pos() const { return pos_; }
  void advance(std::size_t k) { pos_ += k; }
  void next_block();

 private:
  alignas(32) std::uint64_t state_[kWords];
  alignas(32) std::uint64_t out_[kWords];
  std::size_t pos_ = kWords;
};

namespace detail {
// Selects the AVX2 or the baseline block generator (tests and benchmarks run both; `allow`
// false forces the baseline). Returns whether the AVX2 one is in use.
bool use_avx2_mt(bool allow);
}  // namespace detail

}  // namespace salvo
