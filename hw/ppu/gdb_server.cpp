#include "hw/ppu/gdb_server.hpp"

#include <cctype>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "hw/common/error.hpp"
#include "hw/ppu/gdb_packet.hpp"

namespace salvo::ppu {
namespace {

using gdb::decode_hex_bytes;
using gdb::parse_hex;

// gdb's numbering: x0..x31 = 0..31, pc = 32, CSR n = 65 + n.
constexpr unsigned kPcRegnum = 32;
constexpr unsigned kCsrRegnum = 65;
// The vector unit's registers v0..v31, then vl (feature org.salvo.vector).
constexpr unsigned kVectorRegnum = kCsrRegnum + 4096;
constexpr unsigned kVlRegnum = kVectorRegnum + 32;
// The CSRs the target description offers (besides the integer registers).
constexpr std::uint32_t kDescribedCsrs[] = {0x300, 0x301, 0x304, 0x305, 0x340, 0x341,
                                            0x342, 0x343, 0x344, 0xB00, 0xB02, 0xF14};
constexpr const char* kDescribedCsrNames[] = {"mstatus",  "misa",   "mie",      "mtvec",
                                              "mscratch", "mepc",   "mcause",   "mtval",
                                              "mip",      "mcycle", "minstret", "mhartid"};

// gdb's own signal numbers (not the host's).
constexpr int kSigInt = 2, kSigIll = 4, kSigTrap = 5, kSigBus = 10, kSigSegv = 11;

std::string hex8(std::uint32_t v) {
  // Little-endian byte order, as the target stores it.
  return fmt::format("{:02x}{:02x}{:02x}{:02x}", v & 0xFF, (v >> 8) & 0xFF, (v >> 16) & 0xFF,
                     v >> 24);
}

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::uint32_t le32(const std::string& hex, std::size_t pos) {
  std::uint32_t v = 0;
  for (int b = 0; b < 4; ++b) {
    const int hi = hexval(hex[pos + 2 * b]), lo = hexval(hex[pos + 2 * b + 1]);
    v |= static_cast<std::uint32_t>(hi * 16 + lo) << (8 * b);
  }
  return v;
}

int signal_for_trap(std::uint32_t mcause) {
  switch (mcause) {
    case 2:
      return kSigIll;
    case 3:
      return kSigTrap;
    case 4:
    case 6:
      return kSigBus;
    case 1:
    case 5:
    case 7:
      return kSigSegv;
    default:
      return kSigTrap;
  }
}

}  // namespace

GdbServer::GdbServer(PlasticityProcessor& processor) : processor_(processor) {}

GdbServer::~GdbServer() {
  close_connection();
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

int GdbServer::listen(int port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (listen_fd_ < 0)
    throw UserError(
        fmt::format("--gdb {}: cannot create a socket ({})", port, std::strerror(errno)));
  const int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // never reachable from other hosts
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 ||
      ::listen(listen_fd_, 1) < 0)
    throw UserError(fmt::format("--gdb {}: cannot listen on 127.0.0.1:{} ({})", port, port,
                                std::strerror(errno)));
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  return ntohs(addr.sin_port);
}

void GdbServer::accept() {
  for (;;) {
    fd_ = ::accept(listen_fd_, nullptr, nullptr);
    if (fd_ >= 0) break;
    if (errno != EINTR)
      throw UserError(fmt::format("gdb server: accept failed ({})", std::strerror(errno)));
  }
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ::close(listen_fd_);
  listen_fd_ = -1;
  spdlog::info("{}: gdb connected", processor_.params().name);
}

void GdbServer::close_connection() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

// ---- transport ---------------------------------------------------------------------------------

bool GdbServer::fill() {
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      framer_.feed(buf, static_cast<std::size_t>(n));
      return true;
    }
    if (n < 0 && errno == EINTR) continue;
    return false;
  }
}

