// Sweep specs: grid expansion (counts, order, ids, override composition), stable ids, the
// child's command line, and one-line errors naming file:line:col and the key.
#include <gtest/gtest.h>
#include "salvo_paths.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "emulator/sweep/sweep_spec.hpp"
#include "hw/common/error.hpp"
#include "tests/sweep/sweep_test_util.hpp"

using namespace salvo::sweep;
using namespace sweep_test;

namespace {

SweepSpec parse(const std::string& yaml) { return parse_spec(yaml, "spec.yaml", "/studies"); }

std::string error_of(const std::string& yaml) {
  try {
    parse(yaml);
  } catch (const salvo::UserError& e) {
    return e.what();
  }
  return "(no error)";
}

const char* kGrid = R"(
seeds: [1, 2]
axes:
  chip.mismatch.scale: [0, 0.5, 1.0]
  experiment.tau_us: [2, 4]
conditions:
  sal: {experiment.feedback_plasticity: sal}
  fa: {experiment.feedback_plasticity: none, experiment.eta: 0.1}
set: {experiment.duration_us: 500, experiment.eta: 0.2}
)";

}  // namespace

TEST(SweepSpec, GridIsSeedsTimesConditionsTimesAxes) {
  const SweepSpec spec = parse(kGrid);
  const auto points = expand(spec);
  ASSERT_EQ(points.size(), 2u * 2u * 3u * 2u);
  // Seed-major, then condition, then the axes with the last one fastest.
  EXPECT_EQ(points[0].id, "sal_scale=0_tau_us=2_s1");
  EXPECT_EQ(points[1].id, "sal_scale=0_tau_us=4_s1");
  EXPECT_EQ(points[2].id, "sal_scale=0.5_tau_us=2_s1");
  EXPECT_EQ(points[6].id, "fa_scale=0_tau_us=2_s1");
  EXPECT_EQ(points[12].seed, 2u);
  std::set<std::string> ids;
  for (std::size_t i = 0; i < points.size(); ++i) {
    EXPECT_EQ(points[i].index, i);
    ids.insert(points[i].id);
  }
  EXPECT_EQ(ids.size(), points.size());
}

TEST(SweepSpec, OverridesComposeSetThenConditionThenAxes) {
  const auto points = expand(parse(kGrid));
  const Point& p = points[7];  // fa, scale 0, tau 4, seed 1
  ASSERT_EQ(p.id, "fa_scale=0_tau_us=4_s1");
  std::map<std::string, std::string> o;
  for (const auto& ov : p.overrides) o[ov.key] = ov.value;
  EXPECT_EQ(o.size(), 5u);
  EXPECT_EQ(o["experiment.duration_us"], "500");
  EXPECT_EQ(o["experiment.eta"], "0.1");  // the condition wins over the common set
  EXPECT_EQ(o["experiment.feedback_plasticity"], "none");
  EXPECT_EQ(o["chip.mismatch.scale"], "0");
  EXPECT_EQ(o["experiment.tau_us"], "4");
}

