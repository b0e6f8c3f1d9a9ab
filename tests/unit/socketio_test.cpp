// Unit tests for the Socket.IO codec and Server: v5 (Engine.IO v4) and v4
// (Engine.IO v3) framing, checked on the packets the Server hands to the wire.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "socketio/packet.h"
#include "socketio/server.h"

namespace sio = sbcmon::socketio;
using sbcmon::engineio::Protocol;
using sio::SessionHandle;

namespace {

// Records what the Server puts on the wire. A test double for the Engine.IO
// layer; `close_now` makes close() call on_close synchronously, as a real
// engine may, to exercise re-entrancy.
class FakeLink : public sio::EngineLink {
 public:
  struct Sent {
    SessionHandle session;
    sio::Buffer packet;
    bool binary;
  };
  bool send(SessionHandle session, sio::Buffer packet, bool binary) override {
    sent.push_back({session, std::move(packet), binary});
    return true;
  }
  void close(SessionHandle session) override {
    closed.push_back(session);
    if (close_now && server) server->on_close(session);
  }
  // Text packets sent to `session`, in order; binary ones shown as "<bin:hex>".
  std::vector<std::string> to(SessionHandle session) const {
    std::vector<std::string> out;
    for (const auto& s : sent) {
      if (s.session != session) continue;
      if (!s.binary) {
        out.emplace_back(s.packet->payload());
        continue;
      }
      std::string hex = "<bin:";
      static constexpr char kHex[] = "0123456789abcdef";
      for (unsigned char c : s.packet->payload()) {
        hex.push_back(kHex[c >> 4]);
        hex.push_back(kHex[c & 15]);
      }
      out.push_back(hex + ">");
    }
    return out;
  }
  bool was_closed(SessionHandle session) const {
    for (auto c : closed) {
      if (c == session) return true;
    }
    return false;
  }
  std::vector<Sent> sent;
  std::vector<SessionHandle> closed;
  bool close_now = true;
  sio::Server* server = nullptr;
};

struct Recorded {
  sio::SocketId socket;
  std::string name;
  std::string args;
  std::vector<std::string> attachments;
  std::optional<std::uint64_t> ack_id;
};

class ServerTest : public ::testing::Test {
 protected:
  ServerTest() : server(link, sio::ServerOptions{45000, {}}) { link.server = &server; }

  // Registers "/" and "/test", recording everything their handlers see.
  void add_default_namespaces() {
    root = *server.add_namespace("/", handlers());
    test = *server.add_namespace("/test", handlers());
  }

  sio::NamespaceHandlers handlers() {
    sio::NamespaceHandlers h;
    h.authorize = [this](sio::SocketId, std::string_view auth) {
      auths.emplace_back(auth);
      return allow;
    };
    h.on_connect = [this](sio::SocketId id, std::string_view) { connects.push_back(id); };
    h.on_disconnect = [this](sio::SocketId id) { disconnects.push_back(id); };
    h.on_event = [this](const sio::Event& ev) {
      Recorded r{ev.socket, std::string(ev.name), std::string(ev.args), {}, ev.ack_id};
      for (std::size_t i = 0; i < ev.attachments.count; ++i) r.attachments.emplace_back(ev.attachments.items[i]);
      events.push_back(r);
    };
    return h;
  }

  // Opens a v5 session and joins `nsp`; returns the CONNECT reply.
  std::string join_v5(SessionHandle h, std::string_view connect_packet) {
    server.on_open(h, Protocol::kV4, 0);
    const std::size_t before = link.to(h).size();
    server.on_message(h, connect_packet, false);
    const auto got = link.to(h);
    return got.size() > before ? got[before] : "<nothing>";
  }

  FakeLink link;
  sio::Server server;
  std::uint16_t root = 0;
  std::uint16_t test = 0;
  bool allow = true;
  std::vector<std::string> auths;
  std::vector<sio::SocketId> connects;
  std::vector<sio::SocketId> disconnects;
  std::vector<Recorded> events;
};

// Checks `packet` is prefix + {"sid":"<20 url-safe chars>"} and returns the sid.
std::string expect_sid_reply(const std::string& packet, const std::string& prefix) {
  EXPECT_EQ(packet.substr(0, prefix.size()), prefix) << packet;
  const std::string rest = packet.substr(prefix.size());
  EXPECT_EQ(rest.size(), std::string(R"({"sid":""})").size() + 20) << packet;
  EXPECT_EQ(rest.substr(0, 8), R"({"sid":")");
  EXPECT_EQ(rest.substr(rest.size() - 2), R"("})");
  const std::string sid = rest.size() > 10 ? rest.substr(8, rest.size() - 10) : "";
  for (char c : sid) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << sid;
  return sid;
}

}  // namespace

// --- codec -------------------------------------------------------------------