GdbServer::Read GdbServer::read_packet(std::string& packet) {
  if (fd_ < 0) return Read::kClosed;
  for (;;) {
    switch (framer_.next(packet)) {
      case gdb::PacketFramer::Event::kInterrupt:
        return Read::kInterrupt;
      case gdb::PacketFramer::Event::kPacket:
        if (!no_ack_) send_raw("+");
        return Read::kPacket;
      case gdb::PacketFramer::Event::kBadChecksum:
        if (!no_ack_) send_raw("-");
        continue;
      case gdb::PacketFramer::Event::kTooLong:
        // Longer than the PacketSize we advertise: its bytes are dropped, never buffered.
        spdlog::warn("{}: gdb sent a packet longer than {} bytes; replying E01",
                     processor_.params().name, gdb::kMaxPacketBytes);
        if (!no_ack_) send_raw("+");
        send_packet("E01");
        continue;
      case gdb::PacketFramer::Event::kNeedMore:
        if (!fill()) return Read::kClosed;
        continue;
    }
  }
}

void GdbServer::send_raw(const std::string& bytes) {
  std::size_t off = 0;
  while (fd_ >= 0 && off < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      close_connection();
      return;
    }
    off += static_cast<std::size_t>(n);
  }
}

void GdbServer::send_packet(const std::string& data) {
  std::string out = "$";
  unsigned cs = 0;
  for (unsigned char c : data) {
    if (c == '$' || c == '#' || c == '}' || c == '*') {
      out += '}';
      out += static_cast<char>(c ^ 0x20);
      cs += '}';
      cs += c ^ 0x20;
    } else {
      out += static_cast<char>(c);
      cs += c;
    }
  }
  out += fmt::format("#{:02x}", cs & 0xFF);
  send_raw(out);
  if (no_ack_) return;
  // Wait for the acknowledgement; a '-' asks for a resend.
  std::string& in = framer_.raw();
  for (int tries = 0; fd_ >= 0 && tries < 3; ++tries) {
    while (in.empty())
      if (!fill()) {
        close_connection();
        return;
      }
    const char c = in[0];
    if (c == '+') {
      in.erase(0, 1);
      return;
    }
    if (c == '-') {
      in.erase(0, 1);
      send_raw(out);
      continue;
    }
    if (c == '\x03') {  // Ctrl-C racing the reply: keep it for later
      in.erase(0, 1);
      interrupted_ = true;
      continue;
    }
    return;  // a new packet already: the ack was lost or skipped
  }
}

// ---- ProcessorDebugger
// ----------------------------------------------------------------------------

std::string GdbServer::stop_reply(Stop why) const {
  int sig = kSigTrap;
  if (why == Stop::kInterrupt) sig = kSigInt;
  if (why == Stop::kTrap) sig = signal_for_trap(processor_.core().halt_info().mcause);
  return fmt::format("T{:02x}thread:1;", sig);
}

ProcessorDebugger::Resume GdbServer::on_stop(Stop why) {
  if (fd_ < 0) return Resume::kDetach;
  if (why != Stop::kReset) send_packet(stop_reply(why));
  last_stop_ = why;
  for (;;) {
    std::string packet;
    const Read r = read_packet(packet);
    if (r == Read::kClosed) {
      spdlog::info("{}: gdb disconnected; the program continues", processor_.params().name);
      close_connection();
      return Resume::kDetach;
    }
    if (r == Read::kInterrupt) {
      send_packet(stop_reply(Stop::kInterrupt));
      continue;
    }
    Resume resume = Resume::kContinue;
    if (handle(packet, resume)) return resume;
  }
}

bool GdbServer::poll_interrupt() {
  if (fd_ < 0) return false;
  if (interrupted_) {
    interrupted_ = false;
    return true;
  }
  pollfd p{fd_, POLLIN, 0};
  while (::poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR))) {
    if (!fill()) {
      close_connection();
      return false;
    }
    std::string& in = framer_.raw();
    const std::size_t k = in.find('\x03');
    if (k != std::string::npos) {
      in.erase(k, 1);
      return true;
    }
    p.revents = 0;
  }
  return false;
}

