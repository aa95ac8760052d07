"""Project C++ rules: native rules with the project's warning flags.

Every BUILD file in the tree loads these instead of the native rules, so
warnings are uniform and -Werror catches them in our code only (system
headers are -isystem and generated protobuf code uses native rules).
"""

load("@rules_cc//cc:defs.bzl", "cc_binary", "cc_library", "cc_test")

COPTS = [
    "-Wall",
    "-Wextra",
    "-Wno-unused-parameter",
    "-Wno-missing-field-initializers",
    "-Werror",
]

def secretd_cc_library(name, copts = [], **kwargs):
    cc_library(name = name, copts = COPTS + copts, **kwargs)

def secretd_cc_binary(name, copts = [], **kwargs):
    cc_binary(name = name, copts = COPTS + copts, **kwargs)

def secretd_cc_test(name, copts = [], deps = [], size = "small", **kwargs):
    cc_test(name = name, copts = COPTS + copts, deps = deps, size = size, **kwargs)

def secretd_cc_fuzzer(name, srcs, corpus, deps = [], **kwargs):
    """A libFuzzer target and its corpus regression test.

    Makes two targets:
      <name>: the libFuzzer binary. Built only with --config=fuzz (clang-14);
        tagged manual so that a plain `bazel build //...` (gcc) skips it.
        tools/fuzz builds and runs every target tagged "fuzz".
      <name>_corpus_test: the same LLVMFuzzerTestOneInput linked with
        //tests/fuzz:standalone_main and run once over every file in
        `corpus`, under every config (gcc, asan, ubsan).

    Args:
      corpus: a glob of seed files, e.g. glob(["corpus/jws/*"]).
    """
    cc_binary(
        name = name,
        srcs = srcs,
        deps = deps,
        copts = COPTS,
        linkopts = ["-fsanitize=fuzzer"],
        tags = ["manual", "fuzz"],
        **kwargs
    )
    cc_test(
        name = name + "_corpus_test",
        srcs = srcs,
        deps = deps + ["//tests/fuzz:standalone_main"],
        copts = COPTS,
        data = corpus,
        args = ["$(location %s)" % f for f in corpus],
        size = "small",
        **kwargs
    )
