#!/usr/bin/env bash
# End to end with the real processes (issue 7): secretctl init -> secretd
# serve -> secretctl trust/role/secret over the admin socket -> bootstrap as
# several instances -> secretctl audit verify and query on the broker's own
# log, whose every answer is known (issue 8). Each case is reported as its
# own JUnit testcase.
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
  local rc=0
  HOME=$W/web-01/home TMPDIR=$W/web-01/tmp senv_bootstrap i-web-01 "$WEB_TAGS" web \
    --out-dir "$out" --allow-disk \
    --secret app/web/db-password \
    --secret "app/web/api-key=api-key:0440" \
    --secret "app/shared/ca-bundle=tls/ca.pem:0444$owner_spec" 2>"$W/web-01.err" || rc=$?
  cat "$W/web-01.err"
  check_eq "exit code" "$rc" 0
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
  local env_out=$W/exec.out rc=0
  senv_bootstrap i-web-02 "$WEB_TAGS" web \
    --secret app/web/db-password --secret "app/web/api-key=API_KEY" \
    --exec -- /usr/bin/env >"$env_out" 2>"$W/web-02.err" || rc=$?
  cat "$W/web-02.err"
  check_eq "exit code" "$rc" 0
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
}

# --- audit query on the real broker's log (issue 8) ----------------------------
# The cases above made exactly five provision requests. Each agent told its
# request id (the "secrets delivered" or "starting the command" log line, or
# "(request ID)" in its one-line failure); the broker's "secretd serving" line
# names its replica. Times, seqs and line numbers exist only in the log: they
# are read from the raw lines here, never through secretctl. Every query
# answer is then compared with the whole expected output.

# Sets AUDIT_LOG, REPLICA, LINE_ROLE_WEB and LINE_ROLE_BATCH (the raw lines
# of the two `role put`s), and for each request K in WEB01 WEB02 BATCH07
# DEV03 WEB04: RID_K, LINE_K (its raw audit line), T_K, SEQ_K, N_K (its line
# number). Fails unless the log's provision records are exactly these five,
# in this order, at strictly increasing times. Computed once, in one python3.
load_known_requests() {
  if [ ! -s "$W/known.sh" ]; then
    senv_stop_broker  # the log is complete
    python3 - "$SENV_DATA/audit" "$SENV_WORK/secretd.log" "$W" >"$W/known.sh.new" <<'PY'
import glob, json, os, re, shlex, sys
audit_dir, broker_log, w = sys.argv[1:]
def check(ok, msg):
    if not ok:
        sys.exit("FAIL: " + msg)
logs = glob.glob(os.path.join(audit_dir, "*.jsonl"))
check(len(logs) == 1, "want one audit file, got %r" % logs)
log = logs[0]
replica = [json.loads(l)["replica"] for l in open(broker_log) if '"msg":"secretd serving"' in l][0]
check(os.path.basename(log) == "audit-%s.jsonl" % replica, "%s is not replica %s's file" % (log, replica))
out = {"AUDIT_LOG": log, "REPLICA": replica}

def agent_request_id(name):
    ids = []
    for line in open(os.path.join(w, name)):
        if line.startswith("{"):
            rec = json.loads(line)
            if rec["msg"] in ("secrets delivered", "starting the command with the secrets in its environment"):
                ids.append(rec["request_id"])
        else:
            ids += re.findall(r"\(request ([0-9a-f]{16})\)$", line.rstrip("\n"))
    check(len(ids) == 1, "%s: want one request id, got %r" % (name, ids))
    return ids[0]
agents = [("WEB01", "web-01.err"), ("WEB02", "web-02.err"), ("BATCH07", "batch.err"),
          ("DEV03", "dev.err"), ("WEB04", "web-04.err")]
rids = [agent_request_id(f) for _, f in agents]

raw = open(log, encoding="utf-8").read()
check(raw.endswith("\n"), "the log does not end with a newline")
records = [(n, line, json.loads(line)) for n, line in enumerate(raw[:-1].split("\n"), 1)]
provisions = [r for r in records if r[2]["type"] == "provision"]
check([r[2]["request_id"] for r in provisions] == rids,
      "the log's provision requests %r are not the agents' %r" % ([r[2]["request_id"] for r in provisions], rids))
prev = ""
for (k, _), (n, line, rec) in zip(agents, provisions):
    check(rec["time"] > prev, "%s at %s is not after the request before it (%s)" % (k, rec["time"], prev))
    prev = rec["time"]
    out.update({"RID_" + k: rec["request_id"], "LINE_" + k: line, "T_" + k: rec["time"],
                "SEQ_" + k: rec["seq"], "N_" + k: n})
for role in ("web", "batch"):
    puts = [line for _, line, rec in records if rec["type"] == "admin.role.put" and rec.get("role") == role]
    check(len(puts) == 1, "want one role put of %s, got %d" % (role, len(puts)))
    out["LINE_ROLE_" + role.upper()] = puts[0]
# What the log says about the two denials (the record view prints these
# lines unchanged).
batch, dev = provisions[2][2], provisions[3][2]
check((batch["decision"], batch["reason"], batch["denied"], batch["released"]) ==
      ("deny", "permission.explicit_deny", ["app/web/db-password"], []), "batch-07's record: %r" % batch)
check((dev["decision"], dev["reason"]) == ("deny", "trust.implicit_deny"), "dev-03's record: %r" % dev)
for k, v in out.items():
    print("%s=%s" % (k, shlex.quote(str(v))))
PY
    mv "$W/known.sh.new" "$W/known.sh"
  fi
  # shellcheck disable=SC1091
  source "$W/known.sh"
}

