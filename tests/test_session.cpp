// Session: the one place experiments advance hardware time — periodic tasks fire at their own
// times in list order, advancing is exact to the analog core's steps whatever the chunking,
// finish() writes the standard recordings and refuses a run that emulated less than planned.
// Each TEST runs in its own process (ctest), so each gets a fresh SystemC kernel.
#include "emulator/session/session.hpp"
#include "salvo_paths.hpp"

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "emulator/config/config.hpp"
#include "hw/common/error.hpp"

using namespace salvo;
using namespace salvo::session;

namespace {

struct Fixture {
  config::ResolvedConfig cfg;
  output::Progress progress{"test", 0.0, "µs"};
  std::filesystem::path out;
  std::unique_ptr<RunContext> ctx;
  explicit Fixture(const std::string& tag) {
    cfg = config::load_chip(std::string(SALVO_SOURCE_DIR) + "/configs/chips/mini.yaml", {});
    out = std::filesystem::temp_directory_path() / ("salvo_session_" + tag);
    std::filesystem::remove_all(out);
    std::filesystem::create_directories(out);
    ctx = std::make_unique<RunContext>(cfg, out, progress);
  }
};

}  // namespace

TEST(Session, PeriodicTasksFireAtTheirOwnTimesInListOrder) {
  Fixture f("tasks");
  Session s(*f.ctx);
  s.advance_to(10.0);
  std::vector<std::pair<char, double>> calls;
  s.run(70.0, {{20.0,
                [&](double t) {
                  calls.push_back({'a', t});
                }},
               {30.0, [&](double t) {
                  calls.push_back({'b', t});
                }}});
  const std::vector<std::pair<char, double>> expected = {
      {'a', 30.0}, {'b', 40.0}, {'a', 50.0}, {'a', 70.0}, {'b', 70.0}};
  ASSERT_EQ(calls.size(), expected.size());
  for (std::size_t k = 0; k < calls.size(); ++k) {
    EXPECT_EQ(calls[k].first, expected[k].first) << k;
    EXPECT_NEAR(calls[k].second, expected[k].second, 1e-9) << k;
  }
  EXPECT_NEAR(s.now_us(), 70.0, 1e-9);
  EXPECT_NEAR(sc_core::sc_time_stamp().to_seconds() * 1e6, 70.0, 1e-6);
}

TEST(Session, RunAdvancesToTheEndPastTheLastTask) {
  Fixture f("end");
  Session s(*f.ctx);
  int calls = 0;
  s.run(2500.0, {{1000.0, [&](double) { ++calls; }}});
  EXPECT_EQ(calls, 2);
  EXPECT_NEAR(s.now_us(), 2500.0, 1e-9);  // longer than one kernel chunk, not a period multiple
}

TEST(Session, RunWhileStopsWhenTheConditionClearsOrAtTheLimit) {
  Fixture f("while");
  Session s(*f.ctx);
  EXPECT_TRUE(s.run_while([&] { return s.now_us() < 35.0; }, 10.0, 1000.0));
  EXPECT_NEAR(s.now_us(), 40.0, 1e-9);
  EXPECT_FALSE(s.run_while([] { return true; }, 10.0, 100.0));
  EXPECT_NEAR(s.now_us(), 100.0, 1e-9);
}

TEST(Session, FinishWritesRecordingsAndStatistics) {
  Fixture f("finish");
  Session s(*f.ctx);
  s.plan(300.0);
  s.advance_to(300.0);
  s.finish();
  EXPECT_TRUE(std::filesystem::exists(f.out / "spikes.csv"));
  EXPECT_TRUE(std::filesystem::exists(f.out / "rate_counters.csv"));
  EXPECT_NEAR(f.ctx->stats.emulated_time_us, 300.0, 1e-9);
  std::ifstream spikes(f.out / "spikes.csv");
  std::string header;
  std::getline(spikes, header);
  EXPECT_EQ(header, "time_us,neuron");
}

TEST(Session, FinishRefusesARunShorterThanPlanned) {
  Fixture f("short");
  Session s(*f.ctx);
  s.plan(500.0);
  s.advance_to(200.0);
  EXPECT_THROW(s.finish(), RunFailure);
}

TEST(Session, FirmwareHostRefusesAMissingImageAndAWrongBlock) {
  Fixture f("fw");
  Session s(*f.ctx, 1);
  EXPECT_THROW(s.firmware().load("/nonexistent/sal.elf"), UserError);
  s.firmware().load(firmware_image("hello.elf"));
  struct Block {
    std::uint32_t x;
  };
  EXPECT_THROW(s.firmware().write_block("no_such_block", Block{1}), UserError);
}