TEST(SocketIoCodec, DecodesFullHeader) {
  auto h = sio::decode_header(R"(2/admin,12["a",1])");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->type, sio::PacketType::kEvent);
  EXPECT_EQ(h->nsp, "/admin");
  EXPECT_EQ(h->id, std::optional<std::uint64_t>(12));
  EXPECT_EQ(h->payload, R"(["a",1])");
  h = sio::decode_header(R"(52-/x,3["b",{"_placeholder":true,"num":0}])");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->type, sio::PacketType::kBinaryEvent);
  EXPECT_EQ(h->attachments, 2u);
  EXPECT_EQ(h->nsp, "/x");
  EXPECT_EQ(h->id, std::optional<std::uint64_t>(3));
  h = sio::decode_header("0");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->nsp, "/");
  EXPECT_FALSE(h->id);
  EXPECT_EQ(h->payload, "");
  h = sio::decode_header("0/chat?token=a%20b,");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->nsp, "/chat?token=a%20b");
  h = sio::decode_header("1/chat");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->nsp, "/chat");
}

TEST(SocketIoCodec, RejectsBadHeaders) {
  for (std::string_view bad : {"", "7", "x", R"(5-["a"])", R"(5x-["a"])", R"(51["a"])", R"(2["a")", "2/x,abc",
                               R"(2abc["a"])", R"(299999999999999999999["a"])", R"(599-["a"])", "4{"}) {
    EXPECT_FALSE(sio::decode_header(bad)) << bad;
  }
}

TEST(SocketIoCodec, EncodesHeaders) {
  std::string out;
  sio::append_header(out, sio::PacketType::kBinaryAck, 2, "/nsp", 7);
  EXPECT_EQ(out, "62-/nsp,7");
  out.clear();
  sio::append_header(out, sio::PacketType::kEvent, 0, "/", std::nullopt);
  EXPECT_EQ(out, "2");
}

TEST(SocketIoCodec, JsonScanner) {
  for (std::string_view ok : {"1", "-0.5", "1e10", "2.5E-3", "\"a\\\"b\\u00e9\"", "true", "null", "[]", "{}",
                              " [1, {\"a\": [true, false, null]}, \"x,]\"] ", "\"h\xc3\xa9llo\""}) {
    EXPECT_TRUE(sio::is_json(ok)) << ok;
  }
  for (std::string_view bad : {"", "01", "1.", "-", ".5", "tru", "[1,]", "{\"a\"}", "{a:1}", "[1 2]", "\"a",
                               "\"\\x\"", "\"\\u12g4\"", "[1]]", "\"tab\there\"", "{\"a\":1,}", "nul"}) {
    EXPECT_FALSE(sio::is_json(bad)) << bad;
  }
  EXPECT_TRUE(sio::is_json(std::string(64, '[') + std::string(64, ']')));
  EXPECT_FALSE(sio::is_json(std::string(100, '[') + std::string(100, ']')));  // too deep: refused, no overflow
}

TEST(SocketIoCodec, SplitsEventByteExact) {
  auto e = sio::split_event(R"(["ev",{"a":[1,2]},"x,y]",-0.5,null])");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->name_token, R"("ev")");
  EXPECT_EQ(e->args, R"({"a":[1,2]},"x,y]",-0.5,null)");
  e = sio::split_event(R"(["only"])");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->args, "");
  for (std::string_view bad : {"[1]", "{}", "[]", "\"ev\"", R"(["ev")"}) EXPECT_FALSE(sio::split_event(bad)) << bad;
  EXPECT_EQ(sio::split_ack("[1,\"2\"]"), std::optional<std::string_view>("1,\"2\""));
  EXPECT_EQ(sio::split_ack("[]"), std::optional<std::string_view>(""));
  EXPECT_FALSE(sio::split_ack("{}"));
}

