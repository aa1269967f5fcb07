/**
 * Where things live in the bucket, and how names are made and read back.
 *
 * - exports:  `<keyPrefix>/<group name without leading '/'>/<yyyy>/<mm>/<dd>[/<hh>]/<taskId>/<stream>/000000.gz`
 * - the exporter's state, outside the exports (`_state/<keyPrefix>/`), so that lifecycle rules,
 *   Object Lock retention and bucket policies can tell the two apart by a literal prefix:
 *   - done-markers: `_state/<keyPrefix>/done/<period>/<window id>/<marker name>!<export ms>!<task id>[!<stored bytes>][!partial]`
 *   - records of groups not exported: `_state/<keyPrefix>/done/<period>/<window id>/<marker name of a page's first group>!<kind>!<run>-<hash>`,
 *     listing the groups of a page that had no event in the window (`empty`), or were deleted (`deleted`)
 *     or had lost the window to their retention (`expired`) before it was exported
 *   - lease, checkpoint, owner, the last scheduled run's findings, the windows scheduled runs
 *     left behind and (with offload) the retention ledger, under `_state/<keyPrefix>/`.
 *
 * No export lands in the state: a key prefix has no `_state` segment, so no destination under it
 * starts with `_state/`. CloudWatch Logs writes only below a task's destination prefix, and always
 * at least one level below it (`aws-logs-write-test`, `<taskId>/...`), so even an export aimed at
 * the state by hand writes nothing with the shape of a done-marker: markers are parsed strictly.
 *
 * Shared code (src/shared/): the construct, the handler and the coverage report import it, so it
 * imports no AWS SDK and no construct library, and does no I/O.
 */
import { createHash } from 'crypto';
import { Period, Window, windowId, windowPath } from './windows';

/** The top-level folder of the exporters' state: `_state/<keyPrefix>/` is one exporter's. */
export const STATE_FOLDER = '_state';
/** The key prefix when none is given. */
export const DEFAULT_KEY_PREFIX = 'exported-logs';
/** An AWS account id: the folder of an account's exporter in a shared archive. */
export const ACCOUNT_ID = /^\d{12}$/;

