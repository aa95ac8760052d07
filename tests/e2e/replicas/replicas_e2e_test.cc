// Three real `secretd serve` replicas on one PostgreSQL database behave as
// one service (issue 9, docs/scale-out.md): each on a data directory of its
// own with a copy of the same keys, administered through its own admin
// socket. A secret put through one is released by another; a single-use
// token spent on one is refused by the others; a role changed through one
// reaches the others within the documented bound (measured, with and
// without change notifications); the pool is sized by --store-pool-size and
// statements are prepared once per connection; expired token records are
// purged once across replicas, sparing the clock margin.
//
// Runs on the server of SECRETD_TEST_POSTGRES_URL (tools/test sets it) or,
// without it, on a private one it starts and stops (TestPostgresUrl).
#include <sys/stat.h>

#include <atomic>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/testing/status_matchers.h"
#include "common/testing/subprocess.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "keys/encoding.h"
#include "keys/random.h"
#include "keys/x25519.h"
#include "nlohmann/json.hpp"
#include "proto/secretd/v1/admin.grpc.pb.h"
#include "proto/secretd/v1/broker.grpc.pb.h"
#include "secretd/store/testing/postgres_test_server.h"
#include "tests/e2e/broker/harness.h"
#include "tests/e2e/replicas/cluster.h"

namespace secretd::testing {
namespace {

using ::common::testing::IsOk;
using ::testing::HasSubstr;
using Json = nlohmann::json;

// The documented bound (docs/scale-out.md §3) is the refresh interval plus
// one reload. The reload is a few milliseconds (one LoadSnapshot round trip
// and compiling the roles); the allowance also covers the probe itself and
// a busy 2-core machine.
constexpr absl::Duration kReloadAllowance = absl::Seconds(1);
constexpr int kPoolSize = 2;

class ReplicasTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { setup_ = new absl::Status(StartCluster()); }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
    delete schema_;
    schema_ = nullptr;
    delete setup_;
    setup_ = nullptr;
  }

  static absl::Status StartCluster() {
    absl::StatusOr<std::unique_ptr<TestSchema>> schema = TestSchema::Create();
    if (!schema.ok()) return schema.status();
    schema_ = schema->release();
    ReplicaCluster::Options options;
    options.store_url = schema_->url();
    options.application_name_prefix = schema_->name();
    absl::StatusOr<std::unique_ptr<ReplicaCluster>> cluster =
        ReplicaCluster::Create(options);
    if (!cluster.ok()) return cluster.status();
    cluster_ = cluster->release();
    absl::Status s = cluster_->StartReplicas(
        3, {"--store-pool-size", absl::StrCat(kPoolSize), "--metrics-listen",
            "127.0.0.1:0"});
    if (!s.ok()) return s;
    // Shared state, put through replica A's admin socket.
    if (s = cluster_->TrustAttestor(0); !s.ok()) return s;
    if (s = cluster_->PutRole(0, "web", "app/"); !s.ok()) return s;
    if (s = cluster_->PutRole(0, "once", "app/", /*single_use=*/true);
        !s.ok()) {
      return s;
    }
    return WaitForAllReplicas(0, cluster_->size());
  }

  // Waits until replicas [from, to) run with the database's current
  // change counter.
  static absl::Status WaitForAllReplicas(int from, int to) {
    absl::StatusOr<std::string> text =
        schema_->Query("SELECT value FROM change_counter");
    if (!text.ok()) return text.status();
    int64_t counter = 0;
    if (!absl::SimpleAtoi(*text, &counter)) {
      return absl::InternalError(absl::StrCat("change counter ", *text));
    }
    for (int i = from; i < to; ++i) {
      const int64_t at_start =
          cluster_->server(i).startup_line().value("change_counter", -1);
      if (at_start >= counter) continue;
      if (!cluster_->server(i).WaitForLog([&](const Json& j) {
            return j.value("msg", "") == "state loaded" &&
                   j.value("change_counter", int64_t{-1}) >= counter;
          })) {
        return absl::DeadlineExceededError(absl::StrCat(
            cluster_->replica_id(i), " never loaded counter ", counter));
      }
    }
    return absl::OkStatus();
  }

  void SetUp() override {
    ASSERT_NE(setup_, nullptr);
    ASSERT_OK(*setup_);
  }

