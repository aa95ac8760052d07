#include "secretd/admin/unix_socket.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace secretd {
namespace {

using ::common::testing::IsOk;
using ::common::testing::StatusIs;
using ::testing::HasSubstr;

class UnixSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(
        std::getenv("TEST_TMPDIR"), "/",
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    ASSERT_EQ(mkdir(dir_.c_str(), 0700), 0);
    path_ = dir_ + "/admin.sock";
  }

  // A socket file nobody listens on, as a dead process leaves it.
  void MakeStaleSocket(const std::string& path) {
    ASSERT_OK_AND_ASSIGN(UnixListener l, ListenUnixSocket(path, 0600));
    // Closing the listener keeps the file.
  }

  mode_t Mode(const std::string& path) {
    struct stat st;
    EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
    return st.st_mode;
  }

  std::string dir_;
  std::string path_;
};

TEST_F(UnixSocketTest, ListenMakesASocketWithTheModeWhateverTheUmask) {
  const mode_t old = umask(0);
  absl::StatusOr<UnixListener> l = ListenUnixSocket(path_, 0600);
  umask(old);
  ASSERT_OK(l.status());
  EXPECT_TRUE(S_ISSOCK(Mode(path_)));
  EXPECT_EQ(Mode(path_) & 07777, 0600u);
  ASSERT_OK_AND_ASSIGN(UniqueFd c, ConnectUnixSocket(path_));
  EXPECT_TRUE(c.valid());
}

TEST_F(UnixSocketTest, PathsLongerThanSunPathWork) {
  std::string deep = dir_;
  while (deep.size() < 200) {
    deep += "/a-rather-long-directory-name";
    ASSERT_EQ(mkdir(deep.c_str(), 0700), 0);
  }
  const std::string path = deep + "/admin.sock";
  ASSERT_GT(path.size(), sizeof(sockaddr_un{}.sun_path));
  ASSERT_OK_AND_ASSIGN(UnixListener l, ListenUnixSocket(path, 0600));
  EXPECT_TRUE(S_ISSOCK(Mode(path)));
  EXPECT_EQ(Mode(path) & 07777, 0600u);
  ASSERT_OK_AND_ASSIGN(UniqueFd c, ConnectUnixSocket(path));
  ASSERT_OK_AND_ASSIGN(PeerCredentials peer, GetPeerCredentials(c.get()));
  EXPECT_EQ(peer.pid, getpid());
  RemoveUnixSocket(path, l);
  EXPECT_EQ(access(path.c_str(), F_OK), -1);
}

