/**
 * Stateful fakes of CloudWatch Logs and S3 behind the real AWS SDK v3 clients (via
 * aws-sdk-client-mock), on a virtual clock. They model what the exporter depends on: one active
 * export task per account, PENDING -> RUNNING -> COMPLETED over time, FAILED tasks, throttling,
 * sorted and paginated DescribeLogGroups, S3 conditional writes and listing; retention that
 * expires events for good (PutRetentionPolicy's allowed values and quota), and what of them was archived;
 * the log groups' IncomingBytes metric (CloudWatch GetMetricData).
 */
import { AsyncLocalStorage } from 'async_hooks';
import { CloudWatchClient, GetMetricDataCommand, GetMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import {
  CloudWatchLogsClient, CreateExportTaskCommand, CreateExportTaskCommandInput, DeleteRetentionPolicyCommand, DeleteRetentionPolicyCommandInput,
  DescribeExportTasksCommand, DescribeExportTasksCommandInput, DescribeLogGroupsCommand, DescribeLogGroupsCommandInput, DescribeLogStreamsCommand,
  DescribeLogStreamsCommandInput, ExportTask, FilterLogEventsCommand, FilterLogEventsCommandInput, PutRetentionPolicyCommand,
  PutRetentionPolicyCommandInput,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  DeleteObjectCommand, GetObjectCommand, GetObjectCommandInput, GetObjectLockConfigurationCommand, ListObjectsV2Command, ListObjectsV2CommandInput,
  PutObjectCommand, PutObjectCommandInput, S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { clock } from '../../src/handler/clock';

export class VirtualClock {
  constructor(public now: number) {}
  install(): void {
    clock.now = () => this.now;
    clock.sleep = async (ms: number) => {
      this.now += ms;
    };
  }
}

/** One SDK call as a fault rule sees it: its operation, its input and its number in the invocation (1-based). */
export interface Call {
  readonly op: string;
  readonly input: any;
  readonly n: number;
}

/**
 * What happens at a call: the invocation dies before the call takes effect, or after it took
 * effect but before its answer returns; or the call is held (the invocation is stalled, as one
 * whose answer the state machine stopped waiting for) until `releaseHeld()`; or the call takes
 * effect and then the invocation stalls for `pauseMs` of virtual time.
 */
/**
 * What a fault rule does to a call: kill the invocation before or after it takes effect, hold it,
 * pause the clock, or answer it with an error, before or after it took effect (an answer lost:
 * the SDK's retries exhausted after the call went through).
 */
export type KillPoint = 'before' | 'after' | 'hold' | { readonly pauseMs: number } | { readonly error: Error; readonly tookEffect?: boolean };

/** What one handler invocation may do: its calls are counted, and it may be killed at any of them. */
export interface Invocation {
  /** Kills the invocation at a call (every later call of the invocation then fails too, without effect). */
  readonly kill?: (call: Call) => KillPoint | undefined;
  /** Virtual time after which the invocation is dead (its Lambda timeout). */
  readonly deadline?: number;
  /** Moves the virtual clock (a stalled invocation). */
  readonly pause?: (ms: number) => void;
  calls: number;
  dead: boolean;
  /** The CloudWatch Logs of the invocation's account, when it is not the one the fakes were installed with. */
  readonly logs?: FakeLogs;
  /** Records the S3 keys (and listing prefixes) the invocation reads and writes. */
  readonly touched?: string[];
}

/** Calls held by a fault rule, resumed by `releaseHeld()`. */
const held: Array<() => void> = [];

/** Resumes every held call: each then takes effect, unless its invocation has died or timed out meanwhile. */
export async function releaseHeld(): Promise<void> {
  while (held.length > 0) held.shift()!();
  await new Promise((r) => setImmediate(r));
}

/** The invocation an SDK call belongs to (async context: concurrent invocations keep their own). */
export const invocations = new AsyncLocalStorage<Invocation>();

/** The error a killed invocation's pending calls end with; nothing the handler does after it reaches AWS. */
class Killed extends Error {
  constructor(where: string) {
    super(`invocation killed ${where}`);
    this.name = 'Killed';
  }
}

/**
 * Runs one SDK call of the current invocation: counts it, and kills the invocation where its rule
 * says, or once its deadline has passed. A dead invocation's calls never take effect.
 */
function guarded<T>(op: string, input: any, effect: () => T): T | Promise<T> {
  const inv = invocations.getStore();
  if (!inv) return effect();
  const alive = () => {
    if (inv.dead) throw new Killed(`before ${op} (already dead)`);
    if (inv.deadline !== undefined && clock.now() > inv.deadline) {
      inv.dead = true;
      throw new Killed(`before ${op}: past its timeout`);
    }
  };
  alive();
  inv.calls += 1;
  const point = inv.kill?.({ op, input, n: inv.calls });
  if (point === 'hold') {
    return new Promise<T>((resolve, reject) => held.push(() => {
      try {
        alive();
        resolve(effect());
      } catch (e) {
        reject(e);
      }
    }));
  }
  if (point === 'before') {
    inv.dead = true;
    throw new Killed(`before ${op} #${inv.calls}`);
  }
  if (typeof point === 'object' && 'error' in point) {
    if (point.tookEffect) effect();
    throw point.error;
  }
  const out = effect();
  if (point === 'after') {
    inv.dead = true;
    throw new Killed(`after ${op} #${inv.calls}`);
  }
  if (typeof point === 'object') inv.pause?.(point.pauseMs);
  return out;
}

export function awsError(name: string, message: string, httpStatusCode = 400): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode } });
}

