// Sampler -> ring -> Socket.IO glue. Runs entirely on the lws loop.
#include "app/monitor.h"

#include <cJSON.h>

#include <time.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <cmath>
#include <limits>

#include "metrics/prometheus.h"
#include "sampler/json.h"

namespace sbcmon::app {
namespace {

// Reads `since` (ms since the epoch) from a history request's raw JSON args:
// `{"since":123}` or a bare number. Anything else means "everything".
std::int64_t parse_since(std::string_view args) {
  constexpr std::int64_t kAll = std::numeric_limits<std::int64_t>::min();
  if (args.empty() || args.size() > 256) return kAll;
  const std::string text(args);  // cJSON wants a terminated string; small and rare
  cJSON* root = cJSON_ParseWithLength(text.c_str(), text.size());
  if (root == nullptr) return kAll;
  const cJSON* v = cJSON_IsObject(root) ? cJSON_GetObjectItemCaseSensitive(root, "since") : root;
  std::int64_t since = kAll;
  if (cJSON_IsNumber(v) && std::isfinite(v->valuedouble) && v->valuedouble >= 0 &&
      v->valuedouble < 9e15) {
    since = static_cast<std::int64_t>(v->valuedouble);
  }
  cJSON_Delete(root);
  return since;
}

std::int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

std::int64_t wall_ms() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// True when a subscribe/unsubscribe event names the processes view: "processes" or
// {"view":"processes"}.
bool names_processes(std::string_view args) {
  return args == "\"processes\"" || args == "{\"view\":\"processes\"}";
}

double monotonic_s() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Blanks, in every sample already in `history`, the slots the sampler has given to a new
// interface or disk since generation `since` (BoardInfo::*_reused), so a page opened
// later does not draw the old entry's figures under the new name. (The history keeps no
// filesystem figures.)
void forget_slots(sampler::History& history, const sampler::BoardInfo& board, std::uint32_t since) {
  bool net[sampler::kMaxIfaces] = {}, disk[sampler::kMaxDisks] = {};
  for (std::size_t i = 0; i < sampler::kMaxIfaces; ++i) net[i] = board.iface_reused[i] > since;
  for (std::size_t i = 0; i < sampler::kMaxDisks; ++i) disk[i] = board.disk_reused[i] > since;
  history.forget(net, disk);
}

}  // namespace

Monitor::Monitor(net::Server& server, const Options& opts)
    : server_(server),
      opts_(opts),
      alerts_(sampler::AlertLimits{static_cast<float>(opts.alert_temp_c), opts.alert_power,
                                   static_cast<float>(opts.alert_fs_pct),
                                   static_cast<float>(opts.alert_mem_pct), opts.alert_load_s}) {
  sampler_.emplace(opts.proc_root, opts.sys_root);
  history_.emplace(config::kHistoryLen,
                   static_cast<std::size_t>(std::max(sampler_->board().cores, 0)));
  top_ = std::make_unique<sampler::ProcTop>();
  // One entry per socket at most; a socket is a session, bounded by the session table.
  proc_subs_.reserve(opts.max_sessions);
  // Room for what a tick sends (a sample, the processes); reserved once so ticks do not
  // allocate here. The history, the largest message by far, is encoded apart.
  json_.reserve(16 * 1024);
}

Monitor::~Monitor() = default;

bool Monitor::start(std::string& error) {
  socketio::Server& sio = server_.sio();

  socketio::NamespaceHandlers root;
  root.authorize = [](socketio::SocketId, std::string_view) { return true; };
  root.on_connect = [this](socketio::SocketId s, std::string_view) { on_connect(s); };
  root.on_event = [this](const socketio::Event& e) { on_event(e); };
  root.on_disconnect = [this](socketio::SocketId s) {
    proc_subs_.erase(std::remove(proc_subs_.begin(), proc_subs_.end(), s), proc_subs_.end());
  };
  const auto root_nsp = sio.add_namespace("/", std::move(root));

  // The Flask-SocketIO tutorial's namespace: pages written for it only listen.
  socketio::NamespaceHandlers seed;
  seed.authorize = [](socketio::SocketId, std::string_view) { return true; };
  const auto seed_nsp = sio.add_namespace("/test", std::move(seed));
  if (!root_nsp || !seed_nsp) {
    error = "cannot register the Socket.IO namespaces";
    return false;
  }
  root_nsp_ = *root_nsp;
  seed_nsp_ = *seed_nsp;

  server_.add_route("/healthz", [this](std::string_view, std::string& body, std::string& type) {
    type = "application/json";
    body = "{\"status\":\"ok\",\"samples\":" + std::to_string(history_->size()) + "}";
    return 200;
  }, /*needs_token=*/false);  // supervisors probe it without credentials; it reveals nothing
  server_.add_route("/api/v1/history", [this](std::string_view query, std::string& body,
                                              std::string& type) {
    std::int64_t since = std::numeric_limits<std::int64_t>::min();
    const auto pos = query.find("since=");
    if (pos != std::string_view::npos && (pos == 0 || query[pos - 1] == '&')) {
      since = parse_since(query.substr(pos + 6, query.find('&', pos) - pos - 6));
    }
    body.clear();
    encode_history(since, body);
    type = "application/json";
    return 200;
  });
  server_.add_route("/metrics", [this](std::string_view, std::string& body, std::string& type) {
    encode_metrics(body);
    type = metrics::kContentType;
    return 200;
  });

  timed_sample();  // the baseline: CPU figures need a previous reading
  announced_generation_ = sampler_->board().generation;
  server_.every(opts_.interval_ms, [this] { tick(); });
  return true;
}

void Monitor::timed_sample() {
  const double t0 = monotonic_s();
  sampler_->sample(current_);
  sample_s_ = monotonic_s() - t0;
  alerts_.update(current_, sampler_->board());
}

void Monitor::tick() {
  timed_sample();
  const sampler::BoardInfo& board = sampler_->board();
  const bool renamed = board.generation != announced_generation_;
  // Slots given to new names lose what the history kept for the old ones first.
  if (renamed) forget_slots(*history_, board, announced_generation_);
  history_->push(current_);
  socketio::Server& sio = server_.sio();
  if (renamed) {
    // A new interface, disk or filesystem: pages need its name before its figures.
    announced_generation_ = board.generation;
    json_.clear();
    sampler::encode_board(board, opts_.interval_ms, history_->capacity(), json_);
    sio.broadcast(root_nsp_, "board", json_);
  }
  if (sio.connected(root_nsp_) > 0) {
    json_.clear();
    sampler::encode_sample(current_, board, json_);
    sio.broadcast(root_nsp_, "sample", json_);
  }
  if (!proc_subs_.empty()) {
    scan_processes();
    json_.clear();
    sampler::encode_processes(*top_, json_);
    // An emit to a client over its queue cap closes that session at once, and its
    // on_disconnect erases it from proc_subs_: step by index, not by iterator.
    for (std::size_t i = 0; i < proc_subs_.size();) {
      const socketio::SocketId s = proc_subs_[i];
      sio.emit(s, "processes", json_);
      if (i < proc_subs_.size() && proc_subs_[i] == s) ++i;
    }
  }
  ++seed_count_;
  if (sio.connected(seed_nsp_) > 0) {
    json_.clear();
    sampler::encode_seed(current_, seed_count_, json_);
    sio.broadcast(seed_nsp_, "server_response", json_);
  }
  trim_heap();
}

void Monitor::trim_heap() {
  // glibc keeps the pages of freed heap blocks resident: what start-up, a page load or
  // clients that have left used would stay in RSS. Every kTrimEveryNs (from the first
  // tick) they go back to the kernel: 15-55 µs a trim with 1000 clients connected.
  // Other C libraries have no malloc_trim.
  const std::int64_t now = monotonic_ns();
  if (last_trim_ns_ != 0 && now - last_trim_ns_ < kTrimEveryNs) return;
  last_trim_ns_ = now;
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

void Monitor::scan_processes() {
  const std::int64_t now = monotonic_ns();
  // A little slack: a tick that fires a hair early still gets a fresh scan.
  const std::int64_t period_ns = static_cast<std::int64_t>(opts_.interval_ms) * 900000;
  if (last_scan_ns_ != 0 && now - last_scan_ns_ < period_ns) return;
  last_scan_ns_ = now;
  // Most boards never show the processes view: its table is allocated when one first does.
  if (!procs_) procs_.emplace(opts_.proc_root, sysconf(_SC_CLK_TCK), sysconf(_SC_PAGESIZE));
  procs_->scan(*top_, wall_ms(), now);
}

void Monitor::encode_history(std::int64_t since_ms, std::string& out) const {
  // Mapped from the start (see kMappedBlockBytes) rather than doubled through the heap.
  out.reserve(kMappedBlockBytes);
  sampler::encode_history(*history_, sampler_->board(), opts_.interval_ms, since_ms, out);
}

void Monitor::encode_metrics(std::string& out) const {
  const sampler::BoardInfo& board = sampler_->board();
  metrics::NetBytes net[sampler::kMaxIfaces];
  for (std::size_t i = 0; i < board.nifaces && i < sampler::kMaxIfaces; ++i) {
    net[i].valid = sampler_->net_bytes(i, net[i].rx, net[i].tx);
  }
  metrics::DiskBytes disks[sampler::kMaxDisks];
  for (std::size_t i = 0; i < board.ndisks && i < sampler::kMaxDisks; ++i) {
    disks[i].valid = sampler_->disk_counters(i, disks[i].read, disks[i].written, disks[i].io_ms);
  }
  const net::Stats& st = server_.stats();
  metrics::ServerCounters counters;
  counters.sessions_open = st.sessions_open;
  counters.sessions_opened = st.sessions_opened;
  counters.sessions_refused = st.sessions_refused;
  counters.sessions_dropped = st.sessions_dropped;
  counters.packets_queued = st.packets_queued;
  counters.http_requests = st.http_requests;

  metrics::Inputs in;
  in.sample = &current_;
  in.board = &board;
  in.stat = sampler_->last_stat();
  in.user_hz = sysconf(_SC_CLK_TCK);  // /proc/stat counts in USER_HZ ticks
  in.net = net;
  in.disks = disks;
  in.server = &counters;
  in.sample_duration_s = sample_s_;
  in.history_bytes = history_->bytes();
  in.version = SBCMON_VERSION;
  in.board_name = config::kBoard;
  metrics::encode(in, out);
}

void Monitor::on_connect(socketio::SocketId socket) {
  socketio::Server& sio = server_.sio();
  json_.clear();
  sampler::encode_board(sampler_->board(), opts_.interval_ms, history_->capacity(), json_);
  sio.emit(socket, "board", json_);
  {
    std::string history;
    encode_history(std::numeric_limits<std::int64_t>::min(), history);
    sio.emit(socket, "history", history);
  }
  // The sibling boards (--peer) the page's Boards view watches; a board without
  // peers sends nothing new. Their origins passed peer_origin(): nothing in them
  // needs escaping in a JSON string.
  if (opts_.peers.empty()) return;
  json_.assign("{\"peers\":[");
  for (std::size_t i = 0; i < opts_.peers.size(); ++i) {
    json_ += (i ? ",\"" : "\"") + opts_.peers[i] + "\"";
  }
  json_ += "]}";
  sio.emit(socket, "peers", json_);
}

void Monitor::on_event(const socketio::Event& event) {
  socketio::Server& sio = server_.sio();
  if (event.name == "subscribe" || event.name == "unsubscribe") {
    if (!names_processes(event.args)) return;
    auto at = std::find(proc_subs_.begin(), proc_subs_.end(), event.socket);
    if (event.name == "unsubscribe") {
      if (at != proc_subs_.end()) proc_subs_.erase(at);
    } else if (at == proc_subs_.end() && proc_subs_.size() < proc_subs_.capacity()) {
      proc_subs_.push_back(event.socket);
    }
    if (event.ack_id) sio.ack(event.socket, *event.ack_id, event.name == "subscribe" ? "true" : "false");
    return;
  }
  if (event.name == "processes") {
    scan_processes();
    json_.clear();
    sampler::encode_processes(*top_, json_);
    if (event.ack_id) {
      sio.ack(event.socket, *event.ack_id, json_);
    } else {
      sio.emit(event.socket, "processes", json_);
    }
    return;
  }
  if (event.name != "history") return;  // the page sends nothing else
  std::string history;
  encode_history(parse_since(event.args), history);
  if (event.ack_id) {
    sio.ack(event.socket, *event.ack_id, history);
  } else {
    sio.emit(event.socket, "history", history);
  }
}

}  // namespace sbcmon::app
