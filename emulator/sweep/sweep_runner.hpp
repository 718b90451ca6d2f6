// Running a sweep: every point is a child process of its own (`salvo run ...` by default),
// in its own process group, with stdout/stderr captured in its point directory, a per-point
// timeout, and a bounded number running at once. Where the points come from and where the
// results go is a TaskSource: a local queue, a shard of the spec, or an MPI rank 0
// handing out work (sweep_mpi.cpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "emulator/sweep/sweep_results.hpp"
#include "emulator/sweep/sweep_spec.hpp"

namespace salvo::sweep {

// One process to run for one point.
struct Task {
  Point point;                    // index, id, condition, axis values, seed
  std::vector<std::string> argv;  // may contain {salvo}
  std::string dir;                // its output directory (absolute)
  double timeout_s = 0;           // 0 = no limit

  nlohmann::json to_json() const;
  static Task from_json(const nlohmann::json& j);
};

// How a finished child is turned into a result (exposed for tests).
struct ChildOutcome {
  bool exited = false;  // else killed by a signal
  int code = 0;         // exit code, or the signal number
  bool timed_out = false;
  double wall_time_s = 0;
  double timeout_s = 0;
};
PointResult make_result(const Task& task, const ChildOutcome& outcome);
std::string signal_name(int signo);

// Progress on stderr: on a terminal one updating line, otherwise a plain line every ~10 %
// of the points or every 30 s; always a final line.
class SweepProgress {
 public:
  SweepProgress(std::size_t to_run, bool enabled);
  void done(const std::string& status);
  void tick(std::size_t running, bool force = false);
  void clear();  // before printing something else on a terminal
  void finish(std::size_t running);

  std::size_t ok = 0, failed = 0, timeout = 0;

 private:
  std::string line(std::size_t running) const;
  std::size_t to_run_;
  bool enabled_, tty_;
  bool drawn_ = false;
  std::size_t last_printed_done_ = 0;
  std::chrono::steady_clock::time_point start_, last_print_;
};

// Records results (JSON file + CSV row), counts them and watches for a systematic failure:
// when the first points all fail with exit code 2 (bad input) or 127 (cannot execute),
// there is no point in running the rest.
class Recorder {
 public:
  Recorder(ResultTable& table, SweepProgress& progress) : table_(table), progress_(progress) {}
  void record(PointResult result);
  const std::string& abort_reason() const { return abort_reason_; }

 private:
  ResultTable& table_;
  SweepProgress& progress_;
  std::size_t recorded_ = 0, bad_input_ = 0, warned_ = 0;
  bool any_ok_ = false;
  std::string abort_reason_;
};

// Where tasks come from and where results go.
class TaskSource {
 public:
  virtual ~TaskSource() = default;
  // A task to start now, or nothing (none left, or none available yet).
  virtual std::optional<Task> next(std::size_t free_slots) = 0;
  // No task will come any more (the runner ends once its children are done too).
  virtual bool exhausted() const = 0;
  virtual void finished(PointResult result) = 0;
  // Stop handing out tasks (Ctrl-C, SIGTERM, or a systematic failure).
  virtual void stop() {}
  // Messages from elsewhere (MPI); called every loop turn.
  virtual void poll() {}
  // Longest the runner may sleep between poll() calls; < 0: only wake on events.
  virtual double poll_interval_s() const { return -1; }
  virtual std::string abort_reason() const { return ""; }
};

// The points of one process's queue, results recorded locally.
class LocalSource : public TaskSource {
 public:
  LocalSource(std::deque<Task> tasks, Recorder& recorder)
      : tasks_(std::move(tasks)), recorder_(recorder) {}
  std::optional<Task> next(std::size_t) override;
  bool exhausted() const override { return stopped_ || tasks_.empty(); }
  void finished(PointResult result) override { recorder_.record(std::move(result)); }
  void stop() override { stopped_ = true; }
  std::string abort_reason() const override { return recorder_.abort_reason(); }

 private:
  std::deque<Task> tasks_;
  Recorder& recorder_;
  bool stopped_ = false;
};

struct RunnerOptions {
  std::size_t jobs = 1;
  std::string salvo_exe;      // fills {salvo}
  double kill_grace_s = 2.0;  // SIGTERM, then SIGKILL this much later
  SweepProgress* progress = nullptr;
};

struct RunnerStats {
  std::size_t launched = 0;
  std::size_t interrupted = 0;  // children stopped by a signal to the sweep: no result
  int stop_signal = 0;          // SIGINT / SIGTERM received, else 0
  std::string abort_reason;     // systematic failure, else ""
};

// Runs tasks from `source` until it is exhausted and every child has ended, or until
// SIGINT/SIGTERM (children are terminated; their points stay without a result).
RunnerStats run_tasks(TaskSource& source, const RunnerOptions& options);

// The number of CPUs this process may run on (its affinity mask).
std::size_t available_cpus();
// This executable's path (/proc/self/exe).
std::string self_executable();

// `salvo sweep` as a whole.
struct SweepOptions {
  std::string spec_file;
  std::string out_dir;   // "" = out/sweeps/<spec stem>
  std::size_t jobs = 0;  // 0 = available CPUs
  bool resume = false;
  bool retry_failed = false;
  double timeout_s = -1;  // < 0: the spec's
  int shard_index = -1, shard_count = 0;
  bool mpi = false;
  bool dry_run = false;
  std::string salvo_exe;  // "" = this executable
};
// Returns the process exit code: 0 all points done (some may have failed), 1 every point
// failed or a systematic failure stopped it, 128+signal when interrupted.
int run_sweep(const SweepOptions& options);
int run_sweep_mpi(const SweepOptions& options);  // sweep_mpi.cpp
// Sets what every point's process inherits: SALVO_NO_PLOTS=1 unless already set.
void prepare_child_environment();

// Shared by the local and MPI drivers: the spec, the output directory and its state.
struct PreparedSweep {
  SweepSpec spec;
  Manifest manifest;
  std::filesystem::path out;
  std::unique_ptr<ResultTable> table;  // results of this process's points
  std::vector<Task> pending;           // those without a result, spec order
  std::size_t points = 0;              // this process's points (shard slice or all)
  std::shared_ptr<int> lock;           // the flock on OUT/.sweep.lock, closed on release
};
// Reads the spec, takes the output directory (lock, manifest, existing results), and
// lists what is left to run. Throws UserError for a bad spec or a directory in use.
PreparedSweep prepare_sweep(const SweepOptions& options);
std::string default_out_dir(const std::string& spec_file);
// Prints the dry-run listing of every point and its command.
void print_dry_run(const SweepOptions& options);
// The closing message; returns the exit code.
int finish_sweep(const PreparedSweep& sweep, const RunnerStats& stats, const SweepOptions& options);
// SIGINT/SIGTERM/SIGCHLD handlers that wake the runner; restored on destruction.
class SignalGuard {
 public:
  SignalGuard();
  ~SignalGuard();
  SignalGuard(const SignalGuard&) = delete;
  SignalGuard& operator=(const SignalGuard&) = delete;
};

}  // namespace salvo::sweep
