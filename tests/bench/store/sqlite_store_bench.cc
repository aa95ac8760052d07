// SqliteStore throughput: the numbers behind its connection strategy
// (docs/store.md, "Connections"). Run:
//
//   bazel run -c opt //tests/bench/store:sqlite_store_bench
//
// Each benchmark takes the number of reader connections as its argument
// (0: reads share the writer connection and its mutex) and runs with 1, 2
// and 4 threads. The database lives in a fresh directory under $TMPDIR (or
// /tmp): put that on the disk you care about, since writes fsync.
#include <stdlib.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"  // absl::Now; common/clock.h lacks it
#include "benchmark/benchmark.h"
#include "common/clock.h"
#include "secretd/store/sqlite_store.h"
#include "tests/bench/store/bench_data.h"

namespace secretd {
namespace {

using bench::Envelope;
using bench::kSecrets;

common::RealClock g_clock;
std::unique_ptr<SqliteStore> g_store;
std::atomic<int64_t> g_jti{0};

// Makes a populated store in a new directory (thread 0 only; the other
// threads wait at the start of the timing loop).
void SetUpStore(benchmark::State& state) {
  if (state.thread_index() != 0) return;
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = absl::StrCat(tmp != nullptr ? tmp : "/tmp",
                                 "/secretd-store-bench-XXXXXX");
  if (::mkdtemp(dir.data()) == nullptr) {
    state.SkipWithError("mkdtemp failed");
    return;
  }
  SqliteStore::Options options;
  options.create = true;
  options.reader_connections = static_cast<int>(state.range(0));
  auto store = SqliteStore::Open(dir + "/store.db", g_clock, options);
  if (!store.ok()) {
    state.SkipWithError(store.status().ToString().c_str());
    return;
  }
  g_store = *std::move(store);
  const absl::Status populated = bench::Populate(*g_store);
  if (!populated.ok()) state.SkipWithError(populated.ToString().c_str());
}

void TearDownStore(benchmark::State& state) {
  if (state.thread_index() == 0) g_store.reset();
}

// The timed loop shared by every benchmark: `op(state)` once per
// iteration on the shared store; the first error stops the benchmark.
// `after_setup` and `before_teardown` run on thread 0 only, around the
// timed loops of all threads.
template <typename Op>
void Run(
    benchmark::State& state, Op op,
    const std::function<void()>& after_setup = [] {},
    const std::function<void()>& before_teardown = [] {}) {
  SetUpStore(state);
  if (state.thread_index() == 0) after_setup();
  for (auto _ : state) {
    const absl::Status status = op(state);
    if (!status.ok()) {
      state.SkipWithError(status.ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) before_teardown();
  TearDownStore(state);
}

// The broker's hot read: the newest enabled version of one secret.
absl::Status ReadOneSecret(int* i) {
  auto record = g_store->GetSecretVersion(
      absl::StrCat("app/secret-", (*i)++ % kSecrets), std::nullopt);
  benchmark::DoNotOptimize(record);
  return record.status();
}

// A durable write (single_use_tokens: one per Provision).
absl::Status RecordOneToken() {
  return g_store->RecordTokenUse("issuer", absl::StrCat("jti-", g_jti++),
                                 absl::Now() + absl::Hours(1));
}

void BM_GetSecretVersion(benchmark::State& state) {
  int i = state.thread_index() * 7;
  Run(state, [&](benchmark::State&) { return ReadOneSecret(&i); });
}

// What every replica polls.
void BM_GetChangeCounter(benchmark::State& state) {
  Run(state, [](benchmark::State&) {
    auto counter = g_store->GetChangeCounter();
    benchmark::DoNotOptimize(counter);
    return counter.status();
  });
}

// A cache refresh: 20 roles and 20 trust bundles in one transaction.
void BM_LoadSnapshot(benchmark::State& state) {
  Run(state, [](benchmark::State&) {
    auto snapshot = g_store->LoadSnapshot();
    benchmark::DoNotOptimize(snapshot);
    return snapshot.status();
  });
}

void BM_RecordTokenUse(benchmark::State& state) {
  Run(state, [](benchmark::State&) { return RecordOneToken(); });
}

// Provision with single-use tokens: a background thread records token
// uses back to back (each commit waits for an fsync) while the benchmark
// threads read secrets. Shows whether reads wait behind the writer.
void BM_ReadsBesideAWriter(benchmark::State& state) {
  static std::atomic<bool> stop{false};
  static std::thread* writer = nullptr;
  static int64_t jti_before = 0;
  int i = state.thread_index() * 7;
  Run(
      state, [&](benchmark::State&) { return ReadOneSecret(&i); },
      /*after_setup=*/
      [&] {
        stop = false;
        jti_before = g_jti.load();
        writer = new std::thread([] {
          while (!stop.load() && RecordOneToken().ok()) {
          }
        });
      },
      /*before_teardown=*/
      [&] {
        stop = true;
        writer->join();
        delete writer;
        writer = nullptr;
        // The writer's progress meanwhile: does it starve?
        state.counters["writes_per_second"] =
            benchmark::Counter(static_cast<double>(g_jti.load() - jti_before),
                               benchmark::Counter::kIsRate);
      });
}

// Adding versions: the write path with the encrypt callback in the
// transaction.
void BM_AddSecretVersion(benchmark::State& state) {
  Run(state, [](benchmark::State&) {
    return g_store
        ->AddSecretVersion(
            "app/rotating",
            [](int64_t version) -> absl::StatusOr<EncryptedSecretFields> {
              return Envelope(version);
            })
        .status();
  });
}

void ReaderCounts(benchmark::internal::Benchmark* b) {
  b->ArgName("readers")->Arg(0)->Arg(2)->Arg(4);
  b->Threads(1)->Threads(2)->Threads(4)->UseRealTime();
}

BENCHMARK(BM_GetSecretVersion)->Apply(ReaderCounts);
BENCHMARK(BM_GetChangeCounter)->Apply(ReaderCounts);
BENCHMARK(BM_LoadSnapshot)->Apply(ReaderCounts);
BENCHMARK(BM_ReadsBesideAWriter)
    ->ArgName("readers")
    ->Arg(0)
    ->Arg(2)
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();
BENCHMARK(BM_RecordTokenUse)->Arg(2)->Threads(1)->Threads(4)->UseRealTime();
BENCHMARK(BM_AddSecretVersion)->Arg(2)->Threads(1)->UseRealTime();

}  // namespace
}  // namespace secretd
