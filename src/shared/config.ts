/**
 * The handler's configuration (set by the construct) and its execution input, with validation.
 *
 * Shared code (src/shared/): the construct, the handler and the coverage report import it, so it
 * imports no AWS SDK and no construct library, and does no I/O.
 */
import { keyPrefixProblem } from './layout';
import { ErrorName } from './protocol';
import { RETENTION_DAYS } from './retention';
import {
  Period, Window, assertTimeZone, instantOf, lastWindowEndedBy, periodSeconds, windowAt, windowLabel, windowStarts, windowsBetween,
} from './windows';

/**
 * One way of finding log groups: every group whose name starts with `prefix`, or exactly `prefix`;
 * or (as the construct writes a list known only at deploy time) exactly each of the
 * comma-separated `names`, read as exact sources by {@link parseConfig}.
 */
export interface Source {
  readonly prefix?: string;
  readonly exact?: boolean;
  readonly names?: string;
}

/** The most characters of names a deploy-time list may hold: the configuration travels with every turn. */
export const MAX_LISTED_NAMES_CHARS = 100_000;

/**
 * Configuration the construct passes to the handler with every turn (the `config` field of the
 * Export task's payload, part of the state machine definition: no size limit like the 4 KB of
 * Lambda environment variables, whatever the number of log groups named).
 */
export interface ExporterConfig {
  /** Who the exporter is: `<account>/<region>/<stack name>/<construct path>`. Its export tasks are named after it. */
  readonly exporterId: string;
  readonly bucket: string;
  readonly keyPrefix: string;
  readonly period: Period;
  readonly timeZone: string;
  readonly sources: Source[];
  readonly excludePrefixes: string[];
  readonly excludeNames: string[];
  readonly settleSeconds: number;
  /** Export windows without events too (otherwise a group's window is skipped when DescribeLogStreams says it holds no event). */
  readonly exportEmptyWindows: boolean;
  /** How far back from the latest settled window a scheduled run catches up (that window included). */
  readonly maxCatchUpSeconds: number;
  /** Attempts per (log group, window) before it is reported as failed. */
  readonly maxAttempts: number;
  /** How long one invocation may poll an export task before handing back to the Wait state. */
  readonly pollSeconds: number;
  readonly minWaitSeconds: number;
  readonly maxWaitSeconds: number;
  /** Loop turns after which the execution continues as a new execution. */
  readonly maxTurns: number;
  /** The state machine's timeout: an execution continues as a new one well before it. */
  readonly executionTimeoutSeconds: number;
  /** The handler function's timeout: no invocation runs longer. */
  readonly lambdaTimeoutSeconds: number;
  /** The schedule's longest interval between runs (the coverage report allows for it). */
  readonly scheduleIntervalSeconds: number;
  readonly leaseSeconds: number;
  /**
   * Offload: the retention (an allowed value, days) the exporter keeps its groups at once their
   * windows are confirmed archived; absent: the exporter never changes a group's retention.
   */
  readonly retentionDays?: number;
  /** Offload: time added to the age of a group's oldest event not archived when its retention is set (seconds). */
  readonly retentionHeadroomSeconds?: number;
  /** Offload: how old a group's oldest event not archived may be for its retention to follow (the freshness alarm's threshold, seconds). */
  readonly retentionLagSeconds?: number;
  /** Offload: events before this instant (ms) count as archived, whether or not they are. */
  readonly retentionArchivedBefore?: number;
}

/** Whether the exporter's configured selection holds a log group (a backfill may name others). */
export function isSelected(config: Pick<ExporterConfig, 'sources' | 'excludePrefixes' | 'excludeNames'>, name: string): boolean {
  if (config.excludeNames.includes(name) || config.excludePrefixes.some((p) => name.startsWith(p))) return false;
  return config.sources.some((s) => s.prefix === undefined || (s.exact ? name === s.prefix : name.startsWith(s.prefix)));
}

/** Thrown for execution input that cannot be run: the execution fails at once with this error. */
export class InvalidInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = ErrorName.INVALID_INPUT;
  }
}

export const MAX_WINDOWS = 1000;

/**
 * The backfill inputs (of every selected group) that export the windows from the one starting at
 * `first` to the one starting at `last`: one per 1,000 windows.
 */
