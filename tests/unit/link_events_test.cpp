// Link state from the kernel's announcements: which datagrams count as a link change, and
// the Sampler on the real /sys of a network namespace of the test's own (a forked child
// with a fresh sysfs and a veth pair), with netlink and with netlink refused as a
// RestrictAddressFamilies= sandbox refuses it.
#include "sampler/link_events.h"

#include <errno.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "sampler/parse.h"
#include "sampler/sample.h"
#include "sampler/sampler.h"

namespace {

namespace fs = std::filesystem;
using namespace sbcmon::sampler;

// ---------------------------------------------------------------- link_change_in
// A datagram of netlink messages of these types, each `payload` bytes long (padded).
std::string datagram(std::initializer_list<std::uint16_t> types, std::size_t payload = 16) {
  std::string out;
  for (std::uint16_t t : types) {
    nlmsghdr h{};
    h.nlmsg_len = static_cast<std::uint32_t>(NLMSG_LENGTH(payload));
    h.nlmsg_type = t;
    std::string msg(NLMSG_SPACE(payload), '\0');
    std::memcpy(msg.data(), &h, sizeof h);
    out += msg;
  }
  return out;
}

bool change_in(const std::string& bytes) {
  return link_change_in(bytes.data(), bytes.size());
}

TEST(LinkChangeIn, LinkMessagesCountOthersDoNot) {
  EXPECT_TRUE(change_in(datagram({RTM_NEWLINK})));
  EXPECT_TRUE(change_in(datagram({RTM_DELLINK})));
  EXPECT_TRUE(change_in(datagram({RTM_NEWADDR, RTM_NEWLINK}))) << "the second message counts";
  EXPECT_TRUE(change_in(datagram({NLMSG_OVERRUN}))) << "messages were lost";
  EXPECT_FALSE(change_in(datagram({RTM_NEWADDR, RTM_NEWROUTE, NLMSG_DONE, NLMSG_NOOP})));
  EXPECT_FALSE(change_in(std::string())) << "nothing received";
}

TEST(LinkChangeIn, CutOrDamagedDatagramsCountAsChanged) {
  const std::string whole = datagram({RTM_NEWADDR});
  EXPECT_TRUE(change_in(whole.substr(0, whole.size() - 4))) << "cut inside its payload";
  EXPECT_TRUE(change_in(whole.substr(0, 7))) << "less than a header";
  EXPECT_TRUE(change_in(whole + "xyz")) << "trailing bytes";
  std::string bad_len = whole;
  const std::uint32_t tiny = 3;  // shorter than its own header
  std::memcpy(bad_len.data(), &tiny, sizeof tiny);
  EXPECT_TRUE(change_in(bad_len));
  // The last message of a datagram may lack its padding: still whole.
  std::string unpadded = datagram({RTM_NEWADDR}, 13);
  unpadded.resize(NLMSG_LENGTH(13));
  EXPECT_FALSE(change_in(unpadded));
}

TEST(LinkEvents, NotWatchingReportsAChangeEveryTime) {
  LinkEvents e;  // as when the socket was refused: the files are read every tick
  char buf[64];
  EXPECT_FALSE(e.watching());
  EXPECT_TRUE(e.changed(buf, sizeof buf));
  EXPECT_TRUE(e.changed(buf, sizeof buf));
}

// ---------------------------------------------------------------- a network of our own
bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && (std::strcmp(ci, "true") == 0 || std::strcmp(ci, "1") == 0);
}

// A kernel test this machine cannot run is skipped, except in CI where it must run.
#define SKIP_OR_FAIL_IN_CI(why)                                                       \
  do {                                                                                \
    if (in_ci()) FAIL() << (why) << " (CI=true: a skipped kernel test is a failure)"; \
    GTEST_SKIP() << (why);                                                            \
  } while (0)

enum class Netlink { kAllowed, kRefused };

struct Outcome {
  enum Kind { kPassed, kUnsupported, kFailed } kind = kFailed;
  std::string note;  // why it could not run, or which step failed
};

