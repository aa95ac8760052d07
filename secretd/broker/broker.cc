#include "secretd/broker/broker.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/logging.h"
#include "keys/encoding.h"
#include "keys/envelope.h"
#include "keys/jws.h"
#include "keys/secret_bytes.h"
#include "keys/token_reason.h"
#include "keys/token_verifier.h"
#include "keys/x25519.h"
#include "nlohmann/json.hpp"
#include "policy/context.h"
#include "policy/policy_set.h"
#include "policy/role.h"
#include "secretd/broker/bundle.h"
#include "secretd/names/secret_name.h"

namespace secretd {

using Json = nlohmann::ordered_json;

namespace {

// Untrusted strings copied into audit records are cut to this many bytes
// (a valid role or secret name is at most 256).
constexpr size_t kMaxEchoedBytes = 512;

std::string Clip(absl::string_view s) {
  if (s.size() <= kMaxEchoedBytes) return std::string(s);
  return absl::StrCat(s.substr(0, kMaxEchoedBytes), "...");
}

std::string Quote(absl::string_view s) { return absl::StrCat("\"", s, "\""); }

// `secret "a"` or `secrets "a", "b"`.
std::string SecretList(const std::vector<std::string>& names) {
  std::vector<std::string> quoted;
  quoted.reserve(names.size());
  for (const std::string& n : names) quoted.push_back(Quote(n));
  return absl::StrCat(names.size() == 1 ? "secret " : "secrets ",
                      absl::StrJoin(quoted, ", "));
}

Json StatementJson(const policy::Decision& decision,
                   absl::string_view resource) {
  Json s = Json::object();
  s["policy"] = std::string(decision.statement->policy);
  if (decision.statement->sid.has_value()) {
    s["sid"] = std::string(*decision.statement->sid);
  } else {
    s["sid"] = nullptr;
  }
  s["index"] = decision.statement->index;
  s["effect"] = decision.allowed() ? "Allow" : "Deny";
  s["resource"] = std::string(resource);
  return s;
}

Json RefJson(absl::string_view name, std::optional<int64_t> version) {
  Json r = Json::object();
  r["name"] = std::string(name);
  if (version.has_value()) {
    r["version"] = *version;
  } else {
    r["version"] = nullptr;
  }
  return r;
}

}  // namespace

absl::Status ValidateBrokerOptions(const BrokerOptions& options) {
  if (options.audience.empty()) {
    return absl::InvalidArgumentError(
        "the broker needs an audience (--audience): the value tokens must "
        "name in \"aud\"");
  }
  if (options.max_token_bytes == 0 ||
      options.max_token_bytes > keys::kMaxTokenBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("the token size limit must be 1 to ", keys::kMaxTokenBytes,
                     " bytes, got ", options.max_token_bytes));
  }
  if (options.max_secrets == 0) {
    return absl::InvalidArgumentError(
        "the limit of secrets per request must be at least 1");
  }
  if (options.leeway < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("the leeway must not be negative");
  }
  return absl::OkStatus();
}

// Everything the audit record and the answer need, filled in as the steps
// run.
struct Broker::Attempt {
  std::string request_id;
  absl::Time now;
  std::string decision = "deny";
  std::string reason;
  absl::StatusCode code = absl::StatusCode::kOk;
  std::string audit_message;   // precise: for the audit log and the log
  std::string client_message;  // generic: for the caller
  std::string subject, issuer, role, jti, token_sha256_hex,
      recipient_key_sha256_hex, source_ip;
  // Hashed into token_sha256_hex by Finish unless a step already did (the
  // verifier hashes the token too: no need to do it twice).
  absl::string_view token;
  size_t secrets_requested = 0;
  Json requested = Json::array();
  Json released = Json::array();
  Json denied = Json::array();
  Json statements = Json::array();
  std::optional<int64_t> expires_at;

