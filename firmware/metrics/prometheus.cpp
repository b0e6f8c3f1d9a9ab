// The Prometheus text encoder. Runs per scrape, not per tick, so it may allocate.
#include "metrics/prometheus.h"

#include "sampler/alerts.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <type_traits>
#include <initializer_list>
#include <system_error>
#include <utility>

namespace sbcmon::metrics {
namespace {

using sampler::absent;
using sampler::Throttle;

using Label = std::pair<std::string_view, std::string_view>;

// Shortest text that reads back as the same value: 0.52f prints "0.52", not the
// double expansion of the float, and 266402.11 stays 266402.11.
// (snprintf with rising precision rather than std::to_chars: the latter's
// floating-point tables add ~130 KB to the static firmware.)
template <typename T>
void append_number(T v, std::string& out) {
  char buf[64];
  if constexpr (std::is_integral_v<T>) {
    const int k = std::is_signed_v<T> ? std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v))
                                      : std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(v));
    if (k > 0) out.append(buf, static_cast<std::size_t>(k));
    return;
  } else {
  if (!std::isfinite(v)) return;
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    // Whole numbers in plain digits (bytes, hertz), as node_exporter prints them.
    const int k = std::snprintf(buf, sizeof buf, "%.0f", static_cast<double>(v));
    if (k > 0) out.append(buf, static_cast<std::size_t>(k));
    return;
  }
  const int max_digits = sizeof(T) == sizeof(float) ? 9 : 17;
  int n = 0;
  for (int digits = 1; digits <= max_digits; ++digits) {
    n = std::snprintf(buf, sizeof buf, "%.*g", digits, static_cast<double>(v));
    const bool same = sizeof(T) == sizeof(float) ? std::strtof(buf, nullptr) == static_cast<float>(v)
                                                 : std::strtod(buf, nullptr) == static_cast<double>(v);
    if (same) break;
  }
  if (n > 0) out.append(buf, static_cast<std::size_t>(std::min(n, static_cast<int>(sizeof buf) - 1)));
  }
}

// HELP text escaping (backslash and newline only, per the 0.0.4 format).
void escape_help(std::string_view s, std::string& out) {
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

// One family at a time; HELP/TYPE go out with the first sample, so a family with no
// values leaves no trace (an empty family would read as "sbcmon knows nothing").
class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  void family(const char* name, const char* type, const char* help) {
    name_ = name;
    type_ = type;
    help_ = help;
    pending_ = true;
  }

  template <typename T>
  void put(std::initializer_list<Label> labels, T value) {
    if (pending_) {
      out_ += "# HELP ";
      out_ += name_;
      out_ += ' ';
      escape_help(help_, out_);
      out_ += "\n# TYPE ";
      out_ += name_;
      out_ += ' ';
      out_ += type_;
      out_ += '\n';
      pending_ = false;
    }
    out_ += name_;
    if (labels.size() > 0) {
      out_ += '{';
      bool first = true;
      for (const Label& l : labels) {
        if (!first) out_ += ',';
        first = false;
        out_ += l.first;
        out_ += "=\"";
        escape_label(l.second, out_);
        out_ += '"';
      }
      out_ += '}';
    }
    out_ += ' ';
    append_number(value, out_);
    out_ += '\n';
  }

 private:
  std::string& out_;
  std::string_view name_, type_, help_;
  bool pending_ = false;
};

struct FlagName {
  std::uint32_t bit;
  const char* name;
};
// The Pi firmware's get_throttled bits, named as `vcgencmd get_throttled` documents them.
constexpr FlagName kThrottleFlags[] = {
    {Throttle::kUvNow, "under_voltage"},
    {Throttle::kCappedNow, "arm_frequency_capped"},
    {Throttle::kThrottledNow, "throttled"},
    {Throttle::kSoftNow, "soft_temp_limit"},
    {Throttle::kUvBoot, "under_voltage_occurred"},
    {Throttle::kCappedBoot, "arm_frequency_capped_occurred"},
    {Throttle::kThrottledBoot, "throttled_occurred"},
    {Throttle::kSoftBoot, "soft_temp_limit_occurred"},
};

