#!/usr/bin/env bash
# Boot test: the amd64 .deb installed and run by a real systemd in qemu-system.
#   tests/boot/run.sh
# 1. A Debian bookworm amd64 image (mmdebstrap: systemd, systemd-sysv, linux-image-amd64,
#    the .deb's Depends; a slim initramfs with only virtio and ext4; ext4 by `mke2fs -d`),
#    cached in build/boot-amd64 and keyed by its inputs, so a rerun boots at once.
# 2. The .deb (packaging/deb/build-deb.sh from build/host/sbcmon, as `make deb` makes it,
#    or SBCMON_BOOT_DEB) on a second read-only disk; `dpkg -i` in the booted guest, so its
#    postinst enables and starts the unit under systemd.
# 3. qemu-system-x86_64 (KVM when /dev/kvm boots a kernel, TCG otherwise), -nographic,
#    the root disk in snapshot mode, user networking with restrict=on and one forward,
#    127.0.0.1:<free port> -> guest :8080. The host runs commands in the guest through a
#    virtio-serial port wired to a pipe (tests/boot/agent.sh): nothing else is reachable.
# Checks: unit active; page, /metrics and a Socket.IO connect from the host; not root,
# CapEff 0, NoNewPrivs, seccomp, an rtnetlink socket for link changes; back after `systemctl restart` and after `kill -9`
# (Restart=); no error in the unit's journal; the per-core figure of a loaded core
# rises and falls back.
# Ends with "N passed, M failed"; exits non-zero if anything failed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/tests/boot"
PY=/usr/bin/python3
CACHE="${SBCMON_BOOT_CACHE:-$ROOT/build/boot-amd64}"
# Seconds until the guest's agent answers (TCG on a busy machine needs minutes).
BOOT_TIMEOUT="${SBCMON_BOOT_TIMEOUT:-900}"
# Seconds for one step inside the booted guest (install, restart, load, ...).
STEP_TIMEOUT="${SBCMON_BOOT_STEP_TIMEOUT:-180}"
PACKAGES=(systemd systemd-sysv linux-image-amd64)

# shellcheck source=../lib/harness.sh
source "$ROOT/tests/lib/harness.sh"   # ok/bad, passed/failed, work, server_pid, free_port

finish() {
  echo "$passed passed, $failed failed"
  [[ $failed -eq 0 ]]
  exit
}

echo "== tools"
missing=()
for tool in mmdebstrap qemu-system-x86_64 mke2fs curl dpkg-deb; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  bad "missing ${missing[*]} (scripts/deps.sh test installs mmdebstrap, qemu-system-x86, e2fsprogs, curl)"
  finish
fi
if [[ "$(id -u)" -ne 0 ]] && ! command -v unshare >/dev/null 2>&1; then
  bad "mmdebstrap needs root or user namespaces (unshare) to run the packages' scripts"
  finish
fi
ok "mmdebstrap, qemu-system-x86_64, mke2fs, curl"

# --- the .deb --------------------------------------------------------------------------
deb="${SBCMON_BOOT_DEB:-}"
if [[ -z "$deb" ]]; then
  if [[ ! -f "$ROOT/build/host/sbcmon" ]]; then
    bad "no build/host/sbcmon to package (make BOARD=host build)"
    finish
  fi
  if ! out="$("$ROOT/packaging/deb/build-deb.sh" amd64 "$ROOT/build/host/sbcmon" "$work/deb" 2>&1)"; then
    bad "build-deb.sh failed: $out"
    finish
  fi
  deb="$(tail -n 1 <<<"$out")"
fi
if [[ ! -f "$deb" || "$(dpkg-deb -f "$deb" Architecture 2>/dev/null)" != amd64 ]]; then
  bad "$deb is not an amd64 .deb"
  finish
fi
depends="$(dpkg-deb -f "$deb" Depends | sed -E 's/\([^)]*\)//g; s/[[:space:]]//g')"

# --- the image, cached by its inputs ---------------------------------------------------
echo "== bookworm amd64 image"
# The bookworm mirror this machine's apt uses (deb822 first, then one-line lists).
mirror="${SBCMON_BOOT_MIRROR:-$( { cat /etc/apt/sources.list.d/*.sources 2>/dev/null \
              | awk 'tolower($1)=="uris:"{u=$2} tolower($1)=="suites:"{for(i=2;i<=NF;i++) if($i=="bookworm" && u!="") {print u; exit}}'
            sed -n -E 's/^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+)[[:space:]]+bookworm[[:space:]].*/\2/p' \
              /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true; } | head -n 1 || true)}"
