// The Engine.IO engine driven event by event with a fake clock and a fake
// transport: every transition of a session, with no socket involved.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engineio/engine.h"
#include "engineio/session.h"

namespace {

using namespace sbcmon::engineio;

struct Call {
  bool hang_up;
  SessionHandle session;
  Channel channel;
  bool operator==(const Call& o) const {
    return hang_up == o.hang_up && session == o.session && channel == o.channel;
  }
};

// Records what the engine asks of the transport.
struct FakePort final : Port {
  std::vector<Call> calls;
  void wake(SessionHandle h, Channel ch) override { calls.push_back({false, h, ch}); }
  void hang_up(SessionHandle h, Channel ch, Reason) override { calls.push_back({true, h, ch}); }
  bool woke(SessionHandle h, Channel ch) const {
    for (const Call& c : calls) {
      if (c == Call{false, h, ch}) return true;
    }
    return false;
  }
  bool hung_up(SessionHandle h, Channel ch) const {
    for (const Call& c : calls) {
      if (c == Call{true, h, ch}) return true;
    }
    return false;
  }
};

constexpr std::uint32_t kInterval = 300;
constexpr std::uint32_t kTimeout = 200;
constexpr std::uint32_t kUpgrade = 150;  // shorter than the ping interval

EngineConfig config(std::size_t max_queue = 64) {
  EngineConfig c;
  c.limits.ping_interval_ms = kInterval;
  c.limits.ping_timeout_ms = kTimeout;
  c.limits.upgrade_timeout_ms = kUpgrade;
  c.limits.max_payload = 1000;
  c.limits.max_queue = max_queue;
  c.max_sessions = 4;
  return c;
}

// The echo endpoint: messages come straight back, no Socket.IO layer needed.
class EngineTest : public ::testing::Test {
 protected:
  explicit EngineTest(std::size_t max_queue = 64) : engine_(config(max_queue), port_, sids_) {}

  SessionHandle open_polling(Protocol p = Protocol::kV4, std::uint64_t now = 0, bool b64 = false) {
    SessionHandle h = 0;
    EXPECT_EQ(engine_.open(Endpoint::kEcho, p, false, b64, "", now, h), Opened::kOk);
    std::string out;
    EXPECT_EQ(engine_.take_payload(h, out), Payload::kText);  // the open packet
    EXPECT_NE(out.find("\"sid\""), std::string::npos);
    return h;
  }

  void post(SessionHandle h, std::string_view body, std::uint64_t now,
            PostEnd expect = PostEnd::kOk) {
    ASSERT_EQ(engine_.post_begin(h, body.size()), PostStart::kRead);
    ASSERT_EQ(engine_.post_body(h, body), PostBody::kOk);
    EXPECT_EQ(engine_.post_end(h, now), expect);
    EXPECT_TRUE(engine_.consistent());
  }

  std::string payload(SessionHandle h) {
    std::string out;
    engine_.take_payload(h, out);
    return out;
  }

  std::string frame(SessionHandle h) {
    WsFrame f;
    if (!engine_.take_frame(h, f)) return "<none>";
    return std::string(f.data, f.size);
  }

  void ws(SessionHandle h, std::string_view msg, std::uint64_t now) {
    EXPECT_EQ(engine_.ws_data(h, msg, true, true, false, now), WsData::kOk);
  }

