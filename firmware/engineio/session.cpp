// One Engine.IO session: phase, queue, deadlines, reassembly (see session.h).
#include "engineio/session.h"

#include <algorithm>
#include <utility>

namespace sbcmon::engineio {

void Session::open(Protocol protocol, bool websocket, bool binary_payload, std::uint64_t now,
                   const Limits& limits) {
  queue_.reset();
  queued_bytes_ = 0;
  phase_ = websocket ? Phase::kWebSocket : Phase::kPolling;
  protocol_ = protocol;
  binary_payload_ = binary_payload && !websocket;
  closed_by_client_ = false;
  probe_reply_ = false;
  has_get = has_post = false;
  has_ws = websocket;
  upgrade_by_ = kNever;
  if (protocol == Protocol::kV4) {
    ping_at_ = now + limits.ping_interval_ms;
    pong_by_ = kNever;
  } else {
    ping_at_ = kNever;
    pong_by_ = now + limits.ping_interval_ms + limits.ping_timeout_ms;
  }
  body_.clear();
  message_.clear();
}

void Session::close(bool by_client) {
  phase_ = Phase::kClosed;
  closed_by_client_ = by_client;
  probe_reply_ = false;
  queue_.reset();
  queued_bytes_ = 0;
  ping_at_ = pong_by_ = upgrade_by_ = kNever;
  body_.clear();
  body_.shrink_to_fit();
  message_.clear();
  message_.shrink_to_fit();
}

bool Session::push(PacketType type, Buffer data, bool binary, const Limits& limits) {
  if (!live()) return false;
  const std::size_t size = data ? data->size() : 0;
  if (queue_.size() >= std::min(Queue::capacity(), limits.max_queue) ||
      queued_bytes_ + size > 4 * limits.max_payload + 65536) {
    return false;
  }
  queue_.try_push(Outgoing{type, binary, std::move(data)});
  queued_bytes_ += size;
  return true;
}

Outgoing Session::pop() {
  Outgoing out = queue_.pop_front();
  queued_bytes_ -= out.data ? out.data->size() : 0;
  return out;
}

Payload Session::take_payload(std::string& out, const Limits& limits) {
  out.clear();
  if (phase_ == Phase::kClosed) {
    const PacketType type = closed_by_client_ ? PacketType::kNoop : PacketType::kClose;
    append_payload_packet(out, protocol_, type, false, {}, true);
    return Payload::kText;
  }
  if (phase_ == Phase::kUpgrading || phase_ == Phase::kWebSocket) {
    append_payload_packet(out, protocol_, PacketType::kNoop, false, {}, true);
    return Payload::kText;
  }
  if (queued() == 0) return Payload::kNone;
  const std::size_t n_max = std::min(queued(), kMaxPacketsPerPoll);
  bool binary = false;
  if (binary_payload_) {
    for (std::size_t i = 0; i < n_max; ++i) binary = binary || queue_[i].binary;
  }
  bool first = true;
  for (std::size_t n = 0; n < n_max && out.size() < limits.max_payload; ++n) {
    const Outgoing o = pop();
    const std::string_view data = o.data ? o.data->payload() : std::string_view();
    if (binary) {
      append_binary_payload_packet(out, o.type, o.binary, data);
    } else {
      append_payload_packet(out, protocol_, o.type, o.binary, data, first);
    }
    first = false;
  }
  return binary ? Payload::kBinary : Payload::kText;
}

bool Session::take_frame(Outgoing& out, const Buffer& probe) {
  if (probe_reply_) {
    probe_reply_ = false;
    out = Outgoing{PacketType::kPong, false, probe};
    return true;
  }
  if (phase_ != Phase::kWebSocket || queued() == 0) return false;
  out = pop();
  return true;
}

void Session::on_pong(std::uint64_t now, const Limits& limits) {
  if (protocol_ != Protocol::kV4 || pong_by_ == kNever) return;
  pong_by_ = kNever;
  ping_at_ = now + limits.ping_interval_ms;
}

void Session::on_client_ping(std::uint64_t now, const Limits& limits) {
  if (protocol_ != Protocol::kV3) return;
  pong_by_ = now + limits.ping_interval_ms + limits.ping_timeout_ms;
}

std::uint64_t Session::next_deadline() const {
  if (!live()) return kNever;
  return std::min({ping_at_, pong_by_, upgrade_by_});
}

Due Session::due(std::uint64_t now, const Limits& limits) {
  if (!live()) return Due::kNothing;
  if (pong_by_ <= now) {
    pong_by_ = kNever;
    return Due::kPingTimeout;
  }
  if (upgrade_by_ <= now) {
    upgrade_by_ = kNever;
    return Due::kUpgradeTimeout;
  }
  if (ping_at_ <= now) {
    // From the deadline itself, so a late timer does not push the timeout later.
    pong_by_ = ping_at_ + limits.ping_timeout_ms;
    ping_at_ = kNever;
    return Due::kPing;
  }
  return Due::kNothing;
}

void Session::probe_attached(std::uint64_t now, const Limits& limits) {
  if (phase_ != Phase::kPolling) return;
  phase_ = Phase::kProbing;
  upgrade_by_ = now + limits.upgrade_timeout_ms;
}

bool Session::probe_ping() {
  if (phase_ != Phase::kProbing && phase_ != Phase::kUpgrading) return false;
  phase_ = Phase::kUpgrading;
  probe_reply_ = true;
  return true;
}

bool Session::upgrade() {
  if (phase_ != Phase::kUpgrading) return false;
  phase_ = Phase::kWebSocket;
  upgrade_by_ = kNever;
  binary_payload_ = false;
  return true;
}

void Session::probe_gone() {
  if (phase_ != Phase::kProbing && phase_ != Phase::kUpgrading) return;
  phase_ = Phase::kPolling;
  probe_reply_ = false;
  upgrade_by_ = kNever;
  message_.clear();
}

bool Session::append_body(std::string_view part, std::size_t max) {
  if (body_.size() + part.size() > max) return false;
  body_.append(part);
  return true;
}

bool Session::append_message(std::string_view part, bool first, std::size_t max) {
  if (first) message_.clear();
  if (message_.size() + part.size() > max) return false;
  message_.append(part);
  return true;
}

}  // namespace sbcmon::engineio
