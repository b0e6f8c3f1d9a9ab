// What one tick costs: a full sample on the pi4 fixture and on this machine's /proc,
// the same with the process scan on a pi4 copy holding ~150 processes, and encoding
// one sample / a full history to JSON. Median of 5 repetitions is reported.
#include <benchmark/benchmark.h>

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "sampler/alerts.h"
#include "sampler/json.h"
#include "sampler/procs.h"
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

// A scratch copy of the pi4 fixture with 150 processes: the fixture's five plus 145 made
// from its busy one (pids 5000...). Made once, removed at exit; nothing is committed.
namespace fs = std::filesystem;
struct BusyPi4 {
  BusyPi4() {
    std::string tmpl = (fs::temp_directory_path() / "sbcmon-bench-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) std::abort();
    root = fs::path(tmpl) / "pi4";
    fs::copy(fs::path(SBCMON_TEST_FIXTURES) / "pi4", root, fs::copy_options::recursive);
    auto slurp = [](const fs::path& p) {
      std::ifstream in(p);
      std::ostringstream ss;
      ss << in.rdbuf();
      return ss.str();
    };
    const std::string stat = slurp(root / "812/stat");
    const std::string rest = stat.substr(stat.find(' '));
    for (int i = 0; i < 145; ++i) {
      const std::string pid = std::to_string(5000 + i);
      fs::create_directory(root / pid);
      std::ofstream(root / pid / "stat") << pid << rest;
      fs::copy_file(root / "812/statm", root / pid / "statm");
      fs::copy_file(root / "812/status", root / pid / "status");
    }
  }
  ~BusyPi4() {
    std::error_code ec;
    fs::remove_all(root.parent_path(), ec);
  }
  fs::path root;
};
const BusyPi4& busy_pi4() {
  static BusyPi4 tree;
  return tree;
}

// One tick on the busy copy; with state.range(0) = 1 the tick also scans the processes,
// as it does while a page shows the processes view.
void BM_SamplePi4Busy(benchmark::State& state) {
  const std::string root = busy_pi4().root.string();
  Sampler s(root, root + "/sys");
  ProcScanner procs(root, 100, 4096);
  Alerts alerts(AlertLimits{});
  static ProcTop top;
  Sample out;
  s.sample(out);
  std::int64_t mono = 0;
  if (state.range(0)) procs.scan(top, 0, mono);
  for (auto _ : state) {
    s.sample(out);
    alerts.update(out, s.board());
    if (state.range(0)) procs.scan(top, 0, mono += 1000000000);
    benchmark::DoNotOptimize(out);
  }
  state.counters["procs"] = state.range(0) ? static_cast<double>(top.seen) : 0;
}
BENCHMARK(BM_SamplePi4Busy)->ArgName("scan")->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond)->Repetitions(5)->ReportAggregatesOnly(true);

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
  Sampler s;
  History ring(sbcmon::config::kHistoryLen, static_cast<std::size_t>(s.board().cores));
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
