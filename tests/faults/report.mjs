// The checker every fault part shares: one line per check, the closing
// "N passed, M failed" that tests/faults/run.sh counts, and the exit status.
import { skipReason } from "../integration/lib/fixture_tree.mjs";

let passed = 0;
let failed = 0;

/** Counts and prints one check. */
export function check(ok, what, detail = "") {
  if (ok) passed++;
  else failed++;
  console.log(`  ${ok ? "ok  " : "FAIL"} ${what}${detail ? `: ${detail}` : ""}`);
}

/** Exits with one failure when the part cannot run here (no sbcmon binary, ...). */
export function exitIfSkipped(part) {
  const skip = skipReason();
  if (!skip) return;
  console.log(`${part} skipped: ${skip}`);
  console.log("0 passed, 1 failed");
  process.exit(1);
}

/** Runs [name, fn] parts in order; a part that throws is one failed check. */
export async function runParts(parts) {
  for (const [name, fn] of parts) {
    console.log(`--- ${name}`);
    try {
      await fn();
    } catch (e) {
      check(false, `${name} ran to the end`, e.stack || String(e));
    }
  }
}

/** Prints the closing counts and exits non-zero if any check failed. */
export function finish() {
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}
