#include "secretd/broker/state_cache.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/logging.h"

namespace secretd {

const policy::CompiledRole* BrokerState::FindRole(
    absl::string_view name) const {
  auto it = roles.find(name);
  return it == roles.end() ? nullptr : it->second.get();
}

std::shared_ptr<const keys::Jwks> BrokerState::FindTrustBundle(
    absl::string_view issuer) const {
  auto it = trust_bundles.find(issuer);
  return it == trust_bundles.end() ? nullptr : it->second;
}

policy::RoleDefinition ToRoleDefinition(const RoleRecord& record) {
  policy::RoleDefinition def;
  def.name = record.name;
  def.trust_policy = {record.trust_policy.name, record.trust_policy.document};
  for (const PolicyDocument& p : record.permission_policies) {
    def.permission_policies.push_back({p.name, p.document});
  }
  def.max_token_lifetime = absl::Seconds(record.max_token_lifetime_seconds);
  def.secret_ttl = absl::Seconds(record.secret_ttl_seconds);
  def.single_use_tokens = record.single_use_tokens;
  return def;
}

std::shared_ptr<const BrokerState> BuildBrokerState(
    const StoreSnapshot& snapshot, absl::Time now) {
  auto state = std::make_shared<BrokerState>();
  state->change_counter = snapshot.change_counter;
  state->loaded_at = now;
  for (const RoleRecord& record : snapshot.roles) {
    absl::StatusOr<std::shared_ptr<const policy::CompiledRole>> role =
        policy::CompiledRole::Compile(ToRoleDefinition(record));
    if (!role.ok()) {
      state->broken_roles[record.name] = std::string(role.status().message());
      continue;
    }
    state->roles[record.name] = *std::move(role);
  }
  for (const TrustBundleRecord& record : snapshot.trust_bundles) {
    absl::StatusOr<keys::Jwks> jwks = keys::Jwks::Parse(record.jwks_json);
    if (!jwks.ok()) {
      state->broken_trust_bundles[record.issuer] =
          std::string(jwks.status().message());
      continue;
    }
    state->trust_bundles[record.issuer] =
        std::make_shared<const keys::Jwks>(*std::move(jwks));
  }
  return state;
}

StateCache::StateCache(Store& store, const common::Clock& clock)
    : store_(store),
      clock_(clock),
      current_(std::make_shared<const BrokerState>()) {}

std::shared_ptr<const BrokerState> StateCache::Current() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

void StateCache::Install(std::shared_ptr<const BrokerState> state) {
  {
    absl::MutexLock lock(&mu_);
    current_.swap(state);
  }
  // `state` now holds the previous state; if this was its last user it is
  // destroyed here, outside the lock.
}

absl::StatusOr<StateCache::RefreshResult> StateCache::Refresh(bool force) {
  absl::MutexLock serial(&refresh_mu_);
  const int64_t known = Current()->change_counter;
  if (!force) {
    absl::StatusOr<int64_t> counter = store_.GetChangeCounter();
    if (!counter.ok()) return counter.status();
    if (*counter == known) return RefreshResult::kUnchanged;
  }
  absl::StatusOr<StoreSnapshot> snapshot = store_.LoadSnapshot();
  if (!snapshot.ok()) return snapshot.status();
  std::shared_ptr<const BrokerState> state =
      BuildBrokerState(*snapshot, clock_.Now());
  for (const auto& [name, why] : state->broken_roles) {
    common::log::Error(
        "a stored role does not compile; requests for it are denied until it "
        "is fixed with \"secretctl role put\"",
        {{"role", name}, {"error", why}});
  }
  for (const auto& [issuer, why] : state->broken_trust_bundles) {
    common::log::Error(
        "a stored trust bundle does not parse; tokens of this issuer are "
        "rejected until it is fixed with \"secretctl trust put\"",
        {{"issuer", issuer}, {"error", why}});
  }
  common::log::Info("state loaded",
                    {{"change_counter", state->change_counter},
                     {"previous_change_counter", known},
                     {"roles", state->roles.size()},
                     {"trust_bundles", state->trust_bundles.size()}});
  Install(std::move(state));
  return RefreshResult::kReloaded;
}

}  // namespace secretd
