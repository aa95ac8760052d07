# Shell functions shared by the benchmark scripts under tests/bench/ (sourced
# from the repository root; not a test).

# bound_port LOG: the port from a server's "secretd serving" log line (JSON
# lines on stderr), or nothing while the line is not there yet.
bound_port() {
  python3 - "$1" <<'PY' 2>/dev/null || true
import json, sys
for line in open(sys.argv[1]):
    try:
        j = json.loads(line)
    except ValueError:
        continue
    if j.get("msg") == "secretd serving":
        print(j["port"])
        break
PY
}

# json_field JSON KEY: one member of a JSON object, printed.
json_field() {
  python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"
}
