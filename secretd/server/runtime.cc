#include "secretd/server/runtime.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/host_port.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "grpc/grpc.h"
#include "grpc/support/log.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/resource_quota.h"
#include "grpcpp/security/server_credentials.h"
#include "keys/key_files.h"
#include "keys/secret_bytes.h"
#include "proto/grpc/health/v1/health.pb.h"

namespace secretd {
namespace {

constexpr char kBrokerServiceName[] = "secretd.v1.Broker";

void GrpcLogToLogger(gpr_log_func_args* args) {
  const std::string where = absl::StrCat(args->file, ":", args->line);
  switch (args->severity) {
    case GPR_LOG_SEVERITY_ERROR:
      common::log::Error("grpc", {{"detail", args->message}, {"at", where}});
      break;
    case GPR_LOG_SEVERITY_INFO:
      common::log::Info("grpc", {{"detail", args->message}, {"at", where}});
      break;
    default:
      common::log::Debug("grpc", {{"detail", args->message}, {"at", where}});
      break;
  }
}

absl::StatusOr<std::string> ReadTextFile(const std::string& path,
                                         absl::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read ", what, " \"", path, "\""));
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> TlsCredentials(
    const DataDirLayout& layout) {
  ASSIGN_OR_RETURN(std::string cert,
                   ReadTextFile(layout.server_pem, "the TLS certificate"));
  absl::StatusOr<keys::SecretBytes> key =
      keys::ReadPrivateKeyFile(layout.server_key);
  if (!key.ok()) {
    return common::Annotate(key.status(), "the TLS key");
  }
  grpc::SslServerCredentialsOptions options(
      GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  // gRPC takes the key as a std::string and keeps its own copy for the
  // server's life; ours is wiped at once.
  std::string key_pem(key->AsStringView(keys::InsecureSecretAccess::Get()));
  options.pem_key_cert_pairs.push_back({key_pem, cert});
  std::shared_ptr<grpc::ServerCredentials> creds =
      grpc::SslServerCredentials(options);
  keys::WipeString(&key_pem);
  keys::WipeString(&options.pem_key_cert_pairs[0].private_key);
  return creds;
}

std::string Sanitize(absl::string_view s) {
  std::string out;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    out.push_back(ok ? c : '-');
  }
  return out;
}

// Binds (and closes) a TCP socket on every address HOST:PORT resolves to,
// as gRPC will, so that a port already in use is found before the audit log
// is opened and the admin socket serves (a failed start leaves nothing
// behind). Port 0 needs no check. A race with another process binding in
// between is still caught by gRPC's own bind.
absl::Status ProbeListenAddress(const std::string& listen,
                                const std::string& host, int port) {
  if (port == 0) return absl::OkStatus();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port_text = std::to_string(port);
  const int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(),
                             port_text.c_str(), &hints, &found);
  if (rc != 0) {
    return absl::InvalidArgumentError(absl::StrCat("--listen ", listen,
                                                   ": cannot resolve \"", host,
                                                   "\": ", gai_strerror(rc)));
  }
  absl::Status status;
  for (addrinfo* a = found; a != nullptr && status.ok(); a = a->ai_next) {
    const int fd =
        socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;  // e.g. no IPv6 on this host: gRPC skips it too
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, a->ai_addr, a->ai_addrlen) != 0) {
      const int err = errno;
      status = absl::UnavailableError(absl::StrCat(
          "cannot listen on ", listen, ": ", std::strerror(err),
          err == EADDRINUSE
              ? " (another process is listening there: stop it, or choose "
                "another --listen port)"
              : " (is the address on this host?)"));
    }
    close(fd);
  }
  freeaddrinfo(found);
  return status;
}

}  // namespace

void RouteGrpcLogsToLogger() {
  gpr_set_log_function(&GrpcLogToLogger);
  gpr_set_log_verbosity(GPR_LOG_SEVERITY_ERROR);
}

std::string LocalHostName() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') {
    return "localhost";
  }
  return name;
}