export interface FakeTask {
  taskId: string;
  taskName?: string;
  logGroupName: string;
  from: number;
  to: number;
  destination: string;
  destinationPrefix: string;
  created: number;
  duration: number;
  fails: boolean;
  cancelled?: boolean;
  written?: boolean;
}

export interface FakeGroup {
  name: string;
  creationTime: number;
  retentionInDays?: number;
  /** Events arrive continuously from the group's creation until this time (default: they still do). */
  eventsUntil?: number;
  /** Events arrive again, continuously, from this time on (a group that was idle wakes up). */
  eventsAgainFrom?: number;
  /** Bytes one day of events takes (`storedBytes`; default 1 MB). */
  bytesPerDay?: number;
  /** Events before this instant are gone for good: the furthest any retention the group had has reached. */
  lostBefore?: number;
  /** Spans [from, to] of events an export wrote into the bucket while the group held them. */
  archived?: Array<[number, number]>;
}

const DAY_MS = 86_400_000;
/** The retention values CloudWatch Logs accepts (days), as documented. */
const RETENTION_VALUES = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
/** How long a DescribeLogGroups token stays valid: 24 hours, as documented. */
const TOKEN_TTL_MS = DAY_MS;

export interface LogsOptions {
  /** Export duration in ms for a task (default 3 s). */
  duration?: (t: { logGroupName: string; index: number }) => number;
  /** How many times a group's export fails before succeeding (Infinity: always). */
  failures?: Record<string, number>;
  /** Throw ThrottlingException on every n-th call (0: never). */
  throttleEvery?: number;
  /** Virtual time each call takes (default 0). */
  latencyMs?: number;
  /**
   * How far behind ingestion a stream's `lastEventTimestamp` is (default an hour: AWS updates it
   * on an eventual-consistency basis, typically within an hour).
   */
  lastEventLagMs?: number;
  /**
   * DescribeLogStreams calls allowed per second (default 5, the account quota): a call sooner
   * than 1/tps seconds after the one before is throttled.
   */
  describeLogStreamsTps?: number;
  /** PutRetentionPolicy and DeleteRetentionPolicy calls allowed per second (default 5). */
  retentionTps?: number;
  /** Called on each retention call before it takes effect (a test may change the world there). */
  onRetention?: (logGroupName: string) => void;
}

export class FakeLogs {
  readonly groups = new Map<string, FakeGroup>();
  readonly tasks: FakeTask[] = [];
  readonly calls: Record<string, number> = {};
  /** Tasks not yet ended, and all tasks by id: keeps every call O(1) at 10,000 tasks. */
  private live: FakeTask[] = [];
  private byId = new Map<string, FakeTask>();
  private sortedNames?: string[];
  private failedSoFar: Record<string, number> = {};
  private callCount = 0;
  /** When the last DescribeLogStreams call went through (its quota). */
  private lastStreamCall = -Infinity;
  /** When the last retention call went through (its quota). */
  private lastRetentionCall = -Infinity;
  /** Called after CreateExportTask succeeded, before the answer returns (to simulate a crash). */
  afterCreate?: (task: FakeTask) => void;

  constructor(private readonly vclock: VirtualClock, private readonly s3: FakeS3, private readonly opts: LogsOptions = {}) {}

