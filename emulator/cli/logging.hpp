// Logging set-up: spdlog on stderr, level from -v/-q, SystemC reports routed through it.
#pragma once

namespace salvo::cli {

// verbosity: 0 = info, 1 = debug, 2+ = trace, -1 = warnings only, -2 = errors only.
void setup_logging(int verbosity);

}  // namespace salvo::cli
