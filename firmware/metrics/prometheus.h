// Prometheus text exposition (format 0.0.4) of the latest sample, the board identity and
// the server's counters. node_exporter's names where the meaning is the same, so existing
// dashboards work; sbcmon_* for the rest. Absent figures are left out, never sent as 0.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sampler/parse.h"
#include "sampler/sample.h"

namespace sbcmon::metrics {

// The Content-Type of encode()'s output.
inline constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

// Cumulative counters of one interface, in BoardInfo::ifaces order.
struct NetBytes {
  bool valid = false;  // false: not in the last reading -> left out
  std::uint64_t rx = 0, tx = 0;
};

// Cumulative counters of one whole disk, in BoardInfo::disks order.
struct DiskBytes {
  bool valid = false;  // false: not in the last reading -> left out
  std::uint64_t read = 0, written = 0, io_ms = 0;
};

// Counters of the network layer (a copy of net::Stats, kept here so this module stays pure).
struct ServerCounters {
  std::size_t sessions_open = 0;
  std::uint64_t sessions_opened = 0;
  std::uint64_t sessions_refused = 0;
  std::uint64_t sessions_dropped = 0;
  std::uint64_t packets_queued = 0;
  std::uint64_t http_requests = 0;
};

// Everything one exposition is made of; pointers are borrowed for the call only.
struct Inputs {
  const sampler::Sample* sample = nullptr;       // latest sample; nullptr = none yet
  const sampler::BoardInfo* board = nullptr;     // required when `sample` is set
  const sampler::StatReading* stat = nullptr;    // raw /proc/stat counters; nullptr = absent
  long user_hz = 0;                              // ticks per second of `stat`; <= 0 = absent
  const NetBytes* net = nullptr;                 // board->nifaces entries, or nullptr
  const DiskBytes* disks = nullptr;              // board->ndisks entries, or nullptr
  const ServerCounters* server = nullptr;        // nullptr = no server figures
  double sample_duration_s = sampler::kAbsentD;  // cost of the last sample; NaN = absent
  std::size_t history_bytes = 0;                 // the history ring's storage; 0 = absent
  std::string_view version;                      // sbcmon version for sbcmon_build_info
  std::string_view board_name;                   // Kconfig board for sbcmon_build_info
};

// Appends the exposition of `in` to `out`: every family with HELP and TYPE lines, label
// values escaped. Families with no value are left out entirely.
void encode(const Inputs& in, std::string& out);

// Appends `value` escaped for a label value (backslash, double quote, newline).
void escape_label(std::string_view value, std::string& out);

}  // namespace sbcmon::metrics