std::string DefaultReplicaId(absl::string_view hostname, int port, int pid) {
  const std::string suffix =
      port != 0 ? absl::StrCat("-", port) : absl::StrCat("-pid", pid);
  std::string host = Sanitize(hostname);
  if (host.empty()) host = "host";
  // Replica ids are at most 64 characters (secretd/audit/record.h).
  if (host.size() + suffix.size() > 64) host.resize(64 - suffix.size());
  return host + suffix;
}

absl::Status ValidateServeConfig(const ServeConfig& config) {
  if (config.data_dir.empty()) {
    return absl::InvalidArgumentError("--data-dir is required");
  }
  std::string host;
  int port = 0;
  if (absl::Status s = common::SplitHostPort(config.listen, &host, &port);
      !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--listen: ", s.message()));
  }
  if (config.plaintext && !common::IsLoopbackHost(host)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--plaintext is allowed only on a loopback address (127.0.0.1, ::1 or "
        "localhost), not on \"",
        host,
        "\": tokens and sealed bundles would cross the network without TLS; "
        "drop --plaintext to serve TLS with the data directory's certificate"));
  }
  if (!config.metrics_listen.empty()) {
    std::string mhost;
    int mport = 0;
    if (absl::Status s =
            common::SplitHostPort(config.metrics_listen, &mhost, &mport);
        !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--metrics-listen: ", s.message()));
    }
  }
  if (!config.replica_id.empty()) {
    if (absl::Status s = audit::ValidateReplicaId(config.replica_id); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--replica-id: ", s.message()));
    }
  }
  RETURN_IF_ERROR(ValidateBrokerOptions(config.broker));
  if (config.max_request_bytes < 1024) {
    return absl::InvalidArgumentError(
        "--max-request-bytes must be at least 1024");
  }
  if (config.store.postgres_pool_size < 1 ||
      config.store.postgres_pool_size > 1000) {
    return absl::InvalidArgumentError(
        "--store-pool-size must be between 1 and 1000");
  }
  if (config.max_in_flight < 1) {
    return absl::InvalidArgumentError("--max-in-flight must be at least 1");
  }
  if (config.refresh_interval <= absl::ZeroDuration() ||
      config.checkpoint_interval <= absl::ZeroDuration() ||
      config.challenge_ttl <= absl::ZeroDuration() ||
      config.token_purge_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "--refresh-interval, --checkpoint-interval, --challenge-ttl and "
        "--token-purge-interval must be positive durations");
  }
  if (config.token_purge_margin < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "--token-purge-margin must not be negative");
  }
  if (config.shutdown_grace < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--shutdown-grace must not be negative");
  }
  return absl::OkStatus();
}

BrokerRuntime::BrokerRuntime(ServeConfig config, const common::Clock& clock)
    : config_(std::move(config)), clock_(clock), layout_(config_.data_dir) {}

