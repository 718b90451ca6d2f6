#include "hw/ppu/processor_bus.hpp"

#include <algorithm>

namespace salvo::ppu {

ProcessorBus::ProcessorBus(const sc_core::sc_module_name& name, const Map& map)
    : sc_core::sc_module(name),
      target_socket("target_socket"),
      sram_socket("sram_socket"),
      peripheral_socket("peripheral_socket"),
      chip_socket("chip_socket"),
      map_(map) {
  target_socket.register_b_transport(this, &ProcessorBus::b_transport);
  target_socket.register_get_direct_mem_ptr(this, &ProcessorBus::get_direct_mem_ptr);
  target_socket.register_transport_dbg(this, &ProcessorBus::transport_dbg);
  sram_socket.register_invalidate_direct_mem_ptr(this, &ProcessorBus::invalidate_direct_mem_ptr,
                                                 kSramId);
  peripheral_socket.register_invalidate_direct_mem_ptr(
      this, &ProcessorBus::invalidate_direct_mem_ptr, kPeripheralId);
  chip_socket.register_invalidate_direct_mem_ptr(this, &ProcessorBus::invalidate_direct_mem_ptr,
                                                 kChipId);
}

ProcessorBus::Route ProcessorBus::route(std::uint64_t addr) const {
  auto in = [addr](std::uint64_t base, std::uint64_t size) {
    return addr >= base && addr - base < size;
  };
  if (in(map_.sram_base, map_.sram_size)) return {kSramId, map_.sram_base, map_.sram_size};
  if (in(map_.peripheral_base, map_.peripheral_size))
    return {kPeripheralId, map_.peripheral_base, map_.peripheral_size};
  if (in(map_.chip_base, map_.chip_size)) return {kChipId, map_.chip_base, map_.chip_size};
  return {};
}

ProcessorBus::Target ProcessorBus::decode(std::uint64_t addr) const {
  switch (route(addr).id) {
    case kSramId:
      return Target::kSram;
    case kPeripheralId:
      return Target::kPeripherals;
    case kChipId:
      return Target::kChip;
    default:
      return Target::kNone;
  }
}

void ProcessorBus::b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  const std::uint64_t addr = gp.get_address();
  const Route r = route(addr);
  // An access must not run past the end of the region it starts in.
  if (r.id < 0 || gp.get_data_length() > r.base + r.size - addr ||
      (r.id == kChipId && !chip_bound())) {
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  gp.set_address(addr - r.base);
  switch (r.id) {
    case kSramId:
      sram_socket->b_transport(gp, delay);
      break;
    case kPeripheralId:
      peripheral_socket->b_transport(gp, delay);
      break;
    default:
      chip_socket->b_transport(gp, delay);
      break;
  }
  gp.set_address(addr);
}

bool ProcessorBus::get_direct_mem_ptr(tlm::tlm_generic_payload& gp, tlm::tlm_dmi& dmi) {
  const std::uint64_t addr = gp.get_address();
  const Route r = route(addr);
  if (r.id < 0 || (r.id == kChipId && !chip_bound())) return false;
  gp.set_address(addr - r.base);
  bool ok = false;
  switch (r.id) {
    case kSramId:
      ok = sram_socket->get_direct_mem_ptr(gp, dmi);
      break;
    case kPeripheralId:
      ok = peripheral_socket->get_direct_mem_ptr(gp, dmi);
      break;
    default:
      ok = chip_socket->get_direct_mem_ptr(gp, dmi);
      break;
  }
  gp.set_address(addr);
  // Translate back to the core's addresses and clip to the region.
  dmi.set_start_address(std::max<std::uint64_t>(dmi.get_start_address(), 0) + r.base);
  dmi.set_end_address(std::min<std::uint64_t>(dmi.get_end_address(), r.size - 1) + r.base);
  return ok;
}

unsigned ProcessorBus::transport_dbg(tlm::tlm_generic_payload& gp) {
  const std::uint64_t addr = gp.get_address();
  const Route r = route(addr);
  if (r.id < 0 || (r.id == kChipId && !chip_bound())) return 0;
  const unsigned len = gp.get_data_length();
  gp.set_address(addr - r.base);
  gp.set_data_length(static_cast<unsigned>(std::min<std::uint64_t>(len, r.base + r.size - addr)));
  unsigned n = 0;
  switch (r.id) {
    case kSramId:
      n = sram_socket->transport_dbg(gp);
      break;
    case kPeripheralId:
      n = peripheral_socket->transport_dbg(gp);
      break;
    default:
      n = chip_socket->transport_dbg(gp);
      break;
  }
  gp.set_address(addr);
  gp.set_data_length(len);
  return n;
}

void ProcessorBus::invalidate_direct_mem_ptr(int id, sc_dt::uint64 start, sc_dt::uint64 end) {
  const std::uint64_t base = id == kSramId         ? map_.sram_base
                             : id == kPeripheralId ? map_.peripheral_base
                                                   : map_.chip_base;
  const std::uint64_t size = id == kSramId         ? map_.sram_size
                             : id == kPeripheralId ? map_.peripheral_size
                                                   : map_.chip_size;
  const std::uint64_t s = base + std::min<std::uint64_t>(start, size - 1);
  const std::uint64_t e = base + std::min<std::uint64_t>(end, size - 1);
  target_socket->invalidate_direct_mem_ptr(s, e);
}

}  // namespace salvo::ppu
