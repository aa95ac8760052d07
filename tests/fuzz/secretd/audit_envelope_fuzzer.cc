// Properties of the verifier's fast scanners (secretd/audit/envelope.h):
// 1. Whatever ScanEnvelope accepts is exactly the fixed envelope rebuilt
//    from the fields it returned, followed by `rest`; likewise a checkpoint
//    ScanCheckpoint accepts rebuilds byte for byte from its fields.
// 2. A line the writer produces (SerializeLine) is accepted, with the
//    request id and type it was given, exactly when the request id is
//    printable ASCII without '"' or '\\'; otherwise it is refused as having
//    no valid request_id (nothing else about the line is wrong).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "secretd/audit/envelope.h"
#include "secretd/audit/record.h"

namespace {

using secretd::audit::Envelope;

void CheckArbitraryLine(absl::string_view line) {
  auto e = secretd::audit::ScanEnvelope(line);
  if (!e.ok()) return;
  const std::string rebuilt =
      absl::StrCat("{\"seq\":", e->seq, ",\"time\":\"", e->time,
                   "\",\"replica\":\"", e->replica, "\",\"type\":\"", e->type,
                   "\",\"request_id\":\"", e->request_id, "\"", e->rest);
  if (rebuilt != line || e->seq == 0 || e->rest.empty() || e->rest[0] != ',') {
    std::abort();
  }
  absl::Time t;
  if (!secretd::audit::ParseFixedRecordTime(e->time, &t)) std::abort();
  // Four-digit years format back to the same text.
  if (e->time[0] != '0' && secretd::audit::FormatRecordTime(t) != e->time) {
    std::abort();
  }
  auto f = secretd::audit::SplitLine(line);
  if (!f.ok()) return;
  auto cp = secretd::audit::ScanCheckpoint(*e, *f);
  if (!cp.ok()) return;
  const std::string cp_rebuilt = absl::StrCat(
      ",\"records\":", cp->records, ",\"reason\":\"", cp->reason,
      "\",\"key_id\":\"", cp->key_id, "\",\"signature\":\"", cp->signature,
      "\",\"prev\":\"", secretd::audit::HexSha256(f->prev), "\"");
  const size_t rest_at = static_cast<size_t>(e->rest.data() - line.data());
  if (f->body_prefix.size() < rest_at ||
      line.substr(rest_at, f->body_prefix.size() - rest_at) != cp_rebuilt) {
    std::abort();
  }
}

void CheckWriterLine(absl::string_view request_id, uint8_t selector) {
  secretd::audit::Record r;
  r.type = (selector & 1) ? "provision" : "admin.secret.put";
  r.request_id = std::string(request_id);
  r.fields["message"] = std::string(request_id);
  std::string line = secretd::audit::SerializeLine(
      r, 1 + selector, absl::FromUnixMillis(1764135705123ll + selector),
      "host-a", secretd::audit::GenesisPrev());
  line.pop_back();
  bool printable = true;
  for (char c : request_id) {
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') printable = false;
  }
  auto e = secretd::audit::ScanEnvelope(line);
  if (!printable) {
    if (e.ok() ||
        !absl::StrContains(e.status().message(), "no valid \"request_id\"")) {
      std::abort();
    }
    return;
  }
  if (!e.ok() || e->type != r.type || e->seq != 1u + selector ||
      e->replica != "host-a" || e->request_id != request_id) {
    std::abort();
  }
  const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || j["request_id"] != std::string(request_id)) {
    std::abort();
  }
  if (!secretd::audit::SplitLine(line).ok()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view input(reinterpret_cast<const char*>(data), size);
  CheckArbitraryLine(input);
  if (size > 0) CheckWriterLine(input.substr(1), data[0]);
  return 0;
}