export function backfillsOf(first: number, last: number, period: Period, timeZone: string): Array<{ startDate: string; endDate: string }> {
  const starts = windowStarts(first, windowAt(last, period, timeZone).end, period, timeZone);
  const name = (t: number) => windowLabel(windowAt(t, period, timeZone), period, timeZone);
  const out = [];
  for (let i = 0; i < starts.length; i += MAX_WINDOWS) {
    out.push({ startDate: name(starts[i]), endDate: name(starts[Math.min(i + MAX_WINDOWS, starts.length) - 1]) });
  }
  return out;
}
export const MAX_NAMES = 100;
const LOG_GROUP_NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/;
/** An ISO 8601 date and time with seconds and a zone, as EventBridge Scheduler writes `scheduledTime`. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
/** How far a scheduled time may be ahead of the handler's clock. */
const CLOCK_SKEW_MS = 5 * 60_000;

/** What a run exports: windows (by start) and, for a backfill, optionally only some groups. */
export interface RunRequest {
  readonly mode: 'scheduled' | 'backfill';
  /** Instant the run counts as "now" (the scheduled time for a scheduled run). */
  readonly now: number;
  /** First and last window to export when known from the input (backfill). */
  readonly first?: number;
  readonly last?: number;
  readonly names?: string[];
  readonly reexport: boolean;
  /** The backfill's windows, oldest first. */
  readonly windows?: Window[];
}

