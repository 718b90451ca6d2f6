// `salvo sweep` end to end, spawning the real build/bin/salvo with the stand-in run command
// tests/sweep/standin_run.sh: failure isolation (non-zero exit, crash), timeout, resume after
// SIGKILL of the sweep, SIGTERM, --shard, mpirun, and the report against hand-computed values.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include <fmt/format.h>

#include "emulator/output/run_output.hpp"
#include "tests/sweep/sweep_test_util.hpp"

using namespace sweep_test;

namespace {

// A spec over the stand-in; `body` adds axes, conditions, seeds, ...
fs::path write_spec(const ScratchDir& dir, const std::string& body,
                    const std::string& name = "spec.yaml") {
  const fs::path file = dir.path / name;
  write_text(file, "run_command: [" + kStandin + "]\n" + body);
  return file;
}

std::string sweep(const fs::path& spec, const fs::path& out, const std::string& extra = "") {
  return kSalvo + " sweep '" + spec.string() + "' --out '" + out.string() + "' " + extra;
}

// Every line of the CSV is a whole row: as many fields as the header.
void expect_well_formed(const fs::path& csv) {
  const auto rows = salvo::sweep::parse_csv(read_text(csv));
  ASSERT_FALSE(rows.empty());
  for (std::size_t i = 1; i < rows.size(); ++i)
    EXPECT_EQ(rows[i].size(), rows[0].size()) << "row " << i;
  const std::string text = read_text(csv);
  EXPECT_EQ(text.back(), '\n');
}

const char* kTwelve = R"(
seeds: {count: 3}
axes:
  chip.mismatch.scale: [0, 0.5, 1, 2]
set: {experiment.sleep_s: 0.05}
)";

}  // namespace

TEST(SweepRun, FailuresAreIsolatedAndNamed) {
  ScratchDir dir;
  const auto spec = write_spec(dir, R"(
seeds: [1, 2]
axes: {chip.mismatch.scale: [0.5]}
conditions:
  good: {experiment.behaviour: ok}
  bad: {experiment.behaviour: fail}
  crashy: {experiment.behaviour: crash}
  silent: {experiment.behaviour: nosummary}
)");
  const auto r = run(sweep(spec, dir.path / "out", "--jobs 2"));
  EXPECT_EQ(r.code, 0) << r.output;
  const Csv c = read_csv(dir.path / "out" / "sweep.csv");
  ASSERT_EQ(c.rows.size(), 8u);
  const std::vector<std::string> fixed = {"id",     "condition",   "chip.mismatch.scale",
                                          "seed",   "status",      "exit_code",
                                          "signal", "wall_time_s", "error"};
  EXPECT_TRUE(std::equal(fixed.begin(), fixed.end(), c.header.begin()));
  auto row = c.by_id.at("good_scale=0.5_s2");
  EXPECT_EQ(row["status"], "ok");
  EXPECT_EQ(row["exit_code"], "0");
  EXPECT_EQ(row["metrics.score"], "7");
  EXPECT_EQ(row["metrics.passed"], "1");
  EXPECT_EQ(row["metrics.label"], "a, \"quoted\" label");
  EXPECT_EQ(row["summary.bus.events"], "3");
  row = c.by_id.at("bad_scale=0.5_s1");
  EXPECT_EQ(row["status"], "failed");
  EXPECT_EQ(row["exit_code"], "1");
  EXPECT_EQ(row["error"], "salvo: the experiment's check failed: score 6 too low");
  EXPECT_EQ(row["metrics.score"], "6");  // a run that failed its check still measured
  row = c.by_id.at("crashy_scale=0.5_s2");
  EXPECT_EQ(row["status"], "failed");
  EXPECT_EQ(row["exit_code"], "139");
  EXPECT_EQ(row["signal"], "SIGSEGV");
  EXPECT_EQ(row["error"], "killed by SIGSEGV: standin: about to crash");
  row = c.by_id.at("silent_scale=0.5_s1");
  EXPECT_EQ(row["status"], "failed");
  EXPECT_EQ(row["error"], "exited 0 but wrote no summary.json");
  EXPECT_NE(
      read_text(dir.path / "out/points/crashy_scale=0.5_s1/stderr.log").find("about to crash"),
      std::string::npos);
  EXPECT_NE(r.output.find("8 points: 2 ok, 6 failed, 0 timeout, 0 not run"), std::string::npos)
      << r.output;
}

