#include <pwd.h>
// secretd: the broker daemon (docs/DESIGN.md §8, docs/broker.md).
//
//   secretd serve --data-dir DIR --listen HOST:PORT --audience AUD [...]
//   secretd invoke --data-dir DIR --audience AUD < request.json
#include <signal.h>

#include <cstdlib>
#include <iostream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/cli.h"
#include "common/clock.h"
#include "common/logging.h"
#include "common/process_hardening.h"
#include "secretd/datadir/data_dir.h"
#include "secretd/server/admin_subsystem.h"
#include "secretd/server/invoke.h"
#include "secretd/server/runtime.h"
#include "secretd/server/store_url.h"

namespace secretd {
namespace {

using common::cli::Flag;
using common::cli::Invocation;

absl::StatusOr<absl::Duration> GetDuration(const Invocation& inv,
                                           absl::string_view flag,
                                           absl::Duration fallback) {
  if (!inv.Has(flag)) return fallback;
  absl::Duration d;
  if (!absl::ParseDuration(inv.Get(flag), &d)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag,
                     " expects a duration such as 1s, 500ms or "
                     "2m, got \"",
                     inv.Get(flag), "\""));
  }
  return d;
}

// Applies --log-level. Returns false (after a usage error) if it is bad.
bool SetLogLevel(const Invocation& inv) {
  if (!inv.Has("log-level")) return true;
  common::log::Level level;
  if (!common::log::ParseLevel(inv.Get("log-level"), &level).ok()) {
    inv.UsageError("--log-level must be debug, info, warning or error");
    return false;
  }
  common::log::SetMinLevel(level);
  return true;
}

// Startup failures: a structured line for log collectors and the human
// sentence of STYLE.md §4 ("secretd: no store at ...").
int StartupFailure(const absl::Status& status) {
  common::log::Error("secretd cannot start", {{"error", status}});
  std::cerr << "secretd: " << status.message() << "\n";
  return common::cli::kExitRefused;
}

std::vector<Flag> LimitFlags() {
  return {
      {"max-token-bytes", "N",
       "longest attestation token accepted, at most 16384 (default 16384)"},
      {"max-secrets", "N", "secrets one Provision may name (default 64)"},
      {"store", "URL",
       "sqlite:PATH or a libpq postgresql://... URL (password through "
       "PGPASSWORD or a passfile, not the URL); default DATA_DIR/store.db"},
      {"store-pool-size", "N",
       "PostgreSQL: connections at most, 1-1000 (default 4)"},
      {"store-startup-timeout", "DURATION",
       "PostgreSQL: how long to retry an unreachable server at start "
       "(default 30s)"},
      {"replica-id", "ID",
       "this replica's name in the audit log ([A-Za-z0-9._-], 1-64 "
       "characters); see docs/broker.md for the default"},
      {"challenge-ttl", "DURATION",
       "how long a challenge stays valid (default 5m)"},
      {"log-level", "LEVEL", "debug, info, warning or error (default info)"},
  };
}

absl::StatusOr<StoreOpenOptions> StoreOptionsFrom(const Invocation& inv) {
  // A bad --store scheme is a usage error, found before anything is opened.
  if (absl::StatusOr<StoreLocation> location =
          ParseStoreUrl(inv.Get("store"), DataDirLayout(inv.Get("data-dir")));
      !location.ok()) {
    return location.status();
  }
  StoreOpenOptions options;
  absl::StatusOr<int64_t> pool = inv.GetInt("store-pool-size", 4, 1, 1000);
  if (!pool.ok()) return pool.status();
  options.postgres_pool_size = static_cast<int>(*pool);
  absl::StatusOr<absl::Duration> startup =
      GetDuration(inv, "store-startup-timeout", absl::Seconds(30));
  if (!startup.ok()) return startup.status();
  options.postgres_startup_timeout = *startup;
  return options;
}

absl::StatusOr<BrokerOptions> BrokerOptionsFrom(const Invocation& inv,
                                                std::string audience) {
  BrokerOptions options;
  options.audience = std::move(audience);
  absl::StatusOr<int64_t> token =
      inv.GetInt("max-token-bytes", 16384, 1, 16384);
  if (!token.ok()) return token.status();
  absl::StatusOr<int64_t> secrets = inv.GetInt("max-secrets", 64, 1, 100000);
  if (!secrets.ok()) return secrets.status();
  options.max_token_bytes = static_cast<size_t>(*token);
  options.max_secrets = static_cast<size_t>(*secrets);
  return options;
}

