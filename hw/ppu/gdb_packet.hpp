// The GDB remote serial protocol's framing and the parsing of its memory packets, apart from
// the socket and the processor so they can be tested and fuzzed directly.
//
// Framing: `$body#cs` with a two-hex-digit checksum, 0x03 (Ctrl-C) between packets, anything
// else between packets ignored (acks, noise). A body longer than kMaxPacketBytes is not
// buffered: the framer reports it once (kTooLong) and drops its bytes up to its '#cs' or the
// next '$', so a peer that never sends '#' costs no memory. The server advertises the same
// size as PacketSize in its qSupported reply, so a conforming gdb never sends more.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace salvo::ppu::gdb {

constexpr std::size_t kMaxPacketBytes = 0x4000;  // PacketSize=4000 (hex) in qSupported
// Largest m (read) length: the hex reply must fit in one packet.
constexpr std::size_t kMaxReadBytes = (kMaxPacketBytes - 4) / 2;

class PacketFramer {
 public:
  enum class Event {
    kNeedMore,     // no complete packet buffered yet: feed() more bytes
    kPacket,       // a packet with a good checksum (binary escapes undone): ack '+'
    kBadChecksum,  // a packet whose checksum does not match: nak '-'
    kTooLong,      // a body past kMaxPacketBytes (dropped): reply with an error
    kInterrupt,    // Ctrl-C
  };

  void feed(const char* data, std::size_t n) { in_.append(data, n); }
  // The next event from the buffered bytes; `packet` is set for kPacket.
  Event next(std::string& packet);
  // Bytes buffered and not yet consumed (never much more than kMaxPacketBytes + one feed()).
  std::size_t buffered() const { return in_.size(); }
  // The raw buffer, for an ack reader that consumes single bytes ('+', '-', Ctrl-C) itself.
  std::string& raw() { return in_; }

 private:
  std::string in_;
  bool dropping_ = false;  // inside an over-long packet: drop up to its '#cs'
  int drop_checksum_ = 0;  // checksum characters still to drop after '#'
};

// Hex number of at most 16 digits (false when empty, not hex, or too long).
bool parse_hex(const std::string& s, std::uint64_t& v);
// Pairs of hex digits to bytes (false on an odd count or a non-hex digit).
bool decode_hex_bytes(const std::string& s, std::vector<std::uint8_t>& out);

// `m addr,len` (args after the letter): false unless addr and len are hex, len <=
// kMaxReadBytes and the range stays inside the 32-bit address space.
bool parse_memory_read(const std::string& args, std::uint32_t& addr, std::uint32_t& len);

// `M addr,len:hex` or `X addr,len:binary` (cmd 'M' or 'X', args after the letter, X data
// already unescaped by the framer): false unless the data holds exactly len bytes and the
// range stays inside the 32-bit address space. Never writes past the data it was given.
bool parse_memory_write(char cmd, const std::string& args, std::uint32_t& addr,
                        std::vector<std::uint8_t>& bytes);

}  // namespace salvo::ppu::gdb