void encode_cpu_seconds(const Inputs& in, Writer& w) {
  if (in.stat == nullptr || in.user_hz <= 0) return;
  const sampler::StatReading& st = *in.stat;
  const double hz = static_cast<double>(in.user_hz);
  w.family("node_cpu_seconds_total", "counter", "Seconds the CPUs spent in each mode.");
  const int ncpu =
      st.max_index < 0 ? 0 : std::min(st.max_index + 1, static_cast<int>(sampler::kMaxCpus));
  for (int i = 0; i < ncpu; ++i) {
    if (!st.online[static_cast<std::size_t>(i)]) continue;  // offline: no line in /proc/stat
    const sampler::CpuTimes& t = st.cpu[i];
    const std::string cpu = std::to_string(i);
    // node_exporter's modes and order; guest time is already inside user/nice.
    const std::pair<const char*, std::uint64_t> modes[] = {
        {"idle", t.idle},       {"iowait", t.iowait}, {"irq", t.irq},       {"nice", t.nice},
        {"softirq", t.softirq}, {"steal", t.steal},   {"system", t.system}, {"user", t.user}};
    for (const auto& [mode, ticks] : modes) {
      w.put({{"cpu", cpu}, {"mode", mode}}, static_cast<double>(ticks) / hz);
    }
  }
}

