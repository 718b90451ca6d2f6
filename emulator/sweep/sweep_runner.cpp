#include "emulator/sweep/sweep_runner.hpp"
#include "emulator/sweep/sweep_validate.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "hw/common/error.hpp"

extern char** environ;

namespace salvo::sweep {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string format_duration(double s) {
  if (!(s >= 0) || s > 1e8) return "--";
  const long total = static_cast<long>(s + 0.5);
  if (total >= 3600)
    return fmt::format("{}:{:02}:{:02}", total / 3600, total / 60 % 60, total % 60);
  return fmt::format("{}:{:02}", total / 60, total % 60);
}

// ---- signals -------------------------------------------------------------------------

int g_wake_pipe[2] = {-1, -1};
volatile std::sig_atomic_t g_stop_signal = 0;
volatile std::sig_atomic_t g_stop_count = 0;
struct sigaction g_old_actions[3];
constexpr int kSignals[3] = {SIGCHLD, SIGINT, SIGTERM};

void on_signal(int signo) {
  const int saved = errno;
  if (signo == SIGINT || signo == SIGTERM) {
    g_stop_signal = signo;
    g_stop_count = g_stop_count + 1;
  }
  const char c = 0;
  [[maybe_unused]] const ssize_t n = ::write(g_wake_pipe[1], &c, 1);
  errno = saved;
}

void drain_wake_pipe() {
  char buf[64];
  while (::read(g_wake_pipe[0], buf, sizeof buf) > 0) {
  }
}

// ---- child processes -------------------------------------------------------------------

// The program to exec: a name without '/' is looked up in PATH here, before fork, so the
// child only calls async-signal-safe functions.
std::string find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// Starts argv in a new process group with stdout/stderr in `dir`; -1 and `error` if it
// cannot even be started.
pid_t spawn_child(const std::vector<std::string>& argv, const std::string& dir,
                  std::string& error) {
  const std::string program = find_program(argv.at(0));
  if (program.empty() || ::access(program.c_str(), X_OK) != 0) {
    error = fmt::format("cannot execute '{}' ({})", argv[0],
                        program.empty() ? "not found in PATH" : std::strerror(errno));
    return -1;
  }
  const int out_fd =
      ::open((dir + "/stdout.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const int err_fd =
      ::open((dir + "/stderr.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (out_fd < 0 || err_fd < 0 || null_fd < 0) {
    error = fmt::format("cannot create the logs in {} ({})", dir, std::strerror(errno));
    for (int fd : {out_fd, err_fd, null_fd})
      if (fd >= 0) ::close(fd);
    return -1;
  }
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  const std::string exec_failed = "salvo sweep: cannot execute " + program + "\n";
  const pid_t parent = ::getpid();

  const pid_t pid = ::fork();
  if (pid == 0) {
    // Child: async-signal-safe calls only.
    ::setpgid(0, 0);
    // Dies with the sweep even when the sweep is SIGKILLed, so a resumed sweep never finds
    // a stray run still writing into a point directory.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(null_fd, STDIN_FILENO);
    ::dup2(out_fd, STDOUT_FILENO);
    ::dup2(err_fd, STDERR_FILENO);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(program.c_str(), cargv.data(), environ);
    [[maybe_unused]] const ssize_t n =
        ::write(STDERR_FILENO, exec_failed.data(), exec_failed.size());
    ::_exit(127);
  }
  const int fork_errno = errno;
  for (int fd : {out_fd, err_fd, null_fd}) ::close(fd);
  if (pid < 0) {
    error = fmt::format("fork failed ({})", std::strerror(fork_errno));
    return -1;
  }
  ::setpgid(pid, pid);  // also here: whichever runs first, the group exists before any kill
  return pid;
}

std::string read_tail(const std::string& file, std::size_t max_bytes) {
  std::ifstream in(file, std::ios::binary | std::ios::ate);
  if (!in) return "";
  const std::streamoff size = in.tellg();
  const std::streamoff start = size > static_cast<std::streamoff>(max_bytes) ? size - max_bytes : 0;
  in.seekg(start);
  std::string text(static_cast<std::size_t>(size - start), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (start > 0) {  // drop the partial first line
    const auto nl = text.find('\n');
    text = nl == std::string::npos ? text : text.substr(nl + 1);
  }
  return text;
}

std::string last_line(const std::string& text) {
  std::string line;
  std::stringstream lines(text);
  for (std::string l; std::getline(lines, l);) {
    if (!l.empty() && l.back() == '\r') l.pop_back();
    if (l.find_first_not_of(" \t") != std::string::npos) line = l;
  }
  if (line.size() > 300) line = line.substr(0, 297) + "...";
  return line;
}

struct Running {
  Task task;
  pid_t pid = -1;
  Clock::time_point start;
  bool timed_out = false;
  bool stopped = false;  // terminated because the sweep is stopping
  bool term_sent = false;
  Clock::time_point kill_at;
};

void terminate_group(Running& r, double grace_s) {
  if (r.term_sent) return;
  ::kill(-r.pid, SIGTERM);
  r.term_sent = true;
  r.kill_at = Clock::now() +
              std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(grace_s));
}

std::string this_host() {
  char buf[256] = {};
  ::gethostname(buf, sizeof buf - 1);
  return buf;
}

}  // namespace

// ---- public helpers ---------------------------------------------------------------------

std::string signal_name(int signo) {
  switch (signo) {
    case SIGHUP:
      return "SIGHUP";
    case SIGINT:
      return "SIGINT";
    case SIGQUIT:
      return "SIGQUIT";
    case SIGILL:
      return "SIGILL";
    case SIGTRAP:
      return "SIGTRAP";
    case SIGABRT:
      return "SIGABRT";
    case SIGBUS:
      return "SIGBUS";
    case SIGFPE:
      return "SIGFPE";
    case SIGKILL:
      return "SIGKILL";
    case SIGUSR1:
      return "SIGUSR1";
    case SIGSEGV:
      return "SIGSEGV";
    case SIGUSR2:
      return "SIGUSR2";
    case SIGPIPE:
      return "SIGPIPE";
    case SIGALRM:
      return "SIGALRM";
    case SIGTERM:
      return "SIGTERM";
    case SIGXCPU:
      return "SIGXCPU";
    case SIGXFSZ:
      return "SIGXFSZ";
    case SIGSYS:
      return "SIGSYS";
    default:
      return fmt::format("signal {}", signo);
  }
}

nlohmann::json Task::to_json() const {
  return {{"index", point.index},
          {"id", point.id},
          {"condition", point.condition},
          {"axes", point.axis_values},
          {"seed", point.seed},
          {"argv", argv},
          {"dir", dir},
          {"timeout_s", timeout_s}};
}

Task Task::from_json(const nlohmann::json& j) {
  Task t;
  t.point.index = j.at("index").get<std::size_t>();
  t.point.id = j.at("id").get<std::string>();
  t.point.condition = j.at("condition").get<std::string>();
  t.point.axis_values = j.at("axes").get<std::vector<std::string>>();
  t.point.seed = j.at("seed").get<std::uint64_t>();
  t.argv = j.at("argv").get<std::vector<std::string>>();
  t.dir = j.at("dir").get<std::string>();
  t.timeout_s = j.at("timeout_s").get<double>();
  return t;
}

PointResult make_result(const Task& task, const ChildOutcome& outcome) {
  PointResult r;
  r.index = task.point.index;
  r.id = task.point.id;
  r.condition = task.point.condition;
  r.axis_values = task.point.axis_values;
  r.seed = task.point.seed;
  r.wall_time_s = outcome.wall_time_s;
  r.host = this_host();
  r.stderr_tail = read_tail(task.dir + "/stderr.log", 4096);
  const std::string last = last_line(r.stderr_tail);
  if (outcome.exited) {
    r.exit_code = outcome.code;
  } else {
    r.exit_code = 128 + outcome.code;
    r.signal = signal_name(outcome.code);
  }

  // Metrics are kept whatever the status: a run that failed its own check still measured.
  std::string summary_problem;
  const std::string summary_file = task.dir + "/summary.json";
  std::ifstream in(summary_file);
  if (in) {
    try {
      r.values = flatten_summary(nlohmann::json::parse(in));
    } catch (const std::exception& e) {
      summary_problem = "summary.json is not valid JSON";
    }
  } else {
    summary_problem = "wrote no summary.json";
  }

  if (outcome.timed_out) {
    r.status = "timeout";
    r.error = fmt::format("timed out after {:g} s", outcome.timeout_s);
  } else if (!outcome.exited) {
    r.status = "failed";
    r.error = "killed by " + r.signal + (last.empty() ? "" : ": " + last);
  } else if (outcome.code != 0) {
    r.status = "failed";
    r.error = last.empty() ? fmt::format("exit code {}", outcome.code) : last;
  } else if (!summary_problem.empty()) {
    r.status = "failed";
    r.error = "exited 0 but " + summary_problem;
  } else {
    r.status = "ok";
  }
  return r;
}

std::size_t available_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return static_cast<std::size_t>(n);
  }
  const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<std::size_t>(n) : 1;
}

std::string self_executable() {
  std::error_code ec;
  const auto p = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw InternalError("cannot read /proc/self/exe: " + ec.message());
  return p.string();
}

// ---- progress ------------------------------------------------------------------------------

SweepProgress::SweepProgress(std::size_t to_run, bool enabled)
    : to_run_(to_run),
      enabled_(enabled),
      tty_(::isatty(STDERR_FILENO) != 0),
      start_(Clock::now()),
      last_print_(start_) {}

void SweepProgress::done(const std::string& status) {
  if (status == "ok")
    ++ok;
  else if (status == "timeout")
    ++timeout;
  else
    ++failed;
}

std::string SweepProgress::line(std::size_t running) const {
  const std::size_t done = ok + failed + timeout;
  const double elapsed = seconds_since(start_);
  const double eta = done > 0 ? elapsed / static_cast<double>(done) *
                                    static_cast<double>(to_run_ - std::min(done, to_run_))
                              : -1;
  return fmt::format(
      "sweep: {}/{} points ({} ok, {} failed, {} timeout), {} running, {} elapsed, ETA {}", done,
      to_run_, ok, failed, timeout, running, format_duration(elapsed),
      done >= to_run_ ? "0:00" : format_duration(eta));
}

void SweepProgress::tick(std::size_t running, bool force) {
  if (!enabled_) return;
  const std::size_t done = ok + failed + timeout;
  const double since = seconds_since(last_print_);
  if (tty_) {
    if (!force && since < 0.2) return;
    std::fprintf(stderr, "\r%s\x1b[K", line(running).c_str());
    drawn_ = true;
  } else {
    const bool step = to_run_ > 0 && (done - last_printed_done_) * 10 >= to_run_;
    if (!force && !(since >= 30 || (step && since >= 1))) return;
    std::fprintf(stderr, "%s\n", line(running).c_str());
    last_printed_done_ = done;
  }
  std::fflush(stderr);
  last_print_ = Clock::now();
}

void SweepProgress::clear() {
  if (enabled_ && tty_ && drawn_) {
    std::fprintf(stderr, "\r\x1b[K");
    drawn_ = false;
  }
}

void SweepProgress::finish(std::size_t running) {
  if (!enabled_) return;
  tick(running, true);
  if (tty_) std::fprintf(stderr, "\n");
  drawn_ = false;
}

void Recorder::record(PointResult result) {
  ++recorded_;
  progress_.done(result.status);
  if (result.status == "ok") any_ok_ = true;
  const bool bad_input =
      result.status == "failed" && (result.exit_code == 2 || result.exit_code == 127);
  if (bad_input) ++bad_input_;
  // The first few failures as they happen; all of them are in the CSV.
  if (result.status != "ok" && ++warned_ <= 10) {
    progress_.clear();
    spdlog::warn("sweep: point {} {}: {}{}", result.id, result.status, result.error,
                 warned_ == 10 ? " (further failures: see the csv)" : "");
  }
  table_.record(result);
  // The same bad input fails every point: say so after three instead of after thousands.
  if (!any_ok_ && bad_input_ == recorded_ && recorded_ >= 3 && abort_reason_.empty())
    abort_reason_ = fmt::format(
        "the first {} points all failed with exit code {} ({}), last: {}", recorded_,
        result.exit_code, result.exit_code == 2 ? "bad input" : "cannot execute", result.error);
}

std::optional<Task> LocalSource::next(std::size_t) {
  if (stopped_ || !recorder_.abort_reason().empty() || tasks_.empty()) return std::nullopt;
  Task t = std::move(tasks_.front());
  tasks_.pop_front();
  return t;
}

SignalGuard::SignalGuard() {
  if (::pipe2(g_wake_pipe, O_NONBLOCK | O_CLOEXEC) != 0)
    throw InternalError(fmt::format("pipe2 failed: {}", std::strerror(errno)));
  g_stop_signal = 0;
  g_stop_count = 0;
  for (int i = 0; i < 3; ++i) {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    ::sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART | (kSignals[i] == SIGCHLD ? SA_NOCLDSTOP : 0);
    ::sigaction(kSignals[i], &sa, &g_old_actions[i]);
  }
}

SignalGuard::~SignalGuard() {
  for (int i = 0; i < 3; ++i) ::sigaction(kSignals[i], &g_old_actions[i], nullptr);
  ::close(g_wake_pipe[0]);
  ::close(g_wake_pipe[1]);
  g_wake_pipe[0] = g_wake_pipe[1] = -1;
}

// ---- the runner ----------------------------------------------------------------------------

namespace {

// One sweep's child processes: launched from the source up to `jobs` at a time, reaped,
// timed out, stopped on a signal.
class Runner {
 public:
  Runner(TaskSource& source, const RunnerOptions& options)
      : source(source), options(options), jobs(std::max<std::size_t>(1, options.jobs)) {}