# query FLAGS...: secretctl audit query on the log; a failure shows in the
# output, so that it never equals an expected answer.
query() { "$SECRETCTL" audit query "$AUDIT_LOG" "$@" || echo "(exit $?)"; }
check_text() {  # check_text WHAT GOT WANT: multi-line, with a diff on mismatch
  [ "$2" = "$3" ] && return 0
  echo "FAIL: $1: got (+) vs want (-):" >&2
  diff <(printf '%s\n' "$3") <(printf '%s\n' "$2") >&2
  return 1
}
# release_row K SECRET SUBJECT: the JSON object --who-received/--received-by
# print for a release of SECRET@1 in request K (all of role web).
release_row() {
  local rid=RID_$1 t=T_$1 seq=SEQ_$1 n=N_$1
  printf '{"time":"%s","secret":"%s","version":1,"subject":"%s","issuer":"%s","role":"web","replica":"%s","seq":%s,"request_id":"%s","file":"%s","line":%s,"signed":null}' \
    "${!t}" "$2" "$3" "$SENV_ISSUER" "$REPLICA" "${!seq}" "${!rid}" "$AUDIT_LOG" "${!n}"
}
table_rows() { sed '/^$/,$d' | tr -s ' '; }  # a table without its summary, spaces squeezed
summary() { sed '1,/^$/d'; }                   # the summary under a table

audit_query_who_received_is_exact() {
  load_known_requests
  check_text "--who-received json" "$(query --who-received app/web/db-password --format json)" \
"$(release_row WEB01 app/web/db-password i-web-01)
$(release_row WEB02 app/web/db-password i-web-02)
$(release_row WEB04 app/web/db-password i-web-04)"
  local table; table=$(query --who-received app/web/db-password)
  check_text "--who-received rows" "$(table_rows <<<"$table")" \
"TIME SECRET VERSION SUBJECT ROLE REPLICA REQUEST
$T_WEB01 app/web/db-password 1 i-web-01 web $REPLICA $RID_WEB01
$T_WEB02 app/web/db-password 1 i-web-02 web $REPLICA $RID_WEB02
$T_WEB04 app/web/db-password 1 i-web-04 web $REPLICA $RID_WEB04"
  # i-batch-07 (denied the secret) and i-dev-03 (denied the role) asked for it.
  check_text "--who-received summary" "$(summary <<<"$table")" \
"3 releases of 1 secret to 3 instances in 3 requests, $T_WEB01 to $T_WEB04
  app/web/db-password: version 1 (3 releases)
2 matching requests were denied; list them with: secretctl audit query $AUDIT_LOG --secret app/web/db-password --decision deny"
  check_text "the denials it points to" "$(query --secret app/web/db-password --decision deny --format json)" \
"$LINE_BATCH07
$LINE_DEV03"
  # Only i-web-01 asked for the CA bundle; nobody received the batch token.
  check_text "--who-received ca-bundle" "$(query --who-received app/shared/ca-bundle --format json)" \
    "$(release_row WEB01 app/shared/ca-bundle i-web-01)"
  check_text "--who-received batch token" "$(query --who-received app/batch/token)" \
"
no releases match
1 matching request was denied; list it with: secretctl audit query $AUDIT_LOG --secret app/batch/token --decision deny"
}