TEST(SocketIoCodec, StringsAndQueries) {
  std::string out;
  sio::append_json_string(out, "a\"b\\c\n\x01");
  EXPECT_EQ(out, R"("a\"b\\c\n\u0001")");
  std::string plain;
  ASSERT_TRUE(sio::unescape_json_string(R"("a\"b\u00e9\ud83d\ude00\/")", plain));
  EXPECT_EQ(plain, "a\"b\xc3\xa9\xf0\x9f\x98\x80/");
  EXPECT_FALSE(sio::unescape_json_string("abc", plain));
  EXPECT_EQ(sio::query_to_json("token=a%20b&n=1+2&flag"), R"({"token":"a b","n":"1 2","flag":""})");
  EXPECT_EQ(sio::query_to_json(""), "");
}

// --- Server, Socket.IO v5 over Engine.IO v4 ------------------------------------

TEST_F(ServerTest, V5ConnectRootAnswersWithSidOnly) {
  add_default_namespaces();
  server.on_open(1, Protocol::kV4, 0);
  EXPECT_TRUE(link.to(1).empty()) << "v5 sessions wait for the client's CONNECT";
  server.on_message(1, "0", false);
  ASSERT_EQ(link.to(1).size(), 1u);
  expect_sid_reply(link.to(1)[0], "0");
  ASSERT_EQ(auths.size(), 1u);
  EXPECT_EQ(auths[0], "");
  ASSERT_EQ(connects.size(), 1u);
  EXPECT_EQ(connects[0], (sio::SocketId{1, root}));
  EXPECT_EQ(server.connected(root), 1u);
}

TEST_F(ServerTest, V5ConnectWithAuthAndDistinctSids) {
  add_default_namespaces();
  const std::string a = expect_sid_reply(join_v5(1, R"(0/test,{"token":"abc","n":[1,{"x":null}]})"), "0/test,");
  EXPECT_EQ(auths.back(), R"({"token":"abc","n":[1,{"x":null}]})");
  server.on_message(1, "0", false);
  const std::string b = expect_sid_reply(link.to(1).back(), "0");
  EXPECT_NE(a, b);
}

TEST_F(ServerTest, V5RefusalAndInvalidNamespace) {
  add_default_namespaces();
  allow = false;
  EXPECT_EQ(join_v5(1, "0/test,"), R"(4/test,{"message":"unauthorized"})");
  EXPECT_EQ(server.connected(test), 0u);
  EXPECT_TRUE(connects.empty());
  allow = true;
  EXPECT_EQ(join_v5(2, "0/nope,"), R"(4/nope,{"message":"Invalid namespace"})");
  EXPECT_FALSE(link.was_closed(2)) << "a refused CONNECT leaves the session open for another try";
  server.on_message(2, "0/test,", false);
  expect_sid_reply(link.to(2).back(), "0/test,");
}

TEST_F(ServerTest, V5RootNotRegisteredIsInvalidNamespace) {
  test = *server.add_namespace("/test", handlers());
  EXPECT_EQ(join_v5(1, "0"), R"(4{"message":"Invalid namespace"})");
}

TEST_F(ServerTest, V5CustomRefusalMessageIsEscaped) {
  auto h = handlers();
  h.refusal = "bad \"token\"";
  test = *server.add_namespace("/test", std::move(h));
  allow = false;
  EXPECT_EQ(join_v5(1, "0/test,"), R"(4/test,{"message":"bad \"token\""})");
}

TEST_F(ServerTest, V5EventsArriveByteExact) {
  add_default_namespaces();
  join_v5(1, "0/test,");
  server.on_message(1, "2/test,[\"my event\",1,\"2\",{\"3\":[true]},\"h\xc3\xa9llo\",-0.5,null]", false);
  server.on_message(1, R"(2/test,7["ping"])", false);
  server.on_message(1, R"(2/test,["a\"b"])", false);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].socket, (sio::SocketId{1, test}));
  EXPECT_EQ(events[0].name, "my event");
  EXPECT_EQ(events[0].args, "1,\"2\",{\"3\":[true]},\"h\xc3\xa9llo\",-0.5,null");
  EXPECT_FALSE(events[0].ack_id);
  EXPECT_EQ(events[1].name, "ping");
  EXPECT_EQ(events[1].args, "");
  EXPECT_EQ(events[1].ack_id, std::optional<std::uint64_t>(7));
  EXPECT_EQ(events[2].name, "a\"b");
}

TEST_F(ServerTest, V5EmitAndAckFraming) {
  add_default_namespaces();
  join_v5(1, "0");
  join_v5(2, "0/test,");
  EXPECT_TRUE(server.emit({1, root}, "server_response", R"({"cpu":[1.5,2]})"));
  EXPECT_TRUE(server.emit({2, test}, "server_response", ""));
  EXPECT_TRUE(server.ack({2, test}, 456, R"(1,"2",{"3":[false]})"));
  EXPECT_TRUE(server.ack({2, test}, 0, ""));
  EXPECT_EQ(link.to(1).back(), R"(2["server_response",{"cpu":[1.5,2]}])");
  const auto got = link.to(2);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[1], R"(2/test,["server_response"])");
  EXPECT_EQ(got[2], R"(3/test,456[1,"2",{"3":[false]}])");
  EXPECT_EQ(got[3], "3/test,0[]");
  EXPECT_FALSE(server.emit({2, root}, "x", "")) << "session 2 never joined /";
  EXPECT_FALSE(server.emit({9, root}, "x", ""));
}

TEST_F(ServerTest, V5ServerAcksRunOnceAndOldestIsForgotten) {
  add_default_namespaces();
  join_v5(1, "0/test,");
  std::vector<std::string> answers;
  ASSERT_TRUE(server.emit_with_ack({1, test}, "q", "1", [&](std::string_view a) { answers.emplace_back(a); }));
  EXPECT_EQ(link.to(1).back(), R"(2/test,0["q",1])");
  server.on_message(1, R"(3/test,0["answer",2])", false);
  server.on_message(1, R"(3/test,0["again"])", false);  // a second answer is ignored
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0], R"("answer",2)");
  // Fill past the cap: ids 1..17; id 1 is the oldest and gets forgotten.
  for (std::size_t i = 0; i < sio::Server::kMaxPendingAcks + 1; ++i) {
    server.emit_with_ack({1, test}, "q", "", [&, i](std::string_view) { answers.push_back("cb" + std::to_string(i)); });
  }
  server.on_message(1, "3/test,1[]", false);
  server.on_message(1, "3/test,17[]", false);
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers[1], "cb16");
  EXPECT_FALSE(link.was_closed(1));
}

