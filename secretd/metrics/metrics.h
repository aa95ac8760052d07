// Prometheus metrics: counters and histograms with labels, rendered in the
// text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/).
//
//   metrics::Registry registry;
//   auto& requests = registry.AddCounterFamily(
//       "secretd_requests_total", "Requests by method and status.", {"method",
//       "code"});
//   requests.WithLabels({"Provision", "OK"}).Increment();
//   auto& latency = registry.AddHistogramFamily(
//       "secretd_request_seconds", "Request latency.", {"method"},
//       metrics::LatencyBuckets());
//   latency.WithLabels({"Provision"}).Observe(0.0021);
//   std::string text = registry.Render();
//
// Families are created at start-up (not thread-safe with Render); WithLabels,
// Increment, Observe and Render are thread-safe. A child returned by
// WithLabels lives as long as the registry, so hot paths may cache it.
// Label values are escaped; never put a secret or token in one.
#ifndef SECRETD_SECRETD_METRICS_METRICS_H_
#define SECRETD_SECRETD_METRICS_METRICS_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace secretd::metrics {

class Counter {
 public:
  void Increment(uint64_t by = 1) {
    value_.fetch_add(by, std::memory_order_relaxed);
  }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// A gauge holding a double (e.g. "1" for healthy).
class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  explicit Histogram(const std::vector<double>& upper_bounds);
  void Observe(double value);
  // Cumulative counts per bucket (the last is +Inf), sum and count.
  struct Snapshot {
    std::vector<uint64_t> cumulative;
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot Read() const;
  const std::vector<double>& upper_bounds() const { return bounds_; }

 private:
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_micro_{
      0};  // sum in millionths (exact, no CAS loop)
};

// 50 µs .. 10 s, for request and fsync latencies.
std::vector<double> LatencyBuckets();

template <typename T>
class Family {
 public:
  // The child for these label values (one per label name, in order).
  // Missing children are created.
  T& WithLabels(const std::vector<std::string>& values);

 private:
  friend class Registry;
  Family(std::string name, std::string help, std::vector<std::string> labels,
         std::vector<double> buckets)
      : name_(std::move(name)),
        help_(std::move(help)),
        labels_(std::move(labels)),
        buckets_(std::move(buckets)) {}
  void Render(absl::string_view type, std::string* out) const;

  const std::string name_, help_;
  const std::vector<std::string> labels_;
  const std::vector<double> buckets_;
  mutable absl::Mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<T>> children_
      ABSL_GUARDED_BY(mu_);
};

class Registry {
 public:
  Family<Counter>& AddCounterFamily(std::string name, std::string help,
                                    std::vector<std::string> labels = {});
  Family<Gauge>& AddGaugeFamily(std::string name, std::string help,
                                std::vector<std::string> labels = {});
  Family<Histogram>& AddHistogramFamily(std::string name, std::string help,
                                        std::vector<std::string> labels,
                                        std::vector<double> buckets);
  // The whole registry in the Prometheus text format.
  std::string Render() const;

 private:
  std::vector<std::unique_ptr<Family<Counter>>> counters_;
  std::vector<std::unique_ptr<Family<Gauge>>> gauges_;
  std::vector<std::unique_ptr<Family<Histogram>>> histograms_;
};

// Escapes a label value: backslash, double quote and newline.
std::string EscapeLabelValue(absl::string_view value);

}  // namespace secretd::metrics

#endif  // SECRETD_SECRETD_METRICS_METRICS_H_