  addGroup(name: string, creationTime = 0, retentionInDays?: number, activity: Pick<FakeGroup, 'eventsUntil' | 'eventsAgainFrom' | 'bytesPerDay'> = {}): void {
    this.groups.set(name, { name, creationTime, retentionInDays, ...activity });
    this.sortedNames = undefined;
  }

  deleteGroup(name: string): void {
    this.groups.delete(name);
    this.sortedNames = undefined;
  }

  /** The spans [first, last] of event timestamps the group took in (before any retention). */
  private ingested(g: FakeGroup, upTo = this.vclock.now): Array<[number, number]> {
    const spans: Array<[number, number]> = [[g.creationTime, Math.min(g.eventsUntil ?? Infinity, upTo)]];
    if (g.eventsAgainFrom !== undefined) spans.push([g.eventsAgainFrom, upTo]);
    return spans;
  }

  /** Events before this instant are gone: expired by the group's retention now or by any it had before (never back). */
  expiredBefore(g: FakeGroup): number {
    return Math.max(g.lostBefore ?? -Infinity, g.retentionInDays ? this.vclock.now - g.retentionInDays * DAY_MS : -Infinity);
  }

  /** The spans [first, last] of event timestamps the group holds now (within its retention). */
  private spans(g: FakeGroup, upTo = this.vclock.now): Array<[number, number]> {
    const retained = this.expiredBefore(g);
    return this.ingested(g, upTo).map(([a, b]): [number, number] => [Math.max(a, retained), b]).filter(([a, b]) => a <= b);
  }

  /**
   * Spans of events the group took in after `since` that expired without ever being in the
   * bucket: what offload must never cause (ms precision; spans under a second are rounding).
   */
  lostUnarchived(name: string, since = -Infinity): Array<[number, number]> {
    const g = this.groups.get(name)!;
    const gone = this.expiredBefore(g);
    let lost = this.ingested(g).map(([a, b]): [number, number] => [Math.max(a, since), Math.min(b, gone)]).filter(([a, b]) => a < b);
    for (const [x, y] of g.archived ?? []) {
      lost = lost.flatMap(([a, b]): Array<[number, number]> => [[a, Math.min(b, x)], [Math.max(a, y), b]]).filter(([a, b]) => a < b);
    }
    return lost.filter(([a, b]) => b - a > 1_000);
  }

  /** PutRetentionPolicy: the allowed values only; a quota of `retentionTps` calls a second. */
  putRetentionPolicy(input: PutRetentionPolicyCommandInput) {
    this.retentionCall('PutRetentionPolicy', input.logGroupName!);
    if (!(RETENTION_VALUES as readonly number[]).includes(input.retentionInDays!)) {
      throw awsError('InvalidParameterException', `1 validation error detected: Value '${input.retentionInDays}' at 'retentionInDays' failed to satisfy constraint`);
    }
    const g = this.groups.get(input.logGroupName!)!;
    g.lostBefore = this.expiredBefore(g);
    g.retentionInDays = input.retentionInDays;
    return {};
  }

  deleteRetentionPolicy(input: DeleteRetentionPolicyCommandInput) {
    this.retentionCall('DeleteRetentionPolicy', input.logGroupName!);
    const g = this.groups.get(input.logGroupName!)!;
    g.lostBefore = this.expiredBefore(g);
    g.retentionInDays = undefined;
    return {};
  }

  private retentionCall(op: string, name: string): void {
    this.count(op);
    const now = this.vclock.now;
    if (now - this.lastRetentionCall < 1_000 / (this.opts.retentionTps ?? 5)) {
      this.calls.retentionThrottled = (this.calls.retentionThrottled ?? 0) + 1;
      throw awsError('ThrottlingException', 'Rate exceeded');
    }
    this.lastRetentionCall = now;
    this.opts.onRetention?.(name);
    if (!this.groups.has(name)) throw awsError('ResourceNotFoundException', 'The specified log group does not exist.');
  }

  /** FilterLogEvents with `limit: 1`, as the exporter calls it: the first event in [startTime, endTime], if any. */
  filterLogEvents(input: FilterLogEventsCommandInput) {
    this.count('FilterLogEvents');
    const g = this.groups.get(input.logGroupName!);
    if (!g) throw awsError('ResourceNotFoundException', 'The specified log group does not exist.');
    const first = this.spans(g).filter(([a, b]) => a <= input.endTime! && b >= input.startTime!).map(([a]) => Math.max(a, input.startTime!))[0];
    return { events: first === undefined ? [] : [{ timestamp: first, message: 'event' }] };
  }

