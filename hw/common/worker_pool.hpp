// WorkerPool: a few host threads that run the independent parts of one analog-core step (the
// chip halves) side by side. Not a chip block: it decides only where host work runs, never what
// it computes — every task owns its data, so results do not depend on the thread count.
// Built for many tiny parallel regions (10 000 steps per ms of hardware time, a few µs each):
// helpers spin briefly between regions (a kernel wake-up per step would cost more than the
// step) and block when the caller goes quiet for longer. Between regions a helper may run
// idle work instead of spinning (set_idle_work: the analog core's noise drawn ahead).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace salvo {

class WorkerPool {
 public:
  // threads >= 1: the caller plus threads - 1 helpers (1 = everything on the caller).
  explicit WorkerPool(int threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  int threads() const { return static_cast<int>(helpers_.size()) + 1; }

  // Runs fn(k) for k = 0 .. tasks-1 (tasks <= 65535) and returns when all are done. Tasks
  // are claimed one at a time by whichever thread is free, the caller included (the caller
  // from task 0 up, helpers from the last task down), so a helper
  // that the OS has descheduled (a loaded machine) only costs parallelism, never waiting
  // for it to run. The first exception thrown by a task is rethrown here after all ended.
  template <class F>
  void run(int tasks, F&& fn) {
    if (helpers_.empty() || tasks <= 1) {
      for (int k = 0; k < tasks; ++k) fn(k);
      return;
    }
    run_erased(tasks, &fn, [](void* f, int k) { (*static_cast<F*>(f))(k); });
  }

  // Idle work: a helper without a task calls fn(ctx) over and over; fn returns whether it did
  // anything and must return within a few microseconds (a new region waits for it). It runs
  // alongside the caller's own work, so it must be safe against whatever the caller does
  // meanwhile. nullptr stops it. Returns once no helper is inside the previous fn.
  using IdleFn = bool (*)(void*);
  void set_idle_work(IdleFn fn, void* ctx);
  // Wakes helpers that went to sleep (no region and no idle work for a while): call when idle
  // work may have appeared. Cheap when none sleeps.
  void wake_idle() {
    if (sleeping_.load() > 0) notify();
  }

  // Threads this process may use: the CPUs of its affinity mask (at least 1).
  static int available_cpus();

 private:
  using Thunk = void (*)(void*, int);
  void run_erased(int tasks, void* fn, Thunk thunk);
  void helper_main();
  void notify();
  // Runs idle work until wanted() holds or there was none for a while; whether wanted().
  template <class Wanted>
  bool idle_until(Wanted&& wanted);
  bool run_idle();
  // Claims and runs tasks of the current region until none is left (from the first unclaimed
  // task up, or from the last one down); false if none was left.
  bool work(bool from_top);

  std::vector<std::thread> helpers_;
  // The current region: fn_/thunk_ are written before work_ is published (release) and stay
  // valid until all its tasks have finished. work_ = region << 32 | end << 16 | next: the
  // tasks next .. end-1 are unclaimed (the caller takes next, helpers end - 1).
  void* fn_ = nullptr;
  Thunk thunk_ = nullptr;
  std::atomic<std::uint64_t> work_{0};
  std::atomic<int> finished_{0};
  std::atomic<int> sleeping_{0};
  std::atomic<bool> stop_{false};
  // Idle work (set_idle_work): fn/ctx are written while idle_on_ is false and no helper is
  // inside run_idle (in_idle_ == 0).
  IdleFn idle_fn_ = nullptr;
  void* idle_ctx_ = nullptr;
  std::atomic<bool> idle_on_{false};
  std::atomic<int> in_idle_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  std::uint64_t pokes_ = 0;  // notify() calls (under mutex_): wakes helpers for idle work
  std::mutex error_mutex_;
  std::exception_ptr error_;
};

}  // namespace salvo
