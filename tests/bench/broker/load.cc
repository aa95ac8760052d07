// A load generator for the Broker service: drives Provision against a real
// `secretd serve` and prints throughput, latency percentiles and the
// server's CPU time per request.
//
//   bazel run -c opt //tests/bench/broker:load -- --target 127.0.0.1:7443
//       --ca DATA_DIR/tls/ca.pem --key attest.key --kid bench-key
//       --issuer attest.bench --role bench --secret app/bench/s1
//       --server-pid PID (--concurrency 8 | --rate 1000) --duration 10s
//
// Tokens are minted before the run (one challenge each, its own X25519 key,
// the attestor's key file), so the generator spends its CPU on gRPC only.
// Two modes:
//   --concurrency N  closed loop: N workers, each sends its next call when
//                    the last one returned (measures capacity)
//   --rate R         open loop: calls are started at R per second on a fixed
//                    schedule, whatever the answers do; latency is measured
//                    from the scheduled start, so a stalled server cannot
//                    hide its queueing (no coordinated omission)
//   --requests N     with --concurrency: exactly N measured calls (after
//                    --warmup-requests M), instead of --duration; for
//                    instruction counts under valgrind (run_callgrind.sh)
// --on-measure-start CMD / --on-measure-end CMD run a shell command right
// before and after the measured calls (e.g. "callgrind_control -z PID").
// Server CPU: utime + stime of --server-pid from /proc/PID/stat before and
// after the measured interval, divided by the calls answered.
//
// Several replicas: --target and --server-pid take comma-separated lists
// (the channels are spread over the targets round-robin, as a TCP load
// balancer would spread connections; server CPU is the sum). --db-pid PID
// (a PostgreSQL postmaster) adds the database's CPU: the postmaster and
// every process whose parent it is (the backends), plus the CPU of the
// children it reaped meanwhile (cutime + cstime), so backends that come and
// go are counted too.
#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "keys/encoding.h"
#include "keys/jwk.h"
#include "keys/jws.h"
#include "keys/key_files.h"
#include "keys/random.h"
#include "keys/x25519.h"
#include "nlohmann/json.hpp"
#include "proto/grpc/health/v1/health.grpc.pb.h"
#include "proto/secretd/v1/broker.grpc.pb.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Config {
  std::vector<std::string> targets = {"127.0.0.1:7443"};
  std::string ca;  // empty: plaintext
  std::string servername = "localhost";
  std::string key, kid, issuer;
  std::string role = "bench";
  std::vector<std::string> secrets = {"app/bench/s1"};
  int concurrency = 0;
  double rate = 0;
  absl::Duration duration = absl::Seconds(10);
  absl::Duration warmup = absl::Seconds(2);
  int tokens = 200;
  int channels = 4;
  std::vector<int> server_pids;
  int db_pid = 0;
  bool json = false;
  // "Provision", or "GetChallenge" to measure the cost of a call that does
  // almost nothing (gRPC, TLS and the kernel alone), or "Health"
  // (grpc.health.v1.Health/Check: gRPC's own handler, no work at all).
  std::string method = "Provision";
  // Fixed-count mode (closed loop only): warm-up calls, then measured calls.
  int64_t requests = 0;
  int64_t warmup_requests = 0;
  std::string on_measure_start, on_measure_end;
};

[[noreturn]] void Die(const std::string& message) {
  std::cerr << "load: " << message << "\n";
  std::exit(2);
}