  FakePort port_;
  SidGenerator sids_;
  Engine engine_;
};

TEST_F(EngineTest, HandshakeAnswersTheOpenPacketAndCountsTheSession) {
  SessionHandle h = 0;
  ASSERT_EQ(engine_.open(Endpoint::kEcho, Protocol::kV4, false, false, "", 0, h), Opened::kOk);
  std::string out;
  ASSERT_EQ(engine_.take_payload(h, out), Payload::kText);
  EXPECT_EQ(out.substr(0, 9), "0{\"sid\":\"");
  EXPECT_NE(out.find("\"upgrades\":[\"websocket\"]"), std::string::npos);
  EXPECT_NE(out.find("\"pingInterval\":300"), std::string::npos);
  EXPECT_EQ(engine_.phase(h), Phase::kPolling);
  EXPECT_EQ(engine_.counters().sessions_opened, 1u);
  EXPECT_EQ(engine_.live(), 1u);
  // The sid it announced finds the session again.
  const std::string sid = out.substr(9, kSidLength);
  const std::string q = "EIO=4&transport=polling&sid=" + sid;
  Request r;
  r.endpoint = Endpoint::kEcho;
  r.query = q;
  const Verdict v = engine_.verify(r);
  EXPECT_EQ(v.kind, Verdict::Kind::kSession);
  EXPECT_EQ(v.session, h);
  EXPECT_TRUE(engine_.consistent());
}

TEST_F(EngineTest, VerifyMapsBadRequestsOntoTheReferenceCodes) {
  auto verdict = [&](std::string_view q, Method m = Method::kGet, bool websocket = false,
                     bool origin = true) {
    Request r;
    r.endpoint = Endpoint::kEcho;
    r.method = m;
    r.websocket = websocket;
    r.origin_ok = origin;
    r.query = q;
    return engine_.verify(r);
  };
  EXPECT_EQ(verdict("EIO=4").error, ErrorCode::kUnknownTransport);
  EXPECT_EQ(verdict("EIO=4&transport=polling", Method::kGet, true).error, ErrorCode::kUnknownTransport);
  EXPECT_EQ(verdict("EIO=4&transport=polling", Method::kGet, false, false).error, ErrorCode::kForbidden);
  EXPECT_EQ(verdict("EIO=4&transport=websocket").error, ErrorCode::kBadRequest);
  EXPECT_EQ(verdict("EIO=4&transport=polling", Method::kPost).error, ErrorCode::kBadHandshakeMethod);
  EXPECT_EQ(verdict("EIO=5&transport=polling").error, ErrorCode::kUnsupportedProtocolVersion);
  EXPECT_EQ(verdict("EIO=4&transport=polling&sid=nope").error, ErrorCode::kUnknownSid);
  EXPECT_EQ(verdict("EIO=4&transport=polling").kind, Verdict::Kind::kHandshake);
  EXPECT_EQ(verdict("EIO=4&transport=websocket", Method::kGet, true).kind, Verdict::Kind::kHandshake);
  EXPECT_EQ(verdict("EIO=4&transport=polling", Method::kOptions).kind, Verdict::Kind::kPreflight);
}

TEST_F(EngineTest, HeldPollIsWokenAndAnsweredWhenAPacketIsQueued) {
  const SessionHandle h = open_polling();
  ASSERT_EQ(engine_.poll(h), PollStart::kHold);
  EXPECT_EQ(payload(h), "");  // nothing yet: keep holding
  port_.calls.clear();
  ASSERT_TRUE(engine_.send(h, Frame::copy("hello"), false));
  EXPECT_TRUE(port_.woke(h, Channel::kPoll));
  EXPECT_EQ(payload(h), "4hello");
  // Answered: the next poll is held again.
  EXPECT_EQ(engine_.poll(h), PollStart::kHold);
  EXPECT_TRUE(engine_.consistent());
}

TEST_F(EngineTest, APollWithPacketsWaitingIsAnsweredAtOnceInBatchesOfSixteen) {
  const SessionHandle h = open_polling();
  for (int i = 0; i < 20; ++i) engine_.send(h, Frame::copy("x"), false);
  ASSERT_EQ(engine_.poll(h), PollStart::kAnswer);
  std::string first = payload(h);
  EXPECT_EQ(std::count(first.begin(), first.end(), '\x1e'), 15);
  ASSERT_EQ(engine_.poll(h), PollStart::kAnswer);
  EXPECT_EQ(payload(h), "4x\x1e" "4x\x1e" "4x\x1e" "4x");
}

TEST_F(EngineTest, OverlappingPollClosesTheSessionAndAnswersTheHeldOne) {
  const SessionHandle h = open_polling();
  ASSERT_EQ(engine_.poll(h), PollStart::kHold);
  EXPECT_EQ(engine_.poll(h), PollStart::kRefuse);
  EXPECT_EQ(engine_.phase(h), Phase::kClosed);  // lingering for the held poll
  EXPECT_TRUE(port_.woke(h, Channel::kPoll));
  EXPECT_EQ(engine_.live(), 0u);
  EXPECT_EQ(payload(h), "1");
  EXPECT_EQ(engine_.phase(h), Phase::kFree);
  EXPECT_FALSE(engine_.send(h, Frame::copy("late"), false));
  EXPECT_TRUE(engine_.consistent());
}

TEST_F(EngineTest, PostDeliversEachPacketAndABadBodyClosesTheSession) {
  const SessionHandle h = open_polling();
  post(h, "4one\x1e" "4two", 10);
  EXPECT_EQ(payload(h), "4one\x1e" "4two");
  post(h, "4one\x1e", 20, PostEnd::kBad);
  EXPECT_EQ(engine_.phase(h), Phase::kFree);
}

TEST_F(EngineTest, PostBodyOverMaxPayloadIsRefusedAndOverlappingPostCloses) {
  const SessionHandle h = open_polling();
  EXPECT_EQ(engine_.post_begin(h, 2000), PostStart::kDrain);
  EXPECT_EQ(engine_.post_begin(h, 5000), PostStart::kTooLarge);
  ASSERT_EQ(engine_.post_begin(h, 0), PostStart::kRead);
  EXPECT_EQ(engine_.post_body(h, std::string(600, 'a')), PostBody::kOk);
  EXPECT_EQ(engine_.post_body(h, std::string(600, 'a')), PostBody::kTooLarge);
  ASSERT_EQ(engine_.post_begin(h, 0), PostStart::kRead);
  EXPECT_EQ(engine_.post_begin(h, 0), PostStart::kRefuse);
  EXPECT_EQ(engine_.phase(h), Phase::kClosed);  // lingers for the first POST
  EXPECT_EQ(engine_.post_end(h, 0), PostEnd::kUnknownSid);
  EXPECT_EQ(engine_.phase(h), Phase::kFree);
  EXPECT_TRUE(engine_.consistent());
}

TEST_F(EngineTest, UpgradeWithProbeReleasesThePollWithANoopAndMovesTheQueue) {
  const SessionHandle h = open_polling();
  ASSERT_EQ(engine_.poll(h), PollStart::kHold);
  ASSERT_TRUE(engine_.ws_attach(h, 10));
  EXPECT_EQ(engine_.phase(h), Phase::kProbing);
  EXPECT_FALSE(engine_.ws_attach(h, 10));  // a second websocket is refused
  ws(h, "2probe", 20);
  EXPECT_EQ(engine_.phase(h), Phase::kUpgrading);
  EXPECT_TRUE(port_.woke(h, Channel::kWebSocket));
  EXPECT_TRUE(port_.woke(h, Channel::kPoll));
  EXPECT_EQ(frame(h), "3probe");
  EXPECT_EQ(payload(h), "6");
  // While upgrading a poll is answered at once with a noop.
  EXPECT_EQ(engine_.poll(h), PollStart::kAnswer);
  EXPECT_EQ(payload(h), "6");
  engine_.send(h, Frame::copy("queued"), false);
  EXPECT_EQ(frame(h), "<none>");  // not before "5"
  ws(h, "5", 30);
  EXPECT_EQ(engine_.phase(h), Phase::kWebSocket);
  EXPECT_EQ(frame(h), "4queued");
  EXPECT_EQ(engine_.poll(h), PollStart::kRefuse);  // polling is over
  ws(h, "4echo", 40);
  EXPECT_EQ(frame(h), "4echo");
  EXPECT_TRUE(engine_.consistent());
}

TEST_F(EngineTest, ProbeClosedBeforeTheUpgradeLeavesTheSessionPolling) {
  const SessionHandle h = open_polling();
  ASSERT_TRUE(engine_.ws_attach(h, 10));
  ws(h, "2probe", 20);
  engine_.closed(h, Channel::kWebSocket);
  EXPECT_EQ(engine_.phase(h), Phase::kPolling);
  engine_.send(h, Frame::copy("still"), false);
  EXPECT_EQ(payload(h), "4still");
  EXPECT_TRUE(engine_.consistent());
}

TEST_F(EngineTest, UpgradeTimesOutAndOnlyTheProbeIsDropped) {
  const SessionHandle h = open_polling();
  ASSERT_TRUE(engine_.ws_attach(h, 100));
  EXPECT_LE(engine_.next_deadline(), 100u + kUpgrade);
  engine_.tick(100 + kUpgrade - 1);
  EXPECT_EQ(engine_.phase(h), Phase::kProbing);
  engine_.tick(100 + kUpgrade);
  EXPECT_TRUE(port_.hung_up(h, Channel::kWebSocket));
  EXPECT_NE(engine_.phase(h), Phase::kProbing);
  EXPECT_TRUE(engine_.consistent());
}

TEST_F(EngineTest, ServerPingsAtTheIntervalAndAPongRearmsIt) {
  const SessionHandle h = open_polling(Protocol::kV4, 0);
  EXPECT_EQ(engine_.next_deadline(), kInterval);
  EXPECT_EQ(engine_.tick(kInterval - 1), kInterval);
  EXPECT_EQ(engine_.queued(h), 0u);
  EXPECT_EQ(engine_.tick(kInterval), kInterval + kTimeout);
  EXPECT_EQ(payload(h), "2");
  post(h, "3", kInterval + 50);
  EXPECT_EQ(engine_.next_deadline(), kInterval + 50 + kInterval);
  engine_.tick(kInterval + kTimeout);
  EXPECT_EQ(engine_.phase(h), Phase::kPolling);  // answered in time
}

TEST_F(EngineTest, PingTimeoutFiresAtExactlyIntervalPlusTimeout) {
  const SessionHandle h = open_polling(Protocol::kV4, 1000);
  engine_.tick(1000 + kInterval);  // ping sent
  ASSERT_EQ(engine_.poll(h), PollStart::kAnswer);
  EXPECT_EQ(payload(h), "2");
  ASSERT_EQ(engine_.poll(h), PollStart::kHold);
  engine_.tick(1000 + kInterval + kTimeout - 1);
  EXPECT_EQ(engine_.phase(h), Phase::kPolling);
  // A late timer still closes on the deadline it was given, not later ones.
  EXPECT_EQ(engine_.next_deadline(), 1000u + kInterval + kTimeout);
  engine_.tick(1000 + kInterval + kTimeout);
  EXPECT_EQ(engine_.phase(h), Phase::kClosed);
  EXPECT_EQ(payload(h), "1");
  EXPECT_EQ(engine_.phase(h), Phase::kFree);
}

TEST_F(EngineTest, V3ClientPingsAreAnsweredAndTheirAbsenceTimesOut) {
  const SessionHandle h = open_polling(Protocol::kV3, 0);
  EXPECT_EQ(engine_.next_deadline(), kInterval + kTimeout);
  post(h, "6:2probe", 100);
  EXPECT_EQ(payload(h), "6:3probe");
  EXPECT_EQ(engine_.next_deadline(), 100u + kInterval + kTimeout);
  engine_.tick(100 + kInterval + kTimeout - 1);
  EXPECT_EQ(engine_.phase(h), Phase::kPolling);
  engine_.tick(100 + kInterval + kTimeout);
  EXPECT_EQ(engine_.phase(h), Phase::kFree);
}

// With the Socket.IO layer attached the engine's next deadline is the earliest
// real one (a ping, a connect timeout), never a periodic sweep.
TEST(EngineDeadlines, TheNextDeadlineIsARealOneAndFollowsOnlyLiveSessions) {
  FakePort port;
  SidGenerator sids;
  Engine engine(config(), port, sids);
  sbcmon::socketio::ServerOptions so;
  so.connect_timeout_ms = 500;  // after the first pings (kInterval 300)
  so.sids = &sids;
  sbcmon::socketio::Server sio(engine, so);
  engine.attach(&sio);
  ASSERT_TRUE(sio.add_namespace("/", {}));
  EXPECT_EQ(engine.next_deadline(), kNever);
  SessionHandle a = 0;
  SessionHandle b = 0;
  SessionHandle c = 0;
  ASSERT_EQ(engine.open(Endpoint::kSocketIo, Protocol::kV4, true, false, "", 10, a), Opened::kOk);
  ASSERT_EQ(engine.open(Endpoint::kSocketIo, Protocol::kV4, true, false, "", 20, b), Opened::kOk);
  ASSERT_EQ(engine.open(Endpoint::kSocketIo, Protocol::kV4, true, false, "", 30, c), Opened::kOk);
  EXPECT_EQ(engine.next_deadline(), 10u + kInterval);  // a's ping, before any connect timeout
  EXPECT_EQ(engine.ws_data(a, "40", true, true, false, 40), WsData::kOk);  // a joins "/"
  EXPECT_EQ(engine.ws_data(c, "40", true, true, false, 40), WsData::kOk);
  engine.closed(a, Channel::kWebSocket);  // a goes: the next is b's ping
  EXPECT_EQ(engine.next_deadline(), 20u + kInterval);
  EXPECT_TRUE(engine.consistent());
  // Pings go to the live sessions only, each at its own deadline.
  EXPECT_EQ(engine.tick(20 + kInterval), 30u + kInterval);
  EXPECT_EQ(engine.queued(b), 2u);  // the open packet, the ping
  EXPECT_EQ(engine.tick(30 + kInterval), 20u + kInterval + kTimeout);
  EXPECT_EQ(engine.queued(c), 3u);  // the open packet, the CONNECT reply, the ping
  EXPECT_EQ(engine.ws_data(b, "3", true, true, false, 20 + kInterval + 1), WsData::kOk);
  EXPECT_EQ(engine.ws_data(c, "3", true, true, false, 30 + kInterval + 1), WsData::kOk);
  // b never joined: its connect timeout at 20 + 500 comes before the next pings.
  EXPECT_EQ(engine.next_deadline(), 20u + 500);
  engine.tick(20 + 500 - 1);
  EXPECT_EQ(engine.phase(b), Phase::kWebSocket);
  EXPECT_EQ(engine.tick(20 + 500), 30u + kInterval + 1 + kInterval);  // then c's next ping
  EXPECT_EQ(engine.phase(b), Phase::kFree);
  EXPECT_EQ(engine.phase(c), Phase::kWebSocket);
  EXPECT_EQ(engine.live(), 1u);
  EXPECT_TRUE(engine.consistent());
}

// Encode once: every websocket session writes the one shared frame, in place
// (the transport's header goes in its headroom), and the frame is freed when
// the last session has written it. Polling sessions read the same payload.
TEST_F(EngineTest, WebSocketSessionsWriteTheOneSharedFrameUntilTheLastIsDone) {
  SessionHandle v4 = 0;
  SessionHandle v3 = 0;
  ASSERT_EQ(engine_.open(Endpoint::kEcho, Protocol::kV4, true, false, "", 0, v4), Opened::kOk);
  ASSERT_EQ(engine_.open(Endpoint::kEcho, Protocol::kV3, true, false, "", 0, v3), Opened::kOk);
  const SessionHandle polling = open_polling();
  EXPECT_EQ(frame(v4).substr(0, 8), "0{\"sid\":");
  EXPECT_EQ(frame(v3).substr(0, 8), "0{\"sid\":");

  Buffer text = Frame::copy("42[\"sample\",1]");
  const std::weak_ptr<Frame> watch = text;
  for (SessionHandle h : {v4, v3, polling}) ASSERT_TRUE(engine_.send(h, text, false));
  text.reset();
  WsFrame a;
  ASSERT_TRUE(engine_.take_frame(v4, a));
  EXPECT_EQ(std::string(a.data, a.size), "442[\"sample\",1]");
  EXPECT_FALSE(a.binary);
  // The transport may overwrite the headroom in front of the message.
  std::fill(a.data - Frame::kHeadroom, a.data, '\xee');
  const char* first = a.data;
  a = WsFrame{};
  EXPECT_FALSE(watch.expired()) << "still queued on the other sessions";
  WsFrame b;
  ASSERT_TRUE(engine_.take_frame(v3, b));
  EXPECT_EQ(b.data, first) << "the same bytes, not a copy per session";
  EXPECT_EQ(std::string(b.data, b.size), "442[\"sample\",1]");
  b = WsFrame{};
  EXPECT_FALSE(watch.expired()) << "the polling session has not read it yet";
  EXPECT_EQ(payload(polling), "442[\"sample\",1]");
  EXPECT_TRUE(watch.expired()) << "freed once every session is done with it";

  // One binary frame: a v4 websocket sends the bytes alone, a v3 one the type byte first.
  const Buffer bin = Frame::copy(std::string("\x01\x02", 2));
  ASSERT_TRUE(engine_.send(v4, bin, true));
  ASSERT_TRUE(engine_.send(v3, bin, true));
  ASSERT_TRUE(engine_.take_frame(v4, a));
  EXPECT_TRUE(a.binary);
  EXPECT_EQ(std::string(a.data, a.size), std::string("\x01\x02", 2));
  ASSERT_TRUE(engine_.take_frame(v3, b));
  EXPECT_EQ(std::string(b.data, b.size), std::string("\x04\x01\x02", 3));
  EXPECT_FALSE(engine_.take_frame(v3, b));
  EXPECT_TRUE(engine_.consistent());
}

class SlowClientTest : public EngineTest {
 protected:
  SlowClientTest() : EngineTest(4) {}
};

TEST_F(SlowClientTest, AQueueOverItsCapClosesTheSession) {
  const SessionHandle h = open_polling();
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(engine_.send(h, Frame::copy("x"), false));
  }
  EXPECT_FALSE(engine_.send(h, Frame::copy("x"), false));
  EXPECT_EQ(engine_.phase(h), Phase::kFree);
  EXPECT_EQ(engine_.counters().sessions_dropped, 1u);
  EXPECT_TRUE(engine_.consistent());
}

