#include "secretctl/audit/audit_key.h"

#include <sodium.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "secretd/audit/record.h"

namespace secretctl {

absl::StatusOr<AuditKey> AuditKeyFromBytes(absl::string_view public_key) {
  if (sodium_init() < 0) {
    return absl::InternalError("libsodium failed to initialise");
  }
  if (public_key.size() != crypto_sign_PUBLICKEYBYTES) {
    return absl::InvalidArgumentError(
        absl::StrCat("an audit public key is ", crypto_sign_PUBLICKEYBYTES,
                     " bytes, not ", public_key.size()));
  }
  AuditKey key;
  key.key_id =
      secretd::audit::HexSha256(secretd::audit::ComputeSha256(public_key))
          .substr(0, 16);
  key.check = [pk = std::string(public_key), id = key.key_id](
                  absl::string_view message, absl::string_view signature,
                  absl::string_view key_id) -> absl::Status {
    if (key_id != id) {
      return absl::NotFoundError(
          absl::StrCat("key id ", key_id, " is not ", id));
    }
    if (signature.size() != crypto_sign_BYTES ||
        crypto_sign_verify_detached(
            reinterpret_cast<const unsigned char*>(signature.data()),
            reinterpret_cast<const unsigned char*>(message.data()),
            message.size(),
            reinterpret_cast<const unsigned char*>(pk.data())) != 0) {
      return absl::UnauthenticatedError("signature does not verify");
    }
    return absl::OkStatus();
  };
  return key;
}

absl::StatusOr<AuditKey> LoadAuditPublicKey(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    std::string msg = absl::StrCat("cannot read audit public key \"", path,
                                   "\": ", strerror(err));
    return err == ENOENT ? absl::NotFoundError(msg)
                         : absl::InvalidArgumentError(msg);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (!text.empty() && text.back() == '\n') text.pop_back();
  std::string raw;
  // Canonical unpadded base64url only: decoding and re-encoding must give
  // the same text.
  if (text.size() > 64 || !absl::WebSafeBase64Unescape(text, &raw) ||
      absl::WebSafeBase64Escape(raw) != text) {
    return absl::InvalidArgumentError(
        absl::StrCat("audit public key \"", path,
                     "\" is not one line of unpadded base64url; expected the "
                     "keys/audit.pub that \"secretctl init\" wrote"));
  }
  auto key = AuditKeyFromBytes(raw);
  if (!key.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "audit public key \"", path, "\": ", key.status().message()));
  }
  key->path = path;
  return key;
}

}  // namespace secretctl