Config ParseFlags(int argc, char** argv) {
  Config c;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Die(flag + " needs a value");
      return argv[++i];
    };
    auto duration = [&]() {
      absl::Duration d;
      if (!absl::ParseDuration(value(), &d)) Die(flag + " needs a duration");
      return d;
    };
    auto number = [&]() {
      double d;
      if (!absl::SimpleAtod(value(), &d)) Die(flag + " needs a number");
      return d;
    };
    if (flag == "--target")
      c.targets = absl::StrSplit(value(), ',');
    else if (flag == "--ca")
      c.ca = value();
    else if (flag == "--servername")
      c.servername = value();
    else if (flag == "--key")
      c.key = value();
    else if (flag == "--kid")
      c.kid = value();
    else if (flag == "--issuer")
      c.issuer = value();
    else if (flag == "--role")
      c.role = value();
    else if (flag == "--secret")
      c.secrets = absl::StrSplit(value(), ',');
    else if (flag == "--concurrency")
      c.concurrency = static_cast<int>(number());
    else if (flag == "--rate")
      c.rate = number();
    else if (flag == "--duration")
      c.duration = duration();
    else if (flag == "--warmup")
      c.warmup = duration();
    else if (flag == "--tokens")
      c.tokens = static_cast<int>(number());
    else if (flag == "--channels")
      c.channels = static_cast<int>(number());
    else if (flag == "--server-pid") {
      c.server_pids.clear();
      for (absl::string_view p : absl::StrSplit(value(), ',')) {
        int pid = 0;
        if (!absl::SimpleAtoi(p, &pid)) Die("--server-pid needs pids");
        c.server_pids.push_back(pid);
      }
    } else if (flag == "--db-pid")
      c.db_pid = static_cast<int>(number());
    else if (flag == "--json")
      c.json = true;
    else if (flag == "--method")
      c.method = value();
    else if (flag == "--requests")
      c.requests = static_cast<int64_t>(number());
    else if (flag == "--warmup-requests")
      c.warmup_requests = static_cast<int64_t>(number());
    else if (flag == "--on-measure-start")
      c.on_measure_start = value();
    else if (flag == "--on-measure-end")
      c.on_measure_end = value();
    else
      Die("unknown flag " + flag);
  }
  if (c.key.empty() || c.kid.empty() || c.issuer.empty()) {
    Die("--key, --kid and --issuer are required");
  }
  if (c.method != "Provision" && c.method != "GetChallenge" &&
      c.method != "Health") {
    Die("--method is Provision, GetChallenge or Health");
  }
  if ((c.concurrency > 0) == (c.rate > 0)) {
    Die("give exactly one of --concurrency N and --rate R");
  }
  if (c.requests > 0 && c.concurrency == 0) {
    Die("--requests needs --concurrency (a closed loop)");
  }
  return c;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Die("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Fields 3... of /proc/PID/stat (after the command name, which is in
// parentheses and may hold spaces); empty if the process is gone.
std::vector<std::string> StatFields(int pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"), std::ios::binary);
  if (!in) return {};
  std::ostringstream s;
  s << in.rdbuf();
  const std::string stat = s.str();
  const size_t close = stat.rfind(')');
  if (close == std::string::npos || close + 2 > stat.size()) return {};
  return absl::StrSplit(stat.substr(close + 2), ' ');
}

// Field number n (1-based, as in proc(5)) as an integer, or 0.
long long StatField(const std::vector<std::string>& f, int n) {
  long long v = 0;
  if (static_cast<int>(f.size()) < n - 2 ||
      !absl::SimpleAtoi(f[static_cast<size_t>(n - 3)], &v)) {
    return 0;
  }
  return v;
}

double Ticks(long long ticks) {
  return static_cast<double>(ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// CPU time in seconds: user (utime) and system (stime).
struct ProcessCpu {
  double user = 0, system = 0;
  double total() const { return user + system; }
  ProcessCpu operator-(const ProcessCpu& o) const {
    return {user - o.user, system - o.system};
  }
  ProcessCpu& operator+=(const ProcessCpu& o) {
    user += o.user;
    system += o.system;
    return *this;
  }
};

// One process's CPU (zero without a pid).
ProcessCpu ReadProcessCpu(int pid) {
  if (pid <= 0) return {};
  const std::vector<std::string> f = StatFields(pid);
  if (f.empty()) Die(absl::StrCat("cannot read /proc/", pid, "/stat"));
  return {Ticks(StatField(f, 14)), Ticks(StatField(f, 15))};
}

// The sum over several servers (replicas).
ProcessCpu ReadServersCpu(const std::vector<int>& pids) {
  ProcessCpu total;
  for (int pid : pids) total += ReadProcessCpu(pid);
  return total;
}

// A PostgreSQL server's CPU: the postmaster, its live children, and the
// children it has reaped (cutime + cstime of the postmaster).
double ProcessTreeCpuSeconds(int root) {
  if (root <= 0) return 0;
  const std::vector<std::string> rf = StatFields(root);
  if (rf.empty()) Die(absl::StrCat("cannot read /proc/", root, "/stat"));
  long long ticks = StatField(rf, 14) + StatField(rf, 15) + StatField(rf, 16) +
                    StatField(rf, 17);
  DIR* proc = opendir("/proc");
  if (proc == nullptr) Die("cannot list /proc");
  while (dirent* e = readdir(proc)) {
    int pid = 0;
    if (!absl::SimpleAtoi(e->d_name, &pid) || pid == root) continue;
    const std::vector<std::string> f = StatFields(pid);
    if (f.empty() || StatField(f, 4) != root) continue;
    ticks += StatField(f, 14) + StatField(f, 15);
  }
  closedir(proc);
  return Ticks(ticks);
}

double SelfCpuSeconds() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec +
         (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

class Results {
 public:
  void Add(double latency_seconds, grpc::StatusCode code, bool measured) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!measured) return;
    latencies_.push_back(latency_seconds);
    ++codes_[code];
  }
  std::vector<double> latencies() {
    std::lock_guard<std::mutex> lock(mu_);
    return latencies_;
  }
  std::map<grpc::StatusCode, int64_t> codes() {
    std::lock_guard<std::mutex> lock(mu_);
    return codes_;
  }

 private:
  std::mutex mu_;
  std::vector<double> latencies_;
  std::map<grpc::StatusCode, int64_t> codes_;
};

std::vector<std::shared_ptr<grpc::Channel>> MakeChannels(const Config& c) {
  std::vector<std::shared_ptr<grpc::Channel>> out;
  // `channels` connections to each target.
  const int n = std::max(1, c.channels) * static_cast<int>(c.targets.size());
  for (int i = 0; i < n; ++i) {
    grpc::ChannelArguments args;
    // Separate connections, not one shared subchannel.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("secretd.load.channel", i);
    std::shared_ptr<grpc::ChannelCredentials> creds;
    if (c.ca.empty()) {
      creds = grpc::InsecureChannelCredentials();
    } else {
      grpc::SslCredentialsOptions o;
      o.pem_root_certs = ReadFile(c.ca);
      creds = grpc::SslCredentials(o);
      args.SetSslTargetNameOverride(c.servername);
    }
    out.push_back(grpc::CreateCustomChannel(
        c.targets[static_cast<size_t>(i) % c.targets.size()], creds, args));
  }
  return out;
}

std::vector<secretd::v1::ProvisionRequest> MintRequests(
    const Config& c, secretd::v1::Broker::Stub& stub) {
  auto key = keys::LoadSigningKeyFile(c.key);
  if (!key.ok()) Die(std::string(key.status().message()));
  auto signer = key->signer();
  if (!signer.ok()) Die(std::string(signer.status().message()));
  keys::SystemRandom random;
  std::vector<secretd::v1::ProvisionRequest> out;
  for (int i = 0; i < c.tokens; ++i) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(10));
    secretd::v1::GetChallengeResponse challenge;
    grpc::Status s = stub.GetChallenge(&ctx, {}, &challenge);
    if (!s.ok()) Die("GetChallenge: " + s.error_message());
    keys::X25519KeyPair pair = keys::X25519KeyPair::Generate();
    const int64_t now = absl::ToUnixSeconds(absl::Now());
    nlohmann::json claims = {
        {"iss", c.issuer},
        {"sub", absl::StrCat("i-bench-", i)},
        {"aud", challenge.audience()},
        {"iat", now},
        {"exp", now + 290},
        {"jti", keys::Base64UrlEncode(keys::RandomBytes(random, 16))},
        {"nonce", challenge.challenge()},
        {"image_id", "ami-0bench"},
        {"tags", {{"env", "bench"}}},
        {"cnf",
         {{"jwk",
           {{"kty", "OKP"},
            {"crv", "X25519"},
            {"x", keys::Base64UrlEncode(pair.public_key())}}}}}};
    auto token = keys::SignJwt(**signer, c.kid, claims);
    if (!token.ok()) Die(std::string(token.status().message()));
    secretd::v1::ProvisionRequest r;
    r.set_attestation_token(*token);
    r.set_role(c.role);
    for (const auto& s : c.secrets) r.add_secrets(s);
    out.push_back(std::move(r));
  }
  return out;
}

