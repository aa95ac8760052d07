// Fuzzes the JWK and JWKS parsers (keys::Jwk::ParsePublic/ParsePrivate,
// keys::Jwks::Parse).
//
// Properties: whatever parses writes back (ToPublicJson / ToPrivateJson /
// Jwks::ToJson) to JSON that parses again into the same key: same type,
// kid, use, alg, key_ops and RFC 7638 thumbprint; private keys keep their
// private half.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "keys/jwk.h"
#include "keys/secret_bytes.h"

namespace {

bool SameKey(const keys::Jwk& a, const keys::Jwk& b) {
  return a.type() == b.type() && a.kid() == b.kid() && a.use() == b.use() &&
         a.alg() == b.alg() && a.key_ops() == b.key_ops() &&
         a.Thumbprint() == b.Thumbprint() && a.x() == b.x() && a.y() == b.y() &&
         a.n() == b.n() && a.e() == b.e();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);

  if (auto key = keys::Jwk::ParsePublic(input); key.ok()) {
    if (key->is_private()) std::abort();
    auto again = keys::Jwk::FromPublicJson(key->ToPublicJson());
    if (!again.ok() || !SameKey(*key, *again)) std::abort();
  }

  if (auto key = keys::Jwk::ParsePrivate(input); key.ok()) {
    if (!key->is_private()) std::abort();
    auto text = key->ToPrivateJson(keys::InsecureSecretAccess::Get());
    if (!text.ok()) std::abort();
    auto again = keys::Jwk::ParsePrivate(
        text->AsStringView(keys::InsecureSecretAccess::Get()));
    if (!again.ok() || !SameKey(*key, *again)) std::abort();
    if (key->signature_algorithm().has_value() && !again->signer().ok()) {
      std::abort();
    }
  }

  if (auto jwks = keys::Jwks::Parse(input); jwks.ok()) {
    auto again = keys::Jwks::Parse(jwks->ToJson().dump());
    if (!again.ok() || again->keys().size() != jwks->keys().size()) {
      std::abort();
    }
    for (size_t i = 0; i < jwks->keys().size(); ++i) {
      if (!SameKey(jwks->keys()[i], again->keys()[i])) std::abort();
      const std::string& kid = jwks->keys()[i].kid();
      if (!kid.empty() && jwks->Find(kid) != &jwks->keys()[i]) std::abort();
    }
  }
  return 0;
}
