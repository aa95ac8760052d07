#include "keys/encoding.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <cstdio>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "keys/internal/openssl.h"
#include "keys/internal/sodium.h"

namespace keys {
namespace {

constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;

static_assert(sizeof(crypto_hash_sha256_state) <= 128,
              "Sha256Hasher::state_ is too small");

// True if every character is in the base64url alphabet. Branch-free in the
// characters, like libsodium's decoder, since key files pass through here.
bool AllBase64UrlCharacters(absl::string_view text) {
  unsigned bad = 0;
  for (const char ch : text) {
    const unsigned c = static_cast<unsigned char>(ch);
    const unsigned ok = static_cast<unsigned>(c - 'A' < 26u) |
                        static_cast<unsigned>(c - 'a' < 26u) |
                        static_cast<unsigned>(c - '0' < 10u) |
                        static_cast<unsigned>(c == '-') |
                        static_cast<unsigned>(c == '_');
    bad |= ok ^ 1u;
  }
  return bad == 0;
}

// Decodes into `out` (capacity for the decoded size); returns the length.
absl::StatusOr<size_t> DecodeInto(absl::string_view text, uint8_t* out,
                                  size_t capacity) {
  internal::EnsureSodium();
  // libsodium 1.0.18's sodium_base642bin accepts every byte >= 0x80 as a
  // base64 character (found by //tests/fuzz/keys:jws_fuzzer), so check the
  // alphabet first.
  if (!AllBase64UrlCharacters(text)) {
    return absl::InvalidArgumentError(
        "not canonical base64url (RFC 4648 §5, unpadded)");
  }
  // sodium_base642bin stops at the first character outside the alphabet
  // and still reports success, so require that it consumed everything.
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out, capacity, text.data(), text.size(), nullptr, &len,
                        &end, kVariant) != 0 ||
      end != text.data() + text.size()) {
    return absl::InvalidArgumentError(
        "not canonical base64url (RFC 4648 §5, unpadded)");
  }
  return len;
}

// A SHA-256 that is not the data's would be written into audit chains and
// compared against tokens, so a failure that "cannot happen" stops the
// process instead (STYLE.md: crash on "cannot happen").
[[noreturn]] void Sha256Failed(absl::string_view call) {
  const std::string message(internal::OpenSslError(call).message());
  std::fprintf(stderr, "keys: SHA-256: %s\n", message.c_str());
  std::abort();
}

}  // namespace

std::string Base64UrlEncode(absl::string_view bytes) {
  internal::EnsureSodium();
  const size_t cap = sodium_base64_ENCODED_LEN(bytes.size(), kVariant);
  std::string out(cap, '\0');
  sodium_bin2base64(out.data(), cap,
                    reinterpret_cast<const uint8_t*>(bytes.data()),
                    bytes.size(), kVariant);
  out.resize(cap - 1);  // drop the NUL
  return out;
}

absl::StatusOr<std::string> Base64UrlDecode(absl::string_view text) {
  std::string out(text.size() * 3 / 4 + 1, '\0');
  auto len =
      DecodeInto(text, reinterpret_cast<uint8_t*>(out.data()), out.size());
  if (!len.ok()) return len.status();
  out.resize(*len);
  return out;
}

absl::StatusOr<SecretBytes> Base64UrlDecodeSecret(absl::string_view text) {
  SecretBytes buffer(text.size() * 3 / 4 + 1);
  auto len =
      DecodeInto(text, buffer.data(InsecureSecretAccess::Get()), buffer.size());
  if (!len.ok()) return len.status();
  if (*len == buffer.size()) return buffer;
  return SecretBytes::CopyFrom(
      buffer.AsStringView(InsecureSecretAccess::Get()).substr(0, *len));
}

std::string Base64UrlEncodeSecret(const SecretBytes& secret,
                                  SecretAccess access) {
  return Base64UrlEncode(secret.AsStringView(access));
}

std::string HexEncode(absl::string_view bytes) {
  internal::EnsureSodium();
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(),
                 reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  out.pop_back();
  return out;
}

absl::StatusOr<std::string> HexDecode(absl::string_view text) {
  internal::EnsureSodium();
  if (text.size() % 2 != 0) {
    return absl::InvalidArgumentError("hex string has an odd length");
  }
  std::string out(text.size() / 2, '\0');
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_hex2bin(reinterpret_cast<uint8_t*>(out.data()), out.size(),
                     text.data(), text.size(), nullptr, &len, &end) != 0 ||
      end != text.data() + text.size() || len != out.size()) {
    return absl::InvalidArgumentError("not a hex string");
  }
  return out;
}

Sha256Digest Sha256Of(std::initializer_list<absl::string_view> pieces) {
  // OpenSSL uses the CPU's SHA extensions where it has them (several times
  // faster than libsodium's portable code on a token-sized input). Fetching
  // the digest and making a context cost more than hashing a short input, so
  // the digest is fetched once and each thread reuses one context.
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  thread_local const internal::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (md == nullptr) Sha256Failed("EVP_MD_fetch(SHA256)");
  if (ctx == nullptr) Sha256Failed("EVP_MD_CTX_new");
  if (EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1) {
    Sha256Failed("EVP_DigestInit_ex");
  }
  for (const absl::string_view piece : pieces) {
    if (EVP_DigestUpdate(ctx.get(), piece.data(), piece.size()) != 1) {
      Sha256Failed("EVP_DigestUpdate");
    }
  }
  Sha256Digest out;
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), out.data(), &len) != 1 ||
      len != out.size()) {
    Sha256Failed("EVP_DigestFinal_ex");
  }
  return out;
}

std::string Sha256(absl::string_view data) {
  const Sha256Digest digest = Sha256Of({data});
  return std::string(reinterpret_cast<const char*>(digest.data()),
                     digest.size());
}

std::string Sha256Hex(absl::string_view data) {
  return HexEncode(Sha256(data));
}

Sha256Hasher::Sha256Hasher() {
  internal::EnsureSodium();
  crypto_hash_sha256_init(reinterpret_cast<crypto_hash_sha256_state*>(state_));
}

void Sha256Hasher::Update(absl::string_view data) {
  crypto_hash_sha256_update(reinterpret_cast<crypto_hash_sha256_state*>(state_),
                            reinterpret_cast<const uint8_t*>(data.data()),
                            data.size());
}

std::string Sha256Hasher::Finish() {
  std::string out(crypto_hash_sha256_BYTES, '\0');
  crypto_hash_sha256_final(reinterpret_cast<crypto_hash_sha256_state*>(state_),
                           reinterpret_cast<uint8_t*>(out.data()));
  return out;
}

std::string PublicKeyId(absl::string_view public_key) {
  return Sha256Hex(public_key).substr(0, 16);
}

}  // namespace keys
