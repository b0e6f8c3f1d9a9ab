// One rtnetlink socket in the RTMGRP_LINK group, drained once a tick. A link going up or
// down, a rename, a new or removed device and a bond's speed change all come as
// RTM_NEWLINK/RTM_DELLINK, so a quiet socket means the link files say what they said.
#include "sampler/link_events.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

namespace sbcmon::sampler {

bool link_change_in(const void* data, std::size_t len) {
  // The NLMSG_* macros count in int; a datagram is never near INT_MAX, so clamp rather
  // than let a huge length wrap negative.
  int left = len > INT_MAX ? INT_MAX : static_cast<int>(len);
  for (auto* h = static_cast<const nlmsghdr*>(data); NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
    if (h->nlmsg_type == RTM_NEWLINK || h->nlmsg_type == RTM_DELLINK ||
        h->nlmsg_type == NLMSG_OVERRUN) {
      return true;
    }
  }
  // A last message without its alignment padding leaves `left` below zero; bytes left over
  // that are not a whole message mean the datagram was cut or damaged.
  return left > 0;
}

LinkEvents::~LinkEvents() {
  if (fd_ >= 0) ::close(fd_);
}

bool LinkEvents::open() {
  if (fd_ >= 0) return true;
  const int fd = ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return false;
  sockaddr_nl addr{};
  addr.nl_family = AF_NETLINK;
  addr.nl_groups = RTMGRP_LINK;
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return false;
  }
  fd_ = fd;
  return true;
}

bool LinkEvents::changed(char* buf, std::size_t cap) {
  if (fd_ < 0) return true;
  bool any = false;
  for (int i = 0; i < kMaxReads; ++i) {
    // MSG_TRUNC: the datagram's whole length even when longer than cap, so a cut one is seen.
    const ssize_t n = ::recv(fd_, buf, cap, MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return any;
      if (errno == EINTR) continue;
      // ENOBUFS: the queue overflowed and notices were dropped; anything else leaves us
      // unsure too. Both mean "read the files"; the socket itself stays usable.
      any = true;
      if (errno != ENOBUFS) return true;
      continue;
    }
    const std::size_t got = static_cast<std::size_t>(n);
    if (got > cap || link_change_in(buf, got)) any = true;
  }
  return true;  // more may be queued: whatever it is, the next call reports it as well
}

}  // namespace sbcmon::sampler
