// Unit tests for the Engine.IO codecs, query parsing and session ids: byte-exact
// v3/v4 wire forms, as the reference clients produce and expect them.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "engineio/packet.h"
#include "engineio/query.h"
#include "engineio/sid.h"

namespace eio = sbcmon::engineio;
using eio::PacketType;
using eio::Protocol;

namespace {

struct Got {
  PacketType type;
  bool binary;
  std::string data;
  bool operator==(const Got& o) const { return type == o.type && binary == o.binary && data == o.data; }
};

std::ostream& operator<<(std::ostream& os, const Got& g) {
  return os << "{" << static_cast<int>(g.type) << (g.binary ? " bin " : " txt ") << g.data << "}";
}

// Decodes a whole payload; nullopt-like empty vector plus `ok` false on error.
std::vector<Got> decode(std::string_view body, Protocol proto, bool* ok) {
  std::vector<Got> out;
  std::string scratch;
  *ok = eio::for_each_payload_packet(body, proto, scratch, [&](const eio::Packet& p) {
    out.push_back({p.type, p.binary, std::string(p.data)});
    return true;
  });
  return out;
}

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}

}  // namespace

TEST(EngineIoPacket, DecodesTextPackets) {
  auto p = eio::decode_text_packet("4hello");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->type, PacketType::kMessage);
  EXPECT_FALSE(p->binary);
  EXPECT_EQ(p->data, "hello");
  p = eio::decode_text_packet("2probe");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->type, PacketType::kPing);
  EXPECT_EQ(p->data, "probe");
  p = eio::decode_text_packet("6");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->type, PacketType::kNoop);
  EXPECT_EQ(p->data, "");
}

TEST(EngineIoPacket, RejectsBadTextPackets) {
  EXPECT_FALSE(eio::decode_text_packet(""));
  EXPECT_FALSE(eio::decode_text_packet("7x"));
  EXPECT_FALSE(eio::decode_text_packet("bAQID"));
  EXPECT_FALSE(eio::decode_text_packet("x"));
}

TEST(EngineIoPacket, BinaryFrameV4IsWholeMessage) {
  const std::string frame = bytes({1, 2, 3, 0});
  auto p = eio::decode_binary_frame(frame, Protocol::kV4);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->type, PacketType::kMessage);
  EXPECT_TRUE(p->binary);
  EXPECT_EQ(p->data, frame);
}

TEST(EngineIoPacket, BinaryFrameV3CarriesTypeByte) {
  const std::string frame = bytes({4, 1, 2, 3});  // the view must outlive the packet
  auto p = eio::decode_binary_frame(frame, Protocol::kV3);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->type, PacketType::kMessage);
  EXPECT_TRUE(p->binary);
  EXPECT_EQ(p->data, bytes({1, 2, 3}));
  EXPECT_FALSE(eio::decode_binary_frame("", Protocol::kV3));
  EXPECT_FALSE(eio::decode_binary_frame(bytes({7, 1}), Protocol::kV3));
  EXPECT_FALSE(eio::decode_binary_frame("4abc", Protocol::kV3));  // ASCII '4' is not type 4
}

TEST(EngineIoPayloadV4, DecodesTextUtf8AndBase64Binary) {
  bool ok = false;
  const auto got = decode("4test1\x1e" "4h\xc3\xa9llo \xf0\x9f\x98\x80\x1e" "bAQIDBA==\x1e" "4test3", Protocol::kV4, &ok);
  ASSERT_TRUE(ok);
  const std::vector<Got> want = {{PacketType::kMessage, false, "test1"},
                                 {PacketType::kMessage, false, "h\xc3\xa9llo \xf0\x9f\x98\x80"},
                                 {PacketType::kMessage, true, bytes({1, 2, 3, 4})},
                                 {PacketType::kMessage, false, "test3"}};
  EXPECT_EQ(got, want);
}

