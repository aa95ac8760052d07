#include "keys/signature.h"

namespace keys {

absl::string_view SignatureAlgorithmName(SignatureAlgorithm alg) {
  switch (alg) {
    case SignatureAlgorithm::kEdDSA:
      return "EdDSA";
    case SignatureAlgorithm::kES256:
      return "ES256";
    case SignatureAlgorithm::kRS256:
      return "RS256";
  }
  return "unknown";
}

std::optional<SignatureAlgorithm> SignatureAlgorithmFromName(
    absl::string_view name) {
  if (name == "EdDSA") return SignatureAlgorithm::kEdDSA;
  if (name == "ES256") return SignatureAlgorithm::kES256;
  if (name == "RS256") return SignatureAlgorithm::kRS256;
  return std::nullopt;
}

}  // namespace keys