absl::StatusOr<std::unique_ptr<BrokerRuntime>> BrokerRuntime::Open(
    ServeConfig config, const common::Clock& clock) {
  RETURN_IF_ERROR(ValidateServeConfig(config));
  std::unique_ptr<BrokerRuntime> rt(
      new BrokerRuntime(std::move(config), clock));
  rt->metrics_ = std::make_unique<BrokerMetrics>(rt->registry_);

  // The store first: a missing store (or data directory) gets the message
  // of STYLE.md §4.
  ASSIGN_OR_RETURN(rt->store_location_,
                   ParseStoreUrl(rt->config_.store_url, rt->layout_));
  ASSIGN_OR_RETURN(
      rt->store_,
      OpenStore(rt->store_location_, rt->layout_, clock, rt->config_.store,
                &rt->store_description_, &rt->postgres_));
  if (rt->postgres_ != nullptr) rt->metrics_->EnableStorePoolMetrics();
  Keyring::Options keyring_options;
  keyring_options.challenge_ttl = rt->config_.challenge_ttl;
  ASSIGN_OR_RETURN(rt->keyring_, Keyring::Load(rt->layout_, keyring_options));
  rt->key_source_ = std::make_unique<KeyringKeySource>(*rt->keyring_);

  std::string host;
  int port = 0;
  RETURN_IF_ERROR(common::SplitHostPort(rt->config_.listen, &host, &port));
  RETURN_IF_ERROR(ProbeListenAddress(rt->config_.listen, host, port));
  rt->replica_id_ = rt->config_.replica_id.empty()
                        ? DefaultReplicaId(LocalHostName(), port, getpid())
                        : rt->config_.replica_id;
  rt->checkpoint_signer_ = std::make_unique<audit::Ed25519CheckpointSigner>(
      rt->keyring_->audit_signer());
  audit::FileAuditWriterOptions audit_options;
  audit_options.directory = rt->layout_.audit_dir;
  audit_options.replica = rt->replica_id_;
  audit_options.checkpoint_every = rt->config_.checkpoint_every;
  audit_options.checkpoint_interval = rt->config_.checkpoint_interval;
  absl::StatusOr<std::unique_ptr<audit::FileAuditWriter>> writer =
      audit::FileAuditWriter::Open(audit_options, *rt->checkpoint_signer_,
                                   clock);
  if (!writer.ok()) {
    return common::Annotate(
        writer.status(),
        absl::StrCat("audit log of replica \"", rt->replica_id_, "\""));
  }
  rt->audit_ = *std::move(writer);
  BrokerMetrics* metrics = rt->metrics_.get();
  rt->audit_->set_fsync_observer(
      [metrics](absl::Duration d) { metrics->RecordFsync(d); });

  rt->state_ = std::make_unique<StateCache>(*rt->store_, clock);
  absl::StatusOr<StateCache::RefreshResult> loaded =
      rt->state_->Refresh(/*force=*/true);
  if (!loaded.ok()) {
    return common::Annotate(loaded.status(),
                            "loading roles and trust bundles from the store");
  }
  rt->metrics_->SetStateChangeCounter(rt->state_->Current()->change_counter);

  rt->broker_ = std::make_unique<Broker>(rt->config_.broker, *rt->state_,
                                         *rt->key_source_, *rt->store_,
                                         *rt->audit_, clock, rt->random_);
  BrokerServiceOptions service_options;
  service_options.max_in_flight = rt->config_.max_in_flight;
  service_options.test_only_provision_delay =
      rt->config_.test_only_provision_delay;
  BrokerRuntime* self = rt.get();
  service_options.after_provision = [self](const ProvisionOutcome& outcome) {
    // The health follows the audit log at once: down on a failed record, up
    // again with the first record written after it.
    const bool serving = self->serving_hint_.load(std::memory_order_relaxed);
    if (!outcome.audited || !serving) self->UpdateHealth();
  };
  rt->service_ = std::make_unique<BrokerService>(
      *rt->broker_, *rt->audit_, *rt->metrics_, service_options);
  return rt;
}

BrokerRuntime::~BrokerRuntime() { Shutdown(); }

void BrokerRuntime::AddSubsystem(std::unique_ptr<Subsystem> subsystem) {
  subsystems_.push_back(std::move(subsystem));
}

int BrokerRuntime::metrics_port() const {
  return metrics_server_ == nullptr ? 0 : metrics_server_->port();
}

bool BrokerRuntime::serving() const {
  absl::MutexLock lock(&health_mu_);
  return serving_;
}

