// Runs LLVMFuzzerTestOneInput once on every file named on the command line
// (or every file in a named directory), without libFuzzer. Each fuzz target's
// `<name>_corpus_test` links this with the gcc build, so the seed corpus and
// every crash found and added to it are regression tests of `bazel test //...`.
#include <dirent.h>
#include <sys/stat.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

bool RunFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    return false;
  }
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                          std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()),
                         bytes.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 0;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    struct stat st;
    if (stat(arg.c_str(), &st) != 0) {
      std::fprintf(stderr, "no such file or directory: %s\n", arg.c_str());
      return 1;
    }
    if (S_ISDIR(st.st_mode)) {
      DIR* dir = opendir(arg.c_str());
      if (dir == nullptr) return 1;
      while (struct dirent* e = readdir(dir)) {
        std::string name = e->d_name;
        if (name == "." || name == "..") continue;
        if (!RunFile(arg + "/" + name)) return 1;
        ++runs;
      }
      closedir(dir);
    } else {
      if (!RunFile(arg)) return 1;
      ++runs;
    }
  }
  if (runs == 0) {
    std::fprintf(stderr, "no inputs: the seed corpus is empty\n");
    return 1;
  }
  std::printf("ran %d inputs\n", runs);
  return 0;
}
