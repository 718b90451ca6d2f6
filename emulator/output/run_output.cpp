#include "emulator/output/run_output.hpp"
#include "salvo_paths.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "hw/common/error.hpp"

namespace salvo::output {

void write_file_atomic(const fs::path& path, const std::string& content) {
  const fs::path tmp = path.string() + fmt::format(".tmp{}", ::getpid());
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f)
      throw UserError(fmt::format("{}: cannot write (check the --out directory)", tmp.string()));
    f << content;
    f.flush();
    if (!f) throw UserError(fmt::format("{}: write failed (disk full?)", tmp.string()));
  }
  fs::rename(tmp, path);
}

void write_json_atomic(const fs::path& path, const nlohmann::json& json) {
  write_file_atomic(path, json.dump(2) + "\n");
}

CsvWriter::CsvWriter(const fs::path& path, const std::vector<std::string>& header)
    : path_(path), tmp_(path.string() + fmt::format(".tmp{}", ::getpid())) {
  file_ = std::fopen(tmp_.c_str(), "w");
  if (!file_) throw UserError(fmt::format("{}: cannot write", tmp_.string()));
  std::string line;
  for (const auto& h : header) line += h + ",";
  line.back() = '\n';
  std::fputs(line.c_str(), file_);
}

CsvWriter::~CsvWriter() {
  if (file_) {
    std::fclose(file_);
    std::error_code ec;
    fs::remove(tmp_, ec);  // never finished: leave nothing under the final name
  }
}

void CsvWriter::raw_row(const std::string& line) {
  std::fputs(line.c_str(), file_);
  std::fputc('\n', file_);
}

void CsvWriter::append(std::string& line, double v) {
  // Shortest round-trip text keeps files small and exact.
  line += fmt::format("{},", v);
}

void CsvWriter::close() {
  if (!file_) return;
  const bool ok = std::fflush(file_) == 0;
  std::fclose(file_);
  file_ = nullptr;
  if (!ok) throw UserError(fmt::format("{}: write failed (disk full?)", tmp_.string()));
  fs::rename(tmp_, path_);
}

Progress::Progress(std::string label, double total, std::string unit)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      tty_(::isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_print_(start_) {}

void Progress::update(double done) {
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  // -q (warnings only) silences progress too.
  if (elapsed < 2.0 || total_ <= 0 || spdlog::get_level() > spdlog::level::info) return;
  const double fraction = std::min(1.0, done / total_);
  const double eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : 0;
  const double since = std::chrono::duration<double>(now - last_print_).count();
  if (tty_) {
    if (since < 0.2 && shown_) return;
    const int width = 30;
    const int filled = static_cast<int>(fraction * width);
    std::fprintf(stderr, "\r%s [%s%s] %3.0f%% %.0f/%.0f %s, ETA %.0f s ", label_.c_str(),
                 std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(),
                 fraction * 100, done, total_, unit_.c_str(), eta);
  } else {
    if (shown_ && fraction - last_fraction_ < 0.1 && since < 5.0) return;
    if (shown_ && since < 1.0) return;
    std::fprintf(stderr, "%s: %.0f%% (%.0f/%.0f %s), elapsed %.0f s, ETA %.0f s\n", label_.c_str(),
                 fraction * 100, done, total_, unit_.c_str(), elapsed, eta);
    last_fraction_ = fraction;
  }
  std::fflush(stderr);
  shown_ = true;
  last_print_ = now;
}

void Progress::finish() {
  if (shown_ && tty_) std::fputs("\n", stderr);
  shown_ = false;
}

std::string find_plot_python() {
  for (const char* candidate : {"/usr/bin/python3", "python3"}) {
    const std::string cmd = fmt::format("{} -c 'import matplotlib' >/dev/null 2>&1", candidate);
    if (std::system(cmd.c_str()) == 0) return candidate;
  }
  return "";
}

std::string render_plots(const fs::path& dir) {
  const std::string python = find_plot_python();
  if (python.empty()) return "plots skipped: no python3 with matplotlib (run scripts/setup)";
  const fs::path script = fs::path(SALVO_SOURCE_DIR) / "tools" / "plot_run.py";
  if (!fs::exists(script)) return fmt::format("plots skipped: {} not found", script.string());
  const std::string cmd =
      fmt::format("MPLBACKEND=Agg {} '{}' '{}' 2>&1", python, script.string(), dir.string());
  std::string out;
  if (std::FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[512];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    if (::pclose(p) == 0) return "";
  }
  return "plotting failed: " + out;
}

}  // namespace salvo::output