TEST_F(EngineTest, WebSocketMessagesAreReassembledAndCappedAtMaxPayload) {
  SessionHandle h = 0;
  ASSERT_EQ(engine_.open(Endpoint::kEcho, Protocol::kV4, true, false, "", 0, h), Opened::kOk);
  EXPECT_EQ(engine_.phase(h), Phase::kWebSocket);
  EXPECT_EQ(frame(h).substr(0, 2), "0{");
  EXPECT_EQ(engine_.ws_data(h, "4he", true, false, false, 1), WsData::kOk);
  EXPECT_EQ(engine_.ws_data(h, "llo", false, true, false, 1), WsData::kOk);
  EXPECT_EQ(frame(h), "4hello");
  EXPECT_EQ(engine_.ws_data(h, std::string(600, '4'), true, false, false, 2), WsData::kOk);
  EXPECT_EQ(engine_.ws_data(h, std::string(600, 'x'), false, true, false, 2), WsData::kTooBig);
  EXPECT_EQ(engine_.phase(h), Phase::kFree);
  EXPECT_TRUE(engine_.consistent());
}

TEST_F(EngineTest, TheTableIsBoundedAndStaleHandlesAreRefused) {
  std::vector<SessionHandle> hs;
  for (int i = 0; i < 4; ++i) hs.push_back(open_polling());
  SessionHandle extra = 0;
  EXPECT_EQ(engine_.open(Endpoint::kEcho, Protocol::kV4, false, false, "", 0, extra), Opened::kFull);
  EXPECT_FALSE(engine_.admit());
  EXPECT_EQ(engine_.counters().sessions_refused, 2u);
  engine_.close(hs[0]);
  const SessionHandle again = open_polling();
  EXPECT_NE(again, hs[0]);  // same slot, new generation
  EXPECT_EQ(engine_.phase(hs[0]), Phase::kFree);
  EXPECT_FALSE(engine_.send(hs[0], Frame::copy("x"), false));
  EXPECT_EQ(engine_.poll(hs[0]), PollStart::kRefuse);
  EXPECT_TRUE(engine_.consistent());
}

