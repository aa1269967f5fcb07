/**
 * Offload: the CloudWatch Logs retention the exporter sets on the log groups it selects, so that
 * CloudWatch keeps only what the archive does not hold yet. Pure logic: the handler applies it,
 * the construct checks the prop against it, the coverage report reads the record it keeps.
 *
 * A group's record (the retention ledger, `_state/<keyPrefix>/retention.json`) holds the
 * retention it had before the exporter first changed it, and the spans of time whose windows were
 * confirmed archived: exported with files in the bucket (a listing), or without events.
 *
 * Shared code (src/shared/): the construct, the handler and the coverage report import it, so it
 * imports no AWS SDK and no construct library, and does no I/O.
 */

/** The values PutRetentionPolicy accepts (days). */
export const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

const DAY_MS = 86_400_000;
/** Spans kept per group: past this many, the oldest are dropped (their windows then count as not archived: safe). */
export const MAX_SPANS = 20;

/** The smallest retention CloudWatch Logs allows that is at least `days`; undefined when none is (keep the events for ever). */
export function allowedRetention(days: number): number | undefined {
  return RETENTION_DAYS.find((d) => d >= days);
}

/** What the ledger records of one group. */
export interface RetentionEntry {
  /** The group's retention before the exporter first changed it (days; null: never expire). */
  readonly original: number | null;
  /** The group's creation time when first recorded: a group deleted and created again starts a new record. */
  readonly created: number;
  /** Confirmed archived spans [from, to) (ms), sorted, disjoint, not touching. */
  readonly spans: Array<[number, number]>;
  /** The retention the exporter last set (days; null: never expire), recorded before it set it. */
  readonly set?: number | null;
  /**
   * Windows exported (done-markers) whose files are not confirmed in the bucket yet: [from, to
   * (ms), the window's folder below the group's (`yyyy/mm/dd[/hh]`), the export task ids]. They
   * count as not archived until one listing of the group's folder confirms them, which a run
   * makes only when that would let the retention come down (or too many wait).
   */
  readonly pending?: Array<[number, number, string, string[]]>;
}

export interface RetentionLedger {
  readonly v: 1;
  readonly groups: Record<string, RetentionEntry>;
  /**
   * Set when the ledger was lost after offload had started and begun again: a group's retention
   * then may be one offload set, not the group's own (see the handler's record of new groups).
   */
  readonly rebuilt?: boolean;
}

/** Adds the span [from, to) to `spans`, merged with those it overlaps or touches. */
export function addSpan(spans: ReadonlyArray<[number, number]>, from: number, to: number): Array<[number, number]> {
  if (!(from < to)) return [...spans];
  const out: Array<[number, number]> = [];
  let [a, b] = [from, to];
  for (const [s, e] of spans) {
    if (e < a || s > b) out.push([s, e]);
    else [a, b] = [Math.min(a, s), Math.max(b, e)];
  }
  out.push([a, b]);
  out.sort((x, y) => x[0] - y[0]);
  return out.slice(-MAX_SPANS);
}

/** The first instant at or after `since` that no span covers. */
export function firstUncovered(spans: ReadonlyArray<[number, number]>, since: number): number {
  let t = since;
  for (const [s, e] of spans) {
    if (s <= t && t < e) t = e;
  }
  return t;
}

export interface RetentionInputs {
  /** The retention the exporter keeps groups at once everything is archived (an allowed value, days). */
  readonly targetDays: number;
  /**
   * Time added to the age of the oldest event not archived: an export period, until the next run
   * can raise the retention (a schedule interval), and two days more.
   */
  readonly headroomMs: number;
  /**
   * How old the oldest event not archived may be for the retention to follow its age (the
   * freshness alarm's threshold): past it, the group keeps the retention it had before.
   */
  readonly lagMs: number;
  /** The group's retention now (days; undefined: never expire). */
  readonly currentDays?: number;
  readonly created: number;
  readonly entry?: RetentionEntry;
  readonly now: number;
  /** Events before this instant count as archived (the user accepts that history before it may expire). */
  readonly archivedBefore?: number;
}

/**
 * The retention a group should have (days; null: never expire). While its oldest event not
 * confirmed archived is at most `lagMs` old (what the freshness alarm watches), at least the
 * target and long enough that the event outlives the headroom; when it is older (history from
 * before the first run, a failed or abandoned window, a forged marker), the retention the group
 * had before the exporter changed it. Never longer than that: the exporter never keeps events
 * longer than the group would have without it. Events older than the current retention are gone
 * already; those from before the group's creation (up to 14 days) are never exported, by design.
 */
export function wantedRetention(i: RetentionInputs): number | null {
  const original = i.entry ? i.entry.original : i.currentDays ?? null;
  const retainedFrom = Math.max(i.created, i.archivedBefore ?? -Infinity, i.currentDays === undefined ? -Infinity : i.now - i.currentDays * DAY_MS);
  // A group created again since its record counts nothing of the record.
  const spans = i.entry && i.entry.created === i.created ? i.entry.spans : [];
  const oldest = Math.min(firstUncovered(spans, retainedFrom), i.now);
  if (i.now - oldest > i.lagMs) return original;
  const needed = allowedRetention(Math.max(i.targetDays, (i.now - oldest + i.headroomMs) / DAY_MS)) ?? null;
  if (original === null) return needed;
  return needed === null ? original : Math.min(needed, original);
}

/** Whether a retention is shorter than another (null: never expire, the longest). */
export function shorter(a: number | null, b: number | null): boolean {
  return a !== null && (b === null || a < b);
}
