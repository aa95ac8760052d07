#include "keys/jwk.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "keys/ecdsa.h"
#include "keys/ed25519.h"
#include "keys/encoding.h"
#include "keys/internal/strict_json.h"
#include "keys/rsa.h"
#include "keys/token_reason.h"
#include "keys/x25519.h"

namespace keys {

struct Jwk::PrivateParts {
  // Raw private members by JWK name ("d", "p", "q", "dp", "dq", "qi").
  std::map<std::string, SecretBytes> members;
  // Null for X25519.
  std::shared_ptr<const Signer> signer;
};

namespace {

using Json = nlohmann::json;

constexpr const char* kPrivateMembers[] = {"d",  "p",  "q",  "dp",
                                           "dq", "qi", "oth"};
constexpr const char* kRsaPrivateMembers[] = {"d", "p", "q", "dp", "dq", "qi"};

// Errors name the member by path: "x: ..." for a lone JWK, "keys[2].x: ..."
// inside a JWKS.
absl::Status MemberError(absl::string_view path, absl::string_view member,
                         absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat(path, path.empty() ? "" : ".", member, ": ", problem));
}

absl::Status KeyError(absl::string_view path, absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat(path, path.empty() ? "" : ": ", problem));
}

// An optional string member.
absl::StatusOr<std::optional<std::string>> OptionalString(
    absl::string_view path, const Json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end()) return std::optional<std::string>();
  if (!it->is_string()) return MemberError(path, name, "must be a string");
  return std::optional<std::string>(it->get<std::string>());
}

absl::StatusOr<std::string> RequiredString(absl::string_view path,
                                           const Json& object,
                                           const char* name) {
  ASSIGN_OR_RETURN(std::optional<std::string> value,
                   OptionalString(path, object, name));
  if (!value.has_value()) return MemberError(path, name, "is required");
  return *std::move(value);
}

// A required base64url member of `size` bytes (any size if 0), decoded by
// `decode` (into a std::string, or into SecretBytes for private members).
template <typename T>
absl::StatusOr<T> RequiredEncoded(
    absl::string_view path, const Json& object, const char* name, size_t size,
    absl::StatusOr<T> (*decode)(absl::string_view)) {
  auto it = object.find(name);
  if (it == object.end()) return MemberError(path, name, "is required");
  if (!it->is_string()) return MemberError(path, name, "must be a string");
  absl::StatusOr<T> raw = decode(it->template get_ref<const std::string&>());
  if (!raw.ok()) return MemberError(path, name, raw.status().message());
  if (size != 0 && raw->size() != size) {
    return MemberError(
        path, name,
        absl::StrCat("must be ", size, " bytes, got ", raw->size()));
  }
  if (raw->empty()) return MemberError(path, name, "must not be empty");
  return raw;
}

absl::StatusOr<std::string> RequiredBytes(absl::string_view path,
                                          const Json& object, const char* name,
                                          size_t size) {
  return RequiredEncoded<std::string>(path, object, name, size,
                                      &Base64UrlDecode);
}

absl::StatusOr<SecretBytes> RequiredSecret(absl::string_view path,
                                           const Json& object, const char* name,
                                           size_t size) {
  return RequiredEncoded<SecretBytes>(path, object, name, size,
                                      &Base64UrlDecodeSecret);
}

absl::Status Annotated(absl::string_view path, const absl::Status& s,
                       absl::string_view member) {
  return MemberError(path, member, s.message());
}

std::string KeyDescription(const Jwk& key) {
  std::string d = absl::StrCat("kty ", key.kty());
  if (!key.crv().empty()) absl::StrAppend(&d, ", crv ", key.crv());
  return d;
}

}  // namespace

absl::string_view Jwk::kty() const {
  switch (type_) {
    case JwkKeyType::kEd25519:
    case JwkKeyType::kX25519:
      return "OKP";
    case JwkKeyType::kP256:
      return "EC";
    case JwkKeyType::kRsa:
      return "RSA";
  }
  return "";
}

absl::string_view Jwk::crv() const {
  switch (type_) {
    case JwkKeyType::kEd25519:
      return "Ed25519";
    case JwkKeyType::kX25519:
      return "X25519";
    case JwkKeyType::kP256:
      return "P-256";
    case JwkKeyType::kRsa:
      return "";
  }
  return "";
}

std::optional<SignatureAlgorithm> Jwk::signature_algorithm() const {
  switch (type_) {
    case JwkKeyType::kEd25519:
      return SignatureAlgorithm::kEdDSA;
    case JwkKeyType::kP256:
      return SignatureAlgorithm::kES256;
    case JwkKeyType::kRsa:
      return SignatureAlgorithm::kRS256;
    case JwkKeyType::kX25519:
      return std::nullopt;
  }
  return std::nullopt;
}

