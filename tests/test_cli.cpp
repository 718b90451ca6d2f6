// The command line as users and scripts meet it (reliability classes of issue 12): numbers
// range-checked like config values (never wrapped), unexpected positional arguments refused,
// user mistakes about files and directories reported as such (exit 2 naming the option), and
// output directories that never mix the files of two runs.
#include <sys/wait.h>
#include "salvo_paths.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace fs = std::filesystem;

namespace {

const std::string kSrc = SALVO_SOURCE_DIR;
const std::string kMini = kSrc + "/configs/chips/mini.yaml";
const std::string kPlayback = kSrc + "/configs/experiments/playback-demo.yaml";
const std::string kStdp = kSrc + "/configs/experiments/stdp-window.yaml";
// A playback run on the mini chip that takes well under a second.
const std::string kQuick = "--chip " + kMini + " --experiment " + kPlayback +
                           " --set experiment.duration_us=50 --set experiment.inputs=[] --set "
                           "experiment.connections=[] --no-plots";
const std::string kQuickStdp =
    "--chip " + kMini + " --experiment " + kStdp +
    " --set experiment.rows=2 --set experiment.columns=2 --set experiment.pairs_per_point=2 "
    "--set experiment.dt_us=[-10,-6,-3,3,6,10] --no-plots";

struct Result {
  int code = -1;
  std::string out;  // stdout and stderr
};

Result salvo(const std::string& args) {
  const std::string cmd = std::string(SALVO_BIN_DIR) + "/salvo " + args + " 2>&1";
  Result r;
  FILE* p = ::popen(cmd.c_str(), "r");
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p)) r.out += buf;
  const int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

fs::path scratch(const std::string& name) {
  const fs::path p =
      fs::temp_directory_path() / ("salvo_test_cli_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(p);
  return p;
}

bool has(const Result& r, const std::string& text) { return r.out.find(text) != std::string::npos; }

}  // namespace

// Class 2: `--seed -1` became 2^64-1, `--jobs -1` 4294967295, `--max-instructions -1` a hang.
TEST(Cli, NumbersAreRangeCheckedNotWrapped) {
  const auto seed = salvo("run --seed -1 " + kQuick);
  EXPECT_EQ(seed.code, 2) << seed.out;
  EXPECT_TRUE(has(seed, "salvo run: --seed: -1 is out of range (allowed: an integer in [0, "))
      << seed.out;
  EXPECT_TRUE(has(salvo("run --seed 1.5 " + kQuick), "--seed: '1.5' is not an integer"));
  EXPECT_TRUE(has(salvo("run --seed 12abc " + kQuick), "--seed: '12abc' is not a number"));
  EXPECT_EQ(salvo("run --threads 0 " + kQuick).code, 2);
  EXPECT_EQ(salvo("run --gdb -5 " + kQuick).code, 2);
  ::setenv("SALVO_THREADS", "-1", 1);
  const auto env = salvo("run " + kQuick);
  ::unsetenv("SALVO_THREADS");
  EXPECT_EQ(env.code, 2) << env.out;
  EXPECT_TRUE(has(env, "salvo run: SALVO_THREADS: -1 is out of range")) << env.out;
  const std::string spec = kSrc + "/configs/studies/mismatch-robustness-quick.yaml --dry-run";
  const auto jobs = salvo("sweep " + spec + " --jobs -1");
  EXPECT_EQ(jobs.code, 2) << jobs.out;
  EXPECT_TRUE(has(jobs, "salvo sweep: --jobs: -1 is out of range")) << jobs.out;
  EXPECT_EQ(salvo("sweep " + spec + " --timeout -1").code, 2);
  EXPECT_EQ(salvo("sweep " + spec + " --jobs 99999999999999999999").code, 2);
  const std::string elf = std::string(SALVO_FIRMWARE_DIR) + "/hello.elf";
  const auto max = salvo("ppu-run " + elf + " --max-instructions -1");
  EXPECT_EQ(max.code, 2) << max.out;
  EXPECT_TRUE(has(max, "salvo ppu-run: --max-instructions: -1 is out of range")) << max.out;
  EXPECT_EQ(salvo("ppu-run " + elf + " --clock-mhz 0").code, 2);
  EXPECT_EQ(salvo("ppu-run " + elf + " --memory-kib -1").code, 2);
  EXPECT_EQ(salvo("ppu-run " + elf + " --max-instructions 9007199254740992").code, 0);
}

