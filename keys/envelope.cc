#include "keys/envelope.h"

#include <sodium.h>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "keys/internal/sodium.h"

namespace keys {
namespace {

constexpr size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kTag = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr size_t kKey = crypto_aead_xchacha20poly1305_ietf_KEYBYTES;
static_assert(kNonce + kKey + kTag == kWrappedDataKeySize);
static_assert(kNonce + kTag == kCiphertextOverhead);
static_assert(kKey == kKekSize);

constexpr absl::string_view kAadLabel = "secretd-secret-v1";

// nonce ‖ AEAD(key, nonce, plaintext, aad).
std::string Seal(const uint8_t* key, absl::string_view plaintext,
                 absl::string_view aad, RandomSource& random) {
  std::string out(kNonce + plaintext.size() + kTag, '\0');
  auto* nonce = reinterpret_cast<uint8_t*>(out.data());
  random.Fill(nonce, kNonce);
  unsigned long long len = 0;  // NOLINT(runtime/int)
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      nonce + kNonce, &len, reinterpret_cast<const uint8_t*>(plaintext.data()),
      plaintext.size(), reinterpret_cast<const uint8_t*>(aad.data()),
      aad.size(), nullptr, nonce, key);
  return out;
}

// Opens nonce ‖ AEAD(...) into `out` (sized for the plaintext). False if it
// does not authenticate.
bool Open(const uint8_t* key, absl::string_view sealed, absl::string_view aad,
          uint8_t* out) {
  const auto* nonce = reinterpret_cast<const uint8_t*>(sealed.data());
  return crypto_aead_xchacha20poly1305_ietf_decrypt(
             out, nullptr, nullptr, nonce + kNonce, sealed.size() - kNonce,
             reinterpret_cast<const uint8_t*>(aad.data()), aad.size(), nonce,
             key) == 0;
}

std::string Describe(absl::string_view name, int64_t version) {
  return absl::StrCat("secret \"", name, "\" version ", version);
}

// Unwraps the data key into `data_key` (32 bytes, owned by the caller, who
// wipes it).
absl::Status Unwrap(const Kek& kek, absl::string_view name, int64_t version,
                    absl::string_view aad, const EncryptedSecret& encrypted,
                    uint8_t* data_key) {
  if (encrypted.kek_id != kek.id()) {
    return absl::FailedPreconditionError(
        absl::StrCat(Describe(name, version), " is wrapped by KEK ",
                     encrypted.kek_id, " but the KEK loaded is ", kek.id(),
                     "; load the KEK it was written with, or rewrap it"));
  }
  if (encrypted.wrapped_data_key.size() != kWrappedDataKeySize) {
    return absl::DataLossError(
        absl::StrCat(Describe(name, version), ": wrapped data key is ",
                     encrypted.wrapped_data_key.size(), " bytes, expected ",
                     kWrappedDataKeySize));
  }
  const SecretAccess access = InsecureSecretAccess::Get();
  if (!Open(kek.key(access).data(access), encrypted.wrapped_data_key, aad,
            data_key)) {
    return absl::DataLossError(absl::StrCat(
        Describe(name, version),
        ": the data key does not authenticate (the row was modified, or "
        "belongs to another name or version)"));
  }
  return absl::OkStatus();
}

// A data key on the stack for the length of one call, wiped on every path
// (as libsodium keeps its own derived keys). Not copyable.
class StackKey {
 public:
  StackKey() = default;
  ~StackKey() { sodium_memzero(bytes_, sizeof(bytes_)); }
  StackKey(const StackKey&) = delete;
  StackKey& operator=(const StackKey&) = delete;
  uint8_t* get() { return bytes_; }

 private:
  uint8_t bytes_[kKey] = {};
};

}  // namespace

absl::StatusOr<std::string> SecretAad(absl::string_view name, int64_t version) {
  if (name.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError("a secret name may not contain NUL");
  }
  if (version < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("a secret version must be >= 0, got ", version));
  }
  std::string aad;
  aad.reserve(kAadLabel.size() + name.size() + 9);
  aad.append(kAadLabel.data(), kAadLabel.size());
  aad.append(name.data(), name.size());
  aad.push_back('\0');
  for (int shift = 56; shift >= 0; shift -= 8) {
    aad.push_back(
        static_cast<char>((static_cast<uint64_t>(version) >> shift) & 0xff));
  }
  return aad;
}

absl::StatusOr<EncryptedSecret> EncryptSecret(const Kek& kek,
                                              absl::string_view name,
                                              int64_t version,
                                              absl::string_view plaintext,
                                              RandomSource& random) {
  internal::EnsureSodium();
  ASSIGN_OR_RETURN(std::string aad, SecretAad(name, version));
  const SecretAccess access = InsecureSecretAccess::Get();
  SecretBytes data_key = RandomSecretBytes(random, kKey);
  EncryptedSecret out;
  out.kek_id = kek.id();
  out.ciphertext = Seal(data_key.data(access), plaintext, aad, random);
  out.wrapped_data_key = Seal(kek.key(access).data(access),
                              data_key.AsStringView(access), aad, random);
  return out;
}

absl::StatusOr<SecretBytes> DecryptSecret(const Kek& kek,
                                          absl::string_view name,
                                          int64_t version,
                                          const EncryptedSecret& encrypted) {
  internal::EnsureSodium();
  ASSIGN_OR_RETURN(std::string aad, SecretAad(name, version));
  StackKey data_key;
  RETURN_IF_ERROR(Unwrap(kek, name, version, aad, encrypted, data_key.get()));
  if (encrypted.ciphertext.size() < kCiphertextOverhead) {
    return absl::DataLossError(
        absl::StrCat(Describe(name, version), ": ciphertext is ",
                     encrypted.ciphertext.size(), " bytes, at least ",
                     kCiphertextOverhead, " expected"));
  }
  const SecretAccess access = InsecureSecretAccess::Get();
  SecretBytes plaintext(encrypted.ciphertext.size() - kCiphertextOverhead);
  if (!Open(data_key.get(), encrypted.ciphertext, aad,
            plaintext.data(access))) {
    return absl::DataLossError(absl::StrCat(
        Describe(name, version),
        ": the value does not authenticate (the row was modified, or belongs "
        "to another name or version)"));
  }
  return plaintext;
}

absl::StatusOr<EncryptedSecret> RewrapSecret(
    const Kek& old_kek, const Kek& new_kek, absl::string_view name,
    int64_t version, const EncryptedSecret& encrypted, RandomSource& random) {
  internal::EnsureSodium();
  ASSIGN_OR_RETURN(std::string aad, SecretAad(name, version));
  StackKey data_key;
  RETURN_IF_ERROR(
      Unwrap(old_kek, name, version, aad, encrypted, data_key.get()));
  const SecretAccess access = InsecureSecretAccess::Get();
  EncryptedSecret out;
  out.kek_id = new_kek.id();
  out.wrapped_data_key = Seal(
      new_kek.key(access).data(access),
      absl::string_view(reinterpret_cast<const char*>(data_key.get()), kKey),
      aad, random);
  out.ciphertext = encrypted.ciphertext;
  return out;
}

}  // namespace keys