absl::Status BrokerRuntime::Start() {
  {
    absl::MutexLock lock(&mu_);
    if (started_) return absl::FailedPreconditionError("already started");
    started_ = true;
  }
  // Reflection describes Health only if its descriptor is in the generated
  // pool; referencing it links and registers it.
  (void)grpc::health::v1::HealthCheckRequest::descriptor();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  std::shared_ptr<grpc::ServerCredentials> creds;
  if (config_.plaintext) {
    creds = grpc::InsecureServerCredentials();
  } else {
    ASSIGN_OR_RETURN(creds, TlsCredentials(layout_));
  }

  for (size_t i = 0; i < subsystems_.size(); ++i) {
    absl::Status s = subsystems_[i]->Start(*this);
    if (!s.ok()) {
      for (size_t j = 0; j < i; ++j) {
        subsystems_[j]->Shutdown(clock_.Now() + config_.shutdown_grace);
      }
      return common::Annotate(
          s, absl::StrCat("starting ", subsystems_[i]->name()));
    }
  }

  grpc::ServerBuilder builder;
  builder.AddListeningPort(config_.listen, creds, &port_);
  builder.SetMaxReceiveMessageSize(static_cast<int>(config_.max_request_bytes));
  // A second process on the same port must fail to bind, not share it.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  grpc::ResourceQuota quota("secretd-broker");
  // Enough threads that --max-in-flight, not gRPC's own thread limit, is
  // what refuses excess calls (gRPC's refusal could not be audited).
  quota.SetMaxThreads(2 * config_.max_in_flight + 16);
  builder.SetResourceQuota(quota);
  // gRPC's sync server keeps at most MAX_POLLERS idle threads (default 2): a
  // thread that finishes a call while that many wait for work exits, and the
  // next call that overlaps another makes a new thread. Provision calls wait
  // for an audit fdatasync, so they overlap all the time: with the default,
  // a thread was created and destroyed for every 2 to 6 calls (4 to 32
  // concurrent clients, or 1000 calls/s), up to 17 % of the server's CPU per
  // call. Idle threads cost only their stacks.
  builder.SetSyncServerOption(
      grpc::ServerBuilder::SyncServerOption::MAX_POLLERS,
      std::max(2, config_.max_in_flight));
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    server_.reset();
    for (auto& s : subsystems_) s->Shutdown(clock_.Now());
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", config_.listen,
        " (is the port in use, or the address not on this host?)"));
  }

  if (!config_.metrics_listen.empty()) {
    metrics::Registry* registry = &registry_;
    audit::FileAuditWriter* writer = audit_.get();
    BrokerMetrics* metrics = metrics_.get();
    absl::StatusOr<std::unique_ptr<metrics::MetricsHttpServer>> ms =
        metrics::MetricsHttpServer::Start(
            config_.metrics_listen,
            [this, registry, writer, metrics] {
              const audit::FileAuditWriter::Stats s = writer->stats();
              metrics->SetAuditTotals(s.lines, s.flushes, s.failures);
              PublishStoreStats();
              return registry->Render();
            },
            [this] { return serving(); });
    if (!ms.ok()) {
      server_->Shutdown();
      server_.reset();
      for (auto& s : subsystems_) s->Shutdown(clock_.Now());
      return common::Annotate(ms.status(), "--metrics-listen");
    }
    metrics_server_ = *std::move(ms);
  }

  UpdateHealth();
  housekeeping_ = std::thread([this] { HousekeepingLoop(); });
  if (postgres_ != nullptr && config_.store_notifications) {
    change_listener_ = std::thread([this] { ChangeListenerLoop(); });
  }
  purger_ = std::thread([this] { PurgeLoop(); });

  std::string host;
  int configured_port = 0;
  (void)common::SplitHostPort(config_.listen, &host, &configured_port);
  const std::string bound = host.find(':') != std::string::npos
                                ? absl::StrCat("[", host, "]:", port_)
                                : absl::StrCat(host, ":", port_);
  common::log::Info(
      "secretd serving",
      {{"listen", bound},
       {"port", port_},
       {"tls", !config_.plaintext},
       {"audience", config_.broker.audience},
       {"replica", replica_id_},
       {"release_key_id", keyring_->release_signer().key_id()},
       {"audit_key_id", keyring_->audit_signer().key_id()},
       {"kek_id", keyring_->Current()->current.id()},
       {"audit_file", audit_->path()},
       {"store", store_description_},
       {"change_counter", state_->Current()->change_counter},
       {"refresh", postgres_ != nullptr && config_.store_notifications
                       ? "notify+poll"
                       : "poll"},
       {"metrics_port", metrics_port()},
       {"pid", static_cast<int64_t>(getpid())}});
  return absl::OkStatus();
}

