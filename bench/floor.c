/* The floor for `make bench`: the least a libwebsockets server can do for the bench's
 * clients. One lws context, one protocol; it answers the Engine.IO open and the
 * Socket.IO namespace connect just enough for bench/loadgen.mjs, then writes one
 * websocket message per period to every client: 42["sample",{"t":<wall ms>,"pad":"..."}]
 * padded to the size of sbcmon's sample. No pings, no polling, no page: what is left
 * is lws's own cost (poll loop, timers, writes, memory), which sbcmon is compared with.
 * With SBCMON_BENCH_LATENCY=<file> it records, as sbcmon does (firmware/net/latency.h),
 * each tick's time to its first and last sample handed to the kernel, written at exit.
 * Given READs, each tick first makes those kernel reads, as a monitor must before it has
 * anything to send: the bench passes the ones sbcmon made (traced), so "floor + reads" is
 * the least a server can cost that shows the same figures, however it parses them.
 *   usage: floor PORT PERIOD_MS MESSAGE_BYTES MAX_CLIENTS [READ...]   (binds 127.0.0.1)
 *   READ: [statfs:|poll:]PATH[@N]  pread PATH from offset 0 (opened once), statfs(PATH), or
 *         poll PATH's kept fd for POLLPRI with no wait; every N-th tick (default every tick);
 *         or netlink:link[@N]: drain an rtnetlink socket joined to RTMGRP_LINK
 */
#include <libwebsockets.h>

#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/time.h>
#include <unistd.h>

enum { SEND_NONE, SEND_OPEN, SEND_ACK };

struct pss {
  int pending;          /* SEND_OPEN / SEND_ACK not yet written */
  int joined;           /* namespace connected: gets the samples */
  unsigned long sent;   /* last sample generation written */
};

static struct lws_context *ctx;
static lws_sorted_usec_list_t tick_sul;
static lws_usec_t period_us, next_tick;
static unsigned long generation;
static unsigned char msg[LWS_PRE + 65536];
static size_t msg_len, msg_bytes;
static volatile sig_atomic_t stop;

/* Server-side latency, off unless SBCMON_BENCH_LATENCY is set: "wall_ms first_us last_us frames". */
enum { LAT_TICKS = 8192 };
static struct { unsigned long long wall_ms; unsigned first_us, last_us, frames; } lat[LAT_TICKS];
static size_t lat_n;
static const char *lat_path;
static lws_usec_t lat_tick_us;

static void lat_frame(void) {
  if (!lat_path || lat_n == 0 || lat_n > LAT_TICKS) return;
  unsigned us = (unsigned)(lws_now_usecs() - lat_tick_us);
  if (lat[lat_n - 1].frames++ == 0) lat[lat_n - 1].first_us = us;
  lat[lat_n - 1].last_us = us;
}

static void lat_tick(void) {
  if (!lat_path) return;
  if (lat_n > 0 && lat[lat_n - 1].frames == 0) lat_n--; /* a tick nobody was sent: not kept */
  if (lat_n >= LAT_TICKS) { lat_n = LAT_TICKS + 1; return; }
  struct timeval tv;
  gettimeofday(&tv, NULL);
  lat_tick_us = lws_now_usecs();
  lat[lat_n].wall_ms = (unsigned long long)tv.tv_sec * 1000 + (unsigned long long)tv.tv_usec / 1000;
  lat[lat_n].frames = 0;
  lat_n++;
}

static void lat_write(void) {
  if (!lat_path) return;
  FILE *f = fopen(lat_path, "w");
  if (!f) return;
  for (size_t i = 0; i < lat_n && i < LAT_TICKS; i++) {
    if (lat[i].frames) fprintf(f, "%llu %u %u %u\n", lat[i].wall_ms, lat[i].first_us, lat[i].last_us, lat[i].frames);
  }
  fclose(f);
}

