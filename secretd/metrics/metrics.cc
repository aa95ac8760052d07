#include "secretd/metrics/metrics.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace secretd::metrics {
namespace {

std::string FormatDouble(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  return absl::StrFormat("%.17g", v);
}

std::string LabelSet(const std::vector<std::string>& names,
                     const std::vector<std::string>& values,
                     absl::string_view extra_name = "",
                     absl::string_view extra_value = "") {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    absl::StrAppend(&out, out.empty() ? "" : ",", names[i], "=\"",
                    EscapeLabelValue(values[i]), "\"");
  }
  if (!extra_name.empty()) {
    absl::StrAppend(&out, out.empty() ? "" : ",", extra_name, "=\"",
                    extra_value, "\"");
  }
  return out.empty() ? "" : absl::StrCat("{", out, "}");
}

void AppendSample(std::string* out, const std::string& name,
                  const std::string& labels, absl::string_view value) {
  absl::StrAppend(out, name, labels, " ", value, "\n");
}

}  // namespace

std::string EscapeLabelValue(absl::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<double> LatencyBuckets() {
  return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,    0.1,    0.25,    0.5,    1,     2.5,    5,     10};
}

Histogram::Histogram(const std::vector<double>& upper_bounds)
    : bounds_(upper_bounds),
      buckets_(new std::atomic<uint64_t>[upper_bounds.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::Observe(double value) {
  size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  if (value > 0) {
    sum_micro_.fetch_add(static_cast<uint64_t>(std::llround(value * 1e6)),
                         std::memory_order_relaxed);
  }
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot s;
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  s.count = running;
  s.sum = static_cast<double>(sum_micro_.load(std::memory_order_relaxed)) / 1e6;
  return s;
}

template <typename T>
T& Family<T>::WithLabels(const std::vector<std::string>& values) {
  absl::MutexLock lock(&mu_);
  auto it = children_.find(values);
  if (it != children_.end()) return *it->second;
  std::unique_ptr<T> child;
  if constexpr (std::is_same_v<T, Histogram>) {
    child = std::make_unique<Histogram>(buckets_);
  } else {
    child = std::make_unique<T>();
  }
  std::vector<std::string> key = values;
  key.resize(labels_.size());  // a wrong count is a programming error: pad/cut
  T& ref = *child;
  children_.emplace(std::move(key), std::move(child));
  return ref;
}

template <typename T>
void Family<T>::Render(absl::string_view type, std::string* out) const {
  absl::StrAppend(out, "# HELP ", name_, " ", help_, "\n# TYPE ", name_, " ",
                  type, "\n");
  absl::MutexLock lock(&mu_);
  for (const auto& [values, child] : children_) {
    if constexpr (std::is_same_v<T, Counter>) {
      AppendSample(out, name_, LabelSet(labels_, values),
                   absl::StrCat(child->value()));
    } else if constexpr (std::is_same_v<T, Gauge>) {
      AppendSample(out, name_, LabelSet(labels_, values),
                   FormatDouble(child->value()));
    } else {
      Histogram::Snapshot s = child->Read();
      const auto& bounds = child->upper_bounds();
      for (size_t i = 0; i <= bounds.size(); ++i) {
        std::string le = i < bounds.size() ? FormatDouble(bounds[i]) : "+Inf";
        AppendSample(out, name_ + "_bucket",
                     LabelSet(labels_, values, "le", le),
                     absl::StrCat(s.cumulative[i]));
      }
      AppendSample(out, name_ + "_sum", LabelSet(labels_, values),
                   FormatDouble(s.sum));
      AppendSample(out, name_ + "_count", LabelSet(labels_, values),
                   absl::StrCat(s.count));
    }
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

Family<Counter>& Registry::AddCounterFamily(std::string name, std::string help,
                                            std::vector<std::string> labels) {
  counters_.push_back(std::unique_ptr<Family<Counter>>(new Family<Counter>(
      std::move(name), std::move(help), std::move(labels), {})));
  return *counters_.back();
}

Family<Gauge>& Registry::AddGaugeFamily(std::string name, std::string help,
                                        std::vector<std::string> labels) {
  gauges_.push_back(std::unique_ptr<Family<Gauge>>(new Family<Gauge>(
      std::move(name), std::move(help), std::move(labels), {})));
  return *gauges_.back();
}

Family<Histogram>& Registry::AddHistogramFamily(std::string name,
                                                std::string help,
                                                std::vector<std::string> labels,
                                                std::vector<double> buckets) {
  histograms_.push_back(std::unique_ptr<Family<Histogram>>(
      new Family<Histogram>(std::move(name), std::move(help), std::move(labels),
                            std::move(buckets))));
  return *histograms_.back();
}

std::string Registry::Render() const {
  std::string out;
  for (const auto& f : counters_) f->Render("counter", &out);
  for (const auto& f : gauges_) f->Render("gauge", &out);
  for (const auto& f : histograms_) f->Render("histogram", &out);
  return out;
}

}  // namespace secretd::metrics
