#!/usr/bin/env bash
# sbcmon maps one TLS library, the one libwebsockets runs on: against an lws on
# OpenSSL (Debian's) the binary makes its self-signed certificate with libcrypto
# and must not load libmbedcrypto/libmbedx509 as well (their relocated data cost
# 32 KiB of anonymous memory at 0 clients); against an lws on mbedTLS it must not
# load OpenSSL. A static binary (the firmware) has no NEEDED at all. Then the binary
# makes a certificate with --tls, which openssl reads as EC P-256.
set -euo pipefail

bin="${SBCMON_BIN:?SBCMON_BIN (the sbcmon under test) is not set}"
for tool in readelf ldd openssl; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is needed"; exit 1; }
done
# The harness's scratch dir ($work), server killed on exit ($server_pid), free_port.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"

needed="$(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')"
lws="$(ldd "$bin" 2>/dev/null | awk '/libwebsockets\.so/ {print $3}' || true)"
if [[ -z "$needed" ]]; then
  echo "ok: static binary, no shared libraries"
elif [[ -z "$lws" ]]; then
  echo "FAIL: $bin needs shared libraries but no libwebsockets: $(echo $needed)"
  exit 1
else
  lws_needed="$(readelf -d "$lws" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')"
  if grep -q '^libssl\.so' <<<"$lws_needed"; then
    own=libmbed other="OpenSSL"
  elif grep -q '^libmbedtls\.so' <<<"$lws_needed"; then
    own='libssl\|libcrypto' other="mbedTLS"
  else
    echo "FAIL: $lws links neither OpenSSL nor mbedTLS: $(echo $lws_needed)"
    exit 1
  fi
  if grep -q "^\($own\)" <<<"$needed"; then
    echo "FAIL: libwebsockets runs on $other, yet sbcmon loads a second TLS library: $(echo $needed)"
    exit 1
  fi
  echo "ok: one TLS library ($other, libwebsockets' own): $(echo $needed)"
fi

port="$(free_port)"
"$bin" --port "$port" --bind 127.0.0.1 --tls --state-dir "$work/state" > "$work/log" 2>&1 &
server_pid=$!
# The certificate is renamed into place whole: its name appearing is the event. A
# generous deadline, stretched by SBCMON_TIME_SCALE under valgrind/ASan.
scale="${SBCMON_TIME_SCALE:-1}"
end=$((SECONDS + 20 * ${scale%.*}))
while [[ ! -s "$work/state/sbcmon.crt" ]] && ((SECONDS < end)) && kill -0 "$server_pid" 2>/dev/null; do
  sleep 0.05
done
if ! openssl x509 -in "$work/state/sbcmon.crt" -noout -text 2>/dev/null | grep -q "NIST CURVE: P-256"; then
  echo "FAIL: no P-256 certificate in --state-dir: $(ls -A "$work/state" 2>/dev/null | tr '\n' ' '); log: $(tail -3 "$work/log")"
  exit 1
fi
echo "ok: --tls made an EC P-256 certificate"