  RunnerStats run() {
    for (;;) {
      handle_stop();
      source.poll();
      launch();
      if (running.empty() && source.exhausted()) break;
      wait();
      reap();
      enforce_timeouts();
      if (options.progress) options.progress->tick(running.size(), false);
    }
    if (options.progress) options.progress->finish(0);
    if (stats.abort_reason.empty()) stats.abort_reason = source.abort_reason();
    return stats;
  }

 private:
  // A stop request: no more launches, terminate the children (SIGKILL on a second one).
  void handle_stop() {
    if (g_stop_signal != 0 && g_stop_count != handled_stop_count) {
      const bool again = handled_stop_count > 0;
      handled_stop_count = g_stop_count;
      stats.stop_signal = g_stop_signal;
      if (options.progress) options.progress->clear();
      spdlog::warn("sweep: {} received: stopping {} running point{}{}", signal_name(g_stop_signal),
                   running.size(), running.size() == 1 ? "" : "s",
                   again ? " now (SIGKILL)" : "; keeping what finished");
      stopping = true;
      source.stop();
      for (auto& r : running) {
        r.stopped = true;
        terminate_group(r, options.kill_grace_s);
        if (again) ::kill(-r.pid, SIGKILL);
      }
    }
    if (!stopping && stats.abort_reason.empty() && !source.abort_reason().empty()) {
      stats.abort_reason = source.abort_reason();
      source.stop();
    }
  }

