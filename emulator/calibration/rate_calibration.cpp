#include "emulator/calibration/rate_calibration.hpp"

#include <algorithm>

namespace salvo::calibration {

std::vector<double> calibrate_rates(AnalogCore& core, const std::function<void(double)>& advance,
                                    const std::vector<int>& neurons,
                                    const RateCalibrationOptions& o) {
  const int n = static_cast<int>(neurons.size());
  std::vector<double> rates(n, 0.0);
  auto measure = [&]() {
    const double t0 = core.now_us();
    core.reset_rate_counters();
    advance(t0 + o.window_us);
    for (int k = 0; k < n; ++k) rates[k] = core.rate_counter(neurons[k]) / (o.window_us * 1e-6);
  };
  if (o.target_hz <= 0) return rates;
  const int leak_cell = ParameterMemory::cell_index(VoltageCell::kLeak);
  std::vector<int> step(n, o.initial_step);
  std::vector<int> last_dir(n, 0);
  for (int it = 0; it < o.iterations; ++it) {
    measure();
    for (int k = 0; k < n; ++k) {
      const int dir = rates[k] < o.target_hz ? 1 : -1;
      if (last_dir[k] != 0 && dir != last_dir[k]) step[k] = std::max(1, step[k] / 2);
      last_dir[k] = dir;
      const int code = std::clamp(core.parameters().code(neurons[k], leak_cell) + dir * step[k], 0,
                                  core.parameters().code_max());
      core.write_parameter(neurons[k], leak_cell, code);
    }
  }
  measure();
  return rates;
}

std::vector<double> calibrate_rates(session::Session& s, const std::vector<int>& neurons,
                                    const RateCalibrationOptions& o) {
  return calibrate_rates(
      s.core(), [&s](double t) { s.advance_to(t); }, neurons, o);
}

}  // namespace salvo::calibration
