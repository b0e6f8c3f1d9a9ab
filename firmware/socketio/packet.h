// Socket.IO packet codec (protocol v5 and v4) and a small JSON scanner. Pure: no
// I/O, no cJSON in this header. Decoders return views into the caller's buffer;
// std::nullopt / false means malformed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sbcmon::socketio {

enum class PacketType : std::uint8_t {
  kConnect = 0, kDisconnect = 1, kEvent = 2, kAck = 3, kConnectError = 4,
  kBinaryEvent = 5, kBinaryAck = 6,
};

// Most binary attachments one packet may announce; more is treated as malformed
// so a client cannot make the server hold an unbounded number of buffers.
inline constexpr std::size_t kMaxAttachments = 16;
// Deepest JSON nesting the scanner follows (it recurses).
inline constexpr int kMaxJsonDepth = 64;

// A decoded packet header: "<type>[<n>-][<nsp>,][<id>][<payload>]".
struct Header {
  PacketType type = PacketType::kConnect;
  std::size_t attachments = 0;   // binary types only
  std::string_view nsp = "/";    // as sent, query included ("/nsp?token=x" from v4 clients)
  std::optional<std::uint64_t> id;
  std::string_view payload;      // raw JSON ("" when absent); validated
};

// Decodes one text packet. Checks the header and that the payload is one valid
// JSON value; not yet whether it suits the type (see the split_* helpers).
std::optional<Header> decode_header(std::string_view in);

// Appends "<type>[<n>-][<nsp>,][<id>]" to `out` ("/" is written as nothing).
void append_header(std::string& out, PacketType type, std::size_t attachments, std::string_view nsp,
                   std::optional<std::uint64_t> id);

// Index just past the JSON value starting at `pos` (leading whitespace skipped),
// or nullopt if there is no valid value there.
std::optional<std::size_t> scan_json_value(std::string_view in, std::size_t pos);

// True when `in` is exactly one JSON value, optionally surrounded by whitespace.
bool is_json(std::string_view in);

// The parts of an EVENT payload ["name",a,b]: `name_token` is the name's JSON
// string token (quotes included), `args` the raw text "a,b" ("" for none).
// nullopt unless the payload is an array whose first element is a string.
struct EventParts {
  std::string_view name_token;
  std::string_view args;
};
std::optional<EventParts> split_event(std::string_view payload);

// The inside of an ACK payload "[a,b]" -> "a,b"; nullopt unless a JSON array.
std::optional<std::string_view> split_ack(std::string_view payload);

// True when `payload` is a JSON object ("{...}", whitespace allowed around).
bool is_json_object(std::string_view payload);

// Appends `text` as a JSON string literal (quotes added, escapes as needed).
void append_json_string(std::string& out, std::string_view text);

// Decodes a JSON string token (quotes included) to UTF-8. False if not a string.
bool unescape_json_string(std::string_view token, std::string& out);

// Turns a v4 namespace query "token=x&a=b" into {"token":"x","a":"b"}
// (percent-decoding and '+' as space). "" for an empty query.
std::string query_to_json(std::string_view query);

}  // namespace sbcmon::socketio
