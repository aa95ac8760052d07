// admin_host: serves a data directory's admin socket, nothing else. A
// testonly stand-in for `secretd serve` so that secretctl's admin commands
// can be tested end to end through the real binaries.
//
//   admin_host --data-dir DIR [--admin-uid UID]... [--replica ID]
//
// Opens DIR's keys, store (SQLite) and audit log (DIR/audit/audit-<ID>.jsonl,
// default ID "admin-host"), serves DIR/admin.sock, prints
// "admin_host: serving <path>" on stdout once the socket listens, and shuts
// down cleanly on SIGTERM or SIGINT (exit 0). Errors: a message on stderr,
// exit 1 (2 for bad flags). Logs go to stderr.
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "common/clock.h"
#include "common/process_hardening.h"
#include "keys/random.h"
#include "secretd/admin/admin_server.h"
#include "secretd/admin/admin_service.h"
#include "secretd/audit/ed25519_checkpoint_signer.h"
#include "secretd/audit/file_audit_writer.h"
#include "secretd/datadir/data_dir.h"
#include "secretd/keyring/keyring.h"
#include "secretd/store/sqlite_store.h"

namespace {

int Fail(const absl::Status& s) {
  std::cerr << "admin_host: " << s.message() << "\n";
  return 1;
}

int Usage(const std::string& message) {
  std::cerr << "admin_host: " << message
            << "\nusage: admin_host --data-dir DIR [--admin-uid UID]... "
               "[--replica ID]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (absl::Status s = common::DisableCoreDumps(); !s.ok()) return Fail(s);
  std::string data_dir;
  std::string replica = "admin-host";
  std::vector<uid_t> uids;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) return Usage(flag + " needs a value");
    const std::string value = argv[++i];
    if (flag == "--data-dir") {
      data_dir = value;
    } else if (flag == "--replica") {
      replica = value;
    } else if (flag == "--admin-uid") {
      uint32_t uid = 0;
      if (!absl::SimpleAtoi(value, &uid)) return Usage("bad --admin-uid");
      uids.push_back(uid);
    } else {
      return Usage("unknown flag " + flag);
    }
  }
  if (data_dir.empty()) return Usage("--data-dir is required");

  // Block the stop signals in every thread; main waits for them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  common::RealClock clock;
  keys::SystemRandom random;
  const secretd::DataDirLayout layout(data_dir);
  if (absl::Status s = secretd::CheckDataDir(layout); !s.ok()) return Fail(s);
  auto keyring = secretd::Keyring::Load(layout, {});
  if (!keyring.ok()) return Fail(keyring.status());
  auto store = secretd::SqliteStore::Open(layout.store_db, clock, {});
  if (!store.ok()) return Fail(store.status());
  secretd::audit::Ed25519CheckpointSigner signer((*keyring)->audit_signer());
  secretd::audit::FileAuditWriterOptions audit_options;
  audit_options.directory = layout.audit_dir;
  audit_options.replica = replica;
  auto writer =
      secretd::audit::FileAuditWriter::Open(audit_options, signer, clock);
  if (!writer.ok()) return Fail(writer.status());

  secretd::AdminService service(**store, **keyring, **writer, random, clock,
                                nullptr);
  secretd::AdminServerOptions options;
  options.socket_path = layout.admin_socket;
  options.allowed_uids = uids;
  auto server = secretd::AdminServer::Start(options, service);
  if (!server.ok()) return Fail(server.status());
  std::cout << "admin_host: serving " << layout.admin_socket << std::endl;

  int signal_number = 0;
  sigwait(&stop, &signal_number);
  (*server)->Shutdown();
  if (absl::Status s = (*writer)->Close(); !s.ok()) return Fail(s);
  return 0;
}
