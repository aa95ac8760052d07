#include "secretd/audit/log_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
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
using ::common::testing::IsOkAndHolds;
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

TEST(LogFileTest, ReadersOfOneOpenFileStartAtTheBeginningAndDoNotInterfere) {
  ASSERT_OK_AND_ASSIGN(auto file,
                       LogFile::Open(WriteFile("twice", "a\nbb\nc\n")));
  auto first = LogReader::Read(*file);
  absl::string_view line;
  ASSERT_TRUE(first->Next(&line));
  EXPECT_EQ(line, "a");
  auto second = LogReader::Read(*file);
  EXPECT_THAT(ReadAll(*second), ElementsAre("a", "bb", "c"));
  EXPECT_THAT(ReadAll(*first), ElementsAre("bb", "c"));
  EXPECT_EQ(first->path(), file->path());
  EXPECT_EQ(second->size_at_open(), 7u);
}

TEST(LogFileTest, ReaderStopsAtItsLimit) {
  ASSERT_OK_AND_ASSIGN(auto file,
                       LogFile::Open(WriteFile("limit", "a\nbb\nc\n")));
  auto reader = LogReader::Read(*file, 5);
  EXPECT_THAT(ReadAll(*reader), ElementsAre("a", "bb"));
  EXPECT_THAT(reader->status(), IsOk());
  EXPECT_TRUE(reader->torn_tail().empty());
  EXPECT_EQ(reader->bytes_consumed(), 5u);
  // A limit inside a line leaves that line as the torn tail.
  auto cut = LogReader::Read(*file, 4);
  EXPECT_THAT(ReadAll(*cut), ElementsAre("a"));
  EXPECT_EQ(cut->torn_tail(), "bb");
}

TEST(LogFileTest, AFileRenamedIntoItsPlaceIsNeverRead) {
  const std::string path = WriteFile("renamed", "original\n");
  ASSERT_OK_AND_ASSIGN(auto file, LogFile::Open(path));
  const std::string other = WriteFile("renamed.new", "forged!!\n");
  ASSERT_EQ(rename(other.c_str(), path.c_str()), 0);
  EXPECT_THAT(ReadAll(*LogReader::Read(*file)), ElementsAre("original"));
  EXPECT_THAT(file->ChangeSinceOpen(),
              IsOkAndHolds(LogFile::Change::kReplaced));
  ASSERT_EQ(unlink(path.c_str()), 0);
  EXPECT_THAT(file->ChangeSinceOpen(),
              IsOkAndHolds(LogFile::Change::kReplaced));
}

TEST(LogFileTest, ChangeSinceOpenTellsAppendsFromRewrites) {
  const std::string path = WriteFile("changes", "abc\n");
  {
    ASSERT_OK_AND_ASSIGN(auto file, LogFile::Open(path));
    EXPECT_THAT(file->ChangeSinceOpen(), IsOkAndHolds(LogFile::Change::kNone));
    std::ofstream(path, std::ios::binary | std::ios::app) << "def\n";
    EXPECT_THAT(file->ChangeSinceOpen(), IsOkAndHolds(LogFile::Change::kGrew));
  }
  {
    // Same size, new modification time (set explicitly: file times are
    // coarser than a test is fast).
    ASSERT_OK_AND_ASSIGN(auto file, LogFile::Open(path));
    const int fd = open(path.c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(pwrite(fd, "X", 1, 0), 1);
    const timespec times[2] = {{0, UTIME_OMIT}, {1000000000, 0}};
    ASSERT_EQ(futimens(fd, times), 0);
    close(fd);
    EXPECT_THAT(file->ChangeSinceOpen(),
                IsOkAndHolds(LogFile::Change::kRewritten));
  }
  {
    ASSERT_OK_AND_ASSIGN(auto file, LogFile::Open(path));
    ASSERT_EQ(truncate(path.c_str(), 2), 0);
    EXPECT_THAT(file->ChangeSinceOpen(),
                IsOkAndHolds(LogFile::Change::kRewritten));
  }
}

}  // namespace
}  // namespace secretd::audit