TEST(SweepRun, TimeoutKillsThePointsProcessGroup) {
  ScratchDir dir;
  const auto spec = write_spec(dir, R"(
seeds: [1]
conditions:
  quick: {}
  stuck: {experiment.behaviour: hang}
timeout_s: 0.3
)");
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = run(sweep(spec, dir.path / "out", "--jobs 2"));
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 10.0);
  const Csv c = read_csv(dir.path / "out" / "sweep.csv");
  EXPECT_EQ(c.by_id.at("quick_s1").at("status"), "ok");
  EXPECT_EQ(c.by_id.at("stuck_s1").at("status"), "timeout");
  EXPECT_EQ(c.by_id.at("stuck_s1").at("error"), "timed out after 0.3 s");
  EXPECT_EQ(c.by_id.at("stuck_s1").at("signal"), "SIGTERM");
  // Its `sleep 30` was in the point's process group and must be gone too.
  EXPECT_FALSE(alive(read_text(dir.path / "out/points/stuck_s1/sleep.pid")))
      << "a timed-out point left a process behind";
}

TEST(SweepRun, CommandLineTimeoutOverridesTheSpec) {
  ScratchDir dir;
  const auto spec =
      write_spec(dir, "conditions:\n  stuck: {experiment.behaviour: hang}\ntimeout_s: 100\n");
  const auto r = run(sweep(spec, dir.path / "out", "--timeout 0.2"));
  EXPECT_EQ(r.code, 1) << r.output;  // every point failed
  EXPECT_EQ(read_csv(dir.path / "out" / "sweep.csv").by_id.at("stuck_s1").at("status"), "timeout");
}

TEST(SweepRun, ResumeAfterKillGivesTheRowsOfAnUninterruptedRun) {
  ScratchDir dir;
  const auto spec = write_spec(dir, kTwelve);
  const auto full = run(sweep(spec, dir.path / "full", "--jobs 2"));
  ASSERT_EQ(full.code, 0) << full.output;

  const fs::path out = dir.path / "killed";
  const pid_t pid = start(sweep(spec, out, "--jobs 2"), dir.path / "killed.log");
  ASSERT_TRUE(wait_for_results(out, 4));
  ::kill(pid, SIGKILL);
  EXPECT_EQ(wait_exit(pid), 128 + SIGKILL);
  const std::size_t done_before = results_on_disk(out);
  EXPECT_LT(done_before, 12u) << "the sweep finished before it was killed";
  expect_well_formed(out / "sweep.csv");

  // Without --resume the directory is refused; with it only the missing points run.
  const auto refused = run(sweep(spec, out, "--jobs 2"));
  EXPECT_EQ(refused.code, 2);
  EXPECT_NE(refused.output.find("--resume"), std::string::npos) << refused.output;
  const auto resumed = run(sweep(spec, out, "--jobs 2 --resume"));
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find(fmt::format("{} of 12 points to run", 12 - done_before)),
            std::string::npos)
      << resumed.output;

  const Csv a = read_csv(dir.path / "full" / "sweep.csv"), b = read_csv(out / "sweep.csv");
  EXPECT_EQ(a.header, b.header);
  EXPECT_EQ(b.rows.size(), 12u);  // no duplicates
  EXPECT_EQ(comparable(a), comparable(b));
  // Same order too (spec order after the final rewrite).
  for (std::size_t i = 0; i < a.rows.size() && i < b.rows.size(); ++i)
    EXPECT_EQ(a.rows[i][0], b.rows[i][0]);

  // Resuming a complete sweep runs nothing and changes nothing.
  const auto again = run(sweep(spec, out, "--resume"));
  EXPECT_EQ(again.code, 0);
  EXPECT_NE(again.output.find("nothing to run"), std::string::npos);
  EXPECT_EQ(comparable(read_csv(out / "sweep.csv")), comparable(b));
}

