// Process scan: getdents64 over the proc root into a fixed buffer, three small
// reads per process with openat, a sorted table of the previous readings.
#include "sampler/procs.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "sampler/kept_file.h"
#include "sampler/parse.h"

namespace sbcmon::sampler {

struct ProcState {
  struct Track {
    std::int32_t pid = 0;
    std::uint64_t start = 0;  // starttime: a reused pid is another process
    std::uint64_t ticks = 0;  // utime + stime
  };
  Track prev[kMaxProcs];
  std::size_t nprev = 0;
  Track cur[kMaxProcs];
  std::size_t ncur = 0;
  std::int32_t pids[kMaxProcs];
  bool have_prev = false;
  std::int64_t prev_mono_ns = 0;
  struct User {
    std::uint32_t uid = 0;
    char name[kNameLen] = {};
  };
  static constexpr std::size_t kMaxUsers = 256;
  User users[kMaxUsers];
  std::size_t nusers = 0;
  alignas(8) char dents[32 * 1024];
  char buf[4096];
};

namespace {

bool digits_only(const char* s) {
  if (*s == '\0') return false;
  for (; *s; ++s) {
    if (*s < '0' || *s > '9') return false;
  }
  return true;
}

// Next space-separated field starting at p; empty at the end.
std::string_view field(const char*& p, const char* end) {
  while (p < end && *p == ' ') ++p;
  const char* s = p;
  while (p < end && *p != ' ' && *p != '\n') ++p;
  return std::string_view(s, static_cast<std::size_t>(p - s));
}

// Reads <dir_fd>/<pid>/<leaf> into buf; false when it is gone (the process exited).
bool read_pid_file(int dir_fd, std::int32_t pid, const char* leaf, char* buf, std::size_t cap,
                   std::string_view& out) {
  char rel[48];
  std::snprintf(rel, sizeof rel, "%d/%s", static_cast<int>(pid), leaf);
  const int fd = ::openat(dir_fd, rel, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ssize_t n;
  do {
    n = ::read(fd, buf, cap);
  } while (n < 0 && errno == EINTR);
  ::close(fd);
  if (n <= 0) return false;
  out = std::string_view(buf, static_cast<std::size_t>(n));
  return true;
}

// Inserts `row` into a list of at most kTopProcs kept in descending `key` order.
template <typename Key>
void insert_top(ProcRow (&list)[kTopProcs], std::size_t& n, const ProcRow& row, Key key) {
  std::size_t at = n;
  while (at > 0 && key(list[at - 1]) < key(row)) --at;
  if (at >= kTopProcs) return;
  const std::size_t last = n < kTopProcs ? n : kTopProcs - 1;
  for (std::size_t i = last; i > at; --i) list[i] = list[i - 1];
  list[at] = row;
  if (n < kTopProcs) ++n;
}

}  // namespace

bool parse_proc_stat(std::string_view text, ProcStat& out) {
  // "pid (comm) S ppid ...": comm may contain spaces and ')' so the last ')' ends it.
  const std::size_t open = text.find('(');
  const std::size_t close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return false;
  std::string_view comm = text.substr(open + 1, close - open - 1);
  if (comm.size() >= kCommLen) comm = comm.substr(0, kCommLen - 1);
  const char* p = text.data() + close + 1;
  const char* end = text.data() + text.size();
  // Fields from 3 (state): utime is 14, stime 15, starttime 22.
  std::string_view f[20];
  for (int i = 0; i < 20; ++i) {
    f[i] = field(p, end);
    if (f[i].empty()) return false;
  }
  if (f[0].size() != 1) return false;
  std::uint64_t ut = 0, stt = 0, start = 0;
  if (!parse_u64(f[11], ut) || !parse_u64(f[12], stt) || !parse_u64(f[19], start)) return false;
  std::memcpy(out.comm, comm.data(), comm.size());
  out.comm[comm.size()] = '\0';
  out.state = f[0][0];
  out.utime = ut;
  out.stime = stt;
  out.starttime = start;
  return true;
}

bool parse_statm_rss(std::string_view text, std::uint64_t& pages) {
  const char* p = text.data();
  const char* end = p + text.size();
  std::string_view size = field(p, end);
  std::string_view rss = field(p, end);
  std::uint64_t v = 0;
  if (size.empty() || rss.empty() || !parse_u64(rss, v)) return false;
  pages = v;
  return true;
}

bool parse_status_uid(std::string_view text, std::uint32_t& uid) {
  std::size_t at = text.rfind("\nUid:", std::string_view::npos);
  if (text.substr(0, 4) == "Uid:") at = 0;
  else if (at == std::string_view::npos) return false;
  else at += 1;
  std::size_t p = at + 4;
  while (p < text.size() && (text[p] == ' ' || text[p] == '\t')) ++p;
  std::size_t e = p;
  while (e < text.size() && text[e] >= '0' && text[e] <= '9') ++e;
  std::uint64_t v = 0;
  if (e == p || !parse_u64(text.substr(p, e - p), v) || v > 0xFFFFFFFFull) return false;
  uid = static_cast<std::uint32_t>(v);
  return true;
}

ProcScanner::ProcScanner(std::string proc_root, long user_hz, long page_size)
    : proc_root_(std::move(proc_root)),
      user_hz_(user_hz > 0 ? user_hz : 100),
      page_size_(page_size > 0 ? page_size : 4096),
      st_(std::make_unique<ProcState>()) {}

ProcScanner::~ProcScanner() {
  if (dir_fd_ >= 0) ::close(dir_fd_);
}

void ProcScanner::load_users() {
  users_loaded_ = true;
  KeptFile f(proc_root_ + "/self/root/etc/passwd");
  static char text[64 * 1024];  // once per process life: a big passwd file is cut, not grown into
  std::string_view v;
  if (!f.read(0, text, sizeof text, v)) return;
  if (v.size() == sizeof text) v = v.substr(0, v.rfind('\n') + 1);  // no half line (a cut uid)
  ProcState& s = *st_;
  while (!v.empty() && s.nusers < ProcState::kMaxUsers) {
    std::size_t nl = v.find('\n');
    std::string_view line = v.substr(0, nl);
    v = nl == std::string_view::npos ? std::string_view{} : v.substr(nl + 1);
    // name:x:uid:gid:...
    std::size_t c1 = line.find(':');
    std::size_t c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
    std::size_t c3 = c2 == std::string_view::npos ? c2 : line.find(':', c2 + 1);
    if (c3 == std::string_view::npos || c1 == 0 || c1 >= kNameLen) continue;
    std::uint64_t uid = 0;
    if (!parse_u64(line.substr(c2 + 1, c3 - c2 - 1), uid) || uid > 0xFFFFFFFFull) continue;
    ProcState::User& u = s.users[s.nusers++];
    u.uid = static_cast<std::uint32_t>(uid);
    std::memcpy(u.name, line.data(), c1);
    u.name[c1] = '\0';
  }
}

const char* ProcScanner::user_of(std::uint32_t uid) const {
  for (std::size_t i = 0; i < st_->nusers; ++i) {
    if (st_->users[i].uid == uid) return st_->users[i].name;
  }
  return "";
}

bool ProcScanner::scan(ProcTop& out, std::int64_t wall_ms, std::int64_t mono_ns) {
  ProcState& s = *st_;
  out.t_ms = wall_ms;
  out.seen = out.untracked = 0;
  out.ncpu = out.nrss = 0;
  if (!users_loaded_) load_users();
  if (dir_fd_ < 0) {
    dir_fd_ = ::open(proc_root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd_ < 0) return false;
  }
  if (::lseek(dir_fd_, 0, SEEK_SET) != 0) {
    ::close(dir_fd_);
    dir_fd_ = -1;
    return false;
  }
  // List the numeric entries.
  std::size_t npids = 0;
  for (;;) {
    const ssize_t n = ::getdents64(dir_fd_, s.dents, sizeof s.dents);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (ssize_t off = 0; off < n;) {
      const auto* d = reinterpret_cast<const struct dirent64*>(s.dents + off);
      off += d->d_reclen;
      if (d->d_reclen == 0) break;
      if (!digits_only(d->d_name)) continue;
      std::uint64_t pid = 0;
      if (!parse_u64(d->d_name, pid) || pid == 0 || pid > 0x7FFFFFFF) continue;
      ++out.seen;
      if (npids < kMaxProcs) {
        s.pids[npids++] = static_cast<std::int32_t>(pid);
      } else {
        ++out.untracked;
      }
    }
  }
  std::sort(s.pids, s.pids + npids);

  const double dt = s.have_prev ? static_cast<double>(mono_ns - s.prev_mono_ns) / 1e9 : 0.0;
  s.ncur = 0;
  for (std::size_t i = 0; i < npids; ++i) {
    const std::int32_t pid = s.pids[i];
    std::string_view v;
    ProcStat ps;
    // A process that exits between the listing and these reads is simply not shown.
    if (!read_pid_file(dir_fd_, pid, "stat", s.buf, sizeof s.buf, v) || !parse_proc_stat(v, ps)) continue;
    ProcRow row;
    row.pid = pid;
    std::memcpy(row.name, ps.comm, sizeof row.name);
    row.state = ps.state;
    std::uint64_t pages = 0;
    if (read_pid_file(dir_fd_, pid, "statm", s.buf, sizeof s.buf, v) && parse_statm_rss(v, pages)) {
      row.rss = pages * static_cast<std::uint64_t>(page_size_);
    }
    std::uint32_t uid = 0;
    if (read_pid_file(dir_fd_, pid, "status", s.buf, sizeof s.buf, v) && parse_status_uid(v, uid)) {
      row.uid = uid;
      const char* name = user_of(uid);
      std::snprintf(row.user, sizeof row.user, "%s", name);
    } else {
      row.uid = 0xFFFFFFFFu;
    }
    const std::uint64_t ticks = ps.utime + ps.stime;
    const ProcState::Track* prev_end = s.prev + s.nprev;
    const ProcState::Track* hit = std::lower_bound(
        static_cast<const ProcState::Track*>(s.prev), prev_end, pid,
        [](const ProcState::Track& t, std::int32_t p) { return t.pid < p; });
    if (dt > 0 && hit != prev_end && hit->pid == pid && hit->start == ps.starttime && ticks >= hit->ticks) {
      row.cpu_pct = static_cast<float>(static_cast<double>(ticks - hit->ticks) /
                                       (dt * static_cast<double>(user_hz_)) * 100.0);
    }
    s.cur[s.ncur++] = {pid, ps.starttime, ticks};
    if (!absent(row.cpu_pct)) insert_top(out.by_cpu, out.ncpu, row, [](const ProcRow& r) { return r.cpu_pct; });
    insert_top(out.by_rss, out.nrss, row, [](const ProcRow& r) { return r.rss; });
  }
  std::copy(s.cur, s.cur + s.ncur, s.prev);
  s.nprev = s.ncur;
  s.have_prev = true;
  s.prev_mono_ns = mono_ns;
  return true;
}

}  // namespace sbcmon::sampler
