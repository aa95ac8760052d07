#include "bootstrap/testing/files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <sstream>

namespace bootstrap::testing {

std::string ReadFileForTest(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

mode_t ModeOf(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return 0xFFFF;
  return st.st_mode & 07777;
}

bool CanChownTo(uid_t uid) {
  if (geteuid() != 0) return false;
  std::ifstream in("/proc/self/uid_map");
  uint64_t inside, outside, count;
  while (in >> inside >> outside >> count) {
    if (uid >= inside && uid - inside < count) return true;
  }
  return false;
}

}  // namespace bootstrap::testing
