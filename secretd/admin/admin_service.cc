#include "secretd/admin/admin_service.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "common/logging.h"
#include "keys/jwk.h"
#include "keys/secret_bytes.h"
#include "nlohmann/json.hpp"
#include "policy/role.h"
#include "secretd/names/secret_name.h"
#include "secretd/vault/secret_vault.h"

namespace secretd {
namespace {

// absl and gRPC share the canonical codes (both follow
// google.rpc.Code), so the conversion keeps the number.
grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()),
                      std::string(s.message()));
}

std::string Quote(absl::string_view s) { return absl::StrCat("\"", s, "\""); }

bool HasControlCharacter(absl::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return true;
  }
  return false;
}

absl::Status ValidateIssuer(absl::string_view issuer) {
  if (issuer.empty()) {
    return absl::InvalidArgumentError(
        "the issuer is empty; give the token issuer's \"iss\" value, e.g. "
        "https://attest.example");
  }
  if (issuer.size() > kMaxIssuerBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("the issuer is ", issuer.size(), " bytes; the limit is ",
                     kMaxIssuerBytes));
  }
  if (HasControlCharacter(issuer)) {
    return absl::InvalidArgumentError(
        "the issuer contains a control character; give the token issuer's "
        "\"iss\" value exactly");
  }
  return absl::OkStatus();
}

// Parses `jwks_json` and checks that every key can verify tokens
// (DESIGN.md §3): a signing key type, a kid, `use`/`key_ops` allowing
// verification. Returns the key ids, or kInvalidArgument listing every
// problem, one per line.
absl::StatusOr<std::vector<std::string>> ValidateTrustJwks(
    absl::string_view issuer, absl::string_view jwks_json) {
  const std::string prefix = absl::StrCat("JWKS for issuer ", Quote(issuer));
  if (jwks_json.size() > kMaxTrustJwksBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, ": ", jwks_json.size(), " bytes; the limit is ",
                     kMaxTrustJwksBytes));
  }
  absl::StatusOr<keys::Jwks> jwks = keys::Jwks::Parse(jwks_json);
  if (!jwks.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, ": ", jwks.status().message(),
                     "; a trust bundle is a JWK Set of public signing keys"));
  }
  if (jwks->keys().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        prefix,
        ": has no keys; to stop trusting an issuer use \"secretctl trust "
        "delete\""));
  }
  std::vector<std::string> errors;
  std::vector<std::string> kids;
  for (size_t i = 0; i < jwks->keys().size(); ++i) {
    const keys::Jwk& key = jwks->keys()[i];
    const std::string where = absl::StrCat(prefix, ": keys[", i, "]");
    if (key.kid().empty()) {
      errors.push_back(absl::StrCat(
          where,
          ": has no \"kid\"; tokens select their key by kid, so give every "
          "key one"));
    }
    std::optional<keys::SignatureAlgorithm> alg = key.signature_algorithm();
    if (!alg.has_value()) {
      errors.push_back(absl::StrCat(
          where, ": a ", key.kty(), " ", key.crv(),
          " key cannot verify signatures; a trust bundle holds Ed25519, "
          "P-256 or RSA signing keys"));
    } else if (absl::Status s = key.CheckCanVerify(*alg); !s.ok()) {
      errors.push_back(absl::StrCat(where, ": ", s.message()));
    }
    kids.push_back(key.kid());
  }
  if (!errors.empty()) {
    return absl::InvalidArgumentError(absl::StrJoin(errors, "\n"));
  }
  return kids;
}

void CheckPolicyName(absl::string_view role, absl::string_view what,
                     absl::string_view name, std::vector<std::string>* errors) {
  const std::string prefix = absl::StrCat("role ", Quote(role), ": ");
  if (name.empty()) {
    errors->push_back(absl::StrCat(
        prefix, what,
        " has no name; name it (secretctl uses the file's base name)"));
  } else if (name.size() > kMaxPolicyNameBytes) {
    errors->push_back(absl::StrCat(prefix, what, " name is ", name.size(),
                                   " bytes; the limit is ",
                                   kMaxPolicyNameBytes));
  } else if (HasControlCharacter(name)) {
    errors->push_back(
        absl::StrCat(prefix, what, " name contains a control character"));
  }
}

int64_t UnixSeconds(absl::Time t) { return absl::ToUnixSeconds(t); }

