/**
 * The coverage report: for each log group, the windows with a done-marker (and which of those
 * hold part of the window only), those a record says had no event (not exported, nothing
 * missing), were deleted or had expired before export, and those with neither (missing); the
 * backfill inputs that would export the missing ones; and what the last scheduled run found about
 * the selection and the windows scheduled runs left behind. It reads only the bucket.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { abandonedWindows } from '../handler/abandoned';
import { BucketAccess } from '../handler/bucket-access';
import { readWindowRecords } from '../handler/window-records';
import { MAX_NAMES, MAX_WINDOWS, parseEndDate, parseLocalDate } from '../shared/config';
import {
  ACCOUNT_ID, AbandonedRecord, CutSpan, EarlierCut, OwnerRecord, RecordKind, RunFindings, VanishedRecord, abandonedKey, cutSpans, findingsKey, inSpan,
  markerPrefix, ownerKey, retentionKey, stateRoot,
  vanishedPrefix,
} from '../shared/layout';
import { RetentionLedger } from '../shared/retention';
import { Period, Window, isTimeZone, lastWindowEndedBy, windowAt, windowLabel, windowsBetween } from '../shared/windows';

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

/** Windows exported or recorded, but not whole: why, and which. */
export interface Lost extends Gap {
  /**
   * `partial`: exported after the group's retention had removed the start of the window;
   * `expired`: its retention had removed all of it; `deleted`: the group was deleted (or created
   * again after the window) before the window was exported. None of them can be backfilled.
   */
  readonly kind: 'partial' | 'expired' | 'deleted';
}

export interface GroupCoverage {
  readonly logGroupName: string;
  /** Windows with a done-marker (the partial ones among them). */
  readonly exported: number;
  /** Windows without events in the group: not exported, not missing. */
  readonly empty: number;
  readonly missing: number;
  readonly gaps: Gap[];
  /** Windows lost, in part or whole, before they could be exported. */
  readonly lost: Lost[];
  /** Named on the command line, and no window of it was ever exported (give a range to list them). */
  readonly neverExported?: boolean;
}

export interface BackfillInput {
  readonly startDate: string;
  readonly endDate: string;
  /** Absent: every selected log group (what takes windows out of the abandoned ones). */
  readonly logGroupNames?: string[];
}

export interface Coverage {
  readonly bucket: string;
  readonly prefix: string;
  readonly period: Period;
  readonly timeZone: string;
  /** How windows were cut before each change of cut, oldest first, and until when (windows that end by then are reported so). */
  readonly earlier?: Array<{ readonly period: Period; readonly timeZone: string; readonly until: string }>;
  readonly from: string;
  readonly to: string;
  readonly groups: GroupCoverage[];
  /** Execution inputs of backfills that export every missing window. */
  readonly backfills: BackfillInput[];
  /** What the last scheduled run found about the selection (absent before one ended). */
  readonly lastRun?: RunFindings;
  /**
   * Offload: the retention the exporter last set on each group it manages (days; null: never
   * expire), and the one the group had before (absent: the exporter manages no group's retention).
   */
  readonly retention?: Record<string, { readonly retentionInDays?: number | null; readonly originalInDays: number | null }>;
  /** Windows scheduled runs left behind (beyond maxCatchUp), as a backfill names them, until a backfill exports them. */
  readonly abandoned: Gap[];
  /** Execution inputs of the backfills (of every group) that export them. */
  readonly abandonedBackfills: BackfillInput[];
  /**
   * Missing windows no backfill can name: the last window of a cut whose date also names the
   * first window of the next cut (a backfill's date names that one). Redrive the run that failed them.
   */
  readonly unnamed?: Array<{ readonly logGroupName: string; readonly window: string }>;
}

