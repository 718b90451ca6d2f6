// GdbServer: a GDB remote serial protocol stub for one plasticity processor, so an unmodified
// gdb-multiarch debugs firmware as it runs in the emulator: halt at reset, software
// breakpoints (EBREAK written into memory), single step, continue, Ctrl-C, registers (with a
// few machine CSRs), memory through the processor's own address map, detach and kill. It
// listens on 127.0.0.1 only and serves one connection; the processor's thread blocks in it
// while the target is halted, so simulated time stands still meanwhile.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "hw/ppu/gdb_packet.hpp"
#include "hw/ppu/plasticity_processor.hpp"

namespace salvo::ppu {

class GdbServer : public ProcessorDebugger {
 public:
  explicit GdbServer(PlasticityProcessor& processor);
  ~GdbServer() override;
  GdbServer(const GdbServer&) = delete;
  GdbServer& operator=(const GdbServer&) = delete;

  // Binds 127.0.0.1:port (0 = any free port) and returns the port actually bound.
  // UserError if the port cannot be bound.
  int listen(int port);
  // Blocks until gdb connects.
  void accept();
  bool connected() const { return fd_ >= 0; }

  // ProcessorDebugger
  Resume on_stop(Stop why) override;
  bool poll_interrupt() override;
  void on_exit(ProgramEnd how, int exit_code) override;

  // The target description served as target.xml.
  std::string target_xml();

 private:
  enum class Read { kPacket, kInterrupt, kClosed };
  Read read_packet(std::string& packet);
  bool fill();  // blocking read into the buffer; false on EOF/error
  void send_packet(const std::string& data);
  void send_raw(const std::string& bytes);
  void close_connection();
  // Handles one packet; returns true (and sets resume) when the target should run.
  bool handle(const std::string& packet, Resume& resume);
  std::string stop_reply(Stop why) const;
  std::string read_registers();
  bool write_registers(const std::string& hex);
  // The vector registers (wider than 32 bits): hex of their bytes.
  bool read_wide_register(unsigned regno, std::string& hex);
  bool write_wide_register(unsigned regno, const std::string& hex);
  bool read_register(unsigned regno, std::uint32_t& value);
  bool write_register(unsigned regno, std::uint32_t value);
  std::string read_memory(std::uint32_t addr, std::uint32_t len, bool& ok);
  bool write_memory(std::uint32_t addr, const std::vector<std::uint8_t>& data);
  bool insert_breakpoint(std::uint32_t addr, unsigned kind);
  bool remove_breakpoint(std::uint32_t addr);

  PlasticityProcessor& processor_;
  int listen_fd_ = -1;
  int fd_ = -1;
  gdb::PacketFramer framer_;  // received bytes not yet consumed
  bool interrupted_ = false;  // a Ctrl-C arrived while reading something else
  bool killed_ = false;
  bool no_ack_ = false;  // after QStartNoAckMode
  Stop last_stop_ = Stop::kReset;
  std::map<std::uint32_t, std::vector<std::uint8_t>> breakpoints_;  // address -> original bytes
};

}  // namespace salvo::ppu
