#include "bootstrap/file_writer.h"

#include <dirent.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "bootstrap/testing/files.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keys/testing/fake_random.h"

namespace bootstrap {
namespace {

using ::bootstrap::testing::ModeOf;
using ::bootstrap::testing::ReadFileForTest;
using ::common::testing::IsOk;
using ::common::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Every entry below `dir`, as relative paths ("a", "a/b").
std::set<std::string> Tree(const std::string& dir,
                           const std::string& prefix = "") {
  std::set<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    std::string rel = prefix.empty() ? name : prefix + "/" + name;
    out.insert(rel);
    struct stat st;
    if (lstat((dir + "/" + name).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      for (const std::string& sub : Tree(dir + "/" + name, rel)) {
        out.insert(sub);
      }
    }
  }
  closedir(d);
  return out;
}

class FileWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    ASSERT_NE(tmp, nullptr);
    dir_ = std::string(tmp) + "/" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    ASSERT_EQ(mkdir(dir_.c_str(), 0700), 0);
  }

  absl::Status Write(const std::vector<FileToWrite>& files) {
    auto out = OutDir::Open(dir_, /*allow_disk=*/true);
    if (!out.ok()) return out.status();
    return out->WriteAll(files, random_);
  }

  std::string dir_;
  keys::testing::FakeRandom random_;
  keys::SecretBytes a_ = keys::SecretBytes::CopyFrom("alpha\n");
  keys::SecretBytes b_ = keys::SecretBytes::CopyFrom(std::string("b\0c", 3));
};

TEST_F(FileWriterTest, WritesFilesWithTheirModesAndCreatesDirectories) {
  ASSERT_THAT(
      Write({{"app/db/password", 0400, {}, &a_}, {"flat", 0640, {}, &b_}}),
      IsOk());
  EXPECT_THAT(Tree(dir_),
              ElementsAre("app", "app/db", "app/db/password", "flat"));
  EXPECT_EQ(ReadFileForTest(dir_ + "/app/db/password"), "alpha\n");
  EXPECT_EQ(ReadFileForTest(dir_ + "/flat"), std::string("b\0c", 3));
  EXPECT_EQ(ModeOf(dir_ + "/app/db/password"), 0400u);
  EXPECT_EQ(ModeOf(dir_ + "/flat"), 0640u);
  EXPECT_EQ(ModeOf(dir_ + "/app"), 0711u);
  EXPECT_EQ(ModeOf(dir_ + "/app/db"), 0711u);
}

TEST_F(FileWriterTest, DirectoryModeIgnoresTheUmask) {
  const mode_t old = umask(0077);
  ASSERT_THAT(Write({{"d/f", 0400, {}, &a_}}), IsOk());
  umask(old);
  EXPECT_EQ(ModeOf(dir_ + "/d"), 0711u);
}

TEST_F(FileWriterTest, ReplacesAnExistingFileAtomically) {
  ASSERT_THAT(Write({{"f", 0400, {}, &a_}}), IsOk());
  struct stat before;
  ASSERT_EQ(stat((dir_ + "/f").c_str(), &before), 0);
  ASSERT_THAT(Write({{"f", 0440, {}, &b_}}), IsOk());
  struct stat after;
  ASSERT_EQ(stat((dir_ + "/f").c_str(), &after), 0);
  // A new inode was renamed over the old one; nothing else is left.
  EXPECT_NE(before.st_ino, after.st_ino);
  EXPECT_EQ(ReadFileForTest(dir_ + "/f"), std::string("b\0c", 3));
  EXPECT_THAT(Tree(dir_), ElementsAre("f"));
}