TEST_F(ServerTest, V5BinaryEventCollectsAttachments) {
  add_default_namespaces();
  join_v5(1, "0/test,");
  server.on_message(1, R"(52-/test,9["up",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])", false);
  server.on_message(1, std::string("\x01\x02", 2), true);
  EXPECT_TRUE(events.empty()) << "delivered before all attachments arrived";
  server.on_message(1, std::string("\x00\xff", 2), true);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].name, "up");
  EXPECT_EQ(events[0].args, R"({"_placeholder":true,"num":0},{"_placeholder":true,"num":1})");
  ASSERT_EQ(events[0].attachments.size(), 2u);
  EXPECT_EQ(events[0].attachments[0], std::string("\x01\x02", 2));
  EXPECT_EQ(events[0].attachments[1], std::string("\x00\xff", 2));
  EXPECT_EQ(events[0].ack_id, std::optional<std::uint64_t>(9));
  // After reconstruction, plain text packets flow again.
  server.on_message(1, R"(2/test,["next"])", false);
  EXPECT_EQ(events.size(), 2u);
  EXPECT_FALSE(link.was_closed(1));
}

TEST_F(ServerTest, V5BinaryAckReachesCallback) {
  add_default_namespaces();
  join_v5(1, "0/test,");
  std::string got;
  server.emit_with_ack({1, test}, "q", "", [&](std::string_view a) { got = a; });
  server.on_message(1, R"(61-/test,0[{"_placeholder":true,"num":0}])", false);
  EXPECT_EQ(got, "");
  server.on_message(1, "\x07", true);
  EXPECT_EQ(got, R"({"_placeholder":true,"num":0})");
}

