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

// Nothing in the firmware unwinds: no tables, throws end in terminate above, no thread is
// cancelled, no backtrace taken. libgcc's DWARF unwinder (~20 KB) is linked only because
// glibc's stdio and libstdc++ name it from cleanup code that runs during an unwind, so
// these take the place of every function of its unwind-dw2.o and abort if ever reached.
// Should new code need one not listed here, the link fails with duplicate definitions
// rather than quietly taking half of libgcc's. ARM's EHABI unwinder is a different one
// (and the armhf firmware is far below its budget): it keeps libgcc's.
#if defined(__aarch64__) || defined(__x86_64__)
#define SBCMON_NO_UNWIND(name) \
  [[noreturn]] void name() { std::abort(); }
extern "C" {
// NOLINTBEGIN(readability-identifier-naming): libgcc's names, replaced on purpose.
SBCMON_NO_UNWIND(_Unwind_Backtrace)
SBCMON_NO_UNWIND(_Unwind_DeleteException)
SBCMON_NO_UNWIND(_Unwind_FindEnclosingFunction)
SBCMON_NO_UNWIND(_Unwind_ForcedUnwind)
SBCMON_NO_UNWIND(_Unwind_GetCFA)
SBCMON_NO_UNWIND(_Unwind_GetDataRelBase)
SBCMON_NO_UNWIND(_Unwind_GetGR)
SBCMON_NO_UNWIND(_Unwind_GetIP)
SBCMON_NO_UNWIND(_Unwind_GetIPInfo)
SBCMON_NO_UNWIND(_Unwind_GetLanguageSpecificData)
SBCMON_NO_UNWIND(_Unwind_GetRegionStart)
SBCMON_NO_UNWIND(_Unwind_GetTextRelBase)
SBCMON_NO_UNWIND(_Unwind_RaiseException)
SBCMON_NO_UNWIND(_Unwind_Resume)
SBCMON_NO_UNWIND(_Unwind_Resume_or_Rethrow)
SBCMON_NO_UNWIND(_Unwind_SetGR)
SBCMON_NO_UNWIND(_Unwind_SetIP)
SBCMON_NO_UNWIND(__frame_state_for)
// NOLINTEND(readability-identifier-naming)
}
#undef SBCMON_NO_UNWIND
#endif
