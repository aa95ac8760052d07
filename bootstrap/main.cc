// bootstrap: the instance agent (docs/DESIGN.md §2, docs/bootstrap.md).
//
// Parses the command line, checks everything it can before the network
// (files, out-dir, owners, the --exec command), makes the boot's X25519 key
// pair in locked memory, runs the Agent, then writes the files or execs the
// command. Every failure is one line "bootstrap: ..." on stderr and an exit
// code from exit_code.h.
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "bootstrap/agent.h"
#include "bootstrap/exec_attestor.h"
#include "bootstrap/exec_delivery.h"
#include "bootstrap/exit_code.h"
#include "bootstrap/file_writer.h"
#include "bootstrap/grpc_broker_client.h"
#include "bootstrap/http_attestor.h"
#include "bootstrap/owner.h"
#include "bootstrap/pem.h"
#include "bootstrap/response_check.h"
#include "bootstrap/secret_spec.h"
#include "common/cli.h"
#include "common/clock.h"
#include "common/host_port.h"
#include "common/logging.h"
#include "common/process_hardening.h"
#include "common/status_macros.h"
#include "grpc/support/log.h"
#include "keys/key_files.h"
#include "keys/random.h"
#include "keys/x25519.h"

extern char** environ;

namespace bootstrap {
namespace {

constexpr size_t kMaxPemBytes = 1024 * 1024;

int Fail(const absl::Status& status) {
  std::cerr << "bootstrap: " << status.message() << "\n";
  return static_cast<int>(ExitCodeOf(status));
}

int Usage(const common::cli::Invocation& inv, absl::string_view message) {
  return inv.UsageError(message);
}

// A PEM file named on the command line. kInvalidArgument naming the flag.
absl::StatusOr<std::string> ReadPemFile(absl::string_view flag,
                                        const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": cannot read \"", path, "\""));
  }
  std::string data(kMaxPemBytes + 1, '\0');
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  data.resize(static_cast<size_t>(in.gcount()));
  if (data.size() > kMaxPemBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": \"", path, "\" is larger than 1 MiB"));
  }
  if (absl::StatusOr<int> n = CountPemCertificates(data); !n.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": \"", path, "\": ", n.status().message()));
  }
  return data;
}

std::vector<std::string> InheritedEnvironment() {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    env.emplace_back(*e);
  }
  return env;
}

struct Plan {
  // Files mode.
  std::optional<OutDir> out_dir;
  std::vector<std::string> paths;
  std::vector<mode_t> modes;
  std::vector<Owner> owners;
  // Exec mode.
  std::string exec_path;
  std::vector<std::string> exec_argv;
  std::vector<std::string> variables;
};

