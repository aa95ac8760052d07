#include "secretd/server/broker_metrics.h"

#include <algorithm>

namespace secretd {

BrokerMetrics::BrokerMetrics(metrics::Registry& registry)
    : registry_(registry),
      decisions_(registry.AddCounterFamily(
          "secretd_provision_decisions_total",
          "Provision decisions by decision and audit reason.",
          {"decision", "reason"})),
      refreshes_(registry.AddCounterFamily(
          "secretd_state_refreshes_total",
          "Polls of the store's change counter (and SIGHUP reloads) by "
          "result: reloaded, unchanged or failed.",
          {"result"})),
      allowed_ok_(&decisions_.WithLabels({"allow", "ok"})) {
  auto& requests = registry.AddCounterFamily(
      "secretd_requests_total", "Broker RPCs by method and status code.",
      {"method", "code"});
  auto& latency = registry.AddHistogramFamily(
      "secretd_request_duration_seconds",
      "Broker RPC handling time by method, from the handler's start to its "
      "answer (audit fsync included).",
      {"method"}, metrics::LatencyBuckets());
  const char* methods[2] = {"GetChallenge", "Provision"};
  for (int m = 0; m < 2; ++m) {
    for (int c = 0; c < kCodes; ++c) {
      requests_[m][c] = &requests.WithLabels(
          {methods[m],
           absl::StatusCodeToString(static_cast<absl::StatusCode>(c))});
    }
    latency_[m] = &latency.WithLabels({methods[m]});
  }
  fsync_ = &registry
                .AddHistogramFamily("secretd_audit_fsync_seconds",
                                    "Time of each audit log fdatasync (one "
                                    "per group commit).",
                                    {}, metrics::LatencyBuckets())
                .WithLabels({});
  auto& gauges = registry.AddGaugeFamily(
      "secretd_healthy",
      "1 if the component works: audit (the last audit write succeeded) or "
      "store (the last store poll succeeded).",
      {"component"});
  audit_healthy_ = &gauges.WithLabels({"audit"});
  store_healthy_ = &gauges.WithLabels({"store"});
  in_flight_ = &registry
                    .AddGaugeFamily("secretd_provisions_in_flight",
                                    "Provision calls being handled now.")
                    .WithLabels({});
  change_counter_ =
      &registry
           .AddGaugeFamily("secretd_state_change_counter",
                           "The store change counter of the state in use.")
           .WithLabels({});
  audit_lines_ = &registry
                      .AddCounterFamily("secretd_audit_lines_total",
                                        "Durable audit lines written "
                                        "(checkpoints included).")
                      .WithLabels({});
  audit_flushes_ = &registry
                        .AddCounterFamily("secretd_audit_flushes_total",
                                          "Audit write + fdatasync rounds "
                                          "(fewer than lines: group commit).")
                        .WithLabels({});
  audit_failures_ = &registry
                         .AddCounterFamily("secretd_audit_failures_total",
                                           "Failed audit flushes.")
                         .WithLabels({});
}

void BrokerMetrics::RecordRequest(Method method, absl::StatusCode code,
                                  absl::Duration elapsed) {
  const int m = static_cast<int>(method);
  int c = static_cast<int>(code);
  if (c < 0 || c >= kCodes) c = static_cast<int>(absl::StatusCode::kUnknown);
  requests_[m][c]->Increment();
  latency_[m]->Observe(absl::ToDoubleSeconds(elapsed));
}

void BrokerMetrics::RecordDecision(absl::string_view decision,
                                   absl::string_view reason) {
  if (decision == "allow" && reason == "ok") {
    allowed_ok_->Increment();
    return;
  }
  decisions_.WithLabels({std::string(decision), std::string(reason)})
      .Increment();
}

void BrokerMetrics::RecordFsync(absl::Duration elapsed) {
  fsync_->Observe(absl::ToDoubleSeconds(elapsed));
}

void BrokerMetrics::RecordRefresh(absl::string_view result) {
  refreshes_.WithLabels({std::string(result)}).Increment();
}

void BrokerMetrics::SetHealth(bool audit_healthy, bool store_healthy) {
  audit_healthy_->Set(audit_healthy ? 1 : 0);
  store_healthy_->Set(store_healthy ? 1 : 0);
}

void BrokerMetrics::SetInFlight(int64_t in_flight) {
  in_flight_->Set(static_cast<double>(in_flight));
}

void BrokerMetrics::SetStateChangeCounter(int64_t counter) {
  change_counter_->Set(static_cast<double>(counter));
}

void BrokerMetrics::EnableStorePoolMetrics() {
  if (store_idle_ != nullptr) return;
  auto& connections = registry_.AddGaugeFamily(
      "secretd_store_connections",
      "PostgreSQL connections of the pool now, by state: idle or in_use "
      "(the change listener not included).",
      {"state"});
  store_idle_ = &connections.WithLabels({"idle"});
  store_in_use_ = &connections.WithLabels({"in_use"});
  store_opened_ =
      &registry_
           .AddCounterFamily("secretd_store_connections_opened_total",
                             "PostgreSQL connections the pool opened.")
           .WithLabels({});
  store_connect_failures_ =
      &registry_
           .AddCounterFamily("secretd_store_connect_failures_total",
                             "Failed PostgreSQL connection attempts.")
           .WithLabels({});
  store_prepared_ =
      &registry_
           .AddCounterFamily("secretd_store_statements_prepared_total",
                             "Statements prepared (once per statement and "
                             "connection).")
           .WithLabels({});
}

void BrokerMetrics::SetStorePool(int idle, int in_use,
                                 int64_t connections_opened,
                                 int64_t connect_failures,
                                 int64_t statements_prepared) {
  if (store_idle_ == nullptr) return;
  store_idle_->Set(idle);
  store_in_use_->Set(in_use);
  auto catch_up = [](metrics::Counter* c, int64_t total) {
    const uint64_t have = c->value();
    if (total > 0 && static_cast<uint64_t>(total) > have) {
      c->Increment(static_cast<uint64_t>(total) - have);
    }
  };
  catch_up(store_opened_, connections_opened);
  catch_up(store_connect_failures_, connect_failures);
  catch_up(store_prepared_, statements_prepared);
}

void BrokerMetrics::SetAuditTotals(uint64_t lines, uint64_t flushes,
                                   uint64_t failures) {
  // Counters only go up: add what is new since the last call.
  auto catch_up = [](metrics::Counter* c, uint64_t total) {
    const uint64_t have = c->value();
    if (total > have) c->Increment(total - have);
  };
  catch_up(audit_lines_, lines);
  catch_up(audit_flushes_, flushes);
  catch_up(audit_failures_, failures);
}

}  // namespace secretd
