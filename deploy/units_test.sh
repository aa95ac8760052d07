#!/usr/bin/env bash
# Checks the systemd units in deploy/: `systemd-analyze verify` accepts them
# (in a scratch root with stand-in binaries), `systemd-analyze security`
# rates them OK, and the directives docs/deploy.md promises are there.
set -uo pipefail

if ! command -v systemd-analyze >/dev/null; then
  echo "units_test: systemd-analyze is missing; install systemd (tools/setup does)" >&2
  exit 1
fi
here=$(dirname "$0")
root=$(mktemp -d "${TEST_TMPDIR:-/tmp}/units.XXXXXX")
mkdir -p "$root/usr/bin" "$root/bin" "$root/etc/systemd/system" "$root/usr/lib/systemd"
cp -r /lib/systemd/system "$root/usr/lib/systemd/"
cp "$here"/secretd.service "$here"/secretd-bootstrap@.service "$root/etc/systemd/system/"
for b in usr/bin/bootstrap usr/bin/secretd bin/kill; do
  printf '#!/bin/sh\n' > "$root/$b"
  chmod +x "$root/$b"
done

rc=0
fail() { echo "FAIL: $*" >&2; rc=1; }

out=$(cd "$root" && systemd-analyze verify --root="$root" --man=no \
  secretd.service secretd-bootstrap@myapp.service 2>&1) || fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify printed: $out"

for unit in secretd.service secretd-bootstrap@myapp.service; do
  level=$(cd "$root" && systemd-analyze security --offline=true --root="$root" "$unit" 2>/dev/null |
    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p')
  echo "$unit: exposure $level"
  case "$level" in
    [0-2].*" OK") ;;
    *) fail "$unit: exposure level \"$level\", expected below 3.0 (OK)" ;;
  esac
done

need() {  # need FILE LINE...
  local file=$1; shift
  for line in "$@"; do
    grep -qxF -- "$line" "$here/$file" || fail "$file lacks the line: $line"
  done
}
need secretd.service \
  'User=secretd' 'Group=secretd' 'ProtectSystem=strict' 'NoNewPrivileges=yes' \
  'MemoryDenyWriteExecute=yes' 'PrivateTmp=yes' 'ProtectHome=yes' \
  'CapabilityBoundingSet=' 'LockPersonality=yes' \
  'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' \
  'SystemCallFilter=@system-service' 'ReadWritePaths=/var/lib/secretd' \
  'LimitCORE=0' 'UMask=0077' 'ExecReload=/bin/kill -HUP $MAINPID'
need secretd-bootstrap@.service \
  'Type=oneshot' 'RemainAfterExit=yes' 'Before=%i.service' \
  'RuntimeDirectory=secrets/%i' 'NoNewPrivileges=yes' 'ProtectSystem=strict' \
  'LimitCORE=0' 'UMask=0077'

[ $rc = 0 ] && echo "units_test: OK"
exit $rc