const SCHEDULED_KEYS = new Set(['scheduledTime']);
const BACKFILL_KEYS = new Set(['startDate', 'endDate', 'logGroupNames', 'reexport']);

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses the execution input of a new run:
 * `{}` or `{"scheduledTime": "<ISO 8601>"}` (the schedule's input) for a scheduled run, or
 * `{"startDate": "2026-11-01", "endDate": "2026-11-20", "logGroupNames"?: [...], "reexport"?: true}`
 * for a backfill (hourly exports also take `"2026-11-01T05"`).
 */
export function parseRunInput(input: unknown, config: ExporterConfig, now: number): RunRequest {
  if (input === undefined || input === null) input = {};
  if (!isObject(input)) {
    throw new InvalidInputError(`execution input must be a JSON object, got ${JSON.stringify(input)}`);
  }
  const keys = Object.keys(input);
  const backfill = keys.some((k) => BACKFILL_KEYS.has(k));
  const allowed = backfill ? BACKFILL_KEYS : SCHEDULED_KEYS;
  for (const k of keys) {
    if (!allowed.has(k)) {
      throw new InvalidInputError(
        `unknown field '${k}' in execution input: a scheduled run takes 'scheduledTime'; ` +
        "a backfill takes 'startDate', 'endDate', 'logGroupNames' and 'reexport'");
    }
  }
  if (!backfill) {
    let at = now;
    if (input.scheduledTime !== undefined) {
      const v = input.scheduledTime;
      at = typeof v === 'string' && ISO_TIME.test(v) ? Date.parse(v) : NaN;
      if (!Number.isFinite(at)) {
        throw new InvalidInputError(`'scheduledTime' must be an ISO 8601 time such as "2026-11-25T01:00:00Z", got ${JSON.stringify(v)}`);
      }
      if (at > now + CLOCK_SKEW_MS) {
        throw new InvalidInputError(`'scheduledTime' (${v}) is in the future: it is now ${new Date(now).toISOString()}; ` +
          'leave it out to export what has settled by now');
      }
      // A few minutes ahead (clocks differ): what has settled by now, not by then.
      at = Math.min(at, now);
    }
    return { mode: 'scheduled', now: at, reexport: false };
  }

  const first = parseLocalDate('startDate', input.startDate, config);
  const lastStart = parseEndDate('endDate', input.endDate, config);
  if (lastStart < first) {
    throw new InvalidInputError(`'endDate' (${input.endDate}) is before 'startDate' (${input.startDate})`);
  }
  const settled = lastWindowEndedBy(now - config.settleSeconds * 1000, config.period, config.timeZone);
  const lastWindow = windowAt(lastStart, config.period, config.timeZone);
  if (lastWindow.end > settled.end) {
    throw new InvalidInputError(
      `'endDate' (${input.endDate}) is too recent: the last window that can be exported now ` +
      `(settle time ${config.settleSeconds} s) ends at ${new Date(settled.end).toISOString()}`);
  }
  let windows: Window[];
  try {
    windows = windowsBetween(first, lastStart, config.period, config.timeZone, MAX_WINDOWS);
  } catch {
    throw new InvalidInputError(`'startDate'..'endDate' spans more than ${MAX_WINDOWS} export windows; split the backfill`);
  }

  let names: string[] | undefined;
  if (input.logGroupNames !== undefined) {
    const v = input.logGroupNames;
    if (!Array.isArray(v) || v.length === 0 || v.length > MAX_NAMES) {
      throw new InvalidInputError(`'logGroupNames' must be a non-empty array of at most ${MAX_NAMES} log group names`);
    }
    for (const n of v) {
      if (typeof n !== 'string' || !LOG_GROUP_NAME.test(n)) {
        throw new InvalidInputError(`'logGroupNames' holds ${JSON.stringify(n)}, which is not a log group name`);
      }
    }
    names = [...new Set(v as string[])].sort();
  }
  if (input.reexport !== undefined && typeof input.reexport !== 'boolean') {
    throw new InvalidInputError(`'reexport' must be true or false, got ${JSON.stringify(input.reexport)}`);
  }
  return { mode: 'backfill', now, first, last: lastStart, names, reexport: input.reexport === true, windows };
}

/**
 * The first instant of a date (`YYYY-MM-DD`) or, for hourly windows, an hour (`YYYY-MM-DDTHH`,
 * or with its offset, `YYYY-MM-DDTHH:MM+HH:MM`, for the hour a clock change repeats) of the time
 * zone, as the execution input and the coverage report take them.
 */
export function parseLocalDate(field: string, value: unknown, config: Pick<ExporterConfig, 'period' | 'timeZone'>): number {
  const hourly = config.period === 'PT1H';
  const m = typeof value === 'string' ? /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2})(?::(\d{2})(Z|[+-]\d{2}:\d{2}))?)?$/.exec(value) : null;
  if (!m || (m[4] !== undefined && !hourly)) {
    throw new InvalidInputError(`'${field}' must be a date 'YYYY-MM-DD'` +
      `${hourly ? " or an hour 'YYYY-MM-DDTHH' (with its offset, 'YYYY-MM-DDTHH:00+HH:MM', where a clock change repeats it)" : ''} ` +
      `in ${config.timeZone}, got ${JSON.stringify(value)}`);
  }
  const [year, month, day, hour] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4] ?? 0)];
  const check = new Date(Date.UTC(year, month - 1, day, hour));
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23) {
    throw new InvalidInputError(`'${field}' is not a real date: ${JSON.stringify(value)}`);
  }
  if (m[6] !== undefined) {
    const at = Date.parse(value as string);
    if (!Number.isFinite(at) || m[5] !== '00') throw new InvalidInputError(`'${field}' is not the start of an hour: ${JSON.stringify(value)}`);
    return at;
  }
  return instantOf({ year, month, day, hour, minute: 0 }, config.timeZone);
}

/** The start of the last window a range ending at `value` holds: a plain date of an hourly exporter means that whole day. */
export function parseEndDate(field: string, value: unknown, config: Pick<ExporterConfig, 'period' | 'timeZone'>): number {
  const start = parseLocalDate(field, value, config);
  if (config.period !== 'PT1H' || typeof value !== 'string' || value.includes('T')) return start;
  return windowAt(windowAt(start, 'P1D', config.timeZone).end - 1, 'PT1H', config.timeZone).start;
}

/** How many windows a scheduled run may reach back: `maxCatchUp` in export periods, at least one. */
export function catchUpWindows(config: Pick<ExporterConfig, 'maxCatchUpSeconds' | 'period'>): number {
  return Math.max(1, Math.floor(config.maxCatchUpSeconds / periodSeconds(config.period)));
}

/** The earliest window a scheduled run may reach back to, from the latest settled one. */
export function catchUpFloor(latest: Window, config: ExporterConfig): Window {
  let floor = latest;
  for (let i = 1; i < catchUpWindows(config); i++) floor = windowAt(floor.start - 1, config.period, config.timeZone);
  return floor;
}