TEST_F(ServerTest, V5EmitsBinaryWithAttachmentsAfterHeader) {
  add_default_namespaces();
  join_v5(1, "0/test,");
  const std::string_view parts[] = {std::string_view("\x01\x02\x03", 3), std::string_view("\x04", 1)};
  EXPECT_TRUE(server.emit({1, test}, "bin", R"({"_placeholder":true,"num":0},{"_placeholder":true,"num":1})",
                          sio::Attachments{parts, 2}));
  EXPECT_TRUE(server.ack({1, test}, 5, R"({"_placeholder":true,"num":0})", sio::Attachments{parts, 1}));
  const auto got = link.to(1);
  ASSERT_EQ(got.size(), 6u);
  EXPECT_EQ(got[1], R"(52-/test,["bin",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
  EXPECT_EQ(got[2], "<bin:010203>");
  EXPECT_EQ(got[3], "<bin:04>");
  EXPECT_EQ(got[4], R"(61-/test,5[{"_placeholder":true,"num":0}])");
  EXPECT_EQ(got[5], "<bin:010203>");
}

TEST_F(ServerTest, BroadcastEncodesOnceAndReachesOnlyThatNamespace) {
  add_default_namespaces();
  for (SessionHandle h : {1u, 2u, 3u}) join_v5(h, "0/test,");
  join_v5(4, "0");
  server.on_open(5, Protocol::kV3, 0);  // a v4 client joined to /test shares the same framing
  server.on_message(5, "0/test,", false);
  link.sent.clear();
  EXPECT_EQ(server.broadcast(test, "server_response", R"({"data":[12.5,3]})"), 4u);
  ASSERT_EQ(link.sent.size(), 4u);
  for (const auto& s : link.sent) {
    EXPECT_EQ(s.packet.get(), link.sent[0].packet.get()) << "each send must share the one encoded buffer";
    EXPECT_NE(s.session, 4u);
    EXPECT_FALSE(s.binary);
  }
  EXPECT_EQ(link.sent[0].packet->payload(), R"(2/test,["server_response",{"data":[12.5,3]}])");
  EXPECT_EQ(server.broadcast(root, "x", ""), 2u);  // session 4 and the implicit v4 join of 5
  EXPECT_EQ(server.broadcast(7, "x", ""), 0u);
}

TEST_F(ServerTest, ConnectTimeoutClosesOnlyUnjoinedSessions) {
  add_default_namespaces();
  server.on_open(1, Protocol::kV4, 1000);
  server.on_open(2, Protocol::kV4, 1000);
  server.on_message(2, "0", false);
  server.on_open(3, Protocol::kV3, 1000);
  server.tick(1000 + 44999);
  EXPECT_TRUE(link.closed.empty());
  server.tick(1000 + 45000);
  EXPECT_EQ(link.closed, (std::vector<SessionHandle>{1}));
  server.tick(1000 + 90000);
  EXPECT_EQ(link.closed, (std::vector<SessionHandle>{1}));
}

TEST_F(ServerTest, TheConnectTimeoutIsTheOnlyDeadlineAndJoiningClearsIt) {
  add_default_namespaces();
  EXPECT_EQ(server.next_deadline(), sio::kNoDeadline);
  server.on_open(1, Protocol::kV4, 3000);
  server.on_open(2, Protocol::kV4, 1000);
  // The engine's loop sleeps until the earliest one: no periodic sweep.
  EXPECT_EQ(server.next_deadline(), 1000u + 45000);
  server.on_message(2, "0", false);
  EXPECT_EQ(server.next_deadline(), 3000u + 45000);
  server.on_message(1, "0", false);
  EXPECT_EQ(server.next_deadline(), sio::kNoDeadline);
  server.tick(3000 + 45000);
  EXPECT_TRUE(link.closed.empty());
}

// Sends that close sessions on the way (the slow-client policy, the memory
// budget closing another session) must not make a broadcast skip or repeat anyone.
TEST_F(ServerTest, BroadcastReachesEachLiveSessionOnceWhileSendsCloseOthers) {
  struct ClosingLink : FakeLink {
    bool armed = false;
    bool send(SessionHandle session, sio::Buffer packet, bool binary) override {
      FakeLink::send(session, packet, binary);
      if (!armed) return true;
      if (session == 5 && server) server->on_close(1);  // the budget evicts another
      if (session == 2) {
        if (server) server->on_close(2);  // this one fell behind
        return false;
      }
      return true;
    }
  };
  ClosingLink closing;
  sio::Server s2(closing, sio::ServerOptions{45000, {}});
  closing.server = &s2;
  const auto root2 = *s2.add_namespace("/", handlers());
  for (SessionHandle h = 1; h <= 6; ++h) {
    s2.on_open(h, Protocol::kV4, 0);
    s2.on_message(h, "0", false);
  }
  s2.on_close(3);  // a hole in the middle of the table
  closing.sent.clear();
  closing.armed = true;
  const std::size_t got = s2.broadcast(root2, "sample", "1");
  std::map<SessionHandle, int> per;
  for (const auto& m : closing.sent) ++per[m.session];
  EXPECT_EQ(per.count(3), 0u) << "a closed session gets nothing";
  EXPECT_EQ(per[2], 1);
  EXPECT_EQ(per[4], 1);
  EXPECT_EQ(per[5], 1);
  EXPECT_EQ(per[6], 1);
  EXPECT_LE(per[1], 1);  // reached before or closed before its turn, never twice
  EXPECT_EQ(got, 3u + static_cast<std::size_t>(per[1]));
  EXPECT_EQ(s2.connected(root2), 3u);  // 4, 5, 6
  // The freed slots are reused and the next broadcast sees exactly the live ones.
  s2.on_open(7, Protocol::kV4, 0);
  s2.on_message(7, "0", false);
  closing.armed = false;
  closing.sent.clear();
  EXPECT_EQ(s2.broadcast(root2, "sample", "2"), 4u);
  EXPECT_EQ(closing.sent.size(), 4u);
}

TEST_F(ServerTest, ConnectTimeoutWaitsForDeferredClose) {
  add_default_namespaces();
  link.close_now = false;  // the engine closes later; the server must not ask twice
  server.on_open(1, Protocol::kV4, 0);
  server.tick(50000);
  server.tick(60000);
  EXPECT_EQ(link.closed.size(), 1u);
  server.on_message(1, "0", false);
  EXPECT_EQ(link.to(1).size(), 0u) << "a closing session gets nothing more";
  server.on_close(1);
  server.on_open(1, Protocol::kV4, 70000);
  server.on_message(1, "0", false);
  EXPECT_EQ(link.to(1).size(), 1u);
}

TEST_F(ServerTest, MalformedPacketClosesOnlyThatSession) {
  add_default_namespaces();
  const std::vector<std::string> bad = {
      "9", "", "2/test,[1]", "2/test,{}", R"(2/test,["a")", "3/test,[1]", R"(4{"message":"x"})", "1/test,{}",
      R"(2/test,["a"]garbage)", R"(2/test,abc["a"])", "0/test,[1]", "0/test,", R"(2["a"])", "1",
      R"(2/nope,["a"])", R"(51-/test,["a",{"_placeholder":true,"num":0}])"};
  SessionHandle h = 100;
  for (const auto& packet : bad) {
    ++h;
    join_v5(h, "0/test,");
    ASSERT_FALSE(link.was_closed(h));
    server.on_message(h, packet, false);
    if (packet.rfind("51-", 0) == 0) server.on_message(h, "2/test,[\"text instead of binary\"]", false);
    EXPECT_TRUE(link.was_closed(h)) << "not closed by: " << packet;
  }
  // An unexpected binary message.
  join_v5(200, "0/test,");
  server.on_message(200, "\x01", true);
  EXPECT_TRUE(link.was_closed(200));
  // Every close ran on_close, which disconnected the socket; a good session is untouched.
  EXPECT_EQ(server.connected(test), 0u);
  join_v5(300, "0/test,");
  const std::size_t before = events.size();
  server.on_message(300, R"(2/test,["ok"])", false);
  EXPECT_EQ(events.size(), before + 1);
  EXPECT_FALSE(link.was_closed(300));
  EXPECT_EQ(server.broadcast(test, "x", ""), 1u);
}

TEST_F(ServerTest, DisconnectBothWays) {
  add_default_namespaces();
  join_v5(1, "0");
  server.on_message(1, "0/test,", false);
  server.on_message(1, "1/test,", false);
  ASSERT_EQ(disconnects.size(), 1u);
  EXPECT_EQ(disconnects[0], (sio::SocketId{1, test}));
  EXPECT_EQ(server.connected(test), 0u);
  EXPECT_EQ(server.connected(root), 1u);
  EXPECT_FALSE(server.emit({1, test}, "x", ""));
  EXPECT_FALSE(link.was_closed(1));
  // Joining again after DISCONNECT gets a new sid.
  server.on_message(1, "0/test,", false);
  expect_sid_reply(link.to(1).back(), "0/test,");
  server.disconnect({1, test});
  EXPECT_EQ(link.to(1).back(), "1/test,");
  EXPECT_EQ(disconnects.size(), 2u);
  server.disconnect({1, root});
  EXPECT_EQ(link.to(1).back(), "1");
  EXPECT_EQ(server.connected(root), 0u);
}

TEST_F(ServerTest, CloseDisconnectsEverySocketOfTheSession) {
  add_default_namespaces();
  join_v5(1, "0");
  server.on_message(1, "0/test,", false);
  join_v5(2, "0/test,");
  server.on_close(1);
  EXPECT_EQ(disconnects.size(), 2u);
  EXPECT_EQ(server.connected(root), 0u);
  EXPECT_EQ(server.connected(test), 1u);
  server.on_message(1, R"(2/test,["ghost"])", false);
  EXPECT_TRUE(events.empty());
}

TEST_F(ServerTest, HandlerMayCloseOrEmitFromInsideCallbacks) {
  auto h = handlers();
  h.on_connect = [this](sio::SocketId id, std::string_view) { server.emit(id, "auth", "{}"); };
  h.on_event = [this](const sio::Event& ev) {
    if (ev.name == "bye") link.close(ev.socket.session);
    else server.emit(ev.socket, "echo", ev.args);
  };
  test = *server.add_namespace("/test", std::move(h));
  join_v5(1, "0/test,");
  EXPECT_EQ(link.to(1).back(), R"(2/test,["auth",{}])");
  server.on_message(1, R"(2/test,["hi",1])", false);
  EXPECT_EQ(link.to(1).back(), R"(2/test,["echo",1])");
  server.on_message(1, R"(51-/test,["bye",{"_placeholder":true,"num":0}])", false);
  server.on_message(1, "\x01", true);
  EXPECT_TRUE(link.was_closed(1));
  EXPECT_EQ(server.connected(test), 0u);
}

// A session holds one socket per registered namespace: one registered after it opened
// can still be joined, and all of them are left on close.
TEST_F(ServerTest, NamespaceRegisteredWhileASessionIsOpenCanBeJoined) {
  root = *server.add_namespace("/", handlers());
  join_v5(1, "0");
  std::uint16_t late = 0;
  for (int i = 0; i < 6; ++i) late = *server.add_namespace("/late" + std::to_string(i), handlers());
  server.on_message(1, "0/late5,", false);
  expect_sid_reply(link.to(1).back(), "0/late5,");
  EXPECT_EQ(server.connected(late), 1u);
  server.on_message(1, R"(2/late5,["hi"])", false);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].socket, (sio::SocketId{1, late}));
  server.on_close(1);
  EXPECT_EQ(disconnects.size(), 2u) << "both sockets left";
  EXPECT_EQ(server.connected(late), 0u);
}

