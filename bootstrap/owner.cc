#include "bootstrap/owner.h"

#include <grp.h>
#include <pwd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace bootstrap {
namespace {

bool IsDecimal(absl::string_view s) {
  if (s.empty() || s.size() > 10) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  return true;
}

absl::StatusOr<uint32_t> ParseId(absl::string_view s) {
  uint32_t id = 0;
  // (uid_t)-1 means "unchanged" to chown(2); refuse it as an id.
  if (!absl::SimpleAtoi(s, &id) || id == UINT32_MAX) {
    return absl::InvalidArgumentError(
        absl::StrCat("id \"", s, "\" is out of range"));
  }
  return id;
}

absl::StatusOr<uid_t> LookupUser(absl::string_view user) {
  if (IsDecimal(user)) return ParseId(user);
  std::string name(user);
  std::vector<char> buf(16384);
  passwd pw;
  passwd* result = nullptr;
  int rc = getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &result);
  if (rc != 0) {
    return absl::UnavailableError(absl::StrCat("cannot look up user \"", user,
                                               "\": ", std::strerror(rc)));
  }
  if (result == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("no user \"", user,
                     "\" on this system (give a numeric uid or "
                     "create the user before the agent runs)"));
  }
  return pw.pw_uid;
}

absl::StatusOr<gid_t> LookupGroup(absl::string_view group) {
  if (IsDecimal(group)) return ParseId(group);
  std::string name(group);
  std::vector<char> buf(16384);
  struct group gr;
  struct group* result = nullptr;
  int rc = getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &result);
  if (rc != 0) {
    return absl::UnavailableError(absl::StrCat("cannot look up group \"", group,
                                               "\": ", std::strerror(rc)));
  }
  if (result == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("no group \"", group,
                     "\" on this system (give a numeric gid or "
                     "create the group before the agent runs)"));
  }
  return gr.gr_gid;
}

}  // namespace

absl::StatusOr<Owner> ResolveOwner(absl::string_view spec) {
  const size_t colon = spec.find(':');
  absl::string_view user = spec.substr(0, colon);
  if (user.empty() ||
      (colon != absl::string_view::npos &&
       (colon + 1 == spec.size() ||
        spec.find(':', colon + 1) != absl::string_view::npos))) {
    return absl::InvalidArgumentError(absl::StrCat(
        "owner \"", spec, "\" must be USER or USER:GROUP (names or ids)"));
  }
  Owner owner;
  auto uid = LookupUser(user);
  if (!uid.ok()) return uid.status();
  owner.uid = *uid;
  if (colon != absl::string_view::npos) {
    auto gid = LookupGroup(spec.substr(colon + 1));
    if (!gid.ok()) return gid.status();
    owner.gid = *gid;
  }
  return owner;
}

}  // namespace bootstrap
