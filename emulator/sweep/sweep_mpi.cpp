// `salvo sweep --mpi`: the same sweep spread over MPI ranks. Rank 0 owns the output
// directory (manifest, results, sweep.csv) and hands out points on request, a few at a
// time, so fast and slow points balance; every rank (rank 0 included) runs its points as
// local child processes, --jobs at a time, and sends each result back to rank 0.
#include <cstdio>
#include <deque>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "emulator/sweep/sweep_runner.hpp"
#include "hw/common/error.hpp"

#ifdef SALVO_HAVE_MPI
// The C API only: the deprecated C++ bindings would need libmpi_cxx.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#include <unistd.h>

#include <exception>
#endif

namespace salvo::sweep {

#ifndef SALVO_HAVE_MPI

int run_sweep_mpi(const SweepOptions&) {
  throw UserError(
      "--mpi: this salvo was built without MPI (allowed: rebuild with libopenmpi-dev installed, "
      "or run without --mpi, or split the sweep with --shard i/n)");
}

#else

namespace {

enum Tag : int { kRequest = 1, kAssign = 2, kResult = 3, kFinished = 4, kGo = 5 };
constexpr double kPollInterval_s = 0.01;

void send_text(const std::string& text, int dest, int tag) {
  MPI_Send(text.data(), static_cast<int>(text.size()), MPI_CHAR, dest, tag, MPI_COMM_WORLD);
}

std::string recv_text(const MPI_Status& probed) {
  int count = 0;
  MPI_Get_count(&probed, MPI_CHAR, &count);
  std::string text(static_cast<std::size_t>(count), '\0');
  MPI_Recv(text.data(), count, MPI_CHAR, probed.MPI_SOURCE, probed.MPI_TAG, MPI_COMM_WORLD,
           MPI_STATUS_IGNORE);
  return text;
}

// Rank 0: a local queue that also serves the other ranks and records their results.
class DispatchSource : public TaskSource {
 public:
  DispatchSource(std::deque<Task> tasks, Recorder& recorder, int workers)
      : tasks_(std::move(tasks)), recorder_(recorder), workers_active_(workers) {}

  std::optional<Task> next(std::size_t) override {
    if (closed() || tasks_.empty()) return std::nullopt;
    Task t = std::move(tasks_.front());
    tasks_.pop_front();
    return t;
  }
  bool exhausted() const override {
    if (workers_active_ > 0) {
      // A rank that died never says it finished: give up waiting some time after a stop.
      if (!stopped_ ||
          std::chrono::duration<double>(std::chrono::steady_clock::now() - stop_time_).count() < 30)
        return false;
    }
    return closed() || tasks_.empty();
  }
  void finished(PointResult result) override { recorder_.record(std::move(result)); }
  void stop() override {
    if (!stopped_) stop_time_ = std::chrono::steady_clock::now();
    stopped_ = true;
  }
  double poll_interval_s() const override { return workers_active_ > 0 ? kPollInterval_s : -1; }
  std::string abort_reason() const override { return recorder_.abort_reason(); }
  int workers_active() const { return workers_active_; }

  void poll() override {
    for (;;) {
      int flag = 0;
      MPI_Status st;
      MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
      if (!flag) return;
      const std::string text = recv_text(st);
      if (st.MPI_TAG == kRequest) {
        const std::size_t want = std::max<std::size_t>(1, std::stoul(text));
        nlohmann::json batch = nlohmann::json::array();
        while (!closed() && !tasks_.empty() && batch.size() < want) {
          batch.push_back(tasks_.front().to_json());
          tasks_.pop_front();
        }
        send_text(batch.dump(), st.MPI_SOURCE, kAssign);
      } else if (st.MPI_TAG == kResult) {
        recorder_.record(PointResult::from_json(nlohmann::json::parse(text)));
      } else if (st.MPI_TAG == kFinished) {
        --workers_active_;
      }
    }
  }

