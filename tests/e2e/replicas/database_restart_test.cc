// The database restarts in the middle of a load run (issue 9): three real
// `secretd serve` replicas on a PostgreSQL server of the test's own, six
// client threads calling Provision on all of them. The server is stopped
// and started again; no replica is restarted. Checks:
//   - every answer is OK or UNAVAILABLE, nothing else, at any time;
//   - before the stop every call succeeds; while the server is down every
//     call is UNAVAILABLE (nothing is released);
//   - after the start every replica serves again by itself, and once it
//     has, every later call succeeds; reconnecting backed off (a handful of
//     connection attempts against hundreds of failed calls);
//   - every OK has exactly one audit record, `decision: allow`, in the log
//     of the replica that answered, and every UNAVAILABLE exactly one,
//     `decision: deny`, reason store.unavailable (the audit log was
//     writable throughout); no other provision records exist; each log
//     passes `secretctl audit verify --require-signed`.
//
// Tagged no-sandbox: tools/pg_server runs the server as the postgres user
// when the test runs as root, which Bazel's sandbox cannot do.
#include <atomic>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/testing/status_matchers.h"
#include "common/testing/subprocess.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "keys/x25519.h"
#include "nlohmann/json.hpp"
#include "proto/grpc/health/v1/health.grpc.pb.h"
#include "proto/secretd/v1/broker.grpc.pb.h"
#include "secretd/store/testing/postgres_test_server.h"
#include "tests/e2e/broker/harness.h"
#include "tests/e2e/replicas/cluster.h"

namespace secretd::testing {
namespace {

using ::common::testing::IsOk;
using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;
using Json = nlohmann::json;

constexpr int kReplicas = 3;
constexpr int kWorkersPerReplica = 2;

struct Call {
  int replica = 0;
  absl::Time start;
  absl::Time end;
  grpc::StatusCode code = grpc::StatusCode::OK;
  std::string request_id;
  std::string message;
};

// Closed-loop clients, `kWorkersPerReplica` per replica, each with a token
// of its own (role "web" accepts a token many times).
class Load {
 public:
  Load(ReplicaCluster& cluster, std::vector<std::string> tokens)
      : cluster_(cluster), tokens_(std::move(tokens)) {}

  void Start() {
    for (size_t w = 0; w < tokens_.size(); ++w) {
      workers_.emplace_back([this, w] { Run(static_cast<int>(w)); });
    }
  }
  void Stop() {
    stop_ = true;
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  // Waits until `pred(calls)` holds, checking as calls complete. False
  // after `timeout`.
  bool WaitFor(const std::function<bool(const std::vector<Call>&)>& pred,
               absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto done = [&]()
                    ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return pred(calls_); };
    return mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
  }

  std::vector<Call> calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }

 private:
  void Run(int worker) {
    const int replica = worker % kReplicas;
    while (!stop_) {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(30));
      secretd::v1::ProvisionRequest req;
      req.set_attestation_token(tokens_[worker]);
      req.set_role("web");
      req.add_secrets("app/db/password");
      secretd::v1::ProvisionResponse resp;
      Call call;
      call.replica = replica;
      call.start = absl::Now();
      grpc::Status s = cluster_.broker(replica).Provision(&ctx, req, &resp);
      call.end = absl::Now();
      call.code = s.error_code();
      call.message = s.error_message();
      call.request_id =
          s.ok() ? resp.request_id() : RequestIdIn(s.error_message());
      {
        absl::MutexLock lock(&mu_);
        calls_.push_back(std::move(call));
      }
      // A client's think time: keeps the outage's fast failures from
      // filling the audit logs.
      absl::SleepFor(absl::Milliseconds(2));
    }
  }

  ReplicaCluster& cluster_;
  const std::vector<std::string> tokens_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> workers_;
  absl::Mutex mu_;
  std::vector<Call> calls_ ABSL_GUARDED_BY(mu_);
};