// The attachment list is made per binary packet: a second one, with more parts, after a
// first is reassembled as a whole.
TEST_F(ServerTest, SecondBinaryEventWithMorePartsIsWhole) {
  add_default_namespaces();
  join_v5(1, "0/test,");
  server.on_message(1, R"(51-/test,["a",{"_placeholder":true,"num":0}])", false);
  server.on_message(1, std::string("x"), true);
  server.on_message(1, R"(53-/test,["b",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1},{"_placeholder":true,"num":2}])", false);
  for (const char* part : {"p0", "p1", "p2"}) server.on_message(1, std::string(part), true);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].attachments, (std::vector<std::string>{"p0", "p1", "p2"}));
  EXPECT_FALSE(link.was_closed(1));
}

TEST_F(ServerTest, NamespaceTableIsBounded) {
  EXPECT_FALSE(server.add_namespace("test", {}));
  EXPECT_FALSE(server.add_namespace("/a,b", {}));
  EXPECT_FALSE(server.add_namespace("/a?b", {}));
  ASSERT_TRUE(server.add_namespace("/", {}));
  EXPECT_FALSE(server.add_namespace("/", {}));
  for (std::size_t i = 1; i < sio::Server::kMaxNamespaces; ++i) {
    EXPECT_TRUE(server.add_namespace("/n" + std::to_string(i), {}));
  }
  EXPECT_FALSE(server.add_namespace("/one-too-many", {}));
}

// --- Server, Socket.IO v4 over Engine.IO v3 -------------------------------------

TEST_F(ServerTest, V4RootJoinedOnOpen) {
  add_default_namespaces();
  server.on_open(1, Protocol::kV3, 0);
  EXPECT_EQ(link.to(1), (std::vector<std::string>{"0"}));
  ASSERT_EQ(connects.size(), 1u);
  EXPECT_EQ(connects[0], (sio::SocketId{1, root}));
  EXPECT_EQ(auths, (std::vector<std::string>{""}));
  server.on_message(1, R"(2["message","v4"])", false);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].args, R"("v4")");
}

