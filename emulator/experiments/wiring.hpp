// Chip wiring shared by the experiment families: the default event routing and the synapse
// address convention of rows driven by one driver.
#pragma once

#include "hw/chip/analog_core.hpp"

namespace salvo::experiments {

// Every driver answers its own row label; crossbar inputs reach the bus numbered after the
// target driver (label bits [7:6]) so traffic spreads over all buses.
void default_routing(AnalogCore& core);

// Address label of row `row` when the config says -1 (each row of a driver its own).
int row_address(const AnalogCore& core, int row, int configured);

}  // namespace salvo::experiments