TEST(EngineIoPayloadV4, MalformedBodyDeliversNothing) {
  for (std::string_view body : {std::string_view("4ok\x1ezzz"), std::string_view(""),
                                std::string_view("4a\x1e"), std::string_view("\x1e" "4a"),
                                std::string_view("4a\x1e\x1e" "4b"), std::string_view("b!!!!"),
                                std::string_view("bAQ="), std::string_view("bA"), std::string_view("abc")}) {
    bool ok = true;
    const auto got = decode(body, Protocol::kV4, &ok);
    EXPECT_FALSE(ok) << "body: " << body;
    EXPECT_TRUE(got.empty()) << "body: " << body;
  }
}

TEST(EngineIoPayloadV4, CallbackCanStop) {
  std::string scratch;
  int calls = 0;
  EXPECT_TRUE(eio::for_each_payload_packet("4a\x1e" "4b\x1e" "4c", Protocol::kV4, scratch,
                                           [&](const eio::Packet&) { return ++calls < 2; }));
  EXPECT_EQ(calls, 2);
}

TEST(EngineIoPayloadV4, EncodesSeparatorsAndBase64) {
  std::string out;
  eio::append_payload_packet(out, Protocol::kV4, PacketType::kMessage, false, "hello", true);
  eio::append_payload_packet(out, Protocol::kV4, PacketType::kMessage, true, bytes({1, 2, 3, 4}), false);
  eio::append_payload_packet(out, Protocol::kV4, PacketType::kPing, false, "", false);
  EXPECT_EQ(out, "4hello\x1e" "bAQIDBA==\x1e" "2");
}

TEST(EngineIoPayloadV3, DecodesLengthPrefixedItems) {
  bool ok = false;
  const auto got = decode("6:4test16:4test26:4test3", Protocol::kV3, &ok);
  ASSERT_TRUE(ok);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[2], (Got{PacketType::kMessage, false, "test3"}));
}

TEST(EngineIoPayloadV3, LengthCountsUtf16UnitsEmojiIsTwo) {
  // "4😀" is 3 UTF-16 units (5 bytes); "4héllo😀" is 8 units (11 bytes).
  bool ok = false;
  const std::string body = "3:4\xf0\x9f\x98\x80" "8:4h\xc3\xa9llo\xf0\x9f\x98\x80";
  const auto got = decode(body, Protocol::kV3, &ok);
  ASSERT_TRUE(ok);
  const std::vector<Got> want = {{PacketType::kMessage, false, "\xf0\x9f\x98\x80"},
                                 {PacketType::kMessage, false, "h\xc3\xa9llo\xf0\x9f\x98\x80"}};
  EXPECT_EQ(got, want);
  // Byte counts instead of unit counts must not parse.
  EXPECT_FALSE((decode("5:4\xf0\x9f\x98\x80", Protocol::kV3, &ok), ok));
}

TEST(EngineIoPayloadV3, Base64BinaryB4) {
  bool ok = false;
  const auto got = decode("6:4hello10:b4AQIDBA==", Protocol::kV3, &ok);
  ASSERT_TRUE(ok);
  const std::vector<Got> want = {{PacketType::kMessage, false, "hello"},
                                 {PacketType::kMessage, true, bytes({1, 2, 3, 4})}};
  EXPECT_EQ(got, want);
}

TEST(EngineIoPayloadV3, RejectsMalformed) {
  for (std::string_view body :
       {std::string_view("2:4\xf0\x9f\x98\x80"),  // prefix ends inside a surrogate pair
        std::string_view("5:4abc"), std::string_view(":4a"), std::string_view("0:"),
        std::string_view("abc"), std::string_view("3:4ab7:"), std::string_view("1:9"),
        std::string_view("1:b"), std::string_view("5:b4A!A"), std::string_view("4:4ab"),
        std::string_view("99999999999:4")}) {
    bool ok = true;
    const auto got = decode(body, Protocol::kV3, &ok);
    EXPECT_FALSE(ok) << "body: " << body;
    EXPECT_TRUE(got.empty()) << "body: " << body;
  }
}

