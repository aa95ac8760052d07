#include "secretd/metrics/metrics.h"

#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace secretd::metrics {
namespace {

using ::testing::HasSubstr;

TEST(MetricsTest, CountersRenderWithEscapedLabels) {
  Registry r;
  auto& f = r.AddCounterFamily("secretd_requests_total", "Requests.",
                               {"method", "code"});
  f.WithLabels({"Provision", "OK"}).Increment();
  f.WithLabels({"Provision", "OK"}).Increment(2);
  f.WithLabels({"Get\"Challenge\n", "OK"}).Increment();
  EXPECT_EQ(
      r.Render(),
      "# HELP secretd_requests_total Requests.\n"
      "# TYPE secretd_requests_total counter\n"
      "secretd_requests_total{method=\"Get\\\"Challenge\\n\",code=\"OK\"} 1\n"
      "secretd_requests_total{method=\"Provision\",code=\"OK\"} 3\n");
}

TEST(MetricsTest, HistogramsAreCumulativeWithSumAndCount) {
  Registry r;
  auto& h = r.AddHistogramFamily("lat_seconds", "Latency.", {}, {0.001, 0.01});
  h.WithLabels({}).Observe(0.0005);
  h.WithLabels({}).Observe(0.005);
  h.WithLabels({}).Observe(5);
  EXPECT_EQ(r.Render(),
            "# HELP lat_seconds Latency.\n"
            "# TYPE lat_seconds histogram\n"
            "lat_seconds_bucket{le=\"0.001\"} 1\n"
            "lat_seconds_bucket{le=\"0.01\"} 2\n"
            "lat_seconds_bucket{le=\"+Inf\"} 3\n"
            "lat_seconds_sum 5.0054999999999996\n"
            "lat_seconds_count 3\n");
}

TEST(MetricsTest, GaugesRender) {
  Registry r;
  r.AddGaugeFamily("up", "Healthy.").WithLabels({}).Set(1);
  EXPECT_THAT(r.Render(), HasSubstr("# TYPE up gauge\nup 1\n"));
}

TEST(MetricsTest, ConcurrentIncrementsAreNotLost) {
  Registry r;
  auto& f = r.AddCounterFamily("c", "C.", {"k"});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) f.WithLabels({"x"}).Increment();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(f.WithLabels({"x"}).value(), 40000u);
}

}  // namespace
}  // namespace secretd::metrics