// Waits (up to 10 s) until replica i's grpc.health.v1 status for
// secretd.v1.Broker is `want`.
bool WaitForHealth(ReplicaCluster& cluster, int i,
                   HealthCheckResponse::ServingStatus want) {
  auto stub = grpc::health::v1::Health::NewStub(TlsChannelTo(
      cluster.data_dir(i) + "/tls/ca.pem", cluster.server(i).port()));
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    grpc::ClientContext ctx;
    HealthCheckRequest req;
    req.set_service("secretd.v1.Broker");
    HealthCheckResponse resp;
    if (stub->Check(&ctx, req, &resp).ok() && resp.status() == want) {
      return true;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return false;
}

// Calls of `replica` that started at or after `t`.
int CallsSince(const std::vector<Call>& calls, int replica, absl::Time t,
               bool ok_only = false) {
  int n = 0;
  for (const Call& c : calls) {
    if (c.replica == replica && c.start >= t &&
        (!ok_only || c.code == grpc::StatusCode::OK)) {
      ++n;
    }
  }
  return n;
}

TEST(DatabaseRestartTest, RequestsFailClosedDuringTheOutageAndRecoverAfter) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<TestPostgresServer> server,
                       TestPostgresServer::Start());
  ReplicaCluster::Options options;
  options.store_url = server->url();
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<ReplicaCluster> cluster,
                       ReplicaCluster::Create(options));
  ASSERT_OK(cluster->StartReplicas(
      kReplicas,
      {"--refresh-interval", "200ms", "--metrics-listen", "127.0.0.1:0"}));
  std::vector<pid_t> pids;
  for (int i = 0; i < kReplicas; ++i) pids.push_back(cluster->server(i).pid());
  ASSERT_OK(cluster->TrustAttestor(0));
  ASSERT_OK(cluster->PutRole(0, "web", "app/"));
  ASSERT_THAT(cluster->Secretctl(
                  0, {"secret", "put", "app/db/password", "--value-file", "-"},
                  "restart-value"),
              IsOk());
  std::vector<std::string> tokens;
  std::vector<keys::X25519KeyPair> pairs;
  for (int w = 0; w < kReplicas * kWorkersPerReplica; ++w) {
    pairs.push_back(keys::X25519KeyPair::Generate());
    ASSERT_OK_AND_ASSIGN(
        std::string token,
        cluster->Token(w % kReplicas, pairs.back(), absl::StrCat("i-", w)));
    tokens.push_back(token);
  }
  // Every replica sees the role (the poll, at the latest).
  std::set<std::string> warm_up;
  for (int i = 0; i < kReplicas; ++i) {
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (true) {
      grpc::ClientContext ctx;
      secretd::v1::ProvisionRequest req;
      req.set_attestation_token(tokens[i]);
      req.set_role("web");
      req.add_secrets("app/db/password");
      secretd::v1::ProvisionResponse resp;
      grpc::Status s = cluster->broker(i).Provision(&ctx, req, &resp);
      warm_up.insert(s.ok() ? resp.request_id()
                            : RequestIdIn(s.error_message()));
      if (s.ok()) break;
      ASSERT_LT(absl::Now(), deadline) << s.error_message();
      absl::SleepFor(absl::Milliseconds(20));
    }
  }

  Load load(*cluster, tokens);
  const absl::Time load_start = absl::Now();
  load.Start();
  auto every_replica = [&](absl::Time since, int n, bool ok_only) {
    return [=](const std::vector<Call>& calls) {
      for (int i = 0; i < kReplicas; ++i) {
        if (CallsSince(calls, i, since, ok_only) < n) return false;
      }
      return true;
    };
  };
  ASSERT_TRUE(
      load.WaitFor(every_replica(load_start, 30, false), absl::Seconds(30)));

  const absl::Time stop_begin = absl::Now();
  ASSERT_OK(server->Stop());
  const absl::Time stop_end = absl::Now();
  // The outage lasts at least 3 s (long enough for the replicas' reconnect
  // backoff to grow) and until every replica has refused calls made during
  // it.
  ASSERT_TRUE(load.WaitFor(
      [&](const std::vector<Call>& calls) {
        return every_replica(stop_end, 20, false)(calls) &&
               absl::Now() - stop_end >= absl::Seconds(3);
      },
      absl::Seconds(30)));
  // Health checks take the replicas out of a load balancer meanwhile.
  for (int i = 0; i < kReplicas; ++i) {
    EXPECT_TRUE(WaitForHealth(*cluster, i, HealthCheckResponse::NOT_SERVING))
        << cluster->replica_id(i);
  }
  const absl::Time start_begin = absl::Now();
  ASSERT_OK(server->StartAgain());
  const absl::Time start_end = absl::Now();
  // Every replica serves again by itself...
  ASSERT_TRUE(
      load.WaitFor(every_replica(start_end, 1, true), absl::Seconds(30)))
      << "a replica did not recover within 30 s of the server's start";
  // ...and goes on serving, reported healthy again.
  const absl::Time all_back = absl::Now();
  for (int i = 0; i < kReplicas; ++i) {
    EXPECT_TRUE(WaitForHealth(*cluster, i, HealthCheckResponse::SERVING))
        << cluster->replica_id(i);
  }
  ASSERT_TRUE(
      load.WaitFor(every_replica(all_back, 30, false), absl::Seconds(30)));
  load.Stop();
  const std::vector<Call> calls = load.calls();

  std::map<grpc::StatusCode, int> codes;
  int before = 0, during = 0, after = 0;
  std::vector<absl::Time> first_ok_after(kReplicas, absl::InfiniteFuture());
  for (const Call& c : calls) {
    if (c.code == grpc::StatusCode::OK && c.start >= start_end &&
        c.end < first_ok_after[c.replica]) {
      first_ok_after[c.replica] = c.end;
    }
  }
  for (const Call& c : calls) {
    ++codes[c.code];
    ASSERT_TRUE(c.code == grpc::StatusCode::OK ||
                c.code == grpc::StatusCode::UNAVAILABLE)
        << "replica " << c.replica << " answered " << c.code << ": "
        << c.message;
    ASSERT_FALSE(c.request_id.empty()) << c.message;
    if (c.end <= stop_begin) {
      ++before;
      EXPECT_EQ(c.code, grpc::StatusCode::OK) << c.message;
    } else if (c.start >= stop_end && c.end <= start_begin) {
      ++during;
      EXPECT_EQ(c.code, grpc::StatusCode::UNAVAILABLE)
          << "released while the database was down: " << c.request_id;
    } else if (c.start >= first_ok_after[c.replica]) {
      ++after;
      EXPECT_EQ(c.code, grpc::StatusCode::OK)
          << "replica " << c.replica
          << " failed after it recovered: " << c.message;
    }
  }
  EXPECT_GE(during, kReplicas * 20);
  std::cout << absl::StrCat(
                   "calls: ", calls.size(), " (", before, " before the stop, ",
                   during, " while down, ", after, " after recovery); OK ",
                   codes[grpc::StatusCode::OK], ", UNAVAILABLE ",
                   codes[grpc::StatusCode::UNAVAILABLE], "; server stop took ",
                   absl::FormatDuration(stop_end - stop_begin), ", start ",
                   absl::FormatDuration(start_end - start_begin))
            << "\n";
  for (int i = 0; i < kReplicas; ++i) {
    std::cout << cluster->replica_id(i) << " recovered "
              << absl::FormatDuration(first_ok_after[i] - start_end)
              << " after the server started\n";
  }

  // No replica was restarted.
  for (int i = 0; i < kReplicas; ++i) {
    EXPECT_EQ(cluster->server(i).pid(), pids[i]);
  }
  // Reconnection backs off: hundreds of calls failed on each replica while
  // the server was down, but only a few connection attempts were made.
  for (int i = 0; i < kReplicas; ++i) {
    absl::StatusOr<std::string> metrics =
        HttpGet(cluster->server(i).metrics_port(), "/metrics");
    ASSERT_THAT(metrics, IsOk());
    const std::optional<double> failures =
        MetricValue(*metrics, "secretd_store_connect_failures_total");
    ASSERT_TRUE(failures.has_value());
    int failed_calls = 0;
    for (const Call& c : calls) {
      failed_calls += c.replica == i && c.code != grpc::StatusCode::OK;
    }
    std::cout << cluster->replica_id(i) << ": " << failed_calls
              << " calls failed, " << *failures
              << " connection attempts failed\n";
    EXPECT_GE(*failures, 1);
    EXPECT_LE(*failures, 20);
    EXPECT_GT(failed_calls, 5 * *failures);
  }
  for (int code : cluster->StopAll()) EXPECT_EQ(code, 0);

  // The audit logs: one record per answer, in the answering replica's log.
  std::map<std::string, std::vector<std::pair<int, Json>>> records;
  for (int i = 0; i < kReplicas; ++i) {
    for (Json& j : ReadAuditLog(cluster->audit_path(i))) {
      ASSERT_TRUE(j.is_object()) << cluster->audit_path(i);
      if (j.value("type", "") != "provision") continue;
      records[j.value("request_id", "")].push_back({i, std::move(j)});
    }
  }
  std::set<std::string> answered;
  for (const Call& c : calls) {
    answered.insert(c.request_id);
    auto it = records.find(c.request_id);
    ASSERT_NE(it, records.end()) << "no audit record for " << c.request_id;
    ASSERT_EQ(it->second.size(), 1u) << c.request_id;
    const auto& [replica, record] = it->second[0];
    EXPECT_EQ(replica, c.replica) << c.request_id;
    if (c.code == grpc::StatusCode::OK) {
      EXPECT_EQ(record["decision"], "allow") << c.request_id;
      EXPECT_EQ(record["released"].size(), 1u) << c.request_id;
    } else {
      EXPECT_EQ(record["decision"], "deny") << c.request_id;
      EXPECT_EQ(record["reason"], "store.unavailable") << c.request_id;
      EXPECT_TRUE(record["released"].empty()) << c.request_id;
    }
  }
  // No other provision records than the run's and the warm-up's.
  EXPECT_EQ(records.size(), answered.size() + warm_up.size());
  for (int i = 0; i < kReplicas; ++i) {
    common::testing::ProcessResult verify = common::testing::RunProcess(
        {kSecretctlBinary, "audit", "verify", "--require-signed",
         "--audit-public-key", cluster->data_dir(i) + "/keys/audit.pub",
         cluster->audit_path(i)});
    EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  }
}

}  // namespace
}  // namespace secretd::testing
