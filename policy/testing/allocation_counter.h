// Counts heap allocations: linking //policy/testing:allocation_counter
// replaces the global operator new of the binary with one that counts.
//
//   const long before = policy::testing::AllocationCount();
//   set->Evaluate(request);
//   EXPECT_EQ(policy::testing::AllocationCount() - before, 0);
//
// Under AddressSanitizer the sanitizer's operator new stays in place and
// AllocationCountingAvailable() is false. Testonly; thread-safe.
#ifndef SECRETD_POLICY_TESTING_ALLOCATION_COUNTER_H_
#define SECRETD_POLICY_TESTING_ALLOCATION_COUNTER_H_

namespace policy::testing {

// Whether operator new is the counting one in this build.
bool AllocationCountingAvailable();
// Calls of operator new (all forms, all threads) since the process started.
long AllocationCount();

}  // namespace policy::testing

#endif  // SECRETD_POLICY_TESTING_ALLOCATION_COUNTER_H_