absl::StatusOr<Jwk> Jwk::FromJson(const Json& object, bool want_private,
                                  absl::string_view path) {
  if (!object.is_object()) return KeyError(path, "a JWK must be a JSON object");
  Jwk key;
  // Common optional members.
  ASSIGN_OR_RETURN(std::optional<std::string> kid,
                   OptionalString(path, object, "kid"));
  key.kid_ = kid.value_or("");
  ASSIGN_OR_RETURN(key.use_, OptionalString(path, object, "use"));
  ASSIGN_OR_RETURN(key.alg_, OptionalString(path, object, "alg"));
  if (auto it = object.find("key_ops"); it != object.end()) {
    if (!it->is_array()) {
      return MemberError(path, "key_ops", "must be an array of strings");
    }
    std::vector<std::string> ops;
    std::set<std::string> seen;
    for (const Json& op : *it) {
      if (!op.is_string()) {
        return MemberError(path, "key_ops", "must be an array of strings");
      }
      if (!seen.insert(op.get<std::string>()).second) {
        return MemberError(
            path, "key_ops",
            absl::StrCat("lists \"", op.get<std::string>(), "\" twice"));
      }
      ops.push_back(op.get<std::string>());
    }
    key.key_ops_ = std::move(ops);
  }

  bool has_private_member = false;
  for (const char* m : kPrivateMembers) {
    if (object.contains(m)) has_private_member = true;
  }
  if (!want_private && has_private_member) {
    return KeyError(path,
                    "holds private key material (d, p, q, dp, dq, qi or oth); "
                    "a public JWK or JWKS must contain public keys only");
  }
  if (object.contains("oth")) {
    return MemberError(path, "oth", "multi-prime RSA keys are not supported");
  }

  ASSIGN_OR_RETURN(std::string kty, RequiredString(path, object, "kty"));
  auto priv = std::make_shared<PrivateParts>();
  if (kty == "OKP") {
    ASSIGN_OR_RETURN(std::string crv, RequiredString(path, object, "crv"));
    ASSIGN_OR_RETURN(key.x_, RequiredBytes(path, object, "x", 32));
    if (crv == "Ed25519") {
      key.type_ = JwkKeyType::kEd25519;
      auto verifier = Ed25519Verifier::Create(key.x_);
      if (!verifier.ok()) return Annotated(path, verifier.status(), "x");
      key.verifier_ = std::move(verifier).value();
      if (want_private) {
        ASSIGN_OR_RETURN(SecretBytes d, RequiredSecret(path, object, "d", 32));
        auto signer = Ed25519Signer::FromSeed(d.Clone());
        if (!signer.ok()) return Annotated(path, signer.status(), "d");
        if ((*signer)->public_key() != key.x_) {
          return MemberError(path, "d", "does not match the public key x");
        }
        priv->members.emplace("d", std::move(d));
        priv->signer = std::move(signer).value();
      }
    } else if (crv == "X25519") {
      key.type_ = JwkKeyType::kX25519;
      if (absl::Status s = ValidateX25519PublicKey(key.x_); !s.ok()) {
        return Annotated(path, s, "x");
      }
      if (want_private) {
        ASSIGN_OR_RETURN(SecretBytes d, RequiredSecret(path, object, "d", 32));
        auto pair = X25519KeyPair::FromPrivateKey(d.Clone());
        if (!pair.ok()) return Annotated(path, pair.status(), "d");
        if (pair->public_key() != key.x_) {
          return MemberError(path, "d", "does not match the public key x");
        }
        priv->members.emplace("d", std::move(d));
      }
    } else {
      return MemberError(path, "crv",
                         absl::StrCat(QuoteForMessage(crv),
                                      " is not supported for OKP; "
                                      "use Ed25519 or X25519"));
    }
  } else if (kty == "EC") {
    key.type_ = JwkKeyType::kP256;
    ASSIGN_OR_RETURN(std::string crv, RequiredString(path, object, "crv"));
    if (crv != "P-256") {
      return MemberError(path, "crv",
                         absl::StrCat(QuoteForMessage(crv),
                                      " is not supported for EC; use P-256"));
    }
    ASSIGN_OR_RETURN(key.x_, RequiredBytes(path, object, "x", 32));
    ASSIGN_OR_RETURN(key.y_, RequiredBytes(path, object, "y", 32));
    auto verifier = EcdsaP256Verifier::Create(key.x_, key.y_);
    if (!verifier.ok()) return Annotated(path, verifier.status(), "x, y");
    key.verifier_ = std::move(verifier).value();
    if (want_private) {
      ASSIGN_OR_RETURN(SecretBytes d, RequiredSecret(path, object, "d", 32));
      auto signer = EcdsaP256Signer::Create(key.x_, key.y_, d.Clone());
      if (!signer.ok()) return Annotated(path, signer.status(), "d");
      priv->members.emplace("d", std::move(d));
      priv->signer = std::move(signer).value();
    }
  } else if (kty == "RSA") {
    key.type_ = JwkKeyType::kRsa;
    ASSIGN_OR_RETURN(key.n_, RequiredBytes(path, object, "n", 0));
    ASSIGN_OR_RETURN(key.e_, RequiredBytes(path, object, "e", 0));
    auto verifier = Rs256Verifier::Create(key.n_, key.e_);
    if (!verifier.ok()) return Annotated(path, verifier.status(), "n, e");
    key.verifier_ = std::move(verifier).value();
    if (want_private) {
      for (const char* m : kRsaPrivateMembers) {
        ASSIGN_OR_RETURN(SecretBytes v, RequiredSecret(path, object, m, 0));
        priv->members.emplace(m, std::move(v));
      }
      auto& mm = priv->members;
      RsaPrivateParts parts{mm["d"].Clone(),  mm["p"].Clone(),
                            mm["q"].Clone(),  mm["dp"].Clone(),
                            mm["dq"].Clone(), mm["qi"].Clone()};
      auto signer = Rs256Signer::Create(key.n_, key.e_, std::move(parts));
      if (!signer.ok())
        return Annotated(path, signer.status(), "d, p, q, dp, dq, qi");
      priv->signer = std::move(signer).value();
    }
  } else {
    return MemberError(path, "kty",
                       absl::StrCat(QuoteForMessage(kty),
                                    " is not supported; use OKP, EC "
                                    "or RSA"));
  }
  if (want_private) key.private_ = std::move(priv);
  return key;
}

