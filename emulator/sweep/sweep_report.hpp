// `salvo report`: the statistics of a finished sweep. Points are grouped by condition and
// axis values (the seeds are the samples); for every metric each group gets n, mean with a
// 95 % confidence interval (Student t), standard deviation, median, quartiles, min and max.
// Written in long form to SWEEP_DIR/report.csv and plotted by tools/plot_report.py.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace salvo::sweep {

// Summary statistics of one sample.
struct SampleStats {
  std::size_t n = 0;
  double mean = 0, std_dev = 0;        // std_dev: sample (n - 1) standard deviation
  double ci95_low = 0, ci95_high = 0;  // mean -/+ t(0.975, n-1) * std_dev / sqrt(n); n >= 2
  double median = 0, q1 = 0, q3 = 0;   // quantiles by linear interpolation (numpy's default)
  double min = 0, max = 0;
};

// Quantile p in [0, 1] of sorted values: h = (n-1) p, interpolated between neighbours.
double quantile_sorted(const std::vector<double>& sorted, double p);
SampleStats summarize(std::vector<double> values);

// One sweep as a table: one row per finished point.
struct SweepTable {
  std::vector<std::string> axis_keys;
  std::vector<std::string> value_columns;  // numeric columns to summarise
  struct Row {
    std::string condition;
    std::vector<std::string> axis_values;
    std::string status;
    std::vector<std::string> values;  // parallel to value_columns ("" = missing)
  };
  std::vector<Row> rows;
};

// Reads a sweep directory: its per-point results when the manifest is there (and refreshes
// sweep.csv from them, which merges shards), else its sweep.csv.
SweepTable load_sweep(const std::string& dir);

struct ReportOptions {
  std::string dir;
  bool plots = true;
  std::string x_axis;     // "" = the first axis
  bool plot_all = false;  // also summary.* and wall_time_s, not only metrics.*
};

// Writes report.csv (and the plots); returns the exit code.
int run_report(const ReportOptions& options);

}  // namespace salvo::sweep