TEST(EngineIoPayloadV3, BinaryPayloadForm) {
  // 0x00 <digits as bytes> 0xff <string packet>, 0x01 <digits> 0xff <type byte + bytes>.
  std::string body = bytes({0x00, 6, 0xff});
  body += "4hello";
  body += bytes({0x01, 5, 0xff, 4, 1, 2, 3, 4});
  body += bytes({0x00, 1, 2, 0xff});
  body += "4" + std::string(11, 'x');
  bool ok = false;
  const auto got = decode(body, Protocol::kV3, &ok);
  ASSERT_TRUE(ok);
  const std::vector<Got> want = {{PacketType::kMessage, false, "hello"},
                                 {PacketType::kMessage, true, bytes({1, 2, 3, 4})},
                                 {PacketType::kMessage, false, std::string(11, 'x')}};
  EXPECT_EQ(got, want);
}

TEST(EngineIoPayloadV3, BinaryPayloadFormRejectsMalformed) {
  for (const std::string& body : {bytes({0x00, 6}), bytes({0x00, 9, 0xff, '4', 'a'}), bytes({0x00, 0xff}),
                                  bytes({0x00, 10, 0xff, '4'}), bytes({0x01, 1, 0xff, 9}),
                                  bytes({0x00, 2, 0xff, '4', 'a', 0x02, 1, 0xff, '4'})}) {
    bool ok = true;
    const auto got = decode(body, Protocol::kV3, &ok);
    EXPECT_FALSE(ok);
    EXPECT_TRUE(got.empty());
  }
}

TEST(EngineIoPayloadV3, EncodesUnitLengthsAndB4) {
  std::string out;
  eio::append_payload_packet(out, Protocol::kV3, PacketType::kMessage, false, "\xf0\x9f\x98\x80", true);
  eio::append_payload_packet(out, Protocol::kV3, PacketType::kMessage, false, "h\xc3\xa9llo\xf0\x9f\x98\x80", false);
  eio::append_payload_packet(out, Protocol::kV3, PacketType::kMessage, true, bytes({1, 2, 3, 4}), false);
  eio::append_payload_packet(out, Protocol::kV3, PacketType::kPong, false, "", false);
  EXPECT_EQ(out, "3:4\xf0\x9f\x98\x80" "8:4h\xc3\xa9llo\xf0\x9f\x98\x80" "10:b4AQIDBA==" "1:3");
  bool ok = false;
  const auto back = decode(out, Protocol::kV3, &ok);
  ASSERT_TRUE(ok);
  ASSERT_EQ(back.size(), 4u);
  EXPECT_EQ(back[2], (Got{PacketType::kMessage, true, bytes({1, 2, 3, 4})}));
}

TEST(EngineIoPacket, TextFrameEncoding) {
  std::string out;
  eio::append_text_packet(out, PacketType::kPong, "probe");
  EXPECT_EQ(out, "3probe");
}

TEST(EngineIoPacket, Utf16Length) {
  EXPECT_EQ(eio::utf16_length(""), 0u);
  EXPECT_EQ(eio::utf16_length("abc"), 3u);
  EXPECT_EQ(eio::utf16_length("h\xc3\xa9llo\xf0\x9f\x98\x80"), 7u);
  EXPECT_EQ(eio::utf16_length("\xe2\x82\xac"), 1u);  // euro sign: BMP, one unit
  EXPECT_EQ(eio::utf16_length("\xff"), 1u);
  EXPECT_EQ(eio::utf16_length("a\xf0\x9f"), 3u);  // truncated sequence: bytes count one each
}

TEST(EngineIoBase64, Rfc4648Vectors) {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}, {bytes({0xfb, 0xff}), "+/8="}};
  for (const auto& [plain, enc] : vectors) {
    std::string out;
    eio::base64_encode(plain, out);
    EXPECT_EQ(out, enc);
    std::string dec;
    ASSERT_TRUE(eio::base64_decode(enc, dec)) << enc;
    EXPECT_EQ(dec, plain);
  }
}

TEST(EngineIoBase64, RejectsBadInput) {
  std::string out;
  EXPECT_FALSE(eio::base64_decode("Zg=", out));
  EXPECT_FALSE(eio::base64_decode("Z", out));
  EXPECT_FALSE(eio::base64_decode("Zm9v!", out));
  EXPECT_FALSE(eio::base64_decode("Zm-_", out));  // base64url is not accepted here
  EXPECT_FALSE(eio::base64_decode("Zg===", out));
}

