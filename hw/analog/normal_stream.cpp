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
static_assert(Engine::word_size == 64 && std::is_same<Engine::result_type, std::uint64_t>::value,
              "the fast path assumes an engine with full-range 64-bit outputs");
static_assert(std::numeric_limits<double>::digits == 53, "IEEE double expected");

void StandardNormalStream::refill() {
  // Straight into the buffer: a local copy of the engine (which would keep its index in a
  // register) costs more in copying its 2.5 kB state twice, with one stream per neuron block
  // competing for the caches.
  for (std::size_t k = 0; k < kBlock; ++k) buf_[k] = engine_();
  pos_ = 0;
  len_ = kBlock;
}

void StandardNormalStream::fill(double* out, int n) {
  const double* const table_x = boost::random::detail::normal_table<double>::table_x;
  const double sigma = 1.0, mean = 0.0;  // as normal_distribution<double>(0, 1) applies them
  int k = 0;
  while (k < n) {
    if (pos_ == len_) refill();
    // Fast path over the buffered outputs with the position in a register; stops at the
    // first output outside its rectangle or at the end of the buffer.
    const std::uint64_t* const buf = buf_;
    std::size_t pos = pos_;
    const std::size_t stop = std::min(len_, pos + static_cast<std::size_t>(n - k));
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
    pos_ = pos;
    if (pos < stop) {
      // Boost's own algorithm from that output on (it draws it again).
      Buffered b{this};
      out[k++] = boost::random::normal_distribution<double>(mean, sigma)(b);
    }
  }
}

}  // namespace salvo