void ToProto(const RoleRecord& r, bool with_documents, v1::Role* out) {
  out->set_name(r.name);
  out->mutable_trust_policy()->set_name(r.trust_policy.name);
  if (with_documents) {
    out->mutable_trust_policy()->set_document(r.trust_policy.document);
  }
  for (const PolicyDocument& p : r.permission_policies) {
    v1::PolicyDocument* d = out->add_permission_policies();
    d->set_name(p.name);
    if (with_documents) d->set_document(p.document);
  }
  out->set_max_token_lifetime_seconds(r.max_token_lifetime_seconds);
  out->set_secret_ttl_seconds(r.secret_ttl_seconds);
  out->set_single_use_tokens(r.single_use_tokens);
  out->set_updated_at(UnixSeconds(r.updated_at));
}

nlohmann::ordered_json PolicyNames(const v1::Role& role) {
  nlohmann::ordered_json names = nlohmann::ordered_json::array();
  for (const v1::PolicyDocument& p : role.permission_policies()) {
    names.push_back(p.name());
  }
  return names;
}

}  // namespace

PeerCredentials PeerOfCall(const grpc::ServerContext& context) {
  const std::string peer = context.peer();
  constexpr absl::string_view kFdPrefix = "fd:";
  int fd = -1;
  if (absl::string_view(peer).substr(0, kFdPrefix.size()) == kFdPrefix &&
      absl::SimpleAtoi(absl::string_view(peer).substr(kFdPrefix.size()), &fd) &&
      fd >= 0) {
    // The call came on this connection, so the fd is open and is it.
    absl::StatusOr<PeerCredentials> cred = GetPeerCredentials(fd);
    if (cred.ok()) return *cred;
  }
  return PeerCredentials{};
}

// One mutating request: its audit record's type and object members, and
// where it stands in validate → announce → commit.
class AdminService::Change {
 public:
  Change(AdminService& service, grpc::ServerContext* context,
         absl::string_view type)
      : service_(service),
        type_(type),
        request_id_(service.NewRequestId(context)),
        peer_(PeerOfCall(*context)),
        start_(service.clock_.Now()) {}

  // The object members of the record ("issuer", "role", ...), in order.
  nlohmann::ordered_json& object() { return object_; }

  // Appends the record announcing the change (status OK, `message`) and
  // waits until it is durable. kUnavailable (nothing may change) if not.
  absl::Status Announce(absl::string_view message) {
    absl::Status s = Append(absl::StatusCode::kOk, message);
    if (!s.ok()) {
      audit_failed_ = true;
      common::log::Error(
          "admin change refused: the audit log cannot be "
          "written",
          {{"request_id", request_id_}, {"type", type_}, {"status", s}});
      return absl::UnavailableError(
          absl::StrCat("the audit log cannot be written (", s.message(),
                       "); nothing was changed: fix the audit log (disk space, "
                       "permissions) and retry"));
    }
    announced_ = true;
    return absl::OkStatus();
  }

  // Ends the request with `result`: the commit's status, or an error before
  // any announcement (a refusal). Records what the log does not yet say.
  grpc::Status Finish(const absl::Status& result) {
    if (result.ok()) {
      // The announcement is the record of a successful change.
      Log(result);
      if (service_.on_change_) service_.on_change_();
      return grpc::Status::OK;
    }
    if (audit_failed_) {
      Log(result);
      return ToGrpc(result);
    }
    std::string message(result.message());
    if (announced_) {
      message = absl::StrCat("failed after its audit record; ", message);
    }
    if (absl::Status s = Append(result.code(), message); !s.ok()) {
      common::log::Error(
          "cannot write the audit record of a failed admin "
          "request",
          {{"request_id", request_id_}, {"type", type_}, {"status", s}});
    }
    Log(result);
    return ToGrpc(result);
  }

  const std::string& request_id() const { return request_id_; }

 private:
  absl::Status Append(absl::StatusCode code, absl::string_view message) {
    audit::Record record;
    record.type = type_;
    record.request_id = request_id_;
    record.fields["status"] = absl::StatusCodeToString(code);
    record.fields["message"] = std::string(message);
    record.fields["peer_uid"] = peer_.uid;
    record.fields["peer_pid"] = peer_.pid;
    for (const auto& [key, value] : object_.items()) {
      record.fields[key] = value;
    }
    return service_.audit_.Append(record);
  }

  void Log(const absl::Status& result) {
    common::log::Info("admin request",
                      {{"request_id", request_id_},
                       {"type", type_},
                       {"status", absl::StatusCodeToString(result.code())},
                       {"peer_uid", peer_.uid},
                       {"peer_pid", peer_.pid},
                       {"duration", service_.clock_.Now() - start_}});
  }

