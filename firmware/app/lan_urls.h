// The URLs a person on the LAN can open, printed once at start.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace sbcmon::app {

// One local address: its family (4 or 6) and its numeric text form.
struct LocalAddress {
  int family = 4;
  std::string text;
};

// The URLs for a server on `port` listening on `bind` ("" = every address, IPv4 and IPv6;
// "0.0.0.0" = every IPv4 address; "::" = every address; else that one address):
// http(s)://<host>.local:PORT/ when listening on every address and `hostname` is a plain
// name, then one URL per non-loopback, non-link-local address it listens on (IPv6 in
// brackets). Loopback-only binds give no URL. Pure: no system calls.
std::vector<std::string> lan_urls(const std::string& hostname, const std::string& bind, int port,
                                  bool tls, const std::vector<LocalAddress>& addresses);

// This machine's interface addresses (getifaddrs); empty when it fails.
std::vector<LocalAddress> local_addresses();

// Prints lan_urls() for this machine (gethostname, getifaddrs) to `out`, one per line.
void print_lan_urls(std::FILE* out, const std::string& bind, int port, bool tls);

}  // namespace sbcmon::app