TEST(SweepSpec, IdsDependOnParametersNotOnSpecOrder) {
  const auto a = expand(parse(kGrid));
  const auto b = expand(parse(R"(
seeds: [2, 1]
axes:
  experiment.tau_us: [4, 2]
  chip.mismatch.scale: [1.0, 0.5, 0]
conditions:
  fa: {experiment.eta: 0.1, experiment.feedback_plasticity: none}
  sal: {experiment.feedback_plasticity: sal}
set: {experiment.eta: 0.2, experiment.duration_us: 500}
)"));
  ASSERT_EQ(a.size(), b.size());
  auto as_map = [](const std::vector<Point>& pts) {
    std::map<std::string, std::map<std::string, std::string>> m;
    for (const auto& p : pts)
      for (const auto& o : p.overrides) m[p.id][o.key] = o.value;
    return m;
  };
  EXPECT_EQ(as_map(a), as_map(b));
}

TEST(SweepSpec, SeedsCountAndFirstAndDefaults) {
  EXPECT_EQ(parse("seeds: {count: 3, first: 5}").seeds, (std::vector<std::uint64_t>{5, 6, 7}));
  EXPECT_EQ(parse("seeds: {count: 2}").seeds, (std::vector<std::uint64_t>{1, 2}));
  const SweepSpec none = parse("description: only seed 1");
  EXPECT_EQ(none.seeds, (std::vector<std::uint64_t>{1}));
  const auto pts = expand(none);
  ASSERT_EQ(pts.size(), 1u);
  EXPECT_EQ(pts[0].id, "s1");
  EXPECT_EQ(pts[0].condition, "");
}

TEST(SweepSpec, AmbiguousShortAxisNamesUseFullKeysAndUnsafeCharactersAreEncoded) {
  const auto pts = expand(parse(R"(
axes:
  chip.neuron.scale: [1]
  experiment.input.scale: [a/b c]
conditions:
  "x y": {}
)"));
  ASSERT_EQ(pts.size(), 1u);
  EXPECT_EQ(pts[0].id, "x%20y_chip.neuron.scale=1_experiment.input.scale=a%2Fb%20c_s1");
}

TEST(SweepSpec, CommandLineResolvesPathsAndPlaceholders) {
  ScratchDir dir;
  write_text(dir.path / "chip.yaml", "name: test\n");
  fs::create_directories(dir.path / "sub");
  write_text(dir.path / "sub" / "spec.yaml", R"(
chip: ../chip.yaml
seeds: [7]
axes: {chip.mismatch.scale: [2]}
run_command: [./wrap.sh, --tag, "{id}", "{salvo}", run]
extra_args: [--quiet-ish, "{seed}"]
timeout_s: 1.5
)");
  const SweepSpec spec = load_spec((dir.path / "sub" / "spec.yaml").string());
  EXPECT_EQ(spec.chip_file, (dir.path / "chip.yaml").string());
  EXPECT_DOUBLE_EQ(spec.timeout_s, 1.5);
  const auto pts = expand(spec);
  const auto argv = resolve_salvo(command_line(spec, pts[0], "/o/p"), "/bin/salvo");
  const std::vector<std::string> expected = {(dir.path / "sub" / "wrap.sh").string(),
                                             "--tag",
                                             "scale=2_s7",
                                             "/bin/salvo",
                                             "run",
                                             "--chip",
                                             (dir.path / "chip.yaml").string(),
                                             "--seed",
                                             "7",
                                             "--out",
                                             "/o/p",
                                             "--set",
                                             "chip.mismatch.scale=2",
                                             "--quiet-ish",
                                             "7"};
  EXPECT_EQ(argv, expected);
}

TEST(SweepSpec, DefaultRunCommandIsSalvoRun) {
  const SweepSpec spec = parse("seeds: [3]");
  const auto argv = resolve_salvo(command_line(spec, expand(spec)[0], "/o"), "/x/salvo");
  EXPECT_EQ(argv, (std::vector<std::string>{"/x/salvo", "run", "--seed", "3", "--out", "/o"}));
}

TEST(SweepSpec, ErrorsNameFileLineColumnKeyAndAllowedValues) {
  EXPECT_EQ(
      error_of("seeds: [1]\naxis:\n  chip.x: [1]\n"),
      "spec.yaml:2:1: axis: unknown key (allowed: description, chip, experiment, seeds, axes, "
      "conditions, set, calibration, timeout_s, run_command, extra_args)");
  EXPECT_EQ(error_of("axes:\n  mismatch.scale: [1]\n"),
            "spec.yaml:2:3: axes.mismatch.scale: not a config key (allowed: chip.<key> or "
            "experiment.<key>, as for salvo run --set; or calibration)");
  EXPECT_EQ(
      error_of("axes:\n  chip.x: 1\n"),
      "spec.yaml:2:11: axes.chip.x: must be a non-empty list of values (allowed: [v1, v2, ...])");
  EXPECT_EQ(error_of("seeds: [1, 2, 1]\n"),
            "spec.yaml:1:15: seeds: seed 1 appears twice (allowed: distinct seeds)");
  EXPECT_EQ(error_of("seeds: [1, -2]\n"),
            "spec.yaml:1:12: seeds: '-2' is not a seed (allowed: integers 0 ... 10^19-1)");
  EXPECT_EQ(error_of("seeds: {count: 3, start: 2}\n"),
            "spec.yaml:1:19: seeds.start: unknown key (allowed: count, first)");
  EXPECT_EQ(
      error_of("timeout_s: -1\n"),
      "spec.yaml:1:12: timeout_s: '-1' is not a duration (allowed: seconds >= 0, 0 = no limit)");
  EXPECT_EQ(error_of("axes: {chip.a: [1]}\nconditions:\n  c: {chip.a: 2}\n"),
            "spec.yaml:3:15: conditions.c.chip.a: is also an axis, so a point would get two values "
            "(allowed: keys that are not axes)");
  EXPECT_EQ(
      error_of("chip: missing.yaml\n"),
      "spec.yaml:1:7: chip: no such file '/studies/missing.yaml' (allowed: a YAML file, relative "
      "to the spec or absolute)");
  EXPECT_EQ(error_of("seeds: [1\n"),
            "spec.yaml:2:1: YAML syntax error: end of sequence flow not found");
  // Issue 12, class 6: two identical axis keys used to run mislabelled points and write two
  // same-named CSV columns; a key twice anywhere, or a second document, is an error.
  EXPECT_EQ(error_of("axes:\n  chip.a: [1, 2]\n  chip.a: [3]\n"),
            "spec.yaml:3: axes.chip.a: duplicate key (first given on line 2, again on line 3) "
            "(allowed: each key once per map)");
  EXPECT_NE(error_of("seeds: [1]\nseeds: [2]\n").find("seeds: duplicate key"), std::string::npos);
  EXPECT_NE(error_of("seeds: [1]\n---\nseeds: [2]\n").find("2 YAML documents"), std::string::npos);
}

TEST(SweepCli, BadSpecExitsTwoWithOneLine) {
  ScratchDir dir;
  write_text(dir.path / "bad.yaml", "seeds: [1]\nconditions:\n  a: {mismatch: 1}\n");
  const auto r = run(kSalvo + " sweep " + (dir.path / "bad.yaml").string() + " --out " +
                     (dir.path / "out").string());
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.output, "salvo: error: " + (dir.path / "bad.yaml").string() +
                          ":3:7: conditions.a.mismatch: not a config key (allowed: chip.<key> or "
                          "experiment.<key>, as for salvo run --set; or calibration)\n");
  EXPECT_EQ(run(kSalvo + " sweep " + (dir.path / "bad.yaml").string() + " --shard 2/2").code, 2);
  EXPECT_EQ(run(kSalvo + " sweep").code, 2);
  EXPECT_EQ(run(kSalvo + " report " + (dir.path / "nothing").string()).code, 2);
}

TEST(SweepCli, DryRunListsEveryPointAndItsCommand) {
  ScratchDir dir;
  write_text(dir.path / "s.yaml",
             "seeds: {count: 2}\naxes: {chip.mismatch.scale: [0, 1]}\nrun_command: [/bin/echo]\n");
  const auto r = run(kSalvo + " sweep " + (dir.path / "s.yaml").string() + " --dry-run --out " +
                     (dir.path / "o").string() + " --shard 1/2");
  EXPECT_EQ(r.code, 0);
  const std::string o = (dir.path / "o" / "points").string();
  EXPECT_EQ(r.output, "scale=1_s1 /bin/echo --seed 1 --out " + o +
                          "/scale=1_s1 --set chip.mismatch.scale=1\n"
                          "scale=1_s2 /bin/echo --seed 2 --out " +
                          o +
                          "/scale=1_s2 --set chip.mismatch.scale=1\n"
                          "sweep: 2 points (dry run: nothing started)\n");
  EXPECT_FALSE(fs::exists(dir.path / "o"));
}

TEST(SweepSpec, ShippedMismatchRobustnessStudy) {
  const fs::path study = fs::path(SALVO_SOURCE_DIR) / "configs/studies/mismatch-robustness.yaml";
  const fs::path experiment = fs::path(SALVO_SOURCE_DIR) / "configs/experiments/sal-feedback.yaml";
  if (!fs::exists(experiment))
    GTEST_SKIP() << "configs/experiments/sal-feedback.yaml does not exist yet";
  const SweepSpec spec = load_spec(study.string());
  const auto points = expand(spec);
  EXPECT_EQ(points.size(), 5u * 2u * 2u * 10u);
  EXPECT_EQ(points.front().id, "sal_calibration=none_scale=0_s1");
  EXPECT_EQ(points.back().id, "feedback-alignment_calibration=full_scale=2.0_s10");
}

// Issue 12, class 7: a spec's keys and values are checked against the config schema (and the
// experiment's cross-key checks) before anything runs: exit 2, one line naming the spec and
// the key, no output directory; --dry-run catches the same.
TEST(SweepCli, SpecKeysAndValuesAreValidatedBeforeAnythingRuns) {
  ScratchDir dir;
  const std::string mini = std::string(SALVO_SOURCE_DIR) + "/configs/chips/mini.yaml";
  const std::string pair = std::string(SALVO_SOURCE_DIR) + "/configs/experiments/sal-pair.yaml";
  struct Case {
    std::string body, expect;
  };
  const std::vector<Case> cases = {
      {"axes: {chip.neurons.no_such_key: [1, 2]}\n", "axes.chip.neurons.no_such_key: value '1'"},
      {"axes: {chip.mismatch.scale: [0, -1]}\n", "axes.chip.mismatch.scale: value '-1'"},
      {"conditions: {a: {}, b: {experiment.no_such_key: 3}}\n", "conditions.b: "},
      {"set: {chip.madc.bits: many}\n", "set: "},
      // Each value is fine with the other key's common value; one combination is not.
      {"set: {experiment.functional_d0_us: 5, experiment.functional_d1_us: 30}\n"
       "axes: {experiment.functional_d0_us: [5, 20], experiment.functional_d1_us: [30, 15]}\n",
       "point experiment.functional_d0_us=20 experiment.functional_d1_us=15: "},
  };
  for (const auto& c : cases) {
    const fs::path spec = dir.path / "s.yaml";
    write_text(spec, "chip: " + mini + "\nexperiment: " + pair + "\n" + c.body);
    for (const std::string extra : {"", " --dry-run"}) {
      const auto r =
          run(kSalvo + " sweep " + spec.string() + " --out " + (dir.path / "o").string() + extra);
      EXPECT_EQ(r.code, 2) << c.body << r.output;
      EXPECT_EQ(r.output.rfind("salvo: error: " + spec.string() + ": " + c.expect, 0), 0u)
          << r.output;
      EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
      EXPECT_FALSE(fs::exists(dir.path / "o"));
    }
  }
  // A valid spec passes the same check.
  write_text(dir.path / "ok.yaml",
             "chip: " + mini + "\nexperiment: " + pair + "\naxes: {chip.mismatch.scale: [0, 1]}\n");
  EXPECT_EQ(run(kSalvo + " sweep " + (dir.path / "ok.yaml").string() + " --dry-run").code, 0);
}

// Every study shipped in configs/studies passes its own up-front validation. The quick and
// resolution studies run sal-feedback on the mini chip, which fits only with the smaller
// network their conditions set; the base configs alone were refused (exit 2 before anything ran).
TEST(SweepCli, ShippedStudiesPassDryRun) {
  int studies = 0;
  for (const auto& e : fs::directory_iterator(fs::path(SALVO_SOURCE_DIR) / "configs/studies")) {
    if (e.path().extension() != ".yaml") continue;
    ++studies;
    const auto r = run(kSalvo + " sweep " + e.path().string() + " --dry-run");
    EXPECT_EQ(r.code, 0) << e.path() << ": "
                         << r.output.substr(r.output.rfind('\n', r.output.size() - 2) + 1);
  }
  EXPECT_GE(studies, 4);
}

// The grid is expanded before anything runs, so its size is bounded: a few lines of YAML
// (seeds: {count: 10^7} and two axes) used to ask for 10^11 points and run out of memory.
TEST(SweepSpec, GridSizeIsBounded) {
  std::string axes = "seeds: {count: 20000}\naxes:\n";
  for (int a = 0; a < 3; ++a)
    axes += fmt::format("  chip.k{}: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n", a);
  try {
    parse_spec(axes, "big.yaml", "/tmp");
    FAIL() << "accepted 2·10^7 points";
  } catch (const salvo::UserError& e) {
    EXPECT_NE(std::string(e.what()).find("20000000 points"), std::string::npos) << e.what();
  }
  EXPECT_EQ(expand(parse_spec("seeds: {count: 1000}\naxes: {chip.a: [1, 2]}\n", "ok.yaml", "/tmp"))
                .size(),
            2000u);
}

// Calibration as a study axis: `full` runs the point with `--calibration auto` (not a --set),
// `none` without; the value is part of the id like any axis value.
TEST(SweepSpec, CalibrationAxisRunsCalibrationAutoAndNamesThePoint) {
  const SweepSpec spec = parse(
      "seeds: [2]\naxes: {chip.mismatch.scale: [1], calibration: [none, full]}\n"
      "conditions: {sal: {experiment.feedback_plasticity: sal}}\n");
  EXPECT_EQ(column_keys(spec), (std::vector<std::string>{"chip.mismatch.scale", "calibration"}));
  const auto points = expand(spec);
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[0].id, "sal_calibration=none_scale=1_s2");
  EXPECT_EQ(points[1].id, "sal_calibration=full_scale=1_s2");
  const auto none = command_line(spec, points[0], "/o");
  const auto full = command_line(spec, points[1], "/o");
  EXPECT_EQ(std::count(none.begin(), none.end(), "--calibration"), 0);
  EXPECT_EQ(std::count(full.begin(), full.end(), "--calibration"), 1);
  const auto at = std::find(full.begin(), full.end(), "--calibration");
  ASSERT_NE(at, full.end());
  EXPECT_EQ(*(at + 1), "auto");
  for (const auto& argv : {none, full})
    for (const auto& a : argv) EXPECT_EQ(a.find("calibration="), std::string::npos) << a;
}