function join(...parts: string[]): string {
  return parts.filter((p) => p !== '').join('/');
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The folder of a group's exports below the key prefix: its name without leading '/'. */
function groupFolder(group: string): string {
  return group.replace(/^\/+/, '');
}

/** The `destinationPrefix` of a group's export for a window. */
export function exportPrefix(keyPrefix: string, group: string, w: Window, period: Period, timeZone: string): string {
  return join(exportFolder(keyPrefix, group), windowPath(w, period, timeZone));
}

/** The folder of all of a group's exports (`<keyPrefix>/<group name without leading '/'>`). */
export function exportFolder(keyPrefix: string, group: string): string {
  return join(keyPrefix, groupFolder(group));
}

/**
 * Whether a group's export folder has a `.` or `..` segment (`/a/../b`): S3 keeps such keys as
 * they are, but tools that read them as paths (a sync to disk, Hadoop) resolve them elsewhere,
 * so they are not exported.
 */
export function hasDotSegment(group: string): boolean {
  return groupFolder(group).split('/').some((s) => s === '.' || s === '..');
}

/**
 * What makes a key prefix unsafe, checked in every segment (undefined: nothing): a `_state`
 * segment (exports would land among the exporters' state), or a `.` or `..` one (tools that read
 * keys as paths would resolve the exports, or the state under `_state/<keyPrefix>/`, elsewhere).
 */
export function keyPrefixProblem(keyPrefix: string): string | undefined {
  const segments = keyPrefix.split('/');
  if (segments.includes(STATE_FOLDER)) return `'${keyPrefix}' must not have a '${STATE_FOLDER}' segment: the exporters keep their state under ${STATE_FOLDER}/`;
  if (segments.some((s) => s === '.' || s === '..')) {
    return `'${keyPrefix}' must not have a '.' or '..' segment: tools that read keys as paths would resolve the exports (and the state) elsewhere`;
  }
  return undefined;
}

/** Where an exporter keeps its state: `_state/<keyPrefix>`, beside (never under) its exports. */
export function stateRoot(keyPrefix: string): string {
  return join(STATE_FOLDER, keyPrefix);
}

/** All done-markers of one window share this prefix; listing it tells which groups are done. */
export function markerPrefix(keyPrefix: string, period: Period, w: Window): string {
  return `${join(stateRoot(keyPrefix), 'done', period, windowId(w))}/`;
}

/** Longest marker name: a key holds at most 1,024 bytes, and an encoded name up to 1,536. */
const MAX_MARKER_NAME = 400;
const HASH_MARK = '~';

/**
 * A group's name in its marker key: URL-encoded, so that every name is one key segment of
 * `[A-Za-z0-9._%-]`. A longer one keeps its first characters and ends in `~` and a hash of the
 * whole name: it still sorts where its name does among names that differ earlier.
 */
export function markerName(group: string): string {
  const encoded = encodeURIComponent(group);
  if (encoded.length <= MAX_MARKER_NAME) return encoded;
  return `${encoded.slice(0, MAX_MARKER_NAME - 17)}${HASH_MARK}${sha256(group).slice(0, 16)}`;
}

/**
 * Separator between a marker's name, the export's duration and its task id. It sorts before
 * every character of a marker name, so markers sort like their names.
 */
const SEPARATOR = '!';

/**
 * A done-marker's key. It carries the export's duration, so that the listing that tells which
 * groups are done also tells how long each group's next export will probably take; the export
 * task's id, so that writing the marker of one task again is the same write; the group's stored
 * bytes when the export started, so that the next run knows, from the listing alone, whether the
 * group has taken in data since; and `!partial` when the group's retention had already removed
 * the start of the window when it was exported.
 */
export function markerKey(prefix: string, group: string, durationMs: number, taskId: string, storedBytes?: number, partial = false): string {
  const bytes = storedBytes === undefined ? '' : `${SEPARATOR}${Math.max(0, Math.round(storedBytes))}`;
  return `${prefix}${markerName(group)}${SEPARATOR}${Math.max(0, Math.round(durationMs))}${SEPARATOR}${taskId}${bytes}${partial ? `${SEPARATOR}${PARTIAL}` : ''}`;
}

const PARTIAL = 'partial';

export interface Marker {
  /** The marker name of the group. */
  readonly name: string;
  readonly durationMs: number;
  readonly taskId: string;
  /** The group's stored bytes when its export started, when DescribeLogGroups said. */
  readonly storedBytes?: number;
  /** The export holds only the part of the window the group still retained. */
  readonly partial?: boolean;
}

/** Name, `!<ms>`, `!<task id>`, and (when known) `!<stored bytes>`, and `!partial`. */
const MARKER = /^([A-Za-z0-9._%-]+(?:~[0-9a-f]{16})?)!(\d{1,13})!([A-Za-z0-9-]{1,128})(?:!(\d{1,16}))?(?:!(partial))?$/;

/**
 * The done-marker of a key below `prefix`, or undefined for any other key (what CloudWatch Logs
 * writes when an export is aimed at the marker folder itself, `aws-logs-write-test`, among them).
 */
export function parseMarker(prefix: string, key: string): Marker | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const m = MARKER.exec(key.slice(prefix.length));
  if (!m) return undefined;
  return {
    name: m[1],
    durationMs: Number(m[2]),
    taskId: m[3],
    ...(m[4] !== undefined ? { storedBytes: Number(m[4]) } : {}),
    ...(m[5] !== undefined ? { partial: true } : {}),
  };
}

/**
 * Why a (log group, window) has a record instead of a done-marker: it had no event in the window
 * (`empty`: nothing to export, nothing missing); the group was deleted, or deleted and created
 * again, before the window was exported (`deleted`: CloudWatch Logs no longer holds it); its
 * retention had removed every event of the window before the export (`expired`); or its export
 * failed after every attempt (`failed`: still missing, and the next run tries again). Only
 * `failed` leaves the window to be exported.
 */
export const RecordKind = { EMPTY: 'empty', DELETED: 'deleted', EXPIRED: 'expired', FAILED: 'failed' } as const;
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

const RECORD = /^([A-Za-z0-9._%-]+(?:~[0-9a-f]{16})?)!(empty|deleted|expired|failed)!([A-Za-z0-9]{1,64})-([0-9a-f]{16})$/;

