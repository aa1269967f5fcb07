/**
 * How often an EventBridge Scheduler expression runs: the longest time between two runs, read
 * from `rate(...)` or worked out from `cron(...)` over two years. Pure: no I/O.
 */

export interface Recurrence {
  /** The longest time between two consecutive runs, in seconds (Infinity: it stops running). */
  readonly maxGapSeconds: number;
  /** The shortest, in seconds. */
  readonly minGapSeconds: number;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const MINUTE = 60;
const DAY_MS = 86_400_000;
/** Runs are worked out over this span from a fixed start, in whole days. */
const SPAN_DAYS = 2 * 366;
const START = Date.UTC(2026, 0, 1);

/** Thrown for an expression that cannot be read; the message says what is wrong. */
export class ScheduleError extends Error {}

/**
 * The recurrence of a schedule expression: `rate(5 minutes)`, `cron(0 1 * * ? *)`, or
 * `at(...)` (runs once). Clock changes of the schedule's time zone are not modelled: a gap may
 * be an hour longer or shorter than worked out here.
 */
export function recurrence(expression: string): Recurrence {
  const rate = /^rate\(([1-9]\d*) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    // A value of 1 takes the singular unit, any other the plural.
    if ((rate[1] === '1') !== !rate[2].endsWith('s')) throw new ScheduleError(`${expression}: ${rate[1]} takes '${rate[1] === '1' ? rate[2].replace(/s$/, '') : `${rate[2]}s`}'`);
    const unit = rate[2].startsWith('minute') ? MINUTE : rate[2].startsWith('hour') ? 3_600 : 86_400;
    const gap = Number(rate[1]) * unit;
    return { maxGapSeconds: gap, minGapSeconds: gap };
  }
  if (/^at\(.*\)$/.test(expression)) return { maxGapSeconds: Infinity, minGapSeconds: Infinity };
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (!cron) throw new ScheduleError(`'${expression}' is not a cron(...), rate(...) or at(...) expression`);
  return cronRecurrence(cron[1]);
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

function cronRecurrence(body: string): Recurrence {
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
  const dom = dayOfMonthMatcher(domF);
  const dow = dayOfWeekMatcher(dowF);
  // The runs of one matching day, in minutes after midnight.
  const inDay = hours.flatMap((h) => minutes.map((m) => h * 60 + m));
  let intraDay = Infinity;
  for (let i = 1; i < inDay.length; i++) intraDay = Math.min(intraDay, inDay[i] - inDay[i - 1]);
  let maxIntra = 0;
  for (let i = 1; i < inDay.length; i++) maxIntra = Math.max(maxIntra, inDay[i] - inDay[i - 1]);
  let previous: number | undefined;
  let maxGap = 0;
  let minGap = intraDay * MINUTE;
  for (let i = 0; i < SPAN_DAYS; i++) {
    const d = new Date(START + i * DAY_MS);
    if (!years.has(d.getUTCFullYear()) || !months.has(d.getUTCMonth() + 1) || !dom(d) || !dow(d)) continue;
    const first = d.getTime() / 60_000 + inDay[0];
    if (previous !== undefined) {
      maxGap = Math.max(maxGap, (first - previous) * MINUTE);
      minGap = Math.min(minGap, (first - previous) * MINUTE);
    }
    maxGap = Math.max(maxGap, maxIntra * MINUTE);
    previous = d.getTime() / 60_000 + inDay[inDay.length - 1];
  }
  // Runs that stop before the end of the span (a year field) stop for good.
  const end = (START + SPAN_DAYS * DAY_MS) / 60_000;
  if (previous === undefined || (end - previous) * MINUTE > maxGap + 86_400) return { maxGapSeconds: Infinity, minGapSeconds: minGap };
  return { maxGapSeconds: maxGap, minGapSeconds: minGap };
}
