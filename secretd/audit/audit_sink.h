// AuditSink: where the broker and the admin service write audit records.
//
// Contract: Append returns OK only once the record is durable (written and
// fsync'ed, or the backend's equivalent). Any error means the record may not
// be durable: the caller must fail closed (release nothing, change nothing
// it has not already committed) and answer kUnavailable. Thread-safe.
#ifndef SECRETD_SECRETD_AUDIT_AUDIT_SINK_H_
#define SECRETD_SECRETD_AUDIT_AUDIT_SINK_H_

#include "absl/status/status.h"
#include "secretd/audit/record.h"

namespace secretd::audit {

class AuditSink {
 public:
  virtual ~AuditSink() = default;
  // Appends `record` durably. kUnavailable if it could not be made durable.
  virtual absl::Status Append(const Record& record) = 0;
  // False after a write failure until a later write succeeds. For health
  // reporting; Append's status is what callers must act on.
  virtual bool Healthy() const = 0;
};

}  // namespace secretd::audit

#endif  // SECRETD_SECRETD_AUDIT_AUDIT_SINK_H_
