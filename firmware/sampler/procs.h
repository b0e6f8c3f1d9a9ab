// The processes using the board: top by CPU over the last scan interval and by
// resident memory, from /proc/<pid>/stat, statm and status. A fixed table keeps each
// process's previous CPU reading; scanning costs more than a whole sample, so the
// monitor runs it only while a client shows the processes view. No allocation per scan.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "config/config.h"
#include "sampler/sample.h"

namespace sbcmon::sampler {

inline constexpr std::size_t kMaxProcs = config::kMaxProcs;  // processes tracked per scan
inline constexpr std::size_t kTopProcs = config::kTopProcs;  // rows in each top list
inline constexpr std::size_t kCommLen = 32;                  // comm is at most 15 bytes + NUL

// The fields of /proc/<pid>/stat the scanner uses.
struct ProcStat {
  char comm[kCommLen] = {};  // between the first '(' and the last ')': may hold spaces, parens
  char state = '?';          // R, S, D, Z, T, I, ...
  std::uint64_t utime = 0, stime = 0;  // USER_HZ ticks
  std::uint64_t starttime = 0;         // ticks after boot; with the pid, names one process
};
// Parses one /proc/<pid>/stat line. False if truncated or malformed.
bool parse_proc_stat(std::string_view text, ProcStat& out);
// Resident pages: the second field of /proc/<pid>/statm. False if malformed.
bool parse_statm_rss(std::string_view text, std::uint64_t& pages);
// The real uid: first number of the "Uid:" line of /proc/<pid>/status. False if none.
bool parse_status_uid(std::string_view text, std::uint32_t& uid);

struct ProcRow {
  std::int32_t pid = 0;
  char name[kCommLen] = {};
  char state = '?';
  float cpu_pct = kAbsent;  // % of one core over the interval; NaN on a process's first scan
  std::uint64_t rss = 0;    // bytes
  std::uint32_t uid = 0;
  char user[kNameLen] = {};  // "" when the uid is not in passwd
};

struct ProcTop {
  std::int64_t t_ms = 0;
  std::uint32_t seen = 0;       // processes listed in /proc
  std::uint32_t untracked = 0;  // beyond kMaxProcs: counted, not shown
  std::size_t ncpu = 0, nrss = 0;
  ProcRow by_cpu[kTopProcs];    // busiest first; processes with no CPU figure are left out
  ProcRow by_rss[kTopProcs];    // largest first
};

struct ProcState;  // the two tables and scratch (large; kept off the stack)

class ProcScanner {
 public:
  // `proc_root` as for the Sampler; user names come from <proc_root>/self/root/etc/passwd
  // (that is /etc/passwd on a board), read once. user_hz and page size as the kernel's.
  ProcScanner(std::string proc_root, long user_hz, long page_size);
  ~ProcScanner();
  ProcScanner(const ProcScanner&) = delete;
  ProcScanner& operator=(const ProcScanner&) = delete;

  // Scans every /proc/<pid>; rates are over mono_ns since the previous scan. False
  // (and `out` empty) when the proc root cannot be listed.
  bool scan(ProcTop& out, std::int64_t wall_ms, std::int64_t mono_ns);

 private:
  void load_users();
  const char* user_of(std::uint32_t uid) const;

  std::string proc_root_;
  long user_hz_;
  long page_size_;
  int dir_fd_ = -1;
  bool users_loaded_ = false;
  std::unique_ptr<ProcState> st_;
};

}  // namespace sbcmon::sampler
