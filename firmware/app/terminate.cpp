// The static firmware's terminate handler: libstdc++'s default one prints the
// demangled type of an uncaught exception, and its demangler is about 47 KB of a
// static binary. Defining the handler here keeps libstdc++'s out of the link; an
// uncaught exception still aborts (the service manager logs the SIGABRT and restarts).
#include <cstdio>
#include <cstdlib>

namespace __gnu_cxx {
// NOLINTNEXTLINE(readability-identifier-naming): libstdc++'s name, replaced on purpose.
[[noreturn]] void __verbose_terminate_handler() {
  std::fputs("sbcmon: terminate called (uncaught exception)\n", stderr);
  std::abort();
}
}  // namespace __gnu_cxx