bool BrokerRuntime::Poll(bool force, absl::string_view why) {
  absl::StatusOr<StateCache::RefreshResult> r = state_->Refresh(force);
  bool was_healthy;
  {
    absl::MutexLock lock(&health_mu_);
    was_healthy = store_healthy_;
    store_healthy_ = r.ok();
  }
  if (!r.ok()) {
    metrics_->RecordRefresh("failed");
    if (was_healthy || force) {
      common::log::Error(
          "store poll failed; serving with the last good state (health is "
          "NOT_SERVING until the store answers)",
          {{"why", why}, {"error", r.status()}});
    }
  } else {
    if (!was_healthy) common::log::Info("store reachable again");
    metrics_->RecordRefresh(
        *r == StateCache::RefreshResult::kReloaded ? "reloaded" : "unchanged");
    metrics_->SetStateChangeCounter(state_->Current()->change_counter);
  }
  UpdateHealth();
  return r.ok();
}

void BrokerRuntime::RefreshState() { Poll(false, "subsystem change"); }

void BrokerRuntime::Reload() {
  common::log::Info("reloading (SIGHUP): keys and state");
  absl::Status keys = keyring_->Reload();
  if (!keys.ok()) {
    common::log::Error("keyring reload failed; the current keys stay",
                       {{"error", keys}});
  } else {
    common::log::Info("keyring reloaded",
                      {{"kek_id", keyring_->Current()->current.id()},
                       {"retired_keks", keyring_->Current()->retired.size()}});
  }
  Poll(true, "SIGHUP");
}

void BrokerRuntime::UpdateHealth() {
  const bool audit_ok = audit_->Healthy();
  bool serving;
  bool changed;
  {
    absl::MutexLock stop_lock(&mu_);
    absl::MutexLock lock(&health_mu_);
    serving = audit_ok && store_healthy_ && !stopping_;
    changed = serving != serving_ || !health_published_;
    serving_ = serving;
    serving_hint_.store(serving, std::memory_order_relaxed);
    health_published_ = true;
    metrics_->SetHealth(audit_ok, store_healthy_);
    if (changed && server_ != nullptr && !stopping_) {
      grpc::HealthCheckServiceInterface* health =
          server_->GetHealthCheckService();
      if (health != nullptr) {
        health->SetServingStatus("", serving);
        health->SetServingStatus(kBrokerServiceName, serving);
      }
    }
  }
  if (changed) {
    if (serving) {
      common::log::Info("health: SERVING");
    } else {
      common::log::Warning("health: NOT_SERVING",
                           {{"audit_healthy", audit_ok}});
    }
  }
}

void BrokerRuntime::HousekeepingLoop() {
  using Steady = std::chrono::steady_clock;
  const absl::Duration tick =
      std::min(config_.refresh_interval, absl::Seconds(1));
  Steady::time_point next_refresh =
      Steady::now() + absl::ToChronoNanoseconds(config_.refresh_interval);
  mu_.Lock();
  while (!stopping_) {
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), tick);
    if (stopping_) break;
    mu_.Unlock();
    const Steady::time_point now = Steady::now();
    if (now >= next_refresh) {
      Poll(false, "interval");
      next_refresh = now + absl::ToChronoNanoseconds(config_.refresh_interval);
    }
    if (absl::Status s = audit_->MaybeCheckpoint(); !s.ok()) {
      common::log::Error("audit checkpoint failed", {{"error", s}});
    }
    UpdateHealth();
    mu_.Lock();
  }
  mu_.Unlock();
}

bool BrokerRuntime::Stopping() {
  absl::MutexLock lock(&mu_);
  return stopping_;
}

