// PostgresStore beside SqliteStore: the same operations on both backends,
// for docs/store.md ("PostgreSQL: figures"). Run:
//
//   export SECRETD_PG_OPTIONS='-c fsync=on'
//   eval "$(tools/pg_server start /tmp/pg-bench)"
//   export SECRETD_TEST_POSTGRES_URL
//   bazel run -c opt //tests/bench/store:postgres_store_bench
//   tools/pg_server stop /tmp/pg-bench
//
// Each benchmark takes the backend as its argument: 0 = SQLite (a file in
// $TMPDIR or /tmp, 2 reader connections), 1 = PostgreSQL (a new schema on
// the server of SECRETD_TEST_POSTGRES_URL, a pool of 4). tools/pg_server
// turns fsync off for tests; start the benchmark's server with fsync on
// (as above) so that both backends make durable commits.
#include <stdlib.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"  // absl::Now; common/clock.h lacks it
#include "benchmark/benchmark.h"
#include "common/clock.h"
#include "secretd/store/postgres_store.h"
#include "secretd/store/sqlite_store.h"
#include "secretd/store/testing/postgres_test_server.h"
#include "tests/bench/store/bench_data.h"

namespace secretd {
namespace {

using bench::Envelope;
using bench::kSecrets;

common::RealClock g_clock;
std::unique_ptr<testing::TestSchema> g_database;
std::unique_ptr<Store> g_store;
std::atomic<int64_t> g_jti{0};

absl::StatusOr<std::unique_ptr<Store>> OpenBackend(int64_t backend) {
  if (backend == 0) {
    const char* tmp = std::getenv("TMPDIR");
    std::string dir = absl::StrCat(tmp != nullptr ? tmp : "/tmp",
                                   "/secretd-store-bench-XXXXXX");
    if (::mkdtemp(dir.data()) == nullptr) {
      return absl::UnavailableError("mkdtemp failed");
    }
    SqliteStore::Options options;
    options.create = true;
    auto store = SqliteStore::Open(dir + "/store.db", g_clock, options);
    if (!store.ok()) return store.status();
    return std::unique_ptr<Store>(*std::move(store));
  }
  auto database = testing::TestSchema::Create();
  if (!database.ok()) return database.status();
  g_database = *std::move(database);
  PostgresStore::Options options;
  options.pool_size = 4;
  auto store = PostgresStore::Open(g_database->url(), g_clock, options);
  if (!store.ok()) return store.status();
  return std::unique_ptr<Store>(*std::move(store));
}

// Makes a populated store (thread 0 only; the other threads wait at the
// start of the timing loop).
void SetUpStore(benchmark::State& state) {
  if (state.thread_index() != 0) return;
  state.SetLabel(state.range(0) == 0 ? "sqlite" : "postgres");
  auto store = OpenBackend(state.range(0));
  if (!store.ok()) {
    state.SkipWithError(store.status().ToString().c_str());
    return;
  }
  g_store = *std::move(store);
  const absl::Status populated = bench::Populate(*g_store);
  if (!populated.ok()) state.SkipWithError(populated.ToString().c_str());
}

void TearDownStore(benchmark::State& state) {
  if (state.thread_index() != 0) return;
  g_store.reset();
  g_database.reset();
}

// The timed loop shared by every benchmark: `op()` once per iteration on
// the shared store; the first error stops the benchmark.
template <typename Op>
void Run(benchmark::State& state, Op op) {
  SetUpStore(state);
  for (auto _ : state) {
    const absl::Status status = op();
    if (!status.ok()) {
      state.SkipWithError(status.ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  TearDownStore(state);
}

// The broker's hot read: the newest enabled version of one secret.
void BM_GetSecretVersion(benchmark::State& state) {
  int i = state.thread_index() * 7;
  Run(state, [&] {
    auto record = g_store->GetSecretVersion(
        absl::StrCat("app/secret-", i++ % kSecrets), std::nullopt);
    benchmark::DoNotOptimize(record);
    return record.status();
  });
}

// What every replica polls.
void BM_GetChangeCounter(benchmark::State& state) {
  Run(state, [] {
    auto counter = g_store->GetChangeCounter();
    benchmark::DoNotOptimize(counter);
    return counter.status();
  });
}

// A cache refresh: 20 roles (2 policies each) and 20 trust bundles.
void BM_LoadSnapshot(benchmark::State& state) {
  Run(state, [] {
    auto snapshot = g_store->LoadSnapshot();
    benchmark::DoNotOptimize(snapshot);
    return snapshot.status();
  });
}

// A durable write per Provision with single_use_tokens.
void BM_RecordTokenUse(benchmark::State& state) {
  Run(state, [] {
    return g_store->RecordTokenUse("issuer", absl::StrCat("jti-", g_jti++),
                                   absl::Now() + absl::Hours(1));
  });
}

// An admin change: a new version of one secret (counter, version row,
// envelope).
void BM_AddSecretVersion(benchmark::State& state) {
  Run(state, [] {
    return g_store
        ->AddSecretVersion(
            "app/rotating",
            [](int64_t version) -> absl::StatusOr<EncryptedSecretFields> {
              return Envelope(version);
            })
        .status();
  });
}

void Backends(benchmark::internal::Benchmark* b) {
  b->ArgName("backend")->Arg(0)->Arg(1);
  b->Threads(1)->Threads(2)->Threads(4)->UseRealTime();
}

BENCHMARK(BM_GetSecretVersion)->Apply(Backends);
BENCHMARK(BM_GetChangeCounter)
    ->ArgName("backend")
    ->Arg(0)
    ->Arg(1)
    ->Threads(1)
    ->UseRealTime();
BENCHMARK(BM_LoadSnapshot)->Apply(Backends);
BENCHMARK(BM_RecordTokenUse)->Apply(Backends);
BENCHMARK(BM_AddSecretVersion)
    ->ArgName("backend")
    ->Arg(0)
    ->Arg(1)
    ->Threads(1)
    ->Threads(4)
    ->UseRealTime();

}  // namespace
}  // namespace secretd
