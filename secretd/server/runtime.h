// BrokerRuntime: one `secretd serve` process. It owns the store, the keyring,
// the audit writer, the state cache, the Broker and its gRPC server, the
// metrics endpoint and the housekeeping thread, and it starts and stops them
// in order.
//
//   ASSIGN_OR_RETURN(auto runtime, BrokerRuntime::Open(config, clock));
//   runtime->AddSubsystem(std::make_unique<AdminSocket>(...));  // optional
//   RETURN_IF_ERROR(runtime->Start());      // listens; logs "secretd serving"
//   ... SIGHUP: runtime->Reload();  SIGTERM: runtime->Shutdown();
//
// Subsystems (the seam for the admin socket, DESIGN.md §8) get the runtime's
// store, keyring, audit sink and state cache through its accessors; they are
// started after everything they need is open and before the broker listens,
// and stopped first on shutdown, while the audit log is still open. A
// subsystem that changed the store calls RefreshState() so the broker sees
// the change at once instead of at the next poll.
//
// Housekeeping (one thread): polls the store's change counter every
// `refresh_interval` and reloads the state cache when it moved; appends an
// audit checkpoint when `checkpoint_interval` has passed with records since
// the last; keeps the health status current. On PostgreSQL with
// `store_notifications`, a second thread waits for the store's change
// notifications (LISTEN/NOTIFY, PostgresStore::WaitForChange) and reloads
// within milliseconds of a change by any replica; the poll stays the
// guarantee, so a change reaches this replica's state within
// refresh_interval plus one reload whether or not a notification arrives
// (docs/scale-out.md). A third thread purges expired single-use token
// records at start and then every `token_purge_interval` (±10 %, so that
// replicas spread out), sparing records expired less than
// `token_purge_margin` ago (a replica whose clock runs fast must not free
// a token another replica still accepts).
//
// Health (grpc.health.v1.Health, service "" and "secretd.v1.Broker"):
// SERVING while the audit log is healthy and the last store poll
// succeeded; NOT_SERVING otherwise and from the start of a shutdown.
//
// Shutdown: health goes NOT_SERVING, subsystems stop, the gRPC server stops
// accepting calls and waits up to `shutdown_grace` for calls in flight to
// finish (later ones are cancelled), housekeeping stops, and the audit log
// is closed with a final "shutdown" checkpoint.
#ifndef SECRETD_SECRETD_SERVER_RUNTIME_H_
#define SECRETD_SECRETD_SERVER_RUNTIME_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "keys/random.h"
#include "secretd/audit/ed25519_checkpoint_signer.h"
#include "secretd/audit/file_audit_writer.h"
#include "secretd/broker/broker.h"
#include "secretd/broker/state_cache.h"
#include "secretd/datadir/data_dir.h"
#include "secretd/keyring/keyring.h"
#include "secretd/metrics/http_server.h"
#include "secretd/metrics/metrics.h"
#include "secretd/server/broker_metrics.h"
#include "secretd/server/broker_service.h"
#include "secretd/server/store_url.h"
#include "secretd/store/postgres_store.h"
#include "secretd/store/store.h"

namespace grpc {
class Server;
}  // namespace grpc

namespace secretd {

// Everything `secretd serve` takes from its flags (docs/broker.md).
struct ServeConfig {
  std::string data_dir;
  std::string listen;          // HOST:PORT; port 0 picks a free port
  bool plaintext = false;      // only on a loopback host
  std::string replica_id;      // empty: DefaultReplicaId
  std::string metrics_listen;  // empty: no metrics endpoint
  std::string store_url;       // empty: DATA_DIR/store.db
  StoreOpenOptions store;      // PostgreSQL pool size, start-up retries
  BrokerOptions broker;        // audience, token and secret limits
  int64_t max_request_bytes = 64 * 1024;
  int max_in_flight = 128;
  absl::Duration refresh_interval = absl::Seconds(1);
  uint64_t checkpoint_every = 1000;
  absl::Duration checkpoint_interval = absl::Seconds(60);
  absl::Duration shutdown_grace = absl::Seconds(10);
  absl::Duration challenge_ttl = absl::Seconds(300);
  absl::Duration token_purge_interval = absl::Minutes(10);
  absl::Duration token_purge_margin = absl::Minutes(5);
  // PostgreSQL: reload on LISTEN/NOTIFY as well as by polling.
  bool store_notifications = true;
  absl::Duration test_only_provision_delay = absl::ZeroDuration();
};

// kInvalidArgument naming the flag for a config that cannot work (bad
// address, --plaintext on a non-loopback host, non-positive limits, ...).
absl::Status ValidateServeConfig(const ServeConfig& config);

// The replica id used when --replica-id is not given: "<host>-<port>" (the
// host name with characters outside [A-Za-z0-9._-] replaced by '-'), or
// "<host>-pid<pid>" when the port is 0 (chosen by the kernel at each start).
// Two replicas on one host cannot listen on one port, so their audit files
// differ; a restarted replica keeps its id and continues its file.
std::string DefaultReplicaId(absl::string_view hostname, int port, int pid);
// This machine's host name (gethostname), or "localhost".
std::string LocalHostName();

// Sends gRPC's own log messages (gpr_log) to common::log as JSON lines.
void RouteGrpcLogsToLogger();

class BrokerRuntime;

// Something started and stopped with the broker, e.g. the admin socket.
class Subsystem {
 public:
  virtual ~Subsystem() = default;
  virtual std::string name() const = 0;
  // Called by BrokerRuntime::Start before the broker listens. An error
  // stops the start (subsystems already started are shut down).
  virtual absl::Status Start(BrokerRuntime& runtime) = 0;
  // Stop taking work and finish what is in flight by `deadline`. Called
  // first in BrokerRuntime::Shutdown, while the audit log is still open.
  virtual void Shutdown(absl::Time deadline) = 0;
};

class BrokerRuntime {
 public:
  // Opens the store (never creating one), the keyring, the replica's audit
  // log and loads the state. Nothing listens yet. Errors: kInvalidArgument
  // (config), kFailedPrecondition with STYLE.md §4 messages (no data
  // directory, no store, audit file locked by another process), the
  // store's kUnavailable (PostgreSQL unreachable for
  // config.store.postgres_startup_timeout). `clock` must outlive the
  // runtime.
  static absl::StatusOr<std::unique_ptr<BrokerRuntime>> Open(
      ServeConfig config, const common::Clock& clock);

