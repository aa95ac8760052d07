#!/usr/bin/env python3
"""Prints the closing line 'N passed, N failed' of a test run (skipped cases on
the line before it).

Usage: test_summary.py --testlogs DIR [--junit FILE]... LABEL...

For each Bazel test LABEL it reads DIR/<package>/<name>/test.xml (GoogleTest
writes it; for a crash or timeout Bazel writes one with an <error> case). Each
<testcase> with a <failure> or <error> child counts as failed; with <skipped>
or status="notrun" as skipped; otherwise passed. A missing or unreadable
test.xml counts as one failure (the target never built or ran). Extra JUnit
files (--junit, e.g. from the fuzz smoke run) are counted the same way.
Exit status: 0 when nothing failed and something passed, 1 otherwise.
"""
import argparse
import os
import sys
import xml.etree.ElementTree as ET


def count(path):
    passed = failed = skipped = 0
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        print(f"test_summary: {path}: {e}", file=sys.stderr)
        return 0, 1, 0
    cases = list(root.iter("testcase"))
    if not cases:
        # A test.xml without cases: count the suites' errors and failures.
        suites = [root] + list(root.iter("testsuite"))
        errors = sum(int(e.get(k, "0") or 0) for e in suites for k in ("errors", "failures"))
        return (0, 1, 0) if errors else (1, 0, 0)
    for case in cases:
        tags = {child.tag for child in case}
        if "failure" in tags or "error" in tags:
            failed += 1
        elif "skipped" in tags or case.get("status") == "notrun":
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--testlogs", required=True)
    parser.add_argument("--junit", action="append", default=[])
    parser.add_argument("labels", nargs="*")
    args = parser.parse_args()
    totals = [0, 0, 0]
    failed_targets = []
    files = []
    for label in args.labels:
        package, _, name = label.lstrip("/").partition(":")
        files.append((label, os.path.join(args.testlogs, package, name, "test.xml")))
    files += [(f, f) for f in args.junit]
    for label, path in files:
        p, f, s = count(path)
        totals[0] += p
        totals[1] += f
        totals[2] += s
        if f:
            failed_targets.append(label)
    for t in failed_targets:
        print(f"FAILED: {t}")
    if totals[2]:
        # Skipped cases (a sanitizer check in a build without it, a root-only
        # or privileged check) are neither passed nor failed.
        print(f"{totals[2]} skipped (not counted below)")
    print(f"{totals[0]} passed, {totals[1]} failed")
    return 0 if totals[1] == 0 and totals[0] > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