// Class 11: `salvo run my.yaml --chip …` ran the *default* experiment. The experiment file may
// now be the positional argument of `run`; any other positional argument is refused.
TEST(Cli, PositionalArgumentsAreUsedOrRefused) {
  const fs::path out = scratch("positional");
  const auto r = salvo("-q run " + kPlayback + " --chip " + kMini +
                       " --set experiment.duration_us=50 --set experiment.inputs=[] --set "
                       "experiment.connections=[] --no-plots --out " +
                       out.string());
  EXPECT_EQ(r.code, 0) << r.out;
  std::ifstream summary(out / "summary.json");
  ASSERT_TRUE(summary.good()) << r.out;
  const nlohmann::json j = nlohmann::json::parse(summary);
  EXPECT_EQ(j["experiment"]["name"], "playback")
      << "the positional file's experiment ran, not the default one";
  // The host-work block: 50 µs of 0.1 µs steps; a chip without input sleeps most of them.
  const nlohmann::json& host = j["host"];
  EXPECT_EQ(host["steps"], 500);
  const auto blocks = host["neuron_block_steps"].get<std::uint64_t>();
  EXPECT_EQ(blocks % 500, 0u);
  EXPECT_GT(host["neuron_block_steps_skipped"].get<std::uint64_t>(), blocks / 2);
  EXPECT_LT(host["neuron_block_steps_skipped"].get<std::uint64_t>(), blocks);
  EXPECT_EQ(host["neuron_block_steps_replayed"], 0);
  const auto twice = salvo("run " + kStdp + " --experiment " + kPlayback);
  EXPECT_EQ(twice.code, 2) << twice.out;
  const auto extra = salvo("run " + kStdp + " extra.yaml");
  EXPECT_EQ(extra.code, 2) << extra.out;
  const auto info = salvo("info " + kMini);
  EXPECT_EQ(info.code, 2) << info.out;
  EXPECT_TRUE(has(info, "salvo info: '" + kMini + "': unexpected argument")) << info.out;
  EXPECT_EQ(salvo("schema extra").code, 2);
  EXPECT_EQ(salvo("ppu-run a.elf b.elf").code, 2);
  fs::remove_all(out);
}

// Class 10: these were "internal error: filesystem/basic_filebuf …", exit 1.
TEST(Cli, FileMistakesAreUserErrorsNamingTheOption) {
  const fs::path file = scratch("a_file");
  std::ofstream(file) << "x";
  const auto onto_file = salvo("run " + kQuick + " --out " + file.string());
  EXPECT_EQ(onto_file.code, 2) << onto_file.out;
  EXPECT_TRUE(has(onto_file, "salvo run: --out: '" + file.string() + "' is a file"))
      << onto_file.out;
  const auto below_file = salvo("run " + kQuick + " --out " + (file / "sub").string());
  EXPECT_EQ(below_file.code, 2) << below_file.out;
  EXPECT_TRUE(has(below_file, "salvo run: --out: cannot create the directory")) << below_file.out;
  const auto proc = salvo("run " + kQuick + " --out /proc/salvo_cannot_be_here");
  EXPECT_EQ(proc.code, 2) << proc.out;
  EXPECT_TRUE(has(proc, "--out: cannot create the directory")) << proc.out;
  const auto dir = salvo("ppu-run " + fs::temp_directory_path().string());
  EXPECT_EQ(dir.code, 2) << dir.out;
  EXPECT_TRUE(has(dir, "is a directory")) << dir.out;
  const auto map = salvo("run " + kQuick + " --set chip.name.first=1");
  EXPECT_EQ(map.code, 2) << map.out;
  EXPECT_TRUE(has(map, "--set chip.name.first: 'chip.name' holds a single value")) << map.out;
  for (const auto& r : {onto_file, below_file, proc, dir, map})
    EXPECT_FALSE(has(r, "internal error")) << r.out;
  fs::remove(file);
}

// Class 9: a run into a directory that held another run's results left them beside the new
// ones. The earlier run's files go first; files salvo did not write stay.
TEST(Cli, OutputDirectoriesNeverMixTwoRuns) {
  const fs::path out = scratch("mixed");
  salvo("-q run " + kQuickStdp + " --out " + out.string());  // fitted or not, it writes
  ASSERT_TRUE(fs::exists(out / "window.csv"));
  ASSERT_TRUE(fs::exists(out / ".salvo-run.json"));
  std::ofstream(out / "notes.txt") << "mine";  // the user's own file, added after the run
  const auto second = salvo("-q run " + kQuick + " --out " + out.string());
  ASSERT_EQ(second.code, 0) << second.out;
  EXPECT_FALSE(fs::exists(out / "window.csv")) << "the stdp-window run's results are gone";
  EXPECT_TRUE(fs::exists(out / "spikes.csv"));
  EXPECT_TRUE(fs::exists(out / "notes.txt")) << "a file salvo did not write stays";
  // A killed run (no file list in the manifest) is cleared as a whole, kept files aside.
  std::ofstream(out / ".salvo-run.json") << R"({"kept": ["notes.txt"]})";
  std::ofstream(out / "stale.csv") << "1";
  ASSERT_EQ(salvo("-q run " + kQuick + " --out " + out.string()).code, 0);
  EXPECT_FALSE(fs::exists(out / "stale.csv"));
  EXPECT_TRUE(fs::exists(out / "notes.txt"));
  // Results no salvo run recorded are refused, unless --force.
  const fs::path foreign = scratch("foreign");
  fs::create_directories(foreign);
  std::ofstream(foreign / "summary.json") << "{}";
  const auto refused = salvo("run " + kQuick + " --out " + foreign.string());
  EXPECT_EQ(refused.code, 2) << refused.out;
  EXPECT_TRUE(has(refused, "salvo run: --out: '" + foreign.string() + "' holds results"))
      << refused.out;
  EXPECT_EQ(salvo("-q run " + kQuick + " --force --out " + foreign.string()).code, 0);
  // A sweep's logs, there before the first run, stay through every later run.
  const fs::path point = scratch("point");
  fs::create_directories(point);
  std::ofstream(point / "stderr.log") << "";
  ASSERT_EQ(salvo("-q run " + kQuick + " --out " + point.string()).code, 0);
  ASSERT_EQ(salvo("-q run " + kQuick + " --out " + point.string()).code, 0);
  EXPECT_TRUE(fs::exists(point / "stderr.log"));
  for (const auto& p : {out, foreign, point}) fs::remove_all(p);
}
