// StandardNormalStream: the per-step Gaussian draws of the membrane noise, served in blocks.
// Not a chip block: a host-side helper that returns exactly the numbers
// boost::random::normal_distribution<double>(0, 1) gives when called once per number on
// boost::random::mt19937_64 seeded alike — same engine outputs (BulkMt19937_64: the same
// Mersenne Twister, generated a block at a time) consumed in the same order, same arithmetic —
// only without one out-of-line call and one engine round trip through memory per number.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

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

// BlockNormalStreams: one StandardNormalStream per block of neurons, drawn a chunk at a time
// and optionally ahead by another thread. Not a chip block: host-side, like the stream.
// next(b, …) returns block b's next numbers — the same numbers in the same order whoever drew
// them and however many at a time, so neither chunks nor prefetching change any result.
// Prefetch on (the default): numbers go through each block's ring of chunks; produce()
// (called by an otherwise idle thread) fills rings ahead of their consumers, and a consumer
// that finds its ring empty fills the next chunk itself (the block's stream is handed over
// under a per-block lock), so it never waits for a producer that is not running. A chunk of
// 64 at once is cheaper than the 8 to 16 numbers of one step, so this pays without a producer
// too. Off: straight from the streams, a step's numbers at a time.
//
// Threads: next(b, …) for one block from one thread at a time (the thread stepping it);
// produce() from any number of other threads; everything else only while no next() runs
// (produce() may run: these pause it).
class BlockNormalStreams {
 public:
  // Normals per chunk and chunks per ring: 4 × 64 normals are 16 to 32 steps of a block.
  static constexpr int kChunk = 64;
  static constexpr unsigned kChunks = 4;

  BlockNormalStreams();
  ~BlockNormalStreams();
  BlockNormalStreams(const BlockNormalStreams&) = delete;
  BlockNormalStreams& operator=(const BlockNormalStreams&) = delete;

  // Block b's stream is StandardNormalStream(seeds[b]); any buffered numbers are dropped.
  void assign(const std::vector<std::uint64_t>& seeds);
  // Restarts every block b at seeds[b] (seeds.size() == blocks()).
  void reset(const std::vector<std::uint64_t>& seeds);
  int blocks() const { return static_cast<int>(blocks_.size()); }

  // Block b's next n N(0, 1) draws: a pointer to them, into the ring when they lie in one
  // chunk of it, else into `scratch` (room for n). Valid until the next call for block b.
  const double* next(int b, int n, double* scratch) {
    Cursor& cur = cursors_[static_cast<std::size_t>(b)];
    const std::uint64_t pos = cur.pos;
    const std::uint64_t c = pos / kChunk;
    const int off = static_cast<int>(pos % kChunk);
    if (c == cur.released && c < cur.seen_produced && off + n <= kChunk) {
      // The common case: inside a chunk that is there, nothing to hand back.
      const double* z = cur.ring + (c % kChunks) * kChunk + off;
      cur.pos = pos + static_cast<std::uint64_t>(n);
      // The next numbers were written by another core: ask for them now.
      __builtin_prefetch(z + n + 8);
      return z;
    }
    return next_slow(b, n, scratch);
  }

  // On: through the rings, produce() fills them from now on. Off: produce() stops; numbers
  // already in the rings are still handed out first, then straight from the streams.
  void set_prefetch(bool on);
  bool prefetch() const { return prefetch_.load(std::memory_order_relaxed); }
  // Fills one chunk of one block whose ring has room (round robin); false when none has, or
  // prefetch is off.
  bool produce();
  // Chunks consumers had to fill themselves (prefetch on, ring empty): a sign the producer
  // is not running. Read it while no draw runs.
  std::uint64_t consumer_fills() const;

 private:
  struct Block;
  // A consumer's own bookkeeping of one block (only the thread drawing the block touches it).
  struct alignas(32) Cursor {
    std::uint64_t pos = 0;            // numbers read from the ring so far
    std::uint64_t seen_produced = 0;  // the last look at Block::produced
    std::uint64_t released = 0;       // the last value stored into Block::consumed
    std::uint64_t fills = 0;          // chunks filled here (no producer had)
    const double* ring = nullptr;     // the block's ring, chunk after chunk
  };
  const double* next_slow(int b, int n, double* scratch);
  // Stops produce() and waits until no call of it is inside (resume() lets it run again).
  void pause();
  void resume();
  // Fills chunk `produced` of block `blk` from its stream (caller holds blk's lock).
  static void fill_chunk(Block& blk, std::uint64_t produced);
  // Makes chunk c of blk readable (filling it here if no producer has); false if prefetch
  // is off and the ring is used up (then the stream is the consumer's).
  bool reach_chunk(Block& blk, Cursor& cur, std::uint64_t c, bool ahead);

  // Read by consumers on every call (rarely written)...
  std::vector<std::unique_ptr<Block>> blocks_;
  std::vector<Cursor> cursors_;
  std::atomic<bool> prefetch_{true};
  // ... and written by producers all the time: on another cache line.
  alignas(64) std::atomic<bool> paused_{false};
  std::atomic<int> producing_{0};
  std::atomic<std::size_t> next_block_{0};  // produce()'s round-robin position
};

}  // namespace salvo