TEST_F(ServerTest, V4RootConfirmedEvenWhenOnlyACustomNamespaceExists) {
  test = *server.add_namespace("/test", handlers());
  server.on_open(1, Protocol::kV3, 0);
  EXPECT_EQ(link.to(1), (std::vector<std::string>{"0"}));
  server.on_message(1, "0/test,", false);
  EXPECT_EQ(link.to(1).back(), "0/test,");
}

TEST_F(ServerTest, V4NamespaceQueryIsTheAuth) {
  add_default_namespaces();
  server.on_open(1, Protocol::kV3, 0);
  server.on_message(1, "0/test?token=abc&n=1&s=a%20b,", false);
  EXPECT_EQ(link.to(1).back(), "0/test,");
  EXPECT_EQ(auths.back(), R"({"token":"abc","n":"1","s":"a b"})");
  server.on_message(1, R"(2/test,1["message-with-ack","x"])", false);
  ASSERT_EQ(events.size(), 1u);
  server.ack(events[0].socket, *events[0].ack_id, events[0].args);
  EXPECT_EQ(link.to(1).back(), R"(3/test,1["x"])");
}

TEST_F(ServerTest, V4RefusalIsABareStringAndInvalidNamespaceAnObject) {
  add_default_namespaces();
  server.on_open(1, Protocol::kV3, 0);
  allow = false;
  server.on_message(1, "0/test?token=wrong,", false);
  EXPECT_EQ(link.to(1).back(), R"(4/test,"unauthorized")");
  server.on_message(1, "0/random,", false);
  EXPECT_EQ(link.to(1).back(), R"(4/random,{"message":"Invalid namespace"})");
  EXPECT_FALSE(link.was_closed(1));
}

TEST_F(ServerTest, V4RootRefusedOnOpen) {
  add_default_namespaces();
  allow = false;
  server.on_open(1, Protocol::kV3, 0);
  EXPECT_EQ(link.to(1), (std::vector<std::string>{R"(4"unauthorized")"}));
  EXPECT_EQ(server.connected(root), 0u);
}

TEST_F(ServerTest, V4BinaryEventAndMalformedClose) {
  add_default_namespaces();
  server.on_open(1, Protocol::kV3, 0);
  server.on_message(1, R"(51-["message",{"_placeholder":true,"num":0}])", false);
  server.on_message(1, std::string("\x04\x09\x08\x07", 4), true);
  ASSERT_EQ(events.size(), 1u);
  ASSERT_EQ(events[0].attachments.size(), 1u);
  EXPECT_EQ(events[0].attachments[0], std::string("\x04\x09\x08\x07", 4));
  server.on_open(2, Protocol::kV3, 0);
  server.on_message(2, "42{}", false);
  EXPECT_TRUE(link.was_closed(2));
  EXPECT_FALSE(link.was_closed(1));
}

