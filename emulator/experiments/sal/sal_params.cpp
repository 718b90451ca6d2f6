#include "emulator/experiments/sal/sal_params.hpp"

#include <cmath>

#include <fmt/format.h>

#include "emulator/experiments/experiment.hpp"

namespace salvo::experiments {

void check_learning_duration(double duration_us, double update_period_us, const Checker& check) {
  const double periods = duration_us / update_period_us;
  const double whole = std::round(periods);
  if (whole < 1 || std::fabs(periods - whole) > 1e-9 * std::max(1.0, whole))
    check.fail("duration_us",
               fmt::format("{} µs is not a whole number of update periods ({} µs)", duration_us,
                           update_period_us),
               fmt::format("a multiple >= 1 of experiment.update_period_us, e.g. {}",
                           std::max(1.0, whole) * update_period_us));
}

}  // namespace salvo::experiments
