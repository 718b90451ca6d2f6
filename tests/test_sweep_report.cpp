// Sweep results and statistics without processes: quantiles, means and Student-t
// intervals against hand-computed values; CSV quoting; summary.json flattening; the
// result table's rows and atomic rewrites.
#include <gtest/gtest.h>

#include <cmath>

#include <fmt/format.h>

#include "emulator/sweep/sweep_report.hpp"
#include "emulator/sweep/sweep_results.hpp"
#include "tests/sweep/sweep_test_util.hpp"

using namespace salvo::sweep;

TEST(SweepStats, QuantilesInterpolateLikeNumpy) {
  const std::vector<double> v = {1, 2, 3, 4, 10};
  EXPECT_DOUBLE_EQ(quantile_sorted(v, 0.0), 1);
  EXPECT_DOUBLE_EQ(quantile_sorted(v, 0.25), 2);
  EXPECT_DOUBLE_EQ(quantile_sorted(v, 0.5), 3);
  EXPECT_DOUBLE_EQ(quantile_sorted(v, 0.75), 4);
  EXPECT_DOUBLE_EQ(quantile_sorted(v, 1.0), 10);
  // h = 3 * 0.25 = 0.75 between 1 and 2.
  EXPECT_DOUBLE_EQ(quantile_sorted({1, 2, 4, 8}, 0.25), 1.75);
  EXPECT_DOUBLE_EQ(quantile_sorted({1, 2, 4, 8}, 0.5), 3);
  EXPECT_DOUBLE_EQ(quantile_sorted({5}, 0.75), 5);
}

TEST(SweepStats, MeanStdAndStudentInterval) {
  const SampleStats s = summarize({10, 4, 1, 3, 2});  // unsorted on purpose
  EXPECT_EQ(s.n, 5u);
  EXPECT_DOUBLE_EQ(s.mean, 4);
  // Squares about the mean: 36 + 0 + 9 + 1 + 4 = 50; / (n - 1) = 12.5.
  EXPECT_NEAR(s.std_dev, std::sqrt(12.5), 1e-12);
  const double half = 2.7764451051977987 * std::sqrt(12.5) / std::sqrt(5.0);  // t(0.975, 4)
  EXPECT_NEAR(s.ci95_low, 4 - half, 1e-9);
  EXPECT_NEAR(s.ci95_high, 4 + half, 1e-9);
  EXPECT_DOUBLE_EQ(s.median, 3);
  EXPECT_DOUBLE_EQ(s.q1, 2);
  EXPECT_DOUBLE_EQ(s.q3, 4);
  EXPECT_DOUBLE_EQ(s.min, 1);
  EXPECT_DOUBLE_EQ(s.max, 10);
}

TEST(SweepStats, OneSampleHasNoIntervalAndNoneHasNothing) {
  const SampleStats one = summarize({2.5});
  EXPECT_EQ(one.n, 1u);
  EXPECT_DOUBLE_EQ(one.mean, 2.5);
  EXPECT_DOUBLE_EQ(one.std_dev, 0);
  EXPECT_TRUE(std::isnan(one.ci95_low));
  EXPECT_EQ(summarize({}).n, 0u);
}

TEST(SweepResults, CsvQuotingRoundTrips) {
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  const auto rows = parse_csv("x,y\n\"a,b\",\"l1\nl2\"\n,\"q\"\"\"\n");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1], (std::vector<std::string>{"a,b", "l1\nl2"}));
  EXPECT_EQ(rows[2], (std::vector<std::string>{"", "q\""}));
}

TEST(SweepResults, SummaryFlattensMetricsAndFigures) {
  const auto j = nlohmann::json::parse(R"({
    "salvo_version": "0.1", "chip": {"name": "ref", "neurons": 512}, "experiment": {"name": "e"},
    "seed": 3, "spikes": 10, "bus": {"events": 5, "dropped": 1}, "status": "ok",
    "metrics": {"angle_deg": 12.5, "ok": false, "curve": [1, 2], "nested": {"a": 1}, "name": "x"}})");
  const auto flat = flatten_summary(j);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"metrics.angle_deg", "12.5"}, {"metrics.name", "x"},        {"metrics.nested.a", "1"},
      {"metrics.ok", "0"},           {"summary.bus.dropped", "1"}, {"summary.bus.events", "5"},
      {"summary.spikes", "10"}};
  EXPECT_EQ(flat, expected);
}

TEST(SweepResults, TableAppendsRowsAndRewritesWhenColumnsGrow) {
  sweep_test::ScratchDir dir;
  ResultTable table(dir.path, dir.path / "sweep.csv", {"chip.x"});
  table.rewrite_csv();
  EXPECT_EQ(sweep_test::read_text(dir.path / "sweep.csv"),
            "id,condition,chip.x,seed,status,exit_code,signal,wall_time_s,error\n");
  PointResult a;
  a.index = 1;
  a.id = "x=1_s1";
  a.axis_values = {"1"};
  a.seed = 1;
  a.status = "failed";
  a.exit_code = 1;
  a.wall_time_s = 0.25;
  a.error = "bad, very";
  table.record(a);
  PointResult b = a;
  b.index = 0;
  b.id = "x=0_s1";
  b.axis_values = {"0"};
  b.status = "ok";
  b.exit_code = 0;
  b.error = "";
  b.values = {{"metrics.m", "3"}};
  table.record(b);  // a new column: rewritten, in spec order
  EXPECT_EQ(sweep_test::read_text(dir.path / "sweep.csv"),
            "id,condition,chip.x,seed,status,exit_code,signal,wall_time_s,error,metrics.m\n"
            "x=0_s1,,0,1,ok,0,,0.250,,3\n"
            "x=1_s1,,1,1,failed,1,,0.250,\"bad, very\",\n");
  PointResult c = b;
  c.index = 2;
  c.id = "x=2_s1";
  c.axis_values = {"2"};
  table.record(c);  // same columns: appended
  EXPECT_NE(sweep_test::read_text(dir.path / "sweep.csv")
                .find("\"bad, very\",\nx=2_s1,,2,1,ok,0,,0.250,,3\n"),
            std::string::npos);
  // The JSON files are the truth: a fresh table reads them back.
  ResultTable again(dir.path, dir.path / "other.csv", {"chip.x"});
  std::vector<Point> pts(3);
  for (int i = 0; i < 3; ++i) {
    pts[i].index = static_cast<std::size_t>(i);
    pts[i].id = fmt::format("x={}_s1", i);
  }
  EXPECT_EQ(again.load_existing(pts), 3u);
  again.rewrite_csv();
  EXPECT_EQ(sweep_test::read_csv(dir.path / "other.csv").rows,
            sweep_test::read_csv(dir.path / "sweep.csv").rows);
}
