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
// unprotected region up to whole pages, between two guard pages. Values up
// to 64 KiB use blocks of 1, 2, 4, 8 or 16 pages (minus room for the
// canary), and freed blocks are wiped and kept for reuse: a cache hit costs
// a mutex instead of the mmap/mprotect/mlock/munmap of sodium_malloc and
// sodium_free (about 25 µs). The data always ends where its block ends, at
// the trailing guard page, so an overflow faults at once.
constexpr int kSizeClasses = 5;
constexpr size_t ClassCapacity(int k) { return (size_t{4096} << k) - 32; }
constexpr size_t kMaxCachedPerClass[kSizeClasses] = {64, 16, 8, 4, 4};

// The smallest class holding `size`, or -1 for larger values.
int SizeClass(size_t size) {
  for (int k = 0; k < kSizeClasses; ++k) {
    if (size <= ClassCapacity(k)) return k;
  }
  return -1;
}

class BlockCache {
 public:
  void* Take(int k) {
    absl::MutexLock lock(&mu_);
    std::vector<void*>& list = free_[k];
    if (list.empty()) return nullptr;
    void* block = list.back();
    list.pop_back();
    return block;
  }
  // Takes ownership of a wiped block; false if the class is full.
  bool Put(int k, void* block) {
    absl::MutexLock lock(&mu_);
    std::vector<void*>& list = free_[k];
    if (list.size() >= kMaxCachedPerClass[k]) return false;
    list.push_back(block);
    return true;
  }

 private:
  absl::Mutex mu_;
  std::vector<void*> free_[kSizeClasses] ABSL_GUARDED_BY(mu_);
};

BlockCache& Cache() {
  static BlockCache* cache = new BlockCache;  // never destroyed
  return *cache;
}

// A per-thread front for the one-page class (keys, passwords, bundles), so
// the common case takes no lock. At most two blocks (8 KiB) per thread;
// returned to the shared cache when the thread exits.
//
// `local_state` (trivially destructible, so readable at any time) guards
// against use after the thread's LocalCache was destroyed, e.g. by a static
// SecretBytes freed during exit: 0 not yet built, 1 alive, 2 destroyed.
thread_local int local_state = 0;

class LocalCache {
 public:
  LocalCache() { local_state = 1; }
  ~LocalCache() {
    local_state = 2;
    for (int i = 0; i < count_; ++i) {
      if (!Cache().Put(0, blocks_[i])) sodium_free(blocks_[i]);
    }
  }
  void* Take() { return count_ > 0 ? blocks_[--count_] : nullptr; }
  bool Put(void* block) {
    if (count_ == kSlots) return false;
    blocks_[count_++] = block;
    return true;
  }

 private:
  static constexpr int kSlots = 2;
  void* blocks_[kSlots] = {};
  int count_ = 0;
};

thread_local LocalCache local_cache;

void* TakeBlock(int k) {
  if (k == 0 && local_state != 2) {
    if (void* block = local_cache.Take()) return block;
  }
  return Cache().Take(k);
}

// Takes ownership of a wiped block.
void PutBlock(int k, void* block) {
  if (k == 0 && local_state != 2 && local_cache.Put(block)) return;
  if (!Cache().Put(k, block)) sodium_free(block);
}

[[noreturn]] void OutOfMemory(size_t size) {
  std::fprintf(stderr, "keys: sodium_malloc(%zu) failed\n", size);
  std::abort();
}

}  // namespace

SecretBytes::SecretBytes(size_t size) : size_(size) {
  if (size == 0) return;
  internal::EnsureSodium();
  const int k = SizeClass(size);
  if (k >= 0) {
    const size_t capacity = ClassCapacity(k);
    block_ = TakeBlock(k);
    if (block_ == nullptr) block_ = sodium_malloc(capacity);
    if (block_ == nullptr) OutOfMemory(capacity);
    // End the data at the guard page that follows the block.
    data_ = static_cast<uint8_t*>(block_) + (capacity - size);
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
  const int k = SizeClass(size_);
  if (k >= 0) {
    sodium_memzero(data_, size_);
    PutBlock(k, block_);
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
