// A child process for sqlite_store_test: writes to a store file so that the
// test can run several writer processes at once or kill one mid-write.
//
//   sqlite_store_test_helper add --db=F --name=N --count=C
//       adds C versions to secret N, printing "version <v>" after each commit
//   sqlite_store_test_helper steps --db=F [--checkpoint-every=K]
//                            [--kill-at-write=W [--torn-wal]]
//       continues the crash-test sequence (below) forever, printing
//       "step <k>" after each commit, and a checkpoint every K steps. With
//       --kill-at-write it raises SIGKILL just before its W-th write to any
//       database file (counting from the open), through a VFS shim; with
//       --torn-wal a write to the WAL is first done half.
//
// The crash-test sequence is described in testing/crash_sequence.h: after s
// committed steps the change counter is s, so a reopened store shows which
// step was the last to commit, and a torn step would show as a mix.
//
// Exit: 0 when done (add), 1 on a store error (printed on stderr); killed by
// SIGKILL in the kill modes.
#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/clock.h"
#include "secretd/store/sqlite_store.h"
#include "secretd/store/store.h"
#include "secretd/store/testing/crash_sequence.h"

namespace secretd {
namespace {

// ---- A VFS shim that kills the process at the N-th write. ----

sqlite3_vfs* g_real_vfs = nullptr;
int64_t g_writes = 0;
int64_t g_kill_at_write = 0;  // 0: never
bool g_torn_wal = false;

struct CrashFile {
  sqlite3_file base;
  sqlite3_file* real;
  bool is_wal;
};

sqlite3_file* Real(sqlite3_file* f) {
  return reinterpret_cast<CrashFile*>(f)->real;
}

int CrashClose(sqlite3_file* f) { return Real(f)->pMethods->xClose(Real(f)); }
int CrashRead(sqlite3_file* f, void* buf, int amt, sqlite3_int64 off) {
  return Real(f)->pMethods->xRead(Real(f), buf, amt, off);
}
int CrashWrite(sqlite3_file* f, const void* buf, int amt, sqlite3_int64 off) {
  if (g_kill_at_write > 0 && ++g_writes == g_kill_at_write) {
    if (g_torn_wal && reinterpret_cast<CrashFile*>(f)->is_wal) {
      Real(f)->pMethods->xWrite(Real(f), buf, amt / 2, off);
    }
    raise(SIGKILL);
  }
  return Real(f)->pMethods->xWrite(Real(f), buf, amt, off);
}
int CrashTruncate(sqlite3_file* f, sqlite3_int64 size) {
  return Real(f)->pMethods->xTruncate(Real(f), size);
}
int CrashSync(sqlite3_file* f, int flags) {
  return Real(f)->pMethods->xSync(Real(f), flags);
}
int CrashFileSize(sqlite3_file* f, sqlite3_int64* size) {
  return Real(f)->pMethods->xFileSize(Real(f), size);
}
int CrashLock(sqlite3_file* f, int lock) {
  return Real(f)->pMethods->xLock(Real(f), lock);
}
int CrashUnlock(sqlite3_file* f, int lock) {
  return Real(f)->pMethods->xUnlock(Real(f), lock);
}
int CrashCheckReservedLock(sqlite3_file* f, int* out) {
  return Real(f)->pMethods->xCheckReservedLock(Real(f), out);
}
int CrashFileControl(sqlite3_file* f, int op, void* arg) {
  return Real(f)->pMethods->xFileControl(Real(f), op, arg);
}
int CrashSectorSize(sqlite3_file* f) {
  return Real(f)->pMethods->xSectorSize(Real(f));
}
int CrashDeviceCharacteristics(sqlite3_file* f) {
  return Real(f)->pMethods->xDeviceCharacteristics(Real(f));
}
int CrashShmMap(sqlite3_file* f, int page, int size, int extend,
                void volatile** out) {
  return Real(f)->pMethods->xShmMap(Real(f), page, size, extend, out);
}
int CrashShmLock(sqlite3_file* f, int offset, int n, int flags) {
  return Real(f)->pMethods->xShmLock(Real(f), offset, n, flags);
}
void CrashShmBarrier(sqlite3_file* f) {
  Real(f)->pMethods->xShmBarrier(Real(f));
}
int CrashShmUnmap(sqlite3_file* f, int delete_flag) {
  return Real(f)->pMethods->xShmUnmap(Real(f), delete_flag);
}
int CrashFetch(sqlite3_file* f, sqlite3_int64 off, int amt, void** out) {
  return Real(f)->pMethods->xFetch(Real(f), off, amt, out);
}
int CrashUnfetch(sqlite3_file* f, sqlite3_int64 off, void* p) {
  return Real(f)->pMethods->xUnfetch(Real(f), off, p);
}

const sqlite3_io_methods kCrashMethods = {
    3,
    CrashClose,
    CrashRead,
    CrashWrite,
    CrashTruncate,
    CrashSync,
    CrashFileSize,
    CrashLock,
    CrashUnlock,
    CrashCheckReservedLock,
    CrashFileControl,
    CrashSectorSize,
    CrashDeviceCharacteristics,
    CrashShmMap,
    CrashShmLock,
    CrashShmBarrier,
    CrashShmUnmap,
    CrashFetch,
    CrashUnfetch,
};

int CrashOpen(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags,
              int* out_flags) {
  CrashFile* file = reinterpret_cast<CrashFile*>(f);
  file->base.pMethods = nullptr;
  file->real = reinterpret_cast<sqlite3_file*>(file + 1);
  file->is_wal = (flags & SQLITE_OPEN_WAL) != 0;
  const int rc =
      g_real_vfs->xOpen(g_real_vfs, name, file->real, flags, out_flags);
  if (file->real->pMethods != nullptr) file->base.pMethods = &kCrashMethods;
  return rc;
}

sqlite3_vfs g_crash_vfs;

void RegisterCrashVfs() {
  g_real_vfs = sqlite3_vfs_find(nullptr);
  g_crash_vfs = *g_real_vfs;  // forward everything but xOpen
  g_crash_vfs.szOsFile =
      static_cast<int>(sizeof(CrashFile)) + g_real_vfs->szOsFile;
  g_crash_vfs.zName = "secretd-crash";
  g_crash_vfs.xOpen = CrashOpen;
  g_crash_vfs.pNext = nullptr;
  sqlite3_vfs_register(&g_crash_vfs, /*makeDflt=*/0);
}

// ---- The writers ----

void Print(const std::string& line) {
  const std::string out = line + "\n";
  // One write(2) per line, unbuffered, so the parent sees each commit.
  if (::write(STDOUT_FILENO, out.data(), out.size()) < 0) std::_Exit(1);
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "sqlite_store_test_helper: %s\n",
               status.ToString().c_str());
  return 1;
}

int RunAdd(const std::string& db, const std::string& name, int64_t count) {
  common::RealClock clock;
  SqliteStore::Options options;
  options.create = true;
  options.busy_timeout = absl::Seconds(60);
  absl::StatusOr<std::unique_ptr<SqliteStore>> store =
      SqliteStore::Open(db, clock, options);
  if (!store.ok()) return Fail(store.status());
  for (int64_t i = 0; i < count; ++i) {
    absl::StatusOr<int64_t> version = (*store)->AddSecretVersion(
        name, [](int64_t v) -> absl::StatusOr<EncryptedSecretFields> {
          return testing::CrashFields(v);
        });
    if (!version.ok()) return Fail(version.status());
    Print(absl::StrCat("version ", *version));
  }
  return 0;
}

int RunSteps(const std::string& db, int64_t checkpoint_every) {
  common::RealClock clock;
  SqliteStore::Options options;
  options.create = true;
  options.reader_connections = 1;
  if (g_kill_at_write > 0) options.vfs = "secretd-crash";
  absl::StatusOr<std::unique_ptr<SqliteStore>> opened =
      SqliteStore::Open(db, clock, options);
  if (!opened.ok()) return Fail(opened.status());
  SqliteStore& store = **opened;
  absl::StatusOr<int64_t> done = store.GetChangeCounter();
  if (!done.ok()) return Fail(done.status());
  for (int64_t step = *done + 1;; ++step) {
    absl::Status status;
    if (step % 2 == 1) {
      const int64_t want = (step + 1) / 2;
      absl::StatusOr<int64_t> version = store.AddSecretVersion(
          testing::kCrashSecret,
          [](int64_t v) -> absl::StatusOr<EncryptedSecretFields> {
            return testing::CrashFields(v);
          });
      status = version.status();
      if (status.ok() && *version != want) {
        status = absl::InternalError(
            absl::StrCat("got version ", *version, ", expected ", want));
      }
    } else {
      status = store.PutRole(testing::CrashRole(step / 2));
    }
    if (!status.ok()) return Fail(status);
    Print(absl::StrCat("step ", step));
    if (checkpoint_every > 0 && step % checkpoint_every == 0) {
      absl::Status checkpoint = store.Checkpoint();
      if (!checkpoint.ok()) return Fail(checkpoint);
    }
  }
}

bool Flag(absl::string_view arg, absl::string_view name, std::string* value) {
  const std::string prefix = absl::StrCat("--", name, "=");
  if (!absl::StartsWith(arg, prefix)) return false;
  *value = std::string(arg.substr(prefix.size()));
  return true;
}

int Main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: sqlite_store_test_helper add|steps ...\n");
    return 2;
  }
  const std::string mode = argv[1];
  std::string db, name, value;
  int64_t count = 0, checkpoint_every = 0;
  for (int i = 2; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (Flag(arg, "db", &db) || Flag(arg, "name", &name)) continue;
    if (Flag(arg, "count", &value) && absl::SimpleAtoi(value, &count)) continue;
    if (Flag(arg, "checkpoint-every", &value) &&
        absl::SimpleAtoi(value, &checkpoint_every)) {
      continue;
    }
    if (Flag(arg, "kill-at-write", &value) &&
        absl::SimpleAtoi(value, &g_kill_at_write)) {
      continue;
    }
    if (arg == "--torn-wal") {
      g_torn_wal = true;
      continue;
    }
    std::fprintf(stderr, "sqlite_store_test_helper: bad argument %s\n",
                 argv[i]);
    return 2;
  }
  if (db.empty()) {
    std::fprintf(stderr, "sqlite_store_test_helper: --db is required\n");
    return 2;
  }
  RegisterCrashVfs();
  if (mode == "add") return RunAdd(db, name, count);
  if (mode == "steps") return RunSteps(db, checkpoint_every);
  std::fprintf(stderr, "sqlite_store_test_helper: unknown mode %s\n",
               mode.c_str());
  return 2;
}

}  // namespace
}  // namespace secretd

int main(int argc, char** argv) { return secretd::Main(argc, argv); }
