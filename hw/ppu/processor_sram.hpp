// ProcessorSram: the plasticity processor's local memory (reference 16 KiB, up to 256 KiB in
// a chip variant). Single-ported SRAM with a fixed access latency; it grants TLM-2.0 direct
// memory access over its whole range so the core reads and writes it through a host pointer.
#pragma once

#include <cstdint>
#include <vector>

#include <tlm_utils/simple_target_socket.h>
#include <systemc>
#include <tlm>

namespace salvo::ppu {

class ProcessorSram : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<ProcessorSram> socket;

  // latency: extra time per access beyond the instruction's own cost (0 = zero wait states).
  ProcessorSram(const sc_core::sc_module_name& name, std::uint32_t size_bytes,
                sc_core::sc_time latency);

  std::uint32_t size() const { return static_cast<std::uint32_t>(mem_.size()); }
  std::uint8_t* data() { return mem_.data(); }
  // Revokes every DMI pointer handed out (e.g. before the memory is reallocated).
  void invalidate_dmi();

 private:
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  bool get_direct_mem_ptr(tlm::tlm_generic_payload& gp, tlm::tlm_dmi& dmi);
  unsigned transport_dbg(tlm::tlm_generic_payload& gp);

  std::vector<std::uint8_t> mem_;
  sc_core::sc_time latency_;
};

}  // namespace salvo::ppu
