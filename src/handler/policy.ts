/**
 * When to look at a running export again. Pure: no I/O.
 *
 * Exports run one at a time, so every second between an export's end and the start of the next
 * is lost; every look costs a DescribeExportTasks call (a low-TPS API) and, outside the Lambda
 * invocation, a loop turn (three state transitions). Most exports of a small group end within
 * seconds, so the handler first polls inside the invocation with growing gaps, then hands long
 * exports back to the Wait state with a wait that grows with the export's age.
 */

/** Delay before the first look at a task just created: most small exports are done by then. */
export const FIRST_LOOK_MS = 2_500;

/** Gap before the next look at a task that has been running for `elapsedMs`. */
export function nextLookMs(elapsedMs: number): number {
  return Math.max(FIRST_LOOK_MS, Math.round(elapsedMs * 0.5));
}

/** Seconds the Wait state waits for a task that has been running for `elapsedMs`. */
export function waitSeconds(elapsedMs: number, minSeconds: number, maxSeconds: number): number {
  return Math.min(maxSeconds, Math.max(minSeconds, Math.ceil(nextLookMs(elapsedMs) / 1000)));
}

/** Seconds to wait for something we do not own (another tool's export task, another run's lease). */
export function backoffSeconds(turnsWaited: number, minSeconds: number, maxSeconds: number): number {
  return Math.min(maxSeconds, Math.max(minSeconds, Math.round(minSeconds * 2 ** Math.min(turnsWaited, 16))));
}
