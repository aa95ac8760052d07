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
// Everything taken from a log is HTML-escaped (and its control, bidi and
// invisible format characters shown as visible escapes). The page works
// without JavaScript; the script adds chart tooltips, sortable tables and
// local times, and marks <body data-ready="1"> when it has run (and
// data-styled="1" if the stylesheet applied). The Content-Security-Policy
// allows nothing but the page's own <style> and <script>, by their SHA-256
// (no 'unsafe-inline'; no style attributes: bar widths are SVG attributes).
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
  // Provision and admin records after their log's last checkpoint (read
  // from verified logs: Event::is_signed false).
  uint64_t unsigned_events = 0;
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
// Reads the logs of `verified` (verified with keep_open) again from the very
// files that were verified (FilesVerification::Sources), each up to the
// bytes verified. kAborted (LogChangedMessage) if a log changed since it was
// verified (FilesVerification::CheckUnchanged); kUnavailable if one cannot
// be read.
absl::StatusOr<ReportData> BuildReport(const FilesVerification& verified);

struct ReportMeta {
  std::string title = "Audit report";
  absl::Time generated_at;
};

// The whole page.
std::string RenderReportHtml(const ReportData& data,
                             const FilesVerification& verification,
                             const ReportMeta& meta);

// Writes the page to `path` so that no reader ever sees half of it, and no
// link is ever followed: a new temporary file is created next to `path`
// (mkstemp: a unique name, O_EXCL, so nothing planted there is used), given
// mode 0600 (audit data says who received which secret: share the report
// deliberately, e.g. chmod 0644), written, fsync'ed, and renamed over
// `path` (a symlink at `path` is replaced, not followed); then the
// directory is fsync'ed. kUnavailable naming the step that failed (the
// temporary file is removed).
absl::Status WriteReportFile(const std::string& path, absl::string_view html);

// The page's Content-Security-Policy: default-src 'none', the SHA-256 of
// its one <style> and one <script>, data: images, no base or form targets.
std::string ContentSecurityPolicy();

// For tests and the page: "&<>\"'" escaped.
std::string HtmlEscape(absl::string_view text);
// 12345 -> "12,345".
std::string FormatCount(uint64_t n);

}  // namespace secretctl

#endif  // SECRETD_SECRETCTL_AUDIT_REPORT_H_
