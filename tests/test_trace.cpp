// `salvo run --trace` (emulator/trace): option parsing, the VCD writer, and a traced SAL run
// on the mini chip parsed back — header, unique variable ids, monotonic time, every spike of
// the traced neurons at the time spikes.csv gives, the processor's pc and CADC stalls, CADC
// conversions — with results identical to the same run untraced.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "emulator/trace/chip_trace.hpp"
#include "emulator/trace/vcd_writer.hpp"
#include "hw/common/error.hpp"
#include "salvo_paths.hpp"
#include "salvo_run.hpp"

namespace salvo::trace {
namespace {

namespace fs = std::filesystem;

// A parsed VCD: variables by scope path "a.b.name" -> id, and per id its changes (time, value
// text: "0"/"1", "b101", "r1.5").
struct Vcd {
  std::string timescale;
  std::map<std::string, std::string> ids;
  std::map<std::string, std::vector<std::pair<std::uint64_t, std::string>>> changes;
  bool monotonic = true;
  std::vector<std::string> errors;
};

Vcd parse_vcd(const fs::path& path) {
  Vcd v;
  std::ifstream in(path);
  std::string tok;
  std::vector<std::string> scope;
  bool in_defs = true;
  std::uint64_t now = 0;
  bool have_time = false;
  std::string line;
  while (in_defs && in >> tok) {
    if (tok == "$timescale") {
      std::string a, b;
      in >> a >> b;
      v.timescale = a + " " + b;
      in >> tok;  // $end
    } else if (tok == "$scope") {
      std::string kind, name, end;
      in >> kind >> name >> end;
      scope.push_back(name);
    } else if (tok == "$upscope") {
      in >> tok;
      if (scope.empty())
        v.errors.push_back("unbalanced $upscope");
      else
        scope.pop_back();
    } else if (tok == "$var") {
      std::string type, width, id, name, end;
      in >> type >> width >> id >> name >> end;
      std::string full;
      for (const auto& s : scope) full += s + ".";
      full += name;
      for (const auto& [n, other] : v.ids)
        if (other == id) v.errors.push_back("id " + id + " used twice");
      v.ids[full] = id;
    } else if (tok == "$enddefinitions") {
      in >> tok;
      in_defs = false;
    } else if (tok == "$comment") {
      while (in >> tok && tok != "$end") {
      }
    }
  }
  std::set<std::string> known;
  for (const auto& [n, id] : v.ids) known.insert(id);
  while (in >> tok) {
    if (tok == "$dumpvars" || tok == "$end") continue;
    if (tok[0] == '#') {
      const std::uint64_t t = std::stoull(tok.substr(1));
      if (have_time && t <= now) v.monotonic = false;
      now = t;
      have_time = true;
    } else if (tok[0] == 'b' || tok[0] == 'r') {
      std::string id;
      in >> id;
      if (!known.count(id)) v.errors.push_back("undeclared id " + id);
      v.changes[id].push_back({now, tok});
    } else {
      const std::string id = tok.substr(1);
      if (!known.count(id)) v.errors.push_back("undeclared id " + id);
      v.changes[id].push_back({now, tok.substr(0, 1)});
    }
  }
  return v;
}

TEST(TraceOptions, ParsesListsSignalsAndWindows) {
  const TraceOptions o = parse_trace_options("t.vcd", "0-3,40,2", "membrane,ppu", "100:250.5");
  EXPECT_EQ(o.neurons, (std::vector<int>{0, 1, 2, 3, 40}));
  EXPECT_EQ(o.signals, unsigned{kMembrane | kPpu});
  EXPECT_DOUBLE_EQ(o.t0_us, 100.0);
  EXPECT_DOUBLE_EQ(o.t1_us, 250.5);
  const TraceOptions d = parse_trace_options("t.vcd", "", "", ":300");
  EXPECT_TRUE(d.neurons.empty());
  EXPECT_EQ(d.signals, unsigned{kAllSignals});
  EXPECT_DOUBLE_EQ(d.t0_us, 0.0);
  EXPECT_DOUBLE_EQ(d.t1_us, 300.0);
  EXPECT_FALSE(parse_trace_options("", "", "", "").enabled());
}

TEST(TraceOptions, RefusesBadValuesNamingTheOption) {
  auto message = [](const std::string& n, const std::string& s, const std::string& w) {
    try {
      parse_trace_options("t.vcd", n, s, w);
    } catch (const OptionError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("3-1", "", "").find("--trace-neurons"), std::string::npos);
  EXPECT_NE(message("a", "", "").find("--trace-neurons"), std::string::npos);
  EXPECT_NE(message("", "membrane,volts", "").find("unknown signal 'volts'"), std::string::npos);
  EXPECT_NE(message("", "", "300:100").find("--trace-window"), std::string::npos);
  EXPECT_NE(message("", "", "100").find("--trace-window"), std::string::npos);
}

TEST(VcdWriter, WritesSortedNestedDeduplicatedChanges) {
  const fs::path path = fs::temp_directory_path() / ("salvo_vcd_" + std::to_string(::getpid()));
  VcdWriter w;
  const int a = w.add("top.x", "a", VcdWriter::Kind::kWire);
  const int v = w.add("top.y", "v", VcdWriter::Kind::kReal);
  const int bus = w.add("top.x", "bus", VcdWriter::Kind::kWire, 8);
  w.wire(20, a, 1);
  w.real(10, v, 1.5);
  w.wire(10, a, 0);
  w.wire(30, a, 1);  // repeated value: left out
  w.wire(30, bus, 5);
  w.write(path.string(), "test");
  const Vcd p = parse_vcd(path);
  EXPECT_TRUE(p.errors.empty()) << p.errors.front();
  EXPECT_TRUE(p.monotonic);
  EXPECT_EQ(p.timescale, "1 ps");
  ASSERT_TRUE(p.ids.count("top.x.a") && p.ids.count("top.y.v") && p.ids.count("top.x.bus"));
  const auto& ca = p.changes.at(p.ids.at("top.x.a"));
  ASSERT_EQ(ca.size(), 2u);  // dumpvars 0 at 10, then 1 at 20
  EXPECT_EQ(ca[1], (std::pair<std::uint64_t, std::string>{20, "1"}));
  EXPECT_EQ(p.changes.at(p.ids.at("top.x.bus")).back(),
            (std::pair<std::uint64_t, std::string>{30, "b101"}));
  EXPECT_EQ(p.changes.at(p.ids.at("top.y.v")).front().second, "r1.5");
  fs::remove(path);
}

// The SAL firmware on the mini chip: learning runs from 122.5 ms to 142.5 ms, an update every
// 2 ms. The window holds two updates.
const std::string kSalMini = std::string("--chip ") + SALVO_SOURCE_DIR +
                             "/configs/chips/mini.yaml --experiment " + SALVO_SOURCE_DIR +
                             "/configs/experiments/sal-feedback.yaml --no-plots --set "
                             "experiment.duration_us=20000 --set experiment.layer_a=6 --set "
                             "experiment.layer_b=6";

TEST(Trace, SalRunParsesBackWithSpikesWhereSpikesCsvHasThem) {
  const fs::path vcd =
      fs::temp_directory_path() / ("salvo_trace_" + std::to_string(::getpid()) + ".vcd");
  const auto traced = salvo::testing::salvo_run(
      "traced", kSalMini + " --trace " + vcd.string() +
                    " --trace-neurons 0,3,7 --trace-window 128000:132500");
  ASSERT_EQ(traced.code, 0) << traced.output;
  const auto plain = salvo::testing::salvo_run("plain", kSalMini);
  ASSERT_EQ(plain.code, 0) << plain.output;
  // Tracing observes only: the same spikes and metrics.
  auto slurp = [](const fs::path& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  EXPECT_EQ(slurp(traced.out / "spikes.csv"), slurp(plain.out / "spikes.csv"));
  EXPECT_EQ(traced.summary["metrics"], plain.summary["metrics"]);

  const Vcd v = parse_vcd(vcd);
  ASSERT_TRUE(v.errors.empty()) << v.errors.front();
  EXPECT_TRUE(v.monotonic);
  EXPECT_EQ(v.timescale, "1 ps");
  for (const char* name :
       {"chip.neuron0.v_mV", "chip.neuron3.spike", "chip.neuron7.spike", "chip.bus0.occupancy",
        "chip.cadc0.busy", "chip.capmem.code", "ppu0.pc", "ppu0.state"})
    EXPECT_TRUE(v.ids.count(name)) << name;
  EXPECT_FALSE(v.ids.count("chip.neuron1.spike"));  // not selected

  // Every spike of a traced neuron inside the window, at its spikes.csv time (1 ps units).
  std::ifstream spikes(traced.out / "spikes.csv");
  std::string line;
  std::getline(spikes, line);
  int checked = 0;
  while (std::getline(spikes, line)) {
    const double t = std::stod(line.substr(0, line.find(',')));
    const int n = std::stoi(line.substr(line.find(',') + 1));
    if ((n != 0 && n != 3 && n != 7) || t < 128000 || t > 132500) continue;
    const auto ps = static_cast<std::uint64_t>(std::llround(t * 1e6));
    const auto& ch = v.changes.at(v.ids.at("chip.neuron" + std::to_string(n) + ".spike"));
    const bool found = std::any_of(ch.begin(), ch.end(),
                                   [&](const auto& c) { return c.first == ps && c.second == "1"; });
    EXPECT_TRUE(found) << "spike of neuron " << n << " at " << t << " us";
    ++checked;
  }
  EXPECT_GT(checked, 10);
  // The processor ran its updates in the window: many pcs, stalls on the CADC (state 2) while
  // conversions ran.
  EXPECT_GT(v.changes.at(v.ids.at("ppu0.pc")).size(), 1000u);
  const auto& state = v.changes.at(v.ids.at("ppu0.state"));
  EXPECT_TRUE(
      std::any_of(state.begin(), state.end(), [](const auto& c) { return c.second == "b10"; }));
  EXPECT_TRUE(
      std::any_of(state.begin(), state.end(), [](const auto& c) { return c.second == "b1"; }));
  EXPECT_GE(v.changes.at(v.ids.at("chip.cadc0.busy")).size(), 2u * 12u);  // 2 updates x 12 rows
  for (const auto& [id, ch] : v.changes)
    for (const auto& c : ch)
      if (c.first != ch.front().first) {
        EXPECT_GE(c.first, 128000ull * 1000000ull);
        EXPECT_LE(c.first, 132600ull * 1000000ull);
      }
  fs::remove(vcd);
  fs::remove_all(traced.out);
  fs::remove_all(plain.out);
}

TEST(Trace, OptionsWithoutTraceAreRefused) {
  const auto r = salvo::testing::salvo_run("notrace", kSalMini + " --trace-window 0:10");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("needs --trace"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace salvo::trace