// A numeric uid or a user name.
absl::StatusOr<uid_t> ParseUid(const std::string& v) {
  uint32_t n = 0;
  if (absl::SimpleAtoi(v, &n)) return static_cast<uid_t>(n);
  struct passwd pw;
  struct passwd* found = nullptr;
  std::vector<char> buf(16384);
  if (getpwnam_r(v.c_str(), &pw, buf.data(), buf.size(), &found) == 0 &&
      found != nullptr) {
    return found->pw_uid;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "--admin-uid \"", v, "\" is neither a number nor a known user"));
}

int Serve(const Invocation& inv) {
  if (!SetLogLevel(inv)) return common::cli::kExitUsage;
  ServeConfig config;
  config.data_dir = inv.Get("data-dir");
  config.listen = inv.Get("listen");
  config.plaintext = inv.Has("plaintext");
  config.replica_id = inv.Get("replica-id");
  config.metrics_listen = inv.Get("metrics-listen");
  config.store_url = inv.Get("store");
  absl::StatusOr<BrokerOptions> broker =
      BrokerOptionsFrom(inv, inv.Get("audience"));
  if (!broker.ok()) return inv.UsageError(broker.status().message());
  config.broker = *broker;
  absl::StatusOr<StoreOpenOptions> store = StoreOptionsFrom(inv);
  if (!store.ok()) return inv.UsageError(store.status().message());
  config.store = *store;
  struct IntFlag {
    const char* name;
    int64_t fallback, min, max;
    int64_t* out;
  };
  int64_t max_in_flight = 0, checkpoint_every = 0;
  for (IntFlag f : {
           IntFlag{"max-request-bytes", 64 * 1024, 1024, 64 * 1024 * 1024,
                   &config.max_request_bytes},
           IntFlag{"max-in-flight", 128, 1, 100000, &max_in_flight},
           IntFlag{"checkpoint-every", 1000, 0, 1000000000, &checkpoint_every},
       }) {
    absl::StatusOr<int64_t> v = inv.GetInt(f.name, f.fallback, f.min, f.max);
    if (!v.ok()) return inv.UsageError(v.status().message());
    *f.out = *v;
  }
  config.max_in_flight = static_cast<int>(max_in_flight);
  config.checkpoint_every = static_cast<uint64_t>(checkpoint_every);
  struct DurationFlag {
    const char* name;
    absl::Duration fallback;
    absl::Duration* out;
  };
  for (DurationFlag f : {
           DurationFlag{"refresh-interval", absl::Seconds(1),
                        &config.refresh_interval},
           DurationFlag{"checkpoint-interval", absl::Seconds(60),
                        &config.checkpoint_interval},
           DurationFlag{"shutdown-grace", absl::Seconds(10),
                        &config.shutdown_grace},
           DurationFlag{"challenge-ttl", absl::Seconds(300),
                        &config.challenge_ttl},
           DurationFlag{"test-only-provision-delay", absl::ZeroDuration(),
                        &config.test_only_provision_delay},
           DurationFlag{"token-purge-interval", absl::Minutes(10),
                        &config.token_purge_interval},
           DurationFlag{"token-purge-margin", absl::Minutes(5),
                        &config.token_purge_margin},
       }) {
    absl::StatusOr<absl::Duration> d = GetDuration(inv, f.name, f.fallback);
    if (!d.ok()) return inv.UsageError(d.status().message());
    *f.out = *d;
  }
  const std::string notifications = inv.Get("store-notifications", "on");
  if (notifications != "on" && notifications != "off") {
    return inv.UsageError("--store-notifications must be on or off");
  }
  config.store_notifications = notifications == "on";
  if (absl::Status s = ValidateServeConfig(config); !s.ok()) {
    return inv.UsageError(s.message());
  }

  // Signals are taken synchronously by this thread (sigwait); block them
  // before any other thread exists so that every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  RouteGrpcLogsToLogger();

  std::vector<uid_t> admin_uids;
  for (const std::string& v : inv.GetAll("admin-uid")) {
    absl::StatusOr<uid_t> uid = ParseUid(v);
    if (!uid.ok()) return inv.UsageError(uid.status().message());
    admin_uids.push_back(*uid);
  }
  const std::string admin_socket = inv.Get("admin-socket");

  common::RealClock clock;
  absl::StatusOr<std::unique_ptr<BrokerRuntime>> runtime =
      BrokerRuntime::Open(std::move(config), clock);
  if (!runtime.ok()) return StartupFailure(runtime.status());
  if (admin_socket != "off") {
    (*runtime)->AddSubsystem(
        std::make_unique<AdminSubsystem>(admin_socket, std::move(admin_uids)));
  }
  if (absl::Status s = (*runtime)->Start(); !s.ok()) {
    return StartupFailure(s);
  }
  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      (*runtime)->Reload();
      continue;
    }
    common::log::Info("signal received; stopping",
                      {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
    break;
  }
  (*runtime)->Shutdown();
  runtime->reset();
  common::log::Info("secretd stopped");
  return common::cli::kExitOk;
}

