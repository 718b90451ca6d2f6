#include "hw/common/worker_pool.hpp"

#include <sched.h>

#include <algorithm>
#include <chrono>

#include "hw/common/error.hpp"

namespace salvo {

namespace {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

// How long a helper keeps spinning for the next region before it blocks. A step's serial
// part (bus and crossbar work) is a few µs, and the processor's quantum between two catch-ups
// of the analog core is usually shorter than this, so a busy run never puts its helpers to
// sleep; an idle chip (host work between runs) does after this long.
constexpr auto kHelperSpin = std::chrono::microseconds(200);
// How long the caller spins for tasks still running on a helper before it starts yielding
// its core (only matters when the OS descheduled that helper mid-task).
constexpr auto kCallerSpin = std::chrono::microseconds(50);
// Pauses between two calls of idle work that found nothing to do.
constexpr int kIdleBackoff = 256;

template <class Done>
void spin_until(Done&& done, std::chrono::microseconds budget) {
  const auto deadline = std::chrono::steady_clock::now() + budget;
  for (;;) {
    for (int k = 0; k < 128; ++k) {
      if (done()) return;
      cpu_relax();
    }
    if (std::chrono::steady_clock::now() > deadline) return;
  }
}

constexpr std::uint64_t kField = 0xFFFF;
// The end of the unclaimed range (the tasks at and above it are claimed).
inline int end_of(std::uint64_t w) { return static_cast<int>((w >> 16) & kField); }
inline int next_of(std::uint64_t w) { return static_cast<int>(w & kField); }
inline bool claimable(std::uint64_t w) { return next_of(w) < end_of(w); }

}  // namespace

int WorkerPool::available_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  const unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? static_cast<int>(n) : 1;
}

WorkerPool::WorkerPool(int threads) {
  if (threads < 1) throw InternalError("WorkerPool: needs at least one thread");
  helpers_.reserve(static_cast<std::size_t>(threads - 1));
  for (int i = 1; i < threads; ++i) helpers_.emplace_back([this] { helper_main(); });
}

WorkerPool::~WorkerPool() {
  set_idle_work(nullptr, nullptr);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_.store(true);
  }
  wake_.notify_all();
  for (auto& t : helpers_) t.join();
}

bool WorkerPool::work(bool from_top) {
  bool ran = false;
  std::uint64_t w = work_.load(std::memory_order_acquire);
  while (claimable(w)) {
    // The caller claims from the bottom (task 0 up), helpers from the top (last task down):
    // with as many threads as tasks each keeps its own task (and that task's data stays in
    // its core's cache) step after step, unless a late thread leaves its task to the others.
    const std::uint64_t claimed = from_top ? w - (std::uint64_t{1} << 16) : w + 1;
    if (!work_.compare_exchange_weak(w, claimed, std::memory_order_acq_rel,
                                     std::memory_order_acquire))
      continue;
    ran = true;
    try {
      thunk_(fn_, from_top ? end_of(w) - 1 : next_of(w));
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex_);
      if (!error_) error_ = std::current_exception();
    }
    finished_.fetch_add(1, std::memory_order_acq_rel);
    w = work_.load(std::memory_order_acquire);
  }
  return ran;
}

void WorkerPool::run_erased(int tasks, void* fn, Thunk thunk) {
  if (tasks > static_cast<int>(kField)) throw InternalError("WorkerPool: too many tasks");
  fn_ = fn;
  thunk_ = thunk;
  finished_.store(0, std::memory_order_relaxed);
  const std::uint64_t region = (work_.load(std::memory_order_relaxed) >> 32) + 1;
  // seq_cst store, then the sleeping_ load (seq_cst): pairs with helper_main, so either a
  // helper sees the new region before it blocks or we see it blocked and wake it.
  work_.store(region << 32 | static_cast<std::uint64_t>(tasks) << 16);
  wake_idle();
  work(false);
  auto all_done = [&] { return finished_.load(std::memory_order_acquire) == tasks; };
  spin_until(all_done, kCallerSpin);
  while (!all_done()) std::this_thread::yield();
  if (error_) {
    std::exception_ptr e;
    std::swap(e, error_);
    std::rethrow_exception(e);
  }
}

void WorkerPool::notify() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++pokes_;
  wake_.notify_all();
}

void WorkerPool::set_idle_work(IdleFn fn, void* ctx) {
  // seq_cst store, then in_idle_ loads: pairs with run_idle (its in_idle_ increment before
  // its idle_on_ load), so no helper calls the old fn after this returns.
  idle_on_.store(false);
  while (in_idle_.load() != 0) cpu_relax();
  idle_fn_ = fn;
  idle_ctx_ = ctx;
  if (fn) {
    idle_on_.store(true);
    wake_idle();
  }
}

bool WorkerPool::run_idle() {
  in_idle_.fetch_add(1);
  const bool did = idle_on_.load() && idle_fn_(idle_ctx_);
  in_idle_.fetch_sub(1);
  return did;
}

template <class Wanted>
bool WorkerPool::idle_until(Wanted&& wanted) {
  auto deadline = std::chrono::steady_clock::now() + kHelperSpin;
  for (;;) {
    bool did = false;
    for (int k = 0; k < 128; ++k) {
      if (wanted()) return true;
      if (run_idle()) {
        did = true;
        continue;
      }
      // Nothing to do: look again a little later (each look reads lines other threads write).
      for (int j = 0; j < kIdleBackoff && !wanted(); ++j) cpu_relax();
    }
    const auto now = std::chrono::steady_clock::now();
    if (did)
      deadline = now + kHelperSpin;
    else if (now > deadline)
      return wanted();
  }
}

void WorkerPool::helper_main() {
  for (;;) {
    // seq_cst loads (plain loads on x86): see run_erased.
    auto wanted = [&] { return stop_.load() || claimable(work_.load()); };
    if (!idle_until(wanted)) {
      std::unique_lock<std::mutex> lock(mutex_);
      const std::uint64_t pokes = pokes_;
      sleeping_.fetch_add(1);
      wake_.wait(lock, [&] { return wanted() || pokes_ != pokes; });
      sleeping_.fetch_sub(1);
    }
    if (stop_.load()) return;
    work(true);
  }
}

}  // namespace salvo
