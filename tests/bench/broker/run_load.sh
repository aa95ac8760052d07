#!/usr/bin/env bash
# Load test of the real `secretd serve` (-c opt, TLS, SQLite store, audit log
# with fsync) and the crypto it is measured against, in one run.
#
#   tests/bench/broker/run_load.sh [--duration 10s] [--quick]
#
# Steps: build everything with -c opt; make a data directory (bench_setup);
# start `secretd serve` on a free loopback port; run the load generator in
# closed loop (1, 4, 16 workers), at fixed rates (500/s, 1000/s), with 4
# secrets per call, and GetChallenge and grpc.health.v1 Check (the gRPC +
# TLS floor); stop the server (SIGTERM) and verify its audit log; repeat two
# runs with the data directory on tmpfs (what fdatasync costs); measure
# write + fdatasync of an audit line alone on the same disk (fsync_cost);
# then run provision_bench (the crypto and the handler in-process) and the
# keys benchmarks. Prints every figure; docs/broker.md quotes them.
set -euo pipefail
cd "$(dirname "$0")/../../.."
. tests/bench/lib.sh

duration=10s
quick=0
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --quick) quick=1; duration=3s; shift ;;
    *) echo "run_load.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

bazel build -c opt //secretd //secretctl //tests/bench/broker:load \
  //tests/bench/broker:bench_setup //tests/bench/broker:provision_bench \
  //tests/bench/broker:fsync_cost //tests/bench/keys:keys_bench \
  >/dev/null 2>&1 || {
  echo "run_load.sh: build failed; run: bazel build -c opt //tests/bench/broker:all" >&2
  exit 1
}
bin=$(bazel info -c opt bazel-bin 2>/dev/null)

work=$(mktemp -d /tmp/secretd-load.XXXXXX)
shm=
server_pid=
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
  [ -n "$shm" ] && rm -rf "$shm"
  return 0
}
trap cleanup EXIT


# start_server ROOT: a data directory under ROOT and a server on it. Sets
# data, key, kid, issuer, server_pid and port.
start_server() {
  local root=$1 setup
  setup=$("$bin/tests/bench/broker/bench_setup" --dir "$root")
  data=$(json_field "$setup" data_dir)
  key=$(json_field "$setup" key)
  kid=$(json_field "$setup" kid)
  issuer=$(json_field "$setup" issuer)
  "$bin/secretd/secretd" serve --data-dir "$data" --listen 127.0.0.1:0 \
    --audience "$(json_field "$setup" audience)" --replica-id bench \
    2>"$root/server.log" &
  server_pid=$!
  port=
  for _ in $(seq 1 200); do
    port=$(bound_port "$root/server.log")
    [ -n "$port" ] && return 0
    sleep 0.05
  done
  echo "run_load.sh: secretd did not start:" >&2
  cat "$root/server.log" >&2
  exit 1
}

stop_server() {
  kill -TERM "$server_pid"
  wait "$server_pid" || true
  server_pid=
}

load() {
  "$bin/tests/bench/broker/load" --target "127.0.0.1:$port" \
    --ca "$data/tls/ca.pem" --key "$key" --kid "$kid" --issuer "$issuer" \
    --role bench --server-pid "$server_pid" --duration "$duration" "$@" ||
    echo "   (some calls failed: see the codes above)"
}

start_server "$work"
echo "== secretd serve (TLS, SQLite, audit fdatasync on $(df --output=source "$work" | tail -1)), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$quick" = 1 ]; then
  load --concurrency 4
  load --rate 1000
else
  load --concurrency 1
  load --concurrency 4
  load --concurrency 16
  load --rate 500
  load --rate 1000
  load --rate 1000 --secret app/bench/s1,app/bench/s2,app/bench/s3,app/bench/s4
  echo "== the floor: GetChallenge (gRPC, TLS and the kernel; almost no work) and Health/Check (no work)"
  load --concurrency 4 --method GetChallenge
  load --rate 1000 --method GetChallenge
  load --rate 1000 --method Health
fi
stop_server
audit="$data/audit/audit-bench.jsonl"
echo "== audit log: $(wc -l <"$audit") lines; server log: $(grep -c '"msg":"provision"' "$work/server.log") provision lines"
"$bin/secretctl/secretctl" --data-dir "$data" audit verify --require-signed "$audit"

if [ "$quick" = 0 ] && [ -d /dev/shm ]; then
  # The same with the data directory on tmpfs, where fdatasync returns at
  # once: the difference is what durability costs on this disk. (Not a
  # supported setup: the audit log must be on durable storage.)
  shm=$(mktemp -d /dev/shm/secretd-load.XXXXXX)
  start_server "$shm"
  echo "== the same on tmpfs (fdatasync costs nothing there)"
  load --concurrency 4
  load --rate 1000
  stop_server
fi

echo "== write + fdatasync of one audit line alone, on the disk of the data directory"
"$bin/tests/bench/broker/fsync_cost" --dir "$work" --lines 3000

echo "== crypto and handler in-process (CPU time, median of 3)"
"$bin/tests/bench/broker/provision_bench" --benchmark_repetitions=3 \
  --benchmark_report_aggregates_only=true 2>/dev/null | grep -E "_median|^Benchmark|^---"
echo "== keys benchmarks (reference)"
"$bin/tests/bench/keys/keys_bench" \
  --benchmark_filter='BM_Ed25519Verify/keys|BM_Seal/keys|BM_TokenVerify/EdDSA' \
  2>/dev/null | grep -E "^BM_|^Benchmark"