constexpr int kExitUnsupported = 77;
constexpr int kExitFailed = 1;

std::string errno_text(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

// In the child: refuses socket(AF_NETLINK, ...) with EAFNOSUPPORT from now on, as systemd's
// RestrictAddressFamilies= does (a seccomp filter). Sockets already open keep working.
std::string refuse_netlink_sockets() {
#if defined(__x86_64__)
  constexpr std::uint32_t kArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
  constexpr std::uint32_t kArch = AUDIT_ARCH_AARCH64;
#elif defined(__arm__)
  constexpr std::uint32_t kArch = AUDIT_ARCH_ARM;
#else
  return "no seccomp filter written for this architecture";
#endif
#if defined(__x86_64__) || defined(__aarch64__) || defined(__arm__)
  // The low 32 bits of the first argument (these targets are little-endian).
  sock_filter prog[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kArch, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 0, 3),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, args[0])),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_NETLINK, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EAFNOSUPPORT),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog fprog{static_cast<unsigned short>(sizeof prog / sizeof prog[0]), prog};
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno_text("PR_SET_NO_NEW_PRIVS");
  if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog) != 0)
    return errno_text("PR_SET_SECCOMP");
  const int probe = ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (probe >= 0 || errno != EAFNOSUPPORT) return "the seccomp filter did not refuse AF_NETLINK";
  return {};
#endif
}

// What the body of a test gets: the test's own RTMGRP_LINK socket, opened before any
// filter, to wait for the kernel's announcements.
struct Net {
  int watch = -1;
  std::string dir;  // scratch, removed when the child ends
};

