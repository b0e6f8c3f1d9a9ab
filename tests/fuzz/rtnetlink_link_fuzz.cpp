// libFuzzer entry point: link_change_in, the walk over the netlink messages of one
// RTMGRP_LINK datagram. It may not crash or read past the bytes given (they are copied
// to a buffer of exactly that size, so ASan sees any over-read), and a datagram that
// starts with a whole RTM_NEWLINK/RTM_DELLINK message always counts as a change.
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "sampler/link_events.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // operator new's memory is aligned for nlmsghdr, and ends where the input does.
  const std::vector<char> bytes(data, data + size);
  const bool changed = sbcmon::sampler::link_change_in(bytes.data(), size);
  if (size >= sizeof(nlmsghdr)) {
    nlmsghdr h;
    std::memcpy(&h, bytes.data(), sizeof h);
    const bool link = h.nlmsg_type == RTM_NEWLINK || h.nlmsg_type == RTM_DELLINK;
    if (link && h.nlmsg_len >= sizeof(nlmsghdr) && h.nlmsg_len <= size && !changed)
      __builtin_trap();
  }
  return 0;
}