TEST_F(EngineTest, ABadPacketOnTheProbeClosesOnlyTheProbe) {
  const SessionHandle h = open_polling();
  ASSERT_TRUE(engine_.ws_attach(h, 10));
  ws(h, "9garbage", 20);
  EXPECT_TRUE(port_.hung_up(h, Channel::kWebSocket));
  EXPECT_EQ(engine_.phase(h), Phase::kPolling);
  // A packet that is valid but not part of the upgrade does the same.
  ASSERT_TRUE(engine_.ws_attach(h, 30));
  ws(h, "4hello", 40);
  EXPECT_EQ(engine_.phase(h), Phase::kPolling);
  engine_.send(h, Frame::copy("alive"), false);
  EXPECT_EQ(payload(h), "4alive");
  EXPECT_TRUE(engine_.consistent());
}

TEST_F(EngineTest, ForcedCloseAnswersTheHeldPollWithANoop) {
  const SessionHandle h = open_polling();
  ASSERT_EQ(engine_.poll(h), PollStart::kHold);
  post(h, "1", 10);
  EXPECT_EQ(engine_.phase(h), Phase::kClosed);
  EXPECT_TRUE(port_.woke(h, Channel::kPoll));
  EXPECT_EQ(payload(h), "6");
  EXPECT_EQ(engine_.phase(h), Phase::kFree);

  const SessionHandle v3 = open_polling(Protocol::kV3);
  ASSERT_EQ(engine_.poll(v3), PollStart::kHold);
  post(v3, "1:1", 10);
  EXPECT_EQ(payload(v3), "1:6");
  EXPECT_TRUE(engine_.consistent());
}

