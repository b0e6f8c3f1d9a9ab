// KeptFile::changed(): the sampler re-reads the mount table only when the kernel marks
// it changed. Checked against the real kernel: a child process in a mount namespace of
// its own mounts a tmpfs and must see the mark exactly once.
#include "sampler/kept_file.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

using sbcmon::sampler::KeptFile;

std::string temp_template(const char* name) {
  return (std::filesystem::temp_directory_path() / name).string();
}

// Runs `body` in a forked child inside a private mount namespace. Returns the child's
// exit status, or -1 when this process may not make a mount namespace (no CAP_SYS_ADMIN).
template <typename F>
int in_mount_namespace(F body) {
  int pipefd[2];
  if (::pipe(pipefd) != 0) return -2;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(pipefd[0]);
    char refused = 0;
    if (::unshare(CLONE_NEWNS) != 0 ||
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      refused = 1;
    }
    (void)!::write(pipefd[1], &refused, 1);
    ::close(pipefd[1]);
    if (refused) ::_exit(0);
    ::_exit(body());
  }
  ::close(pipefd[1]);
  char refused = 1;
  const bool got = ::read(pipefd[0], &refused, 1) == 1;
  ::close(pipefd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!got || refused) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

TEST(KeptFile, MountTableChangeIsSeenOnceFromTheKernelsMark) {
  const int rc = in_mount_namespace([] {
    std::string tmpl = temp_template("sbcmon-kept-XXXXXX");
    const char* dir = ::mkdtemp(tmpl.data());
    if (!dir) return 10;
    KeptFile mounts("/proc/self/mounts");
    char buf[1 << 16];
    std::string_view v;
    int fail = 0;
    if (!mounts.changed(1)) fail = 11;  // first look: read it
    if (!fail && !mounts.read(1, buf, sizeof buf, v)) fail = 12;
    if (!fail && mounts.changed(2)) fail = 13;  // nothing happened
    if (!fail && ::mount("sbcmon-test", dir, "tmpfs", 0, "size=64k") != 0) fail = 14;
    if (!fail && !mounts.changed(3)) fail = 15;  // the new mount is marked
    if (!fail && mounts.changed(4)) fail = 16;   // and reported only once
    if (!fail && (!mounts.read(4, buf, sizeof buf, v) ||
                  v.find(std::string(" ") + dir + " tmpfs ") == std::string_view::npos)) {
      fail = 17;  // the table now has it
    }
    if (!fail && ::umount(dir) != 0) fail = 18;
    if (!fail && !mounts.changed(5)) fail = 19;  // unmounting is a change too
    ::umount(dir);
    ::rmdir(dir);
    return fail;
  });
  if (rc == -1) GTEST_SKIP() << "no mount namespace here (needs CAP_SYS_ADMIN)";
  EXPECT_EQ(rc, 0) << "step " << rc << " of the child failed (see the numbers in the test)";
}

TEST(KeptFile, AFileOutsideProcfsCountsAsChangedEveryTick) {
  // A fixture tree's mounts file is a regular file: no kernel mark, so always re-read.
  std::string tmpl = temp_template("sbcmon-kept-file-XXXXXX");
  char* path = tmpl.data();
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  std::ofstream(path) << "/dev/sda1 / ext4 rw 0 0\n";
  KeptFile f(path);
  char buf[256];
  std::string_view v;
  for (std::uint64_t tick = 1; tick <= 3; ++tick) {
    EXPECT_TRUE(f.changed(tick)) << "tick " << tick;
    ASSERT_TRUE(f.read(tick, buf, sizeof buf, v));
    EXPECT_EQ(v, "/dev/sda1 / ext4 rw 0 0\n");
  }
  ::unlink(path);
}

TEST(KeptFile, AMissingFileCountsAsChangedSoReadReportsIt) {
  KeptFile f("/nonexistent-sbcmon-dir/mounts");
  char buf[16];
  std::string_view v;
  EXPECT_TRUE(f.changed(1));
  EXPECT_FALSE(f.read(1, buf, sizeof buf, v));
}

TEST(KeptFile, RetryNowForgetsTheBackOffOfAMissingFile) {
  // A device's speed file, tried while the device was gone, is read at once when its
  // operstate file answers again (sampler.cpp), not after the back-off it built up.
  std::string tmpl = temp_template("sbcmon-kept-retry-XXXXXX");
  const char* dir = ::mkdtemp(tmpl.data());
  ASSERT_NE(dir, nullptr);
  const std::string path = std::string(dir) + "/speed";
  KeptFile f(path);
  char buf[16];
  std::string_view v;
  for (std::uint64_t tick = 1; tick <= 8; ++tick)
    EXPECT_FALSE(f.read(tick, buf, sizeof buf, v));
  std::ofstream(path) << "1000\n";
  EXPECT_FALSE(f.read(9, buf, sizeof buf, v)) << "backing off: not tried this tick";
  f.retry_now();
  ASSERT_TRUE(f.read(9, buf, sizeof buf, v));
  EXPECT_EQ(v, "1000\n");
  ::unlink(path.c_str());
  ::rmdir(dir);
}

}  // namespace
