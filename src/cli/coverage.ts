/**
 * The coverage report: for each log group, the windows with a done-marker, those an empty record
 * says had no event (not exported, nothing missing), and those with neither (missing); and the
 * backfill inputs that would export the missing ones. It reads only the bucket.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { BucketAccess } from '../handler/bucket-access';
import { MAX_NAMES, MAX_WINDOWS, parseEndDate, parseLocalDate } from '../shared/config';
import { ACCOUNT_ID, EmptyRecord, OwnerRecord, isEmptyRecord, markerPrefix, ownerKey, parseMarker, stateRoot } from '../shared/layout';
import { Period, Window, instantOf, isTimeZone, lastWindowEndedBy, offsetAt, windowAt, windowPath, windowsBetween } from '../shared/windows';

/** Windows a report covers at most: ten years of days, a year of hours. */
const MAX_REPORT_WINDOWS = 10_000;

export interface CoverageRequest {
  readonly bucket: string;
  readonly prefix: string;
  /**
   * First and last date (or hour) in the exporter's time zone; by default each group's first
   * exported window, and the latest window its schedule has had time to export.
   */
  readonly from?: string;
  readonly to?: string;
  /** Only these log groups (default: every group with a done-marker). */
  readonly groups: string[];
}

export interface Gap {
  /** First and last missing window, as a backfill names them. */
  readonly first: string;
  readonly last: string;
  readonly windows: number;
}

export interface GroupCoverage {
  readonly logGroupName: string;
  readonly exported: number;
  /** Windows without events in the group: not exported, not missing. */
  readonly empty: number;
  readonly missing: number;
  readonly gaps: Gap[];
  /** Named on the command line, and no window of it was ever exported (give a range to list them). */
  readonly neverExported?: boolean;
}

export interface BackfillInput {
  readonly startDate: string;
  readonly endDate: string;
  readonly logGroupNames: string[];
}

export interface Coverage {
  readonly bucket: string;
  readonly prefix: string;
  readonly period: Period;
  readonly timeZone: string;
  readonly from: string;
  readonly to: string;
  readonly groups: GroupCoverage[];
  /** Execution inputs of backfills that export every missing window. */
  readonly backfills: BackfillInput[];
}

/** A mistake in what the report was asked: the message says what is wrong. */
export class UsageError extends Error {}

/** No exporter keeps its state under the prefix (it may be an archive of several exporters). */
export class NoExporterError extends UsageError {}

/**
 * The bucket as the report reads it: a denied request names what the credentials running the
 * report need (read-only: listing and reading the exporters' state).
 */
export function reportBucket(s3: S3Client, bucket: string, prefix: string): BucketAccess {
  return new BucketAccess(s3, bucket, () => `the credentials running the report need s3:ListBucket on arn:aws:s3:::${bucket} ` +
    `for the prefix ${stateRoot(prefix)}/* and s3:GetObject on arn:aws:s3:::${bucket}/${stateRoot(prefix)}/*`);
}

/**
 * The key prefixes of the exporters whose state is under an archive's key prefix
 * (`_state/<prefix>/<account>/<region>/owner.json`), sorted.
 */
export async function exportersUnder(bucket: BucketAccess, prefix: string): Promise<string[]> {
  const folders = async (under: string): Promise<string[]> => {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const res = await bucket.list({ Prefix: `${stateRoot(under)}/`, Delimiter: '/', ContinuationToken: token });
      out.push(...(res.CommonPrefixes ?? []).map((c) => `${under}/${c.Prefix!.slice(stateRoot(under).length + 1, -1)}`));
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return out;
  };
  const found: string[] = [];
  for (const account of (await folders(prefix)).filter((f) => ACCOUNT_ID.test(f.slice(f.lastIndexOf('/') + 1)))) {
    for (const region of await folders(account)) {
      if (await bucket.exists(ownerKey(region))) found.push(region);
    }
  }
  return found.sort();
}

/**
 * What a backfill calls a window: its date (or date and hour) in the exporter's time zone; an
 * hour a clock change repeats also names its offset (`2026-11-01T01:00-05:00`).
 */
function label(w: Window, period: Period, timeZone: string): string {
  const p = windowPath(w, period, timeZone).split('/');
  if (period !== 'PT1H') return `${p[0]}-${p[1]}-${p[2]}`;
  const hour = `${p[0]}-${p[1]}-${p[2]}T${p[3]}`;
  const named = instantOf({ year: +p[0], month: +p[1], day: +p[2], hour: +p[3], minute: 0 }, timeZone);
  if (windowAt(named, period, timeZone).start === w.start) return hour;
  const offset = offsetAt(w.start, timeZone) / 60_000;
  const pad = (n: number) => String(Math.floor(Math.abs(n))).padStart(2, '0');
  return `${hour}:00${offset < 0 ? '-' : '+'}${pad(offset / 60)}:${pad(Math.abs(offset) % 60)}`;
}

