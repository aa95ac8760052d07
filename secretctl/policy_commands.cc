#include "secretctl/policy_commands.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "policy/context.h"
#include "policy/policy.h"
#include "policy/policy_set.h"

namespace secretctl {
namespace {

using common::cli::Invocation;

// Reads a policy file. A file over the size limit is not read: the result
// is then the parser's error for it, as a ValidationError.
struct PolicyFile {
  std::string text;
  std::optional<policy::ValidationError> too_large;
};

absl::StatusOr<PolicyFile> ReadPolicyFile(const std::string& path) {
  PolicyFile file;
  if (path == "-") {
    // stdin: read one byte past the limit; the size is then "over the limit"
    // (a pipe cannot be measured without reading it all).
    file.text.resize(policy::kMaxPolicyBytes + 1);
    std::cin.read(&file.text[0],
                  static_cast<std::streamsize>(file.text.size()));
    if (std::cin.bad()) {
      return absl::UnavailableError(
          absl::StrCat("cannot read stdin: ", std::strerror(errno)));
    }
    file.text.resize(static_cast<size_t>(std::cin.gcount()));
    if (file.text.size() > policy::kMaxPolicyBytes) {
      file.too_large = policy::CheckPolicySize(file.text.size());
    }
    return file;
  }
  struct stat st;
  if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot read \"", path, "\": it is a directory, not a policy file"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot read \"", path, "\": ", std::strerror(errno)));
  }
  errno = 0;
  file.text.resize(policy::kMaxPolicyBytes + 1);
  in.read(&file.text[0], static_cast<std::streamsize>(file.text.size()));
  if (in.bad()) {
    return absl::UnavailableError(
        absl::StrCat("cannot read \"", path,
                     "\": ", errno != 0 ? std::strerror(errno) : "read error"));
  }
  file.text.resize(static_cast<size_t>(in.gcount()));
  if (file.text.size() > policy::kMaxPolicyBytes) {
    in.clear();
    in.seekg(0, std::ios::end);
    file.too_large = policy::CheckPolicySize(static_cast<size_t>(in.tellg()));
  }
  return file;
}

// Prints each warning on stderr as `warning: policy "FILE": PATH: ...`.
void PrintWarnings(const Invocation& inv, const std::string& path,
                   const std::vector<policy::ValidationError>& warnings) {
  for (const policy::ValidationError& w : warnings) {
    inv.err() << "warning: " << policy::FormatErrors(path, {w}) << "\n";
  }
}

// Reads and validates one file; prints its errors and returns nullopt if it
// is not a valid policy. Warnings are left to the caller.
std::optional<policy::ParseResult> LoadPolicy(const Invocation& inv,
                                              const std::string& path) {
  absl::StatusOr<PolicyFile> file = ReadPolicyFile(path);
  if (!file.ok()) {
    inv.err() << inv.command_line_name() << ": " << file.status().message()
              << "\n";
    return std::nullopt;
  }
  if (file->too_large.has_value()) {
    inv.err() << policy::FormatErrors(path, {*file->too_large}) << "\n";
    return std::nullopt;
  }
  policy::ParseResult r = policy::ValidatePolicyDocument(path, file->text);
  if (!r.errors.empty()) {
    inv.err() << policy::FormatErrors(path, r.errors) << "\n";
    return std::nullopt;
  }
  return r;
}

const char* KindWords(policy::PolicyKind kind) {
  switch (kind) {
    case policy::PolicyKind::kTrust:
      return "trust";
    case policy::PolicyKind::kPermission:
      return "permission";
    case policy::PolicyKind::kAny:
      break;
  }
  return "";
}

int Validate(const Invocation& inv) {
  const bool strict = inv.Has("strict");
  bool all_valid = true;
  for (const std::string& file : inv.args()) {
    std::optional<policy::ParseResult> r = LoadPolicy(inv, file);
    if (!r.has_value()) {
      all_valid = false;
      continue;
    }
    PrintWarnings(inv, file, r->warnings);
    if (strict && !r->warnings.empty()) {
      all_valid = false;
      continue;
    }
    const size_t n = r->policy->statements.size();
    inv.out() << file << ": valid " << KindWords(r->kind) << " policy, " << n
              << (n == 1 ? " statement" : " statements") << "\n";
  }
  return all_valid ? common::cli::kExitOk : common::cli::kExitRefused;
}

// Prints `message` as bad input and returns 2 (no --help pointer: the flags
// were fine, their contents were not).
int BadInput(const Invocation& inv, absl::string_view message) {
  inv.err() << inv.command_line_name() << ": " << message << "\n";
  return common::cli::kExitUsage;
}