/* The kernel reads made at the start of each tick (READ arguments). */
enum { MAX_READS = 64, READ_PREAD, READ_STATFS, READ_POLL, READ_NETLINK };
static struct { int kind, fd; unsigned every; const char *path; } reads[MAX_READS];
static int nreads;
static unsigned long ticks;
static char scratch[65536];

static int netlink_link_socket(void) {
  int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  struct sockaddr_nl a;
  memset(&a, 0, sizeof a);
  a.nl_family = AF_NETLINK;
  a.nl_groups = RTMGRP_LINK;
  if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* Parses one READ argument ([statfs:|poll:|netlink:]PATH[@N]) and opens what it names; 0 or -1. */
static int add_read(char *arg) {
  if (nreads == MAX_READS) return -1;
  int kind = READ_PREAD;
  if (strncmp(arg, "statfs:", 7) == 0) { kind = READ_STATFS; arg += 7; }
  else if (strncmp(arg, "poll:", 5) == 0) { kind = READ_POLL; arg += 5; }
  else if (strncmp(arg, "netlink:", 8) == 0) { kind = READ_NETLINK; arg += 8; }
  unsigned every = 1;
  char *at = strrchr(arg, '@');
  if (at) {
    char *end;
    unsigned long n = strtoul(at + 1, &end, 10);
    if (*end || n == 0 || n > 1000000) return -1;
    every = (unsigned)n;
    *at = '\0';
  }
  int fd = -1;
  if (kind == READ_NETLINK) {
    if (strcmp(arg, "link") != 0 || (fd = netlink_link_socket()) < 0) return -1;
  } else if (kind != READ_STATFS && (fd = open(arg, O_RDONLY | O_CLOEXEC)) < 0) {
    return -1;
  }
  reads[nreads].kind = kind;
  reads[nreads].fd = fd;
  reads[nreads].every = every;
  reads[nreads].path = arg;
  nreads++;
  return 0;
}

static void do_reads(void) {
  for (int i = 0; i < nreads; i++) {
    if (ticks % reads[i].every) continue;
    if (reads[i].kind == READ_PREAD) {
      if (pread(reads[i].fd, scratch, sizeof scratch, 0) < 0) { /* as absent: nothing to do */ }
    } else if (reads[i].kind == READ_STATFS) {
      struct statfs sf;
      statfs(reads[i].path, &sf);
    } else if (reads[i].kind == READ_POLL) {
      struct pollfd p = {reads[i].fd, POLLPRI, 0};
      poll(&p, 1, 0);
    } else {
      for (int k = 0; k < 64 && recv(reads[i].fd, scratch, sizeof scratch, MSG_DONTWAIT | MSG_TRUNC) >= 0; k++) {
      }
    }
  }
  ticks++;
}

static const char OPEN[] =
    "0{\"sid\":\"floorfloorfloorfloor\",\"upgrades\":[],\"pingInterval\":25000,"
    "\"pingTimeout\":20000,\"maxPayload\":1000000}";
static const char ACK[] = "40{\"sid\":\"floorfloorfloorfloor\"}";

static const struct lws_protocols protocols[2];

static void build_message(void) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  long long ms = (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
  char *p = (char *)msg + LWS_PRE;
  int n = snprintf(p, 64, "42[\"sample\",{\"t\":%lld,\"pad\":\"", ms);
  size_t tail = 4; /* "}] */
  size_t len = (size_t)n;
  while (len + tail < msg_bytes) p[len++] = 'x';
  memcpy(p + len, "\"}]", 3);
  msg_len = len + 3;
}

static void on_tick(lws_sorted_usec_list_t *sul) {
  (void)sul;
  lat_tick();
  do_reads();
  generation++;
  build_message();
  lws_callback_on_writable_all_protocol(ctx, &protocols[0]);
  /* The next period from the last deadline, not from now: no drift. */
  next_tick += period_us;
  lws_usec_t now = lws_now_usecs();
  if (next_tick < now) next_tick = now;
  lws_sul_schedule(ctx, 0, &tick_sul, on_tick, next_tick - now);
}

static int write_text(struct lws *wsi, const char *text) {
  unsigned char buf[LWS_PRE + 256];
  size_t n = strlen(text);
  memcpy(buf + LWS_PRE, text, n);
  return lws_write(wsi, buf + LWS_PRE, n, LWS_WRITE_TEXT) < (int)n ? -1 : 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len) {
  struct pss *s = (struct pss *)user;
  switch (reason) {
    case LWS_CALLBACK_HTTP:
      /* GET / answers 200 so the bench sees the server is up. */
      if (lws_return_http_status(wsi, HTTP_STATUS_OK, NULL)) return -1;
      return lws_http_transaction_completed(wsi);
    case LWS_CALLBACK_ESTABLISHED:
      s->pending = SEND_OPEN;
      s->joined = 0;
      s->sent = generation;
      lws_callback_on_writable(wsi);
      break;
    case LWS_CALLBACK_RECEIVE:
      if (len >= 2 && memcmp(in, "40", 2) == 0) {
        s->pending = SEND_ACK;
        lws_callback_on_writable(wsi);
      }
      break;
    case LWS_CALLBACK_SERVER_WRITEABLE:
      if (s->pending == SEND_OPEN) {
        s->pending = SEND_NONE;
        if (write_text(wsi, OPEN)) return -1;
        break;
      }
      if (s->pending == SEND_ACK) {
        s->pending = SEND_NONE;
        s->joined = 1;
        if (write_text(wsi, ACK)) return -1;
        break;
      }
      if (s->joined && s->sent != generation) {
        s->sent = generation;
        if (lws_write(wsi, msg + LWS_PRE, msg_len, LWS_WRITE_TEXT) < (int)msg_len) return -1;
        lat_frame();
      }
      break;
    default:
      break;
  }
  return 0;
}

static const struct lws_protocols protocols[2] = {
    {"floor", callback, sizeof(struct pss), 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void on_signal(int sig) {
  (void)sig;
  stop = 1;
  lws_cancel_service(ctx);
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s PORT PERIOD_MS MESSAGE_BYTES MAX_CLIENTS [[statfs:|poll:]PATH[@N]|netlink:link[@N]...]\n",
            argv[0]);
    return 2;
  }
  for (int i = 5; i < argc; i++) {
    if (add_read(argv[i]) != 0) {
      fprintf(stderr, "floor: cannot read %s (or more than %d reads, or a bad @N)\n", argv[i], MAX_READS);
      return 2;
    }
  }
  int port = atoi(argv[1]);
  period_us = (lws_usec_t)atoi(argv[2]) * 1000;
  msg_bytes = (size_t)atoi(argv[3]);
  int max_clients = atoi(argv[4]);
  if (port <= 0 || period_us <= 0 || msg_bytes < 40 || msg_bytes > 60000 || max_clients <= 0) {
    fprintf(stderr, "floor: bad arguments\n");
    return 2;
  }
  lat_path = getenv("SBCMON_BENCH_LATENCY");
  if (lat_path && !*lat_path) lat_path = NULL;
  lws_set_log_level(LLL_ERR, NULL);
  struct lws_context_creation_info info;
  memset(&info, 0, sizeof info);
  info.port = port;
  info.iface = "127.0.0.1";
  info.protocols = protocols;
  info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
  /* fds for the clients, the listener and lws's own: as sbcmon sizes its tables. */
  info.fd_limit_per_thread = (unsigned int)max_clients + 16;
  ctx = lws_create_context(&info);
  if (!ctx) {
    fprintf(stderr, "floor: lws_create_context failed\n");
    return 1;
  }
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  build_message();
  next_tick = lws_now_usecs() + period_us;
  lws_sul_schedule(ctx, 0, &tick_sul, on_tick, period_us);
  while (!stop && lws_service(ctx, 0) >= 0) {
  }
  lws_context_destroy(ctx);
  lat_write();
  return 0;
}