/**
 * The key of a run's record of groups of one page not exported in a window, and why: named by the
 * page's first group, the kind, the run, and a hash of the groups, so that writing the same record
 * again is the same write and a record naming other groups (a replayed turn's) never replaces it.
 * Its body is an {@link UnexportedRecord}.
 */
export function recordKey(prefix: string, kind: RecordKind, firstGroup: string, run: string, groups: string[]): string {
  return `${prefix}${markerName(firstGroup)}${SEPARATOR}${kind}${SEPARATOR}${run}-${sha256(JSON.stringify(groups)).slice(0, 16)}`;
}

/** The kind of the record a key below `prefix` is, or undefined for any other key. */
export function recordKindOf(prefix: string, key: string): RecordKind | undefined {
  if (!key.startsWith(prefix)) return undefined;
  return RECORD.exec(key.slice(prefix.length))?.[2] as RecordKind | undefined;
}

/** What a record of groups not exported in a window holds. */
export interface UnexportedRecord {
  readonly logGroupNames: string[];
  readonly window: { readonly start: string; readonly end: string };
  readonly run: string;
  /** `empty`: per group, its newest event DescribeLogStreams knew of (ISO 8601, null: none), and when it was asked. */
  readonly lastEvents?: Record<string, { readonly lastEvent: string | null; readonly checkedAt: string }>;
  /** `deleted`, `expired`, `failed`: what the run found. */
  readonly reason?: string;
}

/**
 * Where a run records a log group it found gone: `_state/<keyPrefix>/vanished/<marker name>!<run>`.
 * The coverage report counts the group's windows after `lastSeen` that nothing else records as
 * deleted before export, up to `recreatedAt` when the group was created again.
 */
export function vanishedKey(keyPrefix: string, group: string, run: string): string {
  return `${vanishedPrefix(keyPrefix)}${markerName(group)}${SEPARATOR}${run}`;
}

export function vanishedPrefix(keyPrefix: string): string {
  return `${join(stateRoot(keyPrefix), 'vanished')}/`;
}

/** What a record of a log group found gone holds. */
export interface VanishedRecord {
  readonly logGroupName: string;
  /** The start of the last window something was recorded for it in, before it was found gone (ISO 8601). */
  readonly lastSeen: string;
  /** When the run found it gone (ISO 8601). */
  readonly foundAt: string;
  /** When the group now under that name was created, if it was created again (ISO 8601). */
  readonly recreatedAt?: string;
  readonly run: string;
}

export function leaseKey(keyPrefix: string): string {
  return join(stateRoot(keyPrefix), 'lease.json');
}

export function checkpointKey(keyPrefix: string, period: Period): string {
  return join(stateRoot(keyPrefix), `checkpoint-${period}.json`);
}

/** What the last scheduled run found about the selection (read by the coverage report). */
export function findingsKey(keyPrefix: string): string {
  return join(stateRoot(keyPrefix), 'last-run.json');
}

/** What `last-run.json` holds: what the last scheduled run to end selected, and what it could not export fully. */
export interface RunFindings {
  readonly run: string;
  /** When it ended (ISO 8601). */
  readonly endedAt: string;
  /** Log groups the selection matched (each counted once per page it was on). */
  readonly groupsSelected: number;
  /** Names the selection gives (`names`, `ILogGroup`s) that no log group has; at most 100, with their count. */
  readonly groupsNotFound: string[];
  readonly groupsNotFoundCount: number;
  /** Selected groups whose retention removes events before the schedule exports them; at most 100, with their count. */
  readonly retentionAtRisk: Array<{ readonly logGroupName: string; readonly retentionInDays: number }>;
  readonly retentionAtRiskCount: number;
}

/** The settled windows scheduled runs left behind, beyond `maxCatchUp` (read by the coverage report). */
export function abandonedKey(keyPrefix: string): string {
  return join(stateRoot(keyPrefix), 'abandoned.json');
}

/** A span of time, [from, to) (ISO 8601): what windows cover does not depend on how they are cut. */
export interface Span {
  readonly from: string;
  readonly to: string;
}

/**
 * What `abandoned.json` holds: the time scheduled runs left behind, and the time backfills of
 * every group have exported since (which a scheduled run does not leave behind), oldest first.
 */
