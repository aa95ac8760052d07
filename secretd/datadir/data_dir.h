// The broker's data directory (docs/DESIGN.md §8): its fixed layout, its
// creation by `secretctl init`, and loading the broker's keys from it.
//
//   DATA_DIR/                     0700
//     keys/                       0700
//       kek                       0600  key-encryption key (base64url)
//       kek.retired/<id>          0600  KEKs retired by rotations
//       (secretd/keyring) kek.next                  0600  only while a KEK
//       rotation runs release.key               0600  release signing key
//       (Ed25519 JWK) release.pub               0644  its public key
//       (base64url, 32 bytes) audit.key                 0600  audit checkpoint
//       key (Ed25519 JWK) audit.pub                 0644  its public key
//     tls/                        0755
//       ca.pem                    0644  the development CA (pin it in bootstrap
//       --ca) server.pem                0644  the broker's certificate, signed
//       by ca.pem server.key                0600  its private key
//     store.db                    0600  the SQLite store (plus -wal, -shm)
//     audit/                      0700  audit-<replica>.jsonl, one per replica
//     admin.sock                  0600  the admin socket, while secretd serves
//
// The CA's private key is never written: a data directory cannot mint more
// certificates. To serve with certificates of your own CA, replace
// tls/server.pem and tls/server.key.
#ifndef SECRETD_SECRETD_DATADIR_DATA_DIR_H_
#define SECRETD_SECRETD_DATADIR_DATA_DIR_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "keys/ed25519.h"
#include "keys/kek.h"

namespace secretd {

// Every path of a data directory rooted at `root`.
struct DataDirLayout {
  explicit DataDirLayout(std::string root);

  std::string root;
  std::string keys_dir;
  std::string kek;
  std::string kek_next;
  std::string kek_retired_dir;
  std::string release_key;
  std::string release_pub;
  std::string audit_key;
  std::string audit_pub;
  std::string tls_dir;
  std::string ca_pem;
  std::string server_pem;
  std::string server_key;
  std::string store_db;
  std::string audit_dir;
  std::string admin_socket;
};

struct InitOptions {
  // Extra names for the server certificate; defaults to localhost,
  // 127.0.0.1 and ::1 when empty.
  std::vector<std::string> tls_sans;
};

// What InitDataDir made, for the command's output.
struct InitReport {
  struct File {
    std::string path;
    std::string what;
    bool secret = false;  // keep it safe; never copy it to an instance
  };
  std::vector<File> files;
  std::string kek_id;
  std::string release_key_id;
  std::string audit_key_id;
};

// Creates a data directory at `root`: the keys, the development TLS material,
// an empty store and the audit directory. `root` must not exist, or be an
// empty directory. The directory is built beside `root` and renamed into
// place, so a failure leaves nothing half-made.
// kAlreadyExists if `root` exists and is not empty; kInvalidArgument for a
// bad SAN; kFailedPrecondition / kPermissionDenied / kInternal for I/O.
absl::StatusOr<InitReport> InitDataDir(const std::string& root,
                                       const InitOptions& options,
                                       const common::Clock& clock);

// The broker's key material, loaded from a data directory.
struct BrokerKeys {
  keys::Kek kek;
  std::unique_ptr<keys::Ed25519Signer> release;
  std::unique_ptr<keys::Ed25519Signer> audit;
};

// Loads keys/kek, keys/release.key and keys/audit.key (permission-checked by
// keys/key_files.h). kFailedPrecondition when `layout.root` is not an
// initialised data directory, with what to run; key-file errors otherwise,
// each naming its path.
absl::StatusOr<BrokerKeys> LoadBrokerKeys(const DataDirLayout& layout);

// kFailedPrecondition with an actionable message unless `layout.root` looks
// like a data directory made by `secretctl init` (keys/ and store.db exist).
absl::Status CheckDataDir(const DataDirLayout& layout);

}  // namespace secretd

#endif  // SECRETD_SECRETD_DATADIR_DATA_DIR_H_
