// Results of a sweep on disk. The source of truth is one small JSON file per finished point
// (OUT/points/<id>/sweep_point.json, written atomically); sweep.csv is derived from them: a
// row is appended with a single write() when a point finishes, and the file is rewritten
// atomically (temporary + rename) whenever its columns change and at the end. So no kill
// leaves a broken row, and `--resume` rebuilds the CSV from the JSON files without duplicates.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "emulator/sweep/sweep_spec.hpp"

namespace salvo::sweep {

namespace fs = std::filesystem;

// What became of one point.
struct PointResult {
  std::size_t index = 0;
  std::string id;
  std::string condition;
  std::vector<std::string> axis_values;
  std::uint64_t seed = 0;
  std::string status;  // "ok", "failed" or "timeout"
  int exit_code = -1;  // the child's exit code; 128 + signal when a signal ended it
  std::string signal;  // "SIGSEGV" when a signal ended it, else ""
  double wall_time_s = 0;
  std::string error;        // one line: why it failed (signal, timeout, last stderr line)
  std::string stderr_tail;  // the last lines of its stderr
  std::string host;
  // metrics.<name> and summary.<path> from its summary.json, as CSV text, sorted by name.
  std::vector<std::pair<std::string, std::string>> values;

  nlohmann::json to_json() const;
  static PointResult from_json(const nlohmann::json& j);
};

// The manifest OUT/sweep.json: what the sweep is (axes, conditions, points), so that
// `salvo report` and a merge of shards need only the output directory.
struct Manifest {
  std::string spec_file;
  std::vector<std::string> axis_keys;
  std::vector<std::string> conditions;
  std::vector<Point> points;
  // spec_identity() of the spec and its stable_hash; null/empty in manifests written before
  // salvo kept them.
  nlohmann::json identity;
  std::string identity_hash;

  nlohmann::json to_json() const;
  static Manifest from_json(const nlohmann::json& j);
  static Manifest from_spec(const SweepSpec& spec);
};

// Whether a sweep described by `now` may continue in a directory whose manifest is `before`:
// only when both have the same identity and `now` keeps every point of `before` (more seeds,
// more axis values). Returns "" if so, else what differs (one line).
std::string resume_conflict(const Manifest& before, const Manifest& now);

// Flattens a summary.json into (column, CSV text): every number (and boolean, as 0/1) under
// "metrics" as metrics.<path>, strings there as text; numbers elsewhere (bus, ppu, spikes,
// emulated_time_us, ...) as summary.<path>, except the chip/experiment descriptions and seed.
std::vector<std::pair<std::string, std::string>> flatten_summary(const nlohmann::json& summary);

// Quotes a CSV field when it must be (comma, quote, newline).
std::string csv_field(const std::string& text);
// Splits CSV text into rows of fields (RFC 4180 quoting).
std::vector<std::vector<std::string>> parse_csv(const std::string& text);

// Paths inside a sweep output directory.
fs::path point_dir(const fs::path& out, const std::string& id);
fs::path point_result_file(const fs::path& out, const std::string& id);

// Writes `content` to `path` atomically: a unique temporary in the same directory + rename.
void write_atomic(const fs::path& path, const std::string& content);

// The finished points of a sweep and its CSV file.
class ResultTable {
 public:
  ResultTable(fs::path out_dir, fs::path csv_path, std::vector<std::string> axis_keys);

  // Reads every sweep_point.json of `points` that exists; returns how many it found.
  std::size_t load_existing(const std::vector<Point>& points);
  bool has(std::size_t index) const { return results_.count(index) != 0; }
  const std::map<std::size_t, PointResult>& results() const { return results_; }

  // Records a finished point: its JSON file (when write_json), then its CSV row.
  void record(const PointResult& result, bool write_json = true);
  // Forgets a point (used by --retry-failed before it runs again).
  void forget(std::size_t index);
  // Rewrites the CSV from all results, in spec order.
  void rewrite_csv();

  std::vector<std::string> header() const;

 private:
  std::string row(const PointResult& r) const;
  void append_line(const std::string& line);

  fs::path out_;
  fs::path csv_;
  std::vector<std::string> axis_keys_;
  std::vector<std::string> value_columns_;  // metrics.* then summary.*, sorted
  std::map<std::size_t, PointResult> results_;
  int append_fd_ = -1;

 public:
  ResultTable(const ResultTable&) = delete;
  ResultTable& operator=(const ResultTable&) = delete;
  ~ResultTable();
};

}  // namespace salvo::sweep
