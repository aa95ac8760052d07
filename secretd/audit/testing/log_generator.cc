#include "secretd/audit/testing/log_generator.h"

#include <cstdio>
#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace secretd::audit::testing {
namespace {

nlohmann::ordered_json SecretRefs(
    const std::vector<std::pair<std::string, std::optional<int64_t>>>& refs) {
  nlohmann::ordered_json a = nlohmann::ordered_json::array();
  for (const auto& [name, version] : refs) {
    nlohmann::ordered_json o = nlohmann::ordered_json::object();
    o["name"] = name;
    if (version.has_value()) {
      o["version"] = *version;
    } else {
      o["version"] = nullptr;
    }
    a.push_back(std::move(o));
  }
  return a;
}

// splitmix64: deterministic and fast.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t Below(uint64_t n) { return Next() % n; }
  std::string Hex(size_t digits) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string s(digits, '0');
    for (size_t i = 0; i < digits; i += 16) {
      uint64_t v = Next();
      for (size_t j = i; j < digits && j < i + 16; ++j, v >>= 4) {
        s[j] = kHex[v & 0xF];
      }
    }
    return s;
  }

 private:
  uint64_t s_;
};

struct RoleSpec {
  const char* role;
  std::vector<const char*> secrets;
};

const std::vector<RoleSpec>& Roles() {
  static const auto* roles = new std::vector<RoleSpec>{
      {"web", {"app/db/password", "app/tls/cert", "app/tls/key"}},
      {"worker", {"app/db/password", "queue/token"}},
      {"batch", {"warehouse/credentials"}},
      {"metrics", {"metrics/push-token"}},
      {"db-migrate", {"app/db/admin-password"}},
  };
  return *roles;
}

const std::vector<std::pair<const char*, const char*>>& DenyReasons() {
  static const auto* reasons =
      new std::vector<std::pair<const char*, const char*>>{
          {"token.expired", "UNAUTHENTICATED"},
          {"token.replayed", "UNAUTHENTICATED"},
          {"token.nonce_expired", "UNAUTHENTICATED"},
          {"trust.implicit_deny", "PERMISSION_DENIED"},
          {"permission.implicit_deny", "PERMISSION_DENIED"},
          {"permission.explicit_deny", "PERMISSION_DENIED"},
          {"token.bad_signature", "UNAUTHENTICATED"},
      };
  return *reasons;
}

Record RandomRecord(Rng& rng, uint64_t n) {
  if (n % 5000 == 4999) {
    nlohmann::ordered_json o = nlohmann::ordered_json::object();
    o["secret"] = "app/db/password";
    o["version"] = static_cast<int64_t>(n / 5000 + 1);
    return MakeAdminRecord("admin.secret.put", rng.Hex(16), std::move(o));
  }
  const RoleSpec& role = Roles()[rng.Below(Roles().size())];
  ProvisionSpec p;
  p.request_id = rng.Hex(16);
  p.subject = absl::StrCat("i-", rng.Hex(17));
  p.role = role.role;
  p.source_ip = absl::StrCat("10.0.", rng.Below(256), ".", rng.Below(256));
  for (const char* s : role.secrets) p.requested.emplace_back(s, std::nullopt);
  if (rng.Below(8) == 0) {
    const auto& [reason, status] =
        DenyReasons()[rng.Below(DenyReasons().size())];
    p.decision = "deny";
    p.reason = reason;
    p.status = status;
    p.message = absl::StrCat("request denied: ", reason);
    if (absl::string_view(reason).substr(0, 10) == "permission") {
      p.denied.push_back(role.secrets.front());
    }
  } else {
    for (const char* s : role.secrets) {
      p.released.emplace_back(s, static_cast<int64_t>(3 + rng.Below(5)));
    }
  }
  return MakeProvisionRecord(p);
}

}  // namespace

