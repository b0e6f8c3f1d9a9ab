// Socket.IO packet codec and JSON scanner (see packet.h). The scanner validates
// and finds boundaries only, so event arguments travel on byte-exact.
#include "socketio/packet.h"

namespace sbcmon::socketio {
namespace {

// 19 decimal digits always fit in 64 bits; longer ids are refused.
constexpr std::size_t kMaxIdDigits = 19;

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::size_t skip_ws(std::string_view s, std::size_t i) {
  while (i < s.size() && is_ws(s[i])) ++i;
  return i;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ws(s.back())) s.remove_suffix(1);
  return s;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::size_t> scan_string(std::string_view s, std::size_t i) {
  if (i >= s.size() || s[i] != '"') return std::nullopt;
  ++i;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '"') return i + 1;
    if (static_cast<unsigned char>(c) < 0x20) return std::nullopt;
    if (c == '\\') {
      if (i + 1 >= s.size()) return std::nullopt;
      const char e = s[i + 1];
      if (e == 'u') {
        if (i + 6 > s.size()) return std::nullopt;
        for (std::size_t k = 2; k < 6; ++k) {
          if (hex_value(s[i + k]) < 0) return std::nullopt;
        }
        i += 6;
        continue;
      }
      if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' && e != 't') {
        return std::nullopt;
      }
      i += 2;
      continue;
    }
    ++i;
  }
  return std::nullopt;
}

std::optional<std::size_t> scan_number(std::string_view s, std::size_t i) {
  if (i < s.size() && s[i] == '-') ++i;
  if (i >= s.size()) return std::nullopt;
  if (s[i] == '0') {
    ++i;
  } else if (s[i] >= '1' && s[i] <= '9') {
    while (i < s.size() && is_digit(s[i])) ++i;
  } else {
    return std::nullopt;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (i >= s.size() || !is_digit(s[i])) return std::nullopt;
    while (i < s.size() && is_digit(s[i])) ++i;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (i >= s.size() || !is_digit(s[i])) return std::nullopt;
    while (i < s.size() && is_digit(s[i])) ++i;
  }
  return i;
}

std::optional<std::size_t> scan_value(std::string_view s, std::size_t i, int depth) {
  if (depth > kMaxJsonDepth) return std::nullopt;
  i = skip_ws(s, i);
  if (i >= s.size()) return std::nullopt;
  const char c = s[i];
  if (c == '"') return scan_string(s, i);
  if (c == '-' || is_digit(c)) return scan_number(s, i);
  for (std::string_view lit : {std::string_view("true"), std::string_view("false"), std::string_view("null")}) {
    if (s.substr(i, lit.size()) == lit) return i + lit.size();
  }
  if (c != '[' && c != '{') return std::nullopt;
  const char close = c == '[' ? ']' : '}';
  i = skip_ws(s, i + 1);
  if (i < s.size() && s[i] == close) return i + 1;
  for (;;) {
    if (close == '}') {
      const auto key_end = scan_string(s, skip_ws(s, i));
      if (!key_end) return std::nullopt;
      i = skip_ws(s, *key_end);
      if (i >= s.size() || s[i] != ':') return std::nullopt;
      ++i;
    }
    const auto end = scan_value(s, i, depth + 1);
    if (!end) return std::nullopt;
    i = skip_ws(s, *end);
    if (i >= s.size()) return std::nullopt;
    if (s[i] == close) return i + 1;
    if (s[i] != ',') return std::nullopt;
    ++i;
  }
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::uint32_t hex4(std::string_view s) {
  std::uint32_t v = 0;
  for (char c : s) v = (v << 4) | static_cast<std::uint32_t>(hex_value(c));
  return v;
}

std::string percent_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out.push_back(' ');
    } else if (in[i] == '%' && i + 2 < in.size() && hex_value(in[i + 1]) >= 0 && hex_value(in[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2])));
      i += 2;
    } else {
      // A stray '%' is kept as is, like the lenient reference decoder.
      out.push_back(in[i]);
    }
  }
  return out;
}

}  // namespace

std::optional<std::size_t> scan_json_value(std::string_view in, std::size_t pos) {
  return scan_value(in, pos, 0);
}

bool is_json(std::string_view in) {
  const auto end = scan_value(in, 0, 0);
  return end && skip_ws(in, *end) == in.size();
}

bool is_json_object(std::string_view payload) {
  payload = trim(payload);
  return !payload.empty() && payload.front() == '{' && is_json(payload);
}