int Invoke(const Invocation& inv) {
  if (!SetLogLevel(inv)) return common::cli::kExitUsage;
  std::string audience = inv.Get("audience");
  if (audience.empty()) {
    const char* env = std::getenv("SECRETD_AUDIENCE");
    if (env != nullptr) audience = env;
  }
  if (audience.empty()) {
    return inv.UsageError(
        "the broker's audience is needed: pass --audience or set "
        "SECRETD_AUDIENCE");
  }
  InvokeConfig config;
  config.data_dir = inv.Get("data-dir");
  config.method = inv.Get("method", "Provision");
  if (config.method != "Provision" && config.method != "GetChallenge") {
    return inv.UsageError(
        absl::StrCat("--method must be Provision or GetChallenge, got \"",
                     config.method, "\""));
  }
  config.source_ip = inv.Get("source-ip");
  config.replica_id = inv.Get("replica-id");
  config.store_url = inv.Get("store");
  absl::StatusOr<BrokerOptions> broker = BrokerOptionsFrom(inv, audience);
  if (!broker.ok()) return inv.UsageError(broker.status().message());
  config.broker = *broker;
  absl::StatusOr<StoreOpenOptions> store = StoreOptionsFrom(inv);
  if (!store.ok()) return inv.UsageError(store.status().message());
  config.store = *store;
  absl::StatusOr<int64_t> max_request =
      inv.GetInt("max-request-bytes", 64 * 1024, 1024, 64 * 1024 * 1024);
  if (!max_request.ok()) return inv.UsageError(max_request.status().message());
  config.max_request_bytes = static_cast<size_t>(*max_request);
  for (auto [name, fallback, out] :
       {std::make_tuple("lock-timeout", absl::Seconds(30),
                        &config.lock_timeout),
        std::make_tuple("challenge-ttl", absl::Seconds(300),
                        &config.challenge_ttl)}) {
    absl::StatusOr<absl::Duration> d = GetDuration(inv, name, fallback);
    if (!d.ok()) return inv.UsageError(d.status().message());
    *out = *d;
  }
  std::string input((std::istreambuf_iterator<char>(std::cin)),
                    std::istreambuf_iterator<char>());
  RouteGrpcLogsToLogger();
  common::RealClock clock;
  InvokeResult result = RunInvoke(config, input, clock);
  inv.out() << result.output;
  inv.out().flush();
  return result.exit_code;
}