  void Fail(absl::StatusCode c, absl::string_view why, std::string precise,
            absl::string_view generic) {
    code = c;
    reason = std::string(why);
    audit_message = std::move(precise);
    client_message = absl::StrCat(generic, " (request ", request_id, ")");
  }
  void Unauthenticated(absl::string_view why, std::string precise) {
    code = absl::StatusCode::kUnauthenticated;
    reason = std::string(why);
    audit_message = std::move(precise);
    client_message =
        absl::StrCat("attestation token rejected (request ", request_id,
                     "); an operator can find the reason in the audit log");
  }
  void Unavailable(absl::string_view why, std::string precise) {
    code = absl::StatusCode::kUnavailable;
    reason = std::string(why);
    audit_message = std::move(precise);
    client_message =
        absl::StrCat("secretd cannot serve this request now (request ",
                     request_id, "); retry later");
  }
};

Broker::Broker(BrokerOptions options, const StateCache& state,
               BrokerKeySource& keys, Store& store, audit::AuditSink& audit,
               const common::Clock& clock, keys::RandomSource& random)
    : options_(std::move(options)),
      state_(state),
      keys_(keys),
      store_(store),
      audit_(audit),
      clock_(clock),
      random_(random),
      release_key_id_(keys.release_signer().key_id()) {}

std::string Broker::NewRequestId() const {
  return keys::HexEncode(keys::RandomBytes(random_, 8));
}

secretd::v1::GetChallengeResponse Broker::GetChallenge() const {
  const keys::Challenge challenge =
      keys_.Current()->challenge.Issue(clock_, random_);
  secretd::v1::GetChallengeResponse response;
  response.set_challenge(challenge.value);
  response.set_expires_at(absl::ToUnixSeconds(challenge.expires_at));
  response.set_audience(options_.audience);
  return response;
}

ProvisionOutcome Broker::RejectOverLimit(
    const secretd::v1::ProvisionRequest& request, const CallerInfo& caller,
    absl::string_view why, bool audit) {
  Attempt a;
  a.request_id = NewRequestId();
  a.now = clock_.Now();
  a.source_ip = caller.source_ip;
  a.role = Clip(request.role());
  a.token_sha256_hex = keys::Sha256Hex(request.attestation_token());
  a.secrets_requested = request.secrets_size();
  a.Fail(absl::StatusCode::kResourceExhausted, "request.over_limit",
         absl::StrCat("refused without processing: ", why),
         "request over limit: the broker is busy; retry later");
  if (!audit) {
    common::log::Warning("provision refused without an audit record",
                         {{"request_id", a.request_id},
                          {"reason", a.reason},
                          {"message", a.audit_message},
                          {"source_ip", a.source_ip}});
    ProvisionOutcome out;
    out.status = absl::Status(a.code, a.client_message);
    out.request_id = a.request_id;
    out.decision = a.decision;
    out.reason = a.reason;
    return out;
  }
  return Finish(a, nullptr);
}

