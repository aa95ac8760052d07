// The broker's Prometheus metrics (docs/broker.md lists them).
//
// Families are created once, at start-up; the children the hot path needs
// (per method and status code) are looked up once and cached, so recording
// a request is a few relaxed atomic adds.
#ifndef SECRETD_SECRETD_SERVER_BROKER_METRICS_H_
#define SECRETD_SECRETD_SERVER_BROKER_METRICS_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "secretd/metrics/metrics.h"

namespace secretd {

class BrokerMetrics {
 public:
  enum class Method { kGetChallenge = 0, kProvision = 1 };

  // Adds the families to `registry`, which must outlive this.
  explicit BrokerMetrics(metrics::Registry& registry);

  // One finished RPC: secretd_requests_total{method,code} and
  // secretd_request_duration_seconds{method}.
  void RecordRequest(Method method, absl::StatusCode code,
                     absl::Duration elapsed);
  // One Provision decision: secretd_provision_decisions_total{decision,
  // reason}.
  void RecordDecision(absl::string_view decision, absl::string_view reason);
  void RecordFsync(absl::Duration elapsed);
  void RecordRefresh(absl::string_view result);  // "reloaded", "unchanged",
                                                 // "failed"
  void SetHealth(bool audit_healthy, bool store_healthy);
  void SetInFlight(int64_t in_flight);
  void SetStateChangeCounter(int64_t counter);
  // The audit writer's totals (lines, flushes, failures), as counters.
  void SetAuditTotals(uint64_t lines, uint64_t flushes, uint64_t failures);

  // PostgreSQL: adds the secretd_store_* families (call once, before
  // SetStorePool).
  void EnableStorePoolMetrics();
  // The PostgreSQL pool: connections now (gauges) and totals since start
  // (counters). No-op unless EnableStorePoolMetrics ran.
  void SetStorePool(int idle, int in_use, int64_t connections_opened,
                    int64_t connect_failures, int64_t statements_prepared);

 private:
  metrics::Registry& registry_;
  static constexpr int kCodes = 17;
  metrics::Family<metrics::Counter>& decisions_;
  metrics::Family<metrics::Counter>& refreshes_;
  // The child of the common outcome, looked up once (other reasons go
  // through the family's map).
  metrics::Counter* allowed_ok_;
  std::array<std::array<metrics::Counter*, kCodes>, 2> requests_{};
  std::array<metrics::Histogram*, 2> latency_{};
  metrics::Histogram* fsync_;
  metrics::Gauge* audit_healthy_;
  metrics::Gauge* store_healthy_;
  metrics::Gauge* in_flight_;
  metrics::Gauge* change_counter_;
  metrics::Counter* audit_lines_;
  metrics::Counter* audit_flushes_;
  metrics::Counter* audit_failures_;
  metrics::Gauge* store_idle_ = nullptr;
  metrics::Gauge* store_in_use_ = nullptr;
  metrics::Counter* store_opened_ = nullptr;
  metrics::Counter* store_connect_failures_ = nullptr;
  metrics::Counter* store_prepared_ = nullptr;
};

}  // namespace secretd

#endif  // SECRETD_SECRETD_SERVER_BROKER_METRICS_H_