  void launch() {
    while (!stopping && running.size() < jobs) {
      std::optional<Task> task = source.next(jobs - running.size());
      if (!task) break;
      std::error_code ec;
      fs::remove_all(task->dir, ec);  // leftovers of an interrupted attempt
      fs::create_directories(task->dir, ec);
      std::string error;
      const auto argv = resolve_salvo(task->argv, options.salvo_exe);
      const auto start = Clock::now();
      const pid_t pid = spawn_child(argv, task->dir, error);
      ++stats.launched;
      if (pid < 0) {
        PointResult r = make_result(*task, ChildOutcome{true, 127, false, 0, task->timeout_s});
        r.error = error;
        source.finished(std::move(r));
        continue;
      }
      Running r;
      r.task = std::move(*task);
      r.pid = pid;
      r.start = start;
      running.push_back(std::move(r));
    }
  }

  // Sleep until a child ends, a signal arrives, a deadline passes or it is time to poll.
  void wait() {
    double wait_s = 1.0;
    if (source.poll_interval_s() >= 0) wait_s = std::min(wait_s, source.poll_interval_s());
    const auto now = Clock::now();
    for (const auto& r : running) {
      if (r.term_sent)
        wait_s = std::min(wait_s, std::chrono::duration<double>(r.kill_at - now).count());
      else if (r.task.timeout_s > 0)
        wait_s = std::min(wait_s,
                          r.task.timeout_s - std::chrono::duration<double>(now - r.start).count());
    }
    const int wait_ms = static_cast<int>(std::clamp(wait_s * 1000.0, 0.0, 1000.0) + 0.999);
    struct pollfd pfd {
      g_wake_pipe[0], POLLIN, 0
    };
    ::poll(&pfd, 1, wait_ms);
    drain_wake_pipe();
  }