ProvisionOutcome Broker::Provision(const secretd::v1::ProvisionRequest& request,
                                   const CallerInfo& caller) {
  Attempt a;
  a.request_id = NewRequestId();
  a.now = clock_.Now();
  a.source_ip = caller.source_ip;
  a.role = Clip(request.role());
  const std::string& token = request.attestation_token();
  a.token = token;
  a.secrets_requested = request.secrets_size();

  // 1. Limits.
  if (token.size() > options_.max_token_bytes) {
    a.Fail(absl::StatusCode::kResourceExhausted, "request.token_too_large",
           absl::StrCat("the token has ", token.size(), " bytes; the limit is ",
                        options_.max_token_bytes),
           absl::StrCat("request over limit: the token has ", token.size(),
                        " bytes, at most ", options_.max_token_bytes,
                        " are accepted"));
    return Finish(a, nullptr);
  }
  if (static_cast<size_t>(request.secrets_size()) > options_.max_secrets) {
    std::string precise = absl::StrCat(request.secrets_size(),
                                       " secrets requested; the limit is ",
                                       options_.max_secrets, " per request");
    a.Fail(absl::StatusCode::kResourceExhausted, "request.too_many_secrets",
           precise, absl::StrCat("request over limit: ", precise));
    return Finish(a, nullptr);
  }

  // 2. Form. Every name is listed in `requested`, parsed or not.
  std::vector<SecretRef> refs;
  refs.reserve(request.secrets_size());
  std::string form_error;
  std::string form_reason;
  absl::flat_hash_set<absl::string_view> seen;
  for (int i = 0; i < request.secrets_size(); ++i) {
    absl::StatusOr<SecretRef> ref = ParseSecretRef(request.secrets(i));
    if (!ref.ok()) {
      a.requested.push_back(RefJson(Clip(request.secrets(i)), std::nullopt));
      if (form_error.empty()) {
        form_reason = "request.invalid_secret_name";
        form_error = absl::StrCat("secrets[", i, "]: ", ref.status().message());
      }
      continue;
    }
    a.requested.push_back(RefJson(ref->name, ref->version));
    refs.push_back(*std::move(ref));
  }
  for (size_t i = 0; form_error.empty() && i < refs.size(); ++i) {
    if (!seen.insert(refs[i].name).second) {
      form_reason = "request.duplicate_secret";
      form_error = absl::StrCat("secret ", Quote(refs[i].name),
                                " is named twice; name each secret once");
    }
  }
  if (token.empty()) {
    form_reason = "request.token_missing";
    form_error = "attestation_token is empty";
  } else if (absl::Status s = policy::ValidateRoleName(request.role());
             !s.ok()) {
    form_reason = "request.invalid_role";
    form_error =
        request.role().empty()
            ? std::string("role is empty")
            : absl::StrCat("role ", keys::QuoteForMessage(request.role()),
                           " is not a valid role name");
  } else if (request.secrets_size() == 0) {
    form_reason = "request.no_secrets";
    form_error = "no secret requested; name at least one";
  }
  if (!form_error.empty()) {
    a.Fail(absl::StatusCode::kInvalidArgument, form_reason, form_error,
           absl::StrCat("invalid request: ", form_error));
    return Finish(a, nullptr);
  }

  // One snapshot of the state and the keys for the whole request.
  const std::shared_ptr<const BrokerState> state = state_.Current();
  std::shared_ptr<const KeySet> key_set = keys_.Current();
  const policy::CompiledRole* role = state->FindRole(request.role());

  // 3. The token.
  keys::TokenVerifier verifier(
      [&state](absl::string_view issuer) {
        return state->FindTrustBundle(issuer);
      },
      clock_);
  keys::TokenVerifierOptions verify_options;
  verify_options.audience = options_.audience;
  verify_options.leeway = options_.leeway;
  verify_options.max_lifetime = role != nullptr
                                    ? role->max_token_lifetime()
                                    : policy::kDefaultMaxTokenLifetime;
  verify_options.nonce_check = [&](absl::string_view nonce) {
    return key_set->challenge.Check(nonce, clock_);
  };
  absl::StatusOr<keys::VerifiedClaims> claims =
      verifier.Verify(token, verify_options);
  if (!claims.ok()) {
    std::optional<keys::TokenReason> why =
        keys::GetTokenReason(claims.status());
    if (!why.has_value()) {
      a.Unavailable("internal", absl::StrCat("token verifier failed: ",
                                             claims.status().message()));
    } else {
      a.Unauthenticated(absl::StrCat("token.", keys::TokenReasonName(*why)),
                        std::string(claims.status().message()));
    }
    return Finish(a, nullptr);
  }
  a.token_sha256_hex = keys::HexEncode(claims->token_sha256());
  a.subject = claims->subject();
  a.issuer = claims->issuer();
  a.jti = claims->jti();
  a.recipient_key_sha256_hex = keys::Sha256Hex(claims->cnf_x25519());
  // The claims become the policy context. Claims that would alias one
  // another there (names equal but for case, a claim "tags/x" beside tag
  // "x") make the token unusable: evaluating without them could fail a Deny
  // statement open.
  policy::Context context;
  if (absl::Status s = policy::AddClaims(claims->claims(), &context); !s.ok()) {
    a.Unauthenticated(
        "token.claim_invalid",
        absl::StrCat("token rejected: claims check failed: ", s.message()));
    return Finish(a, nullptr);
  }

  // 4. The role.
  const std::string role_denied_message =
      absl::StrCat("permission denied: this token may not assume role ",
                   Quote(request.role()));
  if (role == nullptr) {
    auto broken = state->broken_roles.find(request.role());
    a.Fail(
        absl::StatusCode::kPermissionDenied, "role.not_found",
        broken == state->broken_roles.end()
            ? absl::StrCat("role ", Quote(request.role()), " does not exist")
            : absl::StrCat("role ", Quote(request.role()),
                           " is stored but does not compile: ", broken->second),
        role_denied_message);
    return Finish(a, nullptr);
  }

  // 5. The trust policy.
  policy::AddRequestTime(a.now, &context);
  if (!caller.source_ip.empty()) {
    context.AddString(policy::kSourceIpKey, caller.source_ip);
  }
  context.AddInt(
      policy::kTokenAgeKey,
      std::max<int64_t>(0, absl::ToInt64Seconds(a.now - claims->issued_at())));
  context.AddString(policy::kRoleKey, role->name());
  context.AddString(policy::kIssuerKey, claims->issuer());

  const std::string role_resource = absl::StrCat("role/", role->name());
  const policy::Decision trust =
      role->EvaluateAssumeRole(claims->issuer(), context);
  if (trust.statement.has_value()) {
    a.statements.push_back(StatementJson(trust, role_resource));
  }
  if (!trust.allowed()) {
    a.Fail(absl::StatusCode::kPermissionDenied,
           trust.effect == policy::DecisionEffect::kExplicitDeny
               ? "trust.explicit_deny"
               : "trust.implicit_deny",
           absl::StrCat("the trust policy of role ", Quote(role->name()),
                        " denies subject ", Quote(claims->subject()),
                        " of issuer ", Quote(claims->issuer()), ": ",
                        policy::DescribeDecision(trust)),
           role_denied_message);
    return Finish(a, nullptr);
  }

  // 6. Permissions, then the rows of every permitted secret.
  std::vector<std::string> denied_names;
  std::vector<std::string> denial_notes;
  bool explicit_deny = false, implicit_deny = false;
  std::vector<bool> permitted(refs.size(), false);
  for (size_t i = 0; i < refs.size(); ++i) {
    const std::string resource = absl::StrCat("secret/", refs[i].name);
    const policy::Decision d = role->EvaluateGetSecret(refs[i].name, context);
    if (d.statement.has_value()) {
      a.statements.push_back(StatementJson(d, resource));
    }
    if (d.allowed()) {
      permitted[i] = true;
      continue;
    }
    (d.effect == policy::DecisionEffect::kExplicitDeny ? explicit_deny
                                                       : implicit_deny) = true;
    denied_names.push_back(refs[i].name);
    denial_notes.push_back(
        absl::StrCat(Quote(refs[i].name), ": ", policy::DescribeDecision(d)));
  }
  std::vector<SecretVersionRecord> rows;
  rows.reserve(refs.size());
  for (size_t i = 0; i < refs.size(); ++i) {
    if (!permitted[i]) continue;
    absl::StatusOr<SecretVersionRecord> row =
        store_.GetSecretVersion(refs[i].name, refs[i].version);
    if (row.ok()) {
      rows.push_back(*std::move(row));
      continue;
    }
    if (row.status().code() == absl::StatusCode::kNotFound) {
      denied_names.push_back(refs[i].name);
      denial_notes.push_back(
          absl::StrCat(Quote(FormatSecretRef(refs[i])),
                       ": does not exist (or that version is disabled)"));
      continue;
    }
    a.Unavailable("store.unavailable",
                  absl::StrCat("reading secret ", Quote(refs[i].name),
                               " failed: ", row.status().ToString()));
    return Finish(a, nullptr);
  }
  if (!denied_names.empty()) {
    for (const std::string& n : denied_names) a.denied.push_back(n);
    a.Fail(absl::StatusCode::kPermissionDenied,
           explicit_deny   ? "permission.explicit_deny"
           : implicit_deny ? "permission.implicit_deny"
                           : "secret.not_found",
           absl::StrCat("role ", Quote(role->name()), " may not read ",
                        absl::StrJoin(denial_notes, "; ")),
           absl::StrCat("permission denied: role ", Quote(role->name()),
                        " may not read ", SecretList(denied_names)));
    return Finish(a, nullptr);
  }

  // 7. Decrypt. A row under a KEK this broker lacks (another replica rotated
  // it) reloads the keyring once.
  std::vector<BundleSecret> secrets;
  secrets.reserve(rows.size());
  bool reloaded = false;
  for (const SecretVersionRecord& row : rows) {
    const keys::Kek* kek = key_set->ring.Find(row.fields.kek_id);
    if (kek == nullptr && !reloaded) {
      reloaded = true;
      absl::Status s = keys_.Reload();
      common::log::Warning(
          "a secret is wrapped by a KEK this broker does not hold; keyring "
          "reloaded",
          {{"request_id", a.request_id},
           {"kek_id", row.fields.kek_id},
           {"reload", s}});
      key_set = keys_.Current();
      kek = key_set->ring.Find(row.fields.kek_id);
    }
    if (kek == nullptr) {
      a.Unavailable(
          "secret.decrypt_failed",
          absl::StrCat("secret ", Quote(row.name), " version ", row.version,
                       " is wrapped by KEK ", row.fields.kek_id,
                       ", which this broker does not hold (current KEK ",
                       key_set->current.id(),
                       "); install that KEK or finish the KEK rotation"));
      return Finish(a, nullptr);
    }
    absl::StatusOr<keys::SecretBytes> value = keys::DecryptSecret(
        *kek, row.name, row.version,
        keys::EncryptedSecret{row.fields.kek_id, row.fields.wrapped_data_key,
                              row.fields.ciphertext});
    if (!value.ok()) {
      a.Unavailable(
          "secret.decrypt_failed",
          absl::StrCat("secret ", Quote(row.name), " version ", row.version,
                       " does not decrypt: ", value.status().message()));
      return Finish(a, nullptr);
    }
    secrets.push_back(BundleSecret{row.name, row.version, *std::move(value)});
  }

  // 8. Single-use tokens.
  if (role->single_use_tokens()) {
    absl::Status used =
        store_.RecordTokenUse(claims->issuer(), claims->jti(),
                              claims->expires_at() + options_.leeway);
    if (used.code() == absl::StatusCode::kAlreadyExists) {
      a.Unauthenticated(
          "token.replayed",
          absl::StrCat("token rejected: jti ", keys::QuoteForMessage(a.jti),
                       " of issuer ", keys::QuoteForMessage(a.issuer),
                       " was already used and role ", Quote(role->name()),
                       " accepts each token once"));
      return Finish(a, nullptr);
    }
    if (!used.ok()) {
      a.Unavailable(
          "store.unavailable",
          absl::StrCat("recording the token use failed: ", used.ToString()));
      return Finish(a, nullptr);
    }
  }

  // 9. Build, seal and sign the bundle. The plaintext exists only in
  // SecretBytes (guarded, wiped on free).
  const int64_t issued_at = absl::ToUnixSeconds(a.now);
  const int64_t expires_at = absl::ToUnixSeconds(a.now + role->secret_ttl());
  BundleHeader header;
  header.request_id = a.request_id;
  header.role = role->name();
  header.subject = claims->subject();
  header.token_id = claims->jti();
  header.token_sha256 = claims->token_sha256();
  header.issued_at = issued_at;
  header.expires_at = expires_at;
  absl::StatusOr<std::string> sealed;
  {
    const keys::SecretBytes plaintext = EncodeSecretBundle(header, secrets);
    secrets.clear();  // wipes the values
    sealed =
        keys::SealTo(claims->cnf_x25519(),
                     plaintext.AsStringView(keys::InsecureSecretAccess::Get()));
  }
  if (!sealed.ok()) {
    a.Unavailable("internal", absl::StrCat("sealing the bundle failed: ",
                                           sealed.status().message()));
    return Finish(a, nullptr);
  }
  absl::StatusOr<std::string> signature = keys_.release_signer().Sign(
      ReleaseSignatureMessage(claims->cnf_x25519(), *sealed));
  if (!signature.ok()) {
    a.Unavailable("internal", absl::StrCat("signing the release failed: ",
                                           signature.status().message()));
    return Finish(a, nullptr);
  }

  std::vector<std::string> released_refs;
  released_refs.reserve(rows.size());
  for (const SecretVersionRecord& row : rows) {
    a.released.push_back(RefJson(row.name, row.version));
    released_refs.push_back(absl::StrCat(row.name, "@", row.version));
  }
  a.decision = "allow";
  a.reason = "ok";
  a.code = absl::StatusCode::kOk;
  a.expires_at = expires_at;
  a.audit_message =
      absl::StrCat("released ", absl::StrJoin(released_refs, ", "),
                   " to subject ", Quote(a.subject), " of issuer ",
                   Quote(a.issuer), " as role ", Quote(role->name()));
  secretd::v1::ProvisionResponse response;
  response.set_request_id(a.request_id);
  response.set_sealed_bundle(*std::move(sealed));
  response.set_signature(*std::move(signature));
  response.set_release_key_id(release_key_id_);
  response.set_expires_at(expires_at);

  // 10. Audit, then answer.
  return Finish(a, &response);
}