Record MakeProvisionRecord(const ProvisionSpec& spec) {
  Record r;
  r.type = "provision";
  r.request_id = spec.request_id;
  auto& f = r.fields;
  f["decision"] = spec.decision;
  f["reason"] = spec.reason;
  f["status"] = spec.status;
  f["message"] = spec.message;
  f["subject"] = spec.subject;
  f["issuer"] = spec.issuer;
  f["role"] = spec.role;
  f["token_jti"] = spec.subject.empty() ? "" : "jti-" + spec.request_id;
  f["token_sha256"] = HexSha256(ComputeSha256("token:" + spec.request_id));
  f["recipient_key_sha256"] =
      HexSha256(ComputeSha256("cnf:" + spec.request_id));
  f["source_ip"] = spec.source_ip;
  f["requested"] = SecretRefs(spec.requested);
  std::vector<std::pair<std::string, std::optional<int64_t>>> released;
  for (const auto& [name, version] : spec.released) {
    released.emplace_back(name, version);
  }
  f["released"] = SecretRefs(released);
  f["denied"] = spec.denied;
  nlohmann::ordered_json statements = nlohmann::ordered_json::array();
  if (!spec.role.empty()) {
    statements.push_back({{"policy", "trust"},
                          {"sid", "AllowAttested"},
                          {"index", 0},
                          {"effect", "Allow"},
                          {"resource", "role/" + spec.role}});
  }
  f["statements"] = std::move(statements);
  f["expires_at"] = spec.expires_at;
  return r;
}

Record MakeAdminRecord(absl::string_view type, absl::string_view request_id,
                       nlohmann::ordered_json object_members) {
  Record r;
  r.type = std::string(type);
  r.request_id = std::string(request_id);
  r.fields["status"] = "OK";
  r.fields["message"] = "done";
  r.fields["peer_uid"] = 0;
  r.fields["peer_pid"] = 4242;
  for (auto& [k, v] : object_members.items()) r.fields[k] = v;
  return r;
}

absl::StatusOr<GeneratedLog> GenerateLog(const GenerateLogOptions& options,
                                         const CheckpointSigner& signer) {
  struct Closer {
    void operator()(FILE* f) const { fclose(f); }
  };
  std::unique_ptr<FILE, Closer> out(fopen(options.path.c_str(), "wb"));
  if (out == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot create \"", options.path, "\""));
  }
  Rng rng(options.seed);
  GeneratedLog g;
  Sha256 prev = GenesisPrev();
  absl::Time t = options.start;
  uint64_t since_checkpoint = 0;
  auto emit = [&](const Record& r) -> absl::Status {
    std::string line = SerializeLine(r, g.lines + 1, t, options.replica, prev);
    prev = ComputeSha256(absl::string_view(line.data(), line.size() - 1));
    if (fwrite(line.data(), 1, line.size(), out.get()) != line.size()) {
      return absl::UnavailableError(
          absl::StrCat("writing \"", options.path, "\" failed"));
    }
    ++g.lines;
    g.bytes += line.size();
    return absl::OkStatus();
  };
  auto checkpoint = [&](absl::string_view reason) -> absl::Status {
    const std::string time_text = FormatRecordTime(t);
    auto sig = signer.Sign(CheckpointMessage(
        options.replica, g.lines + 1,
        CheckpointClaims{time_text, since_checkpoint, reason}, prev));
    if (!sig.ok()) return sig.status();
    Record cp =
        MakeCheckpointRecord(since_checkpoint, reason, signer.KeyId(), *sig);
    since_checkpoint = 0;
    ++g.checkpoints;
    return emit(cp);
  };
  while (g.bytes < options.target_bytes) {
    absl::Status s = emit(RandomRecord(rng, g.records));
    if (!s.ok()) return s;
    ++g.records;
    ++since_checkpoint;
    t += options.step;
    if (options.checkpoint_every > 0 &&
        since_checkpoint >= options.checkpoint_every) {
      if (s = checkpoint("count"); !s.ok()) return s;
    }
  }
  if (options.final_checkpoint && since_checkpoint > 0) {
    if (absl::Status s = checkpoint("shutdown"); !s.ok()) return s;
  }
  if (fflush(out.get()) != 0) {
    return absl::UnavailableError(
        absl::StrCat("writing \"", options.path, "\" failed"));
  }
  return g;
}

}  // namespace secretd::audit::testing