absl::StatusOr<Jwk> Jwk::FromPublicJson(const Json& object) {
  return FromJson(object, /*want_private=*/false, "");
}

absl::StatusOr<Jwk> Jwk::FromPrivateJson(const Json& object) {
  return FromJson(object, /*want_private=*/true, "");
}

absl::StatusOr<Jwk> Jwk::ParsePublic(absl::string_view json) {
  ASSIGN_OR_RETURN(Json object, internal::ParseStrictJson(json, kMaxJwkBytes));
  return FromPublicJson(object);
}

absl::StatusOr<Jwk> Jwk::ParsePrivate(absl::string_view json) {
  auto object = internal::ParseStrictJson(json, kMaxJwkBytes);
  if (!object.ok()) return object.status();
  absl::StatusOr<Jwk> key = FromPrivateJson(*object);
  internal::WipeJson(&*object);
  return key;
}

absl::StatusOr<Jwk> Jwk::Generate(SignatureAlgorithm alg, absl::string_view kid,
                                  RandomSource& random) {
  Jwk key;
  key.kid_ = std::string(kid);
  key.use_ = "sig";
  key.alg_ = std::string(SignatureAlgorithmName(alg));
  auto priv = std::make_shared<PrivateParts>();
  const SecretAccess access = InsecureSecretAccess::Get();
  switch (alg) {
    case SignatureAlgorithm::kEdDSA: {
      std::shared_ptr<Ed25519Signer> signer = Ed25519Signer::Generate(random);
      key.type_ = JwkKeyType::kEd25519;
      key.x_ = signer->public_key();
      ASSIGN_OR_RETURN(key.verifier_, Ed25519Verifier::Create(key.x_));
      priv->members.emplace("d", signer->seed(access).Clone());
      priv->signer = std::move(signer);
      break;
    }
    case SignatureAlgorithm::kES256: {
      ASSIGN_OR_RETURN(std::shared_ptr<EcdsaP256Signer> signer,
                       EcdsaP256Signer::Generate());
      key.type_ = JwkKeyType::kP256;
      key.x_ = signer->x();
      key.y_ = signer->y();
      ASSIGN_OR_RETURN(key.verifier_,
                       EcdsaP256Verifier::Create(key.x_, key.y_));
      priv->members.emplace("d", signer->d(access).Clone());
      priv->signer = std::move(signer);
      break;
    }
    case SignatureAlgorithm::kRS256: {
      ASSIGN_OR_RETURN(std::shared_ptr<Rs256Signer> signer,
                       Rs256Signer::Generate(2048));
      key.type_ = JwkKeyType::kRsa;
      key.n_ = signer->n();
      key.e_ = signer->e();
      ASSIGN_OR_RETURN(key.verifier_, Rs256Verifier::Create(key.n_, key.e_));
      const RsaPrivateParts& parts = signer->private_parts(access);
      priv->members.emplace("d", parts.d.Clone());
      priv->members.emplace("p", parts.p.Clone());
      priv->members.emplace("q", parts.q.Clone());
      priv->members.emplace("dp", parts.dp.Clone());
      priv->members.emplace("dq", parts.dq.Clone());
      priv->members.emplace("qi", parts.qi.Clone());
      priv->signer = std::move(signer);
      break;
    }
  }
  key.private_ = std::move(priv);
  return key;
}

