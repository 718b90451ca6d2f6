// `salvo ppu-run` end to end, as users and scripts call it: the instruction-set test programs
// (tests/ppu/isa/*.S, one case per program), the example firmware, unhandled traps, the
// watchdog, exit codes through HTIF, and malformed ELF files (exit 2 with a clear line).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include "salvo_paths.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct Result {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
  std::string last_line;
};

Result run(const std::string& args) {
  const std::string cmd = std::string(SALVO_BIN_DIR) + "/salvo ppu-run " + args + " 2>&1";
  Result r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::string s = r.output;
  while (!s.empty() && s.back() == '\n') s.pop_back();
  r.last_line = s.substr(s.find_last_of('\n') == std::string::npos ? 0 : s.find_last_of('\n') + 1);
  return r;
}

std::string fw(const std::string& name) { return std::string(SALVO_FIRMWARE_DIR) + "/" + name; }

// "ppu-run: <N> instructions, <X.X> MIPS" (std::regex trips GCC 12 warnings under ASan).
bool is_mips_line(const std::string& line) {
  unsigned long long n = 0;
  unsigned whole = 0, tenth = 0;
  int consumed = 0;
  if (std::sscanf(line.c_str(), "ppu-run: %llu instructions, %u.%1u MIPS%n", &n, &whole, &tenth,
                  &consumed) != 3)
    return false;
  return static_cast<std::size_t>(consumed) == line.size();
}

// ---- instruction-set programs ------------------------------------------------------------------

class PpuIsaProgram : public testing::TestWithParam<const char*> {};

TEST_P(PpuIsaProgram, Passes) {
  const Result r = run(fw(std::string("tests/") + GetParam() + ".elf"));
  EXPECT_EQ(r.exit_code, 0) << r.output;  // otherwise: the number of the failing case
  EXPECT_NE(r.output.find("passed (tohost = 1)"), std::string::npos) << r.output;
  EXPECT_TRUE(is_mips_line(r.last_line)) << r.last_line;
}

INSTANTIATE_TEST_SUITE_P(Isa, PpuIsaProgram,
                         testing::Values("alu_rr", "alu_imm", "branch", "jump", "load", "store",
                                         "fence_i", "mul", "div", "rvc", "csr", "trap", "timer",
                                         "counters"));

// ---- example firmware --------------------------------------------------------------------------