TEST_F(FileWriterTest, SetsTheOwnerWhenRoot) {
  if (!bootstrap::testing::CanChownTo(4242)) {
    GTEST_SKIP() << "not root, or uid 4242 is not mapped here";
  }
  Owner owner{4242, 4343};
  ASSERT_THAT(Write({{"owned", 0400, owner, &a_}}), IsOk());
  struct stat st;
  ASSERT_EQ(stat((dir_ + "/owned").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 4242u);
  EXPECT_EQ(st.st_gid, 4343u);
}

TEST_F(FileWriterTest, ChownWithoutRootFailsClearlyAndLeavesNothing) {
  // The write with an OWNER, as the user the test runs as, or (as root) in a
  // child that has become uid/gid 65534 (nobody) and owns the directory.
  auto write_with_owner = [this]() {
    Owner owner{geteuid() + 1, static_cast<gid_t>(-1)};
    return Write({{"first", 0400, {}, &a_}, {"d/owned", 0400, owner, &a_}});
  };
  const auto expected = StatusIs(absl::StatusCode::kPermissionDenied,
                                 HasSubstr("setting an OWNER needs root"));
  if (geteuid() != 0) {
    EXPECT_THAT(write_with_owner(), expected);
  } else {
    constexpr uid_t kNobody = 65534;
    // TEST_TMPDIR may sit under /root (0700): use a directory in /tmp.
    std::string in_tmp = "/tmp/secretd-file-writer-test.XXXXXX";
    if (mkdtemp(in_tmp.data()) == nullptr) {
      GTEST_SKIP() << "cannot make a directory in /tmp here";
    }
    dir_ = in_tmp;
    struct RemoveDir {
      std::string path;
      ~RemoveDir() { std::filesystem::remove_all(path); }
    } remove_dir{in_tmp};
    ASSERT_EQ(chown(dir_.c_str(), kNobody, kNobody), 0);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      if (setgroups(0, nullptr) != 0 || setgid(kNobody) != 0 ||
          setuid(kNobody) != 0) {
        _exit(3);
      }
      // A parent directory nobody cannot search: nothing to check here.
      if (access(dir_.c_str(), W_OK | X_OK) != 0) _exit(77);
      const absl::Status status = write_with_owner();
      const bool as_expected =
          status.code() == absl::StatusCode::kPermissionDenied &&
          absl::StrContains(status.message(), "setting an OWNER needs root");
      _exit(as_expected ? 0 : 1);
    }
    int wstatus = 0;
    ASSERT_EQ(waitpid(child, &wstatus, 0), child);
    ASSERT_TRUE(WIFEXITED(wstatus)) << "child status " << wstatus;
    if (WEXITSTATUS(wstatus) == 77) {
      GTEST_SKIP() << "uid 65534 cannot reach " << dir_;
    }
    EXPECT_EQ(WEXITSTATUS(wstatus), 0)
        << "as uid 65534: 1 = another status than PERMISSION_DENIED \"setting "
           "an OWNER needs root\", 3 = could not drop privileges";
  }
  EXPECT_THAT(Tree(dir_), ElementsAre());
}

TEST_F(FileWriterTest, SymlinkedDirectoryIsNotFollowed) {
  const std::string outside = dir_ + "-outside";
  ASSERT_EQ(mkdir(outside.c_str(), 0700), 0);
  ASSERT_EQ(symlink(outside.c_str(), (dir_ + "/app").c_str()), 0);
  EXPECT_THAT(Write({{"ok", 0400, {}, &a_}, {"app/password", 0400, {}, &a_}}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("is a symlink or not a directory")));
  EXPECT_THAT(Tree(outside), ElementsAre());
  // The first file's temporary file was removed; the symlink is untouched.
  EXPECT_THAT(Tree(dir_), ElementsAre("app"));
}

TEST_F(FileWriterTest, CheckPathsFindsSymlinksBeforeWriting) {
  const std::string outside = dir_ + "-outside2";
  ASSERT_EQ(mkdir(outside.c_str(), 0700), 0);
  ASSERT_EQ(mkdir((dir_ + "/a").c_str(), 0700), 0);
  ASSERT_EQ(symlink(outside.c_str(), (dir_ + "/a/link").c_str()), 0);
  ASSERT_OK_AND_ASSIGN(OutDir out, OutDir::Open(dir_, true));
  EXPECT_THAT(out.CheckPaths({"f", "a/new/deeper/f", "b/c"}), IsOk());
  EXPECT_THAT(out.CheckPaths({"f", "a/link/f"}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("a/link\" is a symlink")));
  EXPECT_THAT(Tree(dir_), ElementsAre("a", "a/link"));
}

