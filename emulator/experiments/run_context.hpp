// Transitional: RunContext moved to emulator/session/ (removed when every experiment is on Session).
#pragma once

#include "emulator/session/run_context.hpp"

namespace salvo::experiments {
using session::RunContext;
using session::RunStats;
}  // namespace salvo::experiments