/** The window id (`20261124T000000Z`) as an instant. */
function instantOfId(id: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(id);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : NaN;
}

export async function coverage(s3: S3Client, req: CoverageRequest, now: number, progress: (line: string) => void = () => {}): Promise<Coverage> {
  const bucket = reportBucket(s3, req.bucket, req.prefix);
  const owner = await readOwner(bucket, req);
  const { period, timeZone } = owner;
  const local = (field: string, value: string) => {
    try {
      const at = field === 'startDate' ? parseLocalDate(field, value, owner) : parseEndDate(field, value, owner);
      return windowAt(at, period, timeZone);
    } catch (e) {
      throw new UsageError(`--${field === 'startDate' ? 'from' : 'to'}: ${(e as Error).message.replace(/'(startDate|endDate)'/, 'the date')}`);
    }
  };
  const latest = lastWindowEndedBy(now - owner.settleSeconds * 1000, period, timeZone);
  // By default, up to the latest window the schedule has had time to export (it runs at most this far apart).
  const due = lastWindowEndedBy(now - (owner.settleSeconds + owner.scheduleIntervalSeconds) * 1000, period, timeZone);
  const to = req.to !== undefined ? local('endDate', req.to) : due;
  if (to.start > latest.start) throw new UsageError(`--to ${req.to} has not settled yet: the latest settled window is ${label(latest, period, timeZone)}`);
  const from = req.from !== undefined ? local('startDate', req.from) : await firstMarked(bucket, req, period, timeZone);
  if (from === undefined) {
    // Nothing exported yet: the groups named are missing, from a start the report cannot know.
    const groups = [...new Set(req.groups)].sort()
      .map((logGroupName) => ({ logGroupName, exported: 0, empty: 0, missing: 0, gaps: [], neverExported: true }));
    return { bucket: req.bucket, prefix: req.prefix, period, timeZone, from: '', to: label(to, period, timeZone), groups, backfills: [] };
  }
  if (from.start > to.start) throw new UsageError(`--from ${label(from, period, timeZone)} is after --to ${label(to, period, timeZone)}`);
  let windows: Window[];
  try {
    windows = windowsBetween(from.start, to.start, period, timeZone, MAX_REPORT_WINDOWS);
  } catch {
    throw new UsageError(`--from..--to spans more than ${MAX_REPORT_WINDOWS} windows: report a shorter range`);
  }

  // Each window as a backfill names it.
  const labels = windows.map((w) => label(w, period, timeZone));
  // Which groups have a marker (or are recorded without events) for which windows.
  const marked = new Map<string, Set<number>>();
  const empty = new Map<string, Set<number>>();
  const add = (into: Map<string, Set<number>>, group: string, i: number) => into.set(group, (into.get(group) ?? new Set()).add(i));
  let listed = 0;
  let told = 0;
  for (const [i, w] of windows.entries()) {
    const found = await markedGroups(bucket, req, period, w);
    for (const group of found.exported) add(marked, group, i);
    for (const group of found.empty) add(empty, group, i);
    listed += found.exported.length + found.empty.length;
    if (listed - told >= 10_000) {
      told = listed;
      progress(`read ${listed} done-markers and empty windows (${labels[i]})`);
    }
  }
  const groups = req.groups.length > 0 ? [...new Set(req.groups)].sort() : [...new Set([...marked.keys(), ...empty.keys()])].sort();
  const report: GroupCoverage[] = groups.map((logGroupName) => {
    const exported = marked.get(logGroupName) ?? new Set<number>();
    const done = new Set([...exported, ...(empty.get(logGroupName) ?? [])]);
    // Without --from, a group is measured from its first exported (or empty) window (it may not have existed before).
    const start = req.from === undefined && done.size > 0 ? Math.min(...done) : 0;
    const gaps: Gap[] = [];
    for (let i = start; i < windows.length; i++) {
      if (done.has(i)) continue;
      let j = i;
      while (j + 1 < windows.length && !done.has(j + 1)) j += 1;
      gaps.push({ first: labels[i], last: labels[j], windows: j - i + 1 });
      i = j;
    }
    const missing = gaps.reduce((sum, g) => sum + g.windows, 0);
    return { logGroupName, exported: exported.size, empty: done.size - exported.size, missing, gaps };
  });
  return {
    bucket: req.bucket,
    prefix: req.prefix,
    period,
    timeZone,
    from: label(from, period, timeZone),
    to: label(to, period, timeZone),
    groups: report,
    backfills: backfills(report, labels),
  };
}

