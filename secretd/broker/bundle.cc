#include "secretd/broker/bundle.h"

#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace secretd {
namespace {

// Protobuf wire types.
constexpr uint32_t kVarint = 0;
constexpr uint32_t kLengthDelimited = 2;

size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

uint32_t Tag(uint32_t field, uint32_t wire_type) {
  return (field << 3) | wire_type;
}

// Sizes of one field, tag included; 0 for a proto3 default value.
size_t BytesFieldSize(uint32_t field, size_t length) {
  if (length == 0) return 0;
  return VarintSize(Tag(field, kLengthDelimited)) + VarintSize(length) + length;
}
size_t Int64FieldSize(uint32_t field, int64_t v) {
  if (v == 0) return 0;
  // int64 is encoded as the 64-bit two's complement varint (10 bytes when
  // negative), as protobuf does.
  return VarintSize(Tag(field, kVarint)) + VarintSize(static_cast<uint64_t>(v));
}

class Writer {
 public:
  explicit Writer(uint8_t* out) : p_(out) {}
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      *p_++ = static_cast<uint8_t>(v | 0x80);
      v >>= 7;
    }
    *p_++ = static_cast<uint8_t>(v);
  }
  void Bytes(uint32_t field, absl::string_view data) {
    if (data.empty()) return;
    Varint(Tag(field, kLengthDelimited));
    Varint(data.size());
    std::memcpy(p_, data.data(), data.size());
    p_ += data.size();
  }
  void Int64(uint32_t field, int64_t v) {
    if (v == 0) return;
    Varint(Tag(field, kVarint));
    Varint(static_cast<uint64_t>(v));
  }
  // The header of an embedded message of `length` bytes.
  void MessageHeader(uint32_t field, size_t length) {
    Varint(Tag(field, kLengthDelimited));
    Varint(length);
  }
  uint8_t* position() const { return p_; }

 private:
  uint8_t* p_;
};

size_t SecretSize(const BundleSecret& s) {
  return BytesFieldSize(1, s.name.size()) + Int64FieldSize(2, s.version) +
         BytesFieldSize(3, s.value.size());
}

}  // namespace

keys::SecretBytes EncodeSecretBundle(const BundleHeader& header,
                                     const std::vector<BundleSecret>& secrets) {
  size_t size = BytesFieldSize(1, header.request_id.size()) +
                BytesFieldSize(2, header.role.size()) +
                BytesFieldSize(3, header.subject.size()) +
                BytesFieldSize(4, header.token_id.size()) +
                BytesFieldSize(5, header.token_sha256.size()) +
                Int64FieldSize(6, header.issued_at) +
                Int64FieldSize(7, header.expires_at);
  for (const BundleSecret& s : secrets) {
    // An embedded message is written even when empty (it is a list entry).
    const size_t inner = SecretSize(s);
    size += VarintSize(Tag(8, kLengthDelimited)) + VarintSize(inner) + inner;
  }

  keys::SecretBytes out(size);
  const keys::SecretAccess access = keys::InsecureSecretAccess::Get();
  Writer w(out.data(access));
  w.Bytes(1, header.request_id);
  w.Bytes(2, header.role);
  w.Bytes(3, header.subject);
  w.Bytes(4, header.token_id);
  w.Bytes(5, header.token_sha256);
  w.Int64(6, header.issued_at);
  w.Int64(7, header.expires_at);
  for (const BundleSecret& s : secrets) {
    w.MessageHeader(8, SecretSize(s));
    w.Bytes(1, s.name);
    w.Int64(2, s.version);
    w.Bytes(3, s.value.AsStringView(access));
  }
  // The sizes above and the writes must agree exactly.
  if (w.position() != out.data(access) + size) std::abort();
  return out;
}

std::string ReleaseSignatureMessage(absl::string_view recipient_public_key,
                                    absl::string_view sealed_bundle) {
  std::string message;
  message.reserve(kReleaseSignatureContext.size() + 1 +
                  recipient_public_key.size() + sealed_bundle.size());
  absl::StrAppend(&message, kReleaseSignatureContext);
  message.push_back('\0');
  absl::StrAppend(&message, recipient_public_key, sealed_bundle);
  return message;
}

}  // namespace secretd