void GdbServer::on_exit(ProgramEnd how, int exit_code) {
  if (fd_ < 0 || killed_) {
    close_connection();
    return;
  }
  switch (how) {
    case ProgramEnd::kExited:
      send_packet(fmt::format("W{:02x}", exit_code & 0xFF));
      break;
    case ProgramEnd::kTrapped:
      send_packet(fmt::format("X{:02x}", signal_for_trap(processor_.core().halt_info().mcause)));
      break;
    default:
      send_packet("X09");
      break;  // SIGKILL: watchdog
  }
  close_connection();
}

// ---- packets
// -----------------------------------------------------------------------------------------

std::string GdbServer::target_xml() {
  std::string x =
      "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target "
      "version=\"1.0\">\n"
      "<architecture>riscv:rv32</architecture>\n<feature name=\"org.gnu.gdb.riscv.cpu\">\n";
  for (int i = 0; i < 32; ++i) {
    const char* type = i == 1 ? "code_ptr" : (i == 2 || i == 8) ? "data_ptr" : "int";
    x += fmt::format("  <reg name=\"{}\" bitsize=\"32\" type=\"{}\" regnum=\"{}\"/>\n",
                     register_abi_name(i), type, i);
  }
  x += fmt::format(
      "  <reg name=\"pc\" bitsize=\"32\" type=\"code_ptr\" regnum=\"{}\"/>\n</feature>\n",
      kPcRegnum);
  x += "<feature name=\"org.gnu.gdb.riscv.csr\">\n";
  for (std::size_t i = 0; i < std::size(kDescribedCsrs); ++i)
    x += fmt::format(
        "  <reg name=\"{}\" bitsize=\"32\" regnum=\"{}\" save-restore=\"no\" group=\"csr\"/>\n",
        kDescribedCsrNames[i], kCsrRegnum + kDescribedCsrs[i]);
  x += "</feature>\n";
  if (const VectorUnit* vu = processor_.vector_unit()) {
    const unsigned n = vu->bytes();
    x += "<feature name=\"org.salvo.vector\">\n";
    x += fmt::format(
        "  <vector id=\"salvo_v8\" type=\"int8\" count=\"{}\"/>\n"
        "  <vector id=\"salvo_v16\" type=\"int16\" count=\"{}\"/>\n"
        "  <vector id=\"salvo_v32\" type=\"int32\" count=\"{}\"/>\n"
        "  <union id=\"salvo_vec\">\n    <field name=\"b\" type=\"salvo_v8\"/>\n"
        "    <field name=\"h\" type=\"salvo_v16\"/>\n    <field name=\"w\" type=\"salvo_v32\"/>\n"
        "  </union>\n",
        n, n / 2, n / 4);
    for (unsigned i = 0; i < 32; ++i)
      x += fmt::format(
          "  <reg name=\"v{}\" bitsize=\"{}\" type=\"salvo_vec\" regnum=\"{}\" "
          "save-restore=\"no\" group=\"vector\"/>\n",
          i, n * 8, kVectorRegnum + i);
    x += fmt::format(
        "  <reg name=\"vl\" bitsize=\"32\" regnum=\"{}\" save-restore=\"no\" "
        "group=\"vector\"/>\n</feature>\n",
        kVlRegnum);
  }
  x += "</target>\n";
  return x;
}

bool GdbServer::read_wide_register(unsigned regno, std::string& hex) {
  VectorUnit* vu = processor_.vector_unit();
  if (!vu || regno < kVectorRegnum || regno >= kVectorRegnum + 32) return false;
  hex.clear();
  const std::uint8_t* r = vu->reg(regno - kVectorRegnum);
  for (unsigned i = 0; i < vu->bytes(); ++i) hex += fmt::format("{:02x}", r[i]);
  return true;
}

