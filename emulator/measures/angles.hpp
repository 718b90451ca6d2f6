// The angle between two weight matrices (flattened), the alignment measure of the SAL
// experiments: 0° aligned, 90° unrelated. For noisy estimates the summed variances of the
// elements are taken out of the squared norms, which noise inflates.
#pragma once

#include <vector>

namespace salvo::measures {

// Degrees; 90 if either norm is not positive (after the variance correction).
double angle_deg(const std::vector<double>& x, const std::vector<double>& y, double var_x = 0,
                 double var_y = 0);

}  // namespace salvo::measures
