/**
 * Export windows: calendar days or hours of a time zone, as UTC epoch milliseconds.
 *
 * Pure functions, no I/O. A window is `[start, end)`, and the windows of a zone partition time:
 * each instant is in exactly one. A daily window is one calendar day of the zone, so it lasts 23
 * or 25 hours on daylight-saving change days. An hourly window starts where the zone's clock
 * shows a full hour; where a clock change is not a whole hour (Australia/Lord_Howe moves by 30
 * minutes), the hour around the change lasts 30 or 90 minutes instead of overlapping its neighbour.
 *
 * Shared code (src/shared/): the construct, the handler and the coverage report import it, so it
 * imports no AWS SDK and no construct library, and does no I/O.
 */

export type Period = 'P1D' | 'PT1H';

export interface Window {
  /** First millisecond of the window (inclusive). */
  readonly start: number;
  /** First millisecond after the window (exclusive). */
  readonly end: number;
}

export interface LocalTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
}

const HOUR = 3_600_000;
const MINUTE = 60_000;
/** Every zone's offset from UTC is a whole number of quarter hours (today's rules). */
const QUARTER = 15 * MINUTE;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Whether a value is an IANA time zone this runtime knows. */
export function isTimeZone(timeZone: unknown): timeZone is string {
  try {
    return typeof timeZone === 'string' && formatter(timeZone) !== undefined;
  } catch {
    return false;
  }
}

/**
 * The database's spelling of a zone written in another case ('utc' is 'UTC', 'europe/berlin' is
 * 'Europe/Berlin'), when it differs: this runtime reads such a name, other readers of it
 * (EventBridge Scheduler) may not.
 */
export function databaseSpelling(timeZone: string): string | undefined {
  if (!isTimeZone(timeZone)) return undefined;
  const lower = timeZone.toLowerCase();
  const named = [formatter(timeZone).resolvedOptions().timeZone, ...Intl.supportedValuesOf('timeZone')].find((z) => z.toLowerCase() === lower);
  if (named !== undefined) return named === timeZone ? undefined : named;
  // An alias this runtime knows by another name: every name of the database has a capital letter.
  return timeZone === lower ? formatter(timeZone).resolvedOptions().timeZone : undefined;
}

/** Throws a clear error when the zone is not an IANA time zone this runtime knows. */
export function assertTimeZone(timeZone: string): void {
  if (!isTimeZone(timeZone)) throw new Error(`Unknown time zone '${timeZone}': expected an IANA name such as 'UTC' or 'Europe/Paris'`);
}

/** The wall-clock time in `timeZone` at instant `t`. */
export function localTime(t: number, timeZone: string): LocalTime {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(t))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return { year: parts.year, month: parts.month, day: parts.day, hour: parts.hour, minute: parts.minute };
}

/** Offset of `timeZone` from UTC at instant `t`, in milliseconds (local minus UTC). */
export function offsetAt(t: number, timeZone: string): number {
  return sortKey(localTime(t, timeZone)) - Math.floor(t / MINUTE) * MINUTE;
}

/** The nominal length of a period in seconds (a day of 24 hours). */
export function periodSeconds(period: Period): number {
  return period === 'PT1H' ? 3_600 : 86_400;
}

function sortKey(l: LocalTime): number {
  return Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute);
}

/**
 * The first instant whose wall-clock time in `timeZone` is at or after the given local time.
 * Where the local time does not exist (a daylight-saving gap), this is the end of the gap.
 */
export function instantOf(local: LocalTime, timeZone: string): number {
  const target = sortKey(local);
  // Every zone's offset is within +-15 h: search that range at minute resolution.
  let lo = Math.floor((target - 15 * HOUR) / MINUTE);
  let hi = Math.floor((target + 15 * HOUR) / MINUTE);
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (sortKey(localTime(mid * MINUTE, timeZone)) >= target) hi = mid;
    else lo = mid + 1;
  }
  return lo * MINUTE;
}

function startOfLocalDay(year: number, month: number, day: number, timeZone: string): number {
  const d = new Date(Date.UTC(year, month - 1, day));
  return instantOf({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: 0, minute: 0 }, timeZone);
}

/** Whether the zone's clock shows a full hour at quarter-hour instant `q`. */
function fullHour(q: number, timeZone: string): boolean {
  return localTime(q, timeZone).minute === 0;
}

/**
 * The hour that contains `t`: from the latest quarter-hour instant at or before `t` whose local
 * time is a full hour, to the next one. Zones without full hours on quarter-hour instants (none
 * today) fall back to UTC hours.
 */
function hourAt(t: number, timeZone: string): Window {
  const floor = Math.floor(t / QUARTER) * QUARTER;
  let start: number | undefined;
  for (let q = floor; q > floor - 3 * HOUR; q -= QUARTER) {
    if (fullHour(q, timeZone)) {
      start = q;
      break;
    }
  }
  if (start === undefined) {
    const utc = Math.floor(t / HOUR) * HOUR;
    return { start: utc, end: utc + HOUR };
  }
  for (let q = start + QUARTER; q <= start + 3 * HOUR; q += QUARTER) {
    if (fullHour(q, timeZone)) return { start, end: q };
  }
  return { start, end: start + HOUR };
}

