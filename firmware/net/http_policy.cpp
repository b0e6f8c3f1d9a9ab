// Request policy (see http_policy.h): pure string work over views, no allocation
// except in the callers' vectors.
#include "net/http_policy.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace sbcmon::net {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool iends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && iequal(s.substr(s.size() - suffix.size()), suffix);
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Host header characters: a DNS name, an IPv4 literal, or a bracketed IPv6 one.
bool plausible_host(std::string_view s) {
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_' || c == ':' || c == '[' || c == ']';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string_view host_name_of(std::string_view host) {
  if (host.empty() || !plausible_host(host)) return {};
  if (host.front() == '[') {
    const auto close = host.find(']');
    if (close == std::string_view::npos) return {};
    const std::string_view rest = host.substr(close + 1);
    if (!rest.empty() && (rest.front() != ':' || !all_digits(rest.substr(1)))) return {};
    return host.substr(1, close - 1);
  }
  const auto colon = host.find(':');
  if (colon == std::string_view::npos) return host;
  if (host.find(':', colon + 1) != std::string_view::npos) return {};  // bare IPv6 is not a Host
  if (!all_digits(host.substr(colon + 1))) return {};
  return host.substr(0, colon);
}

bool is_ip_literal(std::string_view name) {
  if (name.empty() || name.size() >= 64) return false;
  char buf[64];
  std::memcpy(buf, name.data(), name.size());
  buf[name.size()] = '\0';
  unsigned char out[16];
  return inet_pton(AF_INET, buf, out) == 1 || inet_pton(AF_INET6, buf, out) == 1;
}

bool host_allowed(std::string_view host_header, std::string_view hostname,
                  const std::vector<std::string>& allow_hosts) {
  std::string_view name = host_name_of(host_header);
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);  // "board." is "board"
  if (name.empty()) return false;
  if (is_ip_literal(name)) return true;
  if (iequal(name, "localhost") || iends_with(name, ".localhost")) return true;
  if (!hostname.empty()) {
    if (iequal(name, hostname)) return true;
    if (name.size() == hostname.size() + 6 && iequal(name.substr(0, hostname.size()), hostname) &&
        iends_with(name, ".local")) {
      return true;
    }
  }
  for (const std::string& allowed : allow_hosts) {
    if (allowed == "*") return true;
    if (!allowed.empty() && allowed.front() == '.') {
      // ".example.com": the domain itself and every name under it.
      if (iequal(name, std::string_view(allowed).substr(1)) || iends_with(name, allowed)) return true;
    } else if (iequal(name, allowed)) {
      return true;
    }
  }
  return false;
}

bool same_origin(std::string_view origin, std::string_view host_header, bool tls) {
  const auto scheme_end = origin.find("://");
  if (scheme_end == std::string_view::npos || host_header.empty()) return false;
  if (!iequal(origin.substr(0, scheme_end), tls ? "https" : "http")) return false;
  return iequal(origin.substr(scheme_end + 3), host_header);
}

std::optional<std::string_view> bearer_credentials(std::string_view h) {
  constexpr std::string_view kScheme = "bearer";
  if (h.size() <= kScheme.size() + 1 || !iequal(h.substr(0, kScheme.size()), kScheme) ||
      h[kScheme.size()] != ' ') {
    return std::nullopt;
  }
  std::string_view creds = h.substr(kScheme.size() + 1);
  while (!creds.empty() && creds.front() == ' ') creds.remove_prefix(1);
  while (!creds.empty() && creds.back() == ' ') creds.remove_suffix(1);
  if (creds.empty()) return std::nullopt;
  return creds;
}

bool LogLimiter::allow(std::uint64_t now_ms, std::uint64_t& suppressed) {
  suppressed = 0;
  if (!started_ || now_ms - window_start_ms_ >= window_ms_) {
    started_ = true;
    window_start_ms_ = now_ms;
    in_window_ = 0;
  }
  if (in_window_ >= burst_) {
    ++dropped_;
    return false;
  }
  ++in_window_;
  suppressed = dropped_;
  dropped_ = 0;
  return true;
}

AddressTable::Entry* AddressTable::find(std::string_view addr) {
  for (Entry& e : entries_) {
    if (e.used && std::string_view(e.addr.data()) == addr.substr(0, kAddrLen - 1)) return &e;
  }
  return nullptr;
}

const AddressTable::Entry* AddressTable::find(std::string_view addr) const {
  return const_cast<AddressTable*>(this)->find(addr);
}

AddressTable::Entry& AddressTable::slot(std::string_view addr, std::uint64_t now_ms) {
  Entry* e = find(addr);
  if (e == nullptr) {
    e = &entries_[0];
    for (Entry& c : entries_) {
      if (!c.used) {
        e = &c;
        break;
      }
      if (c.last_ms < e->last_ms) e = &c;
    }
    *e = Entry{};
    e->used = true;
    const std::size_t n = std::min(addr.size(), kAddrLen - 1);
    std::memcpy(e->addr.data(), addr.data(), n);
  }
  e->last_ms = now_ms;
  return *e;
}

bool AddressTable::handshake_allowed(std::string_view addr, std::uint64_t now_ms, std::uint32_t per_s) {
  Entry& e = slot(addr, now_ms);
  if (now_ms < e.blocked_until_ms) return false;
  if (per_s == 0) return true;
  if (now_ms - e.window_start_ms >= 1000) {
    e.window_start_ms = now_ms;
    e.handshakes = 0;
  }
  return ++e.handshakes <= per_s;
}

void AddressTable::auth_failed(std::string_view addr, std::uint64_t now_ms) {
  Entry& e = slot(addr, now_ms);
  if (e.failures > 0 && now_ms - e.last_failure_ms >= kForgetMs) e.failures = 0;
  e.last_failure_ms = now_ms;
  ++e.failures;
  if (e.failures < kFreeFailures) return;
  const std::uint32_t steps = std::min<std::uint32_t>(e.failures - kFreeFailures, 16);
  const std::uint64_t wait = std::min<std::uint64_t>(1000ull << steps, kMaxBackoffMs);
  e.blocked_until_ms = now_ms + wait;
}

bool AddressTable::backing_off(std::string_view addr, std::uint64_t now_ms) const {
  const Entry* e = find(addr);
  return e != nullptr && now_ms < e->blocked_until_ms;
}

void AddressTable::auth_succeeded(std::string_view addr) {
  if (Entry* e = find(addr)) {
    e->failures = 0;
    e->blocked_until_ms = 0;
  }
}

std::string page_csp(const std::vector<std::string>& connect_origins) {
  std::string connect = "connect-src 'self'";
  for (const std::string& o : connect_origins) {
    const bool tls = o.rfind("https://", 0) == 0;
    if (!tls && o.rfind("http://", 0) != 0) continue;
    const std::string rest = o.substr(tls ? 8 : 7);
    connect += " " + o + (tls ? " wss://" : " ws://") + rest;
  }
  return "default-src 'self'; " + connect +
         "; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; "
         "base-uri 'none'; form-action 'none'";
}

}  // namespace sbcmon::net
