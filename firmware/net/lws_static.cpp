// Static firmware only: libwebsockets' unix-caps.c would switch lws's own user and group
// (info.uid/gid/username/groupname) through getpwnam/getgrgid/initgroups, and with them
// link glibc's whole name-service switch and resolver into a static binary that cannot
// load NSS modules anyway. sbcmon never hands lws a user (it drops privileges itself in
// net/system.cpp, from /etc/passwd), so these two take their place and change nothing,
// as lws's own platforms without users do.
//
// Likewise glibc's getaddrinfo/getnameinfo: libwebsockets calls them (the IPv6 scope of
// --bind, its unused reverse lookup of a peer, mbedTLS's unused client connect), and each
// brings the resolver and the NSS. The link wraps them (-Wl,--wrap=..., app/CMakeLists.txt)
// so every call lands in the numeric-only versions of net/numeric_resolve.h: --bind takes
// an IP address or an interface name, never a host name, on the firmware build.
#include <sys/types.h>

#include "net/numeric_resolve.h"

struct lws_context;

extern "C" {

int lws_plat_drop_app_privileges(struct lws_context* /*context*/, int /*actually_drop*/) {
  return 0;
}

// "user:group" to ids, for unix-socket ownership: sbcmon serves no unix socket.
int lws_plat_user_colon_group_to_ids(const char* /*u_colon_g*/, uid_t* /*puid*/, gid_t* /*pgid*/) {
  return 1;
}

// NOLINTBEGIN(readability-identifier-naming): the names the linker's --wrap looks for.
int __wrap_getaddrinfo(const char* node, const char* service, const addrinfo* hints,
                       addrinfo** res) {
  return sbcmon::net::numeric_getaddrinfo(node, service, hints, res);
}

void __wrap_freeaddrinfo(addrinfo* res) {
  sbcmon::net::numeric_freeaddrinfo(res);
}

int __wrap_getnameinfo(const sockaddr* sa, socklen_t salen, char* host, socklen_t hostlen,
                       char* serv, socklen_t servlen, int flags) {
  return sbcmon::net::numeric_getnameinfo(sa, salen, host, hostlen, serv, servlen, flags);
}
// NOLINTEND(readability-identifier-naming)

}  // extern "C"
