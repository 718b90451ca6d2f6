#include "emulator/sweep/sweep_report.hpp"
#include "salvo_paths.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/math/distributions/students_t.hpp>

#include "emulator/output/run_output.hpp"
#include "emulator/sweep/sweep_results.hpp"
#include "hw/common/error.hpp"

namespace salvo::sweep {

namespace fs = std::filesystem;

double quantile_sorted(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return std::nan("");
  const double h = (static_cast<double>(sorted.size()) - 1) * p;
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

SampleStats summarize(std::vector<double> values) {
  SampleStats s;
  s.n = values.size();
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  double sum = 0;
  for (double v : values) sum += v;
  s.mean = sum / static_cast<double>(s.n);
  double ss = 0;
  for (double v : values) ss += (v - s.mean) * (v - s.mean);
  s.std_dev = s.n > 1 ? std::sqrt(ss / static_cast<double>(s.n - 1)) : 0;
  if (s.n > 1) {
    const boost::math::students_t t(static_cast<double>(s.n - 1));
    const double half =
        boost::math::quantile(t, 0.975) * s.std_dev / std::sqrt(static_cast<double>(s.n));
    s.ci95_low = s.mean - half;
    s.ci95_high = s.mean + half;
  } else {
    s.ci95_low = s.ci95_high = std::nan("");
  }
  s.median = quantile_sorted(values, 0.5);
  s.q1 = quantile_sorted(values, 0.25);
  s.q3 = quantile_sorted(values, 0.75);
  s.min = values.front();
  s.max = values.back();
  return s;
}

namespace {

bool parse_number(const std::string& text, double& out) {
  if (text.empty()) return false;
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size() && std::isfinite(out);
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

SweepTable from_results(const fs::path& dir) {
  const Manifest m = Manifest::from_json(nlohmann::json::parse(read_file(dir / "sweep.json")));
  ResultTable table(dir, dir / "sweep.csv", m.axis_keys);
  table.load_existing(m.points);
  // Refresh sweep.csv (merging shards and interrupted runs) unless a whole sweep is still
  // appending to it; shards write CSVs of their own, so they do not stand in the way.
  const int lock_fd = ::open((dir / ".sweep.lock").c_str(), O_RDWR | O_CLOEXEC);
  if (lock_fd < 0 || ::flock(lock_fd, LOCK_SH | LOCK_NB) == 0)
    table.rewrite_csv();
  else
    spdlog::warn(
        "report: a sweep is still running in {}: sweep.csv left to it, statistics of the "
        "points finished so far",
        dir.string());
  if (lock_fd >= 0) ::close(lock_fd);
  SweepTable t;
  t.axis_keys = m.axis_keys;
  const auto header = table.header();
  for (const auto& h : header)
    if (h.rfind("metrics.", 0) == 0 || h.rfind("summary.", 0) == 0) t.value_columns.push_back(h);
  t.value_columns.push_back("wall_time_s");
  for (const auto& [index, r] : table.results()) {
    SweepTable::Row row{r.condition, r.axis_values, r.status, {}};
    std::map<std::string, std::string> values(r.values.begin(), r.values.end());
    values["wall_time_s"] = fmt::format("{}", r.wall_time_s);
    for (const auto& c : t.value_columns) row.values.push_back(values.count(c) ? values[c] : "");
    t.rows.push_back(std::move(row));
  }
  return t;
}

SweepTable from_csv(const fs::path& csv) {
  const auto rows = parse_csv(read_file(csv));
  if (rows.empty())
    throw UserError(
        fmt::format("{}: empty (allowed: a sweep.csv written by salvo sweep)", csv.string()));
  const auto& h = rows.front();
  auto col = [&](const std::string& name) -> std::size_t {
    const auto it = std::find(h.begin(), h.end(), name);
    if (it == h.end())
      throw UserError(fmt::format(
          "{}: no column '{}' (allowed: a sweep.csv written by salvo sweep)", csv.string(), name));
    return static_cast<std::size_t>(it - h.begin());
  };
  const std::size_t c_condition = col("condition"), c_seed = col("seed"), c_status = col("status");
  SweepTable t;
  for (std::size_t i = c_condition + 1; i < c_seed; ++i) t.axis_keys.push_back(h[i]);
  std::vector<std::size_t> value_idx;
  for (std::size_t i = 0; i < h.size(); ++i)
    if (h[i] == "wall_time_s" || h[i].rfind("metrics.", 0) == 0 || h[i].rfind("summary.", 0) == 0) {
      t.value_columns.push_back(h[i]);
      value_idx.push_back(i);
    }
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const auto& row = rows[r];
    if (row.size() != h.size())
      throw UserError(fmt::format("{}: row {} has {} fields, the header {}", csv.string(), r + 1,
                                  row.size(), h.size()));
    SweepTable::Row out{row[c_condition], {}, row[c_status], {}};
    for (std::size_t i = c_condition + 1; i < c_seed; ++i) out.axis_values.push_back(row[i]);
    for (auto i : value_idx) out.values.push_back(row[i]);
    t.rows.push_back(std::move(out));
  }
  return t;
}

std::string num(double v) { return std::isfinite(v) ? fmt::format("{:.10g}", v) : ""; }

}  // namespace

SweepTable load_sweep(const std::string& dir_text) {
  const fs::path dir(dir_text);
  if (!fs::is_directory(dir))
    throw UserError(fmt::format(
        "{}: no such directory (allowed: the --out directory of a salvo sweep)", dir_text));
  if (fs::exists(dir / "sweep.json")) {
    try {
      return from_results(dir);
    } catch (const nlohmann::json::exception& e) {
      throw UserError(fmt::format("{}/sweep.json: unreadable ({})", dir_text, e.what()));
    }
  }
  if (fs::exists(dir / "sweep.csv")) return from_csv(dir / "sweep.csv");
  throw UserError(fmt::format(
      "{}: neither sweep.json nor sweep.csv (allowed: the --out directory of a salvo sweep)",
      dir_text));
}

namespace {

// Runs tools/<script> ARGS with `python`; 0, or 1 with a warning if it is missing or fails.
int run_plot_script(const std::string& python, const char* script, const std::string& args) {
  const fs::path path = fs::path(SALVO_SOURCE_DIR) / "tools" / script;
  if (!fs::exists(path)) {
    spdlog::warn("report: plots skipped: {} not found", path.string());
    return 0;
  }
  const std::string cmd = fmt::format("MPLBACKEND=Agg {} '{}' {}", python, path.string(), args);
  const int rc = std::system(cmd.c_str());
  if (rc != 0) {
    spdlog::warn("report: plotting failed (exit {}): {}", rc, cmd);
    return 1;
  }
  return 0;
}

// The metric plots (plot_report.py) and, if any point is ok, the runs' per-epoch / per-time
// curves (plot_curves.py: loss.csv, angle.csv, if they write any); 1 if one of them failed.
int draw_plots(const ReportOptions& options, const std::vector<std::string>& plotted, bool any_ok) {
  const std::string python = output::find_plot_python();
  if (python.empty()) {
    spdlog::warn(
        "report: plots skipped: no python3 with matplotlib (Debian: apt-get install "
        "python3-matplotlib)");
    return 0;
  }
  int status = 0;
  if (!plotted.empty()) {
    std::string args = fmt::format("'{}'", (fs::path(options.dir) / "report.csv").string());
    if (!options.x_axis.empty()) args += fmt::format(" --x '{}'", options.x_axis);
    args += " --metrics";
    for (const auto& m : plotted) args += fmt::format(" '{}'", m);
    status = run_plot_script(python, "plot_report.py", args);
  }
  if (any_ok)
    status = std::max(status,
                      run_plot_script(python, "plot_curves.py", fmt::format("'{}'", options.dir)));
  return status;
}

}  // namespace

int run_report(const ReportOptions& options) {
  const SweepTable t = load_sweep(options.dir);
  if (!options.x_axis.empty() &&
      std::find(t.axis_keys.begin(), t.axis_keys.end(), options.x_axis) == t.axis_keys.end()) {
    std::string allowed;
    for (const auto& a : t.axis_keys) allowed += (allowed.empty() ? "" : ", ") + a;
    throw UserError(fmt::format("salvo report: --x {}: not an axis of this sweep (allowed: {})",
                                options.x_axis,
                                allowed.empty() ? "none, the sweep has no axes" : allowed));
  }

  // Groups in order of first appearance (spec order: every group shows up with the first seed).
  std::vector<std::pair<std::string, std::vector<std::string>>> keys;
  std::map<std::pair<std::string, std::vector<std::string>>, std::vector<const SweepTable::Row*>>
      groups;
  for (const auto& row : t.rows) {
    auto key = std::make_pair(row.condition, row.axis_values);
    auto [it, inserted] = groups.try_emplace(key);
    if (inserted) keys.push_back(key);
    it->second.push_back(&row);
  }

  std::string text = "condition";
  for (const auto& a : t.axis_keys) text += "," + csv_field(a);
  text += ",metric,n,n_points,n_ok,mean,ci95_low,ci95_high,std,median,q1,q3,min,max\n";
  std::vector<std::string> plotted;
  for (std::size_t c = 0; c < t.value_columns.size(); ++c) {
    const std::string& metric = t.value_columns[c];
    bool numeric = false;
    for (const auto& key : keys) {
      const auto& rows = groups[key];
      std::vector<double> values;
      std::size_t n_ok = 0;
      for (const auto* row : rows) {
        if (row->status != "ok") continue;
        ++n_ok;
        double v = 0;
        if (parse_number(row->values[c], v)) values.push_back(v);
      }
      if (!values.empty()) numeric = true;
      const SampleStats s = summarize(values);
      text += csv_field(key.first);
      for (const auto& v : key.second) text += "," + csv_field(v);
      text += fmt::format(",{},{},{},{}", csv_field(metric), s.n, rows.size(), n_ok);
      if (s.n == 0)
        text += ",,,,,,,,,\n";
      else
        text += fmt::format(",{},{},{},{},{},{},{},{},{}\n", num(s.mean), num(s.ci95_low),
                            num(s.ci95_high), num(s.std_dev), num(s.median), num(s.q1), num(s.q3),
                            num(s.min), num(s.max));
    }
    if (numeric && (options.plot_all || metric.rfind("metrics.", 0) == 0))
      plotted.push_back(metric);
  }
  const fs::path dir(options.dir);
  write_atomic(dir / "report.csv", text);
  std::size_t ok = 0;
  for (const auto& r : t.rows) ok += r.status == "ok";
  std::fprintf(stderr, "report: %zu points (%zu ok) in %zu groups, %zu metrics -> %s\n",
               t.rows.size(), ok, keys.size(), t.value_columns.size(),
               (dir / "report.csv").c_str());

  return options.plots ? draw_plots(options, plotted, ok > 0) : 0;
}

}  // namespace salvo::sweep