void encode_sample(const Inputs& in, Writer& w) {
  const sampler::Sample& s = *in.sample;
  const sampler::BoardInfo& b = *in.board;

  if (s.mem_valid) {
    w.family("node_memory_MemTotal_bytes", "gauge", "Memory information field MemTotal_bytes.");
    w.put({}, s.mem_total);
    w.family("node_memory_MemAvailable_bytes", "gauge",
             "Memory information field MemAvailable_bytes.");
    w.put({}, s.mem_avail);
  }
  if (s.swap_valid) {
    w.family("node_memory_SwapTotal_bytes", "gauge", "Memory information field SwapTotal_bytes.");
    w.put({}, s.swap_total);
    w.family("node_memory_SwapFree_bytes", "gauge", "Memory information field SwapFree_bytes.");
    w.put({}, s.swap_total - s.swap_used);
  }

  const char* load_names[] = {"node_load1", "node_load5", "node_load15"};
  const char* load_help[] = {"1m load average.", "5m load average.", "15m load average."};
  for (int i = 0; i < 3; ++i) {
    if (absent(s.load[i])) continue;
    w.family(load_names[i], "gauge", load_help[i]);
    w.put({}, s.load[i]);
  }

  if (s.t_ms > 0) {
    w.family("node_time_seconds", "gauge",
             "System time in seconds since epoch (1970), as sampled.");
    w.put({}, static_cast<double>(s.t_ms) / 1000.0);
    if (!absent(s.uptime_s) && s.uptime_s >= 0) {
      // Whole ms first, so the figure is wall time minus uptime without float noise.
      const std::int64_t boot_ms = s.t_ms - std::llround(s.uptime_s * 1000.0);
      w.family("node_boot_time_seconds", "gauge", "Node boot time, in unixtime.");
      w.put({}, static_cast<double>(boot_ms) / 1000.0);
    }
  }

  // Every sensor sbcmon shows (thermal zones first, then hwmon inputs); zone is its index.
  w.family("node_thermal_zone_temp", "gauge", "Zone temperature in Celsius");
  for (std::size_t i = 0; i < s.ntemp && i < sampler::kMaxTemps; ++i) {
    if (absent(s.temp_c[i])) continue;
    w.put({{"type", b.temp_names[i].s}, {"zone", std::to_string(i)}}, s.temp_c[i]);
  }

  w.family("node_cpu_scaling_frequency_hertz", "gauge",
           "Current scaled CPU thread frequency in hertz.");
  for (std::size_t i = 0; i < s.ncpu && i < sampler::kMaxCpus; ++i) {
    if (absent(s.freq_mhz[i])) continue;
    // The kernel gives kHz; rounding there undoes the float MHz and yields exact hertz.
    const long long khz = std::llround(static_cast<double>(s.freq_mhz[i]) * 1000.0);
    w.put({{"cpu", std::to_string(i)}}, static_cast<std::uint64_t>(khz) * 1000u);
  }

  if (in.net != nullptr) {
    const std::size_t n = std::min<std::size_t>(b.nifaces, sampler::kMaxIfaces);
    w.family("node_network_receive_bytes_total", "counter",
             "Network device statistic receive_bytes.");
    for (std::size_t i = 0; i < n; ++i) {
      if (in.net[i].valid) w.put({{"device", b.ifaces[i].s}}, in.net[i].rx);
    }
    w.family("node_network_transmit_bytes_total", "counter",
             "Network device statistic transmit_bytes.");
    for (std::size_t i = 0; i < n; ++i) {
      if (in.net[i].valid) w.put({{"device", b.ifaces[i].s}}, in.net[i].tx);
    }
  }

  // Link state as node_exporter's netclass collector reports it.
  w.family("node_network_up", "gauge", "Value is 1 if operstate is 'up', 0 otherwise.");
  for (std::size_t i = 0; i < s.nnet && i < sampler::kMaxIfaces && i < b.nifaces; ++i) {
    if (s.net_oper[i] == 0) continue;  // no operstate file: absent
    w.put({{"device", b.ifaces[i].s}},
          static_cast<sampler::OperState>(s.net_oper[i]) == sampler::OperState::kUp ? 1 : 0);
  }
  w.family("node_network_speed_bytes", "gauge", "Network device property: speed_bytes");
  for (std::size_t i = 0; i < s.nnet && i < sampler::kMaxIfaces && i < b.nifaces; ++i) {
    if (absent(s.net_speed[i])) continue;
    w.put({{"device", b.ifaces[i].s}}, static_cast<std::uint64_t>(s.net_speed[i]) * 125000u);
  }

  // Filesystems with node_exporter's names and labels.
  const std::size_t nfs = std::min<std::size_t>({s.nfs, b.nfs, sampler::kMaxFs});
  auto fs_put = [&](std::size_t i, auto value) {
    w.put({{"device", b.fs[i].device}, {"fstype", b.fs[i].type}, {"mountpoint", b.fs[i].mount}},
          value);
  };
  auto fs_valid = [&](std::size_t i) { return (s.fs_flags[i] & sampler::Sample::kFsValid) != 0; };
  w.family("node_filesystem_size_bytes", "gauge", "Filesystem size in bytes.");
  for (std::size_t i = 0; i < nfs; ++i) {
    if (fs_valid(i)) fs_put(i, s.fs_size[i]);
  }
  w.family("node_filesystem_free_bytes", "gauge", "Filesystem free space in bytes.");
  for (std::size_t i = 0; i < nfs; ++i) {
    if (fs_valid(i)) fs_put(i, s.fs_size[i] - std::min(s.fs_used[i], s.fs_size[i]));
  }
  w.family("node_filesystem_avail_bytes", "gauge",
           "Filesystem space available to non-root users in bytes.");
  for (std::size_t i = 0; i < nfs; ++i) {
    if (fs_valid(i)) fs_put(i, s.fs_avail[i]);
  }
  w.family("node_filesystem_readonly", "gauge", "Filesystem read-only status.");
  for (std::size_t i = 0; i < nfs; ++i) {
    if (fs_valid(i)) fs_put(i, (s.fs_flags[i] & sampler::Sample::kFsReadOnly) ? 1 : 0);
  }

  if (in.disks != nullptr) {
    const std::size_t n = std::min<std::size_t>(b.ndisks, sampler::kMaxDisks);
    w.family("node_disk_read_bytes_total", "counter", "The total number of bytes read successfully.");
    for (std::size_t i = 0; i < n; ++i) {
      if (in.disks[i].valid) w.put({{"device", b.disks[i].s}}, in.disks[i].read);
    }
    w.family("node_disk_written_bytes_total", "counter",
             "The total number of bytes written successfully.");
    for (std::size_t i = 0; i < n; ++i) {
      if (in.disks[i].valid) w.put({{"device", b.disks[i].s}}, in.disks[i].written);
    }
    w.family("node_disk_io_time_seconds_total", "counter", "Total seconds spent doing I/Os.");
    for (std::size_t i = 0; i < n; ++i) {
      if (in.disks[i].valid) {
        w.put({{"device", b.disks[i].s}}, static_cast<double>(in.disks[i].io_ms) / 1000.0);
      }
    }
  }

  w.family("sbcmon_alert_firing", "gauge",
           "1 while a built-in alert fires, 0 while it is ok; absent without input or when off.");
  for (std::size_t i = 0; i < sampler::kAlertCount; ++i) {
    const sampler::AlertStatus& a = s.alerts[i];
    if (a.state == sampler::AlertState::kAbsent) continue;
    w.put({{"alert", sampler::alert_name(static_cast<sampler::AlertId>(i))}},
          a.state == sampler::AlertState::kFiring ? 1 : 0);
  }

  w.family("sbcmon_cpu_busy_percent", "gauge",
           "Per-core busy percent over the last sample period (absent on the first).");
  for (std::size_t i = 0; i < s.ncpu && i < sampler::kMaxCpus; ++i) {
    if (!absent(s.cpu_pct[i])) w.put({{"cpu", std::to_string(i)}}, s.cpu_pct[i]);
  }

  if (s.throttle.valid) {
    w.family("sbcmon_rpi_throttled", "gauge",
             "Raspberry Pi firmware throttle flag (get_throttled), 1 = set; only flags read.");
    for (const FlagName& f : kThrottleFlags) {
      if (s.throttle.knows(f.bit)) w.put({{"flag", f.name}}, s.throttle.is(f.bit) ? 1 : 0);
    }
  }
}

