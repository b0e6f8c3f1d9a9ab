// Engine.IO v3/v4 packet and payload codecs (see packet.h for the contracts).
// Lengths and indices are in bytes unless a name says "units" (UTF-16 code units).
#include "engineio/packet.h"

#include <array>

namespace sbcmon::engineio {
namespace {

constexpr char kRecordSeparator = '\x1e';
// v3 length prefixes and binary-form lengths: more digits than this cannot be a
// real payload (maxPayload is at most 10^8) and would overflow the arithmetic.
constexpr std::size_t kMaxLengthDigits = 10;

constexpr char kB64Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> make_b64_table() {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(kB64Alphabet[i])] = static_cast<std::int8_t>(i);
  return t;
}
constexpr auto kB64Table = make_b64_table();

std::optional<PacketType> type_from_digit(char c) {
  if (c < '0' || c > '6') return std::nullopt;
  return static_cast<PacketType>(c - '0');
}

char digit_of(PacketType t) { return static_cast<char>('0' + static_cast<int>(t)); }

// Length of the UTF-8 sequence starting at s[i] and its UTF-16 units; an invalid
// byte is a sequence of one byte counting one unit (the documented rule).
struct Utf8Step {
  std::size_t bytes;
  std::size_t units;
};
Utf8Step utf8_step(std::string_view s, std::size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  std::size_t n = 0;
  if (b < 0x80) return {1, 1};
  if (b >= 0xC2 && b <= 0xDF) n = 2;
  else if (b >= 0xE0 && b <= 0xEF) n = 3;
  else if (b >= 0xF0 && b <= 0xF4) n = 4;
  else return {1, 1};
  if (i + n > s.size()) return {1, 1};
  for (std::size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return {1, 1};
  }
  return {n, n == 4 ? std::size_t{2} : std::size_t{1}};
}

// True when `in` is base64 that base64_decode accepts (no decoding done).
bool base64_valid(std::string_view in) {
  std::size_t pad = 0;
  while (!in.empty() && in.back() == '=' && pad < 2) {
    in.remove_suffix(1);
    ++pad;
  }
  if (in.size() % 4 == 1) return false;
  if (pad != 0 && (in.size() + pad) % 4 != 0) return false;
  for (char c : in) {
    if (kB64Table[static_cast<unsigned char>(c)] < 0) return false;
  }
  return true;
}

}  // namespace

std::optional<Packet> decode_text_packet(std::string_view in) {
  if (in.empty()) return std::nullopt;
  const auto type = type_from_digit(in[0]);
  if (!type) return std::nullopt;
  return Packet{*type, false, in.substr(1)};
}

std::optional<Packet> decode_binary_frame(std::string_view in, Protocol proto) {
  if (proto == Protocol::kV4) return Packet{PacketType::kMessage, true, in};
  if (in.empty() || static_cast<unsigned char>(in[0]) > 6) return std::nullopt;
  return Packet{static_cast<PacketType>(in[0]), true, in.substr(1)};
}

std::size_t utf16_length(std::string_view utf8) {
  std::size_t units = 0;
  for (std::size_t i = 0; i < utf8.size();) {
    const Utf8Step st = utf8_step(utf8, i);
    i += st.bytes;
    units += st.units;
  }
  return units;
}

