// Static firmware only: libwebsockets' unix-caps.c would switch lws's own user and group
// (info.uid/gid/username/groupname) through getpwnam/getgrgid/initgroups, and with them
// link glibc's whole name-service switch and resolver into a static binary that cannot
// load NSS modules anyway. sbcmon never hands lws a user (it drops privileges itself in
// net/system.cpp, from /etc/passwd), so these two take their place and change nothing,
// as lws's own platforms without users do.
#include <sys/types.h>

struct lws_context;

extern "C" {

int lws_plat_drop_app_privileges(struct lws_context* /*context*/, int /*actually_drop*/) { return 0; }

// "user:group" to ids, for unix-socket ownership: sbcmon serves no unix socket.
int lws_plat_user_colon_group_to_ids(const char* /*u_colon_g*/, uid_t* /*puid*/, gid_t* /*pgid*/) {
  return 1;
}

}  // extern "C"
