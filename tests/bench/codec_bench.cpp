// The per-message hot paths of a broadcast and of a polling client: one 4-core sample
// encoded to the wire frame, and one polling POST body decoded down to its events.
// Median of 5 repetitions is what `make bench` prints.
#include <benchmark/benchmark.h>

#include <cmath>
#include <string>

#include "engineio/packet.h"
#include "sampler/json.h"
#include "sampler/sample.h"
#include "socketio/packet.h"

namespace {

using namespace sbcmon;

// A plausible 4-core board reading (Pi 4 shape: 4 cores, one thermal zone, one interface).
void fill_4core(sampler::Sample& s, sampler::BoardInfo& board) {
  board.cores = 4;
  s.t_ms = 1732560000123;
  s.seq = 4242;
  s.total_pct = 23.75f;
  s.ncpu = 4;
  const float pct[4] = {12.5f, 40.25f, 3.0f, 39.0f};
  for (int i = 0; i < 4; ++i) {
    s.cpu_pct[i] = pct[i];
    s.freq_mhz[i] = 1500.0f;
  }
  s.ntemp = 0;
  s.nnet = 0;
  s.load[0] = 0.52f;
  s.load[1] = 0.40f;
  s.load[2] = 0.33f;
  s.uptime_s = 123456.78;
  s.mem_valid = true;
  s.mem_total = 4ull << 30;
  s.mem_used = 1ull << 30;
  s.mem_avail = 3ull << 30;
}

// sbcmon's own `sample` event: JSON, Socket.IO EVENT header, Engine.IO websocket frame.
void BM_EncodeSampleFrame4Cores(benchmark::State& state) {
  sampler::Sample s;
  sampler::BoardInfo board;
  fill_4core(s, board);
  std::string json, frame;
  json.reserve(4096);
  frame.reserve(4096);
  for (auto _ : state) {
    json.clear();
    sampler::encode_sample(s, board, json);
    frame.clear();
    frame.push_back('4');  // Engine.IO message
    socketio::append_header(frame, socketio::PacketType::kEvent, 0, "/", std::nullopt);
    frame += "[\"sample\",";
    frame += json;
    frame.push_back(']');
    benchmark::DoNotOptimize(frame.data());
  }
  state.counters["bytes"] = static_cast<double>(frame.size());
}
BENCHMARK(BM_EncodeSampleFrame4Cores)->Unit(benchmark::kNanosecond)->Repetitions(5)->ReportAggregatesOnly(true);

// The tutorial's server_response on /test, as the seed page receives it.
void BM_EncodeSeedFrame4Cores(benchmark::State& state) {
  sampler::Sample s;
  sampler::BoardInfo board;
  fill_4core(s, board);
  std::string json, frame;
  json.reserve(1024);
  frame.reserve(1024);
  for (auto _ : state) {
    json.clear();
    sampler::encode_seed(s, s.seq, json);
    frame.clear();
    frame.push_back('4');
    socketio::append_header(frame, socketio::PacketType::kEvent, 0, "/test", std::nullopt);
    frame += "[\"server_response\",";
    frame += json;
    frame.push_back(']');
    benchmark::DoNotOptimize(frame.data());
  }
  state.counters["bytes"] = static_cast<double>(frame.size());
}
BENCHMARK(BM_EncodeSeedFrame4Cores)->Unit(benchmark::kNanosecond)->Repetitions(5)->ReportAggregatesOnly(true);

// A v4 polling POST as a page sends it: a pong, a history request with an ack id, and a
// namespace connect, separated by \x1e; each item decoded to its Socket.IO header.
void BM_DecodePollingPayload(benchmark::State& state) {
  const std::string body = std::string("3") + '\x1e' + "4210[\"history\",{\"since\":1732560000123}]" +
                           '\x1e' + "40/test,";
  std::string scratch;
  std::size_t packets = 0;
  for (auto _ : state) {
    packets = 0;
    const bool ok = engineio::for_each_payload_packet(
        body, engineio::Protocol::kV4, scratch, [&](const engineio::Packet& p) {
          if (p.type == engineio::PacketType::kMessage) {
            auto h = socketio::decode_header(p.data);
            benchmark::DoNotOptimize(h);
          }
          ++packets;
          return true;
        });
    benchmark::DoNotOptimize(ok);
  }
  state.counters["packets"] = static_cast<double>(packets);
  state.counters["bytes"] = static_cast<double>(body.size());
}
BENCHMARK(BM_DecodePollingPayload)->Unit(benchmark::kNanosecond)->Repetitions(5)->ReportAggregatesOnly(true);

}  // namespace

BENCHMARK_MAIN();
