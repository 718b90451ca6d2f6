// ProcessorBus: the plasticity processor's address decoder. One TLM-2.0 target socket faces
// the core; initiator sockets lead to the local SRAM, the local peripherals and the CHIP
// WINDOW (0x4000_0000-0x7FFF_FFFF), which is forwarded with addresses relative to the window
// start to whatever the chip binds to `chip_socket`. Addresses nothing claims — and the chip
// window while unbound — are answered with TLM_ADDRESS_ERROR_RESPONSE (an access fault for
// the core). DMI requests and invalidations are translated between the address spaces.
#pragma once

#include <cstdint>

#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <systemc>
#include <tlm>

namespace salvo::ppu {

class ProcessorBus : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<ProcessorBus> target_socket;
  tlm_utils::simple_initiator_socket_tagged<ProcessorBus> sram_socket;
  tlm_utils::simple_initiator_socket_tagged<ProcessorBus> peripheral_socket;
  // May stay unbound (processor alone, e.g. `salvo ppu-run`).
  tlm_utils::simple_initiator_socket_tagged_optional<ProcessorBus> chip_socket;

  struct Map {
    std::uint32_t sram_base = 0x8000'0000;
    std::uint32_t sram_size = 16 * 1024;
    std::uint32_t peripheral_base = 0x1000'0000;
    std::uint32_t peripheral_size = 0x1000;
    std::uint32_t chip_base = 0x4000'0000;
    std::uint32_t chip_size = 0x4000'0000;
  };

  ProcessorBus(const sc_core::sc_module_name& name, const Map& map);

  enum class Target { kNone, kSram, kPeripherals, kChip };
  // Which target an address belongs to (kChip also when the window is unbound).
  Target decode(std::uint64_t addr) const;
  bool chip_bound() const { return chip_socket.size() > 0; }
  const Map& map() const { return map_; }

 private:
  enum : int { kSramId = 0, kPeripheralId = 1, kChipId = 2 };
  struct Route {
    int id = -1;
    std::uint64_t base = 0, size = 0;
  };
  Route route(std::uint64_t addr) const;
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  bool get_direct_mem_ptr(tlm::tlm_generic_payload& gp, tlm::tlm_dmi& dmi);
  unsigned transport_dbg(tlm::tlm_generic_payload& gp);
  void invalidate_direct_mem_ptr(int id, sc_dt::uint64 start, sc_dt::uint64 end);

  Map map_;
};

}  // namespace salvo::ppu