  AdminService& service_;
  const std::string type_;
  const std::string request_id_;
  const PeerCredentials peer_;
  const absl::Time start_;
  nlohmann::ordered_json object_ = nlohmann::ordered_json::object();
  bool announced_ = false;
  bool audit_failed_ = false;
};

AdminService::AdminService(Store& store, Keyring& keyring,
                           audit::AuditSink& audit, keys::RandomSource& random,
                           const common::Clock& clock, ChangeCallback on_change)
    : store_(store),
      keyring_(keyring),
      audit_(audit),
      random_(random),
      clock_(clock),
      on_change_(std::move(on_change)) {}

std::string AdminService::NewRequestId(grpc::ServerContext* context) {
  uint8_t raw[8];
  random_.Fill(raw, sizeof(raw));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (uint8_t b : raw) {
    id.push_back(kHex[b >> 4]);
    id.push_back(kHex[b & 0xF]);
  }
  if (context != nullptr)
    context->AddTrailingMetadata(kRequestIdMetadataKey, id);
  return id;
}

void AdminService::RecordDeniedPeer(const PeerCredentials& peer,
                                    absl::string_view reason) {
  audit::Record record;
  record.type = "admin.denied";
  record.request_id = NewRequestId(nullptr);
  record.fields["status"] =
      absl::StatusCodeToString(absl::StatusCode::kPermissionDenied);
  record.fields["message"] = std::string(reason);
  record.fields["peer_uid"] = peer.uid;
  record.fields["peer_pid"] = peer.pid;
  absl::Status s = audit_.Append(record);
  common::log::Warning("admin connection refused",
                       {{"request_id", record.request_id},
                        {"peer_uid", peer.uid},
                        {"peer_pid", peer.pid},
                        {"reason", reason}});
  if (!s.ok()) {
    common::log::Error(
        "cannot write the audit record of a refused admin "
        "connection",
        {{"request_id", record.request_id}, {"status", s}});
  }
}

// ---- Trust bundles ----

grpc::Status AdminService::PutTrust(grpc::ServerContext* context,
                                    const v1::PutTrustRequest* request,
                                    v1::PutTrustResponse* response) {
  Change change(*this, context, "admin.trust.put");
  change.object()["issuer"] = request->issuer();
  if (absl::Status s = ValidateIssuer(request->issuer()); !s.ok()) {
    return change.Finish(s);
  }
  absl::StatusOr<std::vector<std::string>> kids =
      ValidateTrustJwks(request->issuer(), request->jwks_json());
  if (!kids.ok()) return change.Finish(kids.status());
  change.object()["key_ids"] = *kids;

  absl::MutexLock lock(&change_mu_);
  if (absl::Status s = change.Announce(absl::StrCat(
          "trust bundle of issuer ", Quote(request->issuer()), " put with ",
          kids->size(), kids->size() == 1 ? " key" : " keys"));
      !s.ok()) {
    return change.Finish(s);
  }
  grpc::Status status = change.Finish(
      store_.PutTrustBundle(request->issuer(), request->jwks_json()));
  if (status.ok()) {
    response->set_issuer(request->issuer());
    for (const std::string& kid : *kids) response->add_key_ids(kid);
  }
  return status;
}

grpc::Status AdminService::ListTrust(grpc::ServerContext* context,
                                     const v1::ListTrustRequest* /*request*/,
                                     v1::ListTrustResponse* response) {
  NewRequestId(context);
  absl::StatusOr<std::vector<TrustBundleRecord>> bundles =
      store_.ListTrustBundles();
  if (!bundles.ok()) return ToGrpc(bundles.status());
  for (const TrustBundleRecord& b : *bundles) {
    v1::TrustBundle* out = response->add_bundles();
    out->set_issuer(b.issuer);
    out->set_updated_at(UnixSeconds(b.updated_at));
    // Stored bundles were validated by PutTrust.
    absl::StatusOr<keys::Jwks> jwks = keys::Jwks::Parse(b.jwks_json);
    if (!jwks.ok()) {
      return ToGrpc(absl::DataLossError(
          absl::StrCat("the stored JWKS of issuer ", Quote(b.issuer),
                       " does not parse: ", jwks.status().message(),
                       "; put it again with \"secretctl trust put\"")));
    }
    for (const keys::Jwk& key : jwks->keys()) out->add_key_ids(key.kid());
  }
  return grpc::Status::OK;
}

