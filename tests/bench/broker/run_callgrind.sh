#!/usr/bin/env bash
# Instructions per call of the real `secretd serve` (-c opt), counted by
# valgrind's callgrind: unlike CPU time, the count is the same run after run
# whatever else the machine does, so it measures a change to the server's
# own code exactly (it does not see the kernel: syscalls, context switches,
# fdatasync, loopback TCP are CPU time that no instruction count shows).
#
#   tests/bench/broker/run_callgrind.sh [--requests 400] [--top 40]
#
# For each of Provision (1 secret), GetChallenge and grpc.health.v1 Check,
# over TLS and with --plaintext: a data directory (bench_setup), the server
# under callgrind, 100 warm-up calls from one client, the counters zeroed,
# N measured calls, a dump. Prints instructions per call, and the functions
# with the most inclusive instructions per Provision call (TLS).
set -euo pipefail
cd "$(dirname "$0")/../../.."
. tests/bench/lib.sh

requests=400
top=40
while [ $# -gt 0 ]; do
  case "$1" in
    --requests) requests=$2; shift 2 ;;
    --top) top=$2; shift 2 ;;
    *) echo "run_callgrind.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
command -v valgrind >/dev/null || {
  echo "run_callgrind.sh: valgrind is not installed (apt-get install valgrind)" >&2
  exit 1
}

bazel build -c opt //secretd //tests/bench/broker:load \
  //tests/bench/broker:bench_setup >/dev/null 2>&1 || {
  echo "run_callgrind.sh: build failed; run: bazel build -c opt //secretd //tests/bench/broker:all" >&2
  exit 1
}
bin=$(bazel info -c opt bazel-bin 2>/dev/null)

work=$(mktemp -d /tmp/secretd-callgrind.XXXXXX)
server_pid=
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
  return 0
}
trap cleanup EXIT

# measure NAME METHOD plaintext|tls: prints "NAME  <instructions per call>".
measure() {
  local name=$1 method=$2 mode=$3 root="$work/$1" setup data port= out
  mkdir -p "$root"
  setup=$("$bin/tests/bench/broker/bench_setup" --dir "$root" 2>/dev/null)
  data=$(json_field "$setup" data_dir)
  local serve_flags=() load_flags=(--ca "$data/tls/ca.pem")
  if [ "$mode" = plaintext ]; then
    serve_flags=(--plaintext)
    load_flags=()
  fi
  out="$root/callgrind.out"
  valgrind --tool=callgrind --callgrind-out-file="$out" \
    "$bin/secretd/secretd" serve --data-dir "$data" --listen 127.0.0.1:0 \
    --audience "$(json_field "$setup" audience)" --replica-id bench \
    "${serve_flags[@]}" 2>"$root/server.log" &
  server_pid=$!
  for _ in $(seq 1 600); do
    port=$(bound_port "$root/server.log")
    [ -n "$port" ] && break
    sleep 0.1
  done
  if [ -z "$port" ]; then
    echo "run_callgrind.sh: secretd did not start:" >&2
    cat "$root/server.log" >&2
    exit 1
  fi
  "$bin/tests/bench/broker/load" --target "127.0.0.1:$port" "${load_flags[@]}" \
    --key "$(json_field "$setup" key)" --kid "$(json_field "$setup" kid)" \
    --issuer "$(json_field "$setup" issuer)" --role bench \
    --method "$method" --concurrency 1 --tokens 20 \
    --warmup-requests 100 --requests "$requests" \
    --on-measure-start "callgrind_control -z $server_pid >/dev/null 2>&1" \
    --on-measure-end "callgrind_control -d $server_pid >/dev/null 2>&1" >/dev/null
  kill -TERM "$server_pid"
  wait "$server_pid" || true
  server_pid=
  # The dump taken by the end hook is the file with suffix .1.
  local total
  total=$(grep -E '^(summary|totals):' "$out.1" | head -1 | awk '{print $2}')
  printf "%-28s %10d instructions per call\n" "$name" $((total / requests))
  if [ "$name" = "Provision TLS" ] && [ "$top" -gt 0 ]; then
    cp "$out.1" "$work/provision-tls.out"
  fi
}

echo "== callgrind: $requests calls per line, one client, 1 secret per Provision"
measure "Provision TLS" Provision tls
measure "Provision plaintext" Provision plaintext
measure "GetChallenge TLS" GetChallenge tls
measure "GetChallenge plaintext" GetChallenge plaintext
measure "Health/Check TLS" Health tls
measure "Health/Check plaintext" Health plaintext
if [ "$top" -gt 0 ]; then
  echo "== inclusive instructions per Provision call (TLS), top $top"
  # (head closes the pipe early: not an error)
  { callgrind_annotate --inclusive=yes "$work/provision-tls.out" 2>/dev/null |
    grep -E '^ *[0-9,]+ ' | grep -v 'PROGRAM TOTALS' |
    awk -v n="$requests" '{c=$1; gsub(",","",c); $1=""; $2="";
      sub(/^ +/, ""); sub(/ \[.*$/, ""); printf "%9d  %s\n", c / n, substr($0, 1, 150)}' |
    head -n "$top"; } || true
fi