// Runs body(net) in a forked child with network and mount namespaces of its own, a fresh
// sysfs on /sys (sysfs shows the devices of the namespace that mounted it, not of the
// reader) and a veth pair sbt0/sbt1, both down. The child's exit status says whether it
// passed, could not run here, or failed; its note comes back through a pipe.
template <typename F>
Outcome in_own_network(Netlink netlink, F body) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return {Outcome::kFailed, errno_text("pipe2")};
  const pid_t pid = ::fork();
  if (pid < 0) return {Outcome::kFailed, errno_text("fork")};
  if (pid == 0) {
    ::close(p[0]);
    Net net;
    auto finish = [&](int code, const std::string& note) {
      std::error_code ec;
      if (!net.dir.empty()) fs::remove_all(net.dir, ec);
      (void)!::write(p[1], note.data(), note.size());
      ::_exit(code);
    };
    if (::unshare(CLONE_NEWNET | CLONE_NEWNS) != 0) {
      finish(errno == EPERM ? kExitUnsupported : kExitFailed,
             errno_text("unshare(CLONE_NEWNET | CLONE_NEWNS) (needs root)"));
    }
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      finish(kExitFailed, errno_text("making / private"));
    }
    if (::mount("sysfs", "/sys", "sysfs", 0, nullptr) != 0) {
      finish(errno == EPERM ? kExitUnsupported : kExitFailed, errno_text("mounting a sysfs"));
    }
    const int rc = std::system("ip link add sbt0 type veth peer name sbt1");
    if (rc != 0) {
      finish(kExitUnsupported, "`ip link add sbt0 type veth peer name sbt1` exited with " +
                                   std::to_string(rc) + " (iproute2 and a kernel with veth)");
    }
    if (!fs::exists("/sys/class/net/sbt0/operstate") || fs::exists("/sys/class/net/sbt2")) {
      finish(kExitFailed, "/sys/class/net does not show the namespace's devices");
    }
    std::string tmpl = (fs::temp_directory_path() / "sbcmon-link-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) finish(kExitFailed, errno_text("mkdtemp"));
    net.dir = tmpl;
    net.watch = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    sockaddr_nl addr{};
    addr.nl_family = AF_NETLINK;
    addr.nl_groups = RTMGRP_LINK;
    if (net.watch < 0 ||
        ::bind(net.watch, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
      finish(kExitFailed, errno_text("the test's own netlink socket"));
    }
    if (netlink == Netlink::kRefused) {
      const std::string why = refuse_netlink_sockets();
      if (!why.empty()) finish(kExitFailed, why);
    }
    const std::string failed = body(net);
    finish(failed.empty() ? 0 : kExitFailed, failed);
  }
  ::close(p[1]);
  std::string note;
  char buf[512];
  ssize_t n;
  while ((n = ::read(p[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) note.append(buf, static_cast<std::size_t>(n));
  }
  ::close(p[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status))
    return {Outcome::kFailed, "the child died: signal " + std::to_string(WTERMSIG(status))};
  switch (WEXITSTATUS(status)) {
    case 0:
      return {Outcome::kPassed, note};
    case kExitUnsupported:
      return {Outcome::kUnsupported, note};
    default:
      return {Outcome::kFailed, note};
  }
}

#define EXPECT_PASSED_IN_OWN_NETWORK(outcome)                          \
  do {                                                                 \
    const Outcome o_ = (outcome);                                      \
    if (o_.kind == Outcome::kUnsupported) SKIP_OR_FAIL_IN_CI(o_.note); \
    if (o_.kind != Outcome::kPassed) ADD_FAILURE() << o_.note;         \
  } while (0)

// Sets or clears IFF_UP through an AF_INET socket's ioctl: allowed under the filter too.
std::string set_up(const char* ifname, bool up) {
  const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ifreq r{};
  std::strncpy(r.ifr_name, ifname, IFNAMSIZ - 1);
  std::string failed;
  if (s < 0 || ::ioctl(s, SIOCGIFFLAGS, &r) != 0) {
    failed = errno_text("SIOCGIFFLAGS");
  } else {
    r.ifr_flags = static_cast<short>(up ? (r.ifr_flags | IFF_UP) : (r.ifr_flags & ~IFF_UP));
    if (::ioctl(s, SIOCSIFFLAGS, &r) != 0) failed = errno_text("SIOCSIFFLAGS");
  }
  if (s >= 0) ::close(s);
  return failed;
}

// Changes the MTU: the kernel announces it (RTM_NEWLINK) and neither file changes.
std::string set_mtu(const char* ifname, int mtu) {
  const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ifreq r{};
  std::strncpy(r.ifr_name, ifname, IFNAMSIZ - 1);
  r.ifr_mtu = mtu;
  std::string failed;
  if (s < 0 || ::ioctl(s, SIOCSIFMTU, &r) != 0) failed = errno_text("SIOCSIFMTU");
  if (s >= 0) ::close(s);
  return failed;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
    s.pop_back();
  return s;
}

// Takes what the test's socket has queued; true when any of it was about a link.
bool drain(const Net& net) {
  alignas(nlmsghdr) char buf[16384];
  bool any = false;
  ssize_t n;
  while ((n = ::recv(net.watch, buf, sizeof buf, MSG_DONTWAIT)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return any || errno == ENOBUFS;
    any = any || link_change_in(buf, static_cast<std::size_t>(n));
  }
  return any;
}

// Waits (on the kernel's announcements, at most 5 s) until `path` reads `want`: an
// operstate follows a carrier change only once the kernel's linkwatch has run.
std::string wait_for_file(const Net& net, const std::string& path, const std::string& want) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    drain(net);
    if (read_text(path) == want) return {};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return path + " never read \"" + want + "\" (it reads \"" + read_text(path) + "\")";
    pollfd pfd{net.watch, POLLIN, 0};
    ::poll(&pfd, 1, static_cast<int>(left.count()));
  }
}

// Puts a regular file holding `text` over sysfs file `path` (in the child's own mount
// namespace), so the test can change what the file says without the kernel announcing it.
// Returns the file to rewrite; "" when that failed.
std::string cover(const Net& net, const std::string& path, const std::string& text) {
  const std::string file = net.dir + "/" + fs::path(path).parent_path().filename().string() + "-" +
                           fs::path(path).filename().string();
  std::ofstream(file) << text;
  if (::mount(file.c_str(), path.c_str(), nullptr, MS_BIND, nullptr) != 0) return {};
  return file;
}

// Rewrites `file` in place (same inode, as a sysfs value changes).
void rewrite(const std::string& file, const std::string& text) {
  std::ofstream(file, std::ios::trunc) << text;
}

struct Link {
  bool listed = false;
  OperState oper = OperState::kAbsent;
  float speed = kAbsent;
};

// One tick (real clocks unless `mono_s` is given); interface `name`'s link as shown.
Link tick(Sampler& s, const char* name, std::int64_t mono_s = -1) {
  Sample out;
  if (mono_s < 0) {
    s.sample(out);
  } else {
    s.sample(out, 1764070000000 + mono_s * 1000, mono_s * 1000000000);
  }
  Link l;
  for (std::size_t i = 0; i < s.board().nifaces && i < out.nnet; ++i) {
    if (std::strcmp(s.board().ifaces[i].s, name) != 0) continue;
    l.listed = true;
    l.oper = static_cast<OperState>(out.net_oper[i]);
    l.speed = out.net_speed[i];
  }
  return l;
}

std::string describe(const Link& l) {
  if (!l.listed) return "not listed";
  std::string s = operstate_name(l.oper);
  if (s.empty()) s = "absent";
  return s + (absent(l.speed) ? " without a speed"
                              : " at " + std::to_string(static_cast<int>(l.speed)) + " Mb/s");
}

// "" when `l` shows `oper` (and `speed` Mb/s, or none for NaN), else what it shows at `step`.
std::string expect(const std::string& step, const Link& l, OperState oper, float speed) {
  const bool ok =
      l.listed && l.oper == oper && (absent(speed) ? absent(l.speed) : l.speed == speed);
  if (ok) return {};
  Link want{true, oper, speed};
  return step + ": shows " + describe(l) + ", expected " + describe(want);
}

#define STEP(expr)                 \
  do {                             \
    const std::string f_ = (expr); \
    if (!f_.empty()) return f_;    \
  } while (0)

// Real links, real files: up and down show on the next tick, and the figures stand
// between announcements.
std::string up_and_down(const Net& net) {
  Sampler s;
  STEP(expect("at start", tick(s, "sbt0"), OperState::kDown, kAbsent));
  STEP(set_up("sbt1", true));
  STEP(set_up("sbt0", true));
  STEP(wait_for_file(net, "/sys/class/net/sbt0/operstate", "up"));
  STEP(expect("the tick after it came up", tick(s, "sbt0"), OperState::kUp, 10000.0f));
  for (int i = 0; i < 3; ++i)
    STEP(expect("a quiet tick", tick(s, "sbt0"), OperState::kUp, 10000.0f));
  STEP(set_up("sbt0", false));  // down at once, and announced at once
  STEP(expect("the tick after it went down", tick(s, "sbt0"), OperState::kDown, kAbsent));
  STEP(expect("a quiet tick", tick(s, "sbt0"), OperState::kDown, kAbsent));
  return {};
}

TEST(SamplerLinkEvents, ALinkGoingUpOrDownShowsOnTheNextTick) {
  EXPECT_PASSED_IN_OWN_NETWORK(in_own_network(Netlink::kAllowed, up_and_down));
}

TEST(SamplerLinkEvents, WithoutNetlinkALinkGoingUpOrDownStillShowsOnTheNextTick) {
  EXPECT_PASSED_IN_OWN_NETWORK(in_own_network(Netlink::kRefused, up_and_down));
}

// The files are covered by ones the test rewrites without the kernel knowing: with
// netlink a quiet tick must not read them (that is the point: no sysfs reads between
// changes), and the next announcement must.
std::string quiet_ticks(const Net& net, Netlink netlink) {
  const std::string oper = cover(net, "/sys/class/net/sbt0/operstate", "up\n");
  const std::string speed = cover(net, "/sys/class/net/sbt0/speed", "1000\n");
  if (oper.empty() || speed.empty()) return errno_text("bind-mounting over the link files");
  Sampler s;
  STEP(expect("at start", tick(s, "sbt0"), OperState::kUp, 1000.0f));
  drain(net);
  rewrite(oper, "dormant\n");
  rewrite(speed, "2500\n");
  if (netlink == Netlink::kRefused) {
    STEP(expect("without netlink, the next tick", tick(s, "sbt0"), OperState::kDormant, 2500.0f));
    return {};
  }
  for (int i = 0; i < 5; ++i)
    STEP(expect("a quiet tick", tick(s, "sbt0"), OperState::kUp, 1000.0f));
  if (drain(net))
    return "the kernel announced a link change during the quiet ticks; nothing should have";
  STEP(set_mtu("sbt0", 1400));
  STEP(expect("the tick after an announcement", tick(s, "sbt0"), OperState::kDormant, 2500.0f));
  return {};
}

TEST(SamplerLinkEvents, QuietTicksDoNotReadTheLinkFiles) {
  EXPECT_PASSED_IN_OWN_NETWORK(in_own_network(
      Netlink::kAllowed, [](const Net& net) { return quiet_ticks(net, Netlink::kAllowed); }));
}

TEST(SamplerLinkEvents, WithoutNetlinkTheLinkFilesAreReadEveryTick) {
  EXPECT_PASSED_IN_OWN_NETWORK(in_own_network(
      Netlink::kRefused, [](const Net& net) { return quiet_ticks(net, Netlink::kRefused); }));
}

TEST(SamplerLinkEvents, ALinkWithoutASpeedIsAskedAgainOnlyAfterAnAnnouncement) {
  EXPECT_PASSED_IN_OWN_NETWORK(in_own_network(Netlink::kAllowed, [](const Net& net) -> std::string {
    const std::string oper = cover(net, "/sys/class/net/sbt1/operstate", "up\n");
    const std::string speed = cover(net, "/sys/class/net/sbt1/speed", "-1\n");  // up, no speed yet
    if (oper.empty() || speed.empty()) return errno_text("bind-mounting over the link files");
    Sampler s;
    for (int i = 0; i < 40; ++i)
      STEP(expect("no speed yet", tick(s, "sbt1"), OperState::kUp, kAbsent));
    rewrite(speed, "100\n");
    // Without netlink it would show within 16 ticks; with it, nothing says to look.
    for (int i = 0; i < 40; ++i)
      STEP(expect("no announcement", tick(s, "sbt1"), OperState::kUp, kAbsent));
    if (drain(net))
      return "the kernel announced a link change during the quiet ticks; nothing should have";
    STEP(set_mtu("sbt1", 1400));
    int waited = 0;
    while (absent(tick(s, "sbt1").speed) && waited < 100)
      ++waited;
    if (waited > 16)
      return "after an announcement the speed took " + std::to_string(waited) +
             " ticks (at most 16)";
    STEP(expect("after that", tick(s, "sbt1"), OperState::kUp, 100.0f));
    return {};
  }));
}

// A device removed and created again (a USB NIC replugged) while other links announced
// changes, so the tries to read its files backed off: it shows again, with its speed,
// within KeptFile's back-off. Gone for 16, 32 and 48 ticks: the lengths at which the
// speed file's back-off runs past the tick the operstate file answers again.
TEST(SamplerLinkEvents, AnInterfaceRemovedAndAddedAgainShowsItsLinkAgain) {
  EXPECT_PASSED_IN_OWN_NETWORK(in_own_network(Netlink::kAllowed, [](const Net& net) -> std::string {
    if (std::system("ip link add sbt2 type veth peer name sbt3") != 0) return "ip link add sbt2";
    Sampler s;
    STEP(expect("at start", tick(s, "sbt0"), OperState::kDown, kAbsent));
    int mtu = 1300;
    for (int gone : {16, 32, 48}) {
      const std::string round = "gone " + std::to_string(gone) + " ticks: ";
      if (std::system("ip link del sbt0") != 0) return round + "ip link del sbt0";
      for (int i = 0; i < gone; ++i) {
        STEP(set_mtu("sbt2", ++mtu));  // another link's news: sbt0's files are tried again
        STEP(expect(round + "while gone", tick(s, "sbt0"), OperState::kAbsent, kAbsent));
      }
      if (std::system("ip link add sbt0 type veth peer name sbt1") != 0)
        return round + "ip link add sbt0";
      STEP(set_up("sbt1", true));
      STEP(set_up("sbt0", true));
      STEP(wait_for_file(net, "/sys/class/net/sbt0/operstate", "up"));
      int waited = 0;
      Link l;
      while ((l = tick(s, "sbt0")).oper != OperState::kUp && waited < 100)
        ++waited;
      if (waited > 16)
        return round + "back after " + std::to_string(waited) + " ticks (at most 16)";
      STEP(expect(round + "back", l, OperState::kUp, 10000.0f));
      STEP(expect(round + "a quiet tick", tick(s, "sbt0"), OperState::kUp, 10000.0f));
    }
    return {};
  }));
}

// A full table gives a gone interface's slot to a new one a minute later, on a tick
// without an announcement (those came ticks before): the slot shows the new link.
TEST(SamplerLinkEvents, ASlotGivenToANewInterfaceShowsItsLink) {
  EXPECT_PASSED_IN_OWN_NETWORK(in_own_network(Netlink::kAllowed, [](const Net& net) -> std::string {
    static_assert(kMaxIfaces == 8, "four veth pairs fill the table");
    for (const char* pair : {"sbt2 type veth peer name sbt3", "sbt4 type veth peer name sbt5",
                             "sbt6 type veth peer name sbt7"}) {
      if (std::system(("ip link add " + std::string(pair)).c_str()) != 0)
        return std::string("ip link add ") + pair;
    }
    Sampler s;
    tick(s, "sbt0", 1);
    if (s.board().nifaces != 8)
      return "expected 8 interfaces, got " + std::to_string(s.board().nifaces);
    if (std::system("ip link del sbt6") != 0) return "ip link del sbt6";
    tick(s, "sbt0", 2);
    if (std::system("ip link add sbt8 type veth peer name sbt9") != 0) return "ip link add sbt8";
    STEP(set_up("sbt9", true));
    STEP(set_up("sbt8", true));
    STEP(wait_for_file(net, "/sys/class/net/sbt8/operstate", "up"));
    STEP(wait_for_file(net, "/sys/class/net/sbt9/operstate", "up"));
    if (tick(s, "sbt8", 3).listed) return "sbt8 took a slot gone for less than a minute";
    STEP(expect("its slot, a minute on", tick(s, "sbt8", 63), OperState::kUp, 10000.0f));
    STEP(expect("its peer's slot", tick(s, "sbt9", 64), OperState::kUp, 10000.0f));
    if (s.board().nifaces != 8) return "the table grew to " + std::to_string(s.board().nifaces);
    return {};
  }));
}

// A burst larger than the socket's queue (the kernel drops, recv says ENOBUFS) is still
// a change, and the socket goes quiet once read: a bounded number of reads per call.
TEST(LinkEvents, AnOverflowedQueueIsReportedThenGoesQuiet) {
  EXPECT_PASSED_IN_OWN_NETWORK(in_own_network(Netlink::kAllowed, [](const Net&) -> std::string {
    LinkEvents e;
    if (!e.open()) return errno_text("LinkEvents::open");
    alignas(nlmsghdr) static char buf[65536];
    if (e.changed(buf, sizeof buf)) return "a change reported before any";
    for (int i = 0; i < 2000; ++i)
      STEP(set_mtu("sbt0", 1300 + i % 100));
    int calls = 1;
    if (!e.changed(buf, sizeof buf)) return "2000 announcements not reported";
    while (e.changed(buf, sizeof buf) && calls < 1000)
      ++calls;
    if (calls > 2000 / LinkEvents::kMaxReads + 2)
      return "took " + std::to_string(calls) + " calls to drain";
    if (e.changed(buf, sizeof buf)) return "still reporting a change once drained";
    return {};
  }));
}

}  // namespace
