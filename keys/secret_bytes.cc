#include "keys/secret_bytes.h"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "keys/internal/sodium.h"

namespace keys {
namespace {

// sodium_malloc puts a 16-byte canary before the data and rounds the
// unprotected region up to whole pages, so any size up to one page minus
// the canary costs one locked page between two guard pages. Blocks of
// exactly that size are cached.
constexpr size_t kCachedBlockSize = 4096 - 32;
constexpr size_t kMaxCachedBlocks = 64;

class BlockCache {
 public:
  void* Take() {
    absl::MutexLock lock(&mu_);
    if (free_.empty()) return nullptr;
    void* block = free_.back();
    free_.pop_back();
    return block;
  }
  // Takes ownership of a wiped block; false if the cache is full.
  bool Put(void* block) {
    absl::MutexLock lock(&mu_);
    if (free_.size() >= kMaxCachedBlocks) return false;
    free_.push_back(block);
    return true;
  }

 private:
  absl::Mutex mu_;
  std::vector<void*> free_ ABSL_GUARDED_BY(mu_);
};

BlockCache& Cache() {
  static BlockCache* cache = new BlockCache;  // never destroyed
  return *cache;
}

[[noreturn]] void OutOfMemory(size_t size) {
  std::fprintf(stderr, "keys: sodium_malloc(%zu) failed\n", size);
  std::abort();
}

}  // namespace

SecretBytes::SecretBytes(size_t size) : size_(size) {
  if (size == 0) return;
  internal::EnsureSodium();
  if (size <= kCachedBlockSize) {
    block_ = Cache().Take();
    if (block_ == nullptr) block_ = sodium_malloc(kCachedBlockSize);
    if (block_ == nullptr) OutOfMemory(kCachedBlockSize);
    // End the data at the guard page that follows the block.
    data_ = static_cast<uint8_t*>(block_) + (kCachedBlockSize - size);
  } else {
    block_ = sodium_malloc(size);
    if (block_ == nullptr) OutOfMemory(size);
    data_ = static_cast<uint8_t*>(block_);
  }
  sodium_memzero(data_, size_);
}

SecretBytes SecretBytes::CopyFrom(absl::string_view bytes) {
  SecretBytes out(bytes.size());
  if (!bytes.empty()) std::memcpy(out.data_, bytes.data(), bytes.size());
  return out;
}

SecretBytes::~SecretBytes() { Release(); }

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : data_(other.data_), block_(other.block_), size_(other.size_) {
  other.data_ = nullptr;
  other.block_ = nullptr;
  other.size_ = 0;
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    Release();
    data_ = other.data_;
    block_ = other.block_;
    size_ = other.size_;
    other.data_ = nullptr;
    other.block_ = nullptr;
    other.size_ = 0;
  }
  return *this;
}

SecretBytes SecretBytes::Clone() const {
  return CopyFrom(AsStringView(InsecureSecretAccess::Get()));
}

void SecretBytes::Release() {
  if (block_ == nullptr) return;
  if (size_ <= kCachedBlockSize) {
    sodium_memzero(data_, size_);
    if (!Cache().Put(block_)) sodium_free(block_);
  } else {
    sodium_free(block_);  // wipes
  }
  data_ = nullptr;
  block_ = nullptr;
  size_ = 0;
}

bool operator==(const SecretBytes& a, const SecretBytes& b) {
  if (a.size_ != b.size_) return false;
  if (a.size_ == 0) return true;
  return sodium_memcmp(a.data_, b.data_, a.size_) == 0;
}

void WipeString(std::string* s) {
  if (!s->empty()) sodium_memzero(s->data(), s->size());
  s->clear();
  s->shrink_to_fit();
}

}  // namespace keys
