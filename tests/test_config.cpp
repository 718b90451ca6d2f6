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

TEST(Config, EmptyFileMeansAllDefaults) {
  const auto rc = load_chip(temp_file("empty.yaml", ""), {});
  EXPECT_EQ(rc.chip_config.neurons_total(), 512);
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

TEST(Config, ExperimentNamesMatchTheRegistry) {
  const auto names = salvo::experiments::names();
  const auto& all = salvo::experiments::all();
  ASSERT_EQ(names.size(), all.size());
  for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(names[i], all[i].name);
  EXPECT_NE(salvo::experiments::find(salvo::experiments::default_experiment()), nullptr);
}
