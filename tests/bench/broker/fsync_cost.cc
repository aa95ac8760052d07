// What durability costs on this disk: the CPU time of appending one
// audit-sized line and fdatasync-ing it, as the audit writer does for every
// group commit. The floor under secretd's CPU per Provision that no code
// change removes (docs/broker.md §12).
//
//   bazel run -c opt //tests/bench/broker:fsync_cost -- --dir DIR
//       [--lines 5000] [--bytes 1060]
//
// Prints user and system CPU, wall time and voluntary context switches per
// line, with and without the fdatasync. The file is removed afterwards.
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

struct Cost {
  double user_us = 0, system_us = 0, wall_us = 0, switches = 0;
};

double Micros(const timeval& tv) { return tv.tv_sec * 1e6 + tv.tv_usec; }

Cost Run(const std::string& path, int lines, size_t bytes, bool sync) {
  const int fd = open(path.c_str(),
                      O_RDWR | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::perror(path.c_str());
    std::exit(1);
  }
  std::string line(bytes, 'x');
  line.back() = '\n';
  rusage before, after;
  getrusage(RUSAGE_SELF, &before);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < lines; ++i) {
    if (write(fd, line.data(), line.size()) !=
            static_cast<ssize_t>(line.size()) ||
        (sync && fdatasync(fd) != 0)) {
      std::perror("write/fdatasync");
      std::exit(1);
    }
  }
  const auto end = std::chrono::steady_clock::now();
  getrusage(RUSAGE_SELF, &after);
  close(fd);
  unlink(path.c_str());
  Cost c;
  c.user_us = (Micros(after.ru_utime) - Micros(before.ru_utime)) / lines;
  c.system_us = (Micros(after.ru_stime) - Micros(before.ru_stime)) / lines;
  c.wall_us =
      std::chrono::duration<double, std::micro>(end - start).count() / lines;
  c.switches = static_cast<double>(after.ru_nvcsw - before.ru_nvcsw) / lines;
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir;
  int lines = 5000;
  size_t bytes = 1060;  // a one-secret provision record
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--dir") {
      dir = argv[i + 1];
    } else if (flag == "--lines") {
      lines = std::atoi(argv[i + 1]);
    } else if (flag == "--bytes") {
      bytes = static_cast<size_t>(std::atoi(argv[i + 1]));
    } else {
      std::fprintf(stderr, "fsync_cost: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (dir.empty() || lines <= 0 || bytes < 2) {
    std::fprintf(stderr,
                 "usage: fsync_cost --dir DIR [--lines N] [--bytes B]\n");
    return 2;
  }
  const std::string path = dir + "/fsync_cost.tmp";
  for (bool sync : {true, false}) {
    const Cost c = Run(path, lines, bytes, sync);
    std::printf(
        "%-22s %d lines of %zu B: user %5.1f us, system %5.1f us, wall %6.1f "
        "us, %.1f voluntary switches per line\n",
        sync ? "write + fdatasync" : "write only", lines, bytes, c.user_us,
        c.system_us, c.wall_us, c.switches);
  }
  return 0;
}
