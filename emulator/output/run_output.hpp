// Run output directory: atomic files (write a temporary, then rename), CSV writers with a
// header row, the progress line, and the plotting step. A killed run never leaves a
// half-written file under its final name.
#pragma once

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace salvo::output {

namespace fs = std::filesystem;

// Writes `content` to `path` atomically (temporary in the same directory + rename).
void write_file_atomic(const fs::path& path, const std::string& content);
void write_json_atomic(const fs::path& path, const nlohmann::json& json);

// A CSV file written under a temporary name and renamed into place by close().
class CsvWriter {
 public:
  CsvWriter(const fs::path& path, const std::vector<std::string>& header);
  CsvWriter(const CsvWriter&) = delete;
  CsvWriter& operator=(const CsvWriter&) = delete;
  ~CsvWriter();

  template <typename... T>
  void row(const T&... values) {
    std::string line;
    (append(line, values), ...);
    line.back() = '\n';
    std::fputs(line.c_str(), file_);
  }
  void raw_row(const std::string& line);  // without the trailing newline
  void close();

 private:
  static void append(std::string& line, double v);
  static void append(std::string& line, float v) { append(line, static_cast<double>(v)); }
  static void append(std::string& line, int v) { line += std::to_string(v) + ","; }
  static void append(std::string& line, long v) { line += std::to_string(v) + ","; }
  static void append(std::string& line, long long v) { line += std::to_string(v) + ","; }
  static void append(std::string& line, unsigned v) { line += std::to_string(v) + ","; }
  static void append(std::string& line, unsigned long v) { line += std::to_string(v) + ","; }
  static void append(std::string& line, unsigned long long v) { line += std::to_string(v) + ","; }
  static void append(std::string& line, const std::string& v) { line += v + ","; }
  static void append(std::string& line, const char* v) { line += std::string(v) + ","; }

  fs::path path_;
  fs::path tmp_;
  std::FILE* file_ = nullptr;
};

// Progress on stderr for long runs: nothing for the first ~2 s; on a TTY an updating bar
// with ETA, otherwise a plain line every ~10 % (at most every 5 s).
class Progress {
 public:
  Progress(std::string label, double total, std::string unit);
  void update(double done);
  void set_total(double total) { total_ = total; }
  double total() const { return total_; }
  void finish();

 private:
  std::string label_, unit_;
  double total_;
  bool tty_;
  bool shown_ = false;
  double last_fraction_ = 0;
  std::chrono::steady_clock::time_point start_, last_print_;
};

// Renders the PNG plots of a run directory with tools/plot_run.py when a python3 with
// matplotlib exists; returns a note (empty on success) for the log otherwise.
std::string render_plots(const fs::path& dir);

// A python3 that can import matplotlib ("" if none): Debian's /usr/bin/python3 first.
std::string find_plot_python();

}  // namespace salvo::output