grpc::Status AdminService::DeleteTrust(grpc::ServerContext* context,
                                       const v1::DeleteTrustRequest* request,
                                       v1::DeleteTrustResponse* /*response*/) {
  Change change(*this, context, "admin.trust.delete");
  change.object()["issuer"] = request->issuer();
  if (absl::Status s = ValidateIssuer(request->issuer()); !s.ok()) {
    return change.Finish(s);
  }
  absl::MutexLock lock(&change_mu_);
  absl::StatusOr<std::vector<TrustBundleRecord>> bundles =
      store_.ListTrustBundles();
  if (!bundles.ok()) return change.Finish(bundles.status());
  bool found = false;
  for (const TrustBundleRecord& b : *bundles)
    found |= b.issuer == request->issuer();
  if (!found) {
    return change.Finish(absl::NotFoundError(absl::StrCat(
        "issuer ", Quote(request->issuer()),
        " is not trusted; \"secretctl trust list\" shows the trusted "
        "issuers")));
  }
  if (absl::Status s = change.Announce(absl::StrCat(
          "trust bundle of issuer ", Quote(request->issuer()), " deleted"));
      !s.ok()) {
    return change.Finish(s);
  }
  return change.Finish(store_.DeleteTrustBundle(request->issuer()));
}

// ---- Roles ----

grpc::Status AdminService::PutRole(grpc::ServerContext* context,
                                   const v1::PutRoleRequest* request,
                                   v1::PutRoleResponse* response) {
  Change change(*this, context, "admin.role.put");
  const v1::Role& in = request->role();
  change.object()["role"] = in.name();
  change.object()["trust_policy"] = in.trust_policy().name();
  change.object()["permission_policies"] = PolicyNames(in);
  const int64_t lifetime =
      in.max_token_lifetime_seconds() == 0
          ? absl::ToInt64Seconds(policy::kDefaultMaxTokenLifetime)
          : in.max_token_lifetime_seconds();
  const int64_t ttl = in.secret_ttl_seconds() == 0
                          ? absl::ToInt64Seconds(policy::kDefaultSecretTtl)
                          : in.secret_ttl_seconds();
  change.object()["max_token_lifetime_seconds"] = lifetime;
  change.object()["secret_ttl_seconds"] = ttl;
  change.object()["single_use_tokens"] = in.single_use_tokens();
  if (!request->has_role()) {
    return change.Finish(absl::InvalidArgumentError(
        "the request has no role; set PutRoleRequest.role"));
  }

  // Every problem at once: the names here, then the role and its documents.
  std::vector<std::string> errors;
  CheckPolicyName(in.name(), "the trust policy", in.trust_policy().name(),
                  &errors);
  for (int i = 0; i < in.permission_policies_size(); ++i) {
    CheckPolicyName(in.name(), absl::StrCat("permission policy ", i + 1),
                    in.permission_policies(i).name(), &errors);
  }
  policy::RoleDefinition def;
  def.name = in.name();
  def.trust_policy = {in.trust_policy().name(), in.trust_policy().document()};
  for (const v1::PolicyDocument& p : in.permission_policies()) {
    def.permission_policies.push_back({p.name(), p.document()});
  }
  def.max_token_lifetime = absl::Seconds(lifetime);
  def.secret_ttl = absl::Seconds(ttl);
  def.single_use_tokens = in.single_use_tokens();
  absl::StatusOr<std::shared_ptr<const policy::CompiledRole>> compiled =
      policy::CompiledRole::Compile(std::move(def));
  if (!compiled.ok())
    errors.push_back(std::string(compiled.status().message()));
  if (!errors.empty()) {
    return change.Finish(
        absl::InvalidArgumentError(absl::StrJoin(errors, "\n")));
  }

  RoleRecord record;
  record.name = in.name();
  record.trust_policy = {in.trust_policy().name(),
                         in.trust_policy().document()};
  for (const v1::PolicyDocument& p : in.permission_policies()) {
    record.permission_policies.push_back({p.name(), p.document()});
  }
  record.max_token_lifetime_seconds = lifetime;
  record.secret_ttl_seconds = ttl;
  record.single_use_tokens = in.single_use_tokens();

  absl::MutexLock lock(&change_mu_);
  if (absl::Status s =
          change.Announce(absl::StrCat("role ", Quote(in.name()), " put"));
      !s.ok()) {
    return change.Finish(s);
  }
  grpc::Status status = change.Finish(store_.PutRole(record));
  if (!status.ok()) return status;
  // Answer with the role as stored (updated_at is the store's).
  absl::StatusOr<RoleRecord> stored = store_.GetRole(in.name());
  if (stored.ok()) record = *std::move(stored);
  ToProto(record, /*with_documents=*/true, response->mutable_role());
  return status;
}