/** Whatever makes the archive incomplete, in a report: what exit code 1 says. */
export function findings(c: Coverage): number {
  const run = c.lastRun;
  const selection = run ? (run.groupsSelected === 0 ? 1 : 0) + (run.groupsNotFoundCount ?? 0) + (run.retentionAtRiskCount ?? 0) : 0;
  return selection + c.abandoned.length + c.groups.reduce((n, g) => n + (g.missing > 0 || g.neverExported ? 1 : 0) + g.lost.length, 0);
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

/** The window id (`20261124T000000Z`) as an instant. */
function instantOfId(id: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(id);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : NaN;
}

/** A window of the report, with the span of the cut it was exported in. */
interface CutWindow {
  readonly w: Window;
  readonly span: CutSpan;
}

export async function coverage(s3: S3Client, req: CoverageRequest, now: number, progress: (line: string) => void = () => {}): Promise<Coverage> {
  const bucket = reportBucket(s3, req.bucket, req.prefix);
  const owner = await readOwner(bucket, req);
  const { period, timeZone } = owner;
  // Windows are reported as they were cut: each cut in its span of time (a deployment changed the cut).
  const spans = cutSpans(owner);
  const current = spans[spans.length - 1];
  const at = (t: number): CutWindow => {
    const span = spans.find((s) => inSpan(s, windowAt(t, s.period, s.timeZone).end)) ?? current;
    return { w: windowAt(t, span.period, span.timeZone), span };
  };
  const label = (x: CutWindow) => windowLabel(x.w, x.span.period, x.span.timeZone);
  const local = (field: string, value: string): CutWindow => {
    const read = (span: CutSpan) => windowAt(field === 'startDate' ? parseLocalDate(field, value, span) : parseEndDate(field, value, span), span.period, span.timeZone);
    // A date names a window of the latest cut whose span holds it (read in that cut's zone), as a backfill reads it.
    let asNow: Window | undefined;
    let refused: Error | undefined;
    for (const span of [...spans].reverse()) {
      try {
        const w = read(span);
        if (inSpan(span, w.end)) return { w, span };
        if (span === current) asNow = w;
      } catch (e) {
        // Not a date of that cut (an hour of a daily one).
        if (span === current) refused = e as Error;
      }
    }
    // A window before every span that reads it (an hour of a day exported daily): the window then that holds it.
    if (asNow) return at(field === 'startDate' ? asNow.start : asNow.end - 1);
    throw new UsageError(`--${field === 'startDate' ? 'from' : 'to'}: ${refused!.message.replace(/'(startDate|endDate)'/, 'the date')}`);
  };
  const latest = lastWindowEndedBy(now - owner.settleSeconds * 1000, period, timeZone);
  // By default, up to the latest window the schedule has had time to export (it runs at most this far apart).
  const due = lastWindowEndedBy(now - (owner.settleSeconds + owner.scheduleIntervalSeconds) * 1000, period, timeZone);
  let to = req.to !== undefined ? local('endDate', req.to) : { w: due, span: current };
  if (to.w.start > latest.start) throw new UsageError(`--to ${req.to} has not settled yet: the latest settled window is ${windowLabel(latest, period, timeZone)}`);
  const lastRun = (await bucket.readJson<RunFindings>(findingsKey(req.prefix)).catch(unreadable))?.body;
  const ledger = (await bucket.readJson<RetentionLedger>(retentionKey(req.prefix)).catch(unreadable))?.body;
  const retention = ledger?.v === 1 && typeof ledger.groups === 'object' && ledger.groups !== null ? Object.fromEntries(Object.entries(ledger.groups)
    .filter(([, e]) => typeof e === 'object' && e !== null)
    .map(([g, e]) => [g, { ...(e.set !== undefined ? { retentionInDays: e.set } : {}), originalInDays: e.original ?? null }])) : undefined;
  const left = abandonedWindows((await bucket.readJson<AbandonedRecord>(abandonedKey(req.prefix)).catch(unreadable))?.body, owner);
  const name = (t: number) => windowLabel(windowAt(t, period, timeZone), period, timeZone);
  const abandoned = left.map((a) => ({ first: name(a.first), last: name(a.last), windows: a.windows }));
  const abandonedBackfills = left.flatMap((a) => a.backfills);
  const earlier = (owner.earlier ?? []).map((c) => ({ period: c.period, timeZone: c.timeZone, until: new Date(c.until).toISOString() }));
  const about = {
    bucket: req.bucket,
    prefix: req.prefix,
    period,
    timeZone,
    ...(earlier.length > 0 ? { earlier } : {}),
    ...(lastRun ? { lastRun } : {}),
    ...(retention ? { retention } : {}),
    abandoned,
    abandonedBackfills,
  };
  const marked = await firstMarked(bucket, req, [...new Set(spans.map((s) => s.period))]);
  const from = req.from !== undefined ? local('startDate', req.from) : marked === undefined ? undefined : at(marked);
  if (from === undefined) {
    // Nothing exported yet: the groups named are missing, from a start the report cannot know.
    const groups = [...new Set(req.groups)].sort()
      .map((logGroupName) => ({ logGroupName, exported: 0, empty: 0, missing: 0, gaps: [], lost: [], neverExported: true }));
    return { ...about, from: '', to: label(to), groups, backfills: [] };
  }
  // Windows exported ahead of the default end (a first run exports the latest settled one) are in the report.
  if (req.from === undefined && req.to === undefined && from.w.start > to.w.start) to = from;
  if (from.w.start > to.w.start) throw new UsageError(`--from ${label(from)} is after --to ${label(to)}`);
  let windows: CutWindow[];
  try {
    windows = reportWindows(from, to, spans);
  } catch {
    throw new UsageError(`--from..--to spans more than ${MAX_REPORT_WINDOWS} windows: report a shorter range`);
  }

  // Each window as a backfill names it; the last window of a cut whose date names the first (clipped) window of the next as
  // a backfill reads it cannot be named so, and is told apart by its cut.
  const nameable = windows.map((x) => {
    const read = local('startDate', label(x));
    return read.span === x.span && read.w.start === x.w.start;
  });
  const labels = windows.map((x, i) => (nameable[i] ? label(x) : `${label(x)} (${x.span.period} in ${x.span.timeZone})`));
  // What each window says of each group: exported (whole or partial), or recorded as not exported, and why.
  const states = new Map<string, Array<WindowState | undefined>>();
  const set = (group: string, i: number, state: WindowState) => {
    const list = states.get(group) ?? new Array<WindowState | undefined>(windows.length);
    list[i] = state;
    states.set(group, list);
  };
  let listed = 0;
  let told = 0;
  for (const [i, { w, span }] of windows.entries()) {
    const found = await readWindowRecords(bucket, markerPrefix(req.prefix, span.period, w));
    for (const [group, partial] of found.exported) set(group, i, partial ? 'partial' : 'exported');
    for (const [group, kind] of found.unexported) set(group, i, kind);
    listed += found.exported.size + found.unexported.size;
    if (listed - told >= 10_000) {
      told = listed;
      progress(`read ${listed} done-markers and records (${labels[i]})`);
    }
  }
  // Windows after a group was last recorded before it was found gone, recorded as nothing since (up to its creation
  // again): deleted before export.
  for (const v of await vanishedGroups(bucket, req.prefix)) {
    const list = states.get(v.logGroupName);
    const lastSeen = Date.parse(v.lastSeen);
    const until = v.recreatedAt === undefined ? Infinity : Date.parse(v.recreatedAt);
    for (const [i, { w }] of windows.entries()) {
      if (w.start > lastSeen && w.end <= until && !list?.[i]) set(v.logGroupName, i, RecordKind.DELETED);
    }
  }
  const groups = req.groups.length > 0 ? [...new Set(req.groups)].sort() : [...states.keys()].sort();
  // Without --from, a group is measured from its first exported or recorded window (it may not have existed before).
  const report = groups.map((logGroupName) =>
    groupCoverage(logGroupName, states.get(logGroupName) ?? new Array(windows.length), labels, req.from === undefined));
  // Abandoned windows are exported by the backfills of every group above; a backfill holds windows of one cut.
  const abandonedIn = ({ w }: CutWindow) => left.some((a) => a.first <= w.start && w.start <= a.last);
  const cutStarts = windows.map((x, i) => i > 0 && x.span !== windows[i - 1].span);
  const named = backfills(report, labels, windows.map((x, i) => abandonedIn(x) || !nameable[i]), cutStarts);
  const unnamed = report.flatMap((g) => g.gaps.flatMap((gap) => {
    const first = labels.indexOf(gap.first);
    return labels.slice(first, first + gap.windows).filter((_, j) => !nameable[first + j])
      .map((window) => ({ logGroupName: g.logGroupName, window }));
  }));
  return { ...about, from: label(from), to: label(to), groups: report, backfills: named, ...(unnamed.length > 0 ? { unnamed } : {}) };
}

/** The windows from `from` to `to`, each as its cut cut it (the first of a cut exported from its span's start). */
function reportWindows(from: CutWindow, to: CutWindow, spans: CutSpan[]): CutWindow[] {
  const out: CutWindow[] = [];
  for (const span of spans) {
    // The span's first window holds its start (exported from there on).
    const first = windowAt(Math.max(from.w.start, span.after ?? -Infinity), span.period, span.timeZone).start;
    const last = span.until === undefined ? to.w.start : Math.min(to.w.start, lastWindowEndedBy(span.until, span.period, span.timeZone).start);
    if (first > last || from.w.start >= (span.until ?? Infinity) || to.w.end <= (span.after ?? -Infinity)) continue;
    out.push(...windowsBetween(first, last, span.period, span.timeZone, MAX_REPORT_WINDOWS - out.length).map((w) => ({ w, span })));
  }
  return out;
}

/** What the bucket says of a (group, window). */
type WindowState = 'exported' | 'partial' | RecordKind;

/** The records of groups found gone. */
async function vanishedGroups(bucket: BucketAccess, keyPrefix: string): Promise<VanishedRecord[]> {
  const out: VanishedRecord[] = [];
  let token: string | undefined;
  do {
    const res = await bucket.list({ Prefix: vanishedPrefix(keyPrefix), ContinuationToken: token });
    for (const o of res.Contents ?? []) {
      const body = (await bucket.readJson<VanishedRecord>(o.Key!).catch(unreadable))?.body;
      if (typeof body?.logGroupName === 'string' && !Number.isNaN(Date.parse(body.lastSeen))) out.push(body);
    }
    token = res.IsTruncated ? res.NextContinuationToken : undefined;
  } while (token);
  return out;
}

/**
 * One group's coverage from what each window says of it: exported (partial), empty, expired,
 * deleted before export, or missing (a failed export is missing: the next run tries it again).
 */
function groupCoverage(logGroupName: string, states: Array<WindowState | undefined>, labels: string[], fromFirst: boolean): GroupCoverage {
  const seen = states.flatMap((s, i) => (s ? [i] : []));
  const start = fromFirst && seen.length > 0 ? seen[0] : 0;
  const kinds: Array<WindowState | 'missing' | undefined> = [];
  for (let i = 0; i < states.length; i++) {
    const s = states[i];
    kinds.push(i < start ? undefined : s === undefined || s === RecordKind.FAILED ? 'missing' : s);
  }
  // Runs of one kind, as ranges.
  const runsOf = (kind: string): Gap[] => {
    const out: Gap[] = [];
    for (let i = 0; i < kinds.length; i++) {
      if (kinds[i] !== kind) continue;
      let j = i;
      while (j + 1 < kinds.length && kinds[j + 1] === kind) j += 1;
      out.push({ first: labels[i], last: labels[j], windows: j - i + 1 });
      i = j;
    }
    return out;
  };
  const gaps = runsOf('missing');
  const lost = (['partial', 'expired', 'deleted'] as const).flatMap((kind) => runsOf(kind).map((g) => ({ kind, ...g })))
    .sort((a, b) => labels.indexOf(a.first) - labels.indexOf(b.first));
  const countOf = (...k: string[]) => kinds.filter((x) => x !== undefined && k.includes(x)).length;
  return { logGroupName, exported: countOf('exported', 'partial'), empty: countOf(RecordKind.EMPTY), missing: countOf('missing'), gaps, lost };
}

/** A state object the report cannot read as JSON says nothing (the exporter's next run rewrites it). */
function unreadable(e: unknown): undefined {
  if (e instanceof SyntaxError) return undefined;
  throw e;
}

/**
 * Backfill inputs that export every gap but the windows `skip` says (abandoned: a backfill of
 * every group exports them): one per range of windows of one cut, naming its groups (at most 100
 * names, 1,000 windows each).
 */
function backfills(report: GroupCoverage[], labels: string[], skip: boolean[], cutStarts: boolean[]): BackfillInput[] {
  const byRange = new Map<string, string[]>();
  const index = new Map(labels.map((l, i) => [l, i]));
  for (const g of report) {
    for (const gap of g.gaps) {
      // Split gaps around skipped windows, and where longer than a backfill takes.
      let i = index.get(gap.first)!;
      const end = index.get(gap.last)!;
      while (i <= end) {
        if (skip[i]) {
          i += 1;
          continue;
        }
        let last = i;
        while (last < end && !skip[last + 1] && !cutStarts[last + 1] && last - i + 1 < MAX_WINDOWS) last += 1;
        const key = `${labels[i]} ${labels[last]}`;
        byRange.set(key, [...(byRange.get(key) ?? []), g.logGroupName]);
        i = last + 1;
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
  const cut = (c: Partial<EarlierCut>) => typeof c === 'object' && ['P1D', 'PT1H'].includes(c?.period ?? '') && isTimeZone(c?.timeZone) && typeof c?.until === 'number';
  if (owner.earlier !== undefined && !(Array.isArray(owner.earlier) && owner.earlier.every(cut))) {
    throw new UsageError(`s3://${req.bucket}/${ownerKey(req.prefix)} does not say how the exporter cut windows before its changes of cut`);
  }
  return owner as OwnerRecord;
}

/** The start of the first window with any done-marker, from one listing of the window folders of each period. */
async function firstMarked(bucket: BucketAccess, req: CoverageRequest, periods: Period[]): Promise<number | undefined> {
  const starts: number[] = [];
  for (const period of periods) {
    const prefix = `${stateRoot(req.prefix)}/done/${period}/`;
    const res = await bucket.list({ Prefix: prefix, Delimiter: '/', MaxKeys: 1 });
    const id = res.CommonPrefixes?.[0]?.Prefix?.slice(prefix.length, -1);
    const start = id ? instantOfId(id) : NaN;
    if (Number.isFinite(start)) starts.push(start);
  }
  return starts.length > 0 ? Math.min(...starts) : undefined;
}
