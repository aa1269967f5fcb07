/**
 * A test world: an exporter stack synthesized with given props, its state machine run locally by
 * a Loop with the real handler, on stateful fakes of CloudWatch Logs and S3 on a virtual clock;
 * and the assertion every fault test ends with, that each (log group, window) was exported once.
 */
import { FakeLogs, FakeS3, LogsOptions, S3Options, VirtualClock, installFakes } from './fakes';
import { ACCOUNT, Loop, Synthesized, fromTemplate } from './loop';
import { ArchiveOf, synth } from './stack';
import { CloudWatchLogsS3ExporterProps } from '../../src';
import { UnexportedRecord, exportPrefix, markerPrefix, recordKindOf, stateRoot } from '../../src/shared/layout';
import { Window, windowsBetween } from '../../src/shared/windows';

export const BUCKET = 'exports-bucket';
const NOW = Date.parse('2026-11-25T01:00:00Z');

export interface World {
  readonly synthesized: Synthesized;
  readonly clock: VirtualClock;
  readonly s3: FakeS3;
  readonly logs: FakeLogs;
  readonly loop: Loop;
  /** The account the exporter and its CloudWatch Logs are in. */
  readonly account: string;
  restore(): void;
}

export interface WorldOptions {
  readonly props?: CloudWatchLogsS3ExporterProps;
  readonly now?: number;
  readonly logs?: LogsOptions;
  /** How S3 answers (403 for missing keys, Object Lock, denials). */
  readonly s3?: S3Options;
  /** Changes to the handler configuration the construct wrote. */
  readonly config?: Record<string, unknown>;
  /** Stack name (the same construct path in stacks of other names is another exporter). */
  readonly stackName?: string;
  readonly bucket?: string;
  /** Share the account's CloudWatch Logs and S3 with another world (a second exporter). */
  readonly shareWith?: World;
  /** The exporter's account (with `shareWith`: another account has CloudWatch Logs of its own, S3 and the clock are shared). */
  readonly account?: string;
  /** Export into this bucket of another account (a shared archive). */
  readonly archive?: ArchiveOf;
  /** Log groups created before the run, with events from the epoch on. */
  readonly groups?: string[];
}

export function world(o: WorldOptions = {}): World {
  const { template } = synth(o.props ?? {}, { stackName: o.stackName, account: o.account, archive: o.archive });
  const made = fromTemplate(template.toJSON(), o.bucket ?? BUCKET, o.stackName);
  // The world's own copy of the configuration (a test may change it, as a deployment would).
  const synthesized = { ...made, config: { ...made.config, ...(o.config ?? {}) } };
  const clock = o.shareWith?.clock ?? new VirtualClock(o.now ?? NOW);
  clock.install();
  const s3 = o.shareWith?.s3 ?? new FakeS3(undefined, 0, o.s3);
  const ownLogs = !o.shareWith || (o.account !== undefined && o.account !== o.shareWith.account);
  const logs = ownLogs ? new FakeLogs(clock, s3, o.logs ?? {}) : o.shareWith!.logs;
  const restore = o.shareWith ? () => {} : installFakes(logs, s3);
  const account = o.account ?? o.shareWith?.account ?? ACCOUNT;
  (o.groups ?? []).forEach((g) => logs.addGroup(g));
  return { synthesized, clock, s3, logs, account, loop: new Loop(synthesized, clock, 0, o.shareWith ? logs : undefined), restore };
}

/** Daily UTC windows from the one starting at `first` to the one starting at `last` (ISO times). */
export const days = (first: string, last: string): Window[] => windowsBetween(Date.parse(first), Date.parse(last), 'P1D', 'UTC', 1000);

/**
 * Exports into `bucket` that completed or are still under way (they will write their files), by
 * `<group>|<from>|<to>`, with how many times each.
 */
