// The static firmware's terminate handler: libstdc++'s default one prints the
// demangled type of an uncaught exception, and its demangler is about 47 KB of a
// static binary. Defining the handler here keeps libstdc++'s out of the link; an
// uncaught exception still aborts (the service manager logs the SIGABRT and restarts).
//
// The firmware also links without unwind tables (cmake/firmware/no-unwind.ld), and
// sbcmon catches nothing, so every throw (only libstdc++ throws: bad_alloc,
// length_error) is uncaught. The link wraps __cxa_throw to terminate at once: without
// tables the unwinder would abort() on its own, before the line below is written.
#include <cstdio>
#include <cstdlib>
#include <exception>

namespace __gnu_cxx {
// NOLINTNEXTLINE(readability-identifier-naming): libstdc++'s name, replaced on purpose.
void __verbose_terminate_handler() {
  std::fputs("sbcmon: terminate called (uncaught exception)\n", stderr);
  std::abort();
}
}  // namespace __gnu_cxx

extern "C" {
// NOLINTNEXTLINE(readability-identifier-naming): the name the linker's --wrap looks for.
[[noreturn]] void __wrap___cxa_throw(void* /*thrown*/, void* /*type*/,
                                     void (* /*destructor*/)(void*)) {
  std::terminate();
}
}
