#include "keys/kek.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "keys/encoding.h"

namespace keys {
namespace {

std::string KekId(const SecretBytes& key) {
  Sha256Hasher h;
  h.Update(absl::string_view("secretd-kek-id-v1\0", 18));
  h.Update(key.AsStringView(InsecureSecretAccess::Get()));
  return HexEncode(h.Finish()).substr(0, 16);
}

}  // namespace

Kek Kek::Generate(RandomSource& random) {
  SecretBytes key = RandomSecretBytes(random, kKekSize);
  std::string id = KekId(key);
  return Kek(std::move(key), std::move(id));
}

absl::StatusOr<Kek> Kek::FromBytes(SecretBytes key) {
  if (key.size() != kKekSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("a KEK is 32 bytes, got ", key.size()));
  }
  std::string id = KekId(key);
  return Kek(std::move(key), std::move(id));
}

}  // namespace keys
