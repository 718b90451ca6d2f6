// The GDB remote protocol's framing and memory-packet parsing (hw/ppu/gdb_packet.*), tested
// directly: checksums, escapes, Ctrl-C, a packet split over many reads, the size cap (a
// packet without '#' is not buffered without bound), and M/X/m packets whose data and length
// disagree (issue 12, class 13).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hw/ppu/gdb_packet.hpp"

using namespace salvo::ppu::gdb;
using Event = PacketFramer::Event;

namespace {

std::string framed(const std::string& body) {
  unsigned cs = 0;
  for (unsigned char c : body) cs += c;
  char tail[4];
  std::snprintf(tail, sizeof tail, "#%02x", cs & 0xFF);
  return "$" + body + tail;
}

void feed(PacketFramer& f, const std::string& s) { f.feed(s.data(), s.size()); }

}  // namespace

TEST(GdbPacket, FramesPacketsAcksAndInterrupts) {
  PacketFramer f;
  std::string p;
  feed(f, "+" + framed("qSupported") + "\x03" + framed("g"));
  EXPECT_EQ(f.next(p), Event::kPacket);
  EXPECT_EQ(p, "qSupported");
  EXPECT_EQ(f.next(p), Event::kInterrupt);
  EXPECT_EQ(f.next(p), Event::kPacket);
  EXPECT_EQ(p, "g");
  EXPECT_EQ(f.next(p), Event::kNeedMore);
  feed(f, "$g#00");
  EXPECT_EQ(f.next(p), Event::kBadChecksum);
  EXPECT_EQ(f.buffered(), 0u);
}

TEST(GdbPacket, APacketSplitOverReadsAndItsEscapes) {
  PacketFramer f;
  std::string p;
  // X data 0x23 ('#') escaped as 0x7d 0x03.
  const std::string whole = framed(std::string("X80001000,1:") + "\x7d\x03");
  for (std::size_t i = 0; i + 1 < whole.size(); ++i) {
    feed(f, whole.substr(i, 1));
    EXPECT_EQ(f.next(p), Event::kNeedMore) << i;
  }
  feed(f, whole.substr(whole.size() - 1));
  ASSERT_EQ(f.next(p), Event::kPacket);
  EXPECT_EQ(p, "X80001000,1:#");
}

TEST(GdbPacket, APacketWithoutHashIsCappedNotBuffered) {
  PacketFramer f;
  std::string p;
  feed(f, "$");
  const std::string chunk(4096, 'a');
  bool too_long = false;
  for (int i = 0; i < 1000; ++i) {  // 4 MB without a '#'
    feed(f, chunk);
    const Event e = f.next(p);
    if (e == Event::kTooLong) {
      EXPECT_FALSE(too_long) << "reported once";
      too_long = true;
    } else {
      EXPECT_EQ(e, Event::kNeedMore);
    }
    ASSERT_LE(f.buffered(), kMaxPacketBytes + chunk.size() + 1);
  }
  EXPECT_TRUE(too_long);
  // Its end, then a good packet: the framer is back in step.
  feed(f, "#12" + framed("?"));
  ASSERT_EQ(f.next(p), Event::kPacket);
  EXPECT_EQ(p, "?");
  // A '$' also ends a dropped packet.
  feed(f, "$" + std::string(kMaxPacketBytes + 1, 'b'));
  EXPECT_EQ(f.next(p), Event::kTooLong);
  feed(f, framed("s"));
  ASSERT_EQ(f.next(p), Event::kPacket);
  EXPECT_EQ(p, "s");
  // The largest packet that is allowed still arrives.
  const std::string biggest = "M0,1:" + std::string(kMaxPacketBytes - 5, '0');
  feed(f, framed(biggest));
  ASSERT_EQ(f.next(p), Event::kPacket);
  EXPECT_EQ(p, biggest);
}

TEST(GdbPacket, MemoryWritesNeedExactlyTheirLength) {
  std::uint32_t addr = 0;
  std::vector<std::uint8_t> bytes;
  ASSERT_TRUE(parse_memory_write('M', "80001000,4:efbeadde", addr, bytes));
  EXPECT_EQ(addr, 0x80001000u);
  EXPECT_EQ(bytes, (std::vector<std::uint8_t>{0xef, 0xbe, 0xad, 0xde}));
  // Fewer (or more) bytes than the length: refused, not padded with zeros.
  EXPECT_FALSE(parse_memory_write('M', "80001000,8:efbeadde", addr, bytes));
  EXPECT_FALSE(parse_memory_write('M', "80001000,2:efbeadde", addr, bytes));
  EXPECT_FALSE(parse_memory_write('M', "80001000,1:e", addr, bytes));
  EXPECT_FALSE(parse_memory_write('M', "80001000,1:zz", addr, bytes));
  EXPECT_FALSE(parse_memory_write('X', "80001000,ffffffff:ab", addr, bytes));
  EXPECT_FALSE(parse_memory_write('X', "80001000,ffffffffffffffff:ab", addr, bytes));
  EXPECT_FALSE(parse_memory_write('X', "80001000,10000000000000002:ab", addr, bytes));
  EXPECT_FALSE(parse_memory_write('X', "fffffffe,4:abcd", addr, bytes));  // past 2^32
  EXPECT_FALSE(parse_memory_write('X', "100000000,1:a", addr, bytes));
  EXPECT_FALSE(parse_memory_write('X', "80001000,2", addr, bytes));
  EXPECT_FALSE(parse_memory_write('X', ",2:ab", addr, bytes));
  ASSERT_TRUE(parse_memory_write('X', "80001000,2:ab", addr, bytes));
  EXPECT_EQ(bytes, (std::vector<std::uint8_t>{'a', 'b'}));
  // gdb probes binary support with an empty X.
  EXPECT_TRUE(parse_memory_write('X', "80001000,0:", addr, bytes));
  EXPECT_TRUE(bytes.empty());
  ASSERT_TRUE(parse_memory_write('M', "ffffffff,1:aa", addr, bytes));
}

TEST(GdbPacket, MemoryReadsAreBounded) {
  std::uint32_t addr = 0, len = 0;
  ASSERT_TRUE(parse_memory_read("80000000,4", addr, len));
  EXPECT_EQ(len, 4u);
  char max_hex[32];
  std::snprintf(max_hex, sizeof max_hex, "0,%zx", kMaxReadBytes);
  EXPECT_TRUE(parse_memory_read(max_hex, addr, len));
  std::snprintf(max_hex, sizeof max_hex, "0,%zx", kMaxReadBytes + 1);
  EXPECT_FALSE(parse_memory_read(max_hex, addr, len));
  EXPECT_FALSE(parse_memory_read("ffffffff,2", addr, len));
  EXPECT_FALSE(parse_memory_read("80000000", addr, len));
  EXPECT_FALSE(parse_memory_read("80000000,", addr, len));
  EXPECT_FALSE(parse_memory_read("11111111111111111,1", addr, len));  // 17 digits
}
