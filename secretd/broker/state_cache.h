// StateCache: the broker's compiled view of the store's roles and trust
// bundles, rebuilt when the store changes (docs/broker.md §state).
//
//   StateCache cache(store, clock);
//   RETURN_IF_ERROR(cache.Refresh(/*force=*/true));  // at start-up
//   ...
//   std::shared_ptr<const BrokerState> state = cache.Current();  // per request
//   const CompiledRoleEntry* role = state->FindRole("web");
//
// A BrokerState is immutable: every request takes one snapshot at its start
// and uses it throughout, so a refresh never changes a decision halfway.
// Refresh() reads the store's change counter (one row) and, when it moved,
// loads a snapshot (LoadSnapshot: counter, roles and trust bundles in one
// transaction), compiles every role and parses every JWKS outside any lock,
// then swaps the new state in. Requests never wait for a refresh: Current()
// only copies a shared_ptr under a mutex that no refresh holds for longer
// than the swap.
//
// A failed refresh (store unreachable, snapshot unreadable) keeps the last
// good state and returns the error. A single role or JWKS that fails to
// compile or parse (e.g. written by a newer secretd) is left out of the new
// state and reported in BrokerState::problems; requests for that role are
// then denied as for an unknown role (reason role.not_found, the audit
// message says why). Thread-safe.
#ifndef SECRETD_SECRETD_BROKER_STATE_CACHE_H_
#define SECRETD_SECRETD_BROKER_STATE_CACHE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "keys/jwk.h"
#include "policy/role.h"
#include "secretd/store/store.h"

namespace secretd {

// The compiled roles and parsed trust bundles of one store snapshot.
struct BrokerState {
  int64_t change_counter = -1;  // -1: nothing loaded yet
  absl::Time loaded_at;
  absl::flat_hash_map<std::string, std::shared_ptr<const policy::CompiledRole>>
      roles;
  absl::flat_hash_map<std::string, std::shared_ptr<const keys::Jwks>>
      trust_bundles;
  // Stored objects left out of this state, by name: role name or issuer ->
  // why (a compile or parse error). Never holds a policy text or key.
  absl::flat_hash_map<std::string, std::string> broken_roles;
  absl::flat_hash_map<std::string, std::string> broken_trust_bundles;

  // The role `name`, or nullptr.
  const policy::CompiledRole* FindRole(absl::string_view name) const;
  // The JWKS of `issuer`, or nullptr (the issuer is not trusted).
  std::shared_ptr<const keys::Jwks> FindTrustBundle(
      absl::string_view issuer) const;
};

// Compiles the roles and parses the trust bundles of `snapshot`. Objects
// that do not compile or parse go to broken_roles / broken_trust_bundles.
std::shared_ptr<const BrokerState> BuildBrokerState(
    const StoreSnapshot& snapshot, absl::Time now);

// The role record as the policy engine's definition.
policy::RoleDefinition ToRoleDefinition(const RoleRecord& record);

class StateCache {
 public:
  // `store` and `clock` must outlive the cache. Current() is an empty state
  // (change_counter -1, no roles, no issuers) until the first Refresh.
  StateCache(Store& store, const common::Clock& clock);

  StateCache(const StateCache&) = delete;
  StateCache& operator=(const StateCache&) = delete;

  // The state requests use. Never null. Thread-safe, never blocks on a
  // refresh.
  std::shared_ptr<const BrokerState> Current() const;

  enum class RefreshResult { kUnchanged, kReloaded };
  // Reloads if the store's change counter differs from the current state's
  // (or always with `force`). The store's error (kUnavailable, ...) if the
  // counter or the snapshot could not be read; the current state stays.
  // Refreshes are serialised with each other.
  absl::StatusOr<RefreshResult> Refresh(bool force = false);

  // Installs `state` as is (tests, and callers that built one themselves).
  void Install(std::shared_ptr<const BrokerState> state);

 private:
  Store& store_;
  const common::Clock& clock_;
  absl::Mutex refresh_mu_;  // serialises Refresh
  mutable absl::Mutex mu_;
  std::shared_ptr<const BrokerState> current_ ABSL_GUARDED_BY(mu_);
};

}  // namespace secretd

#endif  // SECRETD_SECRETD_BROKER_STATE_CACHE_H_
