#!/usr/bin/env python3
"""Writes compile_commands.json for clang tools from `bazel aquery`.

Each CppCompile action of //... becomes one entry, run from Bazel's
execution root, so clang-tidy and clangd see exactly the flags Bazel uses.
"""
import json
import subprocess
import sys


def main():
    execroot = subprocess.run(["bazel", "info", "execution_root"], check=True,
                              capture_output=True, text=True).stdout.strip()
    # Generated headers (protobuf) must exist for the tools to parse sources.
    subprocess.run(["bazel", "build", "--noshow_progress", "//..."], check=True)
    out = subprocess.run(
        ["bazel", "aquery", "--noshow_progress", "--output=jsonproto",
         'mnemonic("CppCompile", //...)'],
        check=True, capture_output=True, text=True).stdout
    actions = json.loads(out).get("actions", [])
    entries = []
    for action in actions:
        args = action["arguments"]
        try:
            src = args[args.index("-c") + 1]
        except (ValueError, IndexError):
            continue
        if src.startswith("external/") or src.startswith("bazel-out/"):
            continue
        # The toolchain's gcc-only flags confuse clang-tidy; drop them.
        args = [a for a in args if a not in ("-fno-canonical-system-headers",)]
        entries.append({"directory": execroot, "file": src, "arguments": args})
    with open("compile_commands.json", "w") as f:
        json.dump(entries, f, indent=1)
    print(f"compile_commands.json: {len(entries)} entries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