  // Provision of `secrets` with `role` on replica i. Sets *response.
  grpc::Status Provision(int i, const std::string& token,
                         const std::string& role,
                         const std::vector<std::string>& secrets,
                         secretd::v1::ProvisionResponse* response) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(20));
    secretd::v1::ProvisionRequest req;
    req.set_attestation_token(token);
    req.set_role(role);
    for (const std::string& s : secrets) req.add_secrets(s);
    return cluster_->broker(i).Provision(&ctx, req, response);
  }

  std::string RequestId(const grpc::Status& s,
                        const secretd::v1::ProvisionResponse& r) {
    return s.ok() ? r.request_id() : RequestIdIn(s.error_message());
  }

  // The value of `metric` on replica i's /metrics.
  double Metric(int i, absl::string_view metric) {
    absl::StatusOr<std::string> text =
        HttpGet(cluster_->server(i).metrics_port(), "/metrics");
    EXPECT_THAT(text, IsOk());
    std::optional<double> v = MetricValue(text.value_or(""), metric);
    EXPECT_TRUE(v.has_value()) << metric;
    return v.value_or(-1);
  }

  static absl::Status* setup_;
  static TestSchema* schema_;
  static ReplicaCluster* cluster_;
  keys::X25519KeyPair pair_ = keys::X25519KeyPair::Generate();
};

absl::Status* ReplicasTest::setup_ = nullptr;
TestSchema* ReplicasTest::schema_ = nullptr;
ReplicaCluster* ReplicasTest::cluster_ = nullptr;

TEST_F(ReplicasTest, EveryReplicaServesItsOwnAdminSocketOnItsOwnDataDir) {
  for (int i = 0; i < 3; ++i) {
    struct stat st;
    ASSERT_EQ(stat(cluster_->admin_socket(i).c_str(), &st), 0) << i;
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    // No SQLite file: the store is the database.
    EXPECT_NE(stat((cluster_->data_dir(i) + "/store.db").c_str(), &st), 0);
    EXPECT_EQ(cluster_->server(i).startup_line().value("refresh", ""),
              "notify+poll");
    // Any replica's socket shows what was put through replica A's.
    ASSERT_OK_AND_ASSIGN(std::string roles,
                         cluster_->Secretctl(i, {"role", "list"}));
    EXPECT_THAT(roles, HasSubstr("web"));
    EXPECT_THAT(roles, HasSubstr("once"));
  }
}

TEST_F(ReplicasTest, ASecretPutThroughOneReplicaIsReleasedByAnother) {
  keys::SystemRandom random;
  const std::string value =
      keys::Base64UrlEncode(keys::RandomBytes(random, 24));
  ASSERT_OK_AND_ASSIGN(
      std::string put,
      cluster_->Secretctl(
          0, {"secret", "put", "app/shared/token", "--value-file", "-"},
          value));
  // Replica C releases it at once: secrets are read per request, never
  // cached.
  ASSERT_OK_AND_ASSIGN(std::string token, cluster_->Token(2, pair_));
  secretd::v1::ProvisionResponse response;
  grpc::Status s = Provision(2, token, "web", {"app/shared/token"}, &response);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_OK_AND_ASSIGN(keys::SecretBytes opened,
                       keys::OpenSealed(pair_, response.sealed_bundle()));
  secretd::v1::SecretBundle bundle;
  ASSERT_TRUE(bundle.ParseFromString(
      std::string(opened.AsStringView(keys::InsecureSecretAccess::Get()))));
  ASSERT_EQ(bundle.secrets_size(), 1);
  EXPECT_EQ(bundle.secrets(0).name(), "app/shared/token");
  EXPECT_EQ(bundle.secrets(0).value(), value);
  // The put is audited by A, the release by C.
  bool put_in_a = false;
  for (const Json& j : ReadAuditLog(cluster_->audit_path(0))) {
    put_in_a |= j.value("type", "") == "admin.secret.put" &&
                j.value("secret", "") == "app/shared/token";
  }
  EXPECT_TRUE(put_in_a);
  std::vector<Json> in_c =
      RecordsFor(ReadAuditLog(cluster_->audit_path(2)), response.request_id());
  ASSERT_EQ(in_c.size(), 1u);
  EXPECT_EQ(in_c[0]["decision"], "allow");
  // And replica B's socket lists it.
  ASSERT_OK_AND_ASSIGN(std::string list,
                       cluster_->Secretctl(1, {"secret", "list", "app/"}));
  EXPECT_THAT(list, HasSubstr("app/shared/token"));
}

