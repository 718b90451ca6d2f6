// libFuzzer: the GDB remote protocol framer and memory-packet parsers (hw/ppu/gdb_packet.*).
// The input is cut into feeds at bytes chosen by the input itself; every event is consumed;
// the buffer must stay bounded and parsed writes must match their stated length.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "hw/ppu/gdb_packet.hpp"

using namespace salvo::ppu::gdb;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  PacketFramer f;
  std::string packet;
  std::size_t pos = 0;
  while (pos < size) {
    // First byte of each chunk: its length (1..256).
    const std::size_t n = std::min<std::size_t>(size - pos - 1, data[pos] + 1u);
    f.feed(reinterpret_cast<const char*>(data + pos + 1), n);
    pos += n + 1;
    for (;;) {
      const PacketFramer::Event e = f.next(packet);
      if (e == PacketFramer::Event::kNeedMore) break;
      if (e != PacketFramer::Event::kPacket || packet.empty()) continue;
      std::uint32_t addr = 0, len = 0;
      std::vector<std::uint8_t> bytes;
      const std::string args = packet.substr(1);
      if (packet[0] == 'm' && parse_memory_read(args, addr, len) &&
          (len > kMaxReadBytes || std::uint64_t{addr} + len > 0x100000000ull))
        std::abort();
      if ((packet[0] == 'M' || packet[0] == 'X') &&
          parse_memory_write(packet[0], args, addr, bytes)) {
        const std::size_t comma = args.find(','), colon = args.find(':');
        std::uint64_t stated = 0;
        if (!parse_hex(args.substr(comma + 1, colon - comma - 1), stated) ||
            stated != bytes.size() || std::uint64_t{addr} + bytes.size() > 0x100000000ull)
          std::abort();
      }
    }
    if (f.buffered() > kMaxPacketBytes + 512) std::abort();
  }
  return 0;
}
