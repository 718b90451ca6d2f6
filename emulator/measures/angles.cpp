#include "emulator/measures/angles.hpp"

#include <algorithm>
#include <cmath>

namespace salvo::measures {

double angle_deg(const std::vector<double>& x, const std::vector<double>& y, double var_x,
                 double var_y) {
  double xy = 0, xx = -var_x, yy = -var_y;
  for (std::size_t i = 0; i < x.size(); ++i) {
    xy += x[i] * y[i];
    xx += x[i] * x[i];
    yy += y[i] * y[i];
  }
  if (xx <= 0 || yy <= 0) return 90.0;
  return std::acos(std::clamp(xy / std::sqrt(xx * yy), -1.0, 1.0)) * 180.0 / M_PI;
}

}  // namespace salvo::measures