Jwk Jwk::FromEd25519Signer(const Ed25519Signer& signer, absl::string_view kid) {
  Jwk key;
  key.type_ = JwkKeyType::kEd25519;
  key.x_ = signer.public_key();
  key.kid_ = std::string(kid);
  key.use_ = "sig";
  key.alg_ = "EdDSA";
  // The signer's public key is valid by construction.
  key.verifier_ = Ed25519Verifier::Create(key.x_).value();
  auto priv = std::make_shared<PrivateParts>();
  SecretBytes seed = signer.seed(InsecureSecretAccess::Get()).Clone();
  priv->signer = Ed25519Signer::FromSeed(seed.Clone()).value();
  priv->members.emplace("d", std::move(seed));
  key.private_ = std::move(priv);
  return key;
}

absl::StatusOr<Jwk> Jwk::FromX25519PublicKey(absl::string_view public_key) {
  RETURN_IF_ERROR(ValidateX25519PublicKey(public_key));
  Jwk key;
  key.type_ = JwkKeyType::kX25519;
  key.x_ = std::string(public_key);
  return key;
}

absl::StatusOr<Jwk> Jwk::FromEd25519PublicKey(absl::string_view public_key,
                                              absl::string_view kid) {
  Jwk key;
  key.type_ = JwkKeyType::kEd25519;
  key.x_ = std::string(public_key);
  key.kid_ = std::string(kid);
  ASSIGN_OR_RETURN(key.verifier_, Ed25519Verifier::Create(public_key));
  return key;
}

Jwk Jwk::ToPublic() const {
  Jwk copy = *this;
  copy.private_.reset();
  return copy;
}

nlohmann::json Jwk::ToPublicJson() const {
  Json out = Json::object();
  out["kty"] = std::string(kty());
  if (!crv().empty()) out["crv"] = std::string(crv());
  switch (type_) {
    case JwkKeyType::kEd25519:
    case JwkKeyType::kX25519:
      out["x"] = Base64UrlEncode(x_);
      break;
    case JwkKeyType::kP256:
      out["x"] = Base64UrlEncode(x_);
      out["y"] = Base64UrlEncode(y_);
      break;
    case JwkKeyType::kRsa:
      out["n"] = Base64UrlEncode(n_);
      out["e"] = Base64UrlEncode(e_);
      break;
  }
  if (!kid_.empty()) out["kid"] = kid_;
  if (use_.has_value()) out["use"] = *use_;
  if (alg_.has_value()) out["alg"] = *alg_;
  if (key_ops_.has_value()) out["key_ops"] = *key_ops_;
  return out;
}

absl::StatusOr<SecretBytes> Jwk::ToPrivateJson(SecretAccess access) const {
  if (private_ == nullptr) {
    return absl::FailedPreconditionError("the JWK has no private key");
  }
  Json out = ToPublicJson();
  for (const auto& [name, value] : private_->members) {
    out[name] = Base64UrlEncodeSecret(value, access);
  }
  std::string text = out.dump();
  SecretBytes result = SecretBytes::CopyFrom(text);
  WipeString(&text);
  internal::WipeJson(&out);
  return result;
}

std::string Jwk::Thumbprint() const {
  // RFC 7638 §3.2: only the required members, lexicographic order, no
  // whitespace. nlohmann::json objects are sorted by key.
  Json members = Json::object();
  members["kty"] = std::string(kty());
  switch (type_) {
    case JwkKeyType::kEd25519:
    case JwkKeyType::kX25519:
      members["crv"] = std::string(crv());
      members["x"] = Base64UrlEncode(x_);
      break;
    case JwkKeyType::kP256:
      members["crv"] = std::string(crv());
      members["x"] = Base64UrlEncode(x_);
      members["y"] = Base64UrlEncode(y_);
      break;
    case JwkKeyType::kRsa:
      members["e"] = Base64UrlEncode(e_);
      members["n"] = Base64UrlEncode(n_);
      break;
  }
  return Base64UrlEncode(Sha256(members.dump()));
}