  /**
   * GetMetricData of the exporter's queries, each a log group's IncomingBytes sums: the bytes it
   * took in (events arrive at their timestamps) in each period from StartTime to EndTime, a
   * datapoint per period with bytes (CloudWatch returns none for a period without data, or for a
   * group that does not exist).
   */
  getMetricData(input: GetMetricDataCommandInput) {
    this.count('GetMetricData');
    const [from, to] = [input.StartTime!.getTime(), Math.min(input.EndTime!.getTime(), this.vclock.now)];
    return {
      MetricDataResults: input.MetricDataQueries!.map((q) => {
        const dimension = q.MetricStat?.Metric?.Dimensions?.find((d) => d.Name === 'LogGroupName');
        const g = q.MetricStat?.Metric?.MetricName === 'IncomingBytes' ? this.groups.get(dimension?.Value ?? '') : undefined;
        const period = q.MetricStat!.Period! * 1000;
        const points: Array<[number, number]> = [];
        for (let t = from; g && t < to; t += period) {
          const ms = this.ingested(g, to).reduce((sum, [a, b]) => sum + Math.max(0, Math.min(b, t + period, to) - Math.max(a, t)), 0);
          const bytes = this.bytesOf(g, ms);
          if (bytes > 0) points.push([t, bytes]);
        }
        return { Id: q.Id, Label: 'IncomingBytes', StatusCode: 'Complete' as const, Timestamps: points.map(([t]) => new Date(t)), Values: points.map(([, v]) => v) };
      }),
    };
  }

  /** Whether the group holds events with timestamps in [from, to]. */
  private hasEvents(g: FakeGroup, from: number, to: number): boolean {
    return this.spans(g).some(([first, last]) => from <= last && to >= first);
  }

  /** Bytes the group stores now. */
  storedBytes(g: FakeGroup): number {
    const span = this.spans(g).reduce((sum, [a, b]) => sum + b - a, 0);
    return this.bytesOf(g, span);
  }

  /** Bytes the group's events of `ms` milliseconds take. */
  private bytesOf(g: FakeGroup, ms: number): number {
    return Math.round(((g.bytesPerDay ?? 1_000_000) * ms) / DAY_MS);
  }

  private add(task: FakeTask): void {
    this.tasks.push(task);
    this.live.push(task);
    this.byId.set(task.taskId, task);
  }

  /** An export task of another tool, active for `duration` ms from now. */
  addForeignTask(duration: number): void {
    this.add({
      taskId: `foreign-${this.tasks.length}`,
      taskName: 'someone-else',
      logGroupName: 'foreign',
      from: 0,
      to: 1,
      destination: 'other-bucket',
      destinationPrefix: 'x',
      created: this.vclock.now,
      duration,
      fails: false,
    });
  }

  statusOf(t: FakeTask): string {
    const age = this.vclock.now - t.created;
    if (t.cancelled) return 'CANCELLED';
    if (age < Math.min(500, t.duration / 4)) return 'PENDING';
    if (age < t.duration) return 'RUNNING';
    if (t.fails) return 'FAILED';
    if (!t.written && t.destination !== 'other-bucket') {
      t.written = true;
      // An export of a range without events writes no file.
      const g = this.groups.get(t.logGroupName);
      if (!g || this.hasEvents(g, t.from, t.to)) this.s3.put(t.destination, `${t.destinationPrefix}/${t.taskId}/stream-1/000000.gz`, `${t.logGroupName} ${t.from}..${t.to}`);
      if (g && t.destination !== 'other-bucket') (g.archived ??= []).push([Math.max(t.from, this.expiredBefore(g)), t.to + 1]);
    }
    return 'COMPLETED';
  }

  /** Brings every task up to the current time (completed exports write their objects). */
  tick(): void {
    this.live = this.live.filter((t) => ['PENDING', 'RUNNING'].includes(this.statusOf(t)));
  }

  /** Exports that completed, by `<group>|<from>|<to>`, with how many times each. */
  completedExports(): Map<string, number> {
    const out = new Map<string, number>();
    for (const t of this.tasks) {
      if (t.destination === 'other-bucket' || this.statusOf(t) !== 'COMPLETED') continue;
      const k = `${t.logGroupName}|${t.from}|${t.to}`;
      out.set(k, (out.get(k) ?? 0) + 1);
    }
    return out;
  }

