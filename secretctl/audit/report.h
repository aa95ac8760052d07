// `secretctl audit report --html`: one self-contained HTML page (inline CSS,
// SVG and a little JavaScript; no network access, enforced by its
// Content-Security-Policy) summarising audit logs for people:
//
//   - the verification result at the top (verify_files.h),
//   - totals (requests, allowed, denied, instances, secrets, admin changes),
//   - allowed and denied requests over time (a stacked SVG bar chart),
//   - top denial reasons, secrets by number of releases, roles by number of
//     distinct instances,
//   - the most recent denials, the admin changes, and each log file.
//
//   ASSIGN_OR_RETURN(ReportData data, BuildReport(files));
//   std::string html = RenderReportHtml(data, verification, meta);
//
// Everything taken from a log is HTML-escaped. The page works without
// JavaScript; the script adds chart tooltips, sortable tables and local
// times, and marks <body data-ready="1"> when it has run.
#ifndef SECRETD_SECRETCTL_AUDIT_REPORT_H_
#define SECRETD_SECRETCTL_AUDIT_REPORT_H_

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "secretctl/audit/events.h"
#include "secretctl/audit/verify_files.h"

namespace secretctl {

struct ReportData {
  uint64_t provision = 0;
  uint64_t allowed = 0;
  uint64_t denied = 0;
  uint64_t admin = 0;
  uint64_t admin_failed = 0;  // admin records whose status is not OK
  uint64_t releases = 0;      // secrets released (one per name per request)
  uint64_t unreadable = 0;    // lines that are not readable records
  absl::Time first = absl::InfiniteFuture();
  absl::Time last = absl::InfinitePast();

  struct Counts {
    uint64_t allowed = 0;
    uint64_t denied = 0;
  };
  // Provision decisions per minute (Unix minutes), for the chart.
  std::map<int64_t, Counts> per_minute;
  std::map<std::string, uint64_t> deny_reasons;
  struct SecretStats {
    uint64_t releases = 0;
    std::set<int64_t> versions;
    absl::flat_hash_set<uint64_t> instances;  // subject fingerprints
  };
  std::map<std::string, SecretStats> secrets;
  struct RoleStats {
    uint64_t allowed = 0;
    uint64_t denied = 0;
    absl::flat_hash_set<uint64_t> instances;  // subject fingerprints
  };
  std::map<std::string, RoleStats> roles;
  absl::flat_hash_set<uint64_t> instances;  // every subject seen
  std::deque<Event> recent_denials;         // the last kRecentDenials
  std::deque<Event> admin_events;           // the last kAdminEvents

  static constexpr size_t kRecentDenials = 25;
  static constexpr size_t kAdminEvents = 50;

  // Adds one event (checkpoints are ignored).
  void Add(const Event& e);
};

// Reads every file (merged by time) into a ReportData. kNotFound /
// kUnavailable if a file cannot be read.
absl::StatusOr<ReportData> BuildReport(const std::vector<std::string>& files);

struct ReportMeta {
  std::string title = "Audit report";
  absl::Time generated_at;
};

// The whole page.
std::string RenderReportHtml(const ReportData& data,
                             const FilesVerification& verification,
                             const ReportMeta& meta);

// For tests and the page: "&<>\"'" escaped.
std::string HtmlEscape(absl::string_view text);
// 12345 -> "12,345".
std::string FormatCount(uint64_t n);

}  // namespace secretctl

#endif  // SECRETD_SECRETCTL_AUDIT_REPORT_H_
