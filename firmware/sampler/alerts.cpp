// Alert evaluation. Each threshold has a small hysteresis so a figure hovering at the
// limit does not page a fleet on every sample.
#include "sampler/alerts.h"

namespace sbcmon::sampler {
namespace {

constexpr float kTempHysteresisC = 2.0f;
constexpr float kPctHysteresis = 1.0f;

}  // namespace

const char* alert_name(AlertId id) {
  switch (id) {
    case AlertId::kTemperature: return "temperature";
    case AlertId::kPower: return "power";
    case AlertId::kFilesystem: return "filesystem";
    case AlertId::kMemory: return "memory";
    case AlertId::kLoad: return "load";
  }
  return "";
}

void Alerts::set(std::size_t id, bool firing, std::int64_t now_ms) {
  AlertStatus& a = state_[id];
  if (firing) {
    if (a.state != AlertState::kFiring) a.since_ms = now_ms;
    a.state = AlertState::kFiring;
  } else {
    a.state = AlertState::kOk;
    a.since_ms = 0;
  }
}

void Alerts::update(Sample& s, const BoardInfo& board) {
  const std::int64_t now = s.t_ms;
  auto firing = [this](AlertId id) {
    return state_[static_cast<std::size_t>(id)].state == AlertState::kFiring;
  };
  auto absent_now = [this](AlertId id) {
    AlertStatus& a = state_[static_cast<std::size_t>(id)];
    a = AlertStatus{};  // no input this tick: neither ok nor firing
  };

  // Temperature: the hottest sensor read this tick against the limit.
  {
    const std::size_t id = static_cast<std::size_t>(AlertId::kTemperature);
    const float limit = limits_.temp_c > 0 ? limits_.temp_c : board.temp_warn_c;
    int hottest = -1;
    for (std::size_t i = 0; i < s.ntemp && i < kMaxTemps; ++i) {
      if (!absent(s.temp_c[i]) && (hottest < 0 || s.temp_c[i] > s.temp_c[hottest])) {
        hottest = static_cast<int>(i);
      }
    }
    if (absent(limit) || hottest < 0) {
      absent_now(AlertId::kTemperature);
    } else {
      const float c = s.temp_c[hottest];
      const bool was = firing(AlertId::kTemperature);
      set(id, was ? c > limit - kTempHysteresisC : c >= limit, now);
      state_[id].value = c;
      state_[id].limit = limit;
      state_[id].which = static_cast<std::uint8_t>(hottest);
    }
  }

  // Power: the Pi firmware's "now" bits (under-voltage, throttled).
  {
    const std::size_t id = static_cast<std::size_t>(AlertId::kPower);
    const Throttle& t = s.throttle;
    const bool known = t.valid && (t.knows(Throttle::kUvNow) || t.knows(Throttle::kThrottledNow));
    if (!limits_.power || !known) {
      absent_now(AlertId::kPower);
    } else {
      set(id, t.is(Throttle::kUvNow) || t.is(Throttle::kThrottledNow), now);
      state_[id].value = static_cast<float>(t.flags & 0xF);
      state_[id].limit = kAbsent;
    }
  }

  // Filesystem: the fullest one, as df computes Use% (used / (used + available)).
  {
    const std::size_t id = static_cast<std::size_t>(AlertId::kFilesystem);
    int fullest = -1;
    float worst = 0;
    for (std::size_t i = 0; i < s.nfs && i < kMaxFs; ++i) {
      if (!(s.fs_flags[i] & Sample::kFsValid)) continue;
      const double denom = static_cast<double>(s.fs_used[i]) + static_cast<double>(s.fs_avail[i]);
      if (denom <= 0) continue;
      const float pct = static_cast<float>(100.0 * static_cast<double>(s.fs_used[i]) / denom);
      if (fullest < 0 || pct > worst) {
        fullest = static_cast<int>(i);
        worst = pct;
      }
    }
    if (limits_.fs_pct <= 0 || fullest < 0) {
      absent_now(AlertId::kFilesystem);
    } else {
      const bool was = firing(AlertId::kFilesystem);
      set(id, was ? worst > limits_.fs_pct - kPctHysteresis : worst > limits_.fs_pct, now);
      state_[id].value = worst;
      state_[id].limit = limits_.fs_pct;
      state_[id].which = static_cast<std::uint8_t>(fullest);
    }
  }

  // Memory: MemAvailable as a share of MemTotal.
  {
    const std::size_t id = static_cast<std::size_t>(AlertId::kMemory);
    if (limits_.mem_pct <= 0 || !s.mem_valid || s.mem_total == 0) {
      absent_now(AlertId::kMemory);
    } else {
      const float pct = static_cast<float>(100.0 * static_cast<double>(s.mem_avail) /
                                           static_cast<double>(s.mem_total));
      const bool was = firing(AlertId::kMemory);
      set(id, was ? pct < limits_.mem_pct + kPctHysteresis : pct < limits_.mem_pct, now);
      state_[id].value = pct;
      state_[id].limit = limits_.mem_pct;
    }
  }

  // Load: the 1-minute average above the core count, continuously for load_s seconds.
  {
    const std::size_t id = static_cast<std::size_t>(AlertId::kLoad);
    if (limits_.load_s == 0 || absent(s.load[0]) || board.cores <= 0) {
      absent_now(AlertId::kLoad);
      load_over_since_ms_ = -1;
    } else {
      const float cores = static_cast<float>(board.cores);
      const bool over = s.load[0] > cores;
      if (!over) {
        load_over_since_ms_ = -1;
      } else if (load_over_since_ms_ < 0 || now < load_over_since_ms_) {
        load_over_since_ms_ = now;  // (a clock stepped back restarts the wait)
      }
      const bool sustained =
          over && now - load_over_since_ms_ >= static_cast<std::int64_t>(limits_.load_s) * 1000;
      set(id, sustained || (over && firing(AlertId::kLoad)), now);
      state_[id].value = s.load[0];
      state_[id].limit = cores;
    }
  }

  for (std::size_t i = 0; i < kAlertCount; ++i) s.alerts[i] = state_[i];
}

}  // namespace sbcmon::sampler
