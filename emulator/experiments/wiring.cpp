#include "emulator/experiments/wiring.hpp"

namespace salvo::experiments {

void default_routing(AnalogCore& core) {
  core.select_drivers_by_index();
  auto& xbar = core.crossbar();
  xbar.disable_all();
  const int buses = xbar.buses();
  const bool pow2 = (buses & (buses - 1)) == 0;
  for (int i = 0; i < xbar.inputs(); ++i) {
    for (int b = 0; b < buses; ++b) {
      if (pow2)
        xbar.set_node(i, b, true, (buses - 1) << 6, b << 6);
      else
        xbar.set_node(i, b, b == i % buses, 0, 0);
    }
  }
}

int row_address(const AnalogCore& core, int row, int configured) {
  return configured >= 0 ? configured : row % core.config().drivers.rows_per_driver;
}

}  // namespace salvo::experiments
