// Helpers for the sweep tests: a scratch directory, specs that use the stand-in `salvo run`
// (tests/sweep/standin_run.sh), running the real build/bin/salvo, reading sweep.csv.
#pragma once

#include <signal.h>
#include "salvo_paths.hpp"
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "emulator/sweep/sweep_results.hpp"

namespace sweep_test {

namespace fs = std::filesystem;

inline const std::string kSalvo = std::string(SALVO_BIN_DIR) + "/salvo";
inline const std::string kStandin = std::string(SALVO_SOURCE_DIR) + "/tests/sweep/standin_run.sh";

// A fresh directory under /tmp, removed at the end of the test.
class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = (fs::temp_directory_path() / "salvo-sweep-test-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) std::abort();
    path = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path path;
};

inline void write_text(const fs::path& file, const std::string& text) {
  std::ofstream(file) << text;
}

inline std::string read_text(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Result {
  int code = -1;
  std::string output;  // stdout + stderr
};

// Runs a shell command line, capturing its output.
inline Result run(const std::string& command) {
  Result r;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  const int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

// Starts a shell command line in the background (its output into `log`).
inline pid_t start(const std::string& command, const fs::path& log) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const std::string cmd = "exec " + command + " >'" + log.string() + "' 2>&1";
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

inline int wait_exit(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Whether a process runs (a zombie does not count).
inline bool alive(const std::string& pid_text) {
  const std::string pid = pid_text.substr(0, pid_text.find_first_of("\n "));
  if (pid.empty()) return false;
  const std::string stat = read_text("/proc/" + pid + "/stat");
  const auto paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

// Number of points with a result file.
inline std::size_t results_on_disk(const fs::path& out) {
  std::size_t n = 0;
  std::error_code ec;
  if (!fs::is_directory(out / "points")) return 0;
  for (const auto& d : fs::directory_iterator(out / "points", ec))
    n += fs::exists(d.path() / "sweep_point.json");
  return n;
}

// Waits (up to `limit_s`) until at least `n` points have results.
inline bool wait_for_results(const fs::path& out, std::size_t n, double limit_s = 20) {
  const auto t0 = std::chrono::steady_clock::now();
  while (results_on_disk(out) < n) {
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > limit_s)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// sweep.csv as header + rows keyed by id; `drop` names columns to leave out (wall times).
struct Csv {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::map<std::string, std::map<std::string, std::string>> by_id;
};

inline Csv read_csv(const fs::path& file) {
  Csv c;
  auto rows = salvo::sweep::parse_csv(read_text(file));
  if (rows.empty()) return c;
  c.header = rows.front();
  for (std::size_t r = 1; r < rows.size(); ++r) {
    c.rows.push_back(rows[r]);
    std::map<std::string, std::string> m;
    for (std::size_t i = 0; i < rows[r].size() && i < c.header.size(); ++i)
      m[c.header[i]] = rows[r][i];
    c.by_id[rows[r][0]] = m;
  }
  return c;
}

// Rows without the columns that differ between two runs of the same sweep.
inline std::map<std::string, std::map<std::string, std::string>> comparable(const Csv& c) {
  auto m = c.by_id;
  for (auto& [id, row] : m) {
    row.erase("wall_time_s");
  }
  return m;
}

}  // namespace sweep_test
