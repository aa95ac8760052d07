# shellcheck shell=bash
# Shared by tools/demo and tests/e2e/flow: a data directory, a development
# platform attestor, a broker process, the demo's roles and secrets.
#
# The caller sets SECRETD, SECRETCTL and BOOTSTRAP to the three binaries and
# EXAMPLES to the examples/demo directory, then calls the functions below.
# Everything lives under the directory given to senv_init.
#
# Each command is built once as an argument vector, given to senv_show and
# then run as it is. senv_show does nothing unless the caller sets SENV_SHOW
# to a function of its own; tools/demo prints the vector, so that every
# command it shows is exactly the one that ran. The function must write to a
# file descriptor of its own: the command's output may be redirected.

senv_show() { [ -z "${SENV_SHOW:-}" ] || "$SENV_SHOW" "$@"; }
senv_run() { senv_show "$@"; "$@"; }  # senv_run ARGV...: shows it, runs it

senv_init() {  # senv_init WORKDIR: a fresh data directory and platform key
  SENV_WORK=$1
  SENV_DATA=$SENV_WORK/data
  SENV_AUDIENCE=secretd-demo
  SENV_ISSUER=https://platform.demo
  mkdir -p "$SENV_WORK"
  senv_run "$SECRETCTL" init --data-dir "$SENV_DATA" >"$SENV_WORK/init.out" || return 1
  senv_run "$SECRETCTL" attest keygen --alg EdDSA --kid platform-1 \
    --private-out "$SENV_WORK/platform.key" --jwks-out "$SENV_WORK/platform.jwks" \
    >"$SENV_WORK/keygen.out" || return 1
}

senv_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# senv_start_broker PORT [EXTRA SERVE FLAGS...]: starts `secretd serve` and
# waits (up to 30 s) for its "secretd serving" line. Its pid goes to
# WORKDIR/secretd.pid, so that any (sub)shell can stop it.
senv_start_broker() {
  local port=$1; shift
  SENV_PORT=$port
  echo "$port" >"$SENV_WORK/secretd.port"
  : >"$SENV_WORK/secretd.log.new"
  local argv=("$SECRETD" serve --data-dir "$SENV_DATA" --listen "127.0.0.1:$port"
    --audience "$SENV_AUDIENCE" "$@")
  senv_show "${argv[@]}"
  "${argv[@]}" >"$SENV_WORK/secretd.log.new" 2>&1 &
  local pid=$!
  echo "$pid" >"$SENV_WORK/secretd.pid"
  local i
  for i in $(seq 300); do
    if grep -q '"msg":"secretd serving"' "$SENV_WORK/secretd.log.new" 2>/dev/null; then
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "secretd exited at start:" >&2; tail -5 "$SENV_WORK/secretd.log.new" >&2; return 1
    fi
    sleep 0.1
  done
  echo "secretd did not start within 30 s" >&2
  return 1
}

# SIGTERM, then wait for the process to exit (it writes its shutdown
# checkpoint first). Keeps the broker's log in WORKDIR/secretd.log.
senv_stop_broker() {
  local pid
  pid=$(cat "$SENV_WORK/secretd.pid" 2>/dev/null) || return 0
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    local i
    for i in $(seq 300); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.05
    done
  fi
  rm -f "$SENV_WORK/secretd.pid"
  cat "$SENV_WORK/secretd.log.new" >>"$SENV_WORK/secretd.log" 2>/dev/null
  : >"$SENV_WORK/secretd.log.new"
}

# senv_configure: the platform's JWKS, the roles of examples/demo, and the
# secrets, all through the broker's admin socket.
senv_configure() {
  local ctl=(senv_run "$SECRETCTL" --data-dir "$SENV_DATA")
  "${ctl[@]}" trust put "$SENV_ISSUER" --jwks "$SENV_WORK/platform.jwks" || return 1
  "${ctl[@]}" role put web --trust "$EXAMPLES/web-trust.json" \
    --policy "$EXAMPLES/web-permissions.json" --secret-ttl 900 || return 1
  "${ctl[@]}" role put batch --trust "$EXAMPLES/batch-trust.json" \
    --policy "$EXAMPLES/batch-permissions.json" || return 1
  senv_put_secret app/web/db-password 'correct-horse-battery-staple' || return 1
  senv_put_secret app/web/api-key 'ak_live_7f3c2a91e0b4c5d6' || return 1
  senv_put_secret app/shared/ca-bundle '-----BEGIN CERTIFICATE----- (demo) -----END CERTIFICATE-----' || return 1
  senv_put_secret app/batch/token 'batch-token-0451' || return 1
}

senv_put_secret() {  # senv_put_secret NAME VALUE (the value goes through stdin, never argv)
  printf '%s' "$2" | senv_run "$SECRETCTL" --data-dir "$SENV_DATA" secret put "$1" --value-file - || return 1
}

# senv_attest_cmd SUBJECT TAGS_JSON: the --attest-exec command of an instance
# whose platform token carries SUBJECT and the tags. bootstrap expands the
# three SECRETD_* variables itself (no shell).
senv_attest_cmd() {
  printf '%s attest issue --key %s --issuer %s --subject %s --audience "$SECRETD_AUDIENCE" --nonce "$SECRETD_NONCE" --cnf-x25519 "$SECRETD_CNF_X25519" --claims %s' \
    "$SECRETCTL" "$SENV_WORK/platform.key" "$SENV_ISSUER" "$1" "'{\"tags\":$2}'"
}

# senv_bootstrap SUBJECT TAGS_JSON ROLE [BOOTSTRAP FLAGS...]: runs the agent
# as an instance against the broker started by senv_start_broker.
senv_bootstrap() {
  local subject=$1 tags=$2 role=$3; shift 3
  senv_run "$BOOTSTRAP" --broker "localhost:$SENV_PORT" --ca "$SENV_DATA/tls/ca.pem" \
    --release-key "$SENV_DATA/keys/release.pub" --role "$role" \
    --attest-exec "$(senv_attest_cmd "$subject" "$tags")" "$@"
}