TEST_F(EngineTest, V3WithoutB64SendsBinaryAsTheXhr2Payload) {
  const SessionHandle h = open_polling(Protocol::kV3, 0, false);
  engine_.send(h, Frame::copy("hi"), false);
  engine_.send(h, Frame::copy(std::string("\x01\x02", 2)), true);
  std::string out;
  ASSERT_EQ(engine_.poll(h), PollStart::kAnswer);
  ASSERT_EQ(engine_.take_payload(h, out), Payload::kBinary);
  EXPECT_EQ(out, std::string("\x00\x03\xff" "4hi" "\x01\x03\xff\x04\x01\x02", 12));
  // Text only: the text form, binary payloads are for binary data.
  engine_.send(h, Frame::copy("hi"), false);
  ASSERT_EQ(engine_.take_payload(h, out), Payload::kText);
  EXPECT_EQ(out, "3:4hi");
  // With b64=1 binary goes base64 in the text form.
  const SessionHandle b64 = open_polling(Protocol::kV3, 0, true);
  engine_.send(b64, Frame::copy(std::string("\x01\x02", 2)), true);
  ASSERT_EQ(engine_.take_payload(b64, out), Payload::kText);
  EXPECT_EQ(out, "6:b4AQI=");
}

TEST(GrowingQueueTest, StorageGrowsOnlyWithTheBacklogUpToTheCapAndShrinksOnReset) {
  sbcmon::util::GrowingQueue<std::unique_ptr<int>, 20, 4> q;
  EXPECT_EQ(q.allocated(), 0u);  // nothing until the first packet
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(q.try_push(std::make_unique<int>(i)));
    EXPECT_EQ(*q.pop_front(), i);
  }
  EXPECT_EQ(q.allocated(), 4u) << "a reader that keeps up never grows it";
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(q.try_push(std::make_unique<int>(i)));
  EXPECT_EQ(q.allocated(), 20u) << "doubles, but never past the cap";
  EXPECT_FALSE(q.try_push(std::make_unique<int>(99))) << "the cap holds";
  EXPECT_EQ(q.size(), 20u);
  EXPECT_EQ(*q[0], 0);
  EXPECT_EQ(*q[19], 19);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(*q.pop_front(), i) << "oldest first across every growth";
  ASSERT_TRUE(q.try_push(std::make_unique<int>(7)));
  q.reset();
  EXPECT_EQ(q.size(), 0u);
  EXPECT_EQ(q.allocated(), 0u) << "grown storage is given back";
}

