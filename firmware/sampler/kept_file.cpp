// Kept-open file reads for the sampler: one open, then one pread per tick (plus an
// fstat on ordinary files, so a fixture file that is replaced gets reopened).
#include "sampler/kept_file.h"

#include <cerrno>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <utility>

namespace sbcmon::sampler {

KeptFile::~KeptFile() { close_fd(); }

KeptFile::KeptFile(KeptFile&& o) noexcept
    : path_(std::move(o.path_)),
      fd_(o.fd_),
      check_nlink_(o.check_nlink_),
      on_procfs_(o.on_procfs_),
      fresh_(o.fresh_),
      retry_tick_(o.retry_tick_),
      backoff_(o.backoff_) {
  o.fd_ = -1;
}

KeptFile& KeptFile::operator=(KeptFile&& o) noexcept {
  if (this != &o) {
    close_fd();
    path_ = std::move(o.path_);
    fd_ = o.fd_;
    check_nlink_ = o.check_nlink_;
    on_procfs_ = o.on_procfs_;
    fresh_ = o.fresh_;
    retry_tick_ = o.retry_tick_;
    backoff_ = o.backoff_;
    o.fd_ = -1;
  }
  return *this;
}

void KeptFile::close_fd() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool KeptFile::try_open(std::uint64_t tick) {
  if (path_.empty() || tick < retry_tick_) return false;
  // O_NONBLOCK: a FIFO (or a device) planted in --proc-root must not hang
  // start-up in open(); what is not a regular file is then treated as absent.
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  struct stat kind;
  if (fd_ >= 0 && (::fstat(fd_, &kind) != 0 || !S_ISREG(kind.st_mode))) close_fd();
  if (fd_ >= 0) {
    backoff_ = 1;
    // procfs/sysfs signal a vanished node through read errors; only ordinary files
    // (fixture trees) need the per-tick nlink check, so skip its syscall on a board.
    constexpr long kProcMagic = 0x9fa0, kSysfsMagic = 0x62656572;
    struct statfs sfs;
    const bool known = ::fstatfs(fd_, &sfs) == 0;
    on_procfs_ = known && static_cast<long>(sfs.f_type) == kProcMagic;
    check_nlink_ = !(on_procfs_ || (known && static_cast<long>(sfs.f_type) == kSysfsMagic));
    fresh_ = true;
    return true;
  }
  // A missing sensor stays missing for a while; do not pay a path lookup every tick.
  retry_tick_ = tick + backoff_;
  if (backoff_ < kMaxBackoffTicks) backoff_ *= 2;
  return false;
}

bool KeptFile::read(std::uint64_t tick, char* buf, std::size_t cap, std::string_view& out) {
  out = {};
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (fd_ < 0 && !try_open(tick)) return false;
    // A regular file that was unlinked or replaced keeps answering through the old fd;
    // nlink 0 tells us to reopen. procfs/sysfs report nlink >= 1 and fail reads instead.
    struct stat st;
    if (check_nlink_ && (::fstat(fd_, &st) != 0 || st.st_nlink == 0)) {
      close_fd();
      continue;
    }
    ssize_t n;
    do {
      n = ::pread(fd_, buf, cap, 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      // ENODEV/ESTALE: the device behind a sysfs node went away; anything else
      // (EBUSY for an inactive cpufreq policy, EAGAIN from a sensor) is this tick only.
      if (errno == ENODEV || errno == ESTALE || errno == EBADF) {
        close_fd();
        retry_tick_ = tick + 1;
      }
      return false;
    }
    out = std::string_view(buf, static_cast<std::size_t>(n));
    return true;
  }
  return false;
}

bool KeptFile::changed(std::uint64_t tick) {
  if (fd_ < 0 && !try_open(tick)) return true;
  if (!on_procfs_ || fresh_) {
    fresh_ = false;
    return true;
  }
  // POLLPRI|POLLERR: the table changed since this fd last polled (the kernel clears the
  // mark as it reports it). A failed poll counts as a change: read the table.
  pollfd p{fd_, POLLPRI, 0};
  int r;
  do {
    r = ::poll(&p, 1, 0);
  } while (r < 0 && errno == EINTR);
  return r < 0 || (r > 0 && (p.revents & (POLLPRI | POLLERR | POLLNVAL)) != 0);
}

bool KeptFile::read_trimmed(std::uint64_t tick, char* buf, std::size_t cap, std::string_view& out) {
  if (!read(tick, buf, cap, out)) return false;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ' || out.back() == '\0' ||
                          out.back() == '\r' || out.back() == '\t')) {
    out.remove_suffix(1);
  }
  while (!out.empty() && (out.front() == ' ' || out.front() == '\t')) out.remove_prefix(1);
  return true;
}

}  // namespace sbcmon::sampler