namespace {

// With a token configured, a CONNECT without it (or with a wrong one) is refused
// before any namespace handler runs, so nothing is sent to an unauthorized client.
TEST(ServerToken, ConnectNeedsTheTokenAndHandlersNeverSeeRefusals) {
  FakeLink link;
  sio::Server server(link, sio::ServerOptions{45000, "s3cret"});
  link.server = &server;
  int connects = 0;
  sio::NamespaceHandlers h;
  h.on_connect = [&](sio::SocketId, std::string_view) { ++connects; };
  ASSERT_TRUE(server.add_namespace("/", std::move(h)));

  server.on_open(1, Protocol::kV4, 0);
  server.on_message(1, "0", false);
  server.on_message(1, R"(0{"token":"s3cre"})", false);
  ASSERT_EQ(link.to(1).size(), 2u);
  for (const auto& p : link.to(1)) EXPECT_EQ(p, R"(4{"message":"unauthorized"})");
  EXPECT_EQ(connects, 0);

  server.on_message(1, R"(0{"token":"s3cret"})", false);
  EXPECT_EQ(connects, 1);
  EXPECT_EQ(link.to(1).back().substr(0, 8), R"(0{"sid":)");
}

TEST(ServerToken, V3ClientsCarryTheTokenInTheHandshakeQuery) {
  FakeLink link;
  sio::Server server(link, sio::ServerOptions{45000, "s3cret"});
  link.server = &server;
  int connects = 0;
  sio::NamespaceHandlers h;
  h.on_connect = [&](sio::SocketId, std::string_view) { ++connects; };
  ASSERT_TRUE(server.add_namespace("/", std::move(h)));
  server.on_open(1, Protocol::kV3, 0, "EIO=3&transport=polling&token=nope");
  EXPECT_EQ(connects, 0);
  server.on_open(2, Protocol::kV3, 0, "EIO=3&transport=polling&token=s3cret");
  EXPECT_EQ(connects, 1);
  EXPECT_EQ(link.to(2).front(), "0");
}

// Token guessing: the third refused CONNECT on one session closes it, and the
// engine layer hears of every failure (for the per-address back-off).
TEST(ServerToken, RepeatedRefusalsCloseTheSession) {
  struct CountingLink : FakeLink {
    int failures = 0;
    void auth_failed(SessionHandle) override { ++failures; }
  } link;
  sio::Server server(link, sio::ServerOptions{45000, "s3cret"});
  link.server = &server;
  ASSERT_TRUE(server.add_namespace("/", sio::NamespaceHandlers{}));
  server.on_open(1, Protocol::kV4, 0);
  server.on_message(1, R"(0{"token":"a"})", false);
  server.on_message(1, R"(0{"token":"b"})", false);
  EXPECT_FALSE(link.was_closed(1));
  server.on_message(1, R"(0{"token":"c"})", false);
  EXPECT_TRUE(link.was_closed(1));
  EXPECT_EQ(link.failures, 3);
}

// A Socket.IO v4 (EIO=3) client whose handshake token is refused stays
// unconnected, so the connect timeout closes it.
TEST(ServerToken, V3RefusedTokenIsClosedAtTheConnectTimeout) {
  FakeLink link;
  sio::Server server(link, sio::ServerOptions{1000, "s3cret"});
  link.server = &server;
  ASSERT_TRUE(server.add_namespace("/", sio::NamespaceHandlers{}));
  server.on_open(1, Protocol::kV3, 0, "EIO=3&transport=polling&token=nope");
  EXPECT_FALSE(server.joined_any(1));
  server.tick(999);
  EXPECT_FALSE(link.was_closed(1));
  server.tick(1000);
  EXPECT_TRUE(link.was_closed(1));
  server.on_open(2, Protocol::kV3, 0, "EIO=3&transport=polling&token=s3cret");
  EXPECT_TRUE(server.joined_any(2));
  server.tick(5000);
  EXPECT_FALSE(link.was_closed(2));
}

// Nothing is buffered for a namespace the session has not joined: a binary
// event announced before the CONNECT (or after a refused one) closes it at once.
TEST(ServerBudget, NoAttachmentsBeforeJoining) {
  FakeLink link;
  sbcmon::util::MemoryBudget budget(1u << 20);
  sio::ServerOptions opts{45000, "s3cret"};
  opts.budget = &budget;
  sio::Server server(link, opts);
  link.server = &server;
  ASSERT_TRUE(server.add_namespace("/", sio::NamespaceHandlers{}));
  server.on_open(1, Protocol::kV4, 0);
  server.on_message(1, R"(51-["up",{"_placeholder":true,"num":0}])", false);
  EXPECT_TRUE(link.was_closed(1));
  EXPECT_EQ(budget.used(), 0u);
}

// Partial attachments count against the memory budget; over it the session
// that asks is closed and what it held is returned.
TEST(ServerBudget, PartialAttachmentsCountAndOverflowClosesTheAsker) {
  FakeLink link;
  link.close_now = true;
  sbcmon::util::MemoryBudget budget(4000);  // inbound may hold 3000
  sio::ServerOptions opts{45000, ""};
  opts.budget = &budget;
  sio::Server server(link, opts);
  link.server = &server;
  int events = 0;
  sio::NamespaceHandlers h;
  h.on_event = [&](const sio::Event&) { ++events; };
  ASSERT_TRUE(server.add_namespace("/", std::move(h)));
  for (SessionHandle s : {1u, 2u}) {
    server.on_open(s, Protocol::kV4, 0);
    server.on_message(s, "0", false);
  }
  const std::string kb(1000, 'x');
  server.on_message(1, R"(52-["up",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])", false);
  server.on_message(1, kb, true);
  EXPECT_EQ(budget.used(), 1000u);
  server.on_message(2, R"(53-["up",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1},{"_placeholder":true,"num":2}])", false);
  server.on_message(2, kb, true);
  server.on_message(2, kb, true);
  EXPECT_EQ(budget.used(), 3000u);
  EXPECT_FALSE(link.was_closed(2));
  server.on_message(2, kb, true);  // would be 4000 inbound: over
  EXPECT_TRUE(link.was_closed(2));
  EXPECT_FALSE(link.was_closed(1));
  EXPECT_EQ(budget.used(), 1000u);
  server.on_message(1, kb, true);  // completes: delivered, then released
  EXPECT_EQ(events, 1);
  EXPECT_EQ(budget.used(), 0u);
}

TEST(ServerToken, AuthHasTokenIsExact) {
  EXPECT_TRUE(sio::auth_has_token(R"({"token":"abc"})", "abc"));
  EXPECT_FALSE(sio::auth_has_token(R"({"token":"ab"})", "abc"));
  EXPECT_FALSE(sio::auth_has_token(R"({"token":"abcd"})", "abc"));
  EXPECT_FALSE(sio::auth_has_token(R"({"token":1})", "abc"));
  EXPECT_FALSE(sio::auth_has_token("", "abc"));
  EXPECT_FALSE(sio::auth_has_token("not json", "abc"));
}

}  // namespace
