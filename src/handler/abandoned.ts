/**
 * The time scheduled runs left behind, as spans of time (not of windows: a deployment that
 * changes the period or the time zone cuts them anew): a scheduled run that finds the checkpoint
 * further back than `maxCatchUp` adds what it skips, less what backfills of every group have
 * exported since; such a backfill, ended without a failure, takes out what it exported. Pure: no I/O.
 */
import { backfillsOf } from '../shared/config';
import { AbandonedRecord, Span } from '../shared/layout';
import { Period, windowAt, windowStarts } from '../shared/windows';

/** How windows are cut. */
export interface Cut {
  readonly period: Period;
  readonly timeZone: string;
}

/** [from, to) in ms. */
interface Range {
  readonly from: number;
  readonly to: number;
}

const parse = (spans: Span[] | undefined): Range[] =>
  (spans ?? []).map((s) => ({ from: Date.parse(s.from), to: Date.parse(s.to) })).filter((r) => r.from < r.to);
const format = (ranges: Range[]): Span[] => ranges.map((r) => ({ from: new Date(r.from).toISOString(), to: new Date(r.to).toISOString() }));

/** The union of ranges, sorted, touching ones merged. */
function union(ranges: Range[]): Range[] {
  const out: Range[] = [];
  for (const r of [...ranges].sort((a, b) => a.from - b.from)) {
    const prev = out[out.length - 1];
    if (prev && r.from <= prev.to) out[out.length - 1] = { from: prev.from, to: Math.max(prev.to, r.to) };
    else out.push(r);
  }
  return out;
}

/** `ranges` less `cut`. */
function minus(ranges: Range[], cut: Range[]): Range[] {
  let out = ranges;
  for (const c of cut) {
    out = out.flatMap((r) => (c.to <= r.from || c.from >= r.to ? [r]
      : [...(r.from < c.from ? [{ from: r.from, to: c.from }] : []), ...(c.to < r.to ? [{ from: c.to, to: r.to }] : [])]));
  }
  return out;
}

/**
 * The record with [from, to) left behind, less what backfills exported; backfilled spans that end
 * by `checkpoint` are forgotten (no scheduled run leaves anything before the checkpoint behind).
 */
export function addAbandoned(record: AbandonedRecord, from: number, to: number, checkpoint: number): AbandonedRecord {
  const backfilled = parse(record.backfilled);
  const ranges = union([...parse(record.ranges), ...minus([{ from, to }], backfilled)]);
  return { ranges: format(ranges), backfilled: format(backfilled.filter((b) => b.to > checkpoint)) };
}

/** The record after a backfill of every group exported [from, to) without a failure. */
export function removeAbandoned(record: AbandonedRecord, from: number, to: number): AbandonedRecord {
  return {
    ranges: format(minus(parse(record.ranges), [{ from, to }])),
    backfilled: format(union([...parse(record.backfilled), { from, to }])),
  };
}

/** A span as the windows of `cut` that cover it: first and last window, how many, and the backfill inputs that export them. */
export interface AbandonedWindows {
  readonly first: number;
  readonly last: number;
  readonly windows: number;
  readonly backfills: Array<{ startDate: string; endDate: string }>;
}

/** The record's spans as windows of `cut` (a window only partly left behind counts whole). */
export function abandonedWindows(record: AbandonedRecord | undefined, cut: Cut): AbandonedWindows[] {
  return parse(record?.ranges).map((r) => {
    const first = windowAt(r.from, cut.period, cut.timeZone).start;
    const last = windowAt(r.to - 1, cut.period, cut.timeZone).start;
    return {
      first,
      last,
      windows: windowStarts(first, last + 1, cut.period, cut.timeZone).length,
      backfills: backfillsOf(first, last, cut.period, cut.timeZone),
    };
  });
}

/** How many windows of `cut` the record holds. */
export function abandonedCount(record: AbandonedRecord, cut: Cut): number {
  return abandonedWindows(record, cut).reduce((n, a) => n + a.windows, 0);
}