TEST(SweepRun, SigtermStopsLaunchingKeepsFinishedAndResumeCompletes) {
  ScratchDir dir;
  const auto spec = write_spec(dir, kTwelve);
  const fs::path out = dir.path / "out";
  const pid_t pid = start(sweep(spec, out, "--jobs 2"), dir.path / "log");
  ASSERT_TRUE(wait_for_results(out, 2));
  ::kill(pid, SIGTERM);
  EXPECT_EQ(wait_exit(pid), 128 + SIGTERM);
  const std::string log = read_text(dir.path / "log");
  EXPECT_NE(log.find("interrupted by SIGTERM"), std::string::npos) << log;
  const Csv partial = read_csv(out / "sweep.csv");
  EXPECT_EQ(partial.rows.size(), results_on_disk(out));
  for (const auto& row : partial.rows) EXPECT_EQ(row[4], "ok");  // stopped points leave no row
  for (const auto& d : fs::directory_iterator(out / "points"))
    EXPECT_FALSE(alive(read_text(d.path() / "pid")))
        << "a stopped point left a process behind: " << d.path();
  ASSERT_EQ(run(sweep(spec, out, "--resume")).code, 0);
  EXPECT_EQ(read_csv(out / "sweep.csv").rows.size(), 12u);
}

TEST(SweepRun, ShardsFillOneDirectoryAndReportMergesThem) {
  ScratchDir dir;
  const auto spec = write_spec(dir, kTwelve);
  ASSERT_EQ(run(sweep(spec, dir.path / "whole", "--jobs 2")).code, 0);
  const fs::path out = dir.path / "sharded";
  // Three array tasks at once into the same directory.
  std::vector<pid_t> pids;
  for (int i = 0; i < 3; ++i)
    pids.push_back(start(sweep(spec, out, fmt::format("--jobs 1 --shard {}/3", i)),
                         dir.path / fmt::format("shard{}.log", i)));
  for (pid_t p : pids) EXPECT_EQ(wait_exit(p), 0);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(read_csv(out / fmt::format("sweep.shard-{}-of-3.csv", i)).rows.size(), 4u);
  // A repeated array task finds its slice done and runs nothing.
  const auto again = run(sweep(spec, out, "--shard 1/3"));
  EXPECT_EQ(again.code, 0);
  EXPECT_NE(again.output.find("nothing to run"), std::string::npos) << again.output;

  ASSERT_EQ(run(kSalvo + " report '" + out.string() + "' --no-plots").code, 0);
  EXPECT_EQ(comparable(read_csv(out / "sweep.csv")),
            comparable(read_csv(dir.path / "whole" / "sweep.csv")));
}

TEST(SweepRun, MpirunSpreadsPointsOverRanks) {
  if (run("command -v mpirun").code != 0)
    GTEST_SKIP() << "mpirun not installed (Debian: openmpi-bin)";
  ScratchDir dir;
  const auto spec = write_spec(dir, R"(
seeds: {count: 4}
axes: {chip.mismatch.scale: [0, 1]}
set: {experiment.sleep_s: 0.1}
)");
  ASSERT_EQ(run(sweep(spec, dir.path / "local", "--jobs 2")).code, 0);
  const fs::path out = dir.path / "mpi";
  // Containers lack the kernel's cross-memory attach; sm falls back to copies.
  const auto r =
      run("OMPI_MCA_btl_vader_single_copy_mechanism=none ASAN_OPTIONS=detect_leaks=0 "
          "mpirun -n 2 --oversubscribe --allow-run-as-root " +
          sweep(spec, out, "--mpi --jobs 1"));
  if (r.output.find("built without MPI") != std::string::npos)
    GTEST_SKIP() << "salvo built without MPI";
  ASSERT_EQ(r.code, 0) << r.output;
  const Csv c = read_csv(out / "sweep.csv");
  EXPECT_EQ(c.rows.size(), 8u);
  EXPECT_EQ(comparable(c), comparable(read_csv(dir.path / "local" / "sweep.csv")));
  // Each point's parent process was one rank: both ranks ran points.
  std::set<std::string> parents;
  for (const auto& [id, row] : c.by_id) parents.insert(read_text(out / "points" / id / "ppid"));
  EXPECT_EQ(parents.size(), 2u);
}