/** The window that contains instant `t`. */
export function windowAt(t: number, period: Period, timeZone: string): Window {
  if (period === 'PT1H') return hourAt(t, timeZone);
  const l = localTime(t, timeZone);
  // The calendar day the clock shows, unless a clock change moved the day's start past `t`.
  let day = l.day;
  while (t >= startOfLocalDay(l.year, l.month, day + 1, timeZone)) day += 1;
  while (t < startOfLocalDay(l.year, l.month, day, timeZone)) day -= 1;
  return {
    start: startOfLocalDay(l.year, l.month, day, timeZone),
    end: startOfLocalDay(l.year, l.month, day + 1, timeZone),
  };
}

/** The latest window that has ended at or before `t`. */
export function lastWindowEndedBy(t: number, period: Period, timeZone: string): Window {
  const current = windowAt(t, period, timeZone);
  return current.start === t ? windowAt(t - 1, period, timeZone) : windowAt(current.start - 1, period, timeZone);
}

/** The window that follows `w`. */
export function nextWindow(w: Window, period: Period, timeZone: string): Window {
  return windowAt(w.end, period, timeZone);
}

/** Windows from the one containing `first` to the one containing `last`, in order, at most `limit`. */
export function windowsBetween(first: number, last: number, period: Period, timeZone: string, limit: number): Window[] {
  const out: Window[] = [];
  for (let w = windowAt(first, period, timeZone); w.start <= last; w = nextWindow(w, period, timeZone)) {
    if (out.length === limit) {
      throw new Error(`the range holds more than ${limit} windows`);
    }
    out.push(w);
  }
  return out;
}

/**
 * The instants windows start at, from the first window starting at or after `from` to the last
 * starting before `to`, ascending: the same boundaries as `windowAt`, found a day at a time (a
 * day without a clock change has its hours at one offset), for spans of years.
 */
export function windowStarts(from: number, to: number, period: Period, timeZone: string): number[] {
  const starts: number[] = [];
  const first = localTime(from, timeZone);
  let day = Date.UTC(first.year, first.month - 1, first.day) - 86_400_000;
  let dayStart = startOfLocalDay(first.year, first.month, first.day - 1, timeZone);
  while (dayStart < to) {
    const next = new Date(day + 86_400_000);
    const nextStart = startOfLocalDay(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), timeZone);
    if (period === 'P1D') {
      starts.push(dayStart);
    } else if (nextStart - dayStart === 24 * HOUR && offsetAt(dayStart, timeZone) === offsetAt(nextStart - 1, timeZone)) {
      for (let h = 0; h < 24; h++) starts.push(dayStart + h * HOUR);
    } else {
      // A day with a clock change: its full hours, quarter-hour by quarter-hour (as hourAt finds them).
      for (let q = Math.floor(dayStart / QUARTER) * QUARTER; q < nextStart; q += QUARTER) if (q >= dayStart && fullHour(q, timeZone)) starts.push(q);
    }
    day += 86_400_000;
    dayStart = nextStart;
  }
  return starts.filter((t) => t >= from && t < to);
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Path segments that name the window in its time zone: yyyy/mm/dd, plus hh when hourly. */
export function windowPath(w: Window, period: Period, timeZone: string): string {
  const l = localTime(w.start, timeZone);
  const day = `${l.year}/${pad(l.month)}/${pad(l.day)}`;
  return period === 'PT1H' ? `${day}/${pad(l.hour)}` : day;
}

/** A compact, sortable id of the window (its UTC start), unique for a period. */
export function windowId(w: Window): string {
  return new Date(w.start).toISOString().replace(/[-:]|\.\d+/g, '');
}

/**
 * What a backfill calls a window: its date (or date and hour) in the exporter's time zone; an
 * hour a clock change repeats also names its offset (`2026-11-01T01:00-05:00`).
 */
export function windowLabel(w: Window, period: Period, timeZone: string): string {
  const p = windowPath(w, period, timeZone).split('/');
  if (period !== 'PT1H') return `${p[0]}-${p[1]}-${p[2]}`;
  const hour = `${p[0]}-${p[1]}-${p[2]}T${p[3]}`;
  const named = instantOf({ year: +p[0], month: +p[1], day: +p[2], hour: +p[3], minute: 0 }, timeZone);
  if (windowAt(named, period, timeZone).start === w.start) return hour;
  const offset = offsetAt(w.start, timeZone) / 60_000;
  const whole = (n: number) => pad(Math.floor(Math.abs(n)));
  return `${hour}:00${offset < 0 ? '-' : '+'}${whole(offset / 60)}:${whole(Math.abs(offset) % 60)}`;
}
