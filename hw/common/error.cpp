#include "hw/common/error.hpp"
