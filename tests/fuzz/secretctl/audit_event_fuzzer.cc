// Property of secretctl's audit event reader (secretctl/audit/events.h): an
// event ParseEvent accepts says what a JSON reading of the same line says
// (envelope and members), and what the verifier's envelope scan saw, so a
// query can never show a record differently from how it was verified (the
// request id, free of escapes, reads the same both ways).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "nlohmann/json.hpp"
#include "secretctl/audit/events.h"
#include "secretd/audit/envelope.h"

namespace {

std::string Str(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view line(reinterpret_cast<const char*>(data), size);
  auto e = secretctl::ParseEvent(line);
  if (!e.ok()) return 0;
  const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) std::abort();
  auto env = secretd::audit::ScanEnvelope(line);
  if (!env.ok()) std::abort();
  if (e->seq != env->seq || e->replica != env->replica ||
      e->type != env->type || e->time_text != env->time ||
      e->request_id != env->request_id) {
    std::abort();
  }
  // No duplicate members, so the JSON reading agrees everywhere.
  if (!j["seq"].is_number_unsigned() || j["seq"].get<uint64_t>() != e->seq ||
      Str(j, "time") != e->time_text || Str(j, "replica") != e->replica ||
      Str(j, "type") != e->type || Str(j, "request_id") != e->request_id ||
      Str(j, "decision") != e->decision || Str(j, "subject") != e->subject ||
      Str(j, "role") != e->role || Str(j, "reason") != e->reason) {
    std::abort();
  }
  auto head = secretctl::ParseEventHead(line);
  if (!head.ok() || head->time != e->time || head->type != e->type) {
    std::abort();
  }
  return 0;
}
