// Sanitizer builds only (SALVO_SANITIZE): corrects SystemC's stack-switch annotations for
// AddressSanitizer. Debian's libsystemc 2.3.4 tells ASan about every coroutine switch through
// weak references to __sanitizer_{start,finish}_switch_fiber, but announces the switch back to
// the main coroutine with a null stack of size 0. ASan then believes the main thread's stack
// is [0, 0), and the first C++ throw on it after the kernel ran (a run ending with a
// RunFailure, say) is reported as a stack-buffer-overflow inside ASan's own sigaltstack call
// (google/sanitizers#189) and aborts the process before the error is printed.
//
// These definitions, linked into every executable, take the place of ASan's for SystemC and
// forward to them, substituting the main thread's real stack bounds for the null stack.
#include <dlfcn.h>
#include <pthread.h>

#include <cstddef>

namespace {

using StartFn = void (*)(void**, const void*, std::size_t);
using FinishFn = void (*)(void*, const void**, std::size_t*);

template <typename Fn>
Fn next_definition(const char* name) {
  return reinterpret_cast<Fn>(::dlsym(RTLD_NEXT, name));
}

// The calling (main) thread's stack as the system reports it.
bool main_stack(const void*& bottom, std::size_t& size) {
  pthread_attr_t attr;
  if (::pthread_getattr_np(::pthread_self(), &attr) != 0) return false;
  void* addr = nullptr;
  std::size_t len = 0;
  const bool ok = ::pthread_attr_getstack(&attr, &addr, &len) == 0;
  ::pthread_attr_destroy(&attr);
  bottom = addr;
  size = len;
  return ok && addr != nullptr && len != 0;
}

// Read at start-up, on the main thread's own stack.
const void* g_main_bottom = nullptr;
std::size_t g_main_size = 0;
const bool g_main_known = main_stack(g_main_bottom, g_main_size);

}  // namespace

extern "C" void __sanitizer_start_switch_fiber(void** fake_stack_save, const void* bottom,
                                               std::size_t size) {
  static const StartFn next = next_definition<StartFn>("__sanitizer_start_switch_fiber");
  if (next == nullptr) return;
  if ((bottom == nullptr || size == 0) && g_main_known) {
    bottom = g_main_bottom;
    size = g_main_size;
  }
  next(fake_stack_save, bottom, size);
}

extern "C" void __sanitizer_finish_switch_fiber(void* fake_stack_save, const void** bottom_old,
                                                std::size_t* size_old) {
  static const FinishFn next = next_definition<FinishFn>("__sanitizer_finish_switch_fiber");
  if (next != nullptr) next(fake_stack_save, bottom_old, size_old);
}