bool GdbServer::write_wide_register(unsigned regno, const std::string& hex) {
  VectorUnit* vu = processor_.vector_unit();
  if (!vu || regno < kVectorRegnum || regno >= kVectorRegnum + 32 || hex.size() < 2 * vu->bytes())
    return false;
  for (unsigned i = 0; i < 2 * vu->bytes(); ++i)
    if (!std::isxdigit(static_cast<unsigned char>(hex[i]))) return false;
  std::uint8_t* r = vu->reg(regno - kVectorRegnum);
  for (unsigned i = 0; i < vu->bytes(); ++i)
    r[i] = static_cast<std::uint8_t>(std::strtoul(hex.substr(2 * i, 2).c_str(), nullptr, 16));
  return true;
}

bool GdbServer::read_register(unsigned regno, std::uint32_t& v) {
  ProcessorCore& core = processor_.core();
  if (regno < 32) {
    v = core.reg(static_cast<int>(regno));
    return true;
  }
  if (regno == kPcRegnum) {
    v = core.pc();
    return true;
  }
  if (regno >= kCsrRegnum && regno < kCsrRegnum + 4096) return core.read_csr(regno - kCsrRegnum, v);
  if (regno == kVlRegnum && processor_.vector_unit()) {
    v = processor_.vector_unit()->vl();
    return true;
  }
  return false;
}

bool GdbServer::write_register(unsigned regno, std::uint32_t v) {
  ProcessorCore& core = processor_.core();
  if (regno < 32) {
    core.set_reg(static_cast<int>(regno), v);
    return true;
  }
  if (regno == kPcRegnum) {
    core.set_pc(v);
    return true;
  }
  if (regno >= kCsrRegnum && regno < kCsrRegnum + 4096)
    return core.write_csr(regno - kCsrRegnum, v);
  if (regno == kVlRegnum && processor_.vector_unit()) {
    processor_.vector_unit()->set_vl(v);
    return true;
  }
  return false;
}

std::string GdbServer::read_registers() {
  std::string s;
  for (unsigned i = 0; i <= kPcRegnum; ++i) {
    std::uint32_t v = 0;
    read_register(i, v);
    s += hex8(v);
  }
  return s;
}

bool GdbServer::write_registers(const std::string& hex) {
  std::vector<std::uint8_t> bytes;  // all hex, else nothing is written
  if (hex.size() < 8 * (kPcRegnum + 1) ||
      !decode_hex_bytes(hex.substr(0, 8 * (kPcRegnum + 1)), bytes))
    return false;
  for (unsigned i = 0; i <= kPcRegnum; ++i) write_register(i, le32(hex, 8 * i));
  return true;
}

std::string GdbServer::read_memory(std::uint32_t addr, std::uint32_t len, bool& ok) {
  std::vector<std::uint8_t> buf(len);
  ok = processor_.read_memory(addr, buf.data(), len);
  if (!ok) return {};
  // Show the program's own bytes where breakpoints are inserted.
  for (const auto& [bp, orig] : breakpoints_)
    for (std::size_t k = 0; k < orig.size(); ++k) {
      const std::uint64_t a = std::uint64_t{bp} + k;
      if (a >= addr && a < std::uint64_t{addr} + len) buf[a - addr] = orig[k];
    }
  std::string s;
  for (auto b : buf) s += fmt::format("{:02x}", b);
  return s;
}

bool GdbServer::write_memory(std::uint32_t addr, const std::vector<std::uint8_t>& data) {
  if (data.empty()) return true;
  if (!processor_.write_memory(addr, data.data(), data.size())) return false;
  // A write over an inserted breakpoint changes the bytes it restores; keep the EBREAK.
  for (auto& [bp, orig] : breakpoints_) {
    bool touched = false;
    for (std::size_t k = 0; k < orig.size(); ++k) {
      const std::uint64_t a = std::uint64_t{bp} + k;
      if (a >= addr && a < std::uint64_t{addr} + data.size()) {
        orig[k] = data[a - addr];
        touched = true;
      }
    }
    if (touched) {
      const std::uint32_t ebreak = orig.size() == 2 ? 0x9002u : 0x00100073u;
      processor_.write_memory(bp, &ebreak, orig.size());
    }
  }
  return true;
}