std::optional<Header> decode_header(std::string_view in) {
  if (in.empty() || in[0] < '0' || in[0] > '6') return std::nullopt;
  Header h;
  h.type = static_cast<PacketType>(in[0] - '0');
  std::size_t i = 1;
  if (h.type == PacketType::kBinaryEvent || h.type == PacketType::kBinaryAck) {
    std::size_t n = 0;
    std::size_t digits = 0;
    while (i < in.size() && is_digit(in[i])) {
      n = n * 10 + static_cast<std::size_t>(in[i] - '0');
      if (++digits > 3 || n > kMaxAttachments) return std::nullopt;
      ++i;
    }
    if (digits == 0 || i >= in.size() || in[i] != '-') return std::nullopt;
    ++i;
    h.attachments = n;
  }
  if (i < in.size() && in[i] == '/') {
    const std::size_t comma = in.find(',', i);
    if (comma == std::string_view::npos) {
      h.nsp = in.substr(i);
      i = in.size();
    } else {
      h.nsp = in.substr(i, comma - i);
      i = comma + 1;
    }
  }
  if (i < in.size() && is_digit(in[i])) {
    std::uint64_t id = 0;
    std::size_t digits = 0;
    while (i < in.size() && is_digit(in[i])) {
      if (++digits > kMaxIdDigits) return std::nullopt;
      id = id * 10 + static_cast<std::uint64_t>(in[i] - '0');
      ++i;
    }
    h.id = id;
  }
  h.payload = in.substr(i);
  if (!h.payload.empty() && !is_json(h.payload)) return std::nullopt;
  return h;
}

void append_header(std::string& out, PacketType type, std::size_t attachments, std::string_view nsp,
                   std::optional<std::uint64_t> id) {
  out.push_back(static_cast<char>('0' + static_cast<int>(type)));
  if (type == PacketType::kBinaryEvent || type == PacketType::kBinaryAck) {
    out.append(std::to_string(attachments));
    out.push_back('-');
  }
  if (!nsp.empty() && nsp != "/") {
    out.append(nsp);
    out.push_back(',');
  }
  if (id) out.append(std::to_string(*id));
}

std::optional<EventParts> split_event(std::string_view payload) {
  payload = trim(payload);
  if (payload.empty() || payload.front() != '[' || !is_json(payload)) return std::nullopt;
  const std::size_t name_start = skip_ws(payload, 1);
  const auto name_end = scan_string(payload, name_start);
  if (!name_end) return std::nullopt;
  EventParts parts;
  parts.name_token = payload.substr(name_start, *name_end - name_start);
  const std::size_t after = skip_ws(payload, *name_end);
  // The array validated, so after the name there is either ']' or ',' + values + ']'.
  if (payload[after] == ',') {
    parts.args = trim(payload.substr(after + 1, payload.size() - 1 - (after + 1)));
  }
  return parts;
}

std::optional<std::string_view> split_ack(std::string_view payload) {
  payload = trim(payload);
  if (payload.empty() || payload.front() != '[' || !is_json(payload)) return std::nullopt;
  return trim(payload.substr(1, payload.size() - 2));
}

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (u < 0x20) {
          out += "\\u00";
          out.push_back(kHex[u >> 4]);
          out.push_back(kHex[u & 15]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

bool unescape_json_string(std::string_view token, std::string& out) {
  const auto end = scan_string(token, 0);
  if (!end || *end != token.size()) return false;
  out.clear();
  const std::string_view s = token.substr(1, token.size() - 2);
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out.push_back(s[i]);
      continue;
    }
    const char e = s[++i];
    switch (e) {
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'u': {
        std::uint32_t cp = hex4(s.substr(i + 1, 4));
        i += 4;
        // A high surrogate followed by an escaped low one is one code point; a lone
        // surrogate becomes U+FFFD, as a UTF-8 encoder would do.
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 < s.size() && s[i + 1] == '\\' && s[i + 2] == 'u') {
          const std::uint32_t lo = hex4(s.substr(i + 3, 4));
          if (lo >= 0xDC00 && lo <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            i += 6;
          }
        }
        if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
        append_utf8(out, cp);
        break;
      }
      default: out.push_back(e); break;  // '"', '\\', '/'
    }
  }
  return true;
}

std::string query_to_json(std::string_view query) {
  if (query.empty()) return {};
  std::string out = "{";
  bool first = true;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    const std::string_view key = pair.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    if (!first) out.push_back(',');
    first = false;
    append_json_string(out, percent_decode(key));
    out.push_back(':');
    append_json_string(out, percent_decode(value));
  }
  out.push_back('}');
  return out;
}

}  // namespace sbcmon::socketio