grpc::Status AdminService::GetRole(grpc::ServerContext* context,
                                   const v1::GetRoleRequest* request,
                                   v1::Role* response) {
  NewRequestId(context);
  absl::StatusOr<RoleRecord> role = store_.GetRole(request->name());
  if (absl::IsNotFound(role.status())) {
    return ToGrpc(absl::NotFoundError(
        absl::StrCat("no role is named ", Quote(request->name()),
                     "; \"secretctl role list\" shows the roles")));
  }
  if (!role.ok()) return ToGrpc(role.status());
  ToProto(*role, /*with_documents=*/true, response);
  return grpc::Status::OK;
}

grpc::Status AdminService::ListRoles(grpc::ServerContext* context,
                                     const v1::ListRolesRequest* /*request*/,
                                     v1::ListRolesResponse* response) {
  NewRequestId(context);
  absl::StatusOr<std::vector<RoleRecord>> roles = store_.ListRoles();
  if (!roles.ok()) return ToGrpc(roles.status());
  for (const RoleRecord& r : *roles) {
    ToProto(r, /*with_documents=*/false, response->add_roles());
  }
  return grpc::Status::OK;
}

grpc::Status AdminService::DeleteRole(grpc::ServerContext* context,
                                      const v1::DeleteRoleRequest* request,
                                      v1::DeleteRoleResponse* /*response*/) {
  Change change(*this, context, "admin.role.delete");
  change.object()["role"] = request->name();
  if (request->name().empty()) {
    return change.Finish(
        absl::InvalidArgumentError("the role name is empty; name the role"));
  }
  absl::MutexLock lock(&change_mu_);
  absl::StatusOr<RoleRecord> role = store_.GetRole(request->name());
  if (absl::IsNotFound(role.status())) {
    return change.Finish(absl::NotFoundError(
        absl::StrCat("no role is named ", Quote(request->name()),
                     "; \"secretctl role list\" shows the roles")));
  }
  if (!role.ok()) return change.Finish(role.status());
  if (absl::Status s = change.Announce(
          absl::StrCat("role ", Quote(request->name()), " deleted"));
      !s.ok()) {
    return change.Finish(s);
  }
  return change.Finish(store_.DeleteRole(request->name()));
}

// ---- Secrets ----

grpc::Status AdminService::PutSecret(grpc::ServerContext* context,
                                     const v1::PutSecretRequest* request,
                                     v1::PutSecretResponse* response) {
  // Take the value out of the message at once. gRPC owns the message but
  // not as a const object, so wiping it through const_cast is defined.
  auto* mutable_request = const_cast<v1::PutSecretRequest*>(request);
  const keys::SecretBytes value =
      keys::SecretBytes::CopyFrom(mutable_request->value());
  keys::WipeString(mutable_request->mutable_value());

  Change change(*this, context, "admin.secret.put");
  change.object()["secret"] = request->name();
  change.object()["version"] = nullptr;
  if (absl::Status s = ValidateSecretName(request->name()); !s.ok()) {
    return change.Finish(s);
  }
  if (value.empty()) {
    return change.Finish(absl::InvalidArgumentError(
        "the value is empty; a secret needs at least one byte"));
  }
  if (value.size() > kMaxSecretValueBytes) {
    return change.Finish(absl::InvalidArgumentError(
        absl::StrCat("the value is ", value.size(), " bytes; the limit is ",
                     kMaxSecretValueBytes)));
  }
  absl::MutexLock lock(&change_mu_);
  std::shared_ptr<const KeySet> keys = keyring_.Current();
  SecretVault vault(store_, keys->ring, random_);
  // The version is assigned inside the write transaction: announce there.
  absl::StatusOr<int64_t> version =
      vault.Put(request->name(), value, [&](int64_t v) {
        change.object()["version"] = v;
        return change.Announce(absl::StrCat("version ", v, " of secret ",
                                            Quote(request->name()), " put"));
      });
  grpc::Status status = change.Finish(version.status());
  if (status.ok()) {
    response->set_name(request->name());
    response->set_version(*version);
  }
  return status;
}

