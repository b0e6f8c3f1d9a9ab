// The kernel's link-change notices (rtnetlink, RTMGRP_LINK), so the sampler reads
// /sys/class/net/<if>/operstate and speed only on the ticks after something changed.
#pragma once

#include <cstddef>

namespace sbcmon::sampler {

// Whether one datagram of an RTMGRP_LINK socket tells of a link change: true when it holds
// an RTM_NEWLINK, RTM_DELLINK or NLMSG_OVERRUN message, or bytes that are not whole
// netlink messages (a truncated or damaged datagram may have hidden one). `data` is
// aligned as for struct nlmsghdr.
bool link_change_in(const void* data, std::size_t len);

class LinkEvents {
 public:
  // Not watching until open() succeeds: changed() then answers true every time.
  LinkEvents() = default;
  ~LinkEvents();
  LinkEvents(const LinkEvents&) = delete;
  LinkEvents& operator=(const LinkEvents&) = delete;

  // Opens a non-blocking NETLINK_ROUTE socket joined to RTMGRP_LINK. False, and nothing
  // printed, when that is refused (seccomp, RestrictAddressFamilies, an old kernel):
  // a sandbox without AF_NETLINK is a supported setup, not an error.
  bool open();

  // True while the socket is open.
  bool watching() const { return fd_ >= 0; }

  // Drains what the kernel queued since the last call, at most kMaxReads datagrams into
  // `buf` (cap bytes; never blocks, never allocates). True when any told of a link change,
  // when notices were lost (the queue overflowed: ENOBUFS) or could not be read, and
  // always when not watching; false only when the links are known to be as they were.
  bool changed(char* buf, std::size_t cap);

  // A burst longer than this is left queued for the next call, which reports it then.
  static constexpr int kMaxReads = 64;

 private:
  int fd_ = -1;
};

}  // namespace sbcmon::sampler
