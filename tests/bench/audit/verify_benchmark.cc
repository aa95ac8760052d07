// Throughput of `secretctl audit verify`'s core (secretd/audit/verifier.h) on
// a generated, signed log of realistic records, and the cost of each step.
// The log is written once to $TMPDIR and read from the page cache, so the
// figures are CPU cost; a cold read is bounded by the disk instead.
//
//   bazel run -c opt //tests/bench/audit:verify_benchmark
//
// BM_VerifyLogFile's bytes_per_second is the figure docs/audit.md quotes
// (goal: >= 100 MB/s).
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "nlohmann/json.hpp"
#include "secretd/audit/envelope.h"
#include "secretd/audit/log_reader.h"
#include "secretd/audit/record.h"
#include "secretd/audit/testing/log_generator.h"
#include "secretd/audit/testing/test_signer.h"
#include "secretd/audit/verifier.h"

namespace secretd::audit {
namespace {

constexpr uint64_t kLogBytes = 256ull << 20;

const testing::TestSigner& Signer() {
  static const auto* signer = new testing::TestSigner();
  return *signer;
}

// The generated log, written once per process and removed at exit.
const std::string& LogPath() {
  static const std::string* path = [] {
    const char* tmp = getenv("TMPDIR");
    std::string dir = absl::StrCat(tmp != nullptr ? tmp : "/tmp",
                                   "/secretd-verify-bench-XXXXXX");
    if (mkdtemp(dir.data()) == nullptr) abort();
    auto* p = new std::string(dir + "/audit-host-a.jsonl");
    testing::GenerateLogOptions o;
    o.path = *p;
    o.target_bytes = kLogBytes;
    auto g = testing::GenerateLog(o, Signer());
    if (!g.ok()) abort();
    std::atexit([] {
      unlink(LogPath().c_str());
      rmdir(LogPath().substr(0, LogPath().rfind('/')).c_str());
    });
    return p;
  }();
  return *path;
}

// Some lines of the log, for the per-step benchmarks.
const std::vector<std::string>& Lines() {
  static const auto* lines = [] {
    auto* v = new std::vector<std::string>;
    std::ifstream in(LogPath());
    std::string line;
    while (v->size() < 10000 && std::getline(in, line)) v->push_back(line);
    return v;
  }();
  return *lines;
}

VerifyOptions WithKey() {
  VerifyOptions o;
  o.check_checkpoint = [](absl::string_view msg, absl::string_view sig,
                          absl::string_view key_id) -> absl::Status {
    if (key_id != Signer().KeyId()) return absl::NotFoundError("unknown key");
    return Signer().Verify(msg, sig) ? absl::OkStatus()
                                     : absl::UnauthenticatedError("bad");
  };
  return o;
}

void BM_VerifyLogFile(benchmark::State& state) {
  const std::string& path = LogPath();
  const VerifyOptions options = WithKey();
  uint64_t bytes = 0;
  for (auto _ : state) {
    auto r = VerifyLogFile(path, options);
    if (!r.ok() || r->failure.has_value()) {
      state.SkipWithError("the generated log did not verify");
      return;
    }
    bytes += r->bytes;
    state.counters["lines"] = static_cast<double>(r->lines);
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_VerifyLogFile)->Unit(benchmark::kMillisecond)->UseRealTime();

// The second read of `query --verify` and `report`: the same open file up to
// the verified bytes, each line through the RereadCheck that proves it is
// the line verified (what it adds to their JSON parse).
void BM_RereadCheck(benchmark::State& state) {
  auto file = LogFile::Open(LogPath());
  if (!file.ok()) {
    state.SkipWithError("cannot open the generated log");
    return;
  }
  auto v = VerifyLog(**file, WithKey());
  if (!v.ok() || v->failure.has_value()) {
    state.SkipWithError("the generated log did not verify");
    return;
  }
  uint64_t bytes = 0;
  for (auto _ : state) {
    RereadCheck check(*v);
    auto reader = LogReader::Read(**file, v->bytes);
    absl::string_view line;
    while (reader->Next(&line)) check.Add(line);
    if (!check.Same()) {
      state.SkipWithError("the second read differs");
      return;
    }
    bytes += reader->bytes_consumed();
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_RereadCheck)->Unit(benchmark::kMillisecond)->UseRealTime();

template <typename F>
void PerLine(benchmark::State& state, F f) {
  const auto& lines = Lines();
  size_t i = 0;
  uint64_t bytes = 0;
  for (auto _ : state) {
    const std::string& line = lines[i++ % lines.size()];
    f(line);
    bytes += line.size() + 1;
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}

void BM_SplitLine(benchmark::State& state) {
  PerLine(state,
          [](const std::string& l) { benchmark::DoNotOptimize(SplitLine(l)); });
}
BENCHMARK(BM_SplitLine);

void BM_ScanEnvelope(benchmark::State& state) {
  PerLine(state, [](const std::string& l) {
    benchmark::DoNotOptimize(ScanEnvelope(l));
  });
}
BENCHMARK(BM_ScanEnvelope);

void BM_BodyHash(benchmark::State& state) {
  PerLine(state, [](const std::string& l) {
    auto f = SplitLine(l);
    benchmark::DoNotOptimize(BodyHash(f->body_prefix));
  });
}
BENCHMARK(BM_BodyHash);

void BM_LineHash(benchmark::State& state) {
  PerLine(state, [](const std::string& l) {
    benchmark::DoNotOptimize(ComputeSha256(l));
  });
}
BENCHMARK(BM_LineHash);

// What the verifier no longer does per line: a full JSON document parse.
void BM_JsonDomParse(benchmark::State& state) {
  PerLine(state, [](const std::string& l) {
    benchmark::DoNotOptimize(nlohmann::json::parse(l, nullptr, false));
  });
}
BENCHMARK(BM_JsonDomParse);

}  // namespace
}  // namespace secretd::audit