TEST_F(UnixSocketTest, ShortPathsWork) {
  // TEST_TMPDIR is long; reach it through a short alias.
  UniqueFd dir(open(dir_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(dir.valid());
  const std::string path = absl::StrCat("/proc/self/fd/", dir.get(), "/s");
  ASSERT_OK_AND_ASSIGN(UnixListener l, ListenUnixSocket(path, 0600));
  EXPECT_TRUE(S_ISSOCK(Mode(dir_ + "/s")));
  EXPECT_OK(ConnectUnixSocket(path).status());
}

TEST_F(UnixSocketTest, ConnectSaysWhetherNothingServes) {
  EXPECT_THAT(ConnectUnixSocket(path_),
              StatusIs(absl::StatusCode::kNotFound,
                       absl::StrCat("cannot connect to \"", path_,
                                    "\": No such file or directory")));
  EXPECT_THAT(ConnectUnixSocket(dir_ + "/missing-dir/admin.sock"),
              StatusIs(absl::StatusCode::kNotFound));
  MakeStaleSocket(path_);
  EXPECT_THAT(ConnectUnixSocket(path_),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("Connection refused")));
  EXPECT_THAT(ConnectUnixSocket(""),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(UnixSocketTest, ListenReplacesAStaleSocket) {
  MakeStaleSocket(path_);
  ASSERT_THAT(ConnectUnixSocket(path_),
              StatusIs(absl::StatusCode::kUnavailable));
  ASSERT_OK_AND_ASSIGN(UnixListener l, ListenUnixSocket(path_, 0600));
  EXPECT_OK(ConnectUnixSocket(path_).status());
  EXPECT_EQ(Mode(path_) & 07777, 0600u);
}

TEST_F(UnixSocketTest, ListenRefusesASocketSomeoneListensOn) {
  ASSERT_OK_AND_ASSIGN(UnixListener first, ListenUnixSocket(path_, 0600));
  EXPECT_THAT(ListenUnixSocket(path_, 0600),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       absl::StrCat("another process is listening on \"", path_,
                                    "\"; is secretd already serving this data "
                                    "directory?")));
  // The first one still serves.
  struct stat st;
  ASSERT_EQ(lstat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_ino, first.ino);
  EXPECT_OK(ConnectUnixSocket(path_).status());
}

TEST_F(UnixSocketTest, ListenRefusesAPathThatIsNotASocket) {
  const std::string expected = absl::StrCat(
      "\"", path_,
      "\" exists and is not a socket; it is left alone: move it away if it "
      "is not needed");
  { std::ofstream(path_) << "precious"; }
  EXPECT_THAT(ListenUnixSocket(path_, 0600),
              StatusIs(absl::StatusCode::kFailedPrecondition, expected));
  std::ifstream in(path_);
  std::string content;
  in >> content;
  EXPECT_EQ(content, "precious");
  ASSERT_EQ(unlink(path_.c_str()), 0);

  ASSERT_EQ(mkdir(path_.c_str(), 0700), 0);
  EXPECT_THAT(ListenUnixSocket(path_, 0600),
              StatusIs(absl::StatusCode::kFailedPrecondition, expected));
  ASSERT_EQ(rmdir(path_.c_str()), 0);

  // A symlink, even to a stale socket, is not followed or replaced.
  MakeStaleSocket(dir_ + "/target.sock");
  ASSERT_EQ(symlink((dir_ + "/target.sock").c_str(), path_.c_str()), 0);
  EXPECT_THAT(ListenUnixSocket(path_, 0600),
              StatusIs(absl::StatusCode::kFailedPrecondition, expected));
  struct stat st;
  ASSERT_EQ(lstat(path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_TRUE(S_ISSOCK(Mode(dir_ + "/target.sock")));
}

TEST_F(UnixSocketTest, RemoveLeavesANewerServersSocket) {
  ASSERT_OK_AND_ASSIGN(UnixListener old, ListenUnixSocket(path_, 0600));
  ASSERT_EQ(unlink(path_.c_str()), 0);
  ASSERT_OK_AND_ASSIGN(UnixListener newer, ListenUnixSocket(path_, 0600));
  RemoveUnixSocket(path_, old);
  EXPECT_TRUE(S_ISSOCK(Mode(path_)));
  RemoveUnixSocket(path_, newer);
  EXPECT_EQ(access(path_.c_str(), F_OK), -1);
}

TEST_F(UnixSocketTest, PeerCredentialsNameTheConnectingProcess) {
  ASSERT_OK_AND_ASSIGN(UnixListener l, ListenUnixSocket(path_, 0600));
  ASSERT_OK_AND_ASSIGN(UniqueFd client, ConnectUnixSocket(path_));
  UniqueFd server(accept4(l.fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_TRUE(server.valid()) << std::strerror(errno);
  ASSERT_OK_AND_ASSIGN(PeerCredentials peer, GetPeerCredentials(server.get()));
  EXPECT_EQ(peer.uid, static_cast<int64_t>(geteuid()));
  EXPECT_EQ(peer.gid, static_cast<int64_t>(getegid()));
  EXPECT_EQ(peer.pid, getpid());
}

TEST_F(UnixSocketTest, PeerCredentialsOfOtherDescriptorsFail) {
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  UniqueFd r(pipe_fds[0]), w(pipe_fds[1]);
  EXPECT_THAT(GetPeerCredentials(r.get()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  UniqueFd tcp(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(tcp.valid());
  EXPECT_THAT(
      GetPeerCredentials(tcp.get()),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               absl::StrCat("fd ", tcp.get(), " is not a Unix socket")));
}

TEST(UniqueFdTest, ClosesOnDestructionAndMovesOwnership) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  {
    UniqueFd a(fds[0]);
    UniqueFd b(std::move(a));
    EXPECT_FALSE(a.valid());
    EXPECT_EQ(b.get(), fds[0]);
  }
  EXPECT_EQ(fcntl(fds[0], F_GETFD), -1);
  UniqueFd c(fds[1]);
  const int raw = c.release();
  EXPECT_FALSE(c.valid());
  EXPECT_EQ(close(raw), 0);
}

}  // namespace
}  // namespace secretd
