#!/usr/bin/env bash
# Checks tools/test_summary.py, which computes CI's closing line
# "N passed, N failed" from Bazel's test.xml files and extra JUnit files.
set -uo pipefail
summary=${TEST_SRCDIR:-.}/${TEST_WORKSPACE:-}/tools/test_summary.py
[ -f "$summary" ] || summary=$(dirname "$0")/test_summary.py
t=${TEST_TMPDIR:-$(mktemp -d)}
fails=0

# case NAME EXPECTED_STATUS EXPECTED_LAST_LINE ARGS...: runs the summary and
# compares its exit status and its last line of stdout exactly.
case_() {
  local name=$1 want_rc=$2 want_line=$3; shift 3
  local out rc
  out=$(python3 "$summary" --testlogs "$t/logs" "$@" 2>"$t/$name.err"); rc=$?
  local last=${out##*$'\n'}
  if [ "$rc" != "$want_rc" ] || [ "$last" != "$want_line" ]; then
    echo "FAIL $name: exit $rc (want $want_rc), last line '$last' (want '$want_line')"
    echo "$out" | sed 's/^/  | /'
    fails=$((fails + 1))
  else
    echo "ok   $name"
  fi
  LAST_OUT=$out
}

mkdir -p "$t/logs/pkg/a" "$t/logs/pkg/b" "$t/logs/pkg/sh" "$t/logs/pkg/crash"
cat > "$t/logs/pkg/a/test.xml" <<'X'
<testsuites><testsuite name="A">
<testcase name="one"/><testcase name="two"/>
<testcase name="three"><skipped message="needs root"/></testcase>
</testsuite></testsuites>
X
cat > "$t/logs/pkg/b/test.xml" <<'X'
<testsuites><testsuite name="B">
<testcase name="good"/><testcase name="bad"><failure message="x"/></testcase>
</testsuite></testsuites>
X
# Bazel's own test.xml for a shell test: no cases, errors/failures counts.
echo '<testsuites><testsuite name="sh" tests="1" failures="0" errors="0"/></testsuites>' > "$t/logs/pkg/sh/test.xml"
echo '<testsuites><testsuite name="crash" tests="1" failures="0" errors="1"/></testsuites>' > "$t/logs/pkg/crash/test.xml"
echo '<testsuites><testsuite><testcase name="fuzz_a"/><testcase name="fuzz_b"><error message="crash"/></testcase></testsuite></testsuites>' > "$t/fuzz.xml"

case_ all_pass 0 "3 passed, 0 failed" //pkg:a //pkg:sh
[[ "$LAST_OUT" == *"1 skipped (not counted below)"* ]] || { echo "FAIL all_pass: no skipped line"; fails=$((fails + 1)); }
case_ one_failure 1 "3 passed, 1 failed" //pkg:a //pkg:b
[[ "$LAST_OUT" == *"FAILED: //pkg:b"* ]] || { echo "FAIL one_failure: failed target not named"; fails=$((fails + 1)); }
case_ missing_xml_is_a_failure 1 "2 passed, 1 failed" //pkg:a //pkg:never_built
case_ bazel_error_is_a_failure 1 "0 passed, 1 failed" //pkg:crash
case_ junit_counted 1 "3 passed, 1 failed" --junit "$t/fuzz.xml" //pkg:a
case_ nothing_ran 1 "0 passed, 0 failed"
echo '<not-xml' > "$t/broken.xml"
case_ unreadable_junit 1 "2 passed, 1 failed" --junit "$t/broken.xml" //pkg:a

[ $fails = 0 ] || { echo "$fails case(s) failed"; exit 1; }