TEST(SweepRun, SystematicBadInputStopsEarly) {
  ScratchDir dir;
  const auto spec = write_spec(dir, "seeds: {count: 20}\nset: {experiment.behaviour: badinput}\n");
  const auto r = run(sweep(spec, dir.path / "out", "--jobs 1"));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(
      r.output.find("stopped early: the first 3 points all failed with exit code 2 (bad input)"),
      std::string::npos)
      << r.output;
  EXPECT_EQ(read_csv(dir.path / "out" / "sweep.csv").rows.size(), 3u);
}

TEST(SweepReport, StatisticsMatchHandComputedValues) {
  ScratchDir dir;
  // score = 10 x + seed, seeds 1..4: at x = 0.5 the sample is {6, 7, 8, 9}.
  const auto spec = write_spec(dir, R"(
seeds: {count: 4}
axes: {chip.mismatch.scale: [0.5, 2]}
conditions:
  a: {}
  b: {experiment.behaviour: ok}
)");
  const fs::path out = dir.path / "out";
  ASSERT_EQ(run(sweep(spec, out, "--jobs 2")).code, 0);
  const auto r = run(kSalvo + " report '" + out.string() + "'");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto rows = salvo::sweep::parse_csv(read_text(out / "report.csv"));
  const auto& h = rows[0];
  auto col = [&](const std::string& name) {
    return std::find(h.begin(), h.end(), name) - h.begin();
  };
  const std::vector<std::string>* score = nullptr;
  for (const auto& row : rows)
    if (row[0] == "a" && row[1] == "0.5" && row[2] == "metrics.score") score = &row;
  ASSERT_NE(score, nullptr);
  auto val = [&](const std::string& name) { return std::stod((*score)[col(name)]); };
  EXPECT_EQ((*score)[col("n")], "4");
  EXPECT_EQ((*score)[col("n_points")], "4");
  EXPECT_DOUBLE_EQ(val("mean"), 7.5);
  EXPECT_DOUBLE_EQ(val("median"), 7.5);
  EXPECT_DOUBLE_EQ(val("q1"), 6.75);
  EXPECT_DOUBLE_EQ(val("q3"), 8.25);
  EXPECT_DOUBLE_EQ(val("min"), 6);
  EXPECT_DOUBLE_EQ(val("max"), 9);
  const double sd = std::sqrt(5.0 / 3.0);  // sum of squares 5, n - 1 = 3
  EXPECT_NEAR(val("std"), sd, 1e-9);
  const double half = 3.182446305284263 * sd / 2.0;  // t(0.975, 3) s / sqrt(4)
  EXPECT_NEAR(val("ci95_low"), 7.5 - half, 1e-8);
  EXPECT_NEAR(val("ci95_high"), 7.5 + half, 1e-8);
  // 2 conditions x 2 axis values, one row per metric each.
  EXPECT_EQ(std::count_if(rows.begin(), rows.end(),
                          [](const auto& row) { return row[2] == "metrics.score"; }),
            4);
  if (!salvo::output::find_plot_python().empty()) {
    EXPECT_TRUE(fs::exists(out / "report_score.png")) << r.output;
  }
}

