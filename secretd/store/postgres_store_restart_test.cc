// PostgresStore across a server restart, on a private server (tools/
// pg_server) so that stopping it disturbs no other test: while the server
// is down every call fails with kUnavailable within a bounded time and
// nothing is written; after it comes back, the same store object works
// again, with the data it had.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/testing/fake_clock.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "secretd/store/postgres_store.h"
#include "secretd/store/testing/postgres_test_server.h"

namespace secretd {
namespace {

using ::common::testing::IsOk;
using ::common::testing::IsOkAndHolds;
using ::common::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::TestPostgresServer;

EncryptedSecretFields Fields(int64_t version) {
  return {"kek-1", absl::StrCat("wk", version), absl::StrCat("ct", version)};
}

// Every call a broker makes, once; returns the statuses.
std::vector<absl::Status> EveryCall(PostgresStore& store, int i,
                                    std::atomic<int>* encrypt_calls) {
  const absl::Time later = absl::FromUnixSeconds(1800000000);
  return {
      store.GetChangeCounter().status(),
      store.LoadSnapshot().status(),
      store.GetSecretVersion("app/db", std::nullopt).status(),
      store.ListSecrets("").status(),
      store.RecordTokenUse("issuer", absl::StrCat("jti-", i), later),
      store.PutTrustBundle(absl::StrCat("issuer-", i), "{}"),
      store
          .AddSecretVersion("app/db",
                            [&](int64_t version) {
                              ++*encrypt_calls;
                              return absl::StatusOr<EncryptedSecretFields>(
                                  Fields(version));
                            })
          .status(),
  };
}

TEST(PostgresStoreRestartTest, CallsFailFastWhileTheServerIsDownThenRecover) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TestPostgresServer> server,
                       TestPostgresServer::Start());
  common::testing::FakeClock clock(absl::FromUnixSeconds(1700000000));
  PostgresStore::Options options;
  options.pool_size = 3;
  options.connect_timeout = absl::Seconds(1);
  options.statement_timeout = absl::Seconds(1);
  options.min_reconnect_backoff = absl::Milliseconds(20);
  options.max_reconnect_backoff = absl::Milliseconds(200);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresStore> store,
                       PostgresStore::Open(server->url(), clock, options));
  ASSERT_THAT(store->AddSecretVersion(
                  "app/db",
                  [](int64_t v) {
                    return absl::StatusOr<EncryptedSecretFields>(Fields(v));
                  }),
              IsOkAndHolds(1));
  // Fill the pool: three threads each holding a connection at once.
  {
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < 30; ++i) EXPECT_OK(store->LoadSnapshot().status());
      });
    }
    for (auto& thread : threads) thread.join();
  }

  ASSERT_OK(server->Stop());
  std::atomic<int> encrypt_calls{0};
  for (int i = 0; i < 5; ++i) {
    const absl::Time start = absl::Now();
    for (const absl::Status& status : EveryCall(*store, i, &encrypt_calls)) {
      EXPECT_THAT(status, StatusIs(absl::StatusCode::kUnavailable,
                                   HasSubstr("127.0.0.1")));
    }
    // Refused connections fail at once; the bound is the timeouts.
    EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  }
  EXPECT_EQ(encrypt_calls.load(), 0);
  // Opening another store meanwhile fails the same way.
  EXPECT_THAT(PostgresStore::Open(server->url(), clock, options),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("cannot reach the database")));

  ASSERT_OK(server->StartAgain());
  // The first attempt after the backoff reconnects.
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  absl::StatusOr<int64_t> counter = store->GetChangeCounter();
  while (!counter.ok() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
    counter = store->GetChangeCounter();
  }
  ASSERT_THAT(counter, IsOkAndHolds(1));  // nothing was written meanwhile
  for (const absl::Status& status : EveryCall(*store, 100, &encrypt_calls)) {
    EXPECT_OK(status);
  }
  EXPECT_EQ(encrypt_calls.load(), 1);
  ASSERT_OK_AND_ASSIGN(std::vector<SecretMetadata> secrets,
                       store->ListSecrets("app/"));
  ASSERT_EQ(secrets.size(), 1u);
  EXPECT_EQ(secrets[0].latest_version, 2);
  EXPECT_THAT(store->ListTrustBundles(),
              IsOkAndHolds(ElementsAre(
                  ::testing::Field(&TrustBundleRecord::issuer, "issuer-100"))));
  EXPECT_LE(store->OpenConnections(), 3);
}

}  // namespace
}  // namespace secretd
