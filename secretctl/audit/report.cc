#include "secretctl/audit/report.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "common/terminal_text.h"
#include "secretd/audit/envelope.h"
#include "secretd/audit/record.h"
#include "secretd/audit/verifier.h"

namespace secretctl {
namespace {

uint64_t Fingerprint(const std::string& s) {
  return std::hash<std::string>{}(s);
}

int64_t UnixMinute(absl::Time t) {
  const int64_t s = absl::ToUnixSeconds(t);  // rounds toward -infinity
  return s / 60 - (s % 60 < 0 ? 1 : 0);
}

std::string Pct(uint64_t part, uint64_t whole) {
  if (whole == 0) return "0%";
  const double p =
      100.0 * static_cast<double>(part) / static_cast<double>(whole);
  if (p > 0 && p < 0.1) return "<0.1%";
  return absl::StrCat(std::round(p * 10) / 10, "%");
}

std::string Plural(uint64_t n, absl::string_view one, absl::string_view many) {
  return absl::StrCat(FormatCount(n), " ", n == 1 ? one : many);
}

std::string ShortTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S", t, absl::UTCTimeZone());
}

// <time datetime="...">2026-11-26 05:41:45</time>
std::string TimeTag(const std::string& rfc3339, absl::Time t) {
  return absl::StrCat("<time datetime=\"", HtmlEscape(rfc3339), "\">",
                      ShortTime(t), "</time>");
}

// --- The chart --------------------------------------------------------------

struct Bucket {
  int64_t start_minute = 0;
  ReportData::Counts counts;
};

// Picks a bucket size (minutes) giving at most kMaxBars bars over the span.
int64_t BucketMinutes(int64_t first, int64_t last) {
  constexpr int64_t kMaxBars = 60;
  for (int64_t s : {1, 5, 15, 30, 60, 180, 360, 720, 1440, 10080}) {
    if (last / s - first / s + 1 <= kMaxBars) return s;
  }
  return std::max<int64_t>(1, (last - first) / kMaxBars + 1);
}

std::string BucketName(int64_t minutes) {
  if (minutes % 10080 == 0)
    return minutes == 10080 ? "week" : absl::StrCat(minutes / 10080, " weeks");
  if (minutes % 1440 == 0)
    return minutes == 1440 ? "day" : absl::StrCat(minutes / 1440, " days");
  if (minutes % 60 == 0)
    return minutes == 60 ? "hour" : absl::StrCat(minutes / 60, " hours");
  return minutes == 1 ? "minute" : absl::StrCat(minutes, " minutes");
}

std::vector<Bucket> Buckets(const ReportData& d, int64_t* size) {
  std::vector<Bucket> out;
  if (d.per_minute.empty()) return out;
  const int64_t first = d.per_minute.begin()->first;
  const int64_t last = d.per_minute.rbegin()->first;
  const int64_t s = BucketMinutes(first, last);
  *size = s;
  auto floor_div = [](int64_t a, int64_t b) {
    return a / b - ((a % b != 0 && (a < 0) != (b < 0)) ? 1 : 0);
  };
  const int64_t b0 = floor_div(first, s), b1 = floor_div(last, s);
  out.resize(static_cast<size_t>(b1 - b0 + 1));
  for (size_t i = 0; i < out.size(); ++i) {
    out[i].start_minute = (b0 + static_cast<int64_t>(i)) * s;
  }
  for (const auto& [minute, c] : d.per_minute) {
    Bucket& b = out[static_cast<size_t>(floor_div(minute, s) - b0)];
    b.counts.allowed += c.allowed;
    b.counts.denied += c.denied;
  }
  return out;
}

// A "nice" axis maximum and tick step for `max` (1, 2 or 5 times 10^k).
void NiceAxis(uint64_t max, uint64_t* top, uint64_t* step) {
  if (max == 0) max = 1;
  uint64_t magnitude = 1;
  while (magnitude * 10 <= max) magnitude *= 10;
  for (uint64_t m : {1, 2, 5, 10}) {
    const uint64_t st = std::max<uint64_t>(1, magnitude * m / 4);
    if (st * 4 >= max) {
      *step = st;
      *top = st * ((max + st - 1) / st);
      return;
    }
  }
  *step = magnitude * 10 / 4;
  *top = *step * ((max + *step - 1) / *step);
}

std::string TimeLabel(int64_t minute, int64_t bucket) {
  const absl::Time t = absl::FromUnixSeconds(minute * 60);
  if (bucket >= 1440) return absl::FormatTime("%b %d", t, absl::UTCTimeZone());
  return absl::FormatTime("%b %d %H:%M", t, absl::UTCTimeZone());
}

std::string Chart(const ReportData& d) {
  int64_t size = 1;
  const std::vector<Bucket> buckets = Buckets(d, &size);
  if (buckets.empty()) {
    return "<p class=\"empty\">No provision requests in these logs.</p>";
  }
  constexpr double kW = 960, kH = 280, kLeft = 56, kRight = 12, kTop = 12,
                   kBottom = 40;
  const double plot_w = kW - kLeft - kRight, plot_h = kH - kTop - kBottom;
  uint64_t max = 0;
  for (const auto& b : buckets) {
    max = std::max(max, b.counts.allowed + b.counts.denied);
  }
  uint64_t top = 1, step = 1;
  NiceAxis(max, &top, &step);
  const double slot = plot_w / static_cast<double>(buckets.size());
  const double bar_w = std::max(1.0, slot * 0.78);
  auto y_of = [&](uint64_t v) {
    return kTop + plot_h -
           plot_h * static_cast<double>(v) / static_cast<double>(top);
  };
  auto num = [](double v) { return absl::StrCat(std::round(v * 10) / 10); };

  std::string svg = absl::StrCat(
      "<svg id=\"timeline\" class=\"chart\" viewBox=\"0 0 ", kW, " ", kH,
      "\" role=\"img\" aria-label=\"Allowed and denied requests per ",
      BucketName(size), "\" data-bucket-minutes=\"", size, "\">");
  // Grid and y labels.
  absl::StrAppend(&svg, "<g class=\"grid\">");
  for (uint64_t v = 0; v <= top; v += step) {
    const double y = y_of(v);
    absl::StrAppend(&svg, "<line x1=\"", kLeft, "\" x2=\"", kW - kRight,
                    "\" y1=\"", num(y), "\" y2=\"", num(y), "\"/>",
                    "<text class=\"ylabel\" x=\"", kLeft - 8, "\" y=\"",
                    num(y + 4), "\">", FormatCount(v), "</text>");
  }
  absl::StrAppend(&svg, "</g><g class=\"bars\">");
  for (size_t i = 0; i < buckets.size(); ++i) {
    const Bucket& b = buckets[i];
    const double x = kLeft + slot * static_cast<double>(i) + (slot - bar_w) / 2;
    const double ya = y_of(b.counts.allowed);
    const double yd = y_of(b.counts.allowed + b.counts.denied);
    const absl::Time start = absl::FromUnixSeconds(b.start_minute * 60);
    const std::string label = absl::StrCat(
        absl::FormatTime("%Y-%m-%d %H:%M", start, absl::UTCTimeZone()),
        " UTC, ", BucketName(size), ": ", FormatCount(b.counts.allowed),
        " allowed, ", FormatCount(b.counts.denied), " denied");
    absl::StrAppend(
        &svg, "<g class=\"bucket\" data-start=\"",
        absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", start, absl::UTCTimeZone()),
        "\" data-allowed=\"", b.counts.allowed, "\" data-denied=\"",
        b.counts.denied, "\"><title>", label, "</title>",
        "<rect class=\"hit\" x=\"", num(kLeft + slot * static_cast<double>(i)),
        "\" y=\"", kTop, "\" width=\"", num(slot), "\" height=\"", plot_h,
        "\"/>", "<rect class=\"bar-allow\" x=\"", num(x), "\" y=\"", num(ya),
        "\" width=\"", num(bar_w), "\" height=\"", num(kTop + plot_h - ya),
        "\"/>", "<rect class=\"bar-deny\" x=\"", num(x), "\" y=\"", num(yd),
        "\" width=\"", num(bar_w), "\" height=\"", num(ya - yd), "\"/></g>");
  }
  absl::StrAppend(&svg, "</g><g class=\"xaxis\">");
  absl::StrAppend(&svg, "<line x1=\"", kLeft, "\" x2=\"", kW - kRight,
                  "\" y1=\"", kTop + plot_h, "\" y2=\"", kTop + plot_h, "\"/>");
  const size_t every = std::max<size_t>(1, (buckets.size() + 5) / 6);
  for (size_t i = 0; i < buckets.size(); i += every) {
    const double x = kLeft + slot * (static_cast<double>(i) + 0.5);
    absl::StrAppend(&svg, "<text class=\"xlabel\" x=\"", num(x), "\" y=\"",
                    kTop + plot_h + 20, "\">",
                    TimeLabel(buckets[i].start_minute, size), "</text>");
  }
  absl::StrAppend(&svg, "</g></svg>");
  return absl::StrCat(
      svg, "<p class=\"caption\"><span class=\"key allow\"></span>allowed ",
      "<span class=\"key deny\"></span>denied &middot; one bar per ",
      BucketName(size), " (UTC)</p>");
}

// --- Ranked bars ------------------------------------------------------------

struct Ranked {
  std::string label;
  uint64_t value = 0;
  std::string note;  // small text after the label
};

std::string RankedBars(const std::string& id, std::vector<Ranked> items,
                       absl::string_view unit, absl::string_view empty,
                       absl::string_view css_class) {
  if (items.empty()) {
    return absl::StrCat("<p class=\"empty\">", empty, "</p>");
  }
  std::stable_sort(
      items.begin(), items.end(),
      [](const Ranked& a, const Ranked& b) { return a.value > b.value; });
  constexpr size_t kTop = 10;
  const uint64_t max = std::max<uint64_t>(1, items.front().value);
  std::string out =
      absl::StrCat("<ol class=\"ranked ", css_class, "\" id=\"", id, "\">");
  for (size_t i = 0; i < items.size() && i < kTop; ++i) {
    const Ranked& r = items[i];
    const double w =
        100.0 * static_cast<double>(r.value) / static_cast<double>(max);
    absl::StrAppend(&out, "<li data-label=\"", HtmlEscape(r.label),
                    "\" data-value=\"", r.value,
                    "\"><div class=\"row\"><span class=\"label\" title=\"",
                    HtmlEscape(r.label), "\">", HtmlEscape(r.label),
                    "</span><span class=\"value\">", FormatCount(r.value),
                    unit.empty() ? "" : " ", unit,
                    // An SVG bar: its width is an attribute, not an inline
                    // style, which the page's CSP does not allow.
                    "</span></div><svg class=\"track\" aria-hidden=\"true\">"
                    "<rect class=\"fill\" width=\"",
                    std::max(0.5, std::round(w * 10) / 10),
                    "%\" height=\"100%\" rx=\"4\"/></svg>",
                    r.note.empty() ? ""
                                   : absl::StrCat("<div class=\"note\">",
                                                  HtmlEscape(r.note), "</div>"),
                    "</li>");
  }
  absl::StrAppend(&out, "</ol>");
  if (items.size() > kTop) {
    absl::StrAppend(&out, "<p class=\"more\">and ", items.size() - kTop,
                    " more</p>");
  }
  return out;
}

std::string VersionsNote(const std::set<int64_t>& versions) {
  if (versions.empty()) return "";
  std::vector<std::string> v;
  for (int64_t x : versions) v.push_back(absl::StrCat(x));
  if (v.size() > 4) {
    return absl::StrCat("v", v.front(), "…v", v.back(), " (", v.size(),
                        " versions)");
  }
  return absl::StrCat("v", absl::StrJoin(v, ", v"));
}

// --- Page parts -------------------------------------------------------------

std::string Banner(const FilesVerification& v) {
  std::string cls, icon, head, body;
  const uint64_t unsigned_records = v.unsigned_records();
  if (!v.ok()) {
    cls = "bad";
    icon = "&#x2718;";
    head = "Verification failed";
    body = absl::StrCat(
        "<p class=\"problem\">", HtmlEscape(v.FirstProblem()), "</p>",
        "<p>The figures below include records that these logs can no longer "
        "vouch for. Run <code>secretctl audit verify</code> on the logs for "
        "details.</p>");
  } else if (!v.signatures_checked) {
    cls = "warn";
    icon = "&#x26A0;";
    head = "Hash chains intact &mdash; signatures not checked";
    body = absl::StrCat(
        "<p>", Plural(v.files.size(), "log", "logs"), ", ",
        Plural(v.lines(), "line", "lines"),
        " chain correctly, but the checkpoint signatures were not checked "
        "(no audit public key was given), so a log rewritten from scratch "
        "would also pass. Pass <code>--audit-public-key</code> to check "
        "them.</p>");
  } else {
    cls = "good";
    icon = "&#x2714;";
    head = "Verified";
    body = absl::StrCat(
        "<p>", Plural(v.files.size(), "log", "logs"), ", ",
        Plural(v.lines(), "line", "lines"),
        " intact: every hash link holds and every checkpoint is signed by "
        "audit key <code>",
        HtmlEscape(v.key_id), "</code>.</p>");
  }
  if (v.ok() && unsigned_records > 0) {
    absl::StrAppend(&head, " <span class=\"pill warn\" id=\"unsigned-count\">",
                    FormatCount(unsigned_records), " unsigned</span>");
    absl::StrAppend(
        &body, "<p class=\"sub\" id=\"unsigned\" data-unsigned=\"",
        unsigned_records, "\">",
        Plural(unsigned_records, "record comes", "records come"),
        unsigned_records == 1 ? " after its log's" : " after their log's",
        " last checkpoint and ", unsigned_records == 1 ? "is" : "are",
        " not signed yet: a running broker, a crash, or records added by "
        "someone who can write the logs. ",
        unsigned_records == 1 ? "It is" : "They are",
        " counted below and marked <span class=\"pill warn\">unsigned</span> "
        "in the tables.</p>");
  }
  return absl::StrCat(
      "<section id=\"verification\" class=\"banner ", cls, "\" data-ok=\"",
      v.ok() ? "true" : "false", "\"><div class=\"icon\" aria-hidden=\"true\">",
      icon, "</div><div><h2>", head, "</h2>", body, "</div></section>");
}

std::string Card(absl::string_view id, absl::string_view label,
                 const std::string& value, const std::string& note,
                 absl::string_view cls = "") {
  return absl::StrCat("<div class=\"card ", cls, "\" id=\"", id,
                      "\"><div class=\"label\">", label,
                      "</div><div class=\"value\">", value,
                      "</div><div class=\"note\">", note, "</div></div>");
}

std::string Dash(const std::string& s) {
  return s.empty() ? "&ndash;" : HtmlEscape(s);
}

// The time cell of a row, with a badge if no checkpoint signs the record.
std::string TimeCell(const Event& e) {
  std::string cell = TimeTag(e.time_text, e.time);
  if (e.is_signed.has_value() && !*e.is_signed) {
    absl::StrAppend(&cell,
                    " <span class=\"pill warn unsigned\" title=\"after its "
                    "log's last checkpoint: not signed yet\">unsigned</span>");
  }
  return cell;
}

std::string DenialsTable(const ReportData& d) {
  if (d.recent_denials.empty()) {
    return "<p class=\"empty\">No denied requests.</p>";
  }
  std::string out =
      "<div class=\"scroll\"><table class=\"sortable\" id=\"denials\"><thead>"
      "<tr><th>Time (UTC)</th><th>Subject</th><th>Role</th><th>Reason</th>"
      "<th>Message</th><th>Request</th></tr></thead><tbody>";
  for (auto it = d.recent_denials.rbegin(); it != d.recent_denials.rend();
       ++it) {
    const Event& e = *it;
    absl::StrAppend(&out, "<tr><td>", TimeCell(e), "</td><td>", Dash(e.subject),
                    "</td><td>", Dash(e.role),
                    "</td><td><span class=\"pill deny\">", Dash(e.reason),
                    "</span></td><td class=\"msg\">", Dash(e.message),
                    "</td><td><code>", Dash(e.request_id), "</code></td></tr>");
  }
  absl::StrAppend(&out, "</tbody></table></div>");
  return out;
}

std::string AdminTable(const ReportData& d) {
  if (d.admin_events.empty()) {
    return "<p class=\"empty\">No admin changes in these logs.</p>";
  }
  std::string out =
      "<div class=\"scroll\"><table class=\"sortable\" id=\"admin\"><thead>"
      "<tr><th>Time (UTC)</th><th>Change</th><th>Object</th><th>Status</th>"
      "<th>Peer uid</th><th>Request</th></tr></thead><tbody>";
  for (auto it = d.admin_events.rbegin(); it != d.admin_events.rend(); ++it) {
    const Event& e = *it;
    std::string object;
    if (!e.secret.empty()) {
      object = e.version.has_value() ? absl::StrCat(e.secret, "@", *e.version)
                                     : e.secret;
    } else if (!e.role.empty()) {
      object = absl::StrCat("role ", e.role);
    } else if (!e.issuer.empty()) {
      object = absl::StrCat("issuer ", e.issuer);
    }
    absl::StrAppend(
        &out, "<tr><td>", TimeCell(e), "</td><td>",
        HtmlEscape(e.type.substr(6)), "</td><td>", Dash(object),
        "</td><td><span class=\"pill ", e.status == "OK" ? "ok" : "deny", "\">",
        Dash(e.status), "</span></td><td>",
        e.peer_uid.has_value() ? absl::StrCat(*e.peer_uid) : "&ndash;",
        "</td><td><code>", Dash(e.request_id), "</code></td></tr>");
  }
  absl::StrAppend(&out, "</tbody></table></div>");
  return out;
}

std::string FilesTable(const FilesVerification& v) {
  std::string out =
      "<div class=\"scroll\"><table class=\"sortable\" id=\"files\"><thead>"
      "<tr><th>Log</th><th>Replica</th><th class=\"num\">Lines</th>"
      "<th class=\"num\">Checkpoints</th><th>From</th><th>To</th>"
      "<th>Result</th></tr></thead><tbody>";
  for (const FileResult& f : v.files) {
    std::string result, cls = "ok";
    if (!f.read_status.ok()) {
      cls = "deny";
      result = absl::StrCat("unreadable: ", f.read_status.message());
    } else if (f.v.failure) {
      cls = "deny";
      result = absl::StrCat("line ", f.v.failure->line, ": ",
                            secretd::audit::FailureTitle(f.v.failure->kind));
    } else if (f.v.lines == 0) {
      cls = v.require_signed ? "deny" : "warn";
      result = "empty, no checkpoint";
    } else if (f.v.unsigned_records > 0) {
      cls = v.require_signed ? "deny" : "warn";
      result = absl::StrCat("intact, ", f.v.unsigned_records, " unsigned");
    } else if (f.v.last_checkpoint_reason != "shutdown") {
      // Signed up to a count or interval checkpoint, but not closed: the
      // broker runs, crashed, or the log was cut back (verify --require-signed
      // refuses it).
      cls = v.require_signed ? "deny" : "warn";
      result = absl::StrCat("intact, not closed: ends with a ",
                            f.v.last_checkpoint_reason, " checkpoint");
    } else {
      result = v.signatures_checked ? "intact, signed" : "intact";
    }
    absl::Time from, to;
    std::string from_s = "&ndash;", to_s = "&ndash;";
    if (secretd::audit::ParseFixedRecordTime(f.v.first_time, &from)) {
      from_s = TimeTag(f.v.first_time, from);
    }
    if (secretd::audit::ParseFixedRecordTime(f.v.last_time, &to)) {
      to_s = TimeTag(f.v.last_time, to);
    }
    absl::StrAppend(
        &out, "<tr><td><code>", HtmlEscape(f.path), "</code></td><td>",
        Dash(f.v.replica), "</td><td class=\"num\">", FormatCount(f.v.lines),
        "</td><td class=\"num\">", FormatCount(f.v.checkpoints), "</td><td>",
        from_s, "</td><td>", to_s, "</td><td><span class=\"pill ", cls,
        "\" title=\"", HtmlEscape(f.v.failure ? f.v.failure->message : ""),
        "\">", HtmlEscape(result), "</span></td></tr>");
  }
  absl::StrAppend(&out, "</tbody></table></div>");
  return out;
}

constexpr absl::string_view kStyle = R"css(
:root{--bg:#f6f7f9;--panel:#fff;--text:#1d2330;--muted:#667085;--line:#e4e7ec;
--allow:#2b8a3e;--allow-soft:#d3f9d8;--deny:#d6336c;--deny-soft:#ffe3ec;
--warn:#b7791f;--warn-soft:#fff3d6;--accent:#3b5bdb;--accent-soft:#dbe4ff}
@media (prefers-color-scheme:dark){:root{--bg:#111418;--panel:#1a1f26;
--text:#e6e8eb;--muted:#98a2b3;--line:#2c333d;--allow:#51cf66;
--allow-soft:#17351f;--deny:#f06595;--deny-soft:#3d1a27;--warn:#fcc419;
--warn-soft:#3a2f10;--accent:#748ffc;--accent-soft:#1f2747}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);
font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1180px;margin:0 auto;padding:28px 24px 48px}
header h1{font-size:26px;margin:0 0 4px;letter-spacing:-.01em}
header .meta{color:var(--muted);font-size:14px}
h2{font-size:17px;margin:0 0 12px}
section{margin-top:22px}
.panel{background:var(--panel);border:1px solid var(--line);border-radius:12px;
padding:18px 20px}
.banner{display:flex;gap:16px;align-items:flex-start;border-radius:12px;
padding:16px 20px;border:1px solid}
.banner h2{margin:0 0 4px;font-size:19px}.banner p{margin:4px 0}
.banner .icon{font-size:26px;line-height:1.1}
.banner.good{background:var(--allow-soft);border-color:var(--allow)}
.banner.good .icon,.banner.good h2{color:var(--allow)}
.banner.bad{background:var(--deny-soft);border-color:var(--deny)}
.banner.bad .icon,.banner.bad h2{color:var(--deny)}
.banner.warn{background:var(--warn-soft);border-color:var(--warn)}
.banner.warn .icon,.banner.warn h2{color:var(--warn)}
.banner .problem{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;
font-size:13px;word-break:break-word}
.banner .sub{color:var(--muted);font-size:14px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:12px}
.card{background:var(--panel);border:1px solid var(--line);border-radius:12px;padding:14px 16px}
.card .label{color:var(--muted);font-size:13px;text-transform:uppercase;letter-spacing:.04em}
.card .value{font-size:28px;font-weight:650;margin-top:2px;font-variant-numeric:tabular-nums}
.card .note{color:var(--muted);font-size:13px}
.card.allow .value{color:var(--allow)}.card.deny .value{color:var(--deny)}
.chart{width:100%;height:auto;display:block}
.chart .grid line{stroke:var(--line)}
.chart text{fill:var(--muted);font-size:12px}
.chart .ylabel{text-anchor:end}.chart .xlabel{text-anchor:middle}
.chart .xaxis line{stroke:var(--muted)}
.chart .bar-allow{fill:var(--allow)}.chart .bar-deny{fill:var(--deny)}
.chart .hit{fill:transparent}
.chart .bucket:hover .hit,.chart .bucket.active .hit{fill:var(--accent-soft)}
.caption{color:var(--muted);font-size:13px;margin:8px 0 0}
.key{display:inline-block;width:10px;height:10px;border-radius:2px;margin:0 5px 0 10px}
.key.allow{background:var(--allow)}.key.deny{background:var(--deny)}
.tip{position:fixed;pointer-events:none;background:var(--text);color:var(--bg);
font-size:13px;padding:6px 9px;border-radius:6px;display:none;z-index:5;white-space:nowrap}
.grid3{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:16px}
.ranked{list-style:none;margin:0;padding:0}
.ranked li{margin:0 0 12px}
.ranked .row{display:flex;gap:8px;align-items:baseline;font-size:14px}
.ranked .label{overflow:hidden;text-overflow:ellipsis;white-space:nowrap;min-width:0;
font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}
.ranked .note{color:var(--muted);font-size:12px;margin-top:2px}
.ranked .value{margin-left:auto;font-variant-numeric:tabular-nums;white-space:nowrap;color:var(--muted)}
.ranked .track{display:block;width:100%;height:8px;background:var(--line);border-radius:4px;margin-top:3px}
.ranked .fill{fill:var(--accent)}
.ranked.deny .fill{fill:var(--deny)}.ranked.allow .fill{fill:var(--allow)}
.more,.empty{color:var(--muted);font-size:14px;margin:6px 0 0}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{text-align:left;padding:7px 10px;border-bottom:1px solid var(--line);vertical-align:top}
th{color:var(--muted);font-weight:600;font-size:12px;text-transform:uppercase;
letter-spacing:.04em;white-space:nowrap}
table.sortable th{cursor:pointer;user-select:none}
table.sortable th[aria-sort=ascending]::after{content:" \25B2"}
table.sortable th[aria-sort=descending]::after{content:" \25BC"}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td time{white-space:nowrap}
td.msg{color:var(--muted);max-width:380px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.pill{display:inline-block;padding:1px 8px;border-radius:999px;font-size:12.5px;white-space:nowrap}
.pill.ok{background:var(--allow-soft);color:var(--allow)}
.pill.deny{background:var(--deny-soft);color:var(--deny)}
.pill.warn{background:var(--warn-soft);color:var(--warn)}
footer{color:var(--muted);font-size:13px;margin-top:28px}
@media print{body{background:#fff}.panel,.card{break-inside:avoid}}
)css";

constexpr absl::string_view kScript = R"js(
(function(){
  "use strict";
  // Local times as tooltips.
  document.querySelectorAll("time[datetime]").forEach(function(t){
    var d=new Date(t.getAttribute("datetime"));
    if(!isNaN(d)) t.title="your local time: "+d.toLocaleString();
  });
  // Chart tooltips.
  var tip=document.createElement("div");tip.className="tip";tip.id="tip";
  document.body.appendChild(tip);
  document.querySelectorAll("#timeline .bucket").forEach(function(g){
    var title=g.querySelector("title");var text=title?title.textContent:"";
    g.addEventListener("mousemove",function(ev){
      tip.textContent=text;tip.style.display="block";
      tip.style.left=(ev.clientX+14)+"px";tip.style.top=(ev.clientY+14)+"px";
      g.classList.add("active");
    });
    g.addEventListener("mouseleave",function(){
      tip.style.display="none";g.classList.remove("active");
    });
  });
  // Sortable tables.
  document.querySelectorAll("table.sortable").forEach(function(table){
    var ths=table.querySelectorAll("thead th");
    ths.forEach(function(th,col){
      th.addEventListener("click",function(){
        var asc=th.getAttribute("aria-sort")!=="ascending";
        ths.forEach(function(o){o.removeAttribute("aria-sort");});
        th.setAttribute("aria-sort",asc?"ascending":"descending");
        var body=table.tBodies[0];var rows=Array.prototype.slice.call(body.rows);
        rows.sort(function(a,b){
          var x=a.cells[col].textContent.trim(),y=b.cells[col].textContent.trim();
          var nx=parseFloat(x.replace(/,/g,"")),ny=parseFloat(y.replace(/,/g,""));
          var c=(!isNaN(nx)&&!isNaN(ny)&&/^[\d,.]+$/.test(x+y))?nx-ny:x.localeCompare(y);
          return asc?c:-c;
        });
        rows.forEach(function(r){body.appendChild(r);});
      });
    });
  });
  // The stylesheet applied (its CSP hash matched): the page has its colours.
  if(getComputedStyle(document.body).backgroundColor!=="rgba(0, 0, 0, 0)")
    document.body.setAttribute("data-styled","1");
  document.body.setAttribute("data-ready","1");
})();
)js";

// 'sha256-<base64>' of an inline <style> or <script> body, for the CSP.
std::string CspHash(absl::string_view body) {
  const secretd::audit::Sha256 digest = secretd::audit::ComputeSha256(body);
  return absl::StrCat(
      "'sha256-",
      absl::Base64Escape(absl::string_view(
          reinterpret_cast<const char*>(digest.data()), digest.size())),
      "'");
}

}  // namespace

std::string ContentSecurityPolicy() {
  return absl::StrCat("default-src 'none'; style-src ", CspHash(kStyle),
                      "; script-src ", CspHash(kScript),
                      "; img-src data:; base-uri 'none'; form-action 'none'");
}

absl::Status WriteReportFile(const std::string& path, absl::string_view html) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "."
                          : slash == 0               ? "/"
                                                     : path.substr(0, slash);
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  if (base.size() > 200) base.resize(200);  // room for ".XXXXXX" in NAME_MAX
  std::string tmp = absl::StrCat(dir, "/.", base, ".XXXXXX");
  auto failed = [&](absl::string_view what, int err) {
    return absl::UnavailableError(absl::StrCat(
        "cannot write \"", path, "\": ", what, ": ", strerror(err)));
  };
  const int fd = mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0) return failed("cannot create a temporary file beside it", errno);
  auto abandon = [&](absl::string_view what) {
    const int err = errno;
    close(fd);
    unlink(tmp.c_str());
    return failed(what, err);
  };
  if (fchmod(fd, 0600) != 0) return abandon("chmod");
  for (size_t done = 0; done < html.size();) {
    const ssize_t n = write(fd, html.data() + done, html.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return abandon("write");
    done += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) return abandon("fsync");
  if (close(fd) != 0) {
    const int err = errno;
    unlink(tmp.c_str());
    return failed("close", err);
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    unlink(tmp.c_str());
    return failed("rename", err);
  }
  // Make the rename durable too.
  const int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)fsync(dfd);
    close(dfd);
  }
  return absl::OkStatus();
}

