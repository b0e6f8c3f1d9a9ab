#!/bin/bash
# Test agent inside the boot-test image (never shipped): runs the commands the host
# sends over the virtio-serial port org.sbcmon.agent and sends back their output.
# One request per line: "<id> <base64 of a bash script>"; the answer is the script's
# output (stdout and stderr) followed by "@@END <exit status> <id>@@". Nothing here
# listens on the network: the port is a character device wired to a pipe on the host.
port=/dev/virtio-ports/org.sbcmon.agent
until [[ -e "$port" ]]; do sleep 0.2; done
# virtio_console allows one open of a port at a time: read and write through one fd.
exec 3<>"$port"
while IFS= read -r line <&3; do
  id="${line%% *}"
  script="$(printf '%s' "${line#* }" | base64 -d 2>/dev/null)" || script='echo "agent: bad request"; exit 125'
  out="$(bash -c "$script" 2>&1 </dev/null)"
  rc=$?
  printf '%s\n@@END %d %s@@\n' "$out" "$rc" "$id" >&3
done
