#include "emulator/compare/variant_compare.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "emulator/config/config.hpp"
#include "emulator/output/run_output.hpp"
#include "emulator/sweep/sweep_report.hpp"
#include "emulator/sweep/sweep_runner.hpp"
#include "hw/common/error.hpp"
#include "salvo_paths.hpp"

namespace salvo::compare {
namespace fs = std::filesystem;
namespace {

void add_number(std::map<std::string, double>& out, const std::string& name,
                const nlohmann::json& v) {
  if (v.is_number()) out[name] = v.get<double>();
}

// Runs `argv` with stdout and stderr in `log`; returns the exit code (-1: did not run).
int run_child(const std::vector<std::string>& argv, const fs::path& log) {
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    ::execv(argv[0].c_str(), cargv.data());
    ::_exit(127);
  }
  ::close(fd);
  if (pid < 0) return -1;
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

FigureStats stats_of(std::vector<double> v) {
  FigureStats s;
  s.n = v.size();
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.median = sweep::quantile_sorted(v, 0.5);
  s.q1 = sweep::quantile_sorted(v, 0.25);
  s.q3 = sweep::quantile_sorted(v, 0.75);
  return s;
}

std::string label_of(const std::string& chip_file, const std::string& fallback) {
  const std::string stem = fs::path(chip_file).stem().string();
  return stem.empty() ? fallback : stem;
}

// Every run of one variant: its figures (failed runs are reported and left out).
std::vector<std::map<std::string, double>> run_variant(const CompareOptions& o,
                                                       const std::string& chip,
                                                       const fs::path& dir) {
  std::vector<std::map<std::string, double>> runs;
  const std::string exe = o.salvo_exe.empty() ? sweep::self_executable() : o.salvo_exe;
  for (const std::uint64_t seed : o.seeds) {
    const fs::path out = dir / fmt::format("s{}", seed);
    fs::create_directories(out);
    std::vector<std::string> argv = {
        exe,     "-q",         "run",       "--chip", chip, "--seed", std::to_string(seed),
        "--out", out.string(), "--no-plots"};
    if (!o.experiment.empty()) argv.insert(argv.end(), {"--experiment", o.experiment});
    for (const auto& s : o.sets) argv.insert(argv.end(), {"--set", s});
    const int code = run_child(argv, out / "run.log");
    const fs::path summary = out / "summary.json";
    if (code != 0 || !fs::exists(summary)) {
      spdlog::warn("compare: {} seed {} failed (exit {}), see {}", chip, seed, code,
                   (out / "run.log").string());
      continue;
    }
    std::ifstream in(summary);
    std::stringstream ss;
    ss << in.rdbuf();
    runs.push_back(comparable_figures(ss.str()));
  }
  return runs;
}

void write_csv(const fs::path& path, const std::vector<CompareRow>& rows) {
  output::CsvWriter csv(path, {"figure", "a_n", "a_median", "a_q1", "a_q3", "b_n", "b_median",
                               "b_q1", "b_q3", "ratio_b_over_a"});
  for (const auto& r : rows) {
    const double ratio = r.a.median != 0 ? r.b.median / r.a.median : NAN;
    csv.row(r.figure, r.a.n, r.a.median, r.a.q1, r.a.q3, r.b.n, r.b.median, r.b.q1, r.b.q3, ratio);
  }
  csv.close();
}

std::string render_plot(const fs::path& dir, const std::string& a, const std::string& b) {
  const std::string python = output::find_plot_python();
  if (python.empty()) return "plot skipped: no python3 with matplotlib (run scripts/setup)";
  const fs::path script = fs::path(SALVO_SOURCE_DIR) / "tools" / "plot_compare.py";
  const std::string cmd = fmt::format("MPLBACKEND=Agg {} '{}' '{}' '{}' '{}' 2>&1", python,
                                      script.string(), dir.string(), a, b);
  std::string out;
  if (std::FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[512];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    if (::pclose(p) == 0) return "";
  }
  return "plotting failed: " + out;
}

}  // namespace

std::map<std::string, double> comparable_figures(const std::string& text) {
  std::map<std::string, double> out;
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return out;
  if (j.contains("metrics"))
    for (const auto& [k, v] : j["metrics"].items()) add_number(out, "metrics." + k, v);
  if (j.contains("ppu"))
    add_number(out, "ppu.busy_fraction", j["ppu"].value("busy_fraction", nlohmann::json()));
  if (j.contains("cost")) {
    const auto& c = j["cost"];
    for (const auto& [k, v] : c["energy_uJ"].items()) add_number(out, "cost.energy_uJ." + k, v);
    add_number(out, "cost.power_mW", c["power_mW"]);
    add_number(out, "cost.static_power_mW", c["static_power_mW"]);
    add_number(out, "cost.area_mm2.total", c["area_mm2"]["total"]);
  }
  return out;
}

std::vector<CompareRow> compare_rows(const std::vector<std::map<std::string, double>>& runs_a,
                                     const std::vector<std::map<std::string, double>>& runs_b) {
  std::set<std::string> names;
  for (const auto* runs : {&runs_a, &runs_b})
    for (const auto& r : *runs)
      for (const auto& [k, v] : r) names.insert(k);
  auto column = [](const std::vector<std::map<std::string, double>>& runs,
                   const std::string& name) {
    std::vector<double> v;
    for (const auto& r : runs) {
      const auto it = r.find(name);
      if (it != r.end() && std::isfinite(it->second)) v.push_back(it->second);
    }
    return stats_of(v);
  };
  std::vector<CompareRow> rows;
  for (const auto& n : names) rows.push_back({n, column(runs_a, n), column(runs_b, n)});
  return rows;
}

std::string format_table(const std::string& label_a, const std::string& label_b,
                         const std::vector<CompareRow>& rows) {
  std::size_t w = 6;
  for (const auto& r : rows) w = std::max(w, r.figure.size());
  auto cell = [](const FigureStats& s) {
    if (s.n == 0) return std::string("-");
    return fmt::format("{:.4g} [{:.4g}, {:.4g}]", s.median, s.q1, s.q3);
  };
  std::string t = fmt::format("{:<{}}  {:<34}  {:<34}  {}\n", "figure", w,
                              label_a + " median [IQR]", label_b + " median [IQR]", "B/A");
  for (const auto& r : rows) {
    const std::string ratio =
        r.a.n && r.b.n && r.a.median != 0 ? fmt::format("{:.3g}", r.b.median / r.a.median) : "-";
    t += fmt::format("{:<{}}  {:<34}  {:<34}  {}\n", r.figure, w, cell(r.a), cell(r.b), ratio);
  }
  return t;
}

int run_compare(const CompareOptions& o) {
  for (const auto& f : {o.chip_a, o.chip_b})
    config::load_chip(f, {});  // a bad variant stops here, before anything runs
  std::string la = label_of(o.chip_a, "A"), lb = label_of(o.chip_b, "B");
  if (la == lb) la += "_A", lb += "_B";
  const fs::path dir =
      o.out_dir.empty() ? fs::path("out/compare") / (la + "_vs_" + lb) : fs::path(o.out_dir);
  fs::create_directories(dir);
  const auto runs_a = run_variant(o, o.chip_a, dir / la);
  const auto runs_b = run_variant(o, o.chip_b, dir / lb);
  const auto rows = compare_rows(runs_a, runs_b);
  const std::string table = fmt::format("salvo compare: {} ({} runs) vs {} ({} runs), seeds {}\n",
                                        la, runs_a.size(), lb, runs_b.size(), o.seeds.size()) +
                            format_table(la, lb, rows);
  output::write_file_atomic(dir / "compare.txt", table);
  write_csv(dir / "compare.csv", rows);
  std::fputs(table.c_str(), stdout);
  if (o.plots && !rows.empty()) {
    const std::string note = render_plot(dir, la, lb);
    if (!note.empty()) spdlog::warn("{}", note);
  }
  if (runs_a.empty() || runs_b.empty()) {
    spdlog::error("compare: {} has no finished run", runs_a.empty() ? la : lb);
    return 1;
  }
  return 0;
}

}  // namespace salvo::compare