TEST_F(FileWriterTest, SymlinkAtTheTargetIsReplacedNotFollowed) {
  const std::string outside = dir_ + "-target";
  ASSERT_EQ(symlink(outside.c_str(), (dir_ + "/f").c_str()), 0);
  ASSERT_THAT(Write({{"f", 0400, {}, &a_}}), IsOk());
  struct stat st;
  ASSERT_EQ(lstat((dir_ + "/f").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_NE(access(outside.c_str(), F_OK), 0);
}

TEST_F(FileWriterTest, FailureRemovesCreatedDirectoriesAndTemporaryFiles) {
  // "x/y" is a regular file, so "x/y/z" cannot be created under it.
  ASSERT_EQ(mkdir((dir_ + "/x").c_str(), 0700), 0);
  { std::ofstream((dir_ + "/x/y").c_str()) << "file"; }
  EXPECT_THAT(Write({{"new/dir/a", 0400, {}, &a_}, {"x/y/z", 0400, {}, &b_}}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(Tree(dir_), ElementsAre("x", "x/y"));
}

TEST_F(FileWriterTest, GroupWritableDirectoryIsRefused) {
  ASSERT_EQ(mkdir((dir_ + "/shared").c_str(), 0700), 0);
  ASSERT_EQ(chmod((dir_ + "/shared").c_str(), 0770), 0);
  EXPECT_THAT(Write({{"shared/f", 0400, {}, &a_}}),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("writable by group or others")));
  ASSERT_EQ(chmod(dir_.c_str(), 0777), 0);
  EXPECT_THAT(OutDir::Open(dir_, true),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("writable by group or others")));
}

TEST_F(FileWriterTest, DiskOutDirIsRefusedWithoutAllowDisk) {
  // TEST_TMPDIR is on a disk file system here; if it ever is a tmpfs the
  // refusal cannot be shown with it.
  auto out = OutDir::Open(dir_, /*allow_disk=*/false);
  if (out.ok()) GTEST_SKIP() << "TEST_TMPDIR is on tmpfs";
  EXPECT_THAT(out, StatusIs(absl::StatusCode::kFailedPrecondition,
                            HasSubstr("is not on tmpfs or ramfs")));
  EXPECT_THAT(out.status().message(), HasSubstr("--allow-disk"));
}

TEST_F(FileWriterTest, MissingOutDirIsCreated) {
  const std::string sub = dir_ + "/secrets";
  ASSERT_OK_AND_ASSIGN(OutDir out, OutDir::Open(sub, true));
  EXPECT_EQ(out.path(), sub);
  EXPECT_EQ(ModeOf(sub), 0711u);
}

TEST(IsMemoryFileSystemTest, KnowsTmpfsAndRamfs) {
  EXPECT_TRUE(IsMemoryFileSystem(0x01021994));
  EXPECT_TRUE(IsMemoryFileSystem(0x858458f6));
  EXPECT_FALSE(IsMemoryFileSystem(0xEF53));  // ext4
}

TEST(ValidateRelativePathTest, AcceptsPlainRelativePaths) {
  for (const char* ok : {"a", "a/b/c", "db.password", "-x", ".hidden/x"}) {
    EXPECT_THAT(ValidateRelativePath(ok), IsOk()) << ok;
  }
}

TEST(ValidateRelativePathTest, RejectsEscapesAndOddPaths) {
  for (const char* bad : {"", "/etc/passwd", "../x", "a/../../x", "a/./b", ".",
                          "a//b", "a/", ".bootstrap-tmp-1"}) {
    EXPECT_THAT(ValidateRelativePath(bad),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
  EXPECT_THAT(ValidateRelativePath(std::string(256, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateRelativePath(std::string("a\0b", 3)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CheckDistinctPathsTest, RefusesDuplicatesAndFileDirectoryClashes) {
  EXPECT_THAT(CheckDistinctPaths({"a", "a-b", "a.b", "b/c"}), IsOk());
  EXPECT_THAT(CheckDistinctPaths({"a/b", "c", "a/b"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("two secrets would be written to \"a/b\"")));
  EXPECT_THAT(CheckDistinctPaths({"a/b/c", "a-x", "a"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("\"a\" would be both a file and the "
                                 "directory of \"a/b/c\"")));
}

}  // namespace
}  // namespace bootstrap
