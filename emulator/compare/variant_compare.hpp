// `salvo compare`: two chip variants on the same experiment and seeds, side by side — per
// figure the median and interquartile range over the seeds for each variant and the ratio
// of the medians (B / A); metrics, processor load, energy, power and area. Every run is its
// own `salvo run` process (one SystemC kernel each). Written to OUT/compare.txt (the table
// printed), OUT/compare.csv and OUT/compare.png (tools/plot_compare.py); the runs stay in
// OUT/<variant>/s<seed>.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace salvo::compare {

struct CompareOptions {
  std::string chip_a, chip_b;
  std::string experiment;  // "" = salvo run's default
  std::vector<std::uint64_t> seeds{1};
  std::vector<std::string> sets;  // --set overrides for every run
  std::string out_dir;            // "" = out/compare/<a>_vs_<b>
  std::string salvo_exe;          // "" = this executable
  bool plots = true;
};

// One figure of one variant over the seeds that produced it.
struct FigureStats {
  std::size_t n = 0;
  double median = 0, q1 = 0, q3 = 0;
};

struct CompareRow {
  std::string figure;
  FigureStats a, b;
};

// The numbers of one run's summary.json that a comparison shows, by name: metrics.<m>,
// ppu.busy_fraction, cost.energy_uJ.<block>, cost.power_mW, cost.static_power_mW,
// cost.area_mm2.total.
std::map<std::string, double> comparable_figures(const std::string& summary_json_text);

// Rows for every figure either variant has (sorted by name).
std::vector<CompareRow> compare_rows(const std::vector<std::map<std::string, double>>& runs_a,
                                     const std::vector<std::map<std::string, double>>& runs_b);

// The text table.
std::string format_table(const std::string& label_a, const std::string& label_b,
                         const std::vector<CompareRow>& rows);

// Runs everything and writes the outputs; returns the exit code (1 if a variant has no
// finished run).
int run_compare(const CompareOptions& options);

}  // namespace salvo::compare
