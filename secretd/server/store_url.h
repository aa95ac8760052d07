// Which store `secretd serve --store URL` opens (docs/broker.md).
//
//   (empty)              DATA_DIR/store.db, the SQLite store of the data dir
//   sqlite:PATH          a SQLite store file elsewhere
//   postgresql://...     reserved for the PostgreSQL backend (issue 9):
//   postgres://...       kUnimplemented in this build
//
// Only main.cc (through this) chooses a backend; everything else sees Store.
#ifndef SECRETD_SECRETD_SERVER_STORE_URL_H_
#define SECRETD_SECRETD_SERVER_STORE_URL_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/clock.h"
#include "secretd/datadir/data_dir.h"
#include "secretd/store/store.h"

namespace secretd {

struct StoreLocation {
  enum class Kind { kSqlite, kPostgres };
  Kind kind = Kind::kSqlite;
  std::string sqlite_path;  // kSqlite
  std::string url;          // kPostgres (may hold a password: never log it)
  bool is_default = false;  // the data directory's own store.db
};

// Parses `url` (empty: the data directory's store). kInvalidArgument for an
// unknown scheme or an empty path.
absl::StatusOr<StoreLocation> ParseStoreUrl(absl::string_view url,
                                            const DataDirLayout& layout);

// Opens the store at `location`; never creates one. A missing default store
// is kFailedPrecondition with the message of STYLE.md §4 ("no store at
// \"data/store.db\" (--data-dir data); run \"secretctl init --data-dir data\"
// first, or point --data-dir at an initialised directory"). PostgreSQL is
// kUnimplemented in this build. `clock` must outlive the store.
absl::StatusOr<std::unique_ptr<Store>> OpenStore(const StoreLocation& location,
                                                 const DataDirLayout& layout,
                                                 const common::Clock& clock);

// A description for logs: the SQLite path, or "postgresql" without the URL.
std::string DescribeStore(const StoreLocation& location);

}  // namespace secretd

#endif  // SECRETD_SECRETD_SERVER_STORE_URL_H_