audit_query_received_by_is_exact() {
  load_known_requests
  check_text "--received-by i-web-01 json" "$(query --received-by i-web-01 --format json)" \
"$(release_row WEB01 app/web/db-password i-web-01)
$(release_row WEB01 app/web/api-key i-web-01)
$(release_row WEB01 app/shared/ca-bundle i-web-01)"
  local table; table=$(query --received-by i-web-01)
  check_text "--received-by i-web-01 summary" "$(summary <<<"$table")" \
"3 releases of 3 secrets to 1 instance in 1 request, $T_WEB01 to $T_WEB01
  app/shared/ca-bundle: version 1 (1 release)
  app/web/api-key: version 1 (1 release)
  app/web/db-password: version 1 (1 release)"
  check_text "--received-by i-web-02 json" "$(query --received-by i-web-02 --format json)" \
"$(release_row WEB02 app/web/db-password i-web-02)
$(release_row WEB02 app/web/api-key i-web-02)"
  check_text "--received-by i-batch-07" "$(query --received-by i-batch-07)" \
"
no releases match
1 matching request was denied; list it with: secretctl audit query $AUDIT_LOG --subject i-batch-07 --decision deny"
  check_text "--received-by i-batch-07 json" "$(query --received-by i-batch-07 --format json)" ""
}

audit_query_decision_lists_exactly_the_denials() {
  load_known_requests
  check_text "--decision deny" "$(query --decision deny --format json)" \
"$LINE_BATCH07
$LINE_DEV03"
  check_text "--decision allow" "$(query --decision allow --format json)" \
"$LINE_WEB01
$LINE_WEB02
$LINE_WEB04"
  check_text "--decision deny --reason 'trust.*'" \
    "$(query --decision deny --reason 'trust.*' --format json)" "$LINE_DEV03"
}

audit_query_role_matches_requests_and_role_changes() {
  load_known_requests
  check_text "--role batch" "$(query --role batch --format json)" \
"$LINE_ROLE_BATCH
$LINE_BATCH07"
  check_text "--role web" "$(query --role web --format json)" \
"$LINE_ROLE_WEB
$LINE_WEB01
$LINE_WEB02
$LINE_DEV03
$LINE_WEB04"
  check_text "--role web --decision deny" "$(query --role web --decision deny --format json)" "$LINE_DEV03"
}

audit_query_since_is_inclusive_and_until_exclusive() {
  load_known_requests
  check_text "--since T(web-02)" \
    "$(query --who-received app/web/db-password --since "$T_WEB02" --format json)" \
"$(release_row WEB02 app/web/db-password i-web-02)
$(release_row WEB04 app/web/db-password i-web-04)"
  check_text "--until T(web-02)" \
    "$(query --who-received app/web/db-password --until "$T_WEB02" --format json)" \
    "$(release_row WEB01 app/web/db-password i-web-01)"
  check_text "--since T(web-02) summary" \
    "$(query --who-received app/web/db-password --since "$T_WEB02" | summary)" \
"2 releases of 1 secret to 2 instances in 2 requests, $T_WEB02 to $T_WEB04
  app/web/db-password: version 1 (2 releases)
2 matching requests were denied; list them with: secretctl audit query $AUDIT_LOG --secret app/web/db-password --since $T_WEB02 --decision deny"
  check_text "--since T(batch-07) --until T(web-04)" \
    "$(query --type provision --since "$T_BATCH07" --until "$T_WEB04" --format json)" \
"$LINE_BATCH07
$LINE_DEV03"
  # Durations count back from now: the whole run is within the last hour,
  # and nothing was written after now.
  check_text "--since 1h" "$(query --type provision --since 1h --format json)" \
"$LINE_WEB01
$LINE_WEB02
$LINE_BATCH07
$LINE_DEV03
$LINE_WEB04"
  check_text "--since now" "$(query --since now --format json)" ""
}

if setup >"$W/setup.log" 2>&1; then
  run_case FilesAreDeliveredWithContentsModesAndOwner files_are_delivered_with_contents_modes_and_owner
  run_case ExecModePassesTheEnvironment exec_mode_passes_the_environment
  run_case DeniedRequestIsNotRetriedAndWritesNothing denied_request_is_not_retried_and_writes_nothing
  run_case UntrustedInstanceIsRefusedBeforeAnySecret untrusted_instance_is_refused_before_any_secret
  run_case BrokerDownAtStartIsRetriedUntilItIsUp broker_down_at_start_is_retried_until_it_is_up
  run_case AuditLogVerifiesAndHoldsNoSecret audit_log_verifies_and_holds_no_secret
  run_case AuditQueryWhoReceivedIsExact audit_query_who_received_is_exact
  run_case AuditQueryReceivedByIsExact audit_query_received_by_is_exact
  run_case AuditQueryDecisionListsExactlyTheDenials audit_query_decision_lists_exactly_the_denials
  run_case AuditQueryRoleMatchesRequestsAndRoleChanges audit_query_role_matches_requests_and_role_changes
  run_case AuditQuerySinceIsInclusiveAndUntilExclusive audit_query_since_is_inclusive_and_until_exclusive
else
  cat "$W/setup.log"
  FAILED=1
  CASES+=("<testcase name=\"Setup\" classname=\"FlowTest\"><failure message=\"setup failed\"/></testcase>")
fi
write_junit
[ "$FAILED" = 0 ]
