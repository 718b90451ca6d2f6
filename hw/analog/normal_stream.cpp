#include "hw/analog/normal_stream.hpp"

#include <algorithm>
#include <limits>
#include <type_traits>

#include <boost/random/normal_distribution.hpp>

namespace salvo {

// The fast path below replays the first iteration of Boost's ziggurat
// (boost/random/normal_distribution.hpp, unit_normal_distribution, with
// detail::generate_int_float_pair<double, 8>) for an engine with full 64-bit outputs: one
// output u gives the bucket (u & 0xFF: sign bit and strip index) and the abscissa
// r = ((u with bit 11 cleared) >> 8) · 2^-56. When x = r·table_x[i] lies inside the strip's
// rectangle (≈ 99 % of draws) Boost returns x·sign after that single output; otherwise the
// same output is handed back to Boost's own algorithm, which redoes the first iteration and
// continues (wedge test, tail) on the following outputs. Either way the numbers and the
// engine outputs consumed are Boost's (tests/test_normal_stream.cpp checks this bit by bit).
static_assert(std::is_same<BulkMt19937_64::result_type, std::uint64_t>::value &&
                  BulkMt19937_64::max() == ~std::uint64_t{0},
              "the fast path assumes an engine with full-range 64-bit outputs");
void StandardNormalStream::fill(double* out, int n) {
  const double* const table_x = boost::random::detail::normal_table<double>::table_x;
  const double sigma = 1.0, mean = 0.0;  // as normal_distribution<double>(0, 1) applies them
  int k = 0;
  while (k < n) {
    if (engine_.pos() == BulkMt19937_64::kWords) engine_.next_block();
    // Fast path over the engine's block with the position in a register; stops at the
    // first output outside its rectangle or at the end of the block.
    const std::uint64_t* const buf = engine_.data();
    const std::size_t start = engine_.pos();
    std::size_t pos = start;
    const std::size_t stop =
        std::min(BulkMt19937_64::kWords, pos + static_cast<std::size_t>(n - k));
    for (; pos < stop; ++pos, ++k) {
      const std::uint64_t u = buf[pos];
      const int bucket = static_cast<int>(u & 0xFF);
      const double r = static_cast<double>((u & ~(std::uint64_t{1} << 11)) >> 8) * 0x1p-56;
      const int sign = (bucket & 1) * 2 - 1;
      const int i = bucket >> 1;
      const double x = r * table_x[i];
      if (!(x < table_x[i + 1])) break;
      out[k] = x * sign * sigma + mean;
    }
    engine_.advance(pos - start);
    if (pos < stop) {
      // Boost's own algorithm from that output on (it draws it again).
      out[k++] = boost::random::normal_distribution<double>(mean, sigma)(engine_);
    }
  }
}

}  // namespace salvo
