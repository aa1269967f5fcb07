/**
 * How often an EventBridge Scheduler expression runs, in its time zone: the longest and shortest
 * time between two runs, and the most export windows that settle between two runs (what one run
 * must catch up on when the run before it did its work). Runs are worked out over two years, with
 * the zone's real clock changes: a time a change skips does not run that day, a time it repeats
 * runs once (as EventBridge Scheduler does). Pure: no I/O.
 */
import { Period, instantOf, localTime, windowStarts } from '../shared/windows';

export interface Recurrence {
  /** The longest time between two consecutive runs, in seconds (Infinity: it stops running). */
  readonly maxGapSeconds: number;
  /** The shortest, in seconds. */
  readonly minGapSeconds: number;
  /** Runs a day, on average over the days from its first run to its last. */
  readonly runsPerDay: number;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const MINUTE = 60;
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** Runs are worked out over this span from a fixed start, in whole days. */
const SPAN_DAYS = 2 * 366;
const START = Date.UTC(2026, 0, 1);
const END = START + SPAN_DAYS * DAY_MS;

/** Thrown for an expression that cannot be read; the message says what is wrong. */
export class ScheduleError extends Error {}

type Parsed = { readonly kind: 'rate'; readonly gapSeconds: number } | { readonly kind: 'at' } | { readonly kind: 'cron'; readonly body: string };

function parse(expression: string): Parsed {
  const rate = /^rate\(([1-9]\d*) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    // A value of 1 takes the singular unit, any other the plural.
    if ((rate[1] === '1') !== !rate[2].endsWith('s')) throw new ScheduleError(`${expression}: ${rate[1]} takes '${rate[1] === '1' ? rate[2].replace(/s$/, '') : `${rate[2]}s`}'`);
    const unit = rate[2].startsWith('minute') ? MINUTE : rate[2].startsWith('hour') ? 3_600 : 86_400;
    return { kind: 'rate', gapSeconds: Number(rate[1]) * unit };
  }
  if (/^at\(.*\)$/.test(expression)) return { kind: 'at' };
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (!cron) throw new ScheduleError(`'${expression}' is not a cron(...), rate(...) or at(...) expression`);
  return { kind: 'cron', body: cron[1] };
}

/**
 * The recurrence of a schedule expression: `rate(5 minutes)`, `cron(0 1 * * ? *)` in `timeZone`,
 * or `at(...)` (runs once).
 */
export function recurrence(expression: string, timeZone = 'UTC'): Recurrence {
  const parsed = parse(expression);
  if (parsed.kind === 'rate') return { maxGapSeconds: parsed.gapSeconds, minGapSeconds: parsed.gapSeconds, runsPerDay: 86_400 / parsed.gapSeconds };
  if (parsed.kind === 'at') return { maxGapSeconds: Infinity, minGapSeconds: Infinity, runsPerDay: 0 };
  const runs = cronRuns(parsed.body, timeZone);
  const runsPerDay = runs.length < 2 ? runs.length : runs.length / Math.max(1, Math.ceil((runs[runs.length - 1] - runs[0]) / DAY_MS));
  let [maxGap, minGap] = [0, Infinity];
  for (let i = 1; i < runs.length; i++) {
    maxGap = Math.max(maxGap, runs[i] - runs[i - 1]);
    minGap = Math.min(minGap, runs[i] - runs[i - 1]);
  }
  // Runs that stop before the end of the span (a year field) stop for good.
  const stops = runs.length === 0 || END - runs[runs.length - 1] > maxGap + DAY_MS;
  if (stops) return { maxGapSeconds: Infinity, minGapSeconds: minGap / 1000, runsPerDay };
  return { maxGapSeconds: maxGap / 1000, minGapSeconds: minGap / 1000, runsPerDay };
}

/** The most runs of the schedule within any span of `seconds`. */
export function mostRunsWithin(expression: string, timeZone: string, seconds: number): number {
  const parsed = parse(expression);
  if (parsed.kind === 'rate') return Math.floor(seconds / parsed.gapSeconds);
  if (parsed.kind === 'at') return 1;
  const runs = cronRuns(parsed.body, timeZone);
  let most = 0;
  for (let i = 0, j = 0; i < runs.length; i++) {
    while (j < runs.length && runs[j] < runs[i] + seconds * 1000) j++;
    most = Math.max(most, j - i);
  }
  return most;
}

/** How export windows are cut and when they settle. */
export interface WindowCut {
  readonly period: Period;
  readonly timeZone: string;
  readonly settleSeconds: number;
}

/** The most windows that settle between two runs, and (for a cron) the first two runs it happens between. */
export interface WindowsBetweenRuns {
  readonly windows: number;
  readonly between?: readonly [number, number];
}

const settleCache = new Map<string, number[]>();

/** The instants windows settle at over the span (their end plus the settle time), ascending; memoised. */
function settleInstants(cut: WindowCut): number[] {
  const key = `${cut.period} ${cut.timeZone} ${cut.settleSeconds}`;
  let instants = settleCache.get(key);
  if (!instants) {
    // A window ends where the next starts.
    const starts = windowStarts(START - 2 * DAY_MS - cut.settleSeconds * 1000, END + 2 * DAY_MS, cut.period, cut.timeZone);
    instants = starts.slice(1).map((t) => t + cut.settleSeconds * 1000);
    settleCache.set(key, instants);
  }
  return instants;
}

/**
 * The most export windows that settle between two consecutive runs of the schedule: a run must
 * export that many when the run before it exported what had settled by then. For a rate, whose
 * runs start whenever the schedule was created, the most that settle in any span of its length.
 */
export function windowsBetweenRuns(expression: string, timeZone: string, cut: WindowCut): WindowsBetweenRuns {
  const parsed = parse(expression);
  if (parsed.kind === 'at') return { windows: Infinity };
  const settled = settleInstants(cut);
  if (parsed.kind === 'rate') {
    const gap = parsed.gapSeconds * 1000;
    let most = 0;
    for (let i = 0, j = 0; i < settled.length; i++) {
      while (j < settled.length && settled[j] < settled[i] + gap) j++;
      most = Math.max(most, j - i);
    }
    return { windows: most };
  }
  const runs = cronRuns(parsed.body, timeZone);
  let most = { windows: 0 } as WindowsBetweenRuns;
  let k = 0;
  for (let i = 1; i < runs.length; i++) {
    // Windows settled in (runs[i - 1], runs[i]].
    while (k < settled.length && settled[k] <= runs[i - 1]) k++;
    let j = k;
    while (j < settled.length && settled[j] <= runs[i]) j++;
    if (j - k > most.windows) most = { windows: j - k, between: [runs[i - 1], runs[i]] };
  }
  return most;
}

/** Values of a field: `*`, lists, ranges and steps over numbers or names. */
function values(field: string, min: number, max: number, names: string[] = [], nameBase = min): Set<number> {
  const out = new Set<number>();
  const num = (v: string): number => {
    const i = names.indexOf(v.toUpperCase());
    const n = i >= 0 ? i + nameBase : /^\d{1,4}$/.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) throw new ScheduleError(`'${v}' is not a value from ${min} to ${max}`);
    return n;
  };
  for (const part of field.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new ScheduleError(`'${part}' has a step that is not a positive whole number`);
    let lo: number;
    let hi: number;
    if (range === '*') [lo, hi] = [min, max];
    else if (range.includes('-')) [lo, hi] = range.split('-').map(num) as [number, number];
    else [lo, hi] = [num(range), stepText === undefined ? num(range) : max];
    if (lo > hi) throw new ScheduleError(`'${part}' is a range that goes backwards`);
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

/** Whether a day matches the day-of-month field (numbers, `L`, `nW`). */
function dayOfMonthMatcher(field: string): (d: Date) => boolean {
  if (field === '?' || field === '*') return () => true;
  const lastDay = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  if (field === 'L') return (d) => d.getUTCDate() === lastDay(d);
  const weekday = /^(\d{1,2})W$/.exec(field);
  if (weekday) {
    const target = Number(weekday[1]);
    return (d) => {
      // The weekday nearest to the target day, in the same month.
      const last = lastDay(d);
      const day = Math.min(target, last);
      const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), day));
      const dow = t.getUTCDay();
      let nearest = day;
      if (dow === 6) nearest = day === 1 ? 3 : day - 1;
      if (dow === 0) nearest = day === last ? day - 2 : day + 1;
      return d.getUTCDate() === nearest;
    };
  }
  const days = values(field, 1, 31);
  return (d) => days.has(d.getUTCDate());
}

