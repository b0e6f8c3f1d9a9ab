// What one tick costs: a full sample on the pi4 fixture and on this machine's /proc,
// and encoding one sample / a full history to JSON. Median of 5 repetitions is reported.
#include <benchmark/benchmark.h>

#include <string>

#include "sampler/json.h"
#include "util/ring.h"
#include "sampler/sampler.h"

namespace {

using namespace sbcmon::sampler;

void BM_SamplePi4Fixture(benchmark::State& state) {
  std::string root = std::string(SBCMON_TEST_FIXTURES) + "/pi4";
  Sampler s(root, root + "/sys");
  Sample out;
  s.sample(out);
  for (auto _ : state) {
    s.sample(out);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_SamplePi4Fixture)->Unit(benchmark::kMicrosecond)->Repetitions(5)->ReportAggregatesOnly(true);

void BM_SampleLive(benchmark::State& state) {
  Sampler s;
  Sample out;
  s.sample(out);
  for (auto _ : state) {
    s.sample(out);
    benchmark::DoNotOptimize(out);
  }
  state.counters["cores"] = s.board().cores;
  state.counters["temps"] = static_cast<double>(s.board().ntemp);
  state.counters["ifaces"] = static_cast<double>(s.board().nifaces);
}
BENCHMARK(BM_SampleLive)->Unit(benchmark::kMicrosecond)->Repetitions(5)->ReportAggregatesOnly(true);

void BM_EncodeSample(benchmark::State& state) {
  std::string root = std::string(SBCMON_TEST_FIXTURES) + "/pi4";
  Sampler s(root, root + "/sys");
  Sample out;
  s.sample(out);
  s.sample(out);
  std::string json;
  json.reserve(16384);
  for (auto _ : state) {
    json.clear();
    encode_sample(out, s.board(), json);
    benchmark::DoNotOptimize(json.data());
  }
  state.counters["bytes"] = static_cast<double>(json.size());
}
BENCHMARK(BM_EncodeSample)->Unit(benchmark::kMicrosecond)->Repetitions(5)->ReportAggregatesOnly(true);

void BM_EncodeHistoryFull(benchmark::State& state) {
  static Ring<Sample, sbcmon::config::kHistoryLen> ring;
  Sampler s;
  Sample out;
  for (std::size_t i = 0; i < ring.capacity(); ++i) {
    s.sample(out);
    out.t_ms = static_cast<std::int64_t>(i) * 1000;
    ring.push(out);
  }
  std::string json;
  for (auto _ : state) {
    json.clear();
    encode_history(ring, s.board(), 1000, -1, json);
    benchmark::DoNotOptimize(json.data());
  }
  state.counters["bytes"] = static_cast<double>(json.size());
}
BENCHMARK(BM_EncodeHistoryFull)->Unit(benchmark::kMicrosecond)->Repetitions(5)->ReportAggregatesOnly(true);

}  // namespace

BENCHMARK_MAIN();
