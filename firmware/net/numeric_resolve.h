// getaddrinfo/getnameinfo for numeric addresses only, with glibc's signatures. The static
// firmware links them in place of glibc's (-Wl,--wrap, net/lws_static.cpp): glibc's pull
// its resolver and name-service switch (~80 KB) into a binary that cannot load NSS
// modules anyway, and libwebsockets only ever hands them numeric addresses.
#pragma once

#include <netdb.h>
#include <sys/socket.h>

namespace sbcmon::net {

// getaddrinfo(3) for a numeric `node` ("192.0.2.1", "2001:db8::1", "fe80::1%eth0"; NULL:
// the wildcard with AI_PASSIVE, loopback without) and a numeric `service` (or NULL: port
// 0). One result per address family (AF_UNSPEC and NULL node: IPv6, then IPv4), with the
// hinted socket type (0: SOCK_STREAM). A host name: EAI_NONAME; a service name: EAI_SERVICE;
// unsupported family: EAI_FAMILY; out of memory: EAI_MEMORY. Free with numeric_freeaddrinfo.
int numeric_getaddrinfo(const char* node, const char* service, const addrinfo* hints,
                        addrinfo** res);

// freeaddrinfo(3) for a numeric_getaddrinfo result (NULL is fine).
void numeric_freeaddrinfo(addrinfo* res);

// getnameinfo(3) that always answers numerically (as glibc does when a reverse lookup
// fails): the address with inet_ntop (a link-local IPv6 scope as "%ifname", others "%index"), the
// port in decimal. NI_NAMEREQD: EAI_NONAME; a buffer too small: EAI_OVERFLOW; a family other than
// AF_INET/AF_INET6 or a short `salen`: EAI_FAMILY.
int numeric_getnameinfo(const sockaddr* sa, socklen_t salen, char* host, socklen_t hostlen,
                        char* serv, socklen_t servlen, int flags);

}  // namespace sbcmon::net
