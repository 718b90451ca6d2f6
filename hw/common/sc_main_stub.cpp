// libsystemc's own main() refers to sc_main; salvo has its own main() and elaborates the
// chip itself (see hw/chip), so this entry point is never called.
#include "hw/common/error.hpp"

extern "C" int sc_main(int, char**) {
  throw salvo::InternalError("sc_main is not salvo's entry point");
}
