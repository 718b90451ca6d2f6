// The firmware profiler (hw/ppu/firmware_profiler.*): attribution checked against a program
// whose split is known in advance (tests/ppu/fw/profile_split.c), stalls on the CADC and the
// rest of the chip window attributed to the function that stalled, identical results with and
// without the profiler, and `salvo ppu-run --profile` end to end (text and CSV).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include "salvo_paths.hpp"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <tlm_utils/simple_target_socket.h>
#include <systemc>
#include <tlm>

#include "hw/ppu/firmware_profiler.hpp"
#include "hw/ppu/plasticity_processor.hpp"

namespace salvo::ppu {
namespace {

std::string fw(const std::string& name) { return std::string(SALVO_FIRMWARE_DIR) + "/" + name; }

// Chip-window memory that stalls reads of the listed offsets by 1 µs (250 cycles at 250 MHz).
class StallingChip : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<StallingChip> socket{"socket"};
  std::vector<std::uint64_t> stall_at;
  explicit StallingChip(const sc_core::sc_module_name& n) : sc_core::sc_module(n) {
    socket.register_b_transport(this, &StallingChip::b_transport);
  }
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
    if (gp.is_read()) std::memset(gp.get_data_ptr(), 0, gp.get_data_length());
    for (std::uint64_t a : stall_at)
      if (gp.is_read() && gp.get_address() == a) delay += sc_core::sc_time(1, sc_core::SC_US);
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
  }
};

std::map<std::string, ProfileRow> by_name(const FirmwareProfiler& p) {
  std::map<std::string, ProfileRow> m;
  for (const auto& r : p.rows()) m[r.function] = r;
  return m;
}

TEST(PpuProfile, AttributesTheKnownSplitAndChangesNothing) {
  PlasticityProcessorParams a, b;
  a.name = "profiled";
  b.name = "plain";
  PlasticityProcessor profiled("profiled", a), plain("plain", b);
  profiled.load_elf(fw("tests/profile_split.elf"));
  plain.load_elf(fw("tests/profile_split.elf"));
  FirmwareProfiler profiler(*profiled.image());
  profiled.attach_profiler(&profiler);
  sc_core::sc_start();
  ASSERT_EQ(profiled.end_reason(), ProgramEnd::kExited) << profiled.end_message();
  ASSERT_EQ(plain.end_reason(), ProgramEnd::kExited) << plain.end_message();
  // The profiler observes; it does not change what runs.
  EXPECT_EQ(profiled.stats().instructions, plain.stats().instructions);
  EXPECT_EQ(profiled.stats().cycles, plain.stats().cycles);
  EXPECT_EQ(profiler.instructions(), profiled.stats().instructions);
  EXPECT_EQ(profiler.cycles(), profiled.stats().busy_cycles);  // no interrupts in this program

  const auto rows = by_name(profiler);
  ASSERT_TRUE(rows.count("work_a") && rows.count("work_b") && rows.count("main"));
  const ProfileRow& wa = rows.at("work_a");
  const ProfileRow& wb = rows.at("work_b");
  EXPECT_EQ(wa.calls, 5u);
  EXPECT_EQ(wb.calls, 2u);
  EXPECT_EQ(rows.at("main").calls, 1u);
  // Per call: the loop (2 instructions per iteration) plus at most a few around it (the return).
  EXPECT_GE(wa.instructions, 5u * 2000u);
  EXPECT_LE(wa.instructions, 5u * 2004u);
  EXPECT_GE(wb.instructions, 2u * 15000u);
  EXPECT_LE(wb.instructions, 2u * 15004u);
  EXPECT_GE(wa.cycles, 5u * 4001u);
  EXPECT_LE(wa.cycles, 5u * 4010u);
  EXPECT_GE(wb.cycles, 2u * 30001u);
  EXPECT_LE(wb.cycles, 2u * 30010u);
  const std::vector<ProfileRow> all = profiler.rows();
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.front().function, "work_b");  // most cycles first
  EXPECT_EQ(wa.cadc_stall_cycles + wa.chip_stall_cycles + wb.cadc_stall_cycles, 0u);
  // Without a chip, use_chip is 0: the chip readers never ran.
  EXPECT_EQ(rows.count("read_cadc"), 0u);
}

TEST(PpuProfile, StallsGoToTheFunctionAndTheRegionThatStalled) {
  PlasticityProcessorParams p;
  PlasticityProcessor ppu("ppu0", p);
  StallingChip chip("chip");
  chip.stall_at = {0x21000, 0x4};  // a CADC causal result and the weight read_weight reads
  ppu.chip_socket.bind(chip.socket);
  ppu.load_elf(fw("tests/profile_split.elf"));
  const std::uint32_t one = 1;
  ASSERT_TRUE(ppu.write_memory(*ppu.symbol("use_chip"), &one, 4));
  FirmwareProfiler profiler(*ppu.image());
  ppu.attach_profiler(&profiler);
  sc_core::sc_start();
  ASSERT_EQ(ppu.end_reason(), ProgramEnd::kExited) << ppu.end_message();
  const auto rows = by_name(profiler);
  ASSERT_TRUE(rows.count("read_cadc") && rows.count("read_weight"));
  EXPECT_EQ(rows.at("read_cadc").cadc_stall_cycles, 250u);
  EXPECT_EQ(rows.at("read_cadc").chip_stall_cycles, 0u);
  EXPECT_EQ(rows.at("read_weight").chip_stall_cycles, 250u);
  EXPECT_EQ(rows.at("read_weight").cadc_stall_cycles, 0u);
  EXPECT_GE(rows.at("read_cadc").cycles, 250u);
  EXPECT_EQ(ppu.stats().chip_stall_cycles, 500u);
  EXPECT_EQ(profiler.cycles(), ppu.stats().busy_cycles);
}

struct Result {
  int exit_code = -1;
  std::string output;
};

Result run(const std::string& cmdline) {
  Result r;
  FILE* p = popen((cmdline + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

TEST(PpuProfile, PpuRunPrintsAndWritesTheProfile) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("salvo_profile_" + std::to_string(getpid()));
  fs::create_directories(dir);
  const fs::path csv = dir / "prof.csv";
  const Result r = run(std::string(SALVO_BIN_DIR) + "/salvo ppu-run " +
                       fw("tests/profile_split.elf") + " --profile --profile-out " + csv.string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("flat profile:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("work_b"), std::string::npos) << r.output;
  std::ifstream in(csv);
  ASSERT_TRUE(in.good());
  std::string header, line;
  std::getline(in, header);
  EXPECT_EQ(header,
            "function,address,size,instructions,cycles,percent,calls,cycles_per_call,"
            "cadc_stall_cycles,chip_stall_cycles");
  std::getline(in, line);
  EXPECT_EQ(line.rfind("work_b,", 0), 0u) << line;  // most cycles first
  double sum = 0;
  int rows = 1;
  auto percent_of = [](const std::string& l) {
    std::vector<std::string> f;
    std::stringstream ss(l);
    for (std::string x; std::getline(ss, x, ',');) f.push_back(x);
    return std::stod(f.at(5));
  };
  sum += percent_of(line);
  while (std::getline(in, line)) {
    sum += percent_of(line);
    ++rows;
  }
  EXPECT_NEAR(sum, 100.0, 0.01);
  EXPECT_GE(rows, 4);  // _start or main, work_a, work_b, ppu_exit...
  EXPECT_TRUE(fs::exists(dir / "prof_pc.csv"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace salvo::ppu
