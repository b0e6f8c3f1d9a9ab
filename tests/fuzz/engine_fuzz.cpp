// libFuzzer entry point: the Engine.IO engine (echo endpoint and the Socket.IO
// layer) driven by a random sequence of transport events — handshakes, polls,
// POST bodies, websocket fragments, closes and ticks — on a few sessions. After
// every event the table's invariants must hold (queues within their cap, each
// phase's connections consistent, the live count right) and every handle the
// engine handed out is either valid or refused; nothing may crash or leak.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "engineio/engine.h"
#include "socketio/server.h"

namespace {

namespace eio = sbcmon::engineio;
namespace sio = sbcmon::socketio;

struct NullPort final : eio::Port {
  void wake(sio::SessionHandle, eio::Channel) override {}
  void hang_up(sio::SessionHandle, eio::Channel, eio::Reason) override {}
};

eio::SidGenerator& sids() {
  static eio::SidGenerator g;
  return g;
}

void check(const eio::Engine& e) {
  if (!e.consistent()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  NullPort port;
  eio::EngineConfig cfg;
  cfg.limits.ping_interval_ms = 300;
  cfg.limits.ping_timeout_ms = 200;
  cfg.limits.upgrade_timeout_ms = 150;
  cfg.limits.max_payload = 256;
  cfg.limits.max_queue = 8;
  cfg.max_sessions = 3;
  // Small enough that queues and uploads hit it: the close-the-longest-queue policy runs.
  sbcmon::util::MemoryBudget budget(2048);
  cfg.budget = &budget;
  eio::Engine engine(cfg, port, sids());
  sio::ServerOptions so;
  so.connect_timeout_ms = 500;
  sio::Server upper(engine, so);
  sio::NamespaceHandlers h;
  h.on_event = [&upper](const sio::Event& ev) {
    if (ev.ack_id) upper.ack(ev.socket, *ev.ack_id, ev.args, ev.attachments);
    upper.emit(ev.socket, ev.name, ev.args, ev.attachments);
  };
  upper.add_namespace("/", h);
  engine.attach(&upper);

  std::vector<sio::SessionHandle> handles;
  std::uint64_t now = 0;
  std::string out;
  std::size_t i = 0;
  auto byte = [&]() -> std::uint8_t { return i < size ? data[i++] : 0; };
  // An event is an op byte, a handle pick, then (for data events) a length byte and bytes.
  auto chunk = [&]() {
    const std::size_t n = std::min<std::size_t>(byte(), size - i);
    std::string_view s(reinterpret_cast<const char*>(data) + i, n);
    i += n;
    return s;
  };
  while (i < size) {
    const std::uint8_t op = byte();
    const std::uint8_t pick = byte();
    const sio::SessionHandle hd =
        handles.empty() ? pick : handles[pick % handles.size()] ^ (pick & 0x80 ? 1u << 12 : 0u);
    switch (op % 12) {
      case 0: {
        sio::SessionHandle nh = 0;
        const auto proto = pick & 1 ? eio::Protocol::kV3 : eio::Protocol::kV4;
        const auto ep = pick & 2 ? eio::Endpoint::kEcho : eio::Endpoint::kSocketIo;
        if (engine.open(ep, proto, pick & 4, pick & 8, "", now, nh) == eio::Opened::kOk) {
          handles.push_back(nh);
        }
        break;
      }
      case 1:
        if (engine.poll(hd) == eio::PollStart::kAnswer) engine.take_payload(hd, out);
        break;
      case 2:
        engine.take_payload(hd, out);
        break;
      case 3:
        engine.post_begin(hd, pick * 3u);
        break;
      case 4:
        engine.post_body(hd, chunk());
        break;
      case 5:
        engine.post_end(hd, now);
        break;
      case 6:
        engine.ws_attach(hd, now);
        break;
      case 7:
        engine.ws_data(hd, chunk(), pick & 1, pick & 2, pick & 4, now);
        break;
      case 8:
        for (eio::WsFrame f; engine.take_frame(hd, f);) {
          // The message must stay inside its frame, with the headroom in front.
          if (f.size > f.frame->size() + 1) __builtin_trap();
        }
        break;
      case 9:
        engine.closed(hd, static_cast<eio::Channel>(pick % 3));
        break;
      case 10:
        now += pick * 4u;
        engine.tick(now);
        break;
      case 11:
        engine.send(hd, eio::Frame::copy("2[\"x\"]"), pick & 1);
        break;
    }
    check(engine);
    // A stale or made-up handle is refused, never aliased onto a live session.
    const sio::SessionHandle bogus = hd ^ (1u << 12);
    if (engine.phase(bogus) != eio::Phase::kFree && engine.phase(hd) != eio::Phase::kFree) {
      std::abort();
    }
  }
  engine.tick(now + 1000000);
  check(engine);
  // Every session is gone after the timeouts: nothing may stay reserved.
  if (engine.live() != 0 || budget.used() != 0) std::abort();
  return 0;
}