  // Reap. The group is killed first (while the leader's zombie still holds the group id),
  // so nothing a point started outlives it.
  void reap() {
    for (std::size_t i = 0; i < running.size();) {
      Running& r = running[i];
      siginfo_t info{};
      if (::waitid(P_PID, static_cast<id_t>(r.pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0 ||
          info.si_pid == 0) {
        ++i;
        continue;
      }
      ::kill(-r.pid, SIGKILL);
      int status = 0;
      ::waitpid(r.pid, &status, 0);
      const double wall = seconds_since(r.start);
      if (r.stopped) {
        ++stats.interrupted;  // no result: --resume runs it again
      } else {
        ChildOutcome o;
        o.exited = WIFEXITED(status);
        o.code = o.exited ? WEXITSTATUS(status) : WTERMSIG(status);
        o.timed_out = r.timed_out;
        o.wall_time_s = wall;
        o.timeout_s = r.task.timeout_s;
        source.finished(make_result(r.task, o));
      }
      running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }

  // Timeouts: SIGTERM to the group, SIGKILL after the grace period.
  void enforce_timeouts() {
    const auto later = Clock::now();
    for (auto& r : running) {
      if (!r.term_sent && r.task.timeout_s > 0 &&
          std::chrono::duration<double>(later - r.start).count() >= r.task.timeout_s) {
        r.timed_out = true;
        terminate_group(r, options.kill_grace_s);
      } else if (r.term_sent && later >= r.kill_at) {
        ::kill(-r.pid, SIGKILL);
      }
    }
  }

  TaskSource& source;
  const RunnerOptions& options;
  const std::size_t jobs;
  RunnerStats stats;
  std::vector<Running> running;
  bool stopping = false;
  int handled_stop_count = 0;
};

}  // namespace

RunnerStats run_tasks(TaskSource& source, const RunnerOptions& options) {
  return Runner(source, options).run();
}

// ---- the local driver --------------------------------------------------------------------

std::string default_out_dir(const std::string& spec_file) {
  return (fs::path("out") / "sweeps" / fs::path(spec_file).stem()).string();
}

void print_dry_run(const SweepOptions& options) {
  SweepSpec spec = load_spec(options.spec_file);
  validate_spec(spec);
  const fs::path out =
      fs::absolute(options.out_dir.empty() ? default_out_dir(options.spec_file) : options.out_dir);
  const std::string exe = options.salvo_exe.empty() ? self_executable() : options.salvo_exe;
  std::size_t n = 0;
  for (const auto& p : expand(spec)) {
    if (options.shard_count > 0 &&
        static_cast<int>(p.index % options.shard_count) != options.shard_index)
      continue;
    std::string line = p.id;
    for (const auto& a : resolve_salvo(command_line(spec, p, point_dir(out, p.id).string()), exe))
      line += " " + (a.find_first_of(" \t'\"") == std::string::npos ? a : "'" + a + "'");
    std::printf("%s\n", line.c_str());
    ++n;
  }
  std::fflush(stdout);
  std::fprintf(stderr, "sweep: %zu points (dry run: nothing started)\n", n);
}

namespace {

// A directory that holds results of another sweep is refused (exit 2) before anything in it
// changes: results of two specs must never share a sweep.csv. More seeds and more axis values
// are the one way a finished sweep grows (docs/sweeps.md).
void check_same_sweep(const fs::path& out, const Manifest& now) {
  const fs::path file = out / "sweep.json";
  if (!fs::exists(file)) return;
  Manifest before;
  try {
    std::ifstream in(file);
    before = Manifest::from_json(nlohmann::json::parse(in));
  } catch (const std::exception& e) {
    throw UserError(
        fmt::format("--out {}: {} is not a sweep manifest ({}) (allowed: a sweep's "
                    "own output directory, or a new one)",
                    out.string(), file.string(), e.what()));
  }
  const std::string conflict = resume_conflict(before, now);
  if (conflict.empty()) {
    if (before.identity_hash.empty())
      spdlog::warn("sweep: {} predates spec hashes: cannot check that it is the same sweep",
                   file.string());
    return;
  }
  const bool has_results =
      std::any_of(before.points.begin(), before.points.end(),
                  [&](const Point& p) { return fs::exists(point_result_file(out, p.id)); });
  if (!has_results) return;  // nothing to mix with
  throw UserError(fmt::format(
      "--out {}: holds results of a different sweep ({}) (allowed: the same spec with more "
      "seeds or more axis values, see docs/sweeps.md; or another --out)",
      out.string(), conflict));
}

}  // namespace

PreparedSweep prepare_sweep(const SweepOptions& options) {
  PreparedSweep s;
  s.spec = load_spec(options.spec_file);
  validate_spec(s.spec);  // before the output directory is touched
  if (options.timeout_s >= 0) s.spec.timeout_s = options.timeout_s;
  s.out =
      fs::absolute(options.out_dir.empty() ? default_out_dir(options.spec_file) : options.out_dir)
          .lexically_normal();
  std::error_code ec;
  fs::create_directories(s.out / "points", ec);
  if (ec)
    throw UserError(fmt::format("--out {}: cannot create ({})", s.out.string(), ec.message()));

  // Shards share the directory; a whole sweep (or an MPI rank 0) has it to itself.
  const bool shard = options.shard_count > 0;
  const int lock_fd = ::open((s.out / ".sweep.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd >= 0)
    s.lock = std::shared_ptr<int>(new int(lock_fd), [](int* fd) {
      ::close(*fd);
      delete fd;
    });
  if (lock_fd >= 0 && ::flock(lock_fd, (shard ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0 &&
      errno == EWOULDBLOCK)
    throw UserError(
        fmt::format("--out {}: another salvo sweep is writing there (allowed: wait for "
                    "it, or choose another --out)",
                    s.out.string()));

  // Temporaries of writers killed mid-write (never under a final name): gone once nobody
  // else can be writing.
  if (!shard) {
    std::vector<fs::path> stale;
    for (const auto& entry : fs::directory_iterator(s.out, ec))
      if (entry.path().filename().string().find(".tmp.") != std::string::npos)
        stale.push_back(entry.path());
    for (const auto& p : stale) fs::remove(p, ec);
  }

  s.manifest = Manifest::from_spec(s.spec);
  check_same_sweep(s.out, s.manifest);
  write_atomic(s.out / "sweep.json", s.manifest.to_json().dump(1) + "\n");
  {
    std::ifstream in(options.spec_file);
    std::stringstream text;
    text << in.rdbuf();
    write_atomic(s.out / "spec.yaml", text.str());
  }

  std::vector<Point> mine;
  for (const auto& p : s.manifest.points)
    if (!shard || static_cast<int>(p.index % options.shard_count) == options.shard_index)
      mine.push_back(p);
  s.points = mine.size();
  const fs::path csv = shard ? s.out / fmt::format("sweep.shard-{}-of-{}.csv", options.shard_index,
                                                   options.shard_count)
                             : s.out / "sweep.csv";
  s.table = std::make_unique<ResultTable>(s.out, csv, column_keys(s.spec));
  const std::size_t found = s.table->load_existing(mine);
  if (found > 0 && !options.resume && !shard)
    throw UserError(fmt::format(
        "--out {}: holds results of {} of the {} points already (allowed: --resume to run only "
        "the missing points, or another --out)",
        s.out.string(), found, mine.size()));
  if (options.retry_failed) {
    std::vector<std::size_t> redo;
    for (const auto& [index, r] : s.table->results())
      if (r.status != "ok") redo.push_back(index);
    for (auto index : redo) s.table->forget(index);
  }
  for (const auto& p : mine) {
    if (s.table->has(p.index)) continue;
    Task t;
    t.point = p;
    t.dir = point_dir(s.out, p.id).string();
    t.argv = command_line(s.spec, p, t.dir);
    t.timeout_s = s.spec.timeout_s;
    s.pending.push_back(std::move(t));
  }
  s.table->rewrite_csv();
  return s;
}

int finish_sweep(const PreparedSweep& s, const RunnerStats& stats, const SweepOptions& options) {
  std::size_t ok = 0, failed = 0, timeout = 0;
  std::vector<const PointResult*> bad;
  for (const auto& [index, r] : s.table->results()) {
    if (r.status == "ok") {
      ++ok;
    } else {
      r.status == "timeout" ? ++timeout : ++failed;
      bad.push_back(&r);
    }
  }
  const std::size_t missing = s.points - s.table->results().size();
  const std::string csv =
      s.out.string() + (options.shard_count > 0 ? "/sweep.shard-*.csv" : "/sweep.csv");
  std::fprintf(stderr,
               "sweep: %zu points: %zu ok, %zu failed, %zu timeout, %zu not run; results in %s\n",
               s.points, ok, failed, timeout, missing, csv.c_str());
  for (std::size_t i = 0; i < bad.size() && i < 5; ++i)
    std::fprintf(stderr, "  %s %s: %s (log: %s/stderr.log)\n", bad[i]->id.c_str(),
                 bad[i]->status.c_str(), bad[i]->error.c_str(),
                 point_dir(s.out, bad[i]->id).c_str());
  if (bad.size() > 5) std::fprintf(stderr, "  ... and %zu more (see the csv)\n", bad.size() - 5);
  const std::string resume =
      fmt::format("salvo sweep {} --out {} --resume", options.spec_file, s.out.string());
  if (stats.stop_signal != 0) {
    std::fprintf(stderr, "salvo sweep: interrupted by %s; `%s` runs the remaining %zu points\n",
                 signal_name(stats.stop_signal).c_str(), resume.c_str(), missing);
    return 128 + stats.stop_signal;
  }
  if (!stats.abort_reason.empty()) {
    std::fprintf(stderr, "salvo sweep: stopped early: %s; fix it, then `%s --retry-failed`\n",
                 stats.abort_reason.c_str(), resume.c_str());
    return 1;
  }
  if (ok == 0 && (failed + timeout) > 0) {
    std::fprintf(stderr, "salvo sweep: every point failed\n");
    return 1;
  }
  return 0;
}

void prepare_child_environment() {
  // One python start per point to draw a run's plots would cost more than many runs; the
  // sweep has `salvo report`. Exporting SALVO_NO_PLOTS=0 keeps them.
  ::setenv("SALVO_NO_PLOTS", "1", 0);
}

int run_sweep(const SweepOptions& options) {
  if (options.retry_failed && !options.resume)
    throw OptionError("sweep", "--retry-failed",
                      "reruns failed points of an earlier run, so it needs --resume",
                      "--resume --retry-failed");
  prepare_child_environment();
  if (options.mpi) {
    ::setenv("SALVO_THREADS", "1", 0);  // one rank per core is the usual MPI layout
    return run_sweep_mpi(options);
  }
  if (options.dry_run) {
    print_dry_run(options);
    return 0;
  }
  PreparedSweep s = prepare_sweep(options);
  const std::size_t jobs = options.jobs > 0 ? options.jobs : available_cpus();
  // The points share the CPUs: each run gets its share of threads (unless exported).
  ::setenv("SALVO_THREADS",
           std::to_string(std::max<std::size_t>(1, available_cpus() / jobs)).c_str(), 0);
  if (s.pending.empty()) {
    std::fprintf(stderr, "sweep: nothing to run: all %zu points have a result\n", s.points);
    return finish_sweep(s, RunnerStats{}, options);
  }
  spdlog::info("sweep: {} of {} points to run, {} at a time, output in {}", s.pending.size(),
               s.points, jobs, s.out.string());
  SweepProgress progress(s.pending.size(), spdlog::get_level() <= spdlog::level::info);
  Recorder recorder(*s.table, progress);
  LocalSource source(std::deque<Task>(s.pending.begin(), s.pending.end()), recorder);
  RunnerOptions ro;
  ro.jobs = jobs;
  ro.salvo_exe = options.salvo_exe.empty() ? self_executable() : options.salvo_exe;
  ro.progress = &progress;
  RunnerStats stats;
  {
    SignalGuard guard;
    stats = run_tasks(source, ro);
  }
  s.table->rewrite_csv();
  return finish_sweep(s, stats, options);
}

}  // namespace salvo::sweep
