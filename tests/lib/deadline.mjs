// How long a test may wait for an event it needs: a base in ms stretched by
// SBCMON_TIME_SCALE (scripts/sanitize.sh sets it under valgrind and ASan; a very
// busy machine may set it too). For upper bounds only, never for sleeps: a test
// that gets its event early goes on at once.
export const TIME_SCALE = Math.max(1, Number(process.env.SBCMON_TIME_SCALE) || 1);

/** `ms` scaled by SBCMON_TIME_SCALE. */
export function deadline(ms) {
  return Math.round(ms * TIME_SCALE);
}
