#include "keys/x25519.h"

#include <sodium.h>

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "keys/internal/sodium.h"

namespace keys {
namespace {

static_assert(crypto_box_PUBLICKEYBYTES == kX25519KeySize);
static_assert(crypto_box_SECRETKEYBYTES == kX25519KeySize);
static_assert(crypto_box_SEALBYTES == kSealOverhead);

// The u-coordinates of every point of small order on Curve25519 and its
// twist, in canonical little-endian form (libsodium's has_small_order list
// without the non-canonical entries, which are refused separately).
constexpr uint8_t kSmallOrder[][32] = {
    // 0 (order 4 on the curve, 2 on the twist)
    {0},
    // 1 (order 1 / 4)
    {1},
    // 325606250916557431795983626356110631294008115727848805560023387167927233504
    // (order 8)
    {0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3,
     0xfa, 0xf1, 0x9f, 0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32,
     0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00},
    // 39382357235489614581723060781553021112529911719440698176882885853963445705823
    // (order 8)
    {0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1,
     0x55, 0x9c, 0x83, 0xef, 0x5b, 0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c,
     0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f, 0x11, 0x57},
    // p - 1 (order 2)
    {0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
};

// True if the little-endian `u` is >= p = 2^255 - 19 or has the top bit set.
bool IsNonCanonical(const uint8_t* u) {
  if (u[31] & 0x80) return true;
  if (u[31] != 0x7f) return false;
  for (int i = 30; i >= 1; --i) {
    if (u[i] != 0xff) return false;
  }
  return u[0] >= 0xed;
}

}  // namespace

absl::Status ValidateX25519PublicKey(absl::string_view public_key) {
  if (public_key.size() != kX25519KeySize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "an X25519 public key is 32 bytes, got ", public_key.size()));
  }
  const auto* u = reinterpret_cast<const uint8_t*>(public_key.data());
  if (IsNonCanonical(u)) {
    return absl::InvalidArgumentError(
        "X25519 public key is not canonically encoded (u >= 2^255 - 19 or the "
        "top bit is set)");
  }
  for (const auto& bad : kSmallOrder) {
    if (sodium_memcmp(u, bad, kX25519KeySize) == 0) {
      return absl::InvalidArgumentError(
          "X25519 public key is a point of small order; it cannot receive "
          "sealed data");
    }
  }
  return absl::OkStatus();
}

X25519KeyPair X25519KeyPair::Generate() {
  internal::EnsureSodium();
  SecretBytes sk(kX25519KeySize);
  std::string pk(kX25519KeySize, '\0');
  crypto_box_keypair(reinterpret_cast<uint8_t*>(pk.data()),
                     sk.data(InsecureSecretAccess::Get()));
  return X25519KeyPair(std::move(sk), std::move(pk));
}

X25519KeyPair X25519KeyPair::Generate(RandomSource& random) {
  auto pair = FromPrivateKey(RandomSecretBytes(random, kX25519KeySize));
  return std::move(pair).value();  // the size is right by construction
}

absl::StatusOr<X25519KeyPair> X25519KeyPair::FromPrivateKey(
    SecretBytes private_key) {
  internal::EnsureSodium();
  if (private_key.size() != kX25519KeySize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "an X25519 private key is 32 bytes, got ", private_key.size()));
  }
  std::string pk(kX25519KeySize, '\0');
  if (crypto_scalarmult_base(reinterpret_cast<uint8_t*>(pk.data()),
                             private_key.data(InsecureSecretAccess::Get())) !=
      0) {
    return absl::InvalidArgumentError("X25519 private key is degenerate");
  }
  return X25519KeyPair(std::move(private_key), std::move(pk));
}

absl::StatusOr<std::string> SealTo(absl::string_view recipient_public_key,
                                   absl::string_view plaintext) {
  internal::EnsureSodium();
  if (absl::Status s = ValidateX25519PublicKey(recipient_public_key); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot seal: ", s.message()));
  }
  std::string sealed(plaintext.size() + kSealOverhead, '\0');
  if (crypto_box_seal(
          reinterpret_cast<uint8_t*>(sealed.data()),
          reinterpret_cast<const uint8_t*>(plaintext.data()), plaintext.size(),
          reinterpret_cast<const uint8_t*>(recipient_public_key.data())) != 0) {
    // Unreachable after validation; libsodium refuses small-order keys too.
    return absl::InvalidArgumentError(
        "cannot seal: crypto_box_seal refused the recipient key");
  }
  return sealed;
}

absl::StatusOr<SecretBytes> OpenSealed(const X25519KeyPair& recipient,
                                       absl::string_view sealed) {
  internal::EnsureSodium();
  if (sealed.size() < kSealOverhead) {
    return absl::InvalidArgumentError(
        absl::StrCat("sealed box is ", sealed.size(), " bytes; at least ",
                     kSealOverhead, " are needed"));
  }
  SecretBytes plaintext(sealed.size() - kSealOverhead);
  const SecretAccess access = InsecureSecretAccess::Get();
  if (crypto_box_seal_open(
          plaintext.data(access),
          reinterpret_cast<const uint8_t*>(sealed.data()), sealed.size(),
          reinterpret_cast<const uint8_t*>(recipient.public_key().data()),
          recipient.private_key(access).data(access)) != 0) {
    return absl::InvalidArgumentError(
        "sealed box does not open with this key (sealed to another key, or "
        "modified)");
  }
  return plaintext;
}

}  // namespace keys