if [[ -z "$mirror" ]]; then
  bad "no bookworm apt mirror in /etc/apt (set SBCMON_BOOT_MIRROR)"
  finish
fi
key="$( { echo "bookworm amd64 $mirror ${PACKAGES[*]} $depends"
          cat "$HERE/image-hook.sh" "$HERE/agent.sh" "$HERE/sbcmon-test-agent.service"; } \
        | sha256sum | cut -d' ' -f1)"
image_start=$SECONDS
if [[ -f "$CACHE/key" && "$(cat "$CACHE/key")" == "$key" && -f "$CACHE/rootfs.ext4" ]]; then
  ok "cached image $(basename "$CACHE") (${key:0:12}) reused"
else
  rm -rf "$CACHE" "$CACHE.new"
  mkdir -p "$CACHE.new"
  # The root directory stays inside the build tree (mke2fs -d reads it) and goes after.
  if mmdebstrap --mode=auto --variant=essential --format=directory --dpkgopt=force-confold \
       --include="$(IFS=,; echo "${PACKAGES[*]}"),$depends" \
       --setup-hook="$HERE/image-hook.sh" --customize-hook="$HERE/image-hook.sh" \
       bookworm "$CACHE.new/root" "deb $mirror bookworm main" >"$work/mmdebstrap.log" 2>&1 \
     && cp "$CACHE.new"/root/boot/vmlinuz-* "$CACHE.new/vmlinuz" \
     && cp "$CACHE.new"/root/boot/initrd.img-* "$CACHE.new/initrd.img" \
     && mke2fs -q -F -t ext4 -L root -d "$CACHE.new/root" "$CACHE.new/rootfs.ext4" 1G \
          >>"$work/mmdebstrap.log" 2>&1; then
    rm -rf "$CACHE.new/root"
    echo "$key" >"$CACHE.new/key"
    mv "$CACHE.new" "$CACHE"
    ok "image built in $((SECONDS - image_start))s: $(du -m --apparent-size "$CACHE/rootfs.ext4" | cut -f1) MB ext4 ($(du -m "$CACHE/rootfs.ext4" | cut -f1) MB used), initrd $(du -k "$CACHE/initrd.img" | cut -f1) kB"
  else
    bad "building the image failed:"
    tail -n 15 "$work/mmdebstrap.log" | sed 's/^/    | /'
    rm -rf "$CACHE.new"
    finish
  fi
fi
mkdir -p "$work/debdisk"
cp "$deb" "$work/debdisk/"
mke2fs -q -F -t ext4 -d "$work/debdisk" "$work/deb.img" 32M >/dev/null

# --- boot ------------------------------------------------------------------------------
port="$(free_port)"
mkfifo "$work/agent.in" "$work/agent.out"
# Read-write opens never block, whether or not qemu holds the other end yet.
exec 3<>"$work/agent.in" 4<>"$work/agent.out"

agent_seq=0
agent_out=""
agent_rc=""
# agent <timeout s> <bash script>: runs the script in the guest; sets agent_out (its
# output) and agent_rc (its exit status). Fails when no answer came within the timeout.
agent() {
  local timeout="$1" script="$2" id line deadline left
  agent_seq=$((agent_seq + 1))
  id="r$agent_seq"
  printf '%s %s\n' "$id" "$(printf '%s' "$script" | base64 -w0)" >&3
  agent_out=""
  agent_rc=""
  deadline=$((SECONDS + timeout))
  while :; do
    left=$((deadline - SECONDS))
    [[ $left -gt 0 ]] || return 1
    IFS= read -r -t "$left" line <&4 || continue
    if [[ "$line" =~ ^@@END\ ([0-9]+)\ (r[0-9]+)@@$ ]]; then
      if [[ "${BASH_REMATCH[2]}" == "$id" ]]; then
        agent_rc="${BASH_REMATCH[1]}"
        return 0
      fi
      agent_out=""   # the answer to an earlier request that timed out
    else
      agent_out+="$line"$'\n'
    fi
  done
}