common::cli::Program MakeProgram() {
  common::cli::Program program;
  program.name = "secretd";
  program.about =
      "The secretd broker: verifies attestation tokens, evaluates role "
      "policies and releases secrets sealed to the instance's key, writing "
      "every decision to a tamper-evident audit log first. See "
      "docs/broker.md.";

  common::cli::Command serve;
  serve.path = {"serve"};
  serve.summary = "serve the Broker gRPC service";
  serve.description =
      "Serves secretd.v1.Broker, grpc.health.v1.Health and server reflection "
      "over TLS with DATA_DIR/tls/server.pem (--plaintext: loopback only). "
      "SIGHUP reloads the keys and the state; SIGTERM or SIGINT stops "
      "gracefully (calls in flight finish, the audit log gets a final "
      "checkpoint). Logs are JSON lines on stderr. DURATIONs are written "
      "like 1s, 500ms or 2m.";
  serve.flags = {
      {"data-dir", "DIR", "the data directory (secretctl init makes it)", false,
       true},
      {"listen", "HOST:PORT", "address to serve on; port 0 picks one", false,
       true},
      {"audience", "AUD", "the audience tokens must name in \"aud\"", false,
       true},
      {"plaintext", "", "serve without TLS (loopback addresses only)"},
      {"admin-socket", "PATH|off",
       "where to serve the Admin service (default DATA_DIR/admin.sock; "
       "\"off\" serves none)"},
      {"admin-uid", "UID|USER",
       "allow this uid (or user name) on the admin socket (default: only "
       "the broker's own uid)",
       true},
      {"metrics-listen", "HOST:PORT",
       "serve Prometheus metrics (GET /metrics, /healthz) here"},
      {"max-request-bytes", "N",
       "largest request message accepted (default 65536)"},
      {"max-in-flight", "N",
       "Provision calls handled at once; more get RESOURCE_EXHAUSTED "
       "(default 128)"},
      {"refresh-interval", "DURATION",
       "how often the store's change counter is polled (default 1s); a "
       "change reaches this replica within this plus one reload"},
      {"store-notifications", "on|off",
       "PostgreSQL: also reload on the store's change notifications "
       "(LISTEN/NOTIFY), within milliseconds of a change (default on)"},
      {"token-purge-interval", "DURATION",
       "how often expired single-use token records are deleted (default "
       "10m)"},
      {"token-purge-margin", "DURATION",
       "spare token records expired less than this long ago, in case this "
       "host's clock runs fast (default 5m)"},
      {"checkpoint-every", "N",
       "sign an audit checkpoint every N records (default 1000; 0: never by "
       "count)"},
      {"checkpoint-interval", "DURATION",
       "sign an audit checkpoint when records are this old (default 60s)"},
      {"shutdown-grace", "DURATION",
       "how long calls in flight may take to finish on SIGTERM (default 10s)"},
      {"test-only-provision-delay", "DURATION",
       "for tests only: hold every Provision this long before handling it",
       false, false, /*hidden=*/true},
  };
  for (Flag& f : LimitFlags()) serve.flags.push_back(std::move(f));
  serve.run = Serve;
  program.commands.push_back(std::move(serve));

  common::cli::Command invoke;
  invoke.path = {"invoke"};
  invoke.summary = "answer one request from stdin (function mode)";
  invoke.description =
      "Reads one request as JSON (the protobuf JSON mapping of "
      "secretd.v1.ProvisionRequest, or {} for GetChallenge) from stdin, "
      "answers it with the same handler as serve, and prints the response "
      "as JSON on stdout (exit 0), or {\"code\":...,\"message\":...,"
      "\"request_id\":...} (exit 1). Provision is audited in the file of "
      "--replica-id (default <host>-invoke); concurrent invocations take "
      "turns.";
  invoke.flags = {
      {"data-dir", "DIR", "the data directory", false, true},
      {"audience", "AUD",
       "the audience tokens must name (default: $SECRETD_AUDIENCE)"},
      {"method", "METHOD", "Provision (default) or GetChallenge"},
      {"source-ip", "IP",
       "the caller's address, for secretd:SourceIp conditions"},
      {"max-request-bytes", "N", "largest request accepted (default 65536)"},
      {"lock-timeout", "DURATION",
       "how long to wait for another invocation's audit lock (default 30s)"},
  };
  for (Flag& f : LimitFlags()) invoke.flags.push_back(std::move(f));
  invoke.run = Invoke;
  program.commands.push_back(std::move(invoke));
  return program;
}

}  // namespace
}  // namespace secretd

int main(int argc, char** argv) {
  // Debian's abseil checks every Mutex for lock-order cycles (a graph update
  // on each lock, gRPC's per-call mutexes included): a debugging aid that
  // costs the hot path, off in the daemon.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  if (absl::Status s = common::DisableCoreDumps(); !s.ok()) {
    std::cerr << "secretd: " << s.message() << "\n";
    return common::cli::kExitRefused;
  }
  return common::cli::Run(secretd::MakeProgram(), argc, argv);
}
