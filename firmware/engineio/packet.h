// Engine.IO packet and payload codecs, protocol v4 and v3. Pure: no I/O, no lws.
// Decoders return views into the caller's buffer; base64 binary is decoded into
// caller-owned storage. One convention: std::nullopt / false means malformed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sbcmon::engineio {

enum class Protocol : std::uint8_t { kV3 = 3, kV4 = 4 };

enum class PacketType : std::uint8_t {
  kOpen = 0, kClose = 1, kPing = 2, kPong = 3, kMessage = 4, kUpgrade = 5, kNoop = 6,
};

// One decoded packet. For text packets `data` views the input after the type
// digit; for binary packets it is the raw bytes (after base64 decoding when the
// packet arrived as "b..."; then it views `Decoder`-owned storage, see below).
struct Packet {
  PacketType type = PacketType::kNoop;
  bool binary = false;
  std::string_view data;
};

// Decodes a WebSocket text frame or one polling item ("4hello", "2probe").
// Returns nullopt for an empty input or an unknown type digit.
std::optional<Packet> decode_text_packet(std::string_view in);

// Decodes a WebSocket binary frame. v4: the whole frame is a binary message.
// v3: the first byte is the packet type (0..6), the rest is the data.
std::optional<Packet> decode_binary_frame(std::string_view in, Protocol proto);

// Calls `fn(const Packet&)` for each packet of a polling POST body, in order.
// v4: items separated by '\x1e'; an item "b<base64>" is a binary message.
// v3: "<len>:<packet>" items where len counts UTF-16 code units; "b4<base64>"
// is a binary message. Also accepts the v3 binary payload form (a body whose
// first byte is 0x00 or 0x01). `scratch` holds decoded base64 bytes; packets
// passed to `fn` are valid only during the call. `fn` returns false to stop.
// The whole body is validated first: returns false if it is malformed, having
// delivered nothing; an empty body is malformed.
template <typename Fn>
bool for_each_payload_packet(std::string_view body, Protocol proto, std::string& scratch, Fn&& fn);

// Appends one packet in polling form to `out`, adding the separator/length
// prefix the protocol needs. `first` tells whether it is the first of the payload.
// Binary data is sent base64 ("b<base64>" in v4, "b4<base64>" in v3).
void append_payload_packet(std::string& out, Protocol proto, PacketType type, bool binary,
                           std::string_view data, bool first);

// Appends one packet in the v3 XHR2 binary payload form (used when a v3 client
// did not ask for b64=1 and the payload carries binary): a string packet as
// 0x00, its length as digit bytes, 0xFF, "<digit><data>"; a binary one as 0x01,
// the length, 0xFF, the type byte and the raw data.
void append_binary_payload_packet(std::string& out, PacketType type, bool binary,
                                  std::string_view data);

// Appends a packet in WebSocket text form ("<digit><data>") to `out`.
void append_text_packet(std::string& out, PacketType type, std::string_view data);

// Number of UTF-16 code units in UTF-8 text (v3 length prefixes). Invalid
// UTF-8 bytes count one unit each.
std::size_t utf16_length(std::string_view utf8);

// Standard base64 (with padding). decode returns false on bad input.
void base64_encode(std::string_view in, std::string& out);
bool base64_decode(std::string_view in, std::string& out);

// The open packet's JSON: exactly sid, upgrades, pingInterval, pingTimeout, maxPayload.
// `upgrades_websocket`: whether "websocket" is offered (false on a websocket handshake).
std::string open_json(std::string_view sid, bool upgrades_websocket, std::uint32_t ping_interval_ms,
                      std::uint32_t ping_timeout_ms, std::size_t max_payload);

// Reference-server error codes, sent as HTTP 400 (403 for kForbidden) with
// {"code":N,"message":"..."}.
enum class ErrorCode : int {
  kUnknownTransport = 0, kUnknownSid = 1, kBadHandshakeMethod = 2, kBadRequest = 3,
  kForbidden = 4, kUnsupportedProtocolVersion = 5,
};
std::string_view error_json(ErrorCode code);
int error_http_status(ErrorCode code);

}  // namespace sbcmon::engineio

#include "engineio/packet_impl.h"