  ~BrokerRuntime();
  BrokerRuntime(const BrokerRuntime&) = delete;
  BrokerRuntime& operator=(const BrokerRuntime&) = delete;

  // Before Start only.
  void AddSubsystem(std::unique_ptr<Subsystem> subsystem);

  // Starts the subsystems, the gRPC server (TLS unless --plaintext), the
  // metrics endpoint and housekeeping, then logs "secretd serving" with the
  // bound address, port, audience, replica id and release key id.
  // kUnavailable if the address cannot be bound.
  absl::Status Start();

  // SIGHUP: re-reads the KEK files and reloads the state from the store.
  // On error the current keys or state stay (logged).
  void Reload();

  // Graceful stop as described above. Idempotent; also run by the
  // destructor.
  void Shutdown();

  // Reloads the state now if the store changed (for subsystems that change
  // it). Thread-safe.
  void RefreshState();

  // Recomputes the health status from the audit log and the last store
  // poll. Thread-safe.
  void UpdateHealth();

  // ---- For subsystems and tests. Valid for the runtime's lifetime. ----
  const ServeConfig& config() const { return config_; }
  const DataDirLayout& layout() const { return layout_; }
  const common::Clock& clock() const { return clock_; }
  keys::RandomSource& random() { return random_; }
  Store& store() { return *store_; }
  Keyring& keyring() { return *keyring_; }
  audit::AuditSink& audit() { return *audit_; }
  audit::FileAuditWriter& audit_writer() { return *audit_; }
  StateCache& state() { return *state_; }
  Broker& broker() { return *broker_; }
  metrics::Registry& metrics_registry() { return registry_; }
  const std::string& replica_id() const { return replica_id_; }
  int port() const { return port_; }  // after Start
  int metrics_port() const;           // after Start; 0 without metrics
  bool serving() const;               // the current health status

 private:
  BrokerRuntime(ServeConfig config, const common::Clock& clock);
  void HousekeepingLoop();
  void ChangeListenerLoop();
  void PurgeLoop();
  // Refreshes the state; false if the store could not be read.
  bool Poll(bool force, absl::string_view why);
  bool Stopping();
  void PublishStoreStats();

  const ServeConfig config_;
  const common::Clock& clock_;
  const DataDirLayout layout_;
  keys::SystemRandom random_;
  metrics::Registry registry_;
  std::unique_ptr<BrokerMetrics> metrics_;
  StoreLocation store_location_;
  std::string store_description_;  // for logs; never a password
  std::unique_ptr<Store> store_;
  PostgresStore* postgres_ = nullptr;  // store_ when it is PostgreSQL
  std::unique_ptr<Keyring> keyring_;
  std::unique_ptr<KeyringKeySource> key_source_;
  std::unique_ptr<audit::Ed25519CheckpointSigner> checkpoint_signer_;
  std::unique_ptr<audit::FileAuditWriter> audit_;
  std::unique_ptr<StateCache> state_;
  std::unique_ptr<Broker> broker_;
  std::unique_ptr<BrokerService> service_;
  std::string replica_id_;
  std::vector<std::unique_ptr<Subsystem>> subsystems_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<metrics::MetricsHttpServer> metrics_server_;
  int port_ = 0;

  absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread housekeeping_;
  std::thread change_listener_;
  std::thread purger_;

  mutable absl::Mutex health_mu_;
  bool store_healthy_ ABSL_GUARDED_BY(health_mu_) = true;
  bool serving_ ABSL_GUARDED_BY(health_mu_) = false;
  bool health_published_ ABSL_GUARDED_BY(health_mu_) = false;
  std::atomic<bool> serving_hint_{false};  // serving_, readable without a lock
};

}  // namespace secretd

#endif  // SECRETD_SECRETD_SERVER_RUNTIME_H_
