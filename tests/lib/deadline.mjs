// How long a test may wait for an event it needs: a base in ms stretched by
// SBCMON_TIME_SCALE (scripts/sanitize.sh sets it under valgrind and ASan). Unset, it
// follows the machine's load: with a 1-minute load average of 8 on 2 cores each
// process gets about a quarter of a core, so waits stretch 4x (1..8). The socket.io
// suites' conformance heartbeats stretch with it. For upper bounds only, never for
// sleeps: a test that gets its event early goes on at once.
import os from "node:os";

function scale() {
  const set = Number(process.env.SBCMON_TIME_SCALE);
  if (set > 0) return Math.max(1, set);
  const cores = Math.max(1, os.cpus().length);
  return Math.min(8, Math.max(1, os.loadavg()[0] / cores));
}

export const TIME_SCALE = scale();

/** `ms` scaled by TIME_SCALE. */
export function deadline(ms) {
  return Math.round(ms * TIME_SCALE);
}
