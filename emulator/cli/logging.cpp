#include "emulator/cli/logging.hpp"

#include <cstdlib>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <systemc>

namespace salvo::cli {
namespace {

// SystemC's own reports would otherwise print in their own format on stdout.
void systemc_report_handler(const sc_core::sc_report& report, const sc_core::sc_actions& actions) {
  const char* msg = report.get_msg();
  const char* type = report.get_msg_type();
  switch (report.get_severity()) {
    case sc_core::SC_INFO:
      spdlog::debug("systemc: {}: {}", type, msg);
      break;
    case sc_core::SC_WARNING:
      spdlog::warn("systemc: {}: {}", type, msg);
      break;
    default:
      spdlog::error("systemc: {}: {}", type, msg);
      break;
  }
  if (actions & sc_core::SC_THROW) throw report;
  if (actions & sc_core::SC_ABORT) std::abort();
}

}  // namespace

void setup_logging(int verbosity) {
  ::setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  auto logger = spdlog::stderr_color_mt("salvo");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("[%^%l%$] %v");
  if (verbosity >= 2)
    spdlog::set_level(spdlog::level::trace);
  else if (verbosity == 1)
    spdlog::set_level(spdlog::level::debug);
  else if (verbosity == 0)
    spdlog::set_level(spdlog::level::info);
  else if (verbosity == -1)
    spdlog::set_level(spdlog::level::warn);
  else
    spdlog::set_level(spdlog::level::err);
  sc_core::sc_report_handler::set_handler(systemc_report_handler);
}

}  // namespace salvo::cli