std::string HtmlEscape(absl::string_view text) {
  // Controls, bidi overrides and invisible characters would garble or
  // disguise what the page shows: make them visible first.
  return absl::StrReplaceAll(common::TerminalSafe(text), {{"&", "&amp;"},
                                                          {"<", "&lt;"},
                                                          {">", "&gt;"},
                                                          {"\"", "&quot;"},
                                                          {"'", "&#39;"}});
}

std::string FormatCount(uint64_t n) {
  std::string digits = absl::StrCat(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

void ReportData::Add(const Event& e) {
  if ((e.kind() == EventKind::kProvision || e.kind() == EventKind::kAdmin) &&
      e.is_signed.has_value() && !*e.is_signed) {
    ++unsigned_events;
  }
  switch (e.kind()) {
    case EventKind::kProvision: {
      ++provision;
      first = std::min(first, e.time);
      last = std::max(last, e.time);
      Counts& c = per_minute[UnixMinute(e.time)];
      const uint64_t fp = Fingerprint(e.subject);
      if (!e.subject.empty()) instances.insert(fp);
      RoleStats* role = e.role.empty() ? nullptr : &roles[e.role];
      if (e.decision == "allow") {
        ++allowed;
        ++c.allowed;
        if (role != nullptr) {
          ++role->allowed;
          if (!e.subject.empty()) role->instances.insert(fp);
        }
        for (const SecretRef& r : e.released) {
          ++releases;
          SecretStats& s = secrets[r.name];
          ++s.releases;
          if (r.version.has_value()) s.versions.insert(*r.version);
          if (!e.subject.empty()) s.instances.insert(fp);
        }
      } else {
        ++denied;
        ++c.denied;
        if (role != nullptr) ++role->denied;
        ++deny_reasons[e.reason.empty() ? "(none)" : e.reason];
        recent_denials.push_back(e);
        recent_denials.back().raw.clear();
        if (recent_denials.size() > kRecentDenials) recent_denials.pop_front();
      }
      break;
    }
    case EventKind::kAdmin:
      ++admin;
      first = std::min(first, e.time);
      last = std::max(last, e.time);
      if (e.status != "OK") ++admin_failed;
      admin_events.push_back(e);
      admin_events.back().raw.clear();
      if (admin_events.size() > kAdminEvents) admin_events.pop_front();
      break;
    default:
      break;
  }
}

namespace {

bool NotACheckpoint(const EventHead& h) { return h.type != "checkpoint"; }

absl::StatusOr<ReportData> Collect(EventStream& stream) {
  ReportData d;
  stream.unreadable = [&d](const Unreadable&) { ++d.unreadable; };
  Event e;
  while (stream.Next(&e)) d.Add(e);
  if (!stream.status().ok()) return stream.status();
  return d;
}

}  // namespace

absl::StatusOr<ReportData> BuildReport(const std::vector<std::string>& files) {
  auto stream = EventStream::Open(files, NotACheckpoint);
  if (!stream.ok()) return stream.status();
  return Collect(**stream);
}

absl::StatusOr<ReportData> BuildReport(const FilesVerification& verified) {
  std::unique_ptr<EventStream> stream =
      EventStream::Read(verified.Sources(), NotACheckpoint);
  absl::StatusOr<ReportData> d = Collect(*stream);
  if (!d.ok()) return d.status();
  if (absl::Status s = verified.CheckUnchanged(); !s.ok()) return s;
  return d;
}

std::string RenderReportHtml(const ReportData& d, const FilesVerification& v,
                             const ReportMeta& meta) {
  std::string span = "no records";
  if (d.first <= d.last) {
    span = absl::StrCat(
        absl::FormatTime("%Y-%m-%d %H:%M", d.first, absl::UTCTimeZone()),
        " &rarr; ",
        absl::FormatTime("%Y-%m-%d %H:%M", d.last, absl::UTCTimeZone()),
        " UTC");
  }
  std::string html = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">",
      "<meta http-equiv=\"Content-Security-Policy\" content=\"",
      ContentSecurityPolicy(), "\">",
      "<meta name=\"generator\" content=\"secretctl audit report\">", "<title>",
      HtmlEscape(meta.title), "</title><style>", kStyle,
      "</style></head><body><main>");
  absl::StrAppend(&html, "<header><h1>", HtmlEscape(meta.title),
                  "</h1><div class=\"meta\">",
                  Plural(v.files.size(), "log", "logs"), " &middot; ", span,
                  " &middot; generated ",
                  absl::FormatTime("%Y-%m-%d %H:%M UTC", meta.generated_at,
                                   absl::UTCTimeZone()),
                  "</div></header>");
  absl::StrAppend(&html, Banner(v));

  // Totals.
  std::vector<Ranked> secret_items, role_items, reason_items;
  for (const auto& [name, s] : d.secrets) {
    secret_items.push_back(
        {name, s.releases,
         absl::StrCat(VersionsNote(s.versions), s.versions.empty() ? "" : " · ",
                      Plural(s.instances.size(), "instance", "instances"))});
  }
  for (const auto& [name, r] : d.roles) {
    role_items.push_back({name, r.instances.size(),
                          absl::StrCat(FormatCount(r.allowed), " allowed, ",
                                       FormatCount(r.denied), " denied")});
  }
  for (const auto& [reason, n] : d.deny_reasons) {
    reason_items.push_back({reason, n, Pct(n, d.denied) + " of denials"});
  }
  absl::StrAppend(
      &html, "<section class=\"cards\" id=\"totals\">",
      Card("total-requests", "Requests", FormatCount(d.provision),
           absl::StrCat("provision requests")),
      Card("total-allowed", "Allowed", FormatCount(d.allowed),
           Pct(d.allowed, d.provision), "allow"),
      Card("total-denied", "Denied", FormatCount(d.denied),
           Pct(d.denied, d.provision), "deny"),
      Card("total-instances", "Instances", FormatCount(d.instances.size()),
           "distinct subjects"),
      Card("total-releases", "Secrets released", FormatCount(d.releases),
           Plural(d.secrets.size(), "distinct secret", "distinct secrets")),
      Card("total-admin", "Admin changes", FormatCount(d.admin),
           d.admin_failed == 0
               ? std::string("all succeeded")
               : absl::StrCat(FormatCount(d.admin_failed), " refused")),
      "</section>");
  absl::StrAppend(&html,
                  "<section class=\"panel\" id=\"over-time\"><h2>Requests "
                  "over time</h2>",
                  Chart(d), "</section>");
  absl::StrAppend(
      &html,
      "<section class=\"grid3\"><div class=\"panel\"><h2>Top denial "
      "reasons</h2>",
      RankedBars("deny-reasons", reason_items, "", "No denied requests.",
                 "deny"),
      "</div><div class=\"panel\"><h2>Secrets by releases</h2>",
      RankedBars("secrets", secret_items, "", "No secret was released.",
                 "allow"),
      "</div><div class=\"panel\"><h2>Roles by instances</h2>",
      RankedBars("roles", role_items, "", "No requests named a role.", ""),
      "</div></section>");
  absl::StrAppend(&html,
                  "<section class=\"panel\"><h2>Most recent denials</h2>",
                  DenialsTable(d), "</section>");
  absl::StrAppend(&html, "<section class=\"panel\"><h2>Admin changes</h2>",
                  AdminTable(d), "</section>");
  absl::StrAppend(&html, "<section class=\"panel\"><h2>Logs</h2>",
                  FilesTable(v));
  if (d.unreadable > 0) {
    absl::StrAppend(&html, "<p class=\"more\">",
                    Plural(d.unreadable, "line was", "lines were"),
                    " skipped as unreadable.</p>");
  }
  absl::StrAppend(
      &html,
      "</section><footer>Generated by <code>secretctl audit "
      "report</code>. This page is self-contained: it loads nothing from the "
      "network.</footer></main><script>",
      kScript, "</script></body></html>\n");
  return html;
}

}  // namespace secretctl