// Closed loop: `concurrency` workers, one call at a time each, until `end`
// or, if `count` > 0, until `count` calls were started.
void RunClosed(const Config& c,
               const std::vector<std::shared_ptr<grpc::Channel>>& channels,
               const std::vector<secretd::v1::ProvisionRequest>& requests,
               Clock::time_point measure_from, Clock::time_point end,
               Results* results, int64_t count = 0) {
  std::vector<std::thread> workers;
  std::atomic<int64_t> started{0};
  for (int w = 0; w < c.concurrency; ++w) {
    workers.emplace_back([&, w] {
      auto stub = secretd::v1::Broker::NewStub(channels[w % channels.size()]);
      auto health =
          grpc::health::v1::Health::NewStub(channels[w % channels.size()]);
      size_t next = static_cast<size_t>(w);
      for (;;) {
        const Clock::time_point start = Clock::now();
        if (count > 0 ? started.fetch_add(1) >= count : start >= end) break;
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(30));
        grpc::Status s;
        if (c.method == "GetChallenge") {
          secretd::v1::GetChallengeResponse response;
          s = stub->GetChallenge(&ctx, {}, &response);
        } else if (c.method == "Health") {
          grpc::health::v1::HealthCheckResponse response;
          s = health->Check(&ctx, {}, &response);
        } else {
          secretd::v1::ProvisionResponse response;
          s = stub->Provision(&ctx, requests[next++ % requests.size()],
                              &response);
        }
        const Clock::time_point done = Clock::now();
        results->Add(std::chrono::duration<double>(done - start).count(),
                     s.error_code(), start >= measure_from);
      }
    });
  }
  for (auto& t : workers) t.join();
}

