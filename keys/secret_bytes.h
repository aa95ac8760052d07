// SecretBytes: key material and secret values in guarded, locked memory.
//
//   keys::SecretBytes key = keys::RandomSecretBytes(random, 32);
//   // Raw access needs a token, so every raw read shows up in a grep:
//   absl::string_view raw =
//   key.AsStringView(keys::InsecureSecretAccess::Get());
//
// Memory comes from libsodium's sodium_malloc: guard pages on both sides,
// mlock(2)ed so it is not swapped, excluded from core dumps, and wiped when
// the value is destroyed or moved from. Equality compares contents in
// constant time (sodium_memcmp). There is no operator<<, no debug string
// and no conversion to std::string, so a SecretBytes cannot be printed or
// logged by accident (common::log::Field rejects it too).
//
// Values up to 64 KiB reuse wiped blocks from a bounded process-wide cache
// (at most about 1 MiB), because sodium_malloc and sodium_free cost several
// system calls (about 25 µs together); the data of a cached block still
// ends at the trailing guard page, so an overflow faults at once.
//
// Thread-safety: a SecretBytes is a value; distinct values may be used from
// different threads. Move-only: copy explicitly with Clone().
#ifndef SECRETD_KEYS_SECRET_BYTES_H_
#define SECRETD_KEYS_SECRET_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string>

#include "absl/strings/string_view.h"

namespace keys {

class InsecureSecretAccess;

// A capability to read raw secret bytes. Only InsecureSecretAccess::Get()
// makes one, so `grep InsecureSecretAccess` lists every raw read.
class SecretAccess {
 private:
  SecretAccess() = default;
  friend class InsecureSecretAccess;
};

class InsecureSecretAccess {
 public:
  static SecretAccess Get() { return SecretAccess(); }
};

class SecretBytes final {
 public:
  // Empty.
  SecretBytes() noexcept = default;
  // `size` zero bytes.
  explicit SecretBytes(size_t size);
  // A copy of `bytes`. The caller wipes the source if it was secret.
  static SecretBytes CopyFrom(absl::string_view bytes);

  ~SecretBytes();
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  // An explicit copy into new guarded memory.
  SecretBytes Clone() const;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Raw access. The pointers stay valid until the value is destroyed,
  // moved from or assigned to.
  const uint8_t* data(SecretAccess) const { return data_; }
  uint8_t* data(SecretAccess) { return data_; }
  absl::string_view AsStringView(SecretAccess) const {
    return absl::string_view(reinterpret_cast<const char*>(data_), size_);
  }

  // Constant-time in the contents; sizes are not secret.
  friend bool operator==(const SecretBytes& a, const SecretBytes& b);
  friend bool operator!=(const SecretBytes& a, const SecretBytes& b) {
    return !(a == b);
  }

  // Deliberately not printable.
  friend std::ostream& operator<<(std::ostream&, const SecretBytes&) = delete;

 private:
  void Release();

  uint8_t* data_ = nullptr;
  void* block_ = nullptr;  // what sodium_malloc returned
  size_t size_ = 0;
};

// Overwrites the contents of `s` with zeros (sodium_memzero) and clears it.
// For transient copies of secrets that had to live in a std::string (file
// contents, JSON text). Best effort: copies made earlier are not reached.
void WipeString(std::string* s);

}  // namespace keys

#endif  // SECRETD_KEYS_SECRET_BYTES_H_
