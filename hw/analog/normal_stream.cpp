#include "hw/analog/normal_stream.hpp"

#include <algorithm>
#include <limits>
#include <thread>
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

namespace salvo {

namespace {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

}  // namespace

// One block's stream and ring, on separate cache lines by who writes them: the filler's (its
// lock and count of chunks filled), the consumer's count of chunks read (the producer reads
// it), then the ring. 128-byte alignment keeps lines of different writers out of one pair
// (the L2 prefetchers fetch lines in 128-byte pairs). The consumer's own position is in
// BlockNormalStreams::cursors_, which no producer touches.
struct alignas(128) BlockNormalStreams::Block {
  explicit Block(std::uint64_t seed) : stream(seed) {}

  std::atomic<std::uint64_t> produced{0};  // chunks filled so far (changed under `lock`)
  std::atomic<std::uint32_t> lock{0};      // 1 while someone draws from `stream`
  StandardNormalStream stream;

  alignas(128) std::atomic<std::uint64_t> consumed{0};  // chunks read completely

  alignas(128) double ring[kChunks][kChunk];
};

BlockNormalStreams::BlockNormalStreams() = default;
BlockNormalStreams::~BlockNormalStreams() { pause(); }

void BlockNormalStreams::pause() {
  paused_.store(true);
  while (producing_.load() != 0) std::this_thread::yield();
}

void BlockNormalStreams::resume() { paused_.store(false); }

void BlockNormalStreams::assign(const std::vector<std::uint64_t>& seeds) {
  pause();
  blocks_.clear();
  blocks_.reserve(seeds.size());
  for (std::uint64_t s : seeds) blocks_.push_back(std::make_unique<Block>(s));
  cursors_.assign(seeds.size(), Cursor{});
  for (std::size_t b = 0; b < seeds.size(); ++b) cursors_[b].ring = blocks_[b]->ring[0];
  resume();
}

void BlockNormalStreams::reset(const std::vector<std::uint64_t>& seeds) {
  pause();
  for (std::size_t b = 0; b < blocks_.size(); ++b) {
    Block& blk = *blocks_[b];
    blk.stream.reset(seeds.at(b));
    blk.produced.store(0);
    blk.consumed.store(0);
    cursors_[b] = Cursor{};
    cursors_[b].ring = blk.ring[0];
  }
  resume();
}

void BlockNormalStreams::set_prefetch(bool on) {
  if (on) {
    prefetch_.store(true);
    return;
  }
  pause();
  prefetch_.store(false);
  resume();
}

std::uint64_t BlockNormalStreams::consumer_fills() const {
  std::uint64_t n = 0;
  for (const Cursor& cur : cursors_) n += cur.fills;
  return n;
}

void BlockNormalStreams::fill_chunk(Block& blk, std::uint64_t produced) {
  blk.stream.fill(blk.ring[produced % kChunks], kChunk);
  blk.produced.store(produced + 1, std::memory_order_release);
}

bool BlockNormalStreams::reach_chunk(Block& blk, Cursor& cur, std::uint64_t c, bool ahead) {
  cur.seen_produced = blk.produced.load(std::memory_order_acquire);
  if (c < cur.seen_produced) return true;
  // Chunk c is not there yet (c == produced and nothing of it was read).
  if (!ahead) return false;
  // Fill it here rather than wait for a producer that may not be running; one holding the
  // lock is inside one chunk's fill (if the OS took its core meanwhile, give it back).
  for (std::uint32_t free = 0, tries = 0; !blk.lock.compare_exchange_weak(
           free, 1, std::memory_order_acquire, std::memory_order_relaxed);
       free = 0)
    if (++tries % 256 == 0)
      std::this_thread::yield();
    else
      cpu_relax();
  cur.seen_produced = blk.produced.load(std::memory_order_relaxed);
  if (c >= cur.seen_produced) {
    fill_chunk(blk, c);
    cur.seen_produced = c + 1;
    ++cur.fills;
  }
  blk.lock.store(0, std::memory_order_release);
  return true;
}

const double* BlockNormalStreams::next_slow(int b, int n, double* scratch) {
  Block& blk = *blocks_[static_cast<std::size_t>(b)];
  Cursor& cur = cursors_[static_cast<std::size_t>(b)];
  const bool ahead = prefetch_.load(std::memory_order_relaxed);
  std::uint64_t pos = cur.pos;
  auto chunk_of = [](std::uint64_t p) { return p / kChunk; };
  // The chunks before pos are read (the last call's pointer into the ring is dead now): the
  // producer may refill them.
  if (chunk_of(pos) != cur.released) {
    cur.released = chunk_of(pos);
    blk.consumed.store(cur.released, std::memory_order_release);
  }
  // Without prefetch, once the ring is used up, straight from the stream (nobody else
  // touches it then).
  if (!ahead && pos == std::uint64_t{blk.produced.load(std::memory_order_relaxed)} * kChunk) {
    blk.stream.fill(scratch, n);
    return scratch;
  }
  const std::uint64_t c = chunk_of(pos);
  const int off = static_cast<int>(pos % kChunk);
  if (off + n <= kChunk && (c < cur.seen_produced || reach_chunk(blk, cur, c, ahead))) {
    cur.pos = pos + static_cast<std::uint64_t>(n);
    return cur.ring + (c % kChunks) * kChunk + off;
  }
  // Across a chunk's end: chunk by chunk into scratch.
  for (int k = 0; k < n;) {
    const std::uint64_t c = chunk_of(pos);
    const int at = static_cast<int>(pos % kChunk);
    if (c >= cur.seen_produced && !reach_chunk(blk, cur, c, ahead)) {
      blk.stream.fill(scratch + k, n - k);  // the ring is used up: the direct path from now
      break;
    }
    const int take = std::min(n - k, kChunk - at);
    for (int j = 0; j < take; ++j) scratch[k + j] = blk.ring[c % kChunks][at + j];
    k += take;
    pos += static_cast<std::uint64_t>(take);
  }
  cur.pos = pos;
  return scratch;
}

bool BlockNormalStreams::produce() {
  producing_.fetch_add(1);
  bool filled = false;
  if (!paused_.load() && prefetch_.load(std::memory_order_acquire)) {
    const std::size_t nb = blocks_.size();
    const std::size_t start = next_block_.load(std::memory_order_relaxed);
    for (std::size_t k = 0; k < nb && !filled; ++k) {
      const std::size_t b = (start + k) % nb;
      Block& blk = *blocks_[b];
      auto room = [&blk] {
        return blk.produced.load(std::memory_order_relaxed) -
                   blk.consumed.load(std::memory_order_acquire) <
               kChunks;
      };
      std::uint32_t free = 0;
      if (!room() || !blk.lock.compare_exchange_strong(free, 1, std::memory_order_acquire,
                                                       std::memory_order_relaxed))
        continue;
      if (room()) {
        fill_chunk(blk, blk.produced.load(std::memory_order_relaxed));
        filled = true;
        next_block_.store(b + 1, std::memory_order_relaxed);
      }
      blk.lock.store(0, std::memory_order_release);
    }
  }
  producing_.fetch_sub(1);
  return filled;
}

}  // namespace salvo
