#!/usr/bin/env bash
# End to end with the real processes (issue 7): secretctl init -> secretd
# serve -> secretctl trust/role/secret over the admin socket -> bootstrap as
# two instances. Each case is reported as its own JUnit testcase.
#
# Forged and mismatched responses are refused by the agent: that is proven
# against a fake broker that can forge, in tests/integration/bootstrap.
set -uo pipefail

SECRETD=$(realpath "$1")
SECRETCTL=$(realpath "$2")
BOOTSTRAP=$(realpath "$3")
EXAMPLES=$(realpath "$(dirname "$4")")
# shellcheck source=../../../tools/lib/secretd_env.sh
source "$5"

W=$TEST_TMPDIR/flow
mkdir -p "$W"
CASES=()
FAILED=0

fail() { echo "FAIL: $*" >&2; return 1; }
check_eq() {  # check_eq WHAT GOT WANT
  [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}
run_case() {  # run_case NAME FUNCTION
  local name=$1 start rc
  start=$(date +%s.%N)
  echo "=== $name"
  ( set -e; "$2" ) >"$W/$name.log" 2>&1
  rc=$?
  cat "$W/$name.log"
  local t; t=$(python3 -c "print(round($(date +%s.%N) - $start, 3))")
  if [ $rc = 0 ]; then
    echo "--- PASS $name"
    CASES+=("<testcase name=\"$name\" classname=\"FlowTest\" time=\"$t\"/>")
  else
    echo "--- FAIL $name"
    FAILED=$((FAILED + 1))
    local msg; msg=$(tail -3 "$W/$name.log" | tr -d '<>&"' | tr '\n' ' ')
    CASES+=("<testcase name=\"$name\" classname=\"FlowTest\" time=\"$t\"><failure message=\"$msg\"/></testcase>")
  fi
}
write_junit() {
  local out=${XML_OUTPUT_FILE:-$W/junit.xml}
  { echo '<?xml version="1.0" encoding="UTF-8"?>'
    echo "<testsuites><testsuite name=\"FlowTest\" tests=\"${#CASES[@]}\" failures=\"$FAILED\">"
    printf '%s\n' "${CASES[@]}"
    echo '</testsuite></testsuites>'; } >"$out"
}
trap 'senv_stop_broker' EXIT

mode_of() { stat -c '%a' "$1"; }
owner_of() { stat -c '%u:%g' "$1"; }
# Files (not directories) under a directory, relative, sorted.
files_under() { (cd "$1" && find . -type f | sort); }
provision_records() {  # provision_records SUBJECT: their JSON lines
  cat "$SENV_DATA"/audit/*.jsonl | grep '"type":"provision"' | grep "\"subject\":\"$1\"" || true
}
WEB_TAGS='{"env":"prod","team":"web"}'
BATCH_TAGS='{"env":"prod","team":"batch"}'

# --- setup -------------------------------------------------------------------
setup() {
  senv_init "$W/env"
  senv_start_broker "$(senv_free_port)"
  senv_configure
  "$SECRETCTL" --data-dir "$SENV_DATA" secret list --format json >"$W/secrets.json"
  python3 - "$W/secrets.json" <<'PY'
import json, sys
names = sorted(s["name"] for s in json.load(open(sys.argv[1]))["secrets"])
assert names == ["app/batch/token", "app/shared/ca-bundle", "app/web/api-key", "app/web/db-password"], names
PY
}

# --- cases -------------------------------------------------------------------
files_are_delivered_with_contents_modes_and_owner() {
  local out=$W/web-01/secrets owner_spec=""
  [ "$(id -u)" = 0 ] && owner_spec=":4242:4343"
  mkdir -p "$W/web-01/home" "$W/web-01/tmp"
  HOME=$W/web-01/home TMPDIR=$W/web-01/tmp senv_bootstrap i-web-01 "$WEB_TAGS" web \
    --out-dir "$out" --allow-disk \
    --secret app/web/db-password \
    --secret "app/web/api-key=api-key:0440" \
    --secret "app/shared/ca-bundle=tls/ca.pem:0444$owner_spec"
  check_eq "db-password" "$(cat "$out/app/web/db-password")" "correct-horse-battery-staple"
  check_eq "api-key" "$(cat "$out/api-key")" "ak_live_7f3c2a91e0b4c5d6"
  check_eq "ca-bundle" "$(cat "$out/tls/ca.pem")" "-----BEGIN CERTIFICATE----- (demo) -----END CERTIFICATE-----"
  check_eq "default mode" "$(mode_of "$out/app/web/db-password")" 400
  check_eq "mode 0440" "$(mode_of "$out/api-key")" 440
  check_eq "mode 0444" "$(mode_of "$out/tls/ca.pem")" 444
  check_eq "default owner" "$(owner_of "$out/app/web/db-password")" "$(id -u):$(id -g)"
  if [ "$(id -u)" = 0 ]; then
    check_eq "owner" "$(owner_of "$out/tls/ca.pem")" "4242:4343"
  else
    echo "not root: the chown case is covered by tests/integration/bootstrap as root"
  fi
  # The agent created exactly the three secret files: no key, no temp file,
  # nothing in HOME or TMPDIR.
  check_eq "files in out-dir" "$(files_under "$out" | tr '\n' ' ')" \
    "./api-key ./app/web/db-password ./tls/ca.pem "
  check_eq "files in HOME" "$(files_under "$W/web-01/home")" ""
  check_eq "files in TMPDIR" "$(files_under "$W/web-01/tmp")" ""
  check_eq "records for i-web-01" "$(provision_records i-web-01 | grep -c '"decision":"allow"')" 1
}

exec_mode_passes_the_environment() {
  local env_out=$W/exec.out
  senv_bootstrap i-web-02 "$WEB_TAGS" web \
    --secret app/web/db-password --secret "app/web/api-key=API_KEY" \
    --exec -- /usr/bin/env >"$env_out"
  grep -qx 'APP_WEB_DB_PASSWORD=correct-horse-battery-staple' "$env_out" || fail "APP_WEB_DB_PASSWORD missing"
  grep -qx 'API_KEY=ak_live_7f3c2a91e0b4c5d6' "$env_out" || fail "API_KEY missing"
  # The agent's own variables do not leak to the command.
  if grep -q '^SECRETD_NONCE=' "$env_out"; then fail "SECRETD_NONCE leaked"; fi
}

denied_request_is_not_retried_and_writes_nothing() {
  local out=$W/batch-07/secrets rc=0
  mkdir -p "$W/batch-07"
  senv_bootstrap i-batch-07 "$BATCH_TAGS" batch --out-dir "$out" --allow-disk \
    --secret app/batch/token --secret app/web/db-password 2>"$W/batch.err" || rc=$?
  cat "$W/batch.err"
  check_eq "exit code for a denial" "$rc" 5
  grep -q 'app/web/db-password' "$W/batch.err" || fail "the error does not name the denied secret"
  [ ! -e "$out" ] || [ -z "$(files_under "$out")" ] || fail "files were written: $(files_under "$out")"
  # Exactly one attempt reached the broker: one record, a precise reason.
  local records; records=$(provision_records i-batch-07)
  check_eq "records for i-batch-07" "$(printf '%s\n' "$records" | grep -c .)" 1
  printf '%s' "$records" | grep -q '"decision":"deny"' || fail "not a deny record"
  printf '%s' "$records" | grep -q '"reason":"permission.explicit_deny"' || fail "wrong reason"
}

untrusted_instance_is_refused_before_any_secret() {
  local rc=0
  mkdir -p "$W/dev-03"
  senv_bootstrap i-dev-03 '{"env":"dev"}' web --out-dir "$W/dev-03" --allow-disk \
    --secret app/web/db-password 2>"$W/dev.err" || rc=$?
  check_eq "exit code" "$rc" 5
  provision_records i-dev-03 | grep -q '"reason":"trust.implicit_deny"' || fail "no trust deny record"
}

broker_down_at_start_is_retried_until_it_is_up() {
  local port; port=$(cat "$SENV_WORK/secretd.port")
  SENV_PORT=$port
  senv_stop_broker
  local out=$W/web-04/secrets
  mkdir -p "$W/web-04"
  senv_bootstrap i-web-04 "$WEB_TAGS" web --out-dir "$out" --allow-disk --timeout 60 \
    --secret app/web/db-password 2>"$W/web-04.err" &
  local agent=$!
  # Wait for the agent to have failed at least once, then bring the broker up.
  local i
  for i in $(seq 200); do
    grep -q 'attempt failed; retrying' "$W/web-04.err" && break
    sleep 0.1
  done
  grep -q 'attempt failed; retrying' "$W/web-04.err" || fail "the agent never retried"
  senv_start_broker "$port"
  local rc=0
  wait "$agent" || rc=$?
  cat "$W/web-04.err"
  check_eq "exit code after the broker came up" "$rc" 0
  check_eq "delivered" "$(cat "$out/app/web/db-password")" "correct-horse-battery-staple"
}

audit_log_verifies_and_holds_no_secret() {
  senv_stop_broker  # writes the shutdown checkpoint
  "$SECRETCTL" --data-dir "$SENV_DATA" audit verify --require-signed "$SENV_DATA"/audit/*.jsonl
  for v in correct-horse-battery-staple ak_live_7f3c2a91e0b4c5d6 batch-token-0451; do
    if grep -q "$v" "$SENV_DATA"/audit/*.jsonl "$SENV_WORK"/secretd.log*; then
      fail "secret value $v found in the audit log or the broker's log"
    fi
  done
  "$SECRETCTL" audit query "$SENV_DATA"/audit/*.jsonl --who-received app/web/db-password --format json >"$W/who.json"
  for s in i-web-01 i-web-02 i-web-04; do
    grep -q "\"$s\"" "$W/who.json" || fail "$s missing from --who-received"
  done
  if grep -q i-batch-07 "$W/who.json"; then fail "i-batch-07 listed as a receiver"; fi
}

if setup >"$W/setup.log" 2>&1; then
  run_case FilesAreDeliveredWithContentsModesAndOwner files_are_delivered_with_contents_modes_and_owner
  run_case ExecModePassesTheEnvironment exec_mode_passes_the_environment
  run_case DeniedRequestIsNotRetriedAndWritesNothing denied_request_is_not_retried_and_writes_nothing
  run_case UntrustedInstanceIsRefusedBeforeAnySecret untrusted_instance_is_refused_before_any_secret
  run_case BrokerDownAtStartIsRetriedUntilItIsUp broker_down_at_start_is_retried_until_it_is_up
  run_case AuditLogVerifiesAndHoldsNoSecret audit_log_verifies_and_holds_no_secret
else
  cat "$W/setup.log"
  FAILED=1
  CASES+=("<testcase name=\"Setup\" classname=\"FlowTest\"><failure message=\"setup failed\"/></testcase>")
fi
write_junit
[ "$FAILED" = 0 ]
