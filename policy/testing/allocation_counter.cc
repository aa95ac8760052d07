#include "policy/testing/allocation_counter.h"

#include <atomic>
#include <cstdlib>
#include <new>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SECRETD_KEEP_OPERATOR_NEW 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define SECRETD_KEEP_OPERATOR_NEW 1
#endif

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

#ifndef SECRETD_KEEP_OPERATOR_NEW
// GCC sees these inlined and flags free() of what "operator new" returned;
// they are a matched malloc/free pair.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) std::abort();
  return p;
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
#endif

namespace policy::testing {

bool AllocationCountingAvailable() {
#ifdef SECRETD_KEEP_OPERATOR_NEW
  return false;
#else
  return true;
#endif
}

long AllocationCount() { return g_allocations.load(); }

}  // namespace policy::testing