  private count(op: string): void {
    this.calls[op] = (this.calls[op] ?? 0) + 1;
    this.callCount += 1;
    this.vclock.now += this.opts.latencyMs ?? 0;
    const every = this.opts.throttleEvery ?? 0;
    if (every && this.callCount % every === 0) {
      this.calls.throttled = (this.calls.throttled ?? 0) + 1;
      throw awsError('ThrottlingException', 'Rate exceeded');
    }
  }

  describeLogGroups(input: DescribeLogGroupsCommandInput) {
    this.count('DescribeLogGroups');
    this.sortedNames ??= [...this.groups.keys()].sort();
    const prefix = input.logGroupNamePrefix ?? '';
    const names = prefix ? this.sortedNames.filter((n) => n.startsWith(prefix)) : this.sortedNames;
    let start = 0;
    if (input.nextToken) {
      // `<last name listed>@<issued at>`: the page after that name (groups created or deleted since
      // do not shift it), and the token expires like the real one, 24 hours after it was issued.
      const at = input.nextToken.lastIndexOf('@');
      const [after, issued] = [input.nextToken.slice(0, at), Number(input.nextToken.slice(at + 1))];
      if (at < 0 || !(this.vclock.now - issued <= TOKEN_TTL_MS)) {
        this.calls.expiredTokens = (this.calls.expiredTokens ?? 0) + 1;
        throw awsError('InvalidParameterException', 'The specified nextToken has expired.');
      }
      start = names.findIndex((n) => n > after);
      if (start < 0) start = names.length;
    }
    const limit = Math.min(input.limit ?? 50, 50);
    const page = names.slice(start, start + limit).map((n) => this.groups.get(n)!);
    return {
      logGroups: page.map((g) => ({
        logGroupName: g.name, creationTime: g.creationTime, retentionInDays: g.retentionInDays, storedBytes: this.storedBytes(g),
      })),
      nextToken: start + limit < names.length ? `${page[page.length - 1].name}@${this.vclock.now}` : undefined,
    };
  }

  /**
   * DescribeLogStreams ordered by last event time, as the exporter calls it. A group with events
   * has two streams: one written from its creation until its last event, and one that took a
   * single event at its creation. `lastEventTimestamp` lags the group's last event by
   * `lastEventLagMs` (AWS updates it eventually, typically within an hour of ingestion); stream
   * `storedBytes` is 0 (deprecated). Pages of `limit` streams (default 50) with a `nextToken`;
   * the account's quota throttles.
   */
  describeLogStreams(input: DescribeLogStreamsCommandInput) {
    this.count('DescribeLogStreams');
    const now = this.vclock.now;
    if (now - this.lastStreamCall < 1_000 / (this.opts.describeLogStreamsTps ?? 5)) {
      this.calls.streamsThrottled = (this.calls.streamsThrottled ?? 0) + 1;
      throw awsError('ThrottlingException', 'Rate exceeded');
    }
    this.lastStreamCall = now;
    if (input.orderBy !== 'LastEventTime' || input.logStreamNamePrefix !== undefined) throw new Error('the fake lists streams by LastEventTime only');
    const g = this.groups.get(input.logGroupName!);
    if (!g) throw awsError('ResourceNotFoundException', 'The specified log group does not exist.');
    // What the stream's last event time says: events up to `lastEventLagMs` ago.
    const known = this.spans(g, now - (this.opts.lastEventLagMs ?? 3_600_000));
    const seen = Math.max(g.creationTime, ...known.map(([, b]) => b));
    const streams = !this.hasEvents(g, -Infinity, Infinity) ? [] : [
      {
        logStreamName: 'main',
        creationTime: g.creationTime,
        firstEventTimestamp: g.creationTime,
        lastEventTimestamp: seen,
        lastIngestionTime: seen,
        storedBytes: 0,
      },
      {
        logStreamName: 'first',
        creationTime: g.creationTime,
        firstEventTimestamp: g.creationTime,
        lastEventTimestamp: g.creationTime,
        lastIngestionTime: g.creationTime,
        storedBytes: 0,
      },
    ];
    const ordered = input.descending ? streams : [...streams].reverse();
    const start = input.nextToken ? Number(input.nextToken) : 0;
    const limit = input.limit ?? 50;
    return { logStreams: ordered.slice(start, start + limit), nextToken: start + limit < ordered.length ? String(start + limit) : undefined };
  }