TEST_F(ReplicasTest, ASingleUseTokenUsedOnOneReplicaIsRefusedByTheOthers) {
  ASSERT_THAT(cluster_->Secretctl(
                  0, {"secret", "put", "app/once/key", "--value-file", "-"},
                  "once-value"),
              IsOk());
  ASSERT_OK_AND_ASSIGN(std::string token, cluster_->Token(0, pair_));
  secretd::v1::ProvisionResponse first;
  grpc::Status s = Provision(0, token, "once", {"app/once/key"}, &first);
  ASSERT_TRUE(s.ok()) << s.error_message();
  for (int i : {1, 2}) {
    secretd::v1::ProvisionResponse again;
    grpc::Status refused =
        Provision(i, token, "once", {"app/once/key"}, &again);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAUTHENTICATED) << i;
    std::vector<Json> records =
        RecordsFor(ReadAuditLog(cluster_->audit_path(i)),
                   RequestIdIn(refused.error_message()));
    ASSERT_EQ(records.size(), 1u) << i;
    EXPECT_EQ(records[0]["reason"], "token.replayed");
  }
  // Also on the replica that took it.
  secretd::v1::ProvisionResponse third;
  EXPECT_EQ(Provision(0, token, "once", {"app/once/key"}, &third).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

// Measures how long a role change made through replica `via` takes to
// reach `targets`: `changes` times, flips role "flip" between allowing
// app/* and allowing nothing we ask for, and probes each target with
// Provision until its answer follows. Delay: from the admin RPC's return
// (the change is committed) to the end of the first probe that shows it.
// Fails a change whose delay exceeds `bound`. Each change waits a random
// part of `phase_jitter` first, so that changes do not fall in step with the
// replicas' polls (a change made just after the poll that showed the last
// one would always wait a whole interval).
std::vector<double> MeasurePropagation(ReplicaCluster& cluster, int via,
                                       const std::vector<int>& targets,
                                       int changes, absl::Duration bound,
                                       absl::Duration probe_spacing,
                                       absl::Duration phase_jitter) {
  absl::BitGen bitgen;
  auto admin = cluster.AdminStub(via);
  EXPECT_THAT(admin, IsOk());
  if (!admin.ok()) return {};
  keys::X25519KeyPair pair = keys::X25519KeyPair::Generate();
  std::map<int, std::string> tokens;
  for (int t : targets) {
    absl::StatusOr<std::string> token = cluster.Token(t, pair);
    EXPECT_THAT(token, IsOk());
    tokens[t] = token.value_or("");
  }
  std::vector<double> delays_ms;
  absl::Mutex mu;
  for (int change = 0; change < changes; ++change) {
    // Starts with "allow": a role that does not exist yet denies too.
    const bool allow = change % 2 == 0;
    if (phase_jitter > absl::ZeroDuration()) {
      absl::SleepFor(phase_jitter * absl::Uniform(bitgen, 0.0, 1.0));
    }
    secretd::v1::PutRoleRequest req;
    secretd::v1::Role* role = req.mutable_role();
    role->set_name("flip");
    role->mutable_trust_policy()->set_name("trust.json");
    role->mutable_trust_policy()->set_document(ClusterTrustPolicy());
    auto* policy = role->add_permission_policies();
    policy->set_name("read.json");
    policy->set_document(ReadPolicy(allow ? "app/" : "nothing/"));
    grpc::ClientContext ctx;
    secretd::v1::PutRoleResponse resp;
    grpc::Status put = (*admin)->PutRole(&ctx, req, &resp);
    const absl::Time committed = absl::Now();
    EXPECT_TRUE(put.ok()) << put.error_message();
    if (!put.ok()) return delays_ms;
    std::vector<std::thread> probes;
    for (int t : targets) {
      probes.emplace_back([&, t] {
        while (true) {
          grpc::ClientContext pctx;
          pctx.set_deadline(std::chrono::system_clock::now() +
                            std::chrono::seconds(10));
          secretd::v1::ProvisionRequest preq;
          preq.set_attestation_token(tokens[t]);
          preq.set_role("flip");
          preq.add_secrets("app/db/password");
          secretd::v1::ProvisionResponse presp;
          grpc::Status s = cluster.broker(t).Provision(&pctx, preq, &presp);
          const absl::Time seen = absl::Now();
          ASSERT_TRUE(s.ok() ||
                      s.error_code() == grpc::StatusCode::PERMISSION_DENIED)
              << s.error_message();
          if (s.ok() == allow) {
            absl::MutexLock lock(&mu);
            delays_ms.push_back(absl::ToDoubleMilliseconds(seen - committed));
            return;
          }
          ASSERT_LE(seen - committed, bound)
              << cluster.replica_id(t) << " still answers with the old role "
              << absl::FormatDuration(seen - committed) << " after change "
              << change;
          absl::SleepFor(probe_spacing);
        }
      });
    }
    for (auto& p : probes) p.join();
    if (::testing::Test::HasFatalFailure()) break;
  }
  return delays_ms;
}

std::string Summary(std::vector<double> delays) {
  return absl::StrFormat("%d samples: p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                         delays.size(), Percentile(delays, 50),
                         Percentile(delays, 99), Percentile(delays, 100));
}

TEST_F(ReplicasTest, ARoleChangedOnOneReplicaReachesTheOthersWithinTheBound) {
  ASSERT_THAT(cluster_->Secretctl(
                  1, {"secret", "put", "app/db/password", "--value-file", "-"},
                  "flip-value"),
              IsOk());
  // Replicas run with the default --refresh-interval (1s) and
  // notifications on: the poll is the bound, a notification the usual
  // case.
  const absl::Duration bound = absl::Seconds(1) + kReloadAllowance;
  std::vector<double> delays = MeasurePropagation(
      *cluster_, /*via=*/1, /*targets=*/{0, 2}, /*changes=*/50, bound,
      /*probe_spacing=*/absl::ZeroDuration(),
      /*phase_jitter=*/absl::ZeroDuration());
  ASSERT_EQ(delays.size(), 100u);
  const std::string summary = Summary(delays);
  std::cout << "propagation, notify+poll, refresh 1s: " << summary << "\n";
  RecordProperty("propagation_notify", summary);
  // Notifications flow here, so the usual case is far below the poll.
  EXPECT_LT(Percentile(delays, 50), 500.0) << summary;
}

TEST_F(ReplicasTest, WithoutNotificationsThePollAloneMeetsTheBound) {
  ASSERT_THAT(cluster_->Secretctl(
                  1, {"secret", "put", "app/db/password", "--value-file", "-"},
                  "flip-value"),
              IsOk());
  // Two more replicas that only poll, every 250 ms.
  const int first = cluster_->size();
  ASSERT_OK(cluster_->StartReplicas(
      2, {"--store-notifications", "off", "--refresh-interval", "250ms"}));
  EXPECT_EQ(cluster_->server(first).startup_line().value("refresh", ""),
            "poll");
  const absl::Duration bound = absl::Milliseconds(250) + kReloadAllowance;
  std::vector<double> delays = MeasurePropagation(
      *cluster_, /*via=*/1, /*targets=*/{first, first + 1}, /*changes=*/10,
      bound, /*probe_spacing=*/absl::Milliseconds(2),
      /*phase_jitter=*/absl::Milliseconds(250));
  ASSERT_EQ(delays.size(), 20u);
  const std::string summary = Summary(delays);
  std::cout << "propagation, poll only, refresh 250ms: " << summary << "\n";
  RecordProperty("propagation_poll", summary);
}

TEST_F(ReplicasTest, ThePoolIsSizedByTheFlagAndStatementsArePreparedOnce) {
  ASSERT_THAT(cluster_->Secretctl(
                  0, {"secret", "put", "app/pool/key", "--value-file", "-"},
                  "pool-value"),
              IsOk());
  ASSERT_OK_AND_ASSIGN(std::string token, cluster_->Token(0, pair_));
  auto drive = [&] {
    std::vector<std::thread> workers;
    for (int w = 0; w < 8; ++w) {
      workers.emplace_back([&] {
        for (int n = 0; n < 25; ++n) {
          secretd::v1::ProvisionResponse r;
          grpc::Status s = Provision(0, token, "web", {"app/pool/key"}, &r);
          ASSERT_TRUE(s.ok()) << s.error_message();
        }
      });
    }
    for (auto& w : workers) w.join();
  };
  drive();
  const std::string opened = "secretd_store_connections_opened_total";
  const std::string prepared = "secretd_store_statements_prepared_total";
  const double opened_after_first = Metric(0, opened);
  const double prepared_after_first = Metric(0, prepared);
  // Eight callers share --store-pool-size connections.
  EXPECT_GE(opened_after_first, 1);
  EXPECT_LE(opened_after_first, kPoolSize);
  EXPECT_EQ(Metric(0, "secretd_store_connect_failures_total"), 0);
  // The database agrees: the pool plus the change listener.
  ASSERT_OK_AND_ASSIGN(
      std::string sessions,
      schema_->Query(absl::StrCat(
          "SELECT count(*) FROM pg_stat_activity WHERE application_name = '",
          cluster_->application_name(0), "'")));
  int count = 0;
  ASSERT_TRUE(absl::SimpleAtoi(sessions, &count)) << sessions;
  EXPECT_GE(count, 1);
  EXPECT_LE(count, kPoolSize + 1);
  // A second round reuses the same connections and prepares nothing.
  drive();
  EXPECT_EQ(Metric(0, opened), opened_after_first);
  EXPECT_EQ(Metric(0, prepared), prepared_after_first);
  EXPECT_EQ(Metric(0, "secretd_store_connections{state=\"in_use\"}"), 0);
}

TEST_F(ReplicasTest, ExpiredTokenRecordsArePurgedOnceAcrossReplicas) {
  // 25,000 records expired an hour ago (purged), 100 expired a minute ago
  // (within the 10-minute margin: spared, in case a replica's clock runs
  // fast) and 10 live ones.
  const int64_t now_us = absl::ToUnixMicros(absl::Now());
  ASSERT_THAT(schema_->Query(absl::StrCat(
                  "INSERT INTO token_uses (issuer, jti, expires_at_us) SELECT "
                  "'purge.test'::bytea, convert_to('old-' || n, 'UTF8'), ",
                  now_us - int64_t{3600} * 1000000,
                  " FROM generate_series(1, 25000) AS n; "
                  "INSERT INTO token_uses (issuer, jti, expires_at_us) SELECT "
                  "'purge.test'::bytea, convert_to('recent-' || n, 'UTF8'), ",
                  now_us - int64_t{60} * 1000000,
                  " FROM generate_series(1, 100) AS n; "
                  "INSERT INTO token_uses (issuer, jti, expires_at_us) SELECT "
                  "'purge.test'::bytea, convert_to('live-' || n, 'UTF8'), ",
                  now_us + int64_t{600} * 1000000,
                  " FROM generate_series(1, 10) AS n")),
              IsOk());
  // Two replicas that purge at start (both at once) and every 200 ms.
  const int first = cluster_->size();
  ASSERT_OK(cluster_->StartReplicas(
      2, {"--token-purge-interval", "200ms", "--token-purge-margin", "10m",
          "--log-level", "debug"}));
  auto remaining = [&] {
    absl::StatusOr<std::string> n = schema_->Query(
        "SELECT count(*) FROM token_uses WHERE issuer = 'purge.test'");
    EXPECT_THAT(n, IsOk());
    return n.value_or("?");
  };
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (remaining() != "110" && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_EQ(remaining(), "110");
  // Each record was deleted by exactly one replica.
  auto purged_lines = [&](int i) {
    std::vector<int64_t> counts;
    for (const std::string& line : cluster_->server(i).LogLines()) {
      Json j = Json::parse(line, nullptr, false);
      if (j.is_object() &&
          j.value("msg", "") == "expired token records purged") {
        counts.push_back(j.value("count", int64_t{0}));
      }
    }
    return counts;
  };
  int64_t total = 0;
  size_t seen[2];
  for (int i : {first, first + 1}) {
    std::vector<int64_t> counts = purged_lines(i);
    seen[i - first] = counts.size();
    for (int64_t c : counts) total += c;
  }
  EXPECT_EQ(total, 25000);
  // Later purges (each replica runs at least one more) spare the recent
  // and the live records.
  for (int i : {first, first + 1}) {
    ASSERT_TRUE(cluster_->server(i).WaitForLog(
        [&, n = size_t{0}](const Json& j) mutable {
          return j.value("msg", "") == "expired token records purged" &&
                 ++n > seen[i - first];
        }));
  }
  EXPECT_EQ(remaining(), "110");
}

TEST(ReplicaFlagsTest, StoreNotificationsTakesOnOrOff) {
  common::testing::ProcessResult r = common::testing::RunProcess(
      {kSecretdBinary, "serve", "--data-dir", TempPath("none"), "--listen",
       "127.0.0.1:0", "--audience", kClusterAudience, "--store-notifications",
       "maybe"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--store-notifications must be on or off"));
  r = common::testing::RunProcess({kSecretdBinary, "serve", "--data-dir",
                                   TempPath("none"), "--listen", "127.0.0.1:0",
                                   "--audience", kClusterAudience,
                                   "--token-purge-margin", "-1s"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--token-purge-margin"));
}

}  // namespace
}  // namespace secretd::testing