void BrokerRuntime::ChangeListenerLoop() {
  int64_t known = state_->Current()->change_counter;
  while (!Stopping()) {
    // Returns as soon as any replica commits a change (a notification), or
    // after refresh_interval with the counter then.
    absl::StatusOr<int64_t> counter =
        postgres_->WaitForChange(known, config_.refresh_interval);
    if (!counter.ok()) {
      if (counter.status().code() == absl::StatusCode::kCancelled) break;
      // The store is unreachable (WaitForChange waited out its timeout);
      // the housekeeping poll reports it and keeps the health.
      continue;
    }
    const int64_t have = state_->Current()->change_counter;
    const bool reloaded = *counter == have || Poll(false, "notification");
    // After a failed reload the housekeeping poll retries; waiting for the
    // next change meanwhile keeps this loop from spinning.
    known = reloaded ? std::max(state_->Current()->change_counter, *counter)
                     : *counter;
  }
}

void BrokerRuntime::PurgeLoop() {
  absl::BitGen bitgen;
  mu_.Lock();
  while (!stopping_) {
    mu_.Unlock();
    const absl::Time before = clock_.Now() - config_.token_purge_margin;
    absl::StatusOr<int64_t> purged = store_->PurgeExpiredTokenUses(before);
    if (!purged.ok()) {
      common::log::Warning("purging expired token records failed",
                           {{"error", purged.status()}});
    } else if (*purged > 0) {
      common::log::Info("expired token records purged",
                        {{"count", *purged}, {"expired_before", before}});
    } else {
      common::log::Debug("expired token records purged",
                         {{"count", *purged}, {"expired_before", before}});
    }
    // ±10 %: replicas started together spread their purges out.
    const absl::Duration wait =
        config_.token_purge_interval * absl::Uniform(bitgen, 0.9, 1.1);
    mu_.Lock();
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), wait);
  }
  mu_.Unlock();
}

void BrokerRuntime::PublishStoreStats() {
  if (postgres_ == nullptr) return;
  const PostgresStore::PoolStats s = postgres_->pool_stats();
  metrics_->SetStorePool(s.idle, s.in_use, s.connections_opened,
                         s.connect_failures, s.statements_prepared);
}

void BrokerRuntime::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  const auto deadline = std::chrono::system_clock::now() +
                        absl::ToChronoNanoseconds(config_.shutdown_grace);
  if (server_ != nullptr) {
    common::log::Info("shutting down: no new calls; calls in flight finish",
                      {{"grace_seconds", config_.shutdown_grace},
                       {"in_flight", service_->in_flight()}});
    if (grpc::HealthCheckServiceInterface* h =
            server_->GetHealthCheckService()) {
      h->SetServingStatus(false);
    }
  }
  for (auto& s : subsystems_) {
    s->Shutdown(clock_.Now() + config_.shutdown_grace);
  }
  if (server_ != nullptr) {
    // gRPC stops accepting calls at once but then also waits for every
    // client connection to go, idle ones included, until the deadline. So
    // once the calls in flight are done (and none arrived for a moment), the
    // remaining connections are dropped instead of waited for.
    std::thread stopper([this, deadline] { server_->Shutdown(deadline); });
    int quiet_polls = 0;
    while (std::chrono::system_clock::now() < deadline && quiet_polls < 10) {
      quiet_polls = service_->in_flight() == 0 ? quiet_polls + 1 : 0;
      absl::SleepFor(absl::Milliseconds(10));
    }
    grpc_server_cancel_all_calls(server_->c_server());
    stopper.join();
    server_->Wait();
  }
  if (postgres_ != nullptr) postgres_->StopWaiting();
  if (housekeeping_.joinable()) housekeeping_.join();
  if (change_listener_.joinable()) change_listener_.join();
  if (purger_.joinable()) purger_.join();
  if (metrics_server_ != nullptr) metrics_server_->Stop();
  if (audit_ != nullptr) {
    absl::Status closed = audit_->Close();
    if (!closed.ok()) {
      common::log::Error("closing the audit log failed; its tail is unsigned",
                         {{"error", closed}});
    } else {
      common::log::Info(
          "audit log closed",
          {{"path", audit_->path()}, {"last_seq", audit_->durable_seq()}});
    }
  }
}

}  // namespace secretd