  createExportTask(input: CreateExportTaskCommandInput) {
    this.count('CreateExportTask');
    this.tick();
    if (this.live.length > 0) {
      throw awsError('LimitExceededException', 'Resource limit exceeded.');
    }
    const g = this.groups.get(input.logGroupName!);
    if (!g) throw awsError('ResourceNotFoundException', 'The specified log group does not exist.');
    if (input.to! < g.creationTime) throw awsError('InvalidParameterException', 'to is before the creation time');
    if (input.from! > input.to!) throw awsError('InvalidParameterException', 'from is after to');
    const failuresLeft = (this.opts.failures?.[g.name] ?? 0) - (this.failedSoFar[g.name] ?? 0);
    const fails = failuresLeft > 0;
    if (fails) this.failedSoFar[g.name] = (this.failedSoFar[g.name] ?? 0) + 1;
    const task: FakeTask = {
      taskId: `task-${String(this.tasks.length).padStart(6, '0')}`,
      taskName: input.taskName,
      logGroupName: g.name,
      from: input.from!,
      to: input.to!,
      destination: input.destination!,
      destinationPrefix: input.destinationPrefix ?? 'exportedlogs',
      created: this.vclock.now,
      duration: this.opts.duration?.({ logGroupName: g.name, index: this.tasks.length }) ?? 3_000,
      fails,
    };
    this.add(task);
    this.s3.put(task.destination, `${task.destinationPrefix}/aws-logs-write-test`, 'Permission Check Successful');
    this.afterCreate?.(task);
    return { taskId: task.taskId };
  }

  /**
   * DescribeExportTasks: one task by id, or the account's tasks (of a status), newest first, 50 a
   * page at most. The API documents no order: newest first is an assumption the exporter does not
   * rely on for what it exports, only for how soon it stops looking.
   */
  describeExportTasks(input: DescribeExportTasksCommandInput) {
    this.count('DescribeExportTasks');
    this.tick();
    const candidates = input.taskId !== undefined ? [this.byId.get(input.taskId)].filter((t) => t !== undefined)
      : ['PENDING', 'RUNNING'].includes(input.statusCode ?? '') ? this.live : [...this.tasks].reverse();
    const matches = candidates.filter((t) => input.statusCode === undefined || this.statusOf(t) === input.statusCode);
    const start = Number(input.nextToken ?? 0);
    const limit = Math.min(input.limit ?? 50, 50);
    return {
      ...(start + limit < matches.length ? { nextToken: String(start + limit) } : {}),
      exportTasks: matches.slice(start, start + limit).map((t): ExportTask => ({
        taskId: t.taskId,
        taskName: t.taskName,
        logGroupName: t.logGroupName,
        from: t.from,
        to: t.to,
        destination: t.destination,
        destinationPrefix: t.destinationPrefix,
        status: { code: this.statusOf(t) as any, message: this.statusOf(t) === 'FAILED' ? 'simulated failure' : undefined },
        executionInfo: { creationTime: t.created, ...(this.live.includes(t) ? {} : { completionTime: t.created + t.duration }) },
      })),
    };
  }
}

export interface S3Options {
  /**
   * How a GET (or an `IfMatch` PUT) of a missing key is answered: 404 NoSuchKey, as S3 answers a
   * caller that may list the bucket, or 403 AccessDenied, as it answers one that may not (S3
   * decides by s3:ListBucket; how an s3:prefix condition counts is not documented). Default 404.
   */
  readonly missingKey?: 404 | 403;
  /** The buckets' default Object Lock retention (default: none; then a PUT that sets a retention is refused). */
  readonly objectLock?: { readonly mode: 'GOVERNANCE' | 'COMPLIANCE'; readonly days: number };
  /** Requests refused with AccessDenied (a permission the caller lacks): by operation and key (or listing prefix). */
  readonly deny?: (op: string, key: string) => boolean;
}

/** A stored object: its body, ETag, when it was written, and the Object Lock retention of its current version. */
export interface FakeObject {
  readonly body: string;
  readonly etag: string;
  readonly modified: number;
  readonly lock?: { readonly mode: string; readonly until: number };
  /** Versions written before this one (a versioned bucket keeps them). */
  readonly versions: number;
}