# boot_vm <kvm|tcg>: starts qemu as server_pid.
boot_vm() {
  local accel_opts=(-accel tcg)
  [[ "$1" == kvm ]] && accel_opts=(-enable-kvm -cpu host,-arch-capabilities)
  : >"$work/console.log"
  qemu-system-x86_64 "${accel_opts[@]}" -m 512 -smp 2 -nographic -monitor none \
    -serial "file:$work/console.log" -no-reboot \
    -kernel "$CACHE/vmlinuz" -initrd "$CACHE/initrd.img" \
    -append "root=/dev/vda rw console=ttyS0 net.ifnames=0 systemd.show_status=0" \
    -drive "file=$CACHE/rootfs.ext4,if=virtio,format=raw,snapshot=on" \
    -drive "file=$work/deb.img,if=virtio,format=raw,readonly=on" \
    -netdev "user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:$port-:8080" \
    -device virtio-net-pci,netdev=net0 \
    -device virtio-serial-pci -chardev "pipe,id=agent,path=$work/agent" \
    -device virtserialport,chardev=agent,name=org.sbcmon.agent \
    </dev/null >"$work/qemu.log" 2>&1 &
  server_pid=$!
}
stop_vm() {
  if [[ -n "$server_pid" ]]; then
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}

echo "== boot under qemu-system-x86_64"
accel=tcg
boot_start=$SECONDS
if [[ -r /dev/kvm && -w /dev/kvm ]]; then
  # Some nested hypervisors offer a /dev/kvm that cannot run a kernel: KVM counts as
  # usable when the kernel prints its banner within 30 s, else the guest goes to TCG.
  boot_vm kvm
  for _ in $(seq 1 120); do
    grep -q 'Linux version' "$work/console.log" 2>/dev/null && { accel=kvm; break; }
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.25
  done
  if [[ $accel != kvm ]]; then
    echo "  note: /dev/kvm does not boot a kernel here ($(head -c 200 "$work/qemu.log" | tr '\n' ' ')); using TCG"
    stop_vm
  fi
fi
[[ $accel == tcg ]] && boot_vm tcg
booted=0
while [[ $((SECONDS - boot_start)) -lt $BOOT_TIMEOUT ]]; do
  kill -0 "$server_pid" 2>/dev/null || break
  if agent 5 'echo ready'; then booted=1; break; fi
done
if [[ $booted -eq 1 ]]; then
  ok "guest booted ($accel, $((SECONDS - boot_start))s to the agent): $(grep -m1 -o 'Linux version [^ ]*' "$work/console.log" || true)"
else
  bad "no answer from the guest within ${BOOT_TIMEOUT}s ($accel); qemu and console:"
  sed 's/^/    | /' "$work/qemu.log" | tail -n 5
  tr -d '\r' <"$work/console.log" | tail -n 25 | sed 's/^/    | /'
  stop_vm
  finish
fi

# in_guest <label> <timeout> <script>: ok when the script exits 0 within the timeout.
in_guest() {
  local label="$1"
  if agent "$2" "$3" && [[ "$agent_rc" == 0 ]]; then
    return 0
  fi
  bad "$label (exit ${agent_rc:-none: no answer within ${2}s}):"
  sed 's/^/    | /' <<<"$agent_out" | tail -n 20
  return 1
}
# Polls inside the guest until the unit is active with a main PID other than $1.
WAIT_ACTIVE='old="$1"; for i in $(seq 1 600); do
  pid="$(systemctl show -p MainPID --value sbcmon)"
  if [[ "$(systemctl is-active sbcmon)" == active && "$pid" != 0 && "$pid" != "$old" ]]; then echo "$pid"; exit 0; fi
  sleep 0.2; done; systemctl status --no-pager sbcmon; exit 1'
wait_active() {  # <label> <old pid or 0>: sets main_pid
  main_pid=""
  in_guest "$1" "$STEP_TIMEOUT" "set -- $2; $WAIT_ACTIVE" || return 1
  main_pid="$(awk 'NF { last = $0 } END { print last }' <<<"$agent_out")"
}
# Polls the forwarded port from the host until the page answers.
wait_page() {
  local deadline=$((SECONDS + STEP_TIMEOUT))
  while [[ $SECONDS -lt $deadline ]]; do
    curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$port/" && return 0
    sleep 0.5
  done
  return 1
}
# cpu_busy <cpu>: that core's sbcmon_cpu_busy_percent from the host, or "" when absent.
cpu_busy() {
  curl -s --max-time 10 "http://127.0.0.1:$port/metrics" 2>/dev/null \
    | sed -n -E "s/^sbcmon_cpu_busy_percent\{cpu=\"$1\"\} ([0-9.]+)$/\1/p"
}

