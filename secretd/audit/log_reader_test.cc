#include "secretd/audit/log_reader.h"

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace secretd::audit {
namespace {

using ::common::testing::IsOk;
using ::common::testing::StatusIs;
using ::testing::ElementsAre;

std::string WriteFile(absl::string_view name, const std::string& data) {
  std::string path = absl::StrCat(getenv("TEST_TMPDIR"), "/", name);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  return path;
}

std::vector<std::string> ReadAll(LogReader& reader) {
  std::vector<std::string> lines;
  absl::string_view line;
  while (reader.Next(&line)) lines.emplace_back(line);
  return lines;
}

TEST(LogReaderTest, ReadsEveryLineWithItsNumber) {
  auto reader = LogReader::Open(WriteFile("three", "a\n\nccc\n"));
  ASSERT_OK(reader.status());
  EXPECT_THAT(ReadAll(**reader), ElementsAre("a", "", "ccc"));
  EXPECT_THAT((*reader)->status(), IsOk());
  EXPECT_EQ((*reader)->line_number(), 3u);
  EXPECT_EQ((*reader)->bytes_consumed(), 7u);
  EXPECT_EQ((*reader)->size_at_open(), 7u);
  EXPECT_TRUE((*reader)->torn_tail().empty());
}

TEST(LogReaderTest, LastLineWithoutNewlineIsTheTornTail) {
  auto reader = LogReader::Open(WriteFile("torn", "a\nhalf a rec"));
  ASSERT_OK(reader.status());
  EXPECT_THAT(ReadAll(**reader), ElementsAre("a"));
  EXPECT_EQ((*reader)->torn_tail(), "half a rec");
  EXPECT_EQ((*reader)->bytes_consumed(), 2u);
}

TEST(LogReaderTest, LinesAcrossChunkBoundariesAreWhole) {
  // 3 MiB of lines of varying length, so lines straddle every 1 MiB chunk.
  std::string data;
  std::vector<std::string> want;
  for (int i = 0; data.size() < (3u << 20); ++i) {
    std::string line(static_cast<size_t>(100 + (i * 7919) % 5000),
                     static_cast<char>('a' + i % 26));
    want.push_back(line);
    absl::StrAppend(&data, line, "\n");
  }
  auto reader = LogReader::Open(WriteFile("big", data));
  ASSERT_OK(reader.status());
  EXPECT_EQ(ReadAll(**reader), want);
  EXPECT_EQ((*reader)->bytes_consumed(), data.size());
}

TEST(LogReaderTest, OverlongLineIsDataLoss) {
  std::string data = "short\n" + std::string(kMaxLineBytes + 10, 'x') + "\n";
  auto reader = LogReader::Open(WriteFile("long", data));
  ASSERT_OK(reader.status());
  EXPECT_THAT(ReadAll(**reader), ElementsAre("short"));
  EXPECT_THAT((*reader)->status(),
              StatusIs(absl::StatusCode::kDataLoss,
                       ::testing::HasSubstr("line 2 is longer than")));
}

TEST(LogReaderTest, MissingFileIsNotFound) {
  EXPECT_THAT(LogReader::Open(absl::StrCat(getenv("TEST_TMPDIR"), "/nope")),
              StatusIs(absl::StatusCode::kNotFound,
                       ::testing::HasSubstr("cannot open audit log")));
}

TEST(LogReaderTest, DirectoryIsUnavailable) {
  EXPECT_THAT(LogReader::Open(getenv("TEST_TMPDIR")),
              StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace secretd::audit