export class FakeS3 {
  readonly objects = new Map<string, FakeObject>();
  readonly calls: Record<string, number> = {};
  private version = 0;
  /** Every `<bucket>/<key>`, sorted, for listing by binary search. */
  private sorted: string[] = [];

  /** `latencyMs`: virtual time each request takes. */
  constructor(private readonly vclock?: VirtualClock, private readonly latencyMs = 0, readonly options: S3Options = {}) {}

  /** Writes an object as its writer does (an export, a test): it takes the bucket's default retention, if any. */
  put(bucket: string, key: string, body: string, lock?: FakeObject['lock']): string {
    const etag = `"${++this.version}"`;
    const full = `${bucket}/${key}`;
    const existing = this.objects.get(full);
    if (!existing) this.sorted.splice(this.lowerBound(full), 0, full);
    const now = this.vclock?.now ?? clock.now();
    const byDefault = this.options.objectLock && { mode: this.options.objectLock.mode, until: now + this.options.objectLock.days * DAY_MS };
    this.objects.set(full, { body, etag, modified: now, lock: lock ?? byDefault, versions: existing ? existing.versions + 1 : 0 });
    return etag;
  }

  /** Deletes an object (as someone with access to the bucket might): whether it was there. */
  delete(bucket: string, key: string): boolean {
    const full = `${bucket}/${key}`;
    if (!this.objects.delete(full)) return false;
    this.sorted.splice(this.lowerBound(full), 1);
    return true;
  }

  private refuse(op: string, key: string): void {
    if (this.options.deny?.(op, key)) throw awsError('AccessDenied', 'Access Denied', 403);
  }

  /** S3's answer to a request for a key that does not exist. */
  private missing(): Error {
    if (this.options.missingKey !== 403) return awsError('NoSuchKey', 'The specified key does not exist.', 404);
    this.calls.missingAnswered = (this.calls.missingAnswered ?? 0) + 1;
    return awsError('AccessDenied', 'Access Denied', 403);
  }

  private lowerBound(k: string): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.sorted[mid] < k) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Keys under a prefix, sorted, after `after` (exclusive), at most `limit`. */
  keys(bucket: string, prefix = '', after = '', limit = Infinity): string[] {
    const base = `${bucket}/`;
    const out: string[] = [];
    for (let i = this.lowerBound(base + (after > prefix ? after : prefix)); i < this.sorted.length && out.length < limit; i++) {
      const k = this.sorted[i];
      if (!k.startsWith(base + prefix)) break;
      if (k.slice(base.length) > after) out.push(k.slice(base.length));
    }
    return out;
  }

  private count(op: string): void {
    this.calls[op] = (this.calls[op] ?? 0) + 1;
    if (this.vclock) this.vclock.now += this.latencyMs;
  }

  putObject(input: PutObjectCommandInput) {
    this.count('PutObject');
    this.refuse('PutObject', input.Key!);
    const existing = this.objects.get(`${input.Bucket}/${input.Key}`);
    if (input.IfNoneMatch === '*' && existing) throw awsError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412);
    if (input.IfMatch !== undefined && !existing) throw this.missing();
    if (input.IfMatch !== undefined && existing?.etag !== input.IfMatch) {
      throw awsError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412);
    }
    if ((input.ObjectLockMode === undefined) !== (input.ObjectLockRetainUntilDate === undefined)) {
      throw awsError('InvalidRequest', 'x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied', 400);
    }
    if (input.ObjectLockMode && !this.options.objectLock) throw awsError('InvalidRequest', 'Bucket is missing Object Lock Configuration', 400);
    const lock = input.ObjectLockMode ? { mode: input.ObjectLockMode, until: new Date(input.ObjectLockRetainUntilDate!).getTime() } : undefined;
    return { ETag: this.put(input.Bucket!, input.Key!, String(input.Body), lock) };
  }

  getObject(input: GetObjectCommandInput) {
    this.count('GetObject');
    this.refuse('GetObject', input.Key!);
    const o = this.objects.get(`${input.Bucket}/${input.Key}`);
    if (!o) throw this.missing();
    return { ETag: o.etag, Body: { transformToString: async () => o.body } as any };
  }

  getObjectLockConfiguration() {
    this.count('GetObjectLockConfiguration');
    this.refuse('GetObjectLockConfiguration', '');
    const lock = this.options.objectLock;
    if (!lock) throw awsError('ObjectLockConfigurationNotFoundError', 'Object Lock configuration does not exist for this bucket', 404);
    return { ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled' as const, Rule: { DefaultRetention: { Mode: lock.mode, Days: lock.days } } } };
  }

  private listed(bucket: string, Key: string) {
    return { Key, LastModified: new Date(this.objects.get(`${bucket}/${Key}`)!.modified) };
  }

  listObjectsV2(input: ListObjectsV2CommandInput) {
    this.count('ListObjectsV2');
    this.refuse('ListObjectsV2', input.Prefix ?? '');
    const prefix = input.Prefix ?? '';
    const after = input.ContinuationToken ?? input.StartAfter ?? '';
    const max = input.MaxKeys ?? 1000;
    const keys = this.keys(input.Bucket!, prefix, after, input.Delimiter ? Infinity : max + 1);
    if (input.Delimiter) {
      const prefixes = new Set<string>();
      const contents: string[] = [];
      for (const k of keys) {
        const i = k.indexOf(input.Delimiter, prefix.length);
        if (i >= 0) prefixes.add(k.slice(0, i + 1));
        else contents.push(k);
      }
      return {
        Contents: contents.map((Key) => this.listed(input.Bucket!, Key)),
        CommonPrefixes: [...prefixes].map((Prefix) => ({ Prefix })),
        IsTruncated: false,
      };
    }
    const page = keys.slice(0, max);
    return {
      Contents: page.map((Key) => this.listed(input.Bucket!, Key)),
      IsTruncated: keys.length > max,
      NextContinuationToken: keys.length > max ? page[page.length - 1] : undefined,
    };
  }
}