/** Backfill inputs that export every gap: one per range of windows, naming its groups (at most 100 names, 1,000 windows each). */
function backfills(report: GroupCoverage[], labels: string[]): BackfillInput[] {
  const byRange = new Map<string, string[]>();
  const index = new Map(labels.map((l, i) => [l, i]));
  for (const g of report) {
    for (const gap of g.gaps) {
      // Split gaps longer than a backfill takes.
      for (let i = index.get(gap.first)!; i <= index.get(gap.last)!; i += MAX_WINDOWS) {
        const last = Math.min(i + MAX_WINDOWS - 1, index.get(gap.last)!);
        const key = `${labels[i]} ${labels[last]}`;
        byRange.set(key, [...(byRange.get(key) ?? []), g.logGroupName]);
      }
    }
  }
  const out: BackfillInput[] = [];
  for (const [key, names] of [...byRange.entries()].sort()) {
    const [startDate, endDate] = key.split(' ');
    for (let i = 0; i < names.length; i += MAX_NAMES) out.push({ startDate, endDate, logGroupNames: names.slice(i, i + MAX_NAMES) });
  }
  return out;
}

async function readOwner(bucket: BucketAccess, req: CoverageRequest): Promise<OwnerRecord> {
  let read: { body: Partial<OwnerRecord> } | undefined;
  try {
    read = await bucket.readJson<Partial<OwnerRecord>>(ownerKey(req.prefix));
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    throw new UsageError(`s3://${req.bucket}/${ownerKey(req.prefix)} is not JSON: the exporter's next run rewrites it; run the report after that`);
  }
  if (!read) {
    throw new NoExporterError(`no exporter keeps its state under s3://${req.bucket}/${stateRoot(req.prefix)}/ (no owner.json there): ` +
      'check --bucket and --prefix (the exporter\'s keyPrefix, default exported-logs); an exporter writes it on its first run');
  }
  const owner = read.body ?? {};
  if (typeof owner !== 'object' || !['P1D', 'PT1H'].includes(owner.period ?? '') || !isTimeZone(owner.timeZone) || typeof owner.settleSeconds !== 'number'
    || typeof owner.scheduleIntervalSeconds !== 'number') {
    throw new UsageError(`s3://${req.bucket}/${ownerKey(req.prefix)} does not say how the exporter cuts windows: ` +
      'the exporter\'s next run rewrites it; run the report after that');
  }
  return owner as OwnerRecord;
}

/** The first window with any done-marker, from one listing of the window folders. */
async function firstMarked(bucket: BucketAccess, req: CoverageRequest, period: Period, timeZone: string): Promise<Window | undefined> {
  const prefix = `${stateRoot(req.prefix)}/done/${period}/`;
  const res = await bucket.list({ Prefix: prefix, Delimiter: '/', MaxKeys: 1 });
  const id = res.CommonPrefixes?.[0]?.Prefix?.slice(prefix.length, -1);
  const start = id ? instantOfId(id) : NaN;
  return Number.isFinite(start) ? windowAt(start, period, timeZone) : undefined;
}

/**
 * The log groups with a done-marker for a window (names too long for a key are read from the
 * marker), and those its empty records name.
 */
async function markedGroups(bucket: BucketAccess, req: CoverageRequest, period: Period, w: Window): Promise<{ exported: string[]; empty: string[] }> {
  const prefix = markerPrefix(req.prefix, period, w);
  const exported: string[] = [];
  const empty: string[] = [];
  // Listed a moment ago: an object gone since (a marker rewritten) has nothing to add.
  const read = async <T>(key: string): Promise<T | undefined> => (await bucket.readJson<T>(key))?.body;
  let token: string | undefined;
  do {
    const res = await bucket.list({ Prefix: prefix, ContinuationToken: token });
    for (const o of res.Contents ?? []) {
      const m = parseMarker(prefix, o.Key!);
      if (m) {
        // A name too long for a key is read from the marker.
        const name = m.name.includes('~') ? (await read<{ logGroupName: string }>(o.Key!))?.logGroupName : decodeURIComponent(m.name);
        if (name) exported.push(name);
      } else if (isEmptyRecord(prefix, o.Key!)) {
        empty.push(...(await read<EmptyRecord>(o.Key!))?.logGroupNames ?? []);
      }
    }
    token = res.IsTruncated ? res.NextContinuationToken : undefined;
  } while (token);
  return { exported, empty };
}