/** Whether a day matches the day-of-week field (1-7 or SUN-SAT, `nL`, `n#k`). */
function dayOfWeekMatcher(field: string): (d: Date) => boolean {
  if (field === '?' || field === '*') return () => true;
  // `L` alone: the last day of the week, Saturday.
  if (field === 'L') return (d) => d.getUTCDay() === 6;
  const last = /^([1-7]|[A-Za-z]{3})L$/.exec(field);
  const nth = /^([1-7]|[A-Za-z]{3})#([1-5])$/.exec(field);
  const dayNumber = (v: string) => [...values(v, 1, 7, DAYS, 1)][0] - 1;
  if (last) {
    const dow = dayNumber(last[1]);
    return (d) => d.getUTCDay() === dow && d.getUTCDate() + 7 > new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  }
  if (nth) {
    const dow = dayNumber(nth[1]);
    return (d) => d.getUTCDay() === dow && Math.ceil(d.getUTCDate() / 7) === Number(nth[2]);
  }
  const days = new Set([...values(field, 1, 7, DAYS, 1)].map((v) => v - 1));
  return (d) => days.has(d.getUTCDay());
}

/**
 * The instants a cron expression runs at over the span, ascending: each matching day of the
 * zone's calendar, at each matching local time of it. A local time a clock change skips does not
 * run that day; one it repeats runs once, at its first occurrence.
 */
