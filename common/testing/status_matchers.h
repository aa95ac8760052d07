// GoogleTest matchers for absl::Status and absl::StatusOr<T>.
//
//   EXPECT_THAT(DoThing(), IsOk());
//   EXPECT_THAT(Parse(bad), StatusIs(absl::StatusCode::kInvalidArgument));
//   EXPECT_THAT(Parse(bad), StatusIs(absl::StatusCode::kInvalidArgument,
//                                    HasSubstr("Statement[0].Effect")));
//   EXPECT_THAT(Parse(good), IsOkAndHolds(Eq(42)));
//   ASSERT_OK_AND_ASSIGN(auto key, ParseKey(json));
//
// Check for the specific expected error, never just "not ok". Testonly.
#ifndef SECRETD_COMMON_TESTING_STATUS_MATCHERS_H_
#define SECRETD_COMMON_TESTING_STATUS_MATCHERS_H_

#include <ostream>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace common::testing {
namespace internal {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

template <typename StatusType>
class StatusIsMatcherImpl : public ::testing::MatcherInterface<StatusType> {
 public:
  StatusIsMatcherImpl(absl::StatusCode code,
                      ::testing::Matcher<const std::string&> message)
      : code_(code), message_(std::move(message)) {}

  void DescribeTo(std::ostream* os) const override {
    *os << "has status code " << absl::StatusCodeToString(code_)
        << " and a message that ";
    message_.DescribeTo(os);
  }
  void DescribeNegationTo(std::ostream* os) const override {
    *os << "does not have status code " << absl::StatusCodeToString(code_)
        << " or has a message that ";
    message_.DescribeNegationTo(os);
  }
  bool MatchAndExplain(
      StatusType value,
      ::testing::MatchResultListener* listener) const override {
    const absl::Status& status = GetStatus(value);
    *listener << "whose status is " << status;
    if (status.code() != code_) return false;
    return message_.MatchAndExplain(std::string(status.message()), listener);
  }

 private:
  absl::StatusCode code_;
  ::testing::Matcher<const std::string&> message_;
};

class StatusIsMatcher {
 public:
  StatusIsMatcher(absl::StatusCode code,
                  ::testing::Matcher<const std::string&> message)
      : code_(code), message_(std::move(message)) {}
  template <typename StatusType>
  operator ::testing::Matcher<StatusType>() const {  // NOLINT
    return ::testing::Matcher<StatusType>(
        new StatusIsMatcherImpl<StatusType>(code_, message_));
  }

 private:
  absl::StatusCode code_;
  ::testing::Matcher<const std::string&> message_;
};

template <typename StatusOrType>
class IsOkAndHoldsMatcherImpl
    : public ::testing::MatcherInterface<StatusOrType> {
 public:
  using ValueType = typename std::remove_reference_t<StatusOrType>::value_type;
  template <typename InnerMatcher>
  explicit IsOkAndHoldsMatcherImpl(InnerMatcher&& inner)
      : inner_(::testing::SafeMatcherCast<const ValueType&>(
            std::forward<InnerMatcher>(inner))) {}

  void DescribeTo(std::ostream* os) const override {
    *os << "is OK and has a value that ";
    inner_.DescribeTo(os);
  }
  void DescribeNegationTo(std::ostream* os) const override {
    *os << "is not OK or has a value that ";
    inner_.DescribeNegationTo(os);
  }
  bool MatchAndExplain(
      StatusOrType value,
      ::testing::MatchResultListener* listener) const override {
    if (!value.ok()) {
      *listener << "which has status " << value.status();
      return false;
    }
    return inner_.MatchAndExplain(*value, listener);
  }

 private:
  ::testing::Matcher<const ValueType&> inner_;
};

template <typename InnerMatcher>
class IsOkAndHoldsMatcher {
 public:
  explicit IsOkAndHoldsMatcher(InnerMatcher inner) : inner_(std::move(inner)) {}
  template <typename StatusOrType>
  operator ::testing::Matcher<StatusOrType>() const {  // NOLINT
    return ::testing::Matcher<StatusOrType>(
        new IsOkAndHoldsMatcherImpl<const StatusOrType&>(inner_));
  }

 private:
  InnerMatcher inner_;
};

}  // namespace internal

// Matches an ok absl::Status or absl::StatusOr<T>.
MATCHER(IsOk, negation ? "is not OK" : "is OK") {
  const absl::Status& status = internal::GetStatus(arg);
  if (!status.ok()) *result_listener << "whose status is " << status;
  return status.ok();
}

// Matches a status (or StatusOr) with exactly `code`, and optionally a message
// matching `message`.
inline internal::StatusIsMatcher StatusIs(
    absl::StatusCode code,
    ::testing::Matcher<const std::string&> message = ::testing::_) {
  return internal::StatusIsMatcher(code, std::move(message));
}

// Matches an ok StatusOr whose value matches `inner`.
template <typename InnerMatcher>
internal::IsOkAndHoldsMatcher<std::decay_t<InnerMatcher>> IsOkAndHolds(
    InnerMatcher&& inner) {
  return internal::IsOkAndHoldsMatcher<std::decay_t<InnerMatcher>>(
      std::forward<InnerMatcher>(inner));
}

}  // namespace common::testing

#define SECRETD_TESTING_CONCAT_INNER_(a, b) a##b
#define SECRETD_TESTING_CONCAT_(a, b) SECRETD_TESTING_CONCAT_INNER_(a, b)

// Asserts that `rexpr` (a StatusOr) is ok and moves its value into `lhs`.
#define ASSERT_OK_AND_ASSIGN(lhs, rexpr)                                 \
  auto SECRETD_TESTING_CONCAT_(secretd_statusor_, __LINE__) = (rexpr);   \
  ASSERT_TRUE(SECRETD_TESTING_CONCAT_(secretd_statusor_, __LINE__).ok()) \
      << SECRETD_TESTING_CONCAT_(secretd_statusor_, __LINE__).status();  \
  lhs = std::move(SECRETD_TESTING_CONCAT_(secretd_statusor_, __LINE__)).value()

#define ASSERT_OK(expr) ASSERT_THAT((expr), ::common::testing::IsOk())
#define EXPECT_OK(expr) EXPECT_THAT((expr), ::common::testing::IsOk())

#endif  // SECRETD_COMMON_TESTING_STATUS_MATCHERS_H_