int Simulate(const Invocation& inv) {
  const std::string format = inv.Get("format", "json");
  if (format != "json" && format != "text") {
    return inv.UsageError(
        absl::StrCat("--format must be json or text, got \"", format, "\""));
  }
  std::vector<policy::Policy> policies;
  bool bad = false;
  for (const std::string& file : inv.GetAll("policy")) {
    std::optional<policy::ParseResult> r = LoadPolicy(inv, file);
    if (!r.has_value()) {
      bad = true;
      continue;
    }
    PrintWarnings(inv, file, r->warnings);
    policies.push_back(*std::move(r->policy));
  }
  policy::Context context;
  if (inv.Has("context")) {
    absl::StatusOr<policy::Context> c =
        policy::Context::FromJsonText(inv.Get("context"));
    if (!c.ok()) {
      BadInput(inv, absl::StrCat("--context: ", c.status().message()));
      bad = true;
    } else {
      context = *std::move(c);
    }
  }
  // The same checks `policy validate` applies to Action and Resource: a
  // request no policy could ever name would only ever be implicitly denied.
  for (const policy::ValidationError& e :
       policy::CheckRequest(inv.Get("action"), inv.Get("resource"))) {
    BadInput(inv, absl::StrCat("--", e.path, ": ", e.message));
    bad = true;
  }
  if (bad) return common::cli::kExitUsage;
  absl::StatusOr<std::shared_ptr<const policy::PolicySet>> set =
      policy::PolicySet::Compile(std::move(policies));
  if (!set.ok()) return BadInput(inv, set.status().message());

  // The verified issuer, which Principal matches, comes from the context.
  std::string issuer;
  if (const policy::Context::Entry* e = context.Find(policy::kIssuerKey);
      e != nullptr && e->values.size() == 1) {
    issuer = e->values[0].text;
  }
  const std::string action = inv.Get("action");
  const std::string resource = inv.Get("resource");
  const policy::Request request{action, resource, issuer, &context};
  if (format == "text") {
    inv.out() << (*set)->Explain(request);
  } else {
    inv.out() << policy::DecisionToJson((*set)->Evaluate(request)).dump()
              << "\n";
  }
  return common::cli::kExitOk;
}

}  // namespace

std::vector<common::cli::Command> PolicyCommands() {
  std::vector<common::cli::Command> commands;
  commands.push_back(
      {{"policy", "validate"},
       "FILE...",
       "check policy documents without a broker",
       "Checks each FILE (\"-\" reads stdin) with the broker's own parser "
       "and prints every error "
       "of every file to stderr, one per line, as\n"
       "  policy \"FILE\": <JSON path>: <what is wrong>; <what to do>\n"
       "A file whose statements name a Principal is checked as a trust "
       "policy, any other as a permission policy (docs/policy.md). Valid "
       "files are listed on stdout. Warnings (Deny statements that some "
       "requests skip, e.g. over a variable without a default; "
       "docs/policy.md, \"Fail-open cases\") go to stderr as\n"
       "  warning: policy \"FILE\": <JSON path>: <what>; <what to do>\n"
       "and do not fail the file unless --strict is given. Exit 0 if every "
       "file is valid, 1 if not.",
       {{"strict", "",
         "treat warnings as errors (a file with warnings is "
         "not valid)"}},
       1,
       -1,
       Validate});
  commands.push_back(
      {{"policy", "simulate"},
       "",
       "decide a request against policy documents without a broker",
       "Evaluates ACTION on RESOURCE against the policies as the broker "
       "would, with the request context given as a JSON object of context "
       "key to a string, number, boolean or an array of those, e.g.\n"
       "  --context '{\"claim:sub\": \"i-0abc\", \"secretd:SourceIp\": "
       "\"203.0.113.7\"}'\n"
       "The secretd:Issuer key also serves as the verified issuer that a "
       "trust policy's Principal matches.\n"
       "json prints {\"decision\": \"allow\"|\"explicit_deny\"|"
       "\"implicit_deny\", \"statement\": {\"policy\", \"sid\"} or null, "
       "\"missing_context_keys\": [...]} (a statement without a Sid is "
       "{\"policy\", \"sid\": null, \"index\"}); text explains the decision "
       "statement by statement, and names any Deny statement skipped because "
       "a variable has no value or a value has the wrong type. The policies' "
       "warnings (see \"policy validate\") go to stderr.",
       {{"policy", "FILE", "a policy document", /*repeated=*/true,
         /*required=*/true},
        {"action", "A", "the action, e.g. secrets:Get", false, true},
        {"resource", "R", "the resource, e.g. secret/app/db/password", false,
         true},
        {"context", "JSON", "the request context (default {})"},
        {"format", "json|text", "output format (default json)"}},
       0,
       0,
       Simulate,
       // Never 1: a deny is an answer, not a failure.
       "0 for any decision (allow, explicit_deny or implicit_deny), 2 for "
       "bad input (an invalid or unreadable policy, an --action or "
       "--resource no policy can name, a bad --context, a --format other "
       "than json or text, a missing flag)."});
  return commands;
}

}  // namespace secretctl
