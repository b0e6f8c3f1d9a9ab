# Shared by the shell test runners (cross/qemu, firmware, packaging): pass/fail
# counters, a scratch directory, one background server killed on exit, a free
# loopback port. Source it after setting PY; it sets passed, failed, work, server_pid.

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "  ok   $*"; }
bad() { failed=$((failed + 1)); echo "  FAIL $*"; }

work="$(mktemp -d)"
server_pid=""
harness_cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap harness_cleanup EXIT

# A TCP port on 127.0.0.1 that was free a moment ago.
free_port() {
  "${PY:-/usr/bin/python3}" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
