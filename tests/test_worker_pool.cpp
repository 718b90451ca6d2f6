// WorkerPool: every task of a region runs exactly once, whatever the thread count; the
// caller sees all effects when run() returns; a task's exception reaches the caller; helpers
// survive long pauses between regions (they block, then wake).
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "hw/common/worker_pool.hpp"

using salvo::WorkerPool;

TEST(WorkerPool, EveryTaskRunsExactlyOncePerRegion) {
  for (int threads : {1, 2, 3}) {
    WorkerPool pool(threads);
    EXPECT_EQ(pool.threads(), threads);
    std::vector<int> count(7, 0);
    for (int region = 0; region < 2000; ++region) {
      // Plain (non-atomic) writes: each task owns its slot, and run() returning must make
      // them visible to the caller.
      pool.run(static_cast<int>(count.size()), [&](int k) { count[k] += k + 1; });
    }
    for (int k = 0; k < static_cast<int>(count.size()); ++k)
      EXPECT_EQ(count[k], 2000 * (k + 1)) << "threads " << threads << " task " << k;
  }
}

TEST(WorkerPool, TasksOfARegionRunConcurrentlyWhenThereAreHelpers) {
  WorkerPool pool(2);
  // Two tasks that each wait for the other: completes only if they overlap in time. The
  // caller claims one, so the helper must take the other (it may be descheduled for a
  // while on a loaded machine, hence the generous bound).
  std::atomic<int> arrived{0};
  std::atomic<bool> overlapped{true};
  pool.run(2, [&](int) {
    arrived.fetch_add(1);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (arrived.load() < 2) {
      if (std::chrono::steady_clock::now() > deadline) {
        overlapped = false;
        return;
      }
      std::this_thread::yield();
    }
  });
  EXPECT_TRUE(overlapped.load());
}

TEST(WorkerPool, HelpersWakeAfterALongPause) {
  WorkerPool pool(2);
  std::atomic<int> sum{0};
  for (int round = 0; round < 3; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // helpers go to sleep
    pool.run(4, [&](int k) { sum.fetch_add(k); });
  }
  EXPECT_EQ(sum.load(), 3 * 6);
}

TEST(WorkerPool, ATaskExceptionReachesTheCallerAfterTheRegion) {
  WorkerPool pool(2);
  std::atomic<int> ran{0};
  EXPECT_THROW(pool.run(4,
                        [&](int k) {
                          ran.fetch_add(1);
                          if (k == 2) throw std::runtime_error("task 2");
                        }),
               std::runtime_error);
  EXPECT_EQ(ran.load(), 4);
  // The pool is still usable.
  pool.run(3, [&](int) { ran.fetch_add(1); });
  EXPECT_EQ(ran.load(), 7);
}

// Idle work runs on a helper while the caller does something else, stops when unset (no call
// after set_idle_work(nullptr) returns), and a helper that fell asleep for lack of it comes
// back on wake_idle().
TEST(WorkerPool, IdleWorkRunsOnHelpersUntilUnset) {
  WorkerPool pool(2);
  struct Work {
    std::atomic<long> calls{0};
    std::atomic<bool> wanted{true};
    std::atomic<bool> unset{false};
    std::atomic<bool> called_after_unset{false};
  } w;
  auto fn = [](void* ctx) {
    auto& work = *static_cast<Work*>(ctx);
    if (work.unset.load()) work.called_after_unset = true;
    work.calls.fetch_add(1);
    return work.wanted.load();
  };
  pool.set_idle_work(fn, &w);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (w.calls.load() < 1000 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  EXPECT_GE(w.calls.load(), 1000);
  // Regions still run while idle work is set.
  std::atomic<int> sum{0};
  pool.run(4, [&](int k) { sum.fetch_add(k); });
  EXPECT_EQ(sum.load(), 6);

  // Nothing to do: the helper goes to sleep (calls stop growing), wake_idle brings it back.
  w.wanted = false;
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const long asleep = w.calls.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(w.calls.load(), asleep) << "the helper kept calling idle work with none to do";
  pool.wake_idle();
  while (w.calls.load() == asleep && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  EXPECT_GT(w.calls.load(), asleep);

  w.wanted = true;
  pool.wake_idle();
  pool.set_idle_work(nullptr, nullptr);
  w.unset = true;
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_FALSE(w.called_after_unset.load());
}

TEST(WorkerPool, AvailableCpusIsPositive) { EXPECT_GE(WorkerPool::available_cpus(), 1); }