function cronRuns(body: string, timeZone: string): number[] {
  const key = `${body} ${timeZone}`;
  let runs = runsCache.get(key);
  if (!runs) {
    runs = expandCron(body, timeZone);
    runsCache.set(key, runs);
  }
  return runs;
}

const runsCache = new Map<string, number[]>();

function expandCron(body: string, timeZone: string): number[] {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6) throw new ScheduleError(`cron(${body}) must have 6 fields (minutes hours day-of-month month day-of-week year)`);
  const [minF, hourF, domF, monthF, dowF, yearF] = fields;
  if ((domF === '?') === (dowF === '?')) {
    throw new ScheduleError(`cron(${body}): one of day-of-month and day-of-week must be '?', and only one`);
  }
  const minutes = [...values(minF, 0, 59)].sort((a, b) => a - b);
  const hours = [...values(hourF, 0, 23)].sort((a, b) => a - b);
  const months = values(monthF, 1, 12, MONTHS, 1);
  const years = values(yearF, 1970, 2199);
  // A cron that starts after the span runs in it as it will then (its calendar is the span's).
  const spanYears = [new Date(START).getUTCFullYear(), new Date(END - 1).getUTCFullYear()];
  const later = ![...years].some((y) => y <= spanYears[1]) && [...years].some((y) => y > spanYears[1]);
  const yearOk = (y: number) => later || years.has(y);
  const dom = dayOfMonthMatcher(domF);
  const dow = dayOfWeekMatcher(dowF);
  // The runs of one matching day, in minutes after local midnight.
  const inDay = hours.flatMap((h) => minutes.map((m) => h * 60 + m));
  const runs: number[] = [];
  const localDay = (d: Date) => ({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() });
  const midnight = (d: Date) => instantOf({ ...localDay(d), hour: 0, minute: 0 }, timeZone);
  let dayStart = midnight(new Date(START));
  for (let i = 0; i < SPAN_DAYS; i++) {
    const d = new Date(START + i * DAY_MS);
    const nextStart = midnight(new Date(START + (i + 1) * DAY_MS));
    if (yearOk(d.getUTCFullYear()) && months.has(d.getUTCMonth() + 1) && dom(d) && dow(d)) {
      const regular = nextStart - dayStart === DAY_MS && localTime(dayStart, timeZone).hour === 0;
      for (const m of inDay) {
        if (regular) {
          runs.push(dayStart + m * MINUTE_MS);
          continue;
        }
        // A day with a clock change: the local time as the zone's clock shows it, if it exists that day.
        const local = { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: Math.floor(m / 60), minute: m % 60 };
        const at = instantOf(local, timeZone);
        const shown = localTime(at, timeZone);
        if (shown.hour === local.hour && shown.minute === local.minute && at > (runs[runs.length - 1] ?? -Infinity)) runs.push(at);
      }
    }
    dayStart = nextStart;
  }
  return runs;
}
