#include "keys/jws.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "keys/encoding.h"
#include "keys/internal/strict_json.h"
#include "keys/token_reason.h"

namespace keys {
namespace {

absl::Status Malformed(absl::string_view problem) {
  return TokenError(TokenReason::kMalformed,
                    absl::StrCat("format check failed: ", problem));
}

absl::StatusOr<std::string> DecodePart(absl::string_view part,
                                       absl::string_view name) {
  auto decoded = Base64UrlDecode(part);
  if (!decoded.ok()) {
    return Malformed(
        absl::StrCat("the ", name, " is not canonical unpadded base64url"));
  }
  return *std::move(decoded);
}

}  // namespace

absl::StatusOr<Jws> Jws::Parse(absl::string_view compact) {
  if (compact.size() > kMaxTokenBytes) {
    return TokenError(
        TokenReason::kTooLarge,
        absl::StrCat("format check failed: the token is ", compact.size(),
                     " bytes; at most ", kMaxTokenBytes, " are accepted"));
  }
  std::vector<absl::string_view> parts = absl::StrSplit(compact, '.');
  if (parts.size() != 3) {
    return Malformed(absl::StrCat(
        "a compact JWS has 3 dot-separated parts, this has ", parts.size()));
  }
  ASSIGN_OR_RETURN(std::string header_text, DecodePart(parts[0], "header"));
  auto header = internal::ParseStrictJson(header_text, kMaxTokenBytes);
  if (!header.ok()) {
    return Malformed(absl::StrCat("the header is not a JSON object: ",
                                  header.status().message()));
  }
  if (!header->is_object()) {
    return Malformed("the header is not a JSON object");
  }

  Jws jws;
  auto alg = header->find("alg");
  if (alg == header->end()) return Malformed("the header has no alg");
  if (!alg->is_string()) return Malformed("the header's alg is not a string");
  const std::string& alg_name = alg->get_ref<const std::string&>();
  std::optional<SignatureAlgorithm> parsed_alg =
      SignatureAlgorithmFromName(alg_name);
  if (!parsed_alg.has_value()) {
    std::string why = "is not accepted";
    if (alg_name == "none") {
      why = "(an unsigned token) is never accepted";
    } else if (absl::StartsWith(alg_name, "HS")) {
      why = "(a shared-secret MAC) is not accepted";
    }
    return TokenError(
        TokenReason::kAlgNotAllowed,
        absl::StrCat("algorithm check failed: alg ", QuoteForMessage(alg_name),
                     " ", why, "; use EdDSA, ES256 or RS256"));
  }
  jws.alg_ = *parsed_alg;

  if (header->contains("crit")) {
    return TokenError(TokenReason::kCritUnsupported,
                      "format check failed: the header lists critical "
                      "extensions (crit); none are supported");
  }
  if (auto kid = header->find("kid"); kid != header->end()) {
    if (!kid->is_string()) return Malformed("the header's kid is not a string");
    jws.kid_ = kid->get<std::string>();
  }

  ASSIGN_OR_RETURN(jws.payload_, DecodePart(parts[1], "payload"));
  ASSIGN_OR_RETURN(jws.signature_, DecodePart(parts[2], "signature"));
  if (jws.signature_.empty()) return Malformed("the signature is empty");
  jws.header_ = *std::move(header);
  jws.signing_input_ = absl::StrCat(parts[0], ".", parts[1]);
  return jws;
}

std::string Jws::Compact() const {
  return absl::StrCat(signing_input_, ".", Base64UrlEncode(signature_));
}

absl::Status VerifyJws(const Jws& jws, const Jwk& key) {
  RETURN_IF_ERROR(key.CheckCanVerify(jws.algorithm()));
  const Verifier* verifier = key.verifier();
  if (verifier == nullptr ||
      !verifier->Verify(jws.signing_input(), jws.signature()).ok()) {
    const std::string who =
        key.kid().empty() ? std::string("the key")
                          : absl::StrCat("key ", QuoteForMessage(key.kid()));
    return TokenError(TokenReason::kBadSignature,
                      absl::StrCat("signature check failed: the ",
                                   SignatureAlgorithmName(jws.algorithm()),
                                   " signature does not verify with ", who));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> SignJws(const Signer& signer,
                                    absl::string_view payload,
                                    const JwsSignOptions& options) {
  // nlohmann::json sorts members: alg, kid, typ.
  nlohmann::json header = nlohmann::json::object();
  header["alg"] = std::string(SignatureAlgorithmName(signer.algorithm()));
  if (options.kid.has_value()) header["kid"] = *options.kid;
  if (options.typ.has_value()) header["typ"] = *options.typ;
  ASSIGN_OR_RETURN(std::string header_text, internal::DumpJson(header));
  const std::string input =
      absl::StrCat(Base64UrlEncode(header_text), ".", Base64UrlEncode(payload));
  ASSIGN_OR_RETURN(std::string signature, signer.Sign(input));
  return absl::StrCat(input, ".", Base64UrlEncode(signature));
}

absl::StatusOr<std::string> SignJwt(const Signer& signer, absl::string_view kid,
                                    const nlohmann::json& claims) {
  if (!claims.is_object()) {
    return absl::InvalidArgumentError("JWT claims must be a JSON object");
  }
  JwsSignOptions options;
  options.kid = std::string(kid);
  options.typ = "JWT";
  ASSIGN_OR_RETURN(std::string payload, internal::DumpJson(claims));
  return SignJws(signer, payload, options);
}

}  // namespace keys