// A session's queue costs a few slots, not the cap: memory follows the backlog.
TEST_F(EngineTest, ASessionQueueStartsSmallAndIsCappedAtMaxQueue) {
  SessionHandle h = 0;
  ASSERT_EQ(engine_.open(Endpoint::kEcho, Protocol::kV4, true, false, "", 0, h), Opened::kOk);
  for (int i = 0; i < 63; ++i) ASSERT_TRUE(engine_.send(h, Frame::copy("x"), false));
  EXPECT_EQ(engine_.queued(h), 64u);  // the open packet and 63
  EXPECT_FALSE(engine_.send(h, Frame::copy("x"), false)) << "max_queue 64: the slow client is dropped";
  EXPECT_EQ(engine_.phase(h), Phase::kFree);
  EXPECT_TRUE(engine_.consistent());
}

TEST(RingTest, TryPushRefusesWhenFullAndPopFrontIsOldestFirst) {
  sbcmon::util::Ring<int, 3> r;
  EXPECT_TRUE(r.try_push(1));
  EXPECT_TRUE(r.try_push(2));
  EXPECT_TRUE(r.try_push(3));
  EXPECT_FALSE(r.try_push(4));
  EXPECT_EQ(r.pop_front(), 1);
  EXPECT_TRUE(r.try_push(4));
  EXPECT_EQ(r.pop_front(), 2);
  EXPECT_EQ(r.pop_front(), 3);
  EXPECT_EQ(r.pop_front(), 4);
  EXPECT_TRUE(r.empty());
}

}  // namespace