void base64_encode(std::string_view in, std::string& out) {
  out.reserve(out.size() + (in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const std::uint32_t v = (static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << 16) |
                            (static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8) |
                            static_cast<unsigned char>(in[i + 2]);
    out.push_back(kB64Alphabet[(v >> 18) & 63]);
    out.push_back(kB64Alphabet[(v >> 12) & 63]);
    out.push_back(kB64Alphabet[(v >> 6) & 63]);
    out.push_back(kB64Alphabet[v & 63]);
  }
  const std::size_t rest = in.size() - i;
  if (rest == 0) return;
  std::uint32_t v = static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << 16;
  if (rest == 2) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8;
  out.push_back(kB64Alphabet[(v >> 18) & 63]);
  out.push_back(kB64Alphabet[(v >> 12) & 63]);
  out.push_back(rest == 2 ? kB64Alphabet[(v >> 6) & 63] : '=');
  out.push_back('=');
}

bool base64_decode(std::string_view in, std::string& out) {
  if (!base64_valid(in)) return false;
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  out.reserve(out.size() + in.size() / 4 * 3 + 2);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    acc = (acc << 6) | static_cast<std::uint32_t>(kB64Table[static_cast<unsigned char>(c)]);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return true;
}

void append_text_packet(std::string& out, PacketType type, std::string_view data) {
  out.push_back(digit_of(type));
  out.append(data);
}

void append_payload_packet(std::string& out, Protocol proto, PacketType type, bool binary,
                           std::string_view data, bool first) {
  if (proto == Protocol::kV4) {
    if (!first) out.push_back(kRecordSeparator);
    if (binary) {
      // v4 has only binary *messages*; the type is implied.
      out.push_back('b');
      base64_encode(data, out);
    } else {
      append_text_packet(out, type, data);
    }
    return;
  }
  // v3: "<units>:<packet>"; the prefix is computed without building the packet twice.
  const std::size_t units = binary ? 2 + (data.size() + 2) / 3 * 4 : 1 + utf16_length(data);
  out.append(std::to_string(units));
  out.push_back(':');
  if (binary) {
    out.push_back('b');
    out.push_back(digit_of(type));
    base64_encode(data, out);
  } else {
    append_text_packet(out, type, data);
  }
}

void append_binary_payload_packet(std::string& out, PacketType type, bool binary,
                                  std::string_view data) {
  // <0|1><length as digit bytes 0-9>0xFF<packet>; the length counts the packet's bytes.
  const std::size_t size = 1 + data.size();
  out.push_back(binary ? '\x01' : '\x00');
  for (char d : std::to_string(size)) out.push_back(static_cast<char>(d - '0'));
  out.push_back('\xff');
  if (binary) {
    out.push_back(static_cast<char>(type));
  } else {
    out.push_back(digit_of(type));
  }
  out.append(data);
}

std::string open_json(std::string_view sid, bool upgrades_websocket, std::uint32_t ping_interval_ms,
                      std::uint32_t ping_timeout_ms, std::size_t max_payload) {
  std::string out = "{\"sid\":\"";
  for (char c : sid) {
    // Sids are base64url; escaping keeps the JSON valid even if a caller passes other text.
    if (c == '"' || c == '\\') out.push_back('\\');
    if (static_cast<unsigned char>(c) >= 0x20) out.push_back(c);
  }
  out += upgrades_websocket ? "\",\"upgrades\":[\"websocket\"]" : "\",\"upgrades\":[]";
  out += ",\"pingInterval\":" + std::to_string(ping_interval_ms);
  out += ",\"pingTimeout\":" + std::to_string(ping_timeout_ms);
  out += ",\"maxPayload\":" + std::to_string(max_payload);
  out.push_back('}');
  return out;
}

std::string_view error_json(ErrorCode code) {
  switch (code) {
    case ErrorCode::kUnknownTransport: return R"({"code":0,"message":"Transport unknown"})";
    case ErrorCode::kUnknownSid: return R"({"code":1,"message":"Session ID unknown"})";
    case ErrorCode::kBadHandshakeMethod: return R"({"code":2,"message":"Bad handshake method"})";
    case ErrorCode::kBadRequest: return R"({"code":3,"message":"Bad request"})";
    case ErrorCode::kForbidden: return R"({"code":4,"message":"Forbidden"})";
    case ErrorCode::kUnsupportedProtocolVersion:
      return R"({"code":5,"message":"Unsupported protocol version"})";
  }
  return R"({"code":3,"message":"Bad request"})";
}

int error_http_status(ErrorCode code) { return code == ErrorCode::kForbidden ? 403 : 400; }

namespace detail {

PayloadCursor::PayloadCursor(std::string_view body, Protocol proto, bool validate_only)
    : body_(body), proto_(proto), validate_only_(validate_only) {
  // The v3 binary payload form starts with a 0x00 (string) or 0x01 (binary) marker;
  // the text form starts with a length digit.
  v3_binary_form_ = proto == Protocol::kV3 && !body.empty() &&
                    (body[0] == '\x00' || body[0] == '\x01');
  failed_ = body.empty();
}

PayloadCursor::Step PayloadCursor::next(Packet& out, std::string& scratch) {
  if (failed_) return Step::kError;
  if (pos_ >= body_.size()) return Step::kEnd;
  Step st;
  if (proto_ == Protocol::kV4) st = next_v4(out, scratch);
  else if (v3_binary_form_) st = next_v3_binary(out);
  else st = next_v3_text(out, scratch);
  if (st == Step::kError) failed_ = true;
  return st;
}

PayloadCursor::Step PayloadCursor::next_v4(Packet& out, std::string& scratch) {
  std::size_t end = body_.find(kRecordSeparator, pos_);
  const bool last = end == std::string_view::npos;
  if (last) end = body_.size();
  const std::string_view item = body_.substr(pos_, end - pos_);
  // A trailing separator would leave an empty item; that is malformed, not "done".
  pos_ = last ? body_.size() : end + 1;
  if (!last && pos_ == body_.size()) return Step::kError;
  if (!item.empty() && item[0] == 'b') {
    const std::string_view b64 = item.substr(1);
    if (validate_only_) {
      if (!base64_valid(b64)) return Step::kError;
      out = Packet{PacketType::kMessage, true, {}};
      return Step::kPacket;
    }
    scratch.clear();
    if (!base64_decode(b64, scratch)) return Step::kError;
    out = Packet{PacketType::kMessage, true, scratch};
    return Step::kPacket;
  }
  const auto p = decode_text_packet(item);
  if (!p) return Step::kError;
  out = *p;
  return Step::kPacket;
}

PayloadCursor::Step PayloadCursor::next_v3_text(Packet& out, std::string& scratch) {
  std::size_t units = 0;
  std::size_t digits = 0;
  while (pos_ < body_.size() && body_[pos_] >= '0' && body_[pos_] <= '9') {
    if (++digits > kMaxLengthDigits) return Step::kError;
    units = units * 10 + static_cast<std::size_t>(body_[pos_] - '0');
    ++pos_;
  }
  if (digits == 0 || pos_ >= body_.size() || body_[pos_] != ':' || units == 0) return Step::kError;
  ++pos_;
  const std::size_t start = pos_;
  std::size_t seen = 0;
  while (seen < units) {
    if (pos_ >= body_.size()) return Step::kError;
    const Utf8Step st = utf8_step(body_, pos_);
    seen += st.units;
    pos_ += st.bytes;
  }
  // A prefix that ends inside a surrogate pair cannot be honoured in UTF-8.
  if (seen != units) return Step::kError;
  const std::string_view item = body_.substr(start, pos_ - start);
  if (item[0] == 'b') {
    if (item.size() < 2) return Step::kError;
    const auto type = type_from_digit(item[1]);
    if (!type) return Step::kError;
    const std::string_view b64 = item.substr(2);
    if (validate_only_) {
      if (!base64_valid(b64)) return Step::kError;
      out = Packet{*type, true, {}};
      return Step::kPacket;
    }
    scratch.clear();
    if (!base64_decode(b64, scratch)) return Step::kError;
    out = Packet{*type, true, scratch};
    return Step::kPacket;
  }
  const auto p = decode_text_packet(item);
  if (!p) return Step::kError;
  out = *p;
  return Step::kPacket;
}

PayloadCursor::Step PayloadCursor::next_v3_binary(Packet& out) {
  const char marker = body_[pos_++];
  if (marker != '\x00' && marker != '\x01') return Step::kError;
  std::size_t len = 0;
  std::size_t digits = 0;
  for (;;) {
    if (pos_ >= body_.size()) return Step::kError;
    const auto b = static_cast<unsigned char>(body_[pos_++]);
    if (b == 0xFF) break;
    // Each length digit is a byte holding 0..9, not an ASCII digit.
    if (b > 9 || ++digits > kMaxLengthDigits) return Step::kError;
    len = len * 10 + b;
  }
  // Lengths here count bytes (the packet is already UTF-8 encoded on the wire).
  if (digits == 0 || len == 0 || len > body_.size() - pos_) return Step::kError;
  const std::string_view item = body_.substr(pos_, len);
  pos_ += len;
  const auto p = marker == '\x00' ? decode_text_packet(item) : decode_binary_frame(item, Protocol::kV3);
  if (!p) return Step::kError;
  out = *p;
  return Step::kPacket;
}

}  // namespace detail
}  // namespace sbcmon::engineio
