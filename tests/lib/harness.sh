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

# wait_serving <url> <timeout s> <log> [curl flags...]: waits until the server
# started as $server_pid answers <url>. On failure prints its log's tail, kills it
# and returns 1.
wait_serving() {
  local url="$1" timeout="$2" log="$3" waited=0
  shift 3
  while [[ $waited -lt $((timeout * 4)) ]]; do
    kill -0 "$server_pid" 2>/dev/null || break
    if curl -s "$@" -o /dev/null --max-time 5 "$url"; then return 0; fi
    sleep 0.25
    waited=$((waited + 1))
  done
  echo "    no answer on $url within ${timeout}s; the server's output:"
  sed 's/^/    | /' "$log" | tail -n 20
  kill -KILL "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  return 1
}

# check_page <label> <url> [curl flags...]: GET with --compressed must give 200,
# Content-Encoding: gzip and HTML once decoded.
check_page() {
  local label="$1" url="$2" headers="$work/page.headers" body="$work/page.body" code
  shift 2
  code="$(curl -sS "$@" --compressed --max-time 20 -D "$headers" -o "$body" -w '%{http_code}' "$url" || true)"
  if [[ "$code" == 200 ]] && grep -iq '^content-encoding: *gzip' "$headers" && grep -iq '<html' "$body"; then
    ok "$label: GET $url --compressed: 200, gzip, $(wc -c <"$body") bytes of HTML"
  else
    bad "$label: GET $url --compressed: status '$code', headers:"
    sed 's/^/    | /' "$headers" 2>/dev/null || true
  fi
}

# check_socketio <base url>: what every official client does first: an Engine.IO open
# over polling (a session id: under systemd, the seccomp filter must let sbcmon draw it
# from getrandom), then a Socket.IO connect to "/" answered with its own sid.
check_socketio() {
  local base="$1" open sid post ack
  open="$(curl -sS --max-time 20 "$base/socket.io/?EIO=4&transport=polling" || true)"
  sid="$(sed -n 's/^0{.*"sid":"\([^"]*\)".*/\1/p' <<<"$open")"
  if [[ -z "$sid" ]]; then
    bad "Engine.IO open over polling: '${open:0:120}'"
    return
  fi
  ok "Engine.IO open over polling: sid $sid"
  post="$(curl -sS --max-time 20 -X POST -H 'Content-Type: text/plain;charset=UTF-8' \
          --data-binary 40 "$base/socket.io/?EIO=4&transport=polling&sid=$sid" || true)"
  ack="$(curl -sS --max-time 30 "$base/socket.io/?EIO=4&transport=polling&sid=$sid" || true)"
  if [[ "$post" == ok && "$ack" == *'40{"sid":"'* ]]; then
    ok "Socket.IO connect to / answered: ${ack:0:60}"
  else
    bad "Socket.IO connect: POST said '$post', then GET said '${ack:0:120}'"
  fi
}