echo "== the .deb under systemd"
if in_guest "dpkg -i of $(basename "$deb")" "$STEP_TIMEOUT" \
     'mkdir -p /mnt/deb && mount -o ro /dev/vdb /mnt/deb && dpkg -i /mnt/deb/*.deb'; then
  ok "dpkg -i $(basename "$deb") in the guest (postinst under systemd)"
fi
if wait_active "sbcmon.service active after install" 0; then
  agent 20 'systemctl is-enabled sbcmon; systemctl status --no-pager sbcmon | sed -n "s/^ *\(Active\|Memory\):/\1:/p"'
  ok "sbcmon.service $(tr '\n' ' ' <<<"$agent_out")(main PID $main_pid)"
fi

echo "== from the host through 127.0.0.1:$port"
if wait_page; then
  check_page "guest" "http://127.0.0.1:$port/"
else
  bad "no answer on 127.0.0.1:$port within ${STEP_TIMEOUT}s"
fi
deadline=$((SECONDS + STEP_TIMEOUT))
while [[ $SECONDS -lt $deadline && ( -z "$(cpu_busy 0)" || -z "$(cpu_busy 1)" ) ]]; do sleep 0.5; done
if [[ -n "$(cpu_busy 0)" && -n "$(cpu_busy 1)" ]]; then
  ok "GET /metrics: sbcmon_cpu_busy_percent for cpu 0 and 1 ($(cpu_busy 0)%, $(cpu_busy 1)%)"
else
  bad "GET /metrics has no sbcmon_cpu_busy_percent for both cores:"
  curl -s --max-time 10 "http://127.0.0.1:$port/metrics" | grep -m 5 cpu | sed 's/^/    | /' || true
fi
check_socketio "http://127.0.0.1:$port"

echo "== sandbox"
if in_guest "reading the main process's status" 30 \
     'pid="$(systemctl show -p MainPID --value sbcmon)"; grep -E "^(Uid|CapEff|NoNewPrivs|Seccomp):" "/proc/$pid/status"'; then
  uid="$(awk '$1=="Uid:"{print $2}' <<<"$agent_out")"
  capeff="$(awk '$1=="CapEff:"{print $2}' <<<"$agent_out")"
  nnp="$(awk '$1=="NoNewPrivs:"{print $2}' <<<"$agent_out")"
  seccomp="$(awk '$1=="Seccomp:"{print $2}' <<<"$agent_out")"
  if [[ -n "$uid" && "$uid" != 0 && "$capeff" =~ ^0+$ && "$nnp" == 1 && "$seccomp" == 2 ]]; then
    ok "main process: uid $uid (not root), CapEff $capeff, NoNewPrivs 1, Seccomp 2 (filter)"
  else
    bad "main process is not sandboxed: $(tr '\n' ' ' <<<"$agent_out")"
  fi
fi
# The unit lets sbcmon hear the kernel's link-change announcements (AF_NETLINK): one of its
# sockets is in /proc/net/netlink as NETLINK_ROUTE (Eth 0) in group RTMGRP_LINK (1).
# Refused, sbcmon would fall back to reading /sys/class/net every tick, silently.
if in_guest "looking for the main process's rtnetlink socket" 30 \
     'pid="$(systemctl show -p MainPID --value sbcmon)"
      inodes="$(ls -l "/proc/$pid/fd" | sed -n "s/.*socket:\[\([0-9]*\)\]$/\1/p" | tr "\n" " ")"
      awk -v l="$inodes" '"'"'BEGIN { n = split(l, a, " "); for (i = 1; i <= n; i++) s[a[i]] = 1 }
        $2 == "0" && $4 == "00000001" && ($10 in s) { print "inode " $10 }'"'"' /proc/net/netlink'; then
  inode="$(sed -n 's/^inode \([0-9][0-9]*\)$/\1/p' <<<"$agent_out" | head -n 1)"
  if [[ -n "$inode" ]]; then
    ok "main process listens for link changes: NETLINK_ROUTE socket in RTMGRP_LINK (inode $inode)"
  else
    bad "main process has no NETLINK_ROUTE socket in RTMGRP_LINK (AF_NETLINK refused by the unit?)"
  fi
