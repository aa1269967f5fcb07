/**
 * When to look at a running export again, and how long to wait. Pure: no I/O.
 *
 * Exports run one at a time, so every second between an export's end and the start of the next
 * is lost; every look costs a DescribeExportTasks call (a low-TPS API) and, outside the Lambda
 * invocation, a loop turn (three state transitions).
 *
 * A group's export usually takes about as long as its export of the window before, which its
 * done-marker records: the handler then looks once, just after that time. Without a record (a
 * new group, the first run), most exports of a small group end within seconds, so the handler
 * polls inside the invocation with growing gaps. Either way, an export expected to outlast
 * `HAND_BACK_MS` goes back to the Wait state, with a wait that grows with the export's age.
 */

/** Delay before the first look at a task just created, when nothing says how long it takes. */
export const FIRST_LOOK_MS = 2_500;

/** Margin over the expected duration before the first look: most exports then end before it. */
const EXPECTED_MARGIN = 0.1;
const EXPECTED_SLACK_MS = 300;

/**
 * Waiting longer than this inside an invocation costs more than handing back to the Wait state:
 * a loop turn is three state transitions ($0.000075 at $0.025 per 1,000), the price of 45 s of a
 * 128 MB arm64 function ($0.0000133334 per GB-second).
 */
export const HAND_BACK_MS = 45_000;

/** Delay before the first look at a task expected to take `expectedMs` (0 or undefined: unknown). */
export function firstLookMs(expectedMs?: number): number {
  return expectedMs ? Math.round(expectedMs * (1 + EXPECTED_MARGIN) + EXPECTED_SLACK_MS) : FIRST_LOOK_MS;
}

/** Gap before the next look at a task that has been running for `elapsedMs`. */
export function nextLookMs(elapsedMs: number, expectedMs?: number): number {
  // Just past its expected end, a task is most likely about to end: look again soon.
  if (expectedMs && elapsedMs < 2 * expectedMs) return Math.max(1_000, Math.round(expectedMs * 0.2));
  return Math.max(FIRST_LOOK_MS, Math.round(elapsedMs * 0.5));
}

/** Seconds the Wait state waits for a task that has been running for `elapsedMs`. */
export function waitSeconds(elapsedMs: number, minSeconds: number, maxSeconds: number, expectedMs?: number): number {
  return Math.min(maxSeconds, Math.max(minSeconds, Math.ceil(nextLookMs(elapsedMs, expectedMs) / 1000)));
}

/** Seconds to wait for something we do not own (another tool's export task, another run's lease). */
export function backoffSeconds(turnsWaited: number, minSeconds: number, maxSeconds: number): number {
  return Math.min(maxSeconds, Math.max(minSeconds, Math.round(minSeconds * 2 ** Math.min(turnsWaited, 16))));
}
