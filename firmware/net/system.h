// Process-level steps of serving, apart from the lws glue.
#pragma once

#include <string>

namespace sbcmon::net {

// Binds `bind`:`port` once and lets go, only to turn "port in use" and "no such
// address" into a clear one-line `error` before lws binds it. "" = every address.
bool probe_bind(const std::string& bind, int port, std::string& error);

// Drops root privileges to `user` (after the port is bound). "" = stay. False
// with `error` (no such user, not root, or root could be regained).
bool drop_privileges(const std::string& user, std::string& error);

}  // namespace sbcmon::net