ProvisionOutcome Broker::Finish(Attempt& a,
                                secretd::v1::ProvisionResponse* response) {
  if (a.token_sha256_hex.empty()) a.token_sha256_hex = keys::Sha256Hex(a.token);
  audit::Record record;
  record.type = "provision";
  record.request_id = a.request_id;
  Json& f = record.fields;
  f["decision"] = a.decision;
  f["reason"] = a.reason;
  f["status"] = absl::StatusCodeToString(a.code);
  f["message"] = a.audit_message;
  f["subject"] = a.subject;
  f["issuer"] = a.issuer;
  f["role"] = a.role;
  f["token_jti"] = a.jti;
  f["token_sha256"] = a.token_sha256_hex;
  f["recipient_key_sha256"] = a.recipient_key_sha256_hex;
  f["source_ip"] = a.source_ip;
  f["requested"] = std::move(a.requested);
  f["released"] = std::move(a.released);
  f["denied"] = std::move(a.denied);
  f["statements"] = std::move(a.statements);
  if (a.expires_at.has_value()) {
    f["expires_at"] = *a.expires_at;
  } else {
    f["expires_at"] = nullptr;
  }

  ProvisionOutcome out;
  out.request_id = a.request_id;
  out.decision = a.decision;
  out.reason = a.reason;
  absl::Status appended = audit_.Append(record);
  if (!appended.ok()) {
    common::log::Error(
        "audit record not written; request refused and nothing released",
        {{"request_id", a.request_id},
         {"decision", a.decision},
         {"reason", a.reason},
         {"error", appended}});
    out.status = absl::UnavailableError(absl::StrCat(
        "secretd cannot write its audit log, so nothing was released (request ",
        a.request_id, "); retry later"));
    out.decision = "deny";
    out.reason = "audit.unavailable";
    return out;
  }
  out.audited = true;
  common::log::Info("provision", {{"request_id", a.request_id},
                                  {"decision", a.decision},
                                  {"reason", a.reason},
                                  {"status", absl::StatusCodeToString(a.code)},
                                  {"role", a.role},
                                  {"subject", a.subject},
                                  {"issuer", a.issuer},
                                  {"source_ip", a.source_ip},
                                  {"secrets", a.secrets_requested},
                                  {"message", a.audit_message}});
  if (a.code == absl::StatusCode::kOk && response != nullptr) {
    out.response = std::move(*response);
    out.status = absl::OkStatus();
  } else {
    out.status = absl::Status(a.code, a.client_message);
  }
  return out;
}

}  // namespace secretd