grpc::Status AdminService::ListSecrets(grpc::ServerContext* context,
                                       const v1::ListSecretsRequest* request,
                                       v1::ListSecretsResponse* response) {
  NewRequestId(context);
  if (request->prefix().size() > kMaxSecretNameLength) {
    return ToGrpc(absl::InvalidArgumentError(absl::StrCat(
        "the prefix is ", request->prefix().size(),
        " bytes; secret names have at most ", kMaxSecretNameLength)));
  }
  absl::StatusOr<std::vector<SecretMetadata>> secrets =
      store_.ListSecrets(request->prefix());
  if (!secrets.ok()) return ToGrpc(secrets.status());
  for (const SecretMetadata& s : *secrets) {
    v1::SecretInfo* out = response->add_secrets();
    out->set_name(s.name);
    int64_t current = 0;
    for (const SecretVersionMetadata& v : s.versions) {
      v1::SecretVersionInfo* info = out->add_versions();
      info->set_version(v.version);
      info->set_enabled(v.enabled);
      info->set_created_at(UnixSeconds(v.created_at));
      info->set_kek_id(v.kek_id);
      if (v.enabled && v.version > current) current = v.version;
    }
    out->set_current_version(current);
  }
  return grpc::Status::OK;
}

grpc::Status AdminService::DisableSecretVersion(
    grpc::ServerContext* context,
    const v1::DisableSecretVersionRequest* request,
    v1::DisableSecretVersionResponse* /*response*/) {
  Change change(*this, context, "admin.secret.disable");
  change.object()["secret"] = request->name();
  change.object()["version"] = request->version();
  if (absl::Status s = ValidateSecretName(request->name()); !s.ok()) {
    return change.Finish(s);
  }
  if (request->version() < 1) {
    return change.Finish(absl::InvalidArgumentError(absl::StrCat(
        "version ", request->version(),
        " is not a version number; versions start at 1 (\"secretctl secret "
        "list\" shows them)")));
  }
  absl::MutexLock lock(&change_mu_);
  absl::StatusOr<std::vector<SecretMetadata>> secrets =
      store_.ListSecrets(request->name());
  if (!secrets.ok()) return change.Finish(secrets.status());
  const SecretMetadata* secret = nullptr;
  for (const SecretMetadata& s : *secrets) {
    if (s.name == request->name()) secret = &s;
  }
  if (secret == nullptr) {
    return change.Finish(absl::NotFoundError(
        absl::StrCat("no secret is named ", Quote(request->name()),
                     "; \"secretctl secret list\" shows the secrets")));
  }
  const SecretVersionMetadata* version = nullptr;
  for (const SecretVersionMetadata& v : secret->versions) {
    if (v.version == request->version()) version = &v;
  }
  if (version == nullptr) {
    return change.Finish(absl::NotFoundError(absl::StrCat(
        "secret ", Quote(request->name()), " has no version ",
        request->version(), " (its latest is ", secret->latest_version, ")")));
  }
  const std::string what = absl::StrCat("version ", request->version(),
                                        " of secret ", Quote(request->name()));
  if (absl::Status s = change.Announce(
          version->enabled ? absl::StrCat(what, " disabled")
                           : absl::StrCat(what, " was already disabled"));
      !s.ok()) {
    return change.Finish(s);
  }
  return change.Finish(
      store_.DisableSecretVersion(request->name(), request->version()));
}

// ---- KEK rotation ----

grpc::Status AdminService::RotateKek(grpc::ServerContext* context,
                                     const v1::RotateKekRequest* /*request*/,
                                     v1::RotateKekResponse* response) {
  Change change(*this, context, "admin.kek.rotate");
  change.object()["old_kek_id"] = keyring_.Current()->current.id();
  change.object()["new_kek_id"] = nullptr;
  absl::MutexLock lock(&change_mu_);
  absl::StatusOr<Keyring::RotationResult> result = keyring_.RotateKek(
      store_, random_, [&](const Keyring::RotationResult& planned) {
        change.object()["old_kek_id"] = planned.old_kek_id;
        change.object()["new_kek_id"] = planned.new_kek_id;
        return change.Announce(absl::StrCat("KEK rotation from ",
                                            planned.old_kek_id, " to ",
                                            planned.new_kek_id));
      });
  absl::Status status = result.status();
  if (absl::IsAborted(status)) {
    status = absl::AbortedError(
        absl::StrCat(status.message(),
                     "; a secret changed during the rotation: run it again"));
  }
  grpc::Status out = change.Finish(status);
  if (out.ok()) {
    response->set_old_kek_id(result->old_kek_id);
    response->set_new_kek_id(result->new_kek_id);
    response->set_rewrapped(result->rewrapped);
  }
  return out;
}

}  // namespace secretd