// Issue 12, class 8: --resume into a directory of another sweep is refused before anything
// there changes; more seeds and more axis values are the additive changes that may resume.
TEST(SweepRun, ResumeRefusesAnotherSpecAndAcceptsMoreSeedsAndValues) {
  ScratchDir dir;
  const fs::path out = dir.path / "out";
  const auto spec = write_spec(dir, "seeds: [1, 2]\naxes: {chip.mismatch.scale: [0, 1]}\n");
  ASSERT_EQ(run(sweep(spec, out)).code, 0);
  const std::string csv = read_text(out / "sweep.csv"), yaml = read_text(out / "spec.yaml");
  ASSERT_EQ(read_csv(out / "sweep.csv").rows.size(), 4u);

  const std::vector<std::pair<std::string, std::string>> others = {
      {"seeds: [1, 2]\naxes: {chip.mismatch.scale: [0, 1]}\nset: {experiment.sleep_s: 0.01}\n",
       "differs in: set"},
      {"seeds: [1, 2]\naxes: {chip.mismatch.scale: [0, 1]}\nconditions: {a: {}}\n",
       "differs in: conditions"},
      {"seeds: [1, 2]\naxes: {chip.mismatch.scale: [0]}\n", "drops 2 of its 4 points"},
      {"seeds: [2, 3]\naxes: {chip.mismatch.scale: [0, 1]}\n", "drops 2 of its 4 points"},
      {"seeds: [1, 2]\naxes: {chip.noise.membrane_mV_rms: [0, 1]}\n", "differs in: axes"},
  };
  for (const auto& [body, why] : others) {
    const auto other = write_spec(dir, body, "other.yaml");
    const auto r = run(sweep(other, out, "--resume"));
    EXPECT_EQ(r.code, 2) << body << r.output;
    EXPECT_NE(r.output.find("holds results of a different sweep"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(why), std::string::npos) << r.output;
    EXPECT_EQ(read_text(out / "sweep.csv"), csv);
    EXPECT_EQ(read_text(out / "spec.yaml"), yaml);
  }
  // A changed chip file is another sweep too.
  write_text(dir.path / "chip.yaml", "name: a\n");
  const auto with_chip =
      write_spec(dir, "chip: chip.yaml\nseeds: [1]\naxes: {chip.mismatch.scale: [0]}\n", "c.yaml");
  ASSERT_EQ(run(sweep(with_chip, dir.path / "c")).code, 0);
  write_text(dir.path / "chip.yaml", "name: b\n");
  const auto changed = run(sweep(with_chip, dir.path / "c", "--resume"));
  EXPECT_EQ(changed.code, 2) << changed.output;
  EXPECT_NE(changed.output.find("differs in: chip file"), std::string::npos) << changed.output;

  // More seeds and more axis values: only the new points run, the old rows stay.
  const auto more =
      write_spec(dir, "seeds: [1, 2, 3]\naxes: {chip.mismatch.scale: [0, 1, 2]}\n", "more.yaml");
  const auto r = run(sweep(more, out, "--resume"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("5 of 9 points to run"), std::string::npos) << r.output;
  EXPECT_EQ(read_csv(out / "sweep.csv").rows.size(), 9u);
}

TEST(SweepRun, RetryFailedNeedsResume) {
  ScratchDir dir;
  const auto spec = write_spec(dir, "seeds: [1]\n");
  const auto r = run(sweep(spec, dir.path / "out", "--retry-failed"));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("--retry-failed"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--resume"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir.path / "out"));
}

// A corrupt sweep_point.json is named in a warning by both the report and a resumed sweep.
TEST(SweepReport, CorruptPointResultIsNamedNotSkippedSilently) {
  ScratchDir dir;
  const auto spec = write_spec(dir, "seeds: [1, 2]\n");
  const fs::path out = dir.path / "out";
  ASSERT_EQ(run(sweep(spec, out)).code, 0);
  const fs::path bad = out / "points" / "s2" / "sweep_point.json";
  ASSERT_TRUE(fs::exists(bad));
  write_text(bad, "{\"index\": 1, \"id\": ");
  const auto report = run(kSalvo + " report '" + out.string() + "' --no-plots");
  EXPECT_NE(report.output.find(bad.string()), std::string::npos) << report.output;
  EXPECT_NE(report.output.find("not a readable point result"), std::string::npos) << report.output;
  const auto resumed = run(sweep(spec, out, "--resume"));
  EXPECT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find(bad.string()), std::string::npos) << resumed.output;
}

// Calibration in a spec (docs/sweeps.md): the points that name it get `--calibration auto`,
// sweep.csv carries the value as a column and salvo report groups by it.
TEST(SweepRun, CalibrationIsAColumnOfSweepCsvAndAGroupOfTheReport) {
  ScratchDir dir;
  const auto spec = write_spec(dir, R"(
seeds: {count: 2}
axes: {chip.mismatch.scale: [1]}
conditions:
  raw: {}
  cal: {calibration: full}
)");
  const fs::path out = dir.path / "out";
  ASSERT_EQ(run(sweep(spec, out, "--jobs 2")).code, 0);
  const Csv csv = read_csv(out / "sweep.csv");
  ASSERT_EQ(csv.rows.size(), 4u);
  EXPECT_EQ(csv.header[1], "condition");
  EXPECT_EQ(csv.header[2], "chip.mismatch.scale");
  EXPECT_EQ(csv.header[3], "calibration");
  EXPECT_EQ(csv.header[4], "seed");
  for (const auto& [id, row] : csv.by_id) {
    const bool cal = row.at("condition") == "cal";
    EXPECT_EQ(row.at("calibration"), cal ? "full" : "none") << id;
    EXPECT_EQ(id, fmt::format("{}_calibration={}_scale=1_s{}", row.at("condition"),
                              cal ? "full" : "none", row.at("seed")));
    // What the run was given: --calibration auto exactly for the calibrated points.
    EXPECT_EQ(row.at("metrics.calibration"), cal ? "auto" : "") << id;
  }
  const auto r = run(kSalvo + " report '" + out.string() + "' --no-plots");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto rows = salvo::sweep::parse_csv(read_text(out / "report.csv"));
  ASSERT_GE(rows.size(), 3u);
  EXPECT_EQ(rows[0][2], "calibration");
  std::set<std::string> groups;
  for (std::size_t i = 1; i < rows.size(); ++i)
    if (rows[i][3] == "metrics.score") groups.insert(rows[i][0] + "/" + rows[i][2]);
  EXPECT_EQ(groups, (std::set<std::string>{"cal/full", "raw/none"}));
}

// Two points of the same chip instance (same chip config and seed) that both need its
// calibration at once share one: the cache entry is calibrated once under a lock, the other
// point waits and reads it (real salvo run, mini chip, playback).
TEST(SweepRun, CalibratedPointsOfOneInstanceShareOneCachedCalibration) {
  ScratchDir dir;
  const fs::path spec = dir.path / "cal.yaml";
  write_text(spec, "chip: " + std::string(SALVO_SOURCE_DIR) + "/configs/chips/mini.yaml\n" +
                       "experiment: " + std::string(SALVO_SOURCE_DIR) +
                       "/configs/experiments/playback-mini.yaml\n" +
                       "seeds: [4]\ncalibration: full\nconditions: {a: {}, b: {}}\n");
  const fs::path cache = dir.path / "cache";
  const fs::path out = dir.path / "out";
  const auto r =
      run("SALVO_CALIBRATION_CACHE='" + cache.string() + "' " + sweep(spec, out, "--jobs 2"));
  ASSERT_EQ(r.code, 0) << r.output;
  const Csv csv = read_csv(out / "sweep.csv");
  ASSERT_EQ(csv.rows.size(), 2u);
  int calibrated = 0;
  for (const auto& [id, row] : csv.by_id) {
    EXPECT_EQ(row.at("status"), "ok") << id << row.at("error");
    const std::string log = read_text(out / "points" / id / "stderr.log");
    calibrated += log.find("write rounds") != std::string::npos;
  }
  EXPECT_EQ(calibrated, 1);
  std::vector<fs::path> entries;
  for (const auto& e : fs::directory_iterator(cache))
    if (e.is_directory()) entries.push_back(e.path());
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_NE(entries[0].filename().string().find("-seed4"), std::string::npos);
  const auto cal = nlohmann::json::parse(read_text(entries[0] / "calibration.json"));
  EXPECT_EQ(cal.at("seed"), 4);
}
