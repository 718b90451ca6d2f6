// `salvo compare` on two tiny variants (mini, and mini with a 32-byte vector unit) on a short
// SAL run: both variants run for every seed, the table has the metrics, processor load,
// energy and area, and the figures differ the way the variants do.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "emulator/compare/variant_compare.hpp"
#include "salvo_paths.hpp"

namespace fs = std::filesystem;

namespace {

const std::string kSrc = SALVO_SOURCE_DIR;

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST(Compare, TwoTinyVariantsSideBySide) {
  const fs::path dir = fs::temp_directory_path() / ("salvo_compare_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string mini = slurp(kSrc + "/configs/chips/mini.yaml");
  const auto at = mini.find("\nprocessor:\n");
  ASSERT_NE(at, std::string::npos);
  std::string vec = mini;
  vec.insert(at + 12, "  vector: {enabled: true, bytes: 32}\n");
  std::ofstream(dir / "mini-v32.yaml") << vec;
  const fs::path out = dir / "out";
  const std::string cmd =
      std::string(SALVO_BIN_DIR) + "/salvo -q compare " + kSrc + "/configs/chips/mini.yaml " +
      (dir / "mini-v32.yaml").string() + " --experiment " + kSrc +
      "/configs/experiments/sal-pair.yaml --seeds 1,2 --no-plots --out " + out.string() +
      " --set experiment.duration_us=20000 --set experiment.sensor_gain_calibration_us=0 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  std::string text;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p)) text += buf;
  const int status = ::pclose(p);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << text;
  EXPECT_EQ(slurp(out / "compare.txt"), text);
  for (const char* run : {"mini/s1", "mini/s2", "mini-v32/s1", "mini-v32/s2"})
    EXPECT_TRUE(fs::exists(out / run / "summary.json")) << run;
  // compare.csv: figure -> (a_n, a_median, b_n, b_median)
  std::map<std::string, std::vector<std::string>> rows;
  std::istringstream csv(slurp(out / "compare.csv"));
  std::string line;
  std::getline(csv, line);
  EXPECT_EQ(line, "figure,a_n,a_median,a_q1,a_q3,b_n,b_median,b_q1,b_q3,ratio_b_over_a");
  while (std::getline(csv, line)) {
    std::vector<std::string> f;
    std::stringstream ls(line);
    for (std::string c; std::getline(ls, c, ',');) f.push_back(c);
    rows[f[0]] = f;
  }
  for (const char* k : {"ppu.busy_fraction", "cost.energy_uJ.total", "cost.power_mW",
                        "cost.area_mm2.total", "cost.static_power_mW"}) {
    ASSERT_TRUE(rows.count(k)) << k;
    EXPECT_EQ(rows[k][1], "2") << k;
    EXPECT_EQ(rows[k][5], "2") << k;
  }
  bool has_metric = false;
  for (const auto& [k, v] : rows) has_metric = has_metric || k.rfind("metrics.", 0) == 0;
  EXPECT_TRUE(has_metric);
  auto median = [&](const char* k, int side) { return std::stod(rows[k][side ? 6 : 2]); };
  // The vector variant is larger, spends energy in its vector unit, the scalar one none.
  // (With one synapse per sensor row, as in sal-pair, the unit saves few cycles: the row's
  // CADC conversions dominate; docs/codesign.md.)
  EXPECT_GT(median("cost.area_mm2.total", 1), median("cost.area_mm2.total", 0));
  ASSERT_TRUE(rows.count("cost.energy_uJ.vector"));
  EXPECT_EQ(median("cost.energy_uJ.vector", 0), 0.0);
  EXPECT_GT(median("cost.energy_uJ.vector", 1), 0.0);
  fs::remove_all(dir);
}

TEST(Compare, RowsTakeMediansAndQuartilesPerVariant) {
  using salvo::compare::compare_rows;
  const std::vector<std::map<std::string, double>> a = {{{"x", 1}}, {{"x", 2}}, {{"x", 4}}};
  const std::vector<std::map<std::string, double>> b = {{{"x", 10}, {"y", 3}}};
  const auto rows = compare_rows(a, b);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].figure, "x");
  EXPECT_EQ(rows[0].a.n, 3u);
  EXPECT_DOUBLE_EQ(rows[0].a.median, 2.0);
  EXPECT_DOUBLE_EQ(rows[0].a.q1, 1.5);
  EXPECT_DOUBLE_EQ(rows[0].a.q3, 3.0);
  EXPECT_DOUBLE_EQ(rows[0].b.median, 10.0);
  EXPECT_EQ(rows[1].a.n, 0u);
  const auto figs = salvo::compare::comparable_figures(
      R"({"metrics": {"angle": 12.5, "label": "x"}, "ppu": {"busy_fraction": 0.25},
          "cost": {"energy_uJ": {"total": 3}, "power_mW": 1, "static_power_mW": 0.5,
                   "area_mm2": {"total": 2}}})");
  EXPECT_EQ(figs.size(), 6u);
  EXPECT_DOUBLE_EQ(figs.at("metrics.angle"), 12.5);
  EXPECT_DOUBLE_EQ(figs.at("cost.area_mm2.total"), 2.0);
}