// Named at the top level or in a condition, the calibration is a column of its own (ids,
// sweep.csv, report groups), "none" where nothing sets it; a spec that never names it keeps
// its ids and columns.
TEST(SweepSpec, CalibrationOutsideTheAxesIsAColumnOfItsOwn) {
  const SweepSpec top = parse("seeds: [1]\ncalibration: full\naxes: {chip.mismatch.scale: [0]}\n");
  EXPECT_EQ(column_keys(top), (std::vector<std::string>{"chip.mismatch.scale", "calibration"}));
  const auto p = expand(top);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].id, "calibration=full_scale=0_s1");
  EXPECT_EQ(p[0].axis_values, (std::vector<std::string>{"0", "full"}));
  const auto argv = command_line(top, p[0], "/o");
  EXPECT_EQ(std::count(argv.begin(), argv.end(), "--calibration"), 1);

  const SweepSpec cond =
      parse("calibration: none\nconditions: {raw: {}, cal: {calibration: auto}}\n");
  const auto q = expand(cond);
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(q[0].id, "raw_calibration=none_s1");
  EXPECT_EQ(q[1].id, "cal_calibration=auto_s1");
  const auto raw = command_line(cond, q[0], "/o");
  const auto cal = command_line(cond, q[1], "/o");
  EXPECT_EQ(std::count(raw.begin(), raw.end(), "--calibration"), 0);
  EXPECT_EQ(std::count(cal.begin(), cal.end(), "--calibration"), 1);
  const SweepSpec plain = parse(kGrid);
  EXPECT_EQ(column_keys(plain).size(), plain.axes.size());
  // The calibration is part of the sweep's identity (a resume cannot switch it).
  EXPECT_NE(spec_identity(parse("calibration: full\n")), spec_identity(parse("seeds: [1]\n")));
}

TEST(SweepSpec, CalibrationValuesAreCheckedWithOneLine) {
  EXPECT_EQ(error_of("calibration: yes\n"),
            "spec.yaml:1:14: calibration: 'yes' is not a calibration (allowed: none, full (salvo "
            "run --calibration auto), auto)");
  EXPECT_EQ(error_of("axes: {calibration: [none, partial]}\n"),
            "spec.yaml:1:28: axes.calibration: 'partial' is not a calibration (allowed: none, full "
            "(salvo run --calibration auto), auto)");
  EXPECT_EQ(error_of("conditions: {a: {calibration: out/cal.json}}\n"),
            "spec.yaml:1:31: conditions.a.calibration: 'out/cal.json' is not a calibration "
            "(allowed: none, full (salvo run --calibration auto), auto)");
  EXPECT_EQ(error_of("set: {calibration: full}\ncalibration: none\n"),
            "spec.yaml:2:14: calibration: is given twice (top level and in set) (allowed: one of "
            "the two places)");
  EXPECT_EQ(error_of("axes: {calibration: [none, full]}\nconditions: {a: {calibration: full}}\n"),
            "spec.yaml:2:31: conditions.a.calibration: is also an axis, so a point would get two "
            "values (allowed: keys that are not axes)");
}
