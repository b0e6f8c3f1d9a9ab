// Process-level steps of serving: checking the listen address before lws binds
// it, and dropping root afterwards. No libwebsockets.
#include "net/system.h"

#include <arpa/inet.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

namespace sbcmon::net {

namespace {

struct Account {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
};

#if defined(SBCMON_STATIC_BUILD)
// The static firmware reads /etc/passwd and /etc/group as plain files: glibc's
// getpwnam/initgroups would link the whole name-service switch (~120 KB) into a binary
// that could not load its NSS modules anyway.
bool find_account(const std::string& user, Account& out) {
  std::FILE* f = std::fopen("/etc/passwd", "re");
  if (f == nullptr) return false;
  bool found = false;
  while (const passwd* pw = fgetpwent(f)) {
    if (user == pw->pw_name) {
      out = {pw->pw_name, pw->pw_uid, pw->pw_gid};
      found = true;
      break;
    }
  }
  std::fclose(f);
  return found;
}

// The primary group and every /etc/group entry that lists the user (bounded).
int set_groups(const Account& a) {
  std::vector<gid_t> groups{a.gid};
  if (std::FILE* f = std::fopen("/etc/group", "re")) {
    while (const group* gr = fgetgrent(f)) {
      for (char** m = gr->gr_mem; m != nullptr && *m != nullptr; ++m) {
        if (a.name == *m && gr->gr_gid != a.gid && groups.size() < 256) groups.push_back(gr->gr_gid);
      }
    }
    std::fclose(f);
  }
  return setgroups(groups.size(), groups.data());
}
#else
bool find_account(const std::string& user, Account& out) {
  const passwd* pw = getpwnam(user.c_str());
  if (pw == nullptr) return false;
  out = {pw->pw_name, pw->pw_uid, pw->pw_gid};
  return true;
}

int set_groups(const Account& a) { return initgroups(a.name.c_str(), a.gid); }
#endif

}  // namespace

// Binds the address ourselves first, only to turn "port in use" and "no such
// address" into a clear message; lws binds again right after.
bool probe_bind(const std::string& bind, int port, std::string& error) {
  sockaddr_storage ss{};
  socklen_t slen = 0;
  int family = AF_INET6;
  if (bind.empty() || bind.find(':') != std::string::npos) {
    auto* a6 = reinterpret_cast<sockaddr_in6*>(&ss);
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(static_cast<std::uint16_t>(port));
    a6->sin6_addr = in6addr_any;
    if (!bind.empty() && inet_pton(AF_INET6, bind.c_str(), &a6->sin6_addr) != 1) {
      error = "--bind " + bind + ": not an IPv4 or IPv6 address";
      return false;
    }
    slen = sizeof(sockaddr_in6);
  } else {
    family = AF_INET;
    auto* a4 = reinterpret_cast<sockaddr_in*>(&ss);
    a4->sin_family = AF_INET;
    a4->sin_port = htons(static_cast<std::uint16_t>(port));
    if (inet_pton(AF_INET, bind.c_str(), &a4->sin_addr) != 1) {
      error = "--bind " + bind + ": not an IPv4 or IPv6 address";
      return false;
    }
    slen = sizeof(sockaddr_in);
  }
  const int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    if (family == AF_INET6 && bind.empty()) return true;  // no IPv6 here: let lws decide
    error = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  const int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&ss), slen);
  const int err = errno;
  ::close(fd);
  if (rc == 0) return true;
  if (err == EADDRINUSE) {
    error = "port " + std::to_string(port) + " is already in use (is another sbcmon running? try --port)";
  } else if (err == EADDRNOTAVAIL) {
    error = "--bind " + bind + ": this machine has no such address";
  } else if (err == EACCES) {
    error = "port " + std::to_string(port) + ": permission denied (ports below 1024 need privileges)";
  } else {
    error = "cannot listen on port " + std::to_string(port) + ": " + std::strerror(err);
  }
  return false;
}

bool drop_privileges(const std::string& user, std::string& error) {
  if (user.empty()) return true;
  errno = 0;
  Account pw;
  if (!find_account(user, pw)) {
    error = "--user " + user + ": no such user";
    return false;
  }
  if (getuid() != 0 && geteuid() != 0) {
    if (geteuid() == pw.uid) return true;
    error = "--user " + user + ": only root can switch users";
    return false;
  }
  // Groups first: once the uid changes we no longer may change them.
  if (set_groups(pw) != 0 || setgid(pw.gid) != 0 || setuid(pw.uid) != 0) {
    error = "--user " + user + ": " + std::strerror(errno);
    return false;
  }
  if (setuid(0) == 0) {
    error = "--user " + user + ": root privileges could be regained; refusing to run";
    return false;
  }
  return true;
}

}  // namespace sbcmon::net