fi

echo "== restarts"
old="$main_pid"
if [[ -z "$old" ]]; then
  bad "no main PID to restart (the unit never became active)"
elif in_guest "systemctl restart sbcmon" 60 'systemctl restart sbcmon' \
   && wait_active "active after systemctl restart" "$old"; then
  if wait_page; then
    ok "systemctl restart: new main PID $main_pid (was $old), page answers"
  else
    bad "after systemctl restart the page does not answer"
  fi
fi
old="$main_pid"
if [[ -z "$old" ]]; then
  bad "no main PID to kill"
elif in_guest "kill -9 $old" 30 "kill -9 $old" \
   && wait_active "back after kill -9" "$old"; then
  agent 20 'systemctl show -p NRestarts --value sbcmon'
  restarts="$(tr -d '\n' <<<"$agent_out")"
  if [[ "$restarts" == 1 ]] && wait_page; then
    ok "kill -9: systemd restarted it (NRestarts=1, main PID $main_pid), page answers"
  else
    bad "after kill -9: NRestarts='$restarts' (want 1: only the kill) or the page does not answer"
  fi
fi

echo "== per-core figures under load"
# Core 1 first settles below 50% (the end of the boot can keep it busy), then a busy
# loop pinned to it as a transient unit must take it to 80% or more, and stopping the
# loop must bring it back below 50%.
deadline=$((SECONDS + STEP_TIMEOUT))
base=""
while [[ $SECONDS -lt $deadline ]]; do
  v="$(cpu_busy 1)"
  if [[ -n "$v" ]] && awk -v v="$v" 'BEGIN{exit !(v < 50)}'; then base="$v"; break; fi
  sleep 0.5
done
deadline=$((SECONDS + STEP_TIMEOUT))
if [[ -z "$base" ]]; then
  bad "cpu 1 did not settle below 50% busy within ${STEP_TIMEOUT}s (last: $(cpu_busy 1))"
elif in_guest "starting the load" 30 \
     "systemd-run --unit=sbcmon-burn -p CPUAffinity=1 /bin/sh -c 'while :; do :; done'"; then
  peak=""
  while [[ $SECONDS -lt $deadline ]]; do
    v="$(cpu_busy 1)"
    if [[ -n "$v" ]] && awk -v v="$v" 'BEGIN{exit !(v >= 80)}'; then peak="$v"; break; fi
    sleep 0.5
  done
  agent 30 'systemctl stop sbcmon-burn' || true
  low=""
  deadline=$((SECONDS + STEP_TIMEOUT))
  while [[ -n "$peak" && $SECONDS -lt $deadline ]]; do
    v="$(cpu_busy 1)"
    if [[ -n "$v" ]] && awk -v v="$v" 'BEGIN{exit !(v < 50)}'; then low="$v"; break; fi
    sleep 0.5
  done
  if [[ -n "$peak" && -n "$low" ]]; then
    ok "cpu 1 busy: ${base}% before, ${peak}% under a busy loop pinned to it, ${low}% after it stopped"
  else
    bad "cpu 1 busy did not rise to 80% under load and fall below 50% after (before ${base:-?}%, under load ${peak:-never >= 80}%, after ${low:-never < 50}%)"
  fi
fi

echo "== journal"
if in_guest "reading the journal" 30 'journalctl -b -q --no-pager -u sbcmon -p err -o short-monotonic'; then
  if [[ -z "${agent_out//[[:space:]]/}" ]]; then
    agent 20 'journalctl -b -q --no-pager -u sbcmon -o cat | wc -l'
    ok "journalctl -u sbcmon -p err: nothing ($(tr -d '\n' <<<"$agent_out") lines logged in all)"
  else
    bad "errors in the unit's journal:"
    sed 's/^/    | /' <<<"$agent_out" | tail -n 20
  fi
fi

stop_vm
echo "boot test took $((SECONDS - image_start))s (image step included)"
finish
