// Configuration: schema validation (every kind of bad input), overrides, resolved-config
// round trip, `salvo info` figures and CLI exit codes.
#include <sys/wait.h>
#include "salvo_paths.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "emulator/config/config.hpp"
#include "hw/common/error.hpp"

namespace fs = std::filesystem;
using salvo::UserError;
using namespace salvo::config;

namespace {

const std::string kRef = std::string(SALVO_SOURCE_DIR) + "/configs/chips/reference.yaml";
const std::string kMini = std::string(SALVO_SOURCE_DIR) + "/configs/chips/mini.yaml";

std::string temp_file(const std::string& name, const std::string& text) {
  const fs::path dir =
      fs::temp_directory_path() / ("salvo_test_config_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path p = dir / name;
  std::ofstream(p) << text;
  return p.string();
}

// The one-line message of the UserError thrown by `f`.
template <typename F>
std::string user_error(F&& f) {
  try {
    f();
  } catch (const UserError& e) {
    return e.what();
  }
  return "(no error)";
}

struct Result {
  int code;
  std::string out;
};

Result run_salvo(const std::string& args) {
  const std::string cmd = std::string(SALVO_BIN_DIR) + "/salvo " + args + " 2>&1";
  Result r{-1, ""};
  FILE* p = ::popen(cmd.c_str(), "r");
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p)) r.out += buf;
  const int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace

TEST(Config, ReferenceAndMiniLoad) {
  const auto ref = load_chip(kRef, {});
  EXPECT_EQ(ref.chip_config.name, "reference");
  EXPECT_EQ(ref.chip_config.neurons_total(), 512);
  EXPECT_EQ(ref.chip_config.rows_total(), 512);
  EXPECT_EQ(ref.chip_config.synapses_total(), 2 * 256 * 256);
  EXPECT_DOUBLE_EQ(ref.chip_config.mismatch.tau_mem, 0.20);
  EXPECT_DOUBLE_EQ(ref.chip_config.sensors.tau_us, 5.0);
  const auto mini = load_chip(kMini, {});
  EXPECT_EQ(mini.chip_config.neurons_total(), 32);
  EXPECT_EQ(mini.chip_config.synapses_total(), 32 * 32);
  EXPECT_EQ(mini.chip_config.drivers.per_half, 16);
}

TEST(Config, UnknownKeyIsRejectedWithSuggestionAndPosition) {
  const auto f = temp_file("unknown.yaml", "name: x\nneurons:\n  tau_mem_ms: 10\n");
  const std::string msg = user_error([&] { load_chip(f, {}); });
  EXPECT_NE(msg.find(f + ":3:3: chip.neurons.tau_mem_ms: unknown key"), std::string::npos) << msg;
  EXPECT_NE(msg.find("did you mean 'tau_mem_us'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("(allowed: "), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line";
}

TEST(Config, WrongTypeIsRejected) {
  const auto f = temp_file("type.yaml", "neurons:\n  tau_mem_us: fast\n");
  const std::string msg = user_error([&] { load_chip(f, {}); });
  EXPECT_NE(msg.find(":2:15: chip.neurons.tau_mem_us: 'fast' is not a number"), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("allowed: a number in [0.5, 200]"), std::string::npos) << msg;
  const auto g = temp_file("type2.yaml", "halves: 1.5\n");
  EXPECT_NE(user_error([&] { load_chip(g, {}); }).find("not an integer"), std::string::npos);
  const auto h = temp_file("type3.yaml", "neurons:\n  adaptation: maybe\n");
  EXPECT_NE(user_error([&] { load_chip(h, {}); }).find("allowed: true, false"), std::string::npos);
  const auto i = temp_file("type4.yaml", "neurons: 5\n");
  EXPECT_NE(user_error([&] { load_chip(i, {}); }).find("chip.neurons: expected a map"),
            std::string::npos);
}

TEST(Config, OutOfRangeIsRejected) {
  const auto f = temp_file("range.yaml", "halves: 3\n");
  const std::string msg = user_error([&] { load_chip(f, {}); });
  EXPECT_NE(msg.find(":1:9: chip.halves: 3 is out of range (allowed: an integer in [1, 2])"),
            std::string::npos)
      << msg;
  const auto g = temp_file("range2.yaml", "mismatch:\n  scale: -1\n");
  EXPECT_NE(user_error([&] { load_chip(g, {}); }).find("chip.mismatch.scale: -1 is out of range"),
            std::string::npos);
}

TEST(Config, InconsistentValuesAreRejected) {
  const auto f = temp_file("incons.yaml", "neurons:\n  v_reset_mV: 700\n  v_threshold_mV: 650\n");
  const std::string msg = user_error([&] { load_chip(f, {}); });
  EXPECT_NE(
      msg.find(":3:19: chip.neurons.v_threshold_mV: threshold 650 mV is not above reset 700 mV"),
      std::string::npos)
      << msg;
  const auto g = temp_file("incons2.yaml", "drivers:\n  per_half: 100\n");
  EXPECT_NE(user_error([&] {
              load_chip(g, {});
            }).find("chip.drivers.per_half: 100 drivers × 2 rows = 200 rows"),
            std::string::npos);
  const auto h = temp_file("incons3.yaml", "sensors:\n  tau_us: 40\n");
  EXPECT_NE(user_error([&] { load_chip(h, {}); }).find("outside the tunable range"),
            std::string::npos);
  const auto v = temp_file("incons4.yaml", "processor:\n  vector:\n    bytes: 48\n");
  EXPECT_NE(user_error([&] {
              load_chip(v, {});
            }).find("chip.processor.vector.bytes: 48 is not a power of two"),
            std::string::npos);
}

TEST(Config, YamlSyntaxErrorNamesThePosition) {
  const auto f = temp_file("syntax.yaml", "neurons:\n  tau_mem_us: [1, 2\n");
  const std::string msg = user_error([&] { load_chip(f, {}); });
  EXPECT_NE(msg.find(f + ":"), std::string::npos) << msg;
  EXPECT_NE(msg.find("YAML syntax error"), std::string::npos) << msg;
  EXPECT_NE(user_error([&] { load_chip("/nonexistent/chip.yaml", {}); }).find("file not found"),
            std::string::npos);
}

TEST(Config, OverridesApplyAndAreValidated) {
  const auto rc = load_chip(
      kRef, {"chip.mismatch.tau_mem=0", "chip.neurons.tau_mem_us=12.5", "chip.name=variant"});
  EXPECT_DOUBLE_EQ(rc.chip_config.mismatch.tau_mem, 0.0);
  EXPECT_DOUBLE_EQ(rc.chip_config.neurons.tau_mem_us, 12.5);
  EXPECT_EQ(rc.chip_config.name, "variant");
  const std::string bad = user_error([&] { load_chip(kRef, {"chip.mismatch.scale=-2"}); });
  EXPECT_EQ(bad.rfind("--set: chip.mismatch.scale: -2 is out of range", 0), 0u) << bad;
  const std::string unknown = user_error([&] { load_chip(kRef, {"chip.mismatch.tau_mems=0"}); });
  EXPECT_NE(unknown.find("--set: chip.mismatch.tau_mems: unknown key (did you mean 'tau_mem'?)"),
            std::string::npos)
      << unknown;
  EXPECT_NE(user_error([&] {
              load_chip(kRef, {"mismatch.scale=1"});
            }).find("must start with 'chip.' or 'experiment.'"),
            std::string::npos);
  EXPECT_NE(user_error([&] { load_chip(kRef, {"chip.halves"}); }).find("expected KEY=VALUE"),
            std::string::npos);
}

TEST(Config, ResolvedConfigRoundTrips) {
  for (const auto& file : {kRef, kMini}) {
    const auto a = load_chip(file, {"chip.neurons.dt_us=0.05", "chip.mismatch.scale=0.3"});
    const std::string text = to_yaml(a);
    const auto b = load_chip(temp_file("rt.yaml", YAML::Dump(YAML::Load(text)["chip"])), {});
    EXPECT_EQ(YAML::Dump(a.chip), YAML::Dump(b.chip));
    EXPECT_EQ(to_yaml(a), to_yaml(b));
    EXPECT_DOUBLE_EQ(b.chip_config.neurons.dt_us, 0.05);
  }
}

// Reliability class 15: an empty file used to mean "all defaults" without a word.
TEST(Config, EmptyFileIsRefused) {
  for (const char* text : {"", "# only a comment\n", "---\n", "\n\n"}) {
    const auto f = temp_file("empty.yaml", text);
    const std::string msg = user_error([&] { load_chip(f, {}); });
    EXPECT_EQ(msg.rfind(f + ": (top level): the file is empty", 0), 0u) << msg;
    const std::string exp = user_error([&] { load(kMini, f, {}, 1); });
    EXPECT_EQ(exp.rfind(f + ": (top level): the file is empty", 0), 0u) << exp;
  }
}

TEST(Cli, InfoPrintsDerivedFigures) {
  const auto ref = run_salvo("info --chip " + kRef);
  EXPECT_EQ(ref.code, 0) << ref.out;
  EXPECT_NE(ref.out.find("neurons               512 (256 per half)"), std::string::npos) << ref.out;
  EXPECT_NE(ref.out.find("synapses              131072"), std::string::npos);
  EXPECT_NE(ref.out.find("4 × 125 MEvent/s = 500 MEvent/s"), std::string::npos);
  EXPECT_NE(ref.out.find("0x80000000 - 0x80003fff"), std::string::npos);
  const auto mini = run_salvo("info --json --chip " + kMini);
  EXPECT_EQ(mini.code, 0);
  const auto j = nlohmann::json::parse(mini.out);
  EXPECT_EQ(j["neurons"], 32);
  EXPECT_EQ(j["synapses"], 1024);
  EXPECT_EQ(j["processors"], 1);
}

TEST(Cli, BadInputExitsTwoWithOneLine) {
  const auto f = temp_file("cli_bad.yaml", "neurons:\n  tau_mem_us: -3\n");
  const auto r = run_salvo("info --chip " + f);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  EXPECT_NE(r.out.find("chip.neurons.tau_mem_us: -3 is out of range"), std::string::npos) << r.out;
  EXPECT_EQ(run_salvo("info --bogus").code, 2);
  EXPECT_EQ(run_salvo("frobnicate").code, 2);
  EXPECT_EQ(run_salvo("run --set nonsense").code, 2);
  EXPECT_EQ(run_salvo("--version").code, 0);
  EXPECT_EQ(run_salvo("info --help").code, 0);
}

TEST(Cli, ConfigurationReferenceIsCurrent) {
  const auto r = run_salvo("schema");
  ASSERT_EQ(r.code, 0);
  std::ifstream f(std::string(SALVO_SOURCE_DIR) + "/docs/configuration.md");
  std::stringstream ss;
  ss << f.rdbuf();
  EXPECT_EQ(ss.str(), r.out) << "docs/configuration.md is stale: regenerate with `build/bin/salvo "
                                "schema > docs/configuration.md`";
}

#include "emulator/experiments/registry.hpp"

namespace {

// Every list node below `s`, by dotted path.
void collect_lists(const SchemaNode& s, const std::string& path,
                   std::vector<std::pair<std::string, const SchemaNode*>>& out) {
  if (s.kind == Kind::kList) {
    out.emplace_back(path, &s);
    collect_lists(*s.element, path + ".N", out);
  }
  for (const auto& [name, child] : s.children) collect_lists(child, path + "." + name, out);
}

std::string experiment_file(const std::string& name, const std::string& body) {
  return temp_file(name + ".yaml", "name: " + name + "\n" + body);
}

}  // namespace

// Reliability class 1: an empty list where the code takes its minimum was a segfault. Every
// list key declares the fewest entries it takes, and validation enforces it.
TEST(Config, EveryListDeclaresItsMinimumLength) {
  std::vector<std::pair<std::string, const SchemaNode*>> lists;
  collect_lists(chip_schema(), "chip", lists);
  for (const auto& e : salvo::experiments::all()) collect_lists(e.schema, e.name, lists);
  EXPECT_GE(lists.size(), 3u);
  for (const auto& [path, node] : lists) EXPECT_TRUE(node->min_items.has_value()) << path;
}

TEST(Config, ListShorterThanItsMinimumIsRefused) {
  const auto f = experiment_file("stdp-window", "dt_us: []\n");
  const std::string msg = user_error([&] { load(kMini, f, {}, 1); });
  EXPECT_NE(msg.find(f + ":2:8: experiment.dt_us: 0 entries, at least 6 needed (allowed: a list "
                         "of at least 6 entries)"),
            std::string::npos)
      << msg;
  const std::string set = user_error([&] {
    load(kMini, experiment_file("stdp-window", "rows: 2\n"), {"experiment.dt_us=[]"}, 1);
  });
  EXPECT_EQ(set.rfind("--set: experiment.dt_us: 0 entries", 0), 0u) << set;
  // Enough entries, but not enough on one side for its fit: refused up front, not exit 1 later.
  const std::string side = user_error([&] {
    load(kMini,
         experiment_file("stdp-window", "rows: 16\ntrigger_rows: 16\ndt_us: [-3, 1, 2, 3, 4, 5]\n"),
         {}, 1);
  });
  EXPECT_NE(side.find("experiment.dt_us: 5 positive and 1 negative offsets"), std::string::npos)
      << side;
  // An empty list where none is needed stays fine.
  EXPECT_NO_THROW(load(kMini, experiment_file("playback", "inputs: []\n"), {}, 1));
}

// Reliability class 5: `--set key=` silently meant the default, and a map given to --set
// replaced the whole map (its siblings went back to their defaults).
TEST(Config, EmptyOverrideValuesAreRefused) {
  for (const char* set : {"chip.neurons.per_half=", "chip.neurons.per_half=~",
                          "chip.neurons.per_half=null", "chip.neurons.per_half= "}) {
    const std::string msg = user_error([&] { load_chip(kMini, {set}); });
    EXPECT_NE(msg.find("empty value"), std::string::npos) << set << ": " << msg;
  }
  const std::string exp = user_error(
      [&] { load(kMini, experiment_file("playback", "inputs: []\n"), {"experiment.inputs="}, 1); });
  EXPECT_NE(exp.find("--set experiment.inputs=: empty value"), std::string::npos) << exp;
  const auto bare = experiment_file("playback", "inputs:\n  - {rows: 2}\n  -\n");
  EXPECT_NE(user_error([&] { load(kMini, bare, {}, 1); }).find("experiment.inputs.1: no value"),
            std::string::npos);
  // The same in a file: `key:` with no value is not "the default".
  const auto f = temp_file("null.yaml", "neurons:\n  per_half:\n");
  const std::string file = user_error([&] { load_chip(f, {}); });
  EXPECT_NE(file.find(f + ":2:3: chip.neurons.per_half: no value"), std::string::npos) << file;
}

TEST(Config, MapOverridesMergeIntoTheMap) {
  const auto rc = load_chip(kMini, {"chip.neurons={dt_us: 0.05, tau_mem_us: 12}"});
  EXPECT_DOUBLE_EQ(rc.chip_config.neurons.dt_us, 0.05);
  EXPECT_DOUBLE_EQ(rc.chip_config.neurons.tau_mem_us, 12);
  EXPECT_EQ(rc.chip_config.neurons.per_half, 32);  // mini's, not the schema default 256
  // A map given for a list element merges into that element.
  const auto pb = experiment_file("playback", "inputs:\n  - {rate_hz: 10, rows: 3}\n");
  const auto el = load(kMini, pb, {"experiment.inputs.0={rate_hz: 5}"}, 1);
  EXPECT_EQ(el.experiment["inputs"][0]["rate_hz"].as<double>(), 5);
  EXPECT_EQ(el.experiment["inputs"][0]["rows"].as<int>(), 3);
}

// Reliability class 10 (the --set part) and the printed list index: a key below a single value
// was a yaml-cpp exception ("internal error"), index -1 was printed as 18446744073709551615.
TEST(Config, OverridePathsAreCheckedAsUserErrors) {
  const std::string below = user_error([&] { load_chip(kMini, {"chip.name.x=1"}); });
  EXPECT_NE(below.find("--set chip.name.x: 'chip.name' holds a single value"), std::string::npos)
      << below;
  const auto pb = experiment_file("playback", "inputs:\n  - {rate_hz: 10, rows: 1}\n");
  for (const char* idx : {"-1", "+0", "1x", "99999999999999999999"}) {
    const std::string msg = user_error(
        [&] { load(kMini, pb, {std::string("experiment.inputs.") + idx + ".rate_hz=5"}, 1); });
    EXPECT_NE(msg.find(std::string("'") + idx + "' is not a list index (allowed: 0..0)"),
              std::string::npos)
        << msg;
    EXPECT_EQ(msg.find("18446744073709551615"), std::string::npos) << msg;
  }
  const std::string range =
      user_error([&] { load(kMini, pb, {"experiment.inputs.1.rate_hz=5"}, 1); });
  EXPECT_NE(range.find("list index 1 out of range (allowed: 0..0)"), std::string::npos) << range;
  EXPECT_NO_THROW(load(kMini, pb, {"experiment.inputs.0.rate_hz=5"}, 1));
}

// Reliability class 6: yaml-cpp keeps the first of two equal keys without a word; a trailing
// dot made a second spelling of one key; later YAML documents were ignored.
TEST(Config, DuplicateKeysAreRefusedNamingBothLines) {
  const auto f = temp_file("dup.yaml",
                           "name: x\nneurons:\n  dt_us: 0.1\n  per_half: 8\n"
                           "  dt_us: 0.2\n");
  const std::string msg = user_error([&] { load_chip(f, {}); });
  EXPECT_EQ(msg.rfind(f + ":5: chip.neurons.dt_us: duplicate key (first given on line 3, again on "
                          "line 5)",
                      0),
            0u)
      << msg;
  const auto top = temp_file("dup2.yaml", "halves: 1\nhalves: 2\n");
  EXPECT_NE(user_error([&] { load_chip(top, {}); }).find("halves: duplicate key"),
            std::string::npos);
  const auto in_list = experiment_file(
      "playback", "inputs:\n  - {rate_hz: 10, rows: 1}\n  - {rate_hz: 10, rows: 1, rows: 2}\n");
  EXPECT_NE(user_error([&] {
              load(kMini, in_list, {}, 1);
            }).find("experiment.inputs.1.rows: duplicate key"),
            std::string::npos);
  const auto exp = experiment_file("stdp-window", "rows: 2\nrows: 4\n");
  EXPECT_NE(user_error([&] { load(kMini, exp, {}, 1); }).find(":3: experiment.rows: duplicate key"),
            std::string::npos);
  // A list or map as a key was yaml-cpp's "bad conversion", an internal error.
  const auto complex = temp_file("complex_key.yaml", "halves: 1\n? [a, b]\n: 1\n");
  EXPECT_NE(user_error([&] {
              load_chip(complex, {});
            }).find(":2: chip.[a, b]: a key must be a plain name"),
            std::string::npos);
  EXPECT_NE(user_error([&] {
              load_chip(kMini, {"chip.neurons={[1]: 2}"});
            }).find("a key must be a plain name"),
            std::string::npos);
  const std::string set =
      user_error([&] { load_chip(kMini, {"chip.neurons={dt_us: 0.1, dt_us: 0.2}"}); });
  EXPECT_NE(set.find("duplicate key"), std::string::npos) << set;
}

TEST(Config, TrailingDotsAndSecondDocumentsAreRefused) {
  for (const char* set : {"chip.mismatch.scale.=1", "chip..mismatch.scale=1", "chip.=1"}) {
    const std::string msg = user_error([&] { load_chip(kMini, {set}); });
    EXPECT_NE(msg.find("empty key component"), std::string::npos) << set << ": " << msg;
  }
  const auto f = temp_file("multi.yaml", "halves: 1\n---\nhalves: 2\n");
  const std::string msg = user_error([&] { load_chip(f, {}); });
  EXPECT_NE(msg.find(f + ":3: (top level): 2 YAML documents"), std::string::npos) << msg;
}

// Numbers in configs, --set, CLI options and input CSVs share one parser: decimal only (strtod
// took "0x1p3" as 8), every infinity/NaN spelling named as such.
TEST(Config, NumbersAreDecimalAndFinite) {
  const SchemaNode row = Int(0, 0, 31, "");
  double v = -1;
  EXPECT_EQ(parse_number("12", row, v), "");
  EXPECT_EQ(v, 12);
  EXPECT_EQ(parse_number("1e1", row, v), "");
  EXPECT_EQ(parse_number("1.5", row, v), "'1.5' is not an integer");
  EXPECT_EQ(parse_number("0x1", row, v), "'0x1' is not a number");
  EXPECT_EQ(parse_number("0x1p3", Float(0, {}, {}, ""), v), "'0x1p3' is not a number");
  EXPECT_EQ(parse_number(" 1", row, v), "' 1' is not a number");
  EXPECT_EQ(parse_number("", row, v), "'' is not a number");
  EXPECT_EQ(parse_number("-1", row, v), "-1 is out of range");
  EXPECT_EQ(parse_number("1e300", Int(0, {}, {}, ""), v), "1e300 is out of range");
  EXPECT_EQ(parse_number("1e999", Float(0, {}, {}, ""), v), "1e999 is out of range");
  for (const char* s : {"inf", "-Infinity", ".nan", "NaN", "+.inf"})
    EXPECT_EQ(parse_number(s, Float(0, {}, {}, ""), v), std::string("'") + s + "' is not finite");
}

// dkl.csv could hold `inf`: with pseudo_count 0 a never-visited state makes D_KL infinite.
TEST(Config, SamplingPseudoCountKeepsDklFinite) {
  const std::string msg =
      user_error([&] { load(kMini, experiment_file("sampling", "pseudo_count: 0\n"), {}, 1); });
  EXPECT_NE(msg.find("experiment.pseudo_count: 0 is out of range"), std::string::npos) << msg;
}

TEST(Config, ExperimentNamesMatchTheRegistry) {
  const auto names = salvo::experiments::names();
  const auto& all = salvo::experiments::all();
  ASSERT_EQ(names.size(), all.size());
  for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(names[i], all[i].name);
  EXPECT_NE(salvo::experiments::find(salvo::experiments::default_experiment()), nullptr);
}

// Found by fuzz_config: an experiment file that is a single value or a list (not a map) was
// "internal error: yaml-cpp: operator[] call on a scalar", exit 1. It is the user's: exit 2.
TEST(Config, ExperimentFileThatIsNotAMapIsAUserError) {
  for (const std::string text : {"just a scalar\n", "- a\n- b\n", "42\n"}) {
    const auto f = temp_file("not_a_map.yaml", text);
    EXPECT_NE(user_error([&] { load(kMini, f, {}, 1); }).find("not_a_map.yaml"), std::string::npos)
        << text;
    const auto r = run_salvo("run --chip " + kMini + " --experiment " + f + " --out " +
                             (fs::temp_directory_path() / "salvo_not_a_map").string());
    EXPECT_EQ(r.code, 2) << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
    EXPECT_EQ(r.out.find("internal error"), std::string::npos) << r.out;
  }
}

// Found by fuzz_sweep_spec and fuzz_config: yaml-cpp's LoadAll never returns on some malformed
// text — a file holding just "," hung salvo run, info and sweep. The strict loader counts
// documents with a bounded number of parser calls.
TEST(Config, StrayFlowCommaIsAnErrorNotAHang) {
  for (const std::string text : {",\n", ", b: 0\n", "# comment\n, first: 0}\n"}) {
    const auto f = temp_file("comma.yaml", text);
    EXPECT_NE(user_error([&] { load_chip(f, {}); }).find("comma.yaml"), std::string::npos) << text;
    const auto r = run_salvo("info --chip " + f);
    EXPECT_EQ(r.code, 2) << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  }
}