TEST(EngineIoOpen, JsonHasExactlyTheFiveKeys) {
  EXPECT_EQ(eio::open_json("abcdefghijklmnopqrst", true, 25000, 20000, 1000000),
            R"({"sid":"abcdefghijklmnopqrst","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000})");
  EXPECT_EQ(eio::open_json("x", false, 300, 200, 1024),
            R"({"sid":"x","upgrades":[],"pingInterval":300,"pingTimeout":200,"maxPayload":1024})");
}

TEST(EngineIoErrors, ReferenceServerStrings) {
  using eio::ErrorCode;
  EXPECT_EQ(eio::error_json(ErrorCode::kUnknownTransport), R"({"code":0,"message":"Transport unknown"})");
  EXPECT_EQ(eio::error_json(ErrorCode::kUnknownSid), R"({"code":1,"message":"Session ID unknown"})");
  EXPECT_EQ(eio::error_json(ErrorCode::kBadHandshakeMethod), R"({"code":2,"message":"Bad handshake method"})");
  EXPECT_EQ(eio::error_json(ErrorCode::kBadRequest), R"({"code":3,"message":"Bad request"})");
  EXPECT_EQ(eio::error_json(ErrorCode::kForbidden), R"({"code":4,"message":"Forbidden"})");
  EXPECT_EQ(eio::error_json(ErrorCode::kUnsupportedProtocolVersion),
            R"({"code":5,"message":"Unsupported protocol version"})");
  EXPECT_EQ(eio::error_http_status(ErrorCode::kForbidden), 403);
  EXPECT_EQ(eio::error_http_status(ErrorCode::kUnknownSid), 400);
  EXPECT_EQ(eio::error_http_status(ErrorCode::kUnsupportedProtocolVersion), 400);
}

TEST(EngineIoQuery, ParsesHandshakeAndSession) {
  auto q = eio::parse_query("EIO=4&transport=polling&t=N8hyd6w");
  EXPECT_EQ(q.protocol, Protocol::kV4);
  EXPECT_EQ(q.transport, eio::Transport::kPolling);
  EXPECT_TRUE(q.sid.empty());
  EXPECT_FALSE(q.b64);
  q = eio::parse_query("transport=websocket&EIO=3&sid=abc_-123&b64=1");
  EXPECT_EQ(q.protocol, Protocol::kV3);
  EXPECT_EQ(q.transport, eio::Transport::kWebSocket);
  EXPECT_EQ(q.sid, "abc_-123");
  EXPECT_TRUE(q.b64);
}

TEST(EngineIoQuery, ProtocolMustBeExactly3Or4) {
  for (std::string_view s : {"EIO=5", "EIO=04", "EIO=", "EIO", "EIO=4x", "transport=polling", "eio=4", ""}) {
    EXPECT_FALSE(eio::parse_query(s).protocol) << s;
  }
}

TEST(EngineIoQuery, UnknownTransportKeepsRawValue) {
  auto q = eio::parse_query("EIO=4&transport=flash");
  EXPECT_FALSE(q.transport);
  EXPECT_EQ(q.transport_raw, "flash");
  EXPECT_FALSE(eio::parse_query("EIO=4").transport);
  EXPECT_FALSE(eio::parse_query("EIO=4&b64=").b64);
}

TEST(EngineIoQuery, ParamLookup) {
  EXPECT_EQ(eio::query_param("a=1&b=2&a=3", "a"), std::optional<std::string_view>("1"));
  EXPECT_EQ(eio::query_param("a=1&flag&b=2", "flag"), std::optional<std::string_view>(""));
  EXPECT_FALSE(eio::query_param("a=1&ab=2", "b"));
}

TEST(EngineIoSid, TwentyUrlSafeCharsAndDistinct) {
  eio::SidGenerator gen;
  ASSERT_TRUE(gen.ok());
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    eio::Sid sid;
    ASSERT_TRUE(gen.next(sid));
    const std::string s(eio::view(sid));
    ASSERT_EQ(s.size(), 20u);
    for (char c : s) {
      const bool url_safe = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                            c == '-' || c == '_';
      ASSERT_TRUE(url_safe) << s;
    }
    seen.insert(s);
  }
  EXPECT_EQ(seen.size(), 2000u);
}