// Open loop: calls start on a fixed schedule of `rate` per second.
void RunOpen(const Config& c,
             const std::vector<std::shared_ptr<grpc::Channel>>& channels,
             const std::vector<secretd::v1::ProvisionRequest>& requests,
             Clock::time_point begin, Clock::time_point measure_from,
             Clock::time_point end, Results* results) {
  std::vector<std::unique_ptr<secretd::v1::Broker::Stub>> stubs;
  std::vector<std::unique_ptr<grpc::health::v1::Health::Stub>> health_stubs;
  for (const auto& ch : channels) {
    stubs.push_back(secretd::v1::Broker::NewStub(ch));
    health_stubs.push_back(grpc::health::v1::Health::NewStub(ch));
  }
  struct Call {
    grpc::ClientContext ctx;
    secretd::v1::ProvisionResponse response;
    secretd::v1::GetChallengeRequest challenge_request;
    secretd::v1::GetChallengeResponse challenge;
    grpc::health::v1::HealthCheckRequest health_request;
    grpc::health::v1::HealthCheckResponse health;
    Clock::time_point scheduled;
  };
  std::mutex mu;
  std::condition_variable all_done;
  int64_t outstanding = 0;
  const auto interval = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(1.0 / c.rate));
  int64_t i = 0;
  for (Clock::time_point t = begin; t < end; t = begin + interval * (++i)) {
    std::this_thread::sleep_until(t);
    auto* call = new Call();
    call->scheduled = t;
    call->ctx.set_deadline(std::chrono::system_clock::now() +
                           std::chrono::seconds(30));
    {
      std::lock_guard<std::mutex> lock(mu);
      ++outstanding;
    }
    const bool measured = t >= measure_from;
    auto* stub = stubs[static_cast<size_t>(i) % stubs.size()].get();
    auto done = [&, call, measured](grpc::Status s) {
      const Clock::time_point finished = Clock::now();
      results->Add(
          std::chrono::duration<double>(finished - call->scheduled).count(),
          s.error_code(), measured);
      delete call;
      std::lock_guard<std::mutex> lock(mu);
      if (--outstanding == 0) all_done.notify_all();
    };
    if (c.method == "GetChallenge") {
      stub->async()->GetChallenge(&call->ctx, &call->challenge_request,
                                  &call->challenge, std::move(done));
    } else if (c.method == "Health") {
      health_stubs[static_cast<size_t>(i) % health_stubs.size()]
          ->async()
          ->Check(&call->ctx, &call->health_request, &call->health,
                  std::move(done));
    } else {
      stub->async()->Provision(
          &call->ctx, &requests[static_cast<size_t>(i) % requests.size()],
          &call->response, std::move(done));
    }
  }
  std::unique_lock<std::mutex> lock(mu);
  all_done.wait(lock, [&] { return outstanding == 0; });
}

double Percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t idx = std::min(sorted.size() - 1,
                              static_cast<size_t>(p / 100.0 * sorted.size()));
  return sorted[idx];
}

void RunHook(const std::string& command) {
  if (command.empty()) return;
  if (std::system(command.c_str()) != 0) Die("hook failed: " + command);
}

// --requests N: warm-up calls, the start hook, N measured calls, the end
// hook. Prints calls, server CPU per call and latency percentiles.
int RunCounted(const Config& c,
               const std::vector<std::shared_ptr<grpc::Channel>>& channels,
               const std::vector<secretd::v1::ProvisionRequest>& requests) {
  const Clock::time_point far = Clock::now() + std::chrono::hours(24);
  Results warmup, results;
  if (c.warmup_requests > 0) {
    RunClosed(c, channels, requests, far, far, &warmup, c.warmup_requests);
  }
  RunHook(c.on_measure_start);
  const ProcessCpu cpu_before = ReadServersCpu(c.server_pids);
  const Clock::time_point begin = Clock::now();
  RunClosed(c, channels, requests, begin, far, &results, c.requests);
  const double seconds =
      std::chrono::duration<double>(Clock::now() - begin).count();
  const ProcessCpu cpu = ReadServersCpu(c.server_pids) - cpu_before;
  RunHook(c.on_measure_end);
  std::vector<double> lat = results.latencies();
  std::sort(lat.begin(), lat.end());
  int64_t ok = 0, total = 0;
  for (const auto& [code, n] : results.codes()) {
    total += n;
    if (code == grpc::StatusCode::OK) ok += n;
  }
  std::cout << absl::StrFormat(
      "%-12s concurrency %d: %d calls (%d OK) in %.2f s  p50 %.2f ms  p99 "
      "%.2f ms  server CPU %.1f us/call (user %.1f, system %.1f)\n",
      c.method, c.concurrency, total, ok, seconds, Percentile(lat, 50) * 1e3,
      Percentile(lat, 99) * 1e3, total > 0 ? cpu.total() / total * 1e6 : 0,
      total > 0 ? cpu.user / total * 1e6 : 0,
      total > 0 ? cpu.system / total * 1e6 : 0);
  return ok == total ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const Config c = ParseFlags(argc, argv);
  const auto channels = MakeChannels(c);
  auto setup_stub = secretd::v1::Broker::NewStub(channels[0]);
  const auto requests = MintRequests(c, *setup_stub);

  if (c.requests > 0) return RunCounted(c, channels, requests);

  Results results;
  const Clock::time_point begin = Clock::now();
  const Clock::time_point measure_from =
      begin + absl::ToChronoNanoseconds(c.warmup);
  const Clock::time_point end =
      measure_from + absl::ToChronoNanoseconds(c.duration);
  // Server CPU is read at the start and the end of the measured interval.
  ProcessCpu cpu_before, cpu_after;
  double self_before = 0, self_after = 0;
  double db_before = 0, db_after = 0;
  std::thread sampler([&] {
    std::this_thread::sleep_until(measure_from);
    cpu_before = ReadServersCpu(c.server_pids);
    db_before = ProcessTreeCpuSeconds(c.db_pid);
    self_before = SelfCpuSeconds();
    std::this_thread::sleep_until(end);
    cpu_after = ReadServersCpu(c.server_pids);
    db_after = ProcessTreeCpuSeconds(c.db_pid);
    self_after = SelfCpuSeconds();
  });
  if (c.concurrency > 0) {
    RunClosed(c, channels, requests, measure_from, end, &results);
  } else {
    RunOpen(c, channels, requests, begin, measure_from, end, &results);
  }
  sampler.join();

  std::vector<double> lat = results.latencies();
  std::sort(lat.begin(), lat.end());
  const double seconds = absl::ToDoubleSeconds(c.duration);
  int64_t ok = 0, total = 0;
  std::string codes;
  for (const auto& [code, n] : results.codes()) {
    total += n;
    if (code == grpc::StatusCode::OK) ok += n;
    absl::StrAppend(&codes, codes.empty() ? "" : " ", "code",
                    static_cast<int>(code), "=", n);
  }
  const ProcessCpu server = cpu_after - cpu_before;
  const double server_cpu = server.total();
  const double per_request_us = total > 0 ? server_cpu / total * 1e6 : 0;
  nlohmann::ordered_json out;
  out["method"] = c.method;
  out["mode"] = c.concurrency > 0 ? absl::StrCat("concurrency ", c.concurrency)
                                  : absl::StrCat("rate ", c.rate, "/s");
  out["secrets_per_request"] = c.secrets.size();
  out["calls"] = total;
  out["ok"] = ok;
  out["codes"] = codes;
  out["throughput_per_s"] = total / seconds;
  out["p50_ms"] = Percentile(lat, 50) * 1e3;
  out["p90_ms"] = Percentile(lat, 90) * 1e3;
  out["p99_ms"] = Percentile(lat, 99) * 1e3;
  out["max_ms"] = lat.empty() ? 0 : lat.back() * 1e3;
  out["server_cpu_s"] = server_cpu;
  out["server_cpu_per_request_us"] = per_request_us;
  out["server_user_per_request_us"] = total > 0 ? server.user / total * 1e6 : 0;
  out["server_system_per_request_us"] =
      total > 0 ? server.system / total * 1e6 : 0;
  out["server_cpu_cores"] = server_cpu / seconds;
  const double db_cpu = db_after - db_before;
  out["db_cpu_per_request_us"] = total > 0 ? db_cpu / total * 1e6 : 0;
  out["db_cpu_cores"] = db_cpu / seconds;
  out["client_cpu_cores"] = (self_after - self_before) / seconds;
  out["replicas"] = c.targets.size();
  if (c.json) {
    std::cout << out.dump() << "\n";
  } else {
    std::cout << absl::StrFormat(
        "%-12s %-16s %6d calls %8.0f/s  p50 %6.2f ms  p90 %6.2f ms  p99 %6.2f "
        "ms  "
        "max %7.2f ms  server CPU %6.1f us/call (user %5.1f, sys %5.1f; %.2f "
        "cores)%s  client %.2f cores  [%s]\n",
        c.method, out["mode"].get<std::string>(), total, total / seconds,
        out["p50_ms"].get<double>(), out["p90_ms"].get<double>(),
        out["p99_ms"].get<double>(), out["max_ms"].get<double>(),
        per_request_us, out["server_user_per_request_us"].get<double>(),
        out["server_system_per_request_us"].get<double>(), server_cpu / seconds,
        c.db_pid > 0
            ? absl::StrFormat("  db CPU %6.1f us/call (%.2f cores)",
                              out["db_cpu_per_request_us"].get<double>(),
                              db_cpu / seconds)
            : std::string(),
        out["client_cpu_cores"].get<double>(), codes);
  }
  return ok == total ? 0 : 1;
}
