// WorkerPool: a few host threads that run the independent parts of one analog-core step (the
// chip halves) side by side. Not a chip block: it decides only where host work runs, never what
// it computes — every task owns its data, so results do not depend on the thread count.
// Built for many tiny parallel regions (10 000 steps per ms of hardware time, a few µs each):
// helpers spin briefly between regions (a kernel wake-up per step would cost more than the
// step) and block when the caller goes quiet for longer.
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

  // Threads this process may use: the CPUs of its affinity mask (at least 1).
  static int available_cpus();

 private:
  using Thunk = void (*)(void*, int);
  void run_erased(int tasks, void* fn, Thunk thunk);
  void helper_main();
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
  std::mutex mutex_;
  std::condition_variable wake_;
  std::mutex error_mutex_;
  std::exception_ptr error_;
};

}  // namespace salvo
