#include "bootstrap/own_token.h"

#include "absl/strings/str_cat.h"
#include "keys/jws.h"
#include "nlohmann/json.hpp"

namespace bootstrap {
namespace {

absl::Status Bad(absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("the attestor's token is not usable: ", why));
}

}  // namespace

absl::StatusOr<OwnTokenClaims> ReadOwnTokenClaims(absl::string_view token) {
  auto jws = keys::Jws::Parse(token);
  if (!jws.ok()) return Bad(jws.status().message());
  nlohmann::json claims = nlohmann::json::parse(jws->payload(), nullptr,
                                                /*allow_exceptions=*/false);
  if (!claims.is_object()) return Bad("the payload is not a JSON object");
  OwnTokenClaims out;
  for (const auto& [name, field] :
       {std::pair<const char*, std::string*>{"sub", &out.subject},
        {"jti", &out.token_id},
        {"nonce", &out.nonce}}) {
    auto it = claims.find(name);
    if (it == claims.end() || !it->is_string() ||
        it->get_ref<const std::string&>().empty()) {
      return Bad(absl::StrCat("claim \"", name,
                              "\" is missing or not a non-empty string"));
    }
    *field = it->get<std::string>();
  }
  auto cnf = claims.find("cnf");
  if (cnf == claims.end() || !cnf->is_object()) {
    return Bad("claim \"cnf\" is missing or not an object");
  }
  auto jwk = cnf->find("jwk");
  if (jwk == cnf->end() || !jwk->is_object()) {
    return Bad("claim \"cnf.jwk\" is missing or not an object");
  }
  auto x = jwk->find("x");
  if (x == jwk->end() || !x->is_string()) {
    return Bad("claim \"cnf.jwk.x\" is missing or not a string");
  }
  out.cnf_x25519 = x->get<std::string>();
  return out;
}

}  // namespace bootstrap
