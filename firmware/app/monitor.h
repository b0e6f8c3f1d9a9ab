// The monitor: samples the board on the loop's timer into the history ring and
// serves it over Socket.IO ("/" for the page, "/test" for the seed tutorial's page)
// and plain HTTP (/api/v1/history, /healthz, /metrics for Prometheus).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/cli.h"
#include "config/config.h"
#include "net/server.h"
#include "sampler/alerts.h"
#include "sampler/history.h"
#include "sampler/procs.h"
#include "sampler/sample.h"
#include "sampler/sampler.h"

namespace sbcmon::app {

// Blocks this large or larger are mapped and given back to the kernel when freed
// (main sets glibc's M_MMAP_THRESHOLD to it): a history message starts at this size,
// so encoding one and the frames copied from it leave no holes in the heap.
inline constexpr std::size_t kMappedBlockBytes = 128 * 1024;
// How often freed heap pages go back to the kernel (Monitor::trim_heap).
inline constexpr std::int64_t kTrimEveryNs = 10'000'000'000;

class Monitor {
 public:
  // Opens the /proc and /sys files under the roots given in `opts`; no I/O to the network.
  Monitor(net::Server& server, const Options& opts);
  ~Monitor();
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;

  // Registers the namespaces and routes, takes the baseline reading and starts
  // the sample timer. False with `error` set if a namespace cannot be registered.
  bool start(std::string& error);

 private:
  void tick();
  // Samples into current_ and records how long that took (for /metrics).
  void timed_sample();
  void on_connect(socketio::SocketId socket);
  void on_event(const socketio::Event& event);
  // Appends the history of samples newer than `since_ms` to `out`. Not json_: a full
  // history is far larger than anything a tick sends, and its buffer is given back.
  void encode_history(std::int64_t since_ms, std::string& out) const;
  // Scans the processes unless the last scan is less than one period old; then the
  // top lists of that scan are kept (at most one scan per period, however many ask).
  void scan_processes();
  // Appends the Prometheus exposition of the latest sample and the server counters to `out`.
  void encode_metrics(std::string& out) const;

  net::Server& server_;
  Options opts_;
  std::optional<sampler::Sampler> sampler_;
  // kHistoryLen samples of the board's cores, allocated once at start-up.
  std::optional<sampler::History> history_;
  sampler::Sample current_{};
  std::string json_;  // what the ticks and small replies are encoded into; kept
  std::uint16_t root_nsp_ = 0;
  std::uint16_t seed_nsp_ = 0;
  std::uint64_t seed_count_ = 0;
  std::uint32_t announced_generation_ = 0;  // BoardInfo::generation last sent as `board`
  sampler::Alerts alerts_;
  std::optional<sampler::ProcScanner> procs_;  // made on the first scan (its table is large)
  std::unique_ptr<sampler::ProcTop> top_;
  std::int64_t last_scan_ns_ = 0;               // monotonic; 0 = never scanned
  std::vector<socketio::SocketId> proc_subs_;  // sockets showing the processes view
  double sample_s_ = sampler::kAbsentD;  // cost of the last tick's sample(), for /metrics
  std::int64_t last_trim_ns_ = 0;  // monotonic; 0 = never trimmed
  void trim_heap();
};

}  // namespace sbcmon::app