void encode_identity(const Inputs& in, Writer& w) {
  const sampler::BoardInfo& b = *in.board;
  // Linux is given: the figures above come from /proc.
  w.family("node_uname_info", "gauge",
           "Labeled system information as provided by the uname system call.");
  w.put(
      {{"machine", b.arch}, {"nodename", b.hostname}, {"release", b.kernel}, {"sysname", "Linux"}},
      1);
  if (!b.model.empty()) {
    w.family("sbcmon_board_info", "gauge", "The board's model (device tree or DMI); always 1.");
    w.put({{"model", b.model}}, 1);
  }
}

void encode_server(const Inputs& in, Writer& w) {
  if (!absent(in.sample_duration_s)) {
    w.family("sbcmon_sample_duration_seconds", "gauge",
             "Time taken by the last sample of /proc and /sys.");
    w.put({}, in.sample_duration_s);
  }
  if (in.history_bytes > 0) {
    w.family("sbcmon_history_bytes", "gauge",
             "Memory the history ring holds, sized once at start-up for the cores present.");
    w.put({}, static_cast<std::uint64_t>(in.history_bytes));
  }
  if (in.server != nullptr) {
    const ServerCounters& c = *in.server;
    w.family("sbcmon_sessions", "gauge", "Engine.IO sessions open now.");
    w.put({}, static_cast<std::uint64_t>(c.sessions_open));
    w.family("sbcmon_sessions_opened_total", "counter", "Engine.IO sessions opened.");
    w.put({}, c.sessions_opened);
    w.family("sbcmon_sessions_refused_total", "counter",
             "Engine.IO handshakes refused because the session table was full.");
    w.put({}, c.sessions_refused);
    w.family("sbcmon_sessions_dropped_total", "counter",
             "Engine.IO sessions closed for falling behind (queue over its cap).");
    w.put({}, c.sessions_dropped);
    w.family("sbcmon_packets_queued_total", "counter", "Engine.IO packets queued to clients.");
    w.put({}, c.packets_queued);
    w.family("sbcmon_http_requests_total", "counter", "HTTP requests answered or held.");
    w.put({}, c.http_requests);
  }
  w.family("sbcmon_build_info", "gauge",
           "sbcmon version and the board it was configured for; always 1.");
  w.put({{"board", in.board_name}, {"version", in.version}}, 1);
}

}  // namespace

void escape_label(std::string_view value, std::string& out) {
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

void encode(const Inputs& in, std::string& out) {
  Writer w(out);
  encode_cpu_seconds(in, w);
  if (in.sample != nullptr && in.board != nullptr) {
    encode_sample(in, w);
    encode_identity(in, w);
  }
  encode_server(in, w);
}

}  // namespace sbcmon::metrics