int Run(const common::cli::Invocation& inv, size_t args_after_dashdash) {
  // 1. The command line.
  if (inv.Has("verbose")) common::log::SetMinLevel(common::log::Level::kDebug);
  const std::vector<std::string>& args = inv.args();
  if (args.size() != args_after_dashdash) {
    return Usage(inv, absl::StrCat("unexpected argument \"", args.front(),
                                   "\"; a command to run goes after "
                                   "--exec --"));
  }
  const bool exec = inv.Has("exec");
  if (exec && args.empty()) {
    return Usage(inv, "--exec needs a command: --exec -- CMD [ARGS...]");
  }
  if (!exec && !args.empty()) {
    return Usage(inv, "a command after -- needs --exec");
  }
  if (exec && (inv.Has("out-dir") || inv.Has("allow-disk"))) {
    return Usage(inv,
                 "--out-dir and --allow-disk are for files; --exec passes the "
                 "secrets in the command's environment");
  }
  if (inv.Has("attest-exec") == inv.Has("attest-url")) {
    return Usage(inv,
                 "give exactly one of --attest-exec CMD or --attest-url URL");
  }
  if (inv.Has("attest-ca") && !inv.Has("attest-url")) {
    return Usage(inv, "--attest-ca is for an https --attest-url");
  }
  const std::string broker = inv.Get("broker");
  std::string host;
  int port = 0;
  if (absl::Status s = common::SplitHostPort(broker, &host, &port); !s.ok()) {
    return Usage(inv, absl::StrCat("--broker: ", s.message()));
  }
  if (port == 0) return Usage(inv, "--broker: the port may not be 0");
  const std::string role = inv.Get("role");
  if (role.empty()) return Usage(inv, "--role is empty");
  absl::StatusOr<int64_t> timeout = inv.GetInt("timeout", 60, 1, 86400);
  if (!timeout.ok()) return Usage(inv, timeout.status().message());
  absl::StatusOr<int64_t> attest_timeout =
      inv.GetInt("attest-timeout", 10, 1, 3600);
  if (!attest_timeout.ok())
    return Usage(inv, attest_timeout.status().message());

  std::vector<SecretSpec> specs;
  std::set<std::string> names;
  for (const std::string& text : inv.GetAll("secret")) {
    absl::StatusOr<SecretSpec> spec = ParseSecretSpec(text);
    if (!spec.ok()) return Usage(inv, spec.status().message());
    if (!names.insert(spec->ref.name).second) {
      return Usage(inv, absl::StrCat("secret \"", spec->ref.name,
                                     "\" is requested twice"));
    }
    specs.push_back(*std::move(spec));
  }

  // 2. Files named on the command line.
  absl::StatusOr<std::string> ca_pem = ReadPemFile("ca", inv.Get("ca"));
  if (!ca_pem.ok()) return Usage(inv, ca_pem.status().message());
  absl::StatusOr<std::string> release_key =
      keys::ReadPublicKeyFile(inv.Get("release-key"));
  if (!release_key.ok()) {
    return Usage(
        inv, absl::StrCat("--release-key: ", release_key.status().message()));
  }
  absl::StatusOr<ResponseVerifier> verifier =
      ResponseVerifier::Create(*release_key);
  if (!verifier.ok()) {
    return Usage(inv,
                 absl::StrCat("--release-key: ", verifier.status().message()));
  }

  common::RealClock clock;
  std::unique_ptr<Attestor> attestor;
  if (inv.Has("attest-exec")) {
    auto a = ExecAttestor::Create(inv.Get("attest-exec"), clock);
    if (!a.ok()) return Usage(inv, a.status().message());
    attestor = *std::move(a);
  } else {
    std::string attest_ca;
    if (inv.Has("attest-ca")) {
      absl::StatusOr<std::string> pem =
          ReadPemFile("attest-ca", inv.Get("attest-ca"));
      if (!pem.ok()) return Usage(inv, pem.status().message());
      attest_ca = *std::move(pem);
    }
    auto a = HttpAttestor::Create(inv.Get("attest-url"), attest_ca, clock);
    if (!a.ok()) return Usage(inv, a.status().message());
    attestor = *std::move(a);
  }

  // 3. The delivery, checked before the network.
  Plan plan;
  const std::vector<std::string> inherited = InheritedEnvironment();
  if (exec) {
    const char* path_env = std::getenv("PATH");
    absl::StatusOr<std::string> path =
        FindExecutable(args[0], path_env == nullptr ? "" : path_env);
    if (!path.ok()) {
      return Fail(WithExitCode(path.status(), ExitCode::kDeliveryFailed));
    }
    plan.exec_path = *path;
    plan.exec_argv = args;
    absl::StatusOr<std::vector<std::string>> vars =
        PlanVariableNames(specs, inherited);
    if (!vars.ok()) return Usage(inv, vars.status().message());
    plan.variables = *std::move(vars);
  } else {
    for (const SecretSpec& spec : specs) {
      std::string path = spec.target.empty() ? spec.ref.name : spec.target;
      if (absl::Status s = ValidateRelativePath(path); !s.ok()) {
        return Usage(
            inv, absl::StrCat("--secret ", spec.ref.name, ": ", s.message()));
      }
      plan.paths.push_back(std::move(path));
      plan.modes.push_back(spec.mode.value_or(kDefaultFileMode));
    }
    if (absl::Status s = CheckDistinctPaths(plan.paths); !s.ok()) {
      return Usage(inv, s.message());
    }
    for (const SecretSpec& spec : specs) {
      Owner owner;
      if (spec.owner.has_value()) {
        absl::StatusOr<Owner> o = ResolveOwner(*spec.owner);
        if (!o.ok()) {
          return Fail(WithExitCode(
              common::Annotate(o.status(),
                               absl::StrCat("--secret ", spec.ref.name)),
              ExitCode::kDeliveryFailed));
        }
        owner = *o;
      }
      plan.owners.push_back(owner);
    }
    absl::StatusOr<OutDir> out_dir =
        OutDir::Open(inv.Get("out-dir", "/run/secrets"), inv.Has("allow-disk"));
    if (!out_dir.ok()) {
      return Fail(WithExitCode(out_dir.status(), ExitCode::kDeliveryFailed));
    }
    if (absl::Status s = out_dir->CheckPaths(plan.paths); !s.ok()) {
      return Fail(WithExitCode(s, ExitCode::kDeliveryFailed));
    }
    plan.out_dir = *std::move(out_dir);
  }

  // 4. Provision. The key pair lives in locked memory and is wiped when
  // `key_pair` is reset (before exec) or destroyed.
  std::optional<keys::X25519KeyPair> key_pair = keys::X25519KeyPair::Generate();
  AgentOptions options;
  options.broker = broker;
  options.broker_host = host;
  options.ca_file = inv.Get("ca");
  options.role = role;
  for (const SecretSpec& spec : specs) options.secrets.push_back(spec.ref);
  options.timeout = absl::Seconds(*timeout);
  options.attest_timeout = absl::Seconds(*attest_timeout);
  absl::BitGen bitgen;
  Agent agent(
      options, [&] { return GrpcBrokerClient::Connect(broker, *ca_pem); },
      *attestor, *verifier, *key_pair, clock,
      [](absl::Duration d) { absl::SleepFor(d); }, bitgen);
  absl::StatusOr<VerifiedRelease> release = agent.Run();
  if (!release.ok()) return Fail(release.status());

  // 5. Deliver.
  if (exec) {
    std::vector<SecretVariable> vars;
    for (size_t i = 0; i < release->secrets.size(); ++i) {
      vars.push_back({plan.variables[i], release->secrets[i].name,
                      &release->secrets[i].value});
    }
    absl::StatusOr<ExecEnvironment> env =
        ExecEnvironment::Build(inherited, vars);
    if (!env.ok()) {
      return Fail(WithExitCode(env.status(), ExitCode::kDeliveryFailed));
    }
    const std::string request_id = release->request_id;
    const size_t count = release->secrets.size();
    // Wipe the key and the released values; only the environment block
    // (itself wiped if exec fails) still holds them.
    release->secrets.clear();
    key_pair.reset();
    common::log::Info(
        "starting the command with the secrets in its "
        "environment",
        {{"request_id", request_id},
         {"role", role},
         {"secrets", count},
         {"command", plan.exec_path}});
    absl::Status s = ExecCommand(plan.exec_path, plan.exec_argv, *env);
    return Fail(
        WithExitCode(common::Annotate(s, absl::StrCat("request ", request_id)),
                     ExitCode::kDeliveryFailed));
  }
  std::vector<FileToWrite> files;
  for (size_t i = 0; i < release->secrets.size(); ++i) {
    files.push_back({plan.paths[i], plan.modes[i], plan.owners[i],
                     &release->secrets[i].value});
  }
  keys::SystemRandom random;
  if (absl::Status s = plan.out_dir->WriteAll(files, random); !s.ok()) {
    return Fail(WithExitCode(
        common::Annotate(s, absl::StrCat("request ", release->request_id)),
        ExitCode::kDeliveryFailed));
  }
  std::vector<std::string> delivered;
  for (const ReleasedSecret& s : release->secrets) {
    delivered.push_back(absl::StrCat(s.name, "@", s.version));
  }
  common::log::Info("secrets delivered",
                    {{"request_id", release->request_id},
                     {"role", role},
                     {"secrets", absl::StrJoin(delivered, ",")},
                     {"out_dir", plan.out_dir->path()},
                     {"attempts", agent.attempts()}});
  return 0;
}

