// Which store `secretd serve --store URL` opens (docs/broker.md).
//
//   (empty)              DATA_DIR/store.db, the SQLite store of the data dir
//   sqlite:PATH          a SQLite store file elsewhere
//   postgresql://...     PostgresStore (several replicas on one database);
//   postgres://...       the URL is libpq's (docs/store.md §9)
//
// Only main.cc (through this) chooses a backend; everything else sees Store.
#ifndef SECRETD_SECRETD_SERVER_STORE_URL_H_
#define SECRETD_SECRETD_SERVER_STORE_URL_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "secretd/datadir/data_dir.h"
#include "secretd/store/store.h"

namespace secretd {

class PostgresStore;

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

struct StoreOpenOptions {
  // PostgreSQL: connections at most (--store-pool-size).
  int postgres_pool_size = 4;
  // PostgreSQL: how long to keep retrying (with backoff) while the server
  // is unreachable at start-up, before giving up (--store-startup-timeout).
  absl::Duration postgres_startup_timeout = absl::Seconds(30);
};

// Opens the store at `location`; never creates a SQLite file (PostgreSQL
// creates or migrates its schema). A missing default store is
// kFailedPrecondition with the message of STYLE.md §4 ("no store at
// \"data/store.db\" (--data-dir data); run \"secretctl init --data-dir
// data\" first, or point --data-dir at an initialised directory"). An
// unreachable PostgreSQL server is retried with backoff for
// `postgres_startup_timeout` (each attempt logged), then its kUnavailable is
// returned (the message names the server without its password).
// `description` (optional) receives a label for logs: "sqlite:PATH" or
// "postgresql://user@host:port/dbname". `postgres` (optional) receives the
// store as a PostgresStore (change notifications, pool counters), or null
// for SQLite; it lives as long as the returned store. `clock` must outlive
// the store.
absl::StatusOr<std::unique_ptr<Store>> OpenStore(
    const StoreLocation& location, const DataDirLayout& layout,
    const common::Clock& clock, const StoreOpenOptions& options = {},
    std::string* description = nullptr, PostgresStore** postgres = nullptr);

}  // namespace secretd

#endif  // SECRETD_SECRETD_SERVER_STORE_URL_H_
