// One Engine.IO session as a state machine: its phase, its bounded outbound
// queue, its heartbeat and upgrade deadlines, and the reassembly buffers of a
// POST body and a websocket message. No sockets, no clock: time is an argument.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "config/config.h"
#include "engineio/frame.h"
#include "engineio/packet.h"
#include "engineio/sid.h"
#include "util/ring.h"

namespace sbcmon::engineio {

inline constexpr std::uint64_t kNever = UINT64_MAX;
// python-engineio rejects a polling payload of more than 16 packets.
inline constexpr std::size_t kMaxPacketsPerPoll = 16;

// kFree: an unused slot. kProbing: a websocket probe is attached, "2probe" not
// yet seen. kUpgrading: "3probe" answered, waiting for "5". kClosed: gone for
// the protocol, lingering only until its held poll has been answered.
enum class Phase : std::uint8_t { kFree, kPolling, kProbing, kUpgrading, kWebSocket, kClosed };

// A polling response body: nothing to send yet, text, or the v3 XHR2 binary form.
enum class Payload : std::uint8_t { kNone, kText, kBinary };

struct Limits {
  std::uint32_t ping_interval_ms = 25000;
  std::uint32_t ping_timeout_ms = 20000;
  std::uint32_t upgrade_timeout_ms = 10000;
  std::size_t max_payload = 1000000;
  std::size_t max_queue = 256;  // packets, <= config::kSessionQueueMax
};

struct Outgoing {
  PacketType type = PacketType::kNoop;
  bool binary = false;
  Buffer data;
};

// What fell due at a tick.
enum class Due : std::uint8_t { kNothing, kPing, kPingTimeout, kUpgradeTimeout };

class Session {
 public:
  using Queue = util::GrowingQueue<Outgoing, config::kSessionQueueMax>;
  static_assert(config::kSessionQueueMax >= 1, "a session queue needs room for one packet");

  // Starts the session at `now` on polling, or on a websocket from the start.
  // `binary_payload`: v3 without b64=1 (polling carries the XHR2 binary form).
  void open(Protocol protocol, bool websocket, bool binary_payload, std::uint64_t now,
            const Limits& limits);
  // Goes to kClosed: the queue and buffers are freed. `by_client`: the client
  // sent the close packet (a held poll then gets a noop, else a close packet).
  void close(bool by_client);
  // Back to kFree (the slot may be reused).
  void release() { phase_ = Phase::kFree; }

  Phase phase() const { return phase_; }
  Protocol protocol() const { return protocol_; }
  bool live() const { return phase_ != Phase::kFree && phase_ != Phase::kClosed; }

  // Queues one packet. False (nothing queued) when over the packet or byte cap.
  bool push(PacketType type, Buffer data, bool binary, const Limits& limits);
  std::size_t queued() const { return queue_.size(); }
  std::size_t queued_bytes() const { return queued_bytes_; }

  // The next polling response into `out` (replaced): up to kMaxPacketsPerPoll
  // packets and about maxPayload bytes; a noop while upgrading or upgraded; the
  // close answer once closed. kNone when there is nothing to say yet.
  Payload take_payload(std::string& out, const Limits& limits);
  // The next websocket packet into `out`: the probe's answer first (a pong
  // carrying `probe`), then queued packets once upgraded. False when there is none.
  bool take_frame(Outgoing& out, const Buffer& probe);

  // Heartbeat. v4: the server pings every pingInterval and expects a pong within
  // pingTimeout. v3: the client pings; it must do so within pingInterval + pingTimeout.
  void on_pong(std::uint64_t now, const Limits& limits);
  void on_client_ping(std::uint64_t now, const Limits& limits);
  // The earliest of the session's deadlines; kNever when it has none.
  std::uint64_t next_deadline() const;
  // Advances the deadlines that are <= now and says which one fell due (one per call).
  Due due(std::uint64_t now, const Limits& limits);

  // Upgrade. A probe websocket arrived: kPolling -> kProbing, with its deadline.
  void probe_attached(std::uint64_t now, const Limits& limits);
  // "2probe" on the probe: -> kUpgrading, "3probe" pending. False if not probing.
  bool probe_ping();
  // "5" on the probe: kUpgrading -> kWebSocket. False if not upgrading.
  bool upgrade();
  // The probe is gone (closed or timed out): back to kPolling.
  void probe_gone();

  // Reassembly; each returns false when the total would exceed `max`.
  bool append_body(std::string_view part, std::size_t max);
  bool append_message(std::string_view part, bool first, std::size_t max);
  std::string& body() { return body_; }
  std::string& message() { return message_; }

  // Which connections the session holds now (the engine keeps these true).
  bool has_get = false;
  bool has_post = false;
  bool has_ws = false;

  Sid sid{};
  std::array<char, 48> addr{};  // the client address (per-address limits, token back-off)
  std::size_t inbound_reserved = 0;  // bytes of body/message held against the memory budget
  std::uint8_t endpoint = 0;  // the engine's Endpoint
  std::uint32_t generation = 0;
  std::uint32_t live_pos = 0;  // the engine's place for it in its live list, while live()

 private:
  Outgoing pop();

  Phase phase_ = Phase::kFree;
  Protocol protocol_ = Protocol::kV4;
  bool binary_payload_ = false;
  bool closed_by_client_ = false;
  bool probe_reply_ = false;
  // A few slots, grown only while this client falls behind (and given back when
  // the session closes), never more than the cap.
  Queue queue_;
  std::size_t queued_bytes_ = 0;
  std::uint64_t ping_at_ = kNever;     // v4: next ping
  std::uint64_t pong_by_ = kNever;     // v4: pong due; v3: the client's next ping due
  std::uint64_t upgrade_by_ = kNever;  // probe must finish the upgrade by then
  std::string body_;
  std::string message_;
};

}  // namespace sbcmon::engineio