absl::Status Jwk::CheckCanVerify(SignatureAlgorithm alg) const {
  const std::string who = kid_.empty()
                              ? std::string("the key")
                              : absl::StrCat("key ", QuoteForMessage(kid_));
  if (use_.has_value() && *use_ != "sig") {
    return TokenError(
        TokenReason::kKeyNotForSigning,
        absl::StrCat("signature check failed: ", who,
                     " has \"use\": ", QuoteForMessage(*use_),
                     "; only keys with \"use\": \"sig\" may verify "
                     "signatures"));
  }
  if (key_ops_.has_value() && std::find(key_ops_->begin(), key_ops_->end(),
                                        "verify") == key_ops_->end()) {
    return TokenError(TokenReason::kKeyNotForSigning,
                      absl::StrCat("signature check failed: ", who,
                                   " has \"key_ops\" without \"verify\""));
  }
  const std::optional<SignatureAlgorithm> own = signature_algorithm();
  if (!own.has_value() || *own != alg) {
    return TokenError(
        TokenReason::kAlgKeyMismatch,
        absl::StrCat("signature check failed: alg \"",
                     SignatureAlgorithmName(alg), "\" cannot be made by ", who,
                     " (", KeyDescription(*this), ")"));
  }
  if (alg_.has_value() && *alg_ != SignatureAlgorithmName(alg)) {
    return TokenError(
        TokenReason::kAlgKeyMismatch,
        absl::StrCat("signature check failed: the token's alg \"",
                     SignatureAlgorithmName(alg), "\" differs from the alg ",
                     QuoteForMessage(*alg_), " of ", who));
  }
  return absl::OkStatus();
}

const SecretBytes* Jwk::private_member(absl::string_view name,
                                       SecretAccess) const {
  if (private_ == nullptr) return nullptr;
  auto it = private_->members.find(std::string(name));
  return it == private_->members.end() ? nullptr : &it->second;
}

absl::StatusOr<std::shared_ptr<const Signer>> Jwk::signer() const {
  if (private_ == nullptr || private_->signer == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the JWK is not a private signing key (", KeyDescription(*this),
        private_ ? "" : ", public only", ")"));
  }
  return private_->signer;
}

absl::StatusOr<Jwks> Jwks::Parse(absl::string_view json) {
  ASSIGN_OR_RETURN(Json doc, internal::ParseStrictJson(json, kMaxJwksBytes));
  if (!doc.is_object()) {
    return absl::InvalidArgumentError(
        "a JWKS must be a JSON object with a \"keys\" array");
  }
  auto it = doc.find("keys");
  if (it == doc.end() || !it->is_array()) {
    return absl::InvalidArgumentError(
        "keys: is required and must be an array of JWKs");
  }
  if (it->size() > kMaxKeys) {
    return absl::InvalidArgumentError(absl::StrCat("keys: has ", it->size(),
                                                   " keys; at most ", kMaxKeys,
                                                   " are accepted"));
  }
  std::vector<Jwk> keys;
  for (size_t i = 0; i < it->size(); ++i) {
    ASSIGN_OR_RETURN(Jwk key, Jwk::FromJson((*it)[i], /*want_private=*/false,
                                            absl::StrCat("keys[", i, "]")));
    keys.push_back(std::move(key));
  }
  return FromKeys(std::move(keys));
}

absl::StatusOr<Jwks> Jwks::FromKeys(std::vector<Jwk> keys) {
  if (keys.size() > kMaxKeys) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a JWKS holds at most ", kMaxKeys, " keys, got ", keys.size()));
  }
  std::set<std::string> kids;
  Jwks set;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (!keys[i].kid().empty() && !kids.insert(keys[i].kid()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("keys[", i, "].kid: ", QuoteForMessage(keys[i].kid()),
                       " appears twice; kids must be unique in a JWKS"));
    }
    set.keys_.push_back(keys[i].ToPublic());
  }
  return set;
}

const Jwk* Jwks::Find(absl::string_view kid) const {
  for (const Jwk& key : keys_) {
    if (!key.kid().empty() && key.kid() == kid) return &key;
  }
  return nullptr;
}

nlohmann::json Jwks::ToJson() const {
  Json keys = Json::array();
  for (const Jwk& key : keys_) keys.push_back(key.ToPublicJson());
  return Json{{"keys", std::move(keys)}};
}

}  // namespace keys