export function completedInto(w: World, bucket: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of w.logs.tasks) {
    if (t.destination !== bucket || ['FAILED', 'CANCELLED'].includes(w.logs.statusOf(t))) continue;
    const k = `${t.logGroupName}|${t.from}|${t.to}`;
    out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
}

/** The groups the records of a window name as not exported for a reason (`empty`: without events). */
export function recordedEmpty(w: World, win: Window, bucket = w.synthesized.bucket, kind = 'empty'): Set<string> {
  const { config } = w.synthesized;
  const prefix = markerPrefix(config.keyPrefix, config.period, win);
  return new Set(w.s3.keys(bucket, prefix).filter((k) => recordKindOf(prefix, k) === kind)
    .flatMap((k) => (JSON.parse(w.s3.objects.get(`${bucket}/${k}`)!.body) as UnexportedRecord).logGroupNames));
}

export interface Expected {
  /** Groups with no event in the windows: no export, no folder, recorded as empty. */
  readonly idle?: string[];
  /** Groups among `groups` whose windows hold no event: exported, but their exports wrote no file. */
  readonly noFiles?: string[];
}

/**
 * Asserts that exactly the expected (group, window) pairs were exported into the world's bucket,
 * each once, each into its own folder, each with one done-marker; and nothing else.
 */
export function expectExactlyOnce(w: World, groups: string[], windows: Window[], bucket = w.synthesized.bucket,
  { idle = [], noFiles = [] }: Expected = {}): void {
  const { config } = w.synthesized;
  const expected = new Map<string, number>();
  for (const g of groups) {
    for (const win of windows) expected.set(`${g}|${win.start}|${win.end - 1}`, 1);
  }
  expect(Object.fromEntries(completedInto(w, bucket))).toEqual(Object.fromEntries(expected));
  for (const g of groups) {
    for (const win of windows) {
      const prefix = exportPrefix(config.keyPrefix, g, win, config.period, config.timeZone);
      expect(w.s3.keys(bucket, `${prefix}/`).filter((k) => k.endsWith('.gz'))).toHaveLength(noFiles.includes(g) ? 0 : 1);
    }
  }
  // One marker per (group, window): a marker names its group before the first '!'.
  const markers = w.s3.keys(bucket, `${stateRoot(config.keyPrefix)}/done/`).filter((k) => !/!(empty|deleted|expired|failed)!/.test(k)).map((k) => k.split('!')[0]);
  expect(markers).toHaveLength(groups.length * windows.length);
  expect(new Set(markers).size).toBe(markers.length);
  for (const g of idle) {
    for (const win of windows) {
      expect(w.s3.keys(bucket, `${exportPrefix(config.keyPrefix, g, win, config.period, config.timeZone)}/`)).toEqual([]);
      expect(recordedEmpty(w, win, bucket).has(g)).toBe(true);
    }
  }
}

/** A group's completed exports, as `<from>..<to>` (ISO), sorted. */
export function completedRanges(x: World, g: string): string[] {
  return x.logs.tasks.filter((t) => t.logGroupName === g && x.logs.statusOf(t) === 'COMPLETED')
    .map((t) => `${new Date(t.from).toISOString()}..${new Date(t.to).toISOString()}`).sort();
}

/** Where a group's completed exports overlap, with the tasks (none: no hour of it exported twice). */
export function overlapsOf(x: World, g: string): string[] {
  const spans = x.logs.tasks.filter((t) => t.logGroupName === g && x.logs.statusOf(t) === 'COMPLETED')
    .map((t) => [t.from, t.to, t.taskId] as const).sort((a, b) => a[0] - b[0]);
  const out: string[] = [];
  for (let i = 1; i < spans.length; i++) {
    if (spans[i][0] <= spans[i - 1][1]) {
      out.push(`${g} ${spans[i][2]} from ${new Date(spans[i][0]).toISOString()} overlaps ${spans[i - 1][2]} ..${new Date(spans[i - 1][1]).toISOString()}`);
    }
  }
  return out;
}
