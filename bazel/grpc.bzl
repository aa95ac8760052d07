"""cc_grpc_proto_library: C++ and gRPC code from .proto files, offline.

Runs the system protoc with the system grpc_cpp_plugin in a genrule and wraps
the generated files in a cc_library. Imports and includes are relative to the
workspace root: `import "proto/secretd/v1/broker.proto";` and
`#include "proto/secretd/v1/broker.grpc.pb.h"`. Well-known types are found in
/usr/include and need no declaration.

Args:
  name: the cc_library target.
  srcs: .proto files in this package.
  proto_deps: other .proto files the srcs import (visible in the sandbox).
  deps: cc_library targets generated for proto_deps.
  grpc: False to generate messages only (no service stubs).
"""

def cc_grpc_proto_library(name, srcs, proto_deps = [], deps = [], grpc = True, visibility = None):
    outs = []
    for src in srcs:
        base = src[:-len(".proto")]
        outs += [base + ".pb.h", base + ".pb.cc"]
        if grpc:
            outs += [base + ".grpc.pb.h", base + ".grpc.pb.cc"]
    pkg = native.package_name()
    paths = " ".join(["%s/%s" % (pkg, s) if pkg else s for s in srcs])
    cmd = "/usr/bin/protoc -I. --cpp_out=$(GENDIR)"
    if grpc:
        cmd += " --grpc_out=$(GENDIR) --plugin=protoc-gen-grpc=/usr/bin/grpc_cpp_plugin"
    native.genrule(
        name = name + "_codegen",
        srcs = srcs + proto_deps,
        outs = outs,
        cmd = cmd + " " + paths,
        message = "protoc %s" % name,
    )
    native.cc_library(
        name = name,
        srcs = [o for o in outs if o.endswith(".cc")],
        hdrs = [o for o in outs if o.endswith(".h")],
        deps = deps + (["@sys//:grpc++"] if grpc else ["@sys//:protobuf"]),
        visibility = visibility,
    )
