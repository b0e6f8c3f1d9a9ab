// A file opened once and re-read with pread at offset 0 each tick; reopened lazily,
// with bounded back-off, when it is missing, vanishes or is replaced.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace sbcmon::sampler {

class KeptFile {
 public:
  KeptFile() = default;
  // Remembers `path`; does not open until the first read().
  explicit KeptFile(std::string path) : path_(std::move(path)) {}
  ~KeptFile();
  KeptFile(KeptFile&& o) noexcept;
  KeptFile& operator=(KeptFile&& o) noexcept;
  KeptFile(const KeptFile&) = delete;
  KeptFile& operator=(const KeptFile&) = delete;

  // Reads the file (up to cap bytes) into buf; `out` views the bytes. False when missing
  // or unreadable this tick. A failed open is retried after 1, 2, 4 ... kMaxBackoffTicks ticks.
  bool read(std::uint64_t tick, char* buf, std::size_t cap, std::string_view& out);

  // Same as read() into the caller's buffer, trimmed of whitespace and NULs.
  bool read_trimmed(std::uint64_t tick, char* buf, std::size_t cap, std::string_view& out);

  // For a procfs mount table (<proc>/mounts): whether it may have changed since the last
  // call. The kernel marks a mount-table fd when the namespace's mounts change, and one
  // poll() reads that mark, which costs far less than reading and parsing the table each
  // tick. True after every (re)open, when the file is not on procfs (a fixture tree has
  // no such mark) and when it cannot be opened (read() then reports it missing).
  bool changed(std::uint64_t tick);

  // Forgets the open back-off, so the next read() tries to open at once: for a caller
  // with news that the file is back (its device's other file answered again).
  void retry_now() {
    retry_tick_ = 0;
    backoff_ = 1;
  }

  // The path given at construction ("" for a default-constructed, never-read file).
  const std::string& path() const { return path_; }

  static constexpr std::uint32_t kMaxBackoffTicks = 16;

 private:
  void close_fd();
  bool try_open(std::uint64_t tick);

  std::string path_;
  int fd_ = -1;
  bool check_nlink_ = true;  // false on procfs/sysfs, whose nodes are never unlinked
  bool on_procfs_ = false;
  bool fresh_ = false;       // opened since changed() last answered
  std::uint64_t retry_tick_ = 0;  // earliest tick to try opening again
  std::uint32_t backoff_ = 1;
};

}  // namespace sbcmon::sampler