 private:
  bool closed() const { return stopped_ || !recorder_.abort_reason().empty(); }
  std::deque<Task> tasks_;
  Recorder& recorder_;
  int workers_active_;
  bool stopped_ = false;
  std::chrono::steady_clock::time_point stop_time_;
};

// Ranks 1..K-1: ask rank 0 for as many points as there are free slots.
class WorkerSource : public TaskSource {
 public:
  std::optional<Task> next(std::size_t free_slots) override {
    if (stopped_) return std::nullopt;
    if (!tasks_.empty()) {
      Task t = std::move(tasks_.front());
      tasks_.pop_front();
      return t;
    }
    if (!requested_ && !no_more_) {
      send_text(std::to_string(free_slots), 0, kRequest);
      requested_ = true;
    }
    return std::nullopt;
  }
  // An outstanding request is always answered, so its reply is received before finishing.
  bool exhausted() const override {
    return !requested_ && (no_more_ || stopped_) && (stopped_ || tasks_.empty());
  }
  void finished(PointResult result) override { send_text(result.to_json().dump(), 0, kResult); }
  void stop() override {
    stopped_ = true;
    tasks_.clear();
  }
  double poll_interval_s() const override { return kPollInterval_s; }
  void poll() override {
    int flag = 0;
    MPI_Status st;
    MPI_Iprobe(0, kAssign, MPI_COMM_WORLD, &flag, &st);
    if (!flag) return;
    const auto batch = nlohmann::json::parse(recv_text(st));
    requested_ = false;
    if (batch.empty()) no_more_ = true;
    if (!stopped_)
      for (const auto& t : batch) tasks_.push_back(Task::from_json(t));
  }

 private:
  std::deque<Task> tasks_;
  bool requested_ = false, no_more_ = false, stopped_ = false;
};

// Initialises MPI for the sweep and always finalises it; an exception escaping a rank
// after the others started would leave them waiting, so that aborts the job instead.
class MpiSession {
 public:
  MpiSession() {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) MPI_Init(nullptr, nullptr);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
  }
  ~MpiSession() {
    if (std::uncaught_exceptions() > 0 && started) MPI_Abort(MPI_COMM_WORLD, 1);
    MPI_Finalize();
  }
  int rank = 0, size = 1;
  bool started = false;
};

// Jobs per rank: the rank's CPUs; when ranks on a node are not bound to CPUs of their own,
// each takes its share of the node.
std::size_t default_jobs() {
  MPI_Comm node;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
  int local = 1;
  MPI_Comm_size(node, &local);
  MPI_Comm_free(&node);
  const std::size_t cpus = available_cpus();
  const long online = ::sysconf(_SC_NPROCESSORS_ONLN);
  if (online > 0 && cpus == static_cast<std::size_t>(online))
    return std::max<std::size_t>(1, cpus / static_cast<std::size_t>(local));
  return cpus;
}

}  // namespace

int run_sweep_mpi(const SweepOptions& options) {
  MpiSession mpi;
  const std::size_t jobs = options.jobs > 0 ? options.jobs : default_jobs();
  if (options.dry_run) {
    if (mpi.rank == 0) print_dry_run(options);
    return 0;
  }
  RunnerOptions ro;
  ro.jobs = jobs;
  ro.salvo_exe = options.salvo_exe.empty() ? self_executable() : options.salvo_exe;

  // Rank 0 prepares; the others wait for its word, so bad input ends every rank cleanly.
  PreparedSweep s;
  std::string problem;
  if (mpi.rank == 0) {
    try {
      s = prepare_sweep(options);
    } catch (const UserError& e) {
      problem = e.what();
    }
  }
  int go = problem.empty() ? 1 : 0;
  MPI_Bcast(&go, 1, MPI_INT, 0, MPI_COMM_WORLD);
  if (!go) {
    if (mpi.rank == 0) throw UserError(problem);
    return 2;
  }
  mpi.started = true;

  if (mpi.rank != 0) {
    WorkerSource source;
    RunnerStats stats;
    {
      SignalGuard guard;
      stats = run_tasks(source, ro);
    }
    send_text("", 0, kFinished);
    return stats.stop_signal != 0 ? 128 + stats.stop_signal : 0;
  }

  spdlog::info(
      "sweep: {} of {} points to run on {} MPI ranks, {} at a time on rank 0, output in {}",
      s.pending.size(), s.points, mpi.size, jobs, s.out.string());
  SweepProgress progress(s.pending.size(), spdlog::get_level() <= spdlog::level::info);
  Recorder recorder(*s.table, progress);
  DispatchSource source(std::deque<Task>(s.pending.begin(), s.pending.end()), recorder,
                        mpi.size - 1);
  ro.progress = &progress;
  RunnerStats stats;
  {
    SignalGuard guard;
    stats = run_tasks(source, ro);
  }
  s.table->rewrite_csv();
  const int code = finish_sweep(s, stats, options);
  if (source.workers_active() > 0) {
    std::fprintf(stderr, "salvo sweep: %d MPI rank(s) did not finish; aborting the job\n",
                 source.workers_active());
    MPI_Abort(MPI_COMM_WORLD, code != 0 ? code : 1);
  }
  return code;
}

#endif

}  // namespace salvo::sweep