bool GdbServer::insert_breakpoint(std::uint32_t addr, unsigned kind) {
  if (breakpoints_.count(addr)) return true;
  if (kind != 2 && kind != 4) kind = 4;
  std::vector<std::uint8_t> orig(kind);
  if (!processor_.read_memory(addr, orig.data(), kind)) return false;
  const std::uint32_t ebreak = kind == 2 ? 0x9002u : 0x00100073u;  // c.ebreak / ebreak
  if (!processor_.write_memory(addr, &ebreak, kind)) return false;
  breakpoints_[addr] = orig;
  return true;
}

bool GdbServer::remove_breakpoint(std::uint32_t addr) {
  const auto it = breakpoints_.find(addr);
  if (it == breakpoints_.end()) return true;
  processor_.write_memory(addr, it->second.data(), it->second.size());
  breakpoints_.erase(it);
  return true;
}

bool GdbServer::handle(const std::string& p, Resume& resume) {
  if (p.empty()) {
    send_packet("");
    return false;
  }
  const char cmd = p[0];
  const std::string args = p.substr(1);
  auto split = [](const std::string& s, char sep, std::string& a, std::string& b) {
    const std::size_t k = s.find(sep);
    if (k == std::string::npos) return false;
    a = s.substr(0, k);
    b = s.substr(k + 1);
    return true;
  };
  switch (cmd) {
    case '?':
      send_packet(stop_reply(last_stop_ == Stop::kReset ? Stop::kBreakpoint : last_stop_));
      return false;
    case 'g':
      send_packet(read_registers());
      return false;
    case 'G':
      send_packet(write_registers(args) ? "OK" : "E01");
      return false;
    case 'p': {
      std::uint64_t n = 0;
      std::uint32_t v = 0;
      std::string wide;
      if (parse_hex(args, n) && n <= 0xFFFFFFFFu &&
          read_wide_register(static_cast<unsigned>(n), wide))
        send_packet(wide);
      else if (parse_hex(args, n) && n <= 0xFFFFFFFFu && read_register(static_cast<unsigned>(n), v))
        send_packet(hex8(v));
      else
        send_packet("E01");
      return false;
    }
    case 'P': {
      std::string a, b;
      std::vector<std::uint8_t> bytes;
      std::uint64_t n = 0;
      if (split(args, '=', a, b) && parse_hex(a, n) && n <= 0xFFFFFFFFu &&
          (write_wide_register(static_cast<unsigned>(n), b) ||
           (b.size() >= 8 && decode_hex_bytes(b.substr(0, 8), bytes) &&
            write_register(static_cast<unsigned>(n), le32(b, 0)))))
        send_packet("OK");
      else
        send_packet("E01");
      return false;
    }
    case 'm': {
      std::uint32_t addr = 0, len = 0;
      if (!gdb::parse_memory_read(args, addr, len)) {
        send_packet("E01");
        return false;
      }
      bool ok = false;
      const std::string hex = read_memory(addr, len, ok);
      send_packet(ok ? hex : "E14");
      return false;
    }
    case 'M':
    case 'X': {
      // The data must hold exactly len bytes: nothing is padded, nothing written on error.
      std::uint32_t addr = 0;
      std::vector<std::uint8_t> bytes;
      if (!gdb::parse_memory_write(cmd, args, addr, bytes)) {
        send_packet("E01");
        return false;
      }
      send_packet(write_memory(addr, bytes) ? "OK" : "E14");
      return false;
    }
    case 'Z':
    case 'z': {
      // Z0,addr,kind: software breakpoint. Hardware breakpoints and watchpoints: unsupported.
      std::string type, rest, a, k;
      std::uint64_t addr = 0, kind = 4;
      if (!split(args, ',', type, rest) || type != "0") {
        send_packet("");
        return false;
      }
      if (!split(rest, ',', a, k) || !parse_hex(a, addr)) {
        send_packet("E01");
        return false;
      }
      std::string kind_only = k.substr(0, k.find(';'));
      parse_hex(kind_only, kind);
      const bool ok = cmd == 'Z' ? insert_breakpoint(static_cast<std::uint32_t>(addr),
                                                     static_cast<unsigned>(kind))
                                 : remove_breakpoint(static_cast<std::uint32_t>(addr));
      send_packet(ok ? "OK" : "E01");
      return false;
    }
    case 'c':
    case 's': {
      std::uint64_t addr = 0;
      if (!args.empty() && parse_hex(args, addr))
        processor_.core().set_pc(static_cast<std::uint32_t>(addr));
      resume = cmd == 'c' ? Resume::kContinue : Resume::kStep;
      return true;
    }
    case 'D':
      send_packet("OK");
      for (const auto& [bp, orig] : breakpoints_)
        processor_.write_memory(bp, orig.data(), orig.size());
      breakpoints_.clear();
      close_connection();
      resume = Resume::kDetach;
      return true;
    case 'k':
      killed_ = true;
      close_connection();
      resume = Resume::kKill;
      return true;
    case 'H':
    case 'T':
      send_packet("OK");
      return false;
    case 'Q':
      if (p == "QStartNoAckMode") {
        send_packet("OK");  // still acknowledged; no acks from here on
        no_ack_ = true;
      } else {
        send_packet("");
      }
      return false;
    case 'v':
      if (p == "vCont?") {
        send_packet("vCont;c;C;s;S");
        return false;
      }
      if (p.rfind("vCont;", 0) == 0) {
        // Only one thread: the first action decides.
        const char action = p.size() > 6 ? p[6] : 'c';
        resume = (action == 's' || action == 'S') ? Resume::kStep : Resume::kContinue;
        return true;
      }
      if (p.rfind("vKill", 0) == 0) {
        send_packet("OK");
        killed_ = true;
        close_connection();
        resume = Resume::kKill;
        return true;
      }
      send_packet("");  // vMustReplyEmpty and everything else
      return false;
    case 'q': {
      if (p.rfind("qSupported", 0) == 0) {
        send_packet(
            fmt::format("PacketSize={:x};qXfer:features:read+;vContSupported+;QStartNoAckMode+",
                        gdb::kMaxPacketBytes));
      } else if (p.rfind("qXfer:features:read:target.xml:", 0) == 0) {
        std::string a, b;
        std::uint64_t off = 0, len = 0;
        const std::string range = p.substr(std::strlen("qXfer:features:read:target.xml:"));
        if (!split(range, ',', a, b) || !parse_hex(a, off) || !parse_hex(b, len)) {
          send_packet("E01");
        } else {
          const std::string xml = target_xml();
          if (off >= xml.size())
            send_packet("l");
          else {
            const std::string chunk =
                xml.substr(static_cast<std::size_t>(off), static_cast<std::size_t>(len));
            send_packet((off + chunk.size() >= xml.size() ? "l" : "m") + chunk);
          }
        }
      } else if (p.rfind("qXfer:", 0) == 0) {
        send_packet("");
      } else if (p == "qC") {
        send_packet("QC1");
      } else if (p == "qfThreadInfo") {
        send_packet("m1");
      } else if (p == "qsThreadInfo") {
        send_packet("l");
      } else if (p == "qAttached") {
        send_packet("1");
      } else if (p.rfind("qSymbol", 0) == 0) {
        send_packet("OK");
      } else {
        send_packet("");
      }
      return false;
    }
    default:
      send_packet("");
      return false;
  }
}

}  // namespace salvo::ppu
