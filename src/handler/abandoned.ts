/**
 * The windows scheduled runs left behind, as ranges: a scheduled run that finds the checkpoint
 * further back than `maxCatchUp` adds what it skips; a backfill of every group that ends without
 * a failure takes out what it exported. Pure: no I/O.
 */
import { AbandonedRecord } from '../shared/layout';
import { Period, windowAt, windowStarts } from '../shared/windows';

/** How windows are cut. */
export interface Cut {
  readonly period: Period;
  readonly timeZone: string;
}

/** A range of windows by the starts of its first and last window. */
interface Range {
  readonly first: number;
  readonly last: number;
}

function ranges(record: AbandonedRecord): Range[] {
  return record.ranges.map((r) => ({ first: Date.parse(r.first), last: Date.parse(r.last) })).filter((r) => r.first <= r.last);
}

function toRecord(list: Range[], cut: Cut): AbandonedRecord {
  const iso = (t: number) => new Date(t).toISOString();
  return {
    ranges: list.map((r) => ({
      first: iso(r.first),
      last: iso(r.last),
      windows: windowStarts(r.first, windowAt(r.last, cut.period, cut.timeZone).end, cut.period, cut.timeZone).length,
    })),
  };
}

/** The record with the windows from `first` to `last` (starts) added, ranges that touch merged. */
export function addAbandoned(record: AbandonedRecord, first: number, last: number, cut: Cut): AbandonedRecord {
  const sorted = [...ranges(record), { first, last }].sort((a, b) => a.first - b.first);
  const merged: Range[] = [];
  for (const r of sorted) {
    const prev = merged[merged.length - 1];
    const touches = prev && windowAt(prev.last, cut.period, cut.timeZone).end >= r.first;
    if (touches) merged[merged.length - 1] = { first: prev.first, last: Math.max(prev.last, r.last) };
    else merged.push(r);
  }
  return toRecord(merged, cut);
}

/** The record without the windows from `first` to `last` (starts). */
export function removeAbandoned(record: AbandonedRecord, first: number, last: number, cut: Cut): AbandonedRecord {
  const out: Range[] = [];
  for (const r of ranges(record)) {
    if (last < r.first || first > r.last) {
      out.push(r);
      continue;
    }
    if (r.first < first) out.push({ first: r.first, last: windowAt(first - 1, cut.period, cut.timeZone).start });
    if (last < r.last) out.push({ first: windowAt(last, cut.period, cut.timeZone).end, last: r.last });
  }
  return toRecord(out, cut);
}

/** How many windows the record holds. */
export function abandonedCount(record: AbandonedRecord): number {
  return record.ranges.reduce((n, r) => n + r.windows, 0);
}
