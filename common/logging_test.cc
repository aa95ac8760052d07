#include "common/logging.h"

#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace common::log {
namespace {

using ::testing::ElementsAre;

// A type standing in for keys::SecretBytes: no conversion to any string.
class PretendSecret {
 public:
  const unsigned char* data() const { return nullptr; }
};

static_assert(!std::is_constructible_v<Field, absl::string_view, PretendSecret>,
              "a secret-holding type must not be loggable");
static_assert(
    !std::is_constructible_v<Field, absl::string_view, std::vector<uint8_t>>,
    "raw byte containers (key material) must not be loggable");
static_assert(!std::is_constructible_v<Field, absl::string_view, const void*>,
              "pointers must not be loggable");
static_assert(std::is_constructible_v<Field, absl::string_view, int>);
static_assert(std::is_constructible_v<Field, absl::string_view, std::string>);

class LoggingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetClock(&clock_);
    SetSink([this](absl::string_view line) {
      absl::MutexLock lock(&mu_);
      lines_.emplace_back(line);
    });
  }
  void TearDown() override {
    SetSink(nullptr);
    SetClock(nullptr);
    SetMinLevel(Level::kInfo);
  }
  std::vector<std::string> Lines() {
    absl::MutexLock lock(&mu_);
    return lines_;
  }

  testing::FakeClock clock_{absl::FromUnixMillis(1764135705123)};
  absl::Mutex mu_;
  std::vector<std::string> lines_;
};

TEST_F(LoggingTest, WritesOneJsonObjectPerLine) {
  Info("provision allowed",
       {{"request_id", "7f3c2a91"}, {"secrets", 3}, {"cached", true}});
  EXPECT_THAT(Lines(),
              ElementsAre("{\"time\":\"2025-11-26T05:41:45.123Z\","
                          "\"level\":\"info\",\"msg\":\"provision allowed\","
                          "\"request_id\":\"7f3c2a91\",\"secrets\":3,"
                          "\"cached\":true}\n"));
}

TEST_F(LoggingTest, DropsLinesBelowTheMinimumLevel) {
  SetMinLevel(Level::kWarning);
  Info("quiet");
  Warning("loud");
  ASSERT_EQ(Lines().size(), 1u);
  EXPECT_THAT(Lines()[0], ::testing::HasSubstr("\"level\":\"warning\""));
}

TEST_F(LoggingTest, EscapesControlCharactersQuotesAndInvalidUtf8) {
  Error("bad \"input\"\n", {{"path", std::string("a\\b\x01\xff")}});
  EXPECT_THAT(Lines()[0],
              ::testing::HasSubstr("\"msg\":\"bad \\\"input\\\"\\n\",\"path\":"
                                   "\"a\\\\b\\u0001\\u00ff\""));
}

TEST_F(LoggingTest, EscapesBetweenRunsOfPlainText) {
  std::string line;
  AppendJsonString(std::string("plain\x7f"
                               "del\ttab\xc3\xa9x\xe2\x82"
                               "end"),
                   &line);
  EXPECT_EQ(line, "\"plain\\u007fdel\\ttab\xc3\xa9x\\u00e2\\u0082end\"");
}

TEST_F(LoggingTest, KeepsValidMultibyteUtf8) {
  Info("r\xc3\xa9sum\xc3\xa9");
  EXPECT_THAT(Lines()[0],
              ::testing::HasSubstr("\"msg\":\"r\xc3\xa9sum\xc3\xa9\""));
}

TEST_F(LoggingTest, FormatsStatusDurationAndUnsignedFields) {
  Info("x", {{"status", absl::UnavailableError("store down")},
             {"latency", absl::Milliseconds(1500)},
             {"bytes", uint64_t{18446744073709551615u}}});
  EXPECT_THAT(Lines()[0],
              ::testing::HasSubstr("\"status\":\"UNAVAILABLE: store down\","
                                   "\"latency\":1.5,"
                                   "\"bytes\":18446744073709551615}"));
}

TEST(LogLevelTest, ParseLevelAcceptsNamesAndRejectsOthers) {
  Level level = Level::kInfo;
  EXPECT_TRUE(ParseLevel("DEBUG", &level).ok());
  EXPECT_EQ(level, Level::kDebug);
  absl::Status s = ParseLevel("verbose", &level);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "unknown log level \"verbose\"; use debug, info, warning or error");
}

}  // namespace
}  // namespace common::log