/**
 * Routes the SDK clients' calls to the fakes, each through the fault rule of the invocation that
 * makes it. Returns a function that restores the clients.
 */
export function installFakes(installed: FakeLogs, s3: FakeS3): () => void {
  // The CloudWatch Logs of the account the calling invocation runs in.
  const logs = () => invocations.getStore()?.logs ?? installed;
  const touch = (key: string | undefined) => invocations.getStore()?.touched?.push(key ?? '');
  const logsMock = mockClient(CloudWatchLogsClient);
  logsMock.on(DescribeLogGroupsCommand).callsFake((i) => guarded('DescribeLogGroups', i, () => logs().describeLogGroups(i)));
  logsMock.on(CreateExportTaskCommand).callsFake((i) => guarded('CreateExportTask', i, () => logs().createExportTask(i)));
  logsMock.on(DescribeExportTasksCommand).callsFake((i) => guarded('DescribeExportTasks', i, () => logs().describeExportTasks(i)));
  logsMock.on(DescribeLogStreamsCommand).callsFake((i) => guarded('DescribeLogStreams', i, () => logs().describeLogStreams(i)));
  logsMock.on(PutRetentionPolicyCommand).callsFake((i) => guarded('PutRetentionPolicy', i, () => logs().putRetentionPolicy(i)));
  logsMock.on(DeleteRetentionPolicyCommand).callsFake((i) => guarded('DeleteRetentionPolicy', i, () => logs().deleteRetentionPolicy(i)));
  logsMock.on(FilterLogEventsCommand).callsFake((i) => guarded('FilterLogEvents', i, () => logs().filterLogEvents(i)));
  const cloudWatchMock = mockClient(CloudWatchClient);
  cloudWatchMock.on(GetMetricDataCommand).callsFake((i) => guarded('GetMetricData', i, () => logs().getMetricData(i)));
  const s3Mock = mockClient(S3Client);
  s3Mock.on(PutObjectCommand).callsFake((i) => guarded('PutObject', i, () => (touch(i.Key), s3.putObject(i))));
  s3Mock.on(GetObjectCommand).callsFake((i) => guarded('GetObject', i, () => (touch(i.Key), s3.getObject(i))));
  s3Mock.on(GetObjectLockConfigurationCommand).callsFake((i) => guarded('GetObjectLockConfiguration', i, () => s3.getObjectLockConfiguration()));
  s3Mock.on(ListObjectsV2Command).callsFake((i) => guarded('ListObjectsV2', i, () => {
    touch(i.Prefix);
    logs().tick();
    return s3.listObjectsV2(i);
  }));
  s3Mock.on(DeleteObjectCommand).rejects(new Error('the exporter never deletes'));
  return () => {
    logsMock.restore();
    cloudWatchMock.restore();
    s3Mock.restore();
  };
}