TEST(PpuRun, HelloPrintsThroughTheConsoleWithTheProcessorName) {
  const Result r = run(fw("hello.elf"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(
      r.output.find("[info] ppu0: hello from the plasticity processor 0 (16 KiB SRAM, 250 MHz)"),
      std::string::npos)
      << r.output;
  EXPECT_TRUE(is_mips_line(r.last_line)) << r.last_line;
}

TEST(PpuRun, TimerDrivenTaskTicksOnSchedule) {
  const Result r = run(fw("timer_ticks.elf"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  for (int t = 1; t <= 5; ++t)
    EXPECT_NE(r.output.find("ppu0: tick " + std::to_string(t) + " at"), std::string::npos)
        << r.output;
  EXPECT_NE(r.output.find("5 ticks in"), std::string::npos);
}

TEST(PpuRun, ComputeBenchmarkChecksItself) {
  const Result r = run(fw("compute_bench_short.elf"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  // The checksum a native host build of the same source computes.
  EXPECT_NE(r.output.find("compute_bench: 20 iterations, crc 0x85e4"), std::string::npos)
      << r.output;
}

TEST(PpuRun, MinimalProgramWithoutLibppu) {
  const Result r = run(fw("minimal.elf"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(is_mips_line(r.last_line)) << r.last_line;
}

// ---- failures --------------------------------------------------------------------------------

TEST(PpuRun, ChipAccessWithoutAChipIsAnUnhandledTrapReport) {
  // weight_copy reads row 0 through the chip window, which ppu-run leaves unbound.
  const Result r = run(fw("weight_copy.elf"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("unhandled trap: load access fault"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("mtval = 0x40000000"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("<copy_in"), std::string::npos) << r.output;  // pc with its symbol
  EXPECT_NE(r.output.find("insn   0x"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("x10   a0 0x"), std::string::npos) << r.output;  // the registers
  EXPECT_TRUE(is_mips_line(r.last_line)) << r.last_line;
}

TEST(PpuRun, WatchdogStopsARunawayProgram) {
  const Result r = run(fw("compute_bench_short.elf") + " --max-instructions 5000");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("watchdog"), std::string::npos) << r.output;
  EXPECT_NE(r.last_line.find("ppu-run: 5000 instructions"), std::string::npos) << r.last_line;
}

// Reliability class 3: main's non-zero return value is a failed run, exit 1 with the code
// printed (passed through, 2 read as "bad input" and 256 as a pass: the OS keeps 8 bits).
TEST(PpuRun, NonZeroExitCodesFailWithTheCodePrinted) {
  const Result r = run(fw("tests/exit_code.elf"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("exit code 7 (tohost = 0xf)"), std::string::npos) << r.output;
  EXPECT_TRUE(is_mips_line(r.last_line)) << r.last_line;
  const Result big = run(fw("tests/exit_256.elf"));
  EXPECT_EQ(big.exit_code, 1) << big.output;
  EXPECT_NE(big.output.find("exit code 256 (tohost = 0x201)"), std::string::npos) << big.output;
}

TEST(PpuRun, SleepingWithNothingToWakeItIsReportedNotHung) {
  const Result r = run(fw("tests/sleep_forever.elf"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("sleeps in WFI"), std::string::npos) << r.output;
  EXPECT_TRUE(is_mips_line(r.last_line)) << r.last_line;
}

// ---- bad input: exit 2 with one line naming the file -----------------------------------------

class PpuRunBadElf : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("salvo_ppu_elf_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    std::ifstream in(fw("hello.elf"), std::ios::binary);
    good_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    ASSERT_GT(good_.size(), 52u);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::vector<char>& bytes) {
    const fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return p.string();
  }
  static void put32(std::vector<char>& b, std::size_t off, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) b[off + i] = static_cast<char>(v >> (8 * i));
  }
  static std::uint32_t get32(const std::vector<char>& b, std::size_t off) {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i)
      v |= std::uint32_t{static_cast<unsigned char>(b[off + i])} << (8 * i);
    return v;
  }
  // File offset of the n-th PT_LOAD program header.
  std::size_t load_header(int n) const {
    const std::uint32_t phoff = get32(good_, 28);
    const unsigned phentsize =
        static_cast<unsigned char>(good_[42]) | (static_cast<unsigned char>(good_[43]) << 8);
    const unsigned phnum =
        static_cast<unsigned char>(good_[44]) | (static_cast<unsigned char>(good_[45]) << 8);
    for (unsigned i = 0; i < phnum; ++i) {
      const std::size_t h = phoff + i * phentsize;
      if (get32(good_, h) == 1 && n-- == 0) return h;
    }
    ADD_FAILURE() << "no such PT_LOAD header";
    return phoff;
  }
  void expect_rejected(const std::string& path, const std::string& message) {
    const Result r = run(path);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_EQ(r.output.rfind("salvo: error: " + path + ": ", 0), 0u) << r.output;
    EXPECT_NE(r.output.find(message), std::string::npos) << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;  // one line
  }
  fs::path dir_;
  std::vector<char> good_;
};

TEST_F(PpuRunBadElf, NotAnElf) {
  expect_rejected(write("text.elf", {'h', 'e', 'l', 'l', 'o', '\n'}), "not an ELF file");
}

TEST_F(PpuRunBadElf, SixtyFourBit) {
  auto b = good_;
  b[4] = 2;
  expect_rejected(write("elf64.elf", b), "64-bit ELF");
}

TEST_F(PpuRunBadElf, BigEndian) {
  auto b = good_;
  b[5] = 2;
  expect_rejected(write("be.elf", b), "big-endian ELF");
}

TEST_F(PpuRunBadElf, NotRiscv) {
  auto b = good_;
  b[18] = 62;  // EM_X86_64
  b[19] = 0;
  expect_rejected(write("x86.elf", b), "e_machine 62 is not RISC-V");
}

TEST_F(PpuRunBadElf, NotAnExecutable) {
  auto b = good_;
  b[16] = 1;  // ET_REL
  expect_rejected(write("obj.elf", b), "ELF type 1 is not an executable");
}

TEST_F(PpuRunBadElf, Truncated) {
  std::vector<char> b(good_.begin(), good_.begin() + 40);
  expect_rejected(write("short.elf", b), "truncated ELF header");
}

TEST_F(PpuRunBadElf, SegmentOutsideTheFile) {
  auto b = good_;
  put32(b, load_header(0) + 4, 0x7FFFFFF0);  // p_offset
  expect_rejected(write("segoff.elf", b), "lies outside the file");
}

TEST_F(PpuRunBadElf, EntryOutsideEverySegment) {
  auto b = good_;
  put32(b, 24, 0x7000'0000);
  expect_rejected(write("entry.elf", b),
                  "entry point 0x70000000 lies outside every loadable segment");
}

TEST_F(PpuRunBadElf, SegmentOverTheDevices) {
  auto b = good_;
  // The second PT_LOAD (data) moves onto the peripheral block.
  put32(b, load_header(1) + 12, 0x1000'0100);
  put32(b, load_header(1) + 8, 0x1000'0100);
  expect_rejected(write("dev.elf", b), "overlaps the processor's peripherals");
}

TEST_F(PpuRunBadElf, HardFloatAbi) {
  auto b = good_;
  put32(b, 36, get32(b, 36) | 0x4);  // EF_RISCV_FLOAT_ABI_DOUBLE
  expect_rejected(write("hf.elf", b), "built for a hardware floating-point ABI");
}

TEST(PpuRunOptions, BadOptionsExitTwo) {
  EXPECT_EQ(run("").exit_code, 2);
  EXPECT_EQ(run(fw("hello.elf") + " --max-instructions 0").exit_code, 2);
  EXPECT_EQ(run(fw("hello.elf") + " --gdb 70000").exit_code, 2);
  EXPECT_EQ(run(fw("hello.elf") + " --frobnicate").exit_code, 2);
  EXPECT_EQ(run("/nonexistent/prog.elf").exit_code, 2);
  EXPECT_EQ(run(fw("hello.elf") + " --memory-kib 1").exit_code, 2);  // hello needs more than 1 KiB
  EXPECT_EQ(run("--help").exit_code, 0);
}

}  // namespace
