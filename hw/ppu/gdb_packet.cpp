#include "hw/ppu/gdb_packet.hpp"

namespace salvo::ppu::gdb {
namespace {

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool split(const std::string& s, char sep, std::string& a, std::string& b) {
  const std::size_t k = s.find(sep);
  if (k == std::string::npos) return false;
  a = s.substr(0, k);
  b = s.substr(k + 1);
  return true;
}

// addr,len with both hex and addr + len <= 2^32.
bool parse_range(const std::string& s, std::uint32_t& addr, std::uint64_t& len) {
  std::string a, b;
  std::uint64_t address = 0;
  if (!split(s, ',', a, b) || !parse_hex(a, address) || !parse_hex(b, len)) return false;
  if (address > 0xFFFFFFFFull || len > 0x100000000ull - address) return false;
  addr = static_cast<std::uint32_t>(address);
  return true;
}

}  // namespace

bool parse_hex(const std::string& s, std::uint64_t& v) {
  if (s.empty() || s.size() > 16) return false;
  v = 0;
  for (char c : s) {
    const int h = hexval(c);
    if (h < 0) return false;
    v = (v << 4) | static_cast<unsigned>(h);
  }
  return true;
}

bool decode_hex_bytes(const std::string& s, std::vector<std::uint8_t>& out) {
  if (s.size() % 2) return false;
  out.clear();
  out.reserve(s.size() / 2);
  for (std::size_t i = 0; i < s.size(); i += 2) {
    const int hi = hexval(s[i]), lo = hexval(s[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
  }
  return true;
}

bool parse_memory_read(const std::string& args, std::uint32_t& addr, std::uint32_t& len) {
  std::uint64_t n = 0;
  if (!parse_range(args, addr, n) || n > kMaxReadBytes) return false;
  len = static_cast<std::uint32_t>(n);
  return true;
}

bool parse_memory_write(char cmd, const std::string& args, std::uint32_t& addr,
                        std::vector<std::uint8_t>& bytes) {
  std::string head, data;
  std::uint64_t len = 0;
  if ((cmd != 'M' && cmd != 'X') || !split(args, ':', head, data) || !parse_range(head, addr, len))
    return false;
  // A length the packet cannot hold is refused before anything is decoded or allocated.
  if (len > kMaxPacketBytes) return false;
  if (cmd == 'M') {
    if (!decode_hex_bytes(data, bytes)) return false;
  } else {
    bytes.assign(data.begin(), data.end());
  }
  return bytes.size() == len;
}

PacketFramer::Event PacketFramer::next(std::string& packet) {
  for (;;) {
    if (dropping_) {
      // The rest of an over-long packet: up to '#' and its two checksum characters, or a
      // '$' that starts a new packet (a '$' inside a packet is always escaped).
      std::size_t i = 0;
      for (; i < in_.size(); ++i) {
        if (drop_checksum_ > 0) {
          if (--drop_checksum_ == 0) {
            ++i;
            dropping_ = false;
            break;
          }
          continue;
        }
        if (in_[i] == '#') drop_checksum_ = 2;
        if (in_[i] == '$') {
          dropping_ = false;
          break;
        }
      }
      in_.erase(0, i);
      if (dropping_) return Event::kNeedMore;
    }
    // Skip acks and noise up to the next packet or Ctrl-C.
    std::size_t i = 0;
    while (i < in_.size() && in_[i] != '$' && in_[i] != '\x03') ++i;
    in_.erase(0, i);
    if (in_.empty()) return Event::kNeedMore;
    if (in_[0] == '\x03') {
      in_.erase(0, 1);
      return Event::kInterrupt;
    }
    const std::size_t hash = in_.find('#', 1);
    const std::size_t body_len = (hash == std::string::npos ? in_.size() : hash) - 1;
    if (body_len > kMaxPacketBytes) {
      // Drop what is buffered of it (keeping '#' and what follows, if it arrived).
      in_.erase(0, hash == std::string::npos ? in_.size() : hash);
      dropping_ = true;
      drop_checksum_ = 0;
      return Event::kTooLong;
    }
    if (hash == std::string::npos || hash + 2 >= in_.size()) return Event::kNeedMore;
    const std::string body = in_.substr(1, hash - 1);
    const std::string sum = in_.substr(hash + 1, 2);
    in_.erase(0, hash + 3);
    unsigned cs = 0;
    for (unsigned char c : body) cs = (cs + c) & 0xFF;
    std::uint64_t want = 0;
    if (!parse_hex(sum, want) || want != cs) return Event::kBadChecksum;
    // Undo the binary escapes (X packets): 0x7d then the byte XOR 0x20.
    packet.clear();
    for (std::size_t k = 0; k < body.size(); ++k) {
      if (body[k] == 0x7d && k + 1 < body.size())
        packet += static_cast<char>(body[++k] ^ 0x20);
      else
        packet += body[k];
    }
    return Event::kPacket;
  }
}

}  // namespace salvo::ppu::gdb
