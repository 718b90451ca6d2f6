// Spike events as they travel between the chip's routing blocks: a 16-bit label and the
// hardware time at which it is (or will be) seen. The chip's event packets carry nothing
// else; which half, bus or row an event reaches follows from the label and the routing
// configuration, so this struct stays two fields wide.
#pragma once

#include <cstdint>
#include <vector>

namespace salvo {

// Label layout (16 bit), reference chip with 6-bit synapse labels:
//   [5:0]   synapse address, compared with the 6-bit label stored in every synapse
//   [13:6]  row-select address, compared by every synapse driver under its mask
//   [15:14] free: not interpreted by the synapse array; the crossbar can filter on them
//           (e.g. to steer events to a half or a bus group, see docs/models/event-routing.md)
// A chip variant with another synapse label width shifts the row-select field up or down;
// SynapseArray takes the width from the config.
constexpr int kLabelBits = 16;
constexpr int kSynapseAddressBits = 6;
constexpr int kRowSelectBits = 8;
constexpr std::uint16_t kSynapseAddressMask = (1u << kSynapseAddressBits) - 1u;
constexpr std::uint16_t kRowSelectMask = (1u << kRowSelectBits) - 1u;

constexpr std::uint16_t synapse_address(std::uint16_t label) {
  return static_cast<std::uint16_t>(label & kSynapseAddressMask);
}
constexpr std::uint16_t row_select(std::uint16_t label) {
  return static_cast<std::uint16_t>((label >> kSynapseAddressBits) & kRowSelectMask);
}
constexpr std::uint16_t label_hint(std::uint16_t label) {
  return static_cast<std::uint16_t>(label >> (kSynapseAddressBits + kRowSelectBits));
}
// Compose a label from its fields (each field is truncated to its width).
constexpr std::uint16_t make_label(unsigned row_select_address, unsigned synapse_addr,
                                   unsigned hint = 0) {
  return static_cast<std::uint16_t>(((hint & 0x3u) << (kSynapseAddressBits + kRowSelectBits)) |
                                    ((row_select_address & kRowSelectMask) << kSynapseAddressBits) |
                                    (synapse_addr & kSynapseAddressMask));
}

// One spike event in hardware time (microseconds since the start of the run).
struct Event {
  double t_us = 0.0;
  std::uint16_t label = 0;

  friend bool operator==(const Event& a, const Event& b) {
    return a.t_us == b.t_us && a.label == b.label;
  }
  friend bool operator!=(const Event& a, const Event& b) { return !(a == b); }
};

// Orders by time only; use std::stable_sort so events at equal times keep their order.
struct EventEarlier {
  bool operator()(const Event& a, const Event& b) const { return a.t_us < b.t_us; }
};

using EventList = std::vector<Event>;

}  // namespace salvo