export interface AbandonedRecord {
  readonly ranges: Span[];
  readonly backfilled: Span[];
}

/** The retention ledger of offload (see `retention.ts`): each managed group's original retention and what of it is archived. */
export function retentionKey(keyPrefix: string): string {
  return join(stateRoot(keyPrefix), 'retention.json');
}

/** Written before the first retention ledger: a ledger missing after it was lost, not never written. */
export function retentionStartedKey(keyPrefix: string): string {
  return join(stateRoot(keyPrefix), 'retention-started.json');
}

/** Names the exporter that keeps its state under the key prefix. */
export function ownerKey(keyPrefix: string): string {
  return join(stateRoot(keyPrefix), 'owner.json');
}

/**
 * What `<keyPrefix>/_state/owner.json` holds: the exporter that keeps its state under the key
 * prefix, and how it cuts windows (read by the coverage report).
 */
export interface OwnerRecord {
  readonly exporterId: string;
  readonly period: Period;
  readonly timeZone: string;
  readonly settleSeconds: number;
  /** The schedule's longest interval between runs. */
  readonly scheduleIntervalSeconds: number;
  /**
   * How windows were cut before each change of cut, oldest first, each with the instant it ended
   * (the checkpoint when the cut changed): windows that end by then were exported as cut then.
   */
  readonly earlier?: readonly EarlierCut[];
}

/** A way windows were cut, until an instant (ms). */
export interface EarlierCut {
  readonly period: Period;
  readonly timeZone: string;
  readonly until: number;
}

/**
 * The span of time a cut cut windows in: windows that end after `after` (the first one is
 * exported from `after` on) and by `until`. The current cut has no `until`; the first, no `after`.
 */
export interface CutSpan {
  readonly period: Period;
  readonly timeZone: string;
  readonly after?: number;
  readonly until?: number;
}

/** Each cut of an exporter and its span, oldest first, the current one last. */
export function cutSpans(owner: Pick<OwnerRecord, 'period' | 'timeZone' | 'earlier'>): CutSpan[] {
  const earlier = owner.earlier ?? [];
  return [
    ...earlier.map((c, i) => ({ period: c.period, timeZone: c.timeZone, ...(i > 0 ? { after: earlier[i - 1].until } : {}), until: c.until })),
    { period: owner.period, timeZone: owner.timeZone, ...(earlier.length > 0 ? { after: earlier[earlier.length - 1].until } : {}) },
  ];
}

/** Whether a window that ends at `end` is one the span's cut cut. */
export function inSpan(span: CutSpan, end: number): boolean {
  return (span.after === undefined || end > span.after) && (span.until === undefined || end <= span.until);
}

/**
 * The start of the names of an exporter's export tasks, from its identity (account, region,
 * stack name and construct path): two exporters in one account never take each other's tasks.
 */
export function taskPrefixOf(exporterId: string): string {
  return `cwl2s3-${sha256(exporterId).slice(0, 12)}`;
}

/**
 * Export task name: `<task prefix>-<period>-<window id>-<run>[-<stored bytes>]`; window, run and
 * the group's stored bytes when the task was created are read back from it.
 */
export function taskName(taskPrefix: string, period: Period, w: Window, run: string, storedBytes?: number): string {
  const bytes = storedBytes === undefined ? '' : `-${Math.max(0, Math.round(storedBytes))}`;
  return `${taskPrefix}-${period}-${windowId(w)}-${run}${bytes}`;
}

export interface TaskOrigin {
  /** Start of the window the task exports. */
  readonly window: number;
  /** The run that created it. */
  readonly run: string;
  /** The group's stored bytes when it was created, when known. */
  readonly storedBytes?: number;
}

/** What one of this exporter's task names says, or undefined for anyone else's task. */
export function parseTaskName(taskPrefix: string, period: Period, name: string | undefined): TaskOrigin | undefined {
  const head = `${taskPrefix}-${period}-`;
  if (!name?.startsWith(head)) return undefined;
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z-([A-Za-z0-9]+)(?:-(\d{1,16}))?$/.exec(name.slice(head.length));
  if (!m) return undefined;
  return {
    window: Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]),
    run: m[7],
    ...(m[8] ? { storedBytes: Number(m[8]) } : {}),
  };
}
