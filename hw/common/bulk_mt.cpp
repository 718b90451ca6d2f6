#include "hw/common/bulk_mt.hpp"

namespace salvo {

namespace {

// MT19937-64 constants (Matsumoto & Nishimura; the parameters of std::mt19937_64).
constexpr std::size_t kN = BulkMt19937_64::kWords, kM = 156;
constexpr std::uint64_t kMatrixA = 0xB5026F5AA96619E9ULL;
constexpr std::uint64_t kUpper = 0xFFFFFFFF80000000ULL;  // the top w − r = 33 bits
constexpr std::uint64_t kLower = 0x7FFFFFFFULL;          // the low r = 31 bits

// GCC vector extension, 4 × 64 bit: one AVX2 register, two SSE2 registers. -Wpsabi: the
// 32-byte vector helpers are always inlined, no ABI boundary; GCC reports it at the end of the
// file, so it stays off for this file (no push/pop).
#pragma GCC diagnostic ignored "-Wpsabi"
typedef std::uint64_t V4u __attribute__((vector_size(32)));

// One word of the twist: the new state word i from the old words i, i + 1 and the word m
// ahead (mod n; already new where that index wrapped around).
template <class T>
__attribute__((always_inline)) inline T twist(T cur, T next, T far) {
  const T x = (cur & kUpper) | (next & kLower);
  const T odd = x & 1;
  return far ^ (x >> 1) ^ ((T{} - odd) & kMatrixA);
}

template <class T>
__attribute__((always_inline)) inline T temper(T y) {
  y ^= (y >> 29) & 0x5555555555555555ULL;
  y ^= (y << 17) & 0x71D67FFFEDA60000ULL;
  y ^= (y << 37) & 0xFFF7EEE000000000ULL;
  return y ^ (y >> 43);
}

__attribute__((always_inline)) inline V4u load4(const std::uint64_t* p) {
  V4u v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}
__attribute__((always_inline)) inline void store4(std::uint64_t* p, V4u v) {
  __builtin_memcpy(p, &v, sizeof v);
}

// The standard in-place twist of the whole state (word i reads the old word i + 1 and the word
// i + m, which for i ≥ n − m is the already-twisted word i + m − n), then the tempered block.
// Four words per iteration: the words a vector reads lie either all before or all after the
// ones it writes (m = 156 and n − m = 156 are multiples of 4), except at the wrap-around,
// which the scalar tail does.
__attribute__((always_inline)) inline void block_body(std::uint64_t* __restrict s,
                                                      std::uint64_t* __restrict out) {
  std::size_t i = 0;
  for (; i < kN - kM; i += 4)
    store4(s + i, twist(load4(s + i), load4(s + i + 1), load4(s + i + kM)));
  for (; i + 4 < kN; i += 4)
    store4(s + i, twist(load4(s + i), load4(s + i + 1), load4(s + i - (kN - kM))));
  for (; i + 1 < kN; ++i) s[i] = twist(s[i], s[i + 1], s[i - (kN - kM)]);
  s[kN - 1] = twist(s[kN - 1], s[0], s[kM - 1]);
  for (i = 0; i < kN; i += 4) store4(out + i, temper(load4(s + i)));
}

static_assert(kN % 4 == 0 && kM % 4 == 0, "vector loops of 4 words");

void block_generic(std::uint64_t* s, std::uint64_t* out) { block_body(s, out); }
#if defined(__x86_64__) && defined(__GNUC__) && !defined(SALVO_NO_WIDE_ISA)
__attribute__((target("avx2"))) void block_avx2(std::uint64_t* s, std::uint64_t* out) {
  block_body(s, out);
}
#endif

using BlockFn = void (*)(std::uint64_t*, std::uint64_t*);

BlockFn select_block(bool allow_avx2) {
#if defined(__x86_64__) && defined(__GNUC__) && !defined(SALVO_NO_WIDE_ISA)
  if (allow_avx2 && __builtin_cpu_supports("avx2")) return block_avx2;
#endif
  (void)allow_avx2;
  return block_generic;
}

BlockFn g_block = select_block(true);

}  // namespace

namespace detail {
bool use_avx2_mt(bool allow) {
  g_block = select_block(allow);
  return g_block != block_generic;
}
}  // namespace detail

void BulkMt19937_64::seed(std::uint64_t s) {
  state_[0] = s;
  for (std::size_t i = 1; i < kN; ++i)
    state_[i] = 6364136223846793005ULL * (state_[i - 1] ^ (state_[i - 1] >> 62)) + i;
  pos_ = kN;  // the first call twists, as the reference engine does
}

void BulkMt19937_64::next_block() {
  g_block(state_, out_);
  pos_ = 0;
}

}  // namespace salvo
