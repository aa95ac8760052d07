// FakeAuditSink: records what it receives; can be told to fail. Testonly.
#ifndef SECRETD_SECRETD_AUDIT_TESTING_FAKE_AUDIT_SINK_H_
#define SECRETD_SECRETD_AUDIT_TESTING_FAKE_AUDIT_SINK_H_

#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "secretd/audit/audit_sink.h"

namespace secretd::audit::testing {

class FakeAuditSink final : public AuditSink {
 public:
  absl::Status Append(const Record& record) override {
    absl::MutexLock lock(&mu_);
    if (fail_) return absl::UnavailableError("audit log unavailable (fake)");
    records_.push_back(record);
    return absl::OkStatus();
  }
  bool Healthy() const override {
    absl::MutexLock lock(&mu_);
    return !fail_;
  }
  void SetFailing(bool fail) {
    absl::MutexLock lock(&mu_);
    fail_ = fail;
  }
  std::vector<Record> records() const {
    absl::MutexLock lock(&mu_);
    return records_;
  }

 private:
  mutable absl::Mutex mu_;
  bool fail_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<Record> records_ ABSL_GUARDED_BY(mu_);
};

}  // namespace secretd::audit::testing

#endif  // SECRETD_SECRETD_AUDIT_TESTING_FAKE_AUDIT_SINK_H_
