#!/usr/bin/env bash
# Load test of 1, 2 and 3 `secretd serve` replicas on one PostgreSQL server
# (docs/scale-out.md quotes the figures), and how fast a role change
# reaches the other replicas.
#
#   tests/bench/replicas/run_replicas.sh [--duration 10s] [--quick]
#
# Steps: build with -c opt; start a PostgreSQL server of its own
# (tools/pg_server, fsync ON like a real deployment) on a free loopback
# port; fill it with bench_setup (an attestor, role "bench", 8 secrets);
# give each replica a data directory with a copy of the same keys/ and tls/
# (as N hosts would have); then for N = 1, 2, 3 start N replicas (TLS,
# audit log with fdatasync, --store postgresql://..., default pool of 4) and
# drive them with //tests/bench/broker:load, its channels spread over the
# replicas round-robin as a TCP load balancer would: closed loop with 16
# workers (capacity), fixed 1000/s and 2000/s (latency), and 1000/s with
# single-use tokens (a durable token record per call). CPU per call is read
# from /proc: the replicas (sum), and the database (the postmaster, its
# backends, and the backends it reaped). A SQLite line (one replica, the
# data directory's store.db) is the reference. Last, the role-propagation
# measurement of //tests/e2e/replicas:replicas_e2e_test against the same
# server: delays with notifications (refresh 1 s) and with the poll alone
# (refresh 250 ms).
set -euo pipefail
cd "$(dirname "$0")/../../.."
. tests/bench/lib.sh

duration=10s
quick=0
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --quick) quick=1; duration=3s; shift ;;
    *) echo "run_replicas.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

bazel build -c opt //secretd //secretctl //tests/bench/broker:load \
  //tests/bench/broker:bench_setup >/dev/null 2>&1 || {
  echo "run_replicas.sh: build failed; run: bazel build -c opt //tests/bench/broker:all" >&2
  exit 1
}
bin=$(bazel info -c opt bazel-bin 2>/dev/null)

work=$(mktemp -d /tmp/secretd-replicas.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  tools/pg_server stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
  return 0
}
trap cleanup EXIT


# The PostgreSQL server: durable commits (fsync on), as in production.
pg_env=$(SECRETD_PG_OPTIONS='-c fsync=on' tools/pg_server start "$work/pg")
url=${pg_env#SECRETD_TEST_POSTGRES_URL=}
pg_pid=$(head -1 "$work/pg/data/postmaster.pid")

# use_setup DIR [URL]: bench_setup into DIR (state in PostgreSQL at URL, or
# in DIR's store.db); sets seed, key, kid, issuer, audience.
use_setup() {
  local setup
  setup=$("$bin/tests/bench/broker/bench_setup" --dir "$1" ${2:+--store "$2"} 2>"$work/setup.log") ||
    { cat "$work/setup.log" >&2; exit 1; }
  seed=$(json_field "$setup" data_dir)
  key=$(json_field "$setup" key)
  kid=$(json_field "$setup" kid)
  issuer=$(json_field "$setup" issuer)
  audience=$(json_field "$setup" audience)
}

ports=()
# start_replicas N [STORE]: replicas a.. on their data directories.
start_replicas() {
  local n=$1 store=${2:-$url} r i port
  pids=(); ports=()
  for i in $(seq 0 $((n - 1))); do
    r=$(echo abc | cut -c$((i + 1)))
    local dir="$work/data-$r" args=()
    [ "$store" = sqlite ] && dir=$seed || args=(--store "$store")
    "$bin/secretd/secretd" serve --data-dir "$dir" --listen 127.0.0.1:0 \
      --audience "$audience" --replica-id "bench-$r" "${args[@]}" \
      2>"$work/server-$r.log" &
    pids+=($!)
    port=
    for _ in $(seq 1 200); do
      port=$(bound_port "$work/server-$r.log")
      [ -n "$port" ] && break
      sleep 0.05
    done
    [ -n "$port" ] || { echo "run_replicas.sh: replica $r did not start:" >&2; cat "$work/server-$r.log" >&2; exit 1; }
    ports+=("127.0.0.1:$port")
  done
}

stop_replicas() {
  for p in "${pids[@]}"; do kill -TERM "$p"; done
  for p in "${pids[@]}"; do wait "$p" || true; done
  pids=()
}

load() {
  local targets pid_list db=()
  targets=$(IFS=,; echo "${ports[*]}")
  pid_list=$(IFS=,; echo "${pids[*]}")
  [ "$1" = --db ] && { db=(--db-pid "$pg_pid"); shift; }
  "$bin/tests/bench/broker/load" --target "$targets" \
    --ca "$seed/tls/ca.pem" --key "$key" --kid "$kid" --issuer "$issuer" \
    --role bench --server-pid "$pid_list" "${db[@]}" --duration "$duration" "$@" ||
    echo "   (some calls failed: see the codes above)"
}

echo "== $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); PostgreSQL $("$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/postgres" --version | awk '{print $3}') on loopback, fsync on; duration $duration per line"
echo "== reference: 1 replica on SQLite (the data directory's store.db)"
use_setup "$work/setup-sqlite"
start_replicas 1 sqlite
load --concurrency 16
if [ "$quick" = 0 ]; then
  load --rate 1000
  load --rate 2000
fi
stop_replicas

use_setup "$work/setup-pg" "$url"
for r in a b c; do
  mkdir -m 700 "$work/data-$r" "$work/data-$r/audit"
  cp -a "$seed/keys" "$seed/tls" "$work/data-$r/"
done
for n in 1 2 3; do
  start_replicas "$n"
  echo "== $n replica(s) on one PostgreSQL (pool of 4 each)"
  load --db --concurrency 16
  if [ "$quick" = 0 ]; then
    load --db --rate 1000
    load --db --rate 2000
    # Single-use tokens: one durable commit (the token record) per call; a
    # fresh token for every call of the run.
    echo "   single-use tokens (role bench-once), 1000/s:"
    load --db --rate 1000 --role bench-once --tokens 13000 --warmup 2s
  fi
  stop_replicas
done

for r in a b c; do
  f="$work/data-$r/audit/audit-bench-$r.jsonl"
  [ -f "$f" ] || continue
  "$bin/secretctl/secretctl" audit verify --require-signed \
    --audit-public-key "$seed/keys/audit.pub" "$f" | grep ": intact"
done

echo "== role propagation (//tests/e2e/replicas:replicas_e2e_test on this server)"
bazel test --noshow_progress --cache_test_results=no --test_output=all \
  --test_env=SECRETD_TEST_POSTGRES_URL="$url" \
  --test_filter='ReplicasTest.ARoleChanged*:ReplicasTest.WithoutNotifications*' \
  //tests/e2e/replicas:replicas_e2e_test 2>/dev/null | grep -E "^propagation" ||
  echo "   (the propagation test failed; run it with bazel test to see why)"
