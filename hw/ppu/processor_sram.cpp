#include "hw/ppu/processor_sram.hpp"

#include <algorithm>
#include <cstring>

namespace salvo::ppu {

ProcessorSram::ProcessorSram(const sc_core::sc_module_name& name, std::uint32_t size_bytes,
                             sc_core::sc_time latency)
    : sc_core::sc_module(name), socket("socket"), mem_(size_bytes, 0), latency_(latency) {
  socket.register_b_transport(this, &ProcessorSram::b_transport);
  socket.register_get_direct_mem_ptr(this, &ProcessorSram::get_direct_mem_ptr);
  socket.register_transport_dbg(this, &ProcessorSram::transport_dbg);
}

void ProcessorSram::b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  const std::uint64_t addr = gp.get_address();
  const unsigned len = gp.get_data_length();
  if (gp.get_byte_enable_ptr()) {
    gp.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return;
  }
  if (gp.get_streaming_width() < len) {
    gp.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    return;
  }
  if (addr >= mem_.size() || len > mem_.size() - addr) {
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  if (gp.is_read())
    std::memcpy(gp.get_data_ptr(), mem_.data() + addr, len);
  else if (gp.is_write())
    std::memcpy(mem_.data() + addr, gp.get_data_ptr(), len);
  delay += latency_;
  gp.set_dmi_allowed(true);
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

bool ProcessorSram::get_direct_mem_ptr(tlm::tlm_generic_payload&, tlm::tlm_dmi& dmi) {
  dmi.set_dmi_ptr(mem_.data());
  dmi.set_start_address(0);
  dmi.set_end_address(mem_.size() - 1);
  dmi.set_granted_access(tlm::tlm_dmi::DMI_ACCESS_READ_WRITE);
  dmi.set_read_latency(latency_);
  dmi.set_write_latency(latency_);
  return true;
}

unsigned ProcessorSram::transport_dbg(tlm::tlm_generic_payload& gp) {
  const std::uint64_t addr = gp.get_address();
  if (addr >= mem_.size()) return 0;
  const unsigned n =
      static_cast<unsigned>(std::min<std::uint64_t>(gp.get_data_length(), mem_.size() - addr));
  if (gp.is_read())
    std::memcpy(gp.get_data_ptr(), mem_.data() + addr, n);
  else if (gp.is_write())
    std::memcpy(mem_.data() + addr, gp.get_data_ptr(), n);
  return n;
}

void ProcessorSram::invalidate_dmi() { socket->invalidate_direct_mem_ptr(0, ~sc_dt::uint64{0}); }

}  // namespace salvo::ppu
