// Debugging firmware with gdb: a real `gdb-multiarch -batch` session against
// `salvo ppu-run --gdb 0` (connect, break at a function, step, print variables, change one,
// continue to exit), and the remote protocol spoken directly for what batch gdb cannot show:
// the target description, register and memory packets, software breakpoints, Ctrl-C, kill.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "salvo_paths.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

extern char** environ;

namespace {

std::string fw(const std::string& name) { return std::string(SALVO_FIRMWARE_DIR) + "/" + name; }

// `salvo ppu-run ... --gdb 0` in the background, its output collected through a pipe.
class PpuRunChild {
 public:
  explicit PpuRunChild(const std::vector<std::string>& args,
                       const std::string& command = "ppu-run") {
    int p[2];
    if (pipe(p) != 0) return;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_adddup2(&fa, p[1], 2);
    posix_spawn_file_actions_addclose(&fa, p[0]);
    std::vector<std::string> all = {std::string(SALVO_BIN_DIR) + "/salvo", command};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    fd_ = p[0];
  }
  ~PpuRunChild() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (fd_ >= 0) close(fd_);
  }
  // The port ppu-run ("waiting for gdb on 127.0.0.1:PORT") or run ("… waits for gdb on …")
  // announces, or -1.
  int port() {
    const std::string key = "for gdb on 127.0.0.1:";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      const std::size_t k = output_.find(key);
      if (k != std::string::npos) {
        const std::size_t nl = output_.find('\n', k);
        if (nl != std::string::npos) return std::atoi(output_.c_str() + k + key.size());
      }
      // Nothing yet: `salvo run` calibrates for a while before the firmware starts; a child
      // that has exited keeps failing the read until the deadline.
      if (!read_some(200)) usleep(20'000);
    }
    return -1;
  }
  // Waits for the exit; returns the exit code.
  int finish() {
    while (read_some(20000)) {
    }
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  const std::string& output() const { return output_; }

 private:
  bool read_some(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return false;
    char buf[4096];
    const ssize_t n = read(fd_, buf, sizeof buf);
    if (n <= 0) return false;
    output_.append(buf, static_cast<std::size_t>(n));
    return true;
  }
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string output_;
};

bool have_gdb() { return system("gdb-multiarch --version > /dev/null 2>&1") == 0; }

TEST(PpuGdb, BatchSessionBreaksStepsPrintsAndContinuesToExit) {
  if (!have_gdb()) GTEST_SKIP() << "gdb-multiarch not installed";
  PpuRunChild ppu({fw("tests/gdb_target.elf"), "--gdb", "0"});
  const int port = ppu.port();
  ASSERT_GT(port, 0) << ppu.output();
  const std::string script = testing::TempDir() + "/ppu_gdb_" + std::to_string(getpid()) + ".gdb";
  std::ofstream(script) << "set pagination off\nset confirm off\n"
                        << "target remote 127.0.0.1:" << port << "\n"
                        << "break accumulate\ncontinue\nnext\nnext\ninfo locals\nprint n\nfinish\n"
                        << "set var poke = 42\nprint poke\nstepi\ninfo registers pc\ncontinue\n";
  const std::string cmd = "timeout 60 gdb-multiarch -batch -nx -x " + script + " " +
                          fw("tests/gdb_target.elf") + " 2>&1";
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  std::remove(script.c_str());

  EXPECT_NE(out.find("_start () at"), std::string::npos) << out;  // halted at reset
  EXPECT_NE(out.find("Breakpoint 1 at 0x"), std::string::npos) << out;
  EXPECT_NE(out.find("Breakpoint 1, accumulate (n=n@entry=10) at"), std::string::npos) << out;
  EXPECT_NE(out.find("total = 385"), std::string::npos) << out;
  EXPECT_NE(out.find("$1 = 10"), std::string::npos) << out;
  EXPECT_NE(out.find("Value returned is $2 = 385"), std::string::npos) << out;
  EXPECT_NE(out.find("$3 = 42"), std::string::npos) << out;
  EXPECT_NE(out.find("<main+"), std::string::npos) << out;  // `info registers pc` after stepi
  EXPECT_NE(out.find("exited normally"), std::string::npos) << out;

  EXPECT_EQ(ppu.finish(), 0) << ppu.output();
  EXPECT_NE(ppu.output().find("ppu0: sum 385 poke 42"), std::string::npos) << ppu.output();
}

// ---- the remote protocol, byte by byte -----------------------------------------------------

class Rsp {
 public:
  explicit Rsp(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    const int one = 1;  // like gdb: no Nagle delay between an ack and the next packet
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~Rsp() { close(fd_); }
  bool connected() const { return connected_; }
  void raw(const std::string& s) { (void)!write(fd_, s.data(), s.size()); }
  void send(const std::string& body) {
    unsigned cs = 0;
    for (unsigned char c : body) cs += c;
    char tail[4];
    std::snprintf(tail, sizeof tail, "#%02x", cs & 0xFF);
    raw("$" + body + tail);
  }
  // Next packet body (acks skipped, our ack sent); empty string on timeout.
  std::string reply(int timeout_ms = 10000) {
    for (;;) {
      const std::size_t s = buf_.find('$');
      const std::size_t h = s == std::string::npos ? s : buf_.find('#', s);
      if (h != std::string::npos && h + 2 < buf_.size()) {
        std::string body = buf_.substr(s + 1, h - s - 1);
        buf_.erase(0, h + 3);
        raw("+");
        return body;
      }
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, timeout_ms) <= 0) return {};
      char b[4096];
      const ssize_t n = read(fd_, b, sizeof b);
      if (n <= 0) return {};
      buf_.append(b, static_cast<std::size_t>(n));
    }
  }
  std::string ask(const std::string& body) {
    send(body);
    return reply();
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
};

TEST(PpuGdb, RemoteProtocolPackets) {
  PpuRunChild ppu({fw("tests/spin.elf"), "--gdb", "0"});
  const int port = ppu.port();
  ASSERT_GT(port, 0) << ppu.output();
  Rsp g(port);
  ASSERT_TRUE(g.connected());

  EXPECT_NE(g.ask("qSupported:multiprocess+;swbreak+").find("qXfer:features:read+"),
            std::string::npos);
  const std::string xml = g.ask("qXfer:features:read:target.xml:0,3fff");
  EXPECT_EQ(xml[0], 'l');
  EXPECT_NE(xml.find("<architecture>riscv:rv32</architecture>"), std::string::npos) << xml;
  EXPECT_NE(xml.find("org.gnu.gdb.riscv.cpu"), std::string::npos);
  EXPECT_EQ(g.ask("?").substr(0, 3), "T05");  // halted at reset

  const std::string regs = g.ask("g");
  ASSERT_EQ(regs.size(), 33u * 8);
  EXPECT_EQ(regs.substr(32 * 8), "00000080");  // pc = 0x80000000, little-endian
  EXPECT_EQ(g.ask("p20"), "00000080");
  EXPECT_EQ(g.ask("p342"), "04110040");   // misa: CSR 0x301 is regnum 0x41 + 0x301
  EXPECT_EQ(g.ask("P5=78563412"), "OK");  // t0 = 0x12345678
  EXPECT_EQ(g.ask("p5"), "78563412");

  // Memory: write, read back, unmapped addresses fail.
  EXPECT_EQ(g.ask("M80001000,4:efbeadde"), "OK");
  EXPECT_EQ(g.ask("m80001000,4"), "efbeadde");
  EXPECT_EQ(g.ask("m20000000,4").substr(0, 1), "E");

  // Single step moves the pc past the first instruction.
  const std::string first = g.ask("m80000000,4");
  EXPECT_EQ(g.ask("s").substr(0, 3), "T05");
  const std::string pc = g.ask("p20");
  EXPECT_NE(pc, "00000080");

  // A software breakpoint on main: memory reads still show the original bytes.
  std::string main_addr;
  {
    FILE* p = popen(
        ("riscv64-unknown-elf-nm " + fw("tests/spin.elf") + " | grep ' T main$'").c_str(), "r");
    char b[128] = {0};
    if (p && fgets(b, sizeof b, p)) main_addr = std::string(b).substr(0, 8);
    if (p) pclose(p);
  }
  if (!main_addr.empty()) {
    const std::string before = g.ask("m" + main_addr + ",2");
    EXPECT_EQ(g.ask("Z0," + main_addr + ",2"), "OK");
    EXPECT_EQ(g.ask("m" + main_addr + ",2"), before);
    EXPECT_EQ(g.ask("c").substr(0, 3), "T05");
    std::string le;  // main's address as the pc register reads it
    for (int i = 6; i >= 0; i -= 2) le += main_addr.substr(static_cast<std::size_t>(i), 2);
    EXPECT_EQ(g.ask("p20"), le);
    EXPECT_EQ(g.ask("z0," + main_addr + ",2"), "OK");
  }

  // Continue into the endless loop, then Ctrl-C stops it with SIGINT.
  g.send("c");
  usleep(100'000);
  g.raw("\x03");
  EXPECT_EQ(g.reply().substr(0, 3), "T02");
  EXPECT_EQ(g.ask("vCont?"), "vCont;c;C;s;S");
  g.send("k");
  EXPECT_EQ(ppu.finish(), 1);
  EXPECT_NE(ppu.output().find("killed by the debugger"), std::string::npos) << ppu.output();
}

// Issue 12, class 13: malformed memory packets get an error reply and write nothing; a
// packet past the advertised PacketSize is dropped with an error, not buffered without bound.
TEST(PpuGdb, MalformedPacketsGetErrorsAndChangeNothing) {
  PpuRunChild ppu({fw("tests/spin.elf"), "--gdb", "0"});
  const int port = ppu.port();
  ASSERT_GT(port, 0) << ppu.output();
  Rsp g(port);
  ASSERT_TRUE(g.connected());
  EXPECT_NE(g.ask("qSupported:swbreak+").find("PacketSize=4000"), std::string::npos);
  ASSERT_EQ(g.ask("M80001000,8:1122334455667788"), "OK");
  EXPECT_EQ(g.ask("M80001000,8:aabb"), "E01");  // 2 of 8 bytes: no zeros written
  EXPECT_EQ(g.ask("X80001000,ffffffff:ab"), "E01");
  EXPECT_EQ(g.ask("X80001000,4:ab"), "E01");
  EXPECT_EQ(g.ask("m80001000,8"), "1122334455667788");
  EXPECT_EQ(g.ask("m80001000,ffffffff"), "E01");
  // Registers: non-hex values and register numbers past 32 bits are errors, nothing written.
  ASSERT_EQ(g.ask("P5=78563412"), "OK");
  EXPECT_EQ(g.ask("P5=zz563412"), "E01");
  EXPECT_EQ(g.ask("P100000005=00000000"), "E01");
  EXPECT_EQ(g.ask("p100000005"), "E01");
  EXPECT_EQ(g.ask("G" + std::string(33 * 8, 'x')), "E01");
  EXPECT_EQ(g.ask("p5"), "78563412");
  // 64 KiB without a '#': one error reply, then the connection still works.
  g.raw("$M80001000,1:" + std::string(65536, '0'));
  EXPECT_EQ(g.reply(), "E01");
  g.raw("#00");
  EXPECT_EQ(g.ask("m80001000,4"), "11223344");
  g.send("k");
  EXPECT_EQ(ppu.finish(), 1);
}

TEST(PpuGdb, DetachLetsTheProgramRunToItsEnd) {
  PpuRunChild ppu({fw("hello.elf"), "--gdb", "0"});
  const int port = ppu.port();
  ASSERT_GT(port, 0) << ppu.output();
  Rsp g(port);
  ASSERT_TRUE(g.connected());
  EXPECT_EQ(g.ask("D"), "OK");
  EXPECT_EQ(ppu.finish(), 0) << ppu.output();
  EXPECT_NE(ppu.output().find("hello from the plasticity processor"), std::string::npos);
}

}  // namespace

// `salvo run --gdb`: the experiment's firmware waits at its entry; a breakpoint on `function`
// is hit once the experiment runs, and after detaching the run completes.
void expect_run_stops_at(const std::string& elf, const std::string& function,
                         std::vector<std::string> args, const std::string& tag) {
  std::string addr;
  {
    FILE* p = popen(
        ("riscv64-unknown-elf-nm " + fw(elf) + " | grep -i ' t " + function + "$'").c_str(), "r");
    char b[128] = {0};
    if (p && fgets(b, sizeof b, p)) addr = std::string(b).substr(0, 8);
    if (p) pclose(p);
  }
  ASSERT_EQ(addr.size(), 8u) << function << " not in " << elf;
  const std::string out = "/tmp/salvo_test_rungdb_" + tag + "_" + std::to_string(getpid());
  args.insert(args.begin(), {"--chip", std::string(SALVO_SOURCE_DIR) + "/configs/chips/mini.yaml"});
  for (const char* a : {"--no-plots", "--gdb", "0", "--out"}) args.push_back(a);
  args.push_back(out);
  PpuRunChild run(args, "run");
  const int port = run.port();
  ASSERT_GT(port, 0) << run.output();
  Rsp g(port);
  ASSERT_TRUE(g.connected());
  EXPECT_EQ(g.ask("Z0," + addr + ",2"), "OK");
  EXPECT_EQ(g.ask("c").substr(0, 3), "T05");
  std::string le;  // the address as the pc register reads it
  for (int i = 6; i >= 0; i -= 2) le += addr.substr(static_cast<std::size_t>(i), 2);
  EXPECT_EQ(g.ask("p20"), le);
  EXPECT_EQ(g.ask("z0," + addr + ",2"), "OK");
  EXPECT_EQ(g.ask("D"), "OK");
  EXPECT_EQ(run.finish(), 0) << run.output();
}

TEST(PpuGdb, SalvoRunStopsTheSalFirmwareForGdb) {
  if (!have_gdb()) GTEST_SKIP() << "gdb-multiarch not installed";
  expect_run_stops_at(
      "sal.elf", "update",
      {"--set", "experiment.layer_a=3", "--set", "experiment.layer_b=3", "--set",
       "experiment.duration_us=10000", "--set", "experiment.sensor_gain_calibration_us=0"},
      "sal");
}

TEST(PpuGdb, SalvoRunStopsTheSamplingFirmwareForGdb) {
  // The sampling executor goes through the same FirmwareHost, so `run --gdb` reaches it too.
  if (!have_gdb()) GTEST_SKIP() << "gdb-multiarch not installed";
  expect_run_stops_at(
      "sampling.elf", "tick",
      {"--experiment", std::string(SALVO_SOURCE_DIR) + "/configs/experiments/sampling.yaml",
       "--set", "experiment.executor=firmware", "--set", "experiment.neurons=3", "--set",
       "experiment.iterations=2", "--set", "experiment.sample_us=1000", "--set",
       "experiment.validation_us=2000", "--set", "experiment.sensor_calibration_us=2000", "--set",
       "experiment.activation_points=3", "--set", "experiment.activation_window_us=500"},
      "sampling");
}