/**
 * The windows a scheduled run exports: every settled window after the last one fully exported
 * (`checkpointEnd`), from at most `catchUpWindows` back from the latest settled window (that
 * one included); on the first run only the latest one. A checkpoint past the latest settled
 * window cannot be right (no run exports an unsettled window): the run then catches up as far
 * as it may, and the done-markers keep it from exporting anything twice.
 */
export function scheduledWindows(now: number, checkpointEnd: number | undefined, config: ExporterConfig): Window[] {
  const { period, timeZone } = config;
  const latest = lastWindowEndedBy(now - config.settleSeconds * 1000, period, timeZone);
  if (checkpointEnd === undefined) return [latest];
  const floor = catchUpFloor(latest, config);
  const first = checkpointEnd > latest.end ? floor.start : Math.max(checkpointEnd, floor.start);
  // A checkpoint inside a window (the time zone or the period changed): that window too, from the checkpoint on.
  if (windowAt(first, period, timeZone).start > latest.start) return [];
  return windowsBetween(first, latest.start, period, timeZone, MAX_WINDOWS);
}

/** Validates the configuration the construct wrote: a broken deployment fails loudly, at once. */
export function parseConfig(raw: unknown): ExporterConfig {
  const c = raw as ExporterConfig;
  const numbers: (keyof ExporterConfig)[] = ['settleSeconds', 'maxCatchUpSeconds', 'maxAttempts', 'pollSeconds', 'minWaitSeconds',
    'maxWaitSeconds', 'maxTurns', 'executionTimeoutSeconds', 'lambdaTimeoutSeconds', 'scheduleIntervalSeconds', 'leaseSeconds'];
  const complete = isObject(c) && typeof c.exporterId === 'string' && typeof c.bucket === 'string' && c.bucket !== ''
    && typeof c.exportEmptyWindows === 'boolean' && typeof c.keyPrefix === 'string' && ['P1D', 'PT1H'].includes(c.period) && Array.isArray(c.sources)
    && Array.isArray(c.excludePrefixes) && Array.isArray(c.excludeNames) && numbers.every((k) => typeof c[k] === 'number');
  if (!complete) throw new Error(`the exporter's configuration is incomplete: ${JSON.stringify(raw)}`);
  const allowed = (RETENTION_DAYS as readonly number[]).includes(c.retentionDays!);
  if (c.retentionDays !== undefined && (!allowed || !(Number(c.retentionHeadroomSeconds) > 0) || !(Number(c.retentionLagSeconds) > 0))) {
    throw new Error(`the exporter's configuration has a retention CloudWatch Logs does not allow: ${JSON.stringify({ retentionDays: c.retentionDays })}`);
  }
  assertTimeZone(c.timeZone);
  const unsafe = keyPrefixProblem(c.keyPrefix);
  if (unsafe) throw new Error(`the exporter's configuration has a keyPrefix that ${unsafe.replace(/^'[^']*' /, '')}`);
  // A copy: what the caller does with its object later does not change the exporter's configuration.
  const copy = JSON.parse(JSON.stringify(c)) as ExporterConfig;
  return { ...copy, sources: copy.sources.flatMap(listedNames) };
}

/** A list of names known only at deploy time, as exact sources; any other source as it is. */
function listedNames(source: Source): Source[] {
  if (typeof source.names !== 'string') return [source];
  if (source.names.length > MAX_LISTED_NAMES_CHARS) {
    throw new Error(`the exporter's logGroups names more log groups than a run can carry (${source.names.length} characters of names, ` +
      `at most ${MAX_LISTED_NAMES_CHARS}): select them by prefixes instead`);
  }
  const names = [...new Set(source.names.split(',').map((n) => n.trim()).filter((n) => n !== ''))];
  const bad = names.find((n) => !LOG_GROUP_NAME.test(n));
  if (bad !== undefined) throw new Error(`the exporter's logGroups names '${bad}', which is not a log group name (1-512 of A-Z a-z 0-9 . - _ / #)`);
  return names.map((prefix) => ({ prefix, exact: true }));
}