void ForwardGrpcLog(gpr_log_func_args* args) {
  common::log::Debug(
      "grpc",
      {{"file", args->file}, {"line", args->line}, {"message", args->message}});
}

common::cli::Program MakeProgram(size_t args_after_dashdash) {
  common::cli::Program program;
  program.name = "bootstrap";
  common::cli::Command command;
  command.args_usage = "[--exec -- CMD [ARGS...]]";
  command.summary =
      "Fetches this instance's secrets from secretd at boot and writes them "
      "to a tmpfs (or runs a command with them in its environment).";
  command.description =
      "Makes an X25519 key pair in locked memory, gets a challenge from the "
      "broker, a token for it from the platform's attestor (--attest-exec or "
      "--attest-url), calls Provision over TLS pinned to --ca, checks the "
      "release signature with --release-key and that the sealed bundle "
      "answers this request, then writes each secret atomically under "
      "--out-dir, or replaces itself with the --exec command. Retries with "
      "backoff while the broker is unreachable, up to --timeout.\n\n"
      "--secret NAME[@VERSION][=TARGET[:MODE[:OWNER]]]: TARGET is the file "
      "path relative to --out-dir (default: the secret's name; '/' makes "
      "directories) or, with --exec, the variable name (default: the name "
      "upper-cased with '/', '.', '-' as '_', e.g. APP_DB_PASSWORD). MODE is "
      "octal (default 0400); OWNER is USER[:GROUP] (needs root).\n\n"
      "--attest-exec CMD is split into words without a shell; "
      "$SECRETD_NONCE, $SECRETD_AUDIENCE and $SECRETD_CNF_X25519 are "
      "expanded and also set in its environment; it prints the token. "
      "--attest-url URL is fetched with GET and ?nonce=&audience=&cnf_x25519= "
      "appended; the body is the token. See docs/bootstrap.md.";
  command.flags = {
      {"broker", "HOST:PORT", "the broker's TLS address", false, true},
      {"ca", "FILE",
       "the CA certificate (PEM) the broker's certificate must "
       "chain to (DATA_DIR/tls/ca.pem)",
       false, true},
      {"release-key", "FILE",
       "the broker's release public key (DATA_DIR/keys/release.pub)", false,
       true},
      {"role", "R", "the role to assume", false, true},
      {"secret", "SPEC", "NAME[@V][=TARGET[:MODE[:OWNER]]], see above", true,
       true},
      {"attest-exec", "CMD", "a command that prints the attestation token"},
      {"attest-url", "URL",
       "an HTTP metadata endpoint that returns the token (http only to "
       "loopback or link-local addresses)"},
      {"attest-ca", "FILE",
       "CA certificate(s) for an https --attest-url "
       "(default: the system's trust store)"},
      {"out-dir", "DIR",
       "where the files go (default /run/secrets; must be "
       "tmpfs or ramfs)"},
      {"allow-disk", "", "allow an --out-dir that is not tmpfs or ramfs"},
      {"exec", "",
       "run the command after -- with the secrets in its environment, "
       "replacing this process"},
      {"timeout", "SECONDS", "give up after this long in all (default 60)"},
      {"attest-timeout", "SECONDS", "limit for one attestation (default 10)"},
      {"verbose", "", "also log debug lines (gRPC's own diagnostics)"},
  };
  command.min_args = 0;
  command.max_args = -1;
  command.exit_status =
      "0 delivered, 1 other failure, 2 usage, 3 broker unreachable until "
      "--timeout (or its certificate refused, at once), 4 attestation failed, "
      "5 denied (PERMISSION_DENIED), 6 token rejected (UNAUTHENTICATED), 7 "
      "response failed verification (nothing written), 8 delivery failed.";
  command.run = [args_after_dashdash](const common::cli::Invocation& inv) {
    return Run(inv, args_after_dashdash);
  };
  program.commands.push_back(std::move(command));
  return program;
}

}  // namespace
}  // namespace bootstrap

int main(int argc, char** argv) {
  // gRPC's own log lines would break the one-line error contract; they go
  // through our logger at debug level (shown with --verbose). The status
  // messages gRPC returns already say what failed.
  gpr_set_log_function(&bootstrap::ForwardGrpcLog);
  if (absl::Status s = common::DisableCoreDumps(); !s.ok()) {
    std::cerr << "bootstrap: " << s.message() << "\n";
    return static_cast<int>(bootstrap::ExitCode::kOther);
  }
  // The positional arguments are exactly the words after the first "--".
  size_t after = 0;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--") {
      after = static_cast<size_t>(argc - i - 1);
      break;
    }
  }
  return common::cli::Run(bootstrap::MakeProgram(after), argc, argv);
}
