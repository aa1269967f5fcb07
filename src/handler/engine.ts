/**
 * One loop turn of an export run. The state machine calls this, follows the answer (wait,
 * continue as a new execution, succeed, fail) and passes the returned state to the next turn.
 *
 * The state is a cursor, not a list: the current page of at most 50 log groups, a position in
 * it, the windows of the run and the export task in flight. Its size does not grow with the
 * number of log groups, and every log group costs O(1) API calls.
 */
import {
  CreateExportTaskCommand,
  DescribeExportTasksCommand,
  DescribeLogGroupsCommand,
  ExportTask,
  ExportTaskStatusCode,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { logs, s3 } from './aws';
import { clock } from './clock';
import { ExporterConfig, InvalidInputError, Source, parseRunInput, scheduledWindows } from './config';
import { checkpointKey, exportPrefix, leaseKey, markerKey, markerName, markerPrefix, parseMarker, taskName, windowOfTask } from './layout';
import { backoffSeconds, firstLookMs, HAND_BACK_MS, nextLookMs, waitSeconds } from './policy';
import { count, flushMetrics, log, seconds } from './telemetry';
import { Window, windowAt, windowId } from './windows';

/** A log group as the run needs it: name, creation time, retention in days. */
export interface Group {
  readonly n: string;
  readonly c: number;
  readonly r?: number;
}

/** A log group and window to export, with the part of the window the group holds. */
interface Item {
  readonly group: Group;
  readonly window: Window;
  readonly range: { from: number; to: number };
}

/** The export task in flight. */
export interface Active {
  readonly id: string;
  readonly group: string;
  readonly window: number;
  /** When this run first saw the task (ms). */
  readonly since: number;
  /** How long the task is expected to take (ms), from the group's export of the window before. */
  readonly expected?: number;
}

/** What the done-markers say about the current page. */
export interface Marks {
  /** Page indexes already exported for the window. */
  readonly done: number[];
  /** Per page index, how long the export of the window before took (ms; 0 when unknown). */
  readonly expected: number[];
}

export interface Failure {
  readonly logGroupName: string;
  readonly window: string;
  readonly reason: string;
}

export interface Stats {
  exported: number;
  skipped: number;
  retried: number;
  adopted: number;
}

export interface RunState {
  readonly v: 1;
  readonly runId: string;
  /** Executions before this one in the run's chain. */
  gen: number;
  /** Turns taken in this execution. */
  turns: number;
  readonly mode: 'scheduled' | 'backfill';
  readonly reexport: boolean;
  /** Starts of the windows to export, ascending. */
  readonly windows: number[];
  /** A backfill limited to these log groups. */
  readonly names?: string[];
  /** Index of the current log group source. */
  src: number;
  /** DescribeLogGroups token of the page after the current one. */
  token?: string;
  page?: Group[];
  /** Position: window index and group index in the page. */
  w: number;
  g: number;
  /** Markers of the page for window `w`; absent until listed. */
  marks?: Marks;
  /**
   * Windows that had no done-marker when this run, holding the lease, first looked: their
   * groups need no marker listing, as only this run writes their markers.
   */
  clean?: number[];
  active?: Active;
  /** Failed attempts of the current item. */
  attempt: number;
  /** Turns spent waiting for something this run does not own. */
  waited: number;
  lease?: { etag: string; at: number };
  /** Before creating an export, look for one a dead attempt may have created. */
  recover: boolean;
  stats: Stats;
  failures: Failure[];
  failureCount: number;
}

export type Status = 'WAIT' | 'CONTINUE' | 'SUCCEEDED' | 'FAILED';

export interface TurnResult {
  readonly status: Status;
  readonly waitSeconds: number;
  readonly state: RunState;
  /** Name of the next execution of the chain (CONTINUE). */
  readonly continuation?: string;
  /** Set when the run ends. */
  readonly summary?: string;
  readonly error?: string;
  readonly cause?: string;
}

export interface TurnEvent {
  /** The execution input on the first turn, the previous turn's result afterwards. */
  readonly input?: unknown;
  readonly executionName?: string;
  /** Times the state machine has retried this turn after an error (from the context object). */
  readonly retryCount?: number;
  /** When this execution started (ISO 8601, from the context object). */
  readonly executionStart?: string;
}

export interface TurnContext {
  /** Milliseconds the invocation may still run. */
  remainingMs(): number;
}

const ACTIVE_STATUSES: ExportTaskStatusCode[] = ['RUNNING', 'PENDING', 'PENDING_CANCEL'];
const THROTTLING = ['ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded', 'SlowDown', 'ServiceUnavailable', 'ServiceUnavailableException'];
const MAX_FAILURES_KEPT = 50;
/** Time kept free at the end of an invocation for the last API calls and the answer. */
const SAFETY_MS = 20_000;

function errorName(e: unknown): string {
  return (e as { name?: string })?.name ?? 'Error';
}

function isConditionalFailure(e: unknown): boolean {
  const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return ['PreconditionFailed', 'ConditionalRequestConflict'].includes(errorName(e)) || status === 412 || status === 409;
}

export class Engine {
  private readonly windowCache = new Map<number, Window>();

  constructor(private readonly config: ExporterConfig) {}

  async turn(event: TurnEvent, ctx: TurnContext): Promise<TurnResult> {
    try {
      return await this.turnOnce(event, ctx);
    } finally {
      flushMetrics();
    }
  }

  private async turnOnce(event: TurnEvent, ctx: TurnContext): Promise<TurnResult> {
    const state = await this.load(event);
    state.turns += 1;

    // Continue as a new execution before this one nears 25,000 history events or its timeout:
    // no invocation or wait of this execution may run past `continueAt`.
    const timeout = this.config.executionTimeoutSeconds * 1000;
    const started = event.executionStart ? Date.parse(event.executionStart) : clock.now();
    const continueAt = started + timeout - Math.min(timeout / 4, 1_800_000);
    if (state.turns > this.config.maxTurns || clock.now() >= continueAt) {
      state.turns = 0;
      state.gen += 1;
      return { status: 'CONTINUE', waitSeconds: 0, state, continuation: `${state.runId.slice(0, 60)}-c${state.gen}` };
    }
    const deadline = Math.min(continueAt, clock.now() + Math.max(0, ctx.remainingMs() - SAFETY_MS));
    const result = await this.lockedTurn(state, deadline, (event.retryCount ?? 0) > 0);
    if (result.status !== 'WAIT') return result;
    return { ...result, waitSeconds: Math.max(1, Math.min(result.waitSeconds, Math.ceil((continueAt - clock.now()) / 1000))) };
  }

  private async lockedTurn(state: RunState, deadline: number, retried: boolean): Promise<TurnResult> {
    const lease = await this.holdLease(state);
    if (lease === 'held-by-other') {
      state.waited += 1;
      return this.wait(state, backoffSeconds(state.waited, this.config.minWaitSeconds, this.config.maxWaitSeconds));
    }
    if (lease === 'lost') {
      return this.finish(state, 'the run lost its lease to another run, which carries on with the work');
    }

    try {
      return await this.work(state, deadline, retried);
    } catch (e) {
      // Throttled past the SDK's retries: keep the progress made so far and try again after a wait.
      if (!THROTTLING.includes(errorName(e))) throw e;
      state.waited += 1;
      count('Throttled');
      log('WARN', 'throttled; waiting', { error: errorName(e) });
      return this.wait(state, backoffSeconds(state.waited, this.config.minWaitSeconds, this.config.maxWaitSeconds));
    }
  }

  /** Starts and follows exports until all are done, or the loop must wait. */
  private async work(state: RunState, deadline: number, retried: boolean): Promise<TurnResult> {
    // A retried turn may have died after CreateExportTask: check before creating its export again.
    let recover = retried;
    while (true) {
      if (state.active) {
        const r = await this.follow(state, state.active, deadline);
        if (r) return r;
        continue;
      }
      const item = await this.nextItem(state);
      if (!item) return this.finish(state);
      if (clock.now() >= deadline) return this.wait(state, this.config.minWaitSeconds);
      const r = await this.start(state, item, recover || state.recover, deadline);
      recover = false;
      if (r) return r;
    }
  }

  // ---------------------------------------------------------------- run state

  private async load(event: TurnEvent): Promise<RunState> {
    const input = event.input;
    if (typeof input === 'object' && input !== null && 'state' in input) {
      const s = (input as { state: RunState }).state;
      if (typeof s !== 'object' || s === null || s.v !== 1 || typeof s.runId !== 'string' || !Array.isArray(s.windows)) {
        throw new InvalidInputError("execution input has a 'state' field that is not a run state of this exporter");
      }
      return s;
    }
    const now = clock.now();
    const req = parseRunInput(input, this.config, now);
    let windows = req.windows;
    if (!windows) {
      const checkpoint = await this.readJson<{ end: number }>(checkpointKey(this.config.keyPrefix, this.config.period));
      windows = scheduledWindows(req.now, checkpoint?.end, this.config);
    }
    const runId = (event.executionName ?? `run-${now}`).replace(/[^A-Za-z0-9_-]/g, '-');
    log('INFO', 'run started', { runId, mode: req.mode, windows: windows.map(windowId), logGroupNames: req.names, reexport: req.reexport });
    return {
      v: 1,
      runId,
      gen: 0,
      turns: 0,
      mode: req.mode,
      reexport: req.reexport,
      windows: windows.map((w) => w.start),
      names: req.names,
      src: 0,
      w: 0,
      g: 0,
      attempt: 0,
      waited: 0,
      recover: false,
      stats: { exported: 0, skipped: 0, retried: 0, adopted: 0 },
      failures: [],
      failureCount: 0,
    };
  }

  /** The window starting at `start`, memoised: time-zone arithmetic is not free and this is on every item. */
  private window(start: number): Window {
    let w = this.windowCache.get(start);
    if (!w) {
      w = windowAt(start, this.config.period, this.config.timeZone);
      this.windowCache.set(start, w);
    }
    return w;
  }

  private sources(state: RunState): Source[] {
    return state.names ? state.names.map((n) => ({ prefix: n, exact: true })) : this.config.sources;
  }

  // ---------------------------------------------------------------- iteration

  /** The next (group, window) to export, loading pages and done-markers as needed. */
  private async nextItem(state: RunState): Promise<Item | undefined> {
    if (state.windows.length === 0) return undefined;
    const sources = this.sources(state);
    while (true) {
      if (!state.page) {
        if (state.src >= sources.length) return undefined;
        await this.loadPage(state, sources[state.src]);
        continue;
      }
      if (state.w >= state.windows.length) {
        state.page = undefined;
        state.marks = undefined;
        if (state.token === undefined) state.src += 1;
        continue;
      }
      if (state.g >= state.page.length) {
        state.w += 1;
        state.g = 0;
        state.marks = undefined;
        continue;
      }
      const window = this.window(state.windows[state.w]);
      if (!state.marks) state.marks = await this.readMarks(state, state.page, window);
      if (state.marks.done.includes(state.g)) {
        state.g += 1;
        continue;
      }
      const group = state.page[state.g];
      const range = this.range(group, window);
      if (range === undefined) {
        state.stats.skipped += 1;
        state.g += 1;
        continue;
      }
      return { group, window, range };
    }
  }

  private async loadPage(state: RunState, source: Source): Promise<void> {
    const res = await logs.send(new DescribeLogGroupsCommand({
      logGroupNamePrefix: source.prefix,
      nextToken: state.token,
    }));
    const { excludePrefixes, excludeNames } = this.config;
    const page: Group[] = (res.logGroups ?? [])
      .filter((g) => g.logGroupName !== undefined)
      .filter((g) => !source.exact || g.logGroupName === source.prefix)
      .filter((g) => !excludeNames.includes(g.logGroupName!) && !excludePrefixes.some((p) => g.logGroupName!.startsWith(p)))
      .map((g) => ({ n: g.logGroupName!, c: g.creationTime ?? 0, ...(g.retentionInDays ? { r: g.retentionInDays } : {}) }))
      .sort((a, b) => (markerName(a.n) < markerName(b.n) ? -1 : 1));
    // Names come ASCII-sorted, so an exact name is on the first page of its prefix.
    state.token = source.exact ? undefined : res.nextToken;
    state.page = page;
    state.w = 0;
    state.g = 0;
    state.marks = undefined;
  }

  /**
   * Which groups of the page are done for the window, and how long each one's export of the
   * window before took: one ListObjectsV2 call per page and window for the window before, and
   * one for the window itself unless it is known to have no markers.
   */
  private async readMarks(state: RunState, page: Group[], window: Window): Promise<Marks> {
    const skipDone = state.reexport || (await this.cleanWindows(state)).includes(window.start);
    const done = skipDone ? new Map<string, number | undefined>() : await this.listMarkers(page, window);
    const before = await this.listMarkers(page, windowAt(window.start - 1, this.config.period, this.config.timeZone));
    return {
      done: page.flatMap((g, i) => (done.has(markerName(g.n)) ? [i] : [])),
      expected: page.map((g) => before.get(markerName(g.n)) ?? 0),
    };
  }

  /** The run's windows that have no done-marker, listed once per run (one call per window). */
  private async cleanWindows(state: RunState): Promise<number[]> {
    if (!state.clean) {
      const clean: number[] = [];
      for (const start of state.windows) {
        const prefix = markerPrefix(this.config.keyPrefix, this.config.period, this.window(start));
        const res = await s3.send(new ListObjectsV2Command({ Bucket: this.config.bucket, Prefix: prefix, MaxKeys: 1 }));
        if (!res.Contents?.length) clean.push(start);
      }
      state.clean = clean;
    }
    return state.clean;
  }

  /** The markers of the page's groups for a window: encoded group name to export duration (ms). */
  private async listMarkers(page: Group[], window: Window): Promise<Map<string, number | undefined>> {
    const found = new Map<string, number | undefined>();
    if (page.length === 0) return found;
    const prefix = markerPrefix(this.config.keyPrefix, this.config.period, window);
    const first = prefix + markerName(page[0].n);
    const last = prefix + markerName(page[page.length - 1].n);
    // A strict prefix of the first key sorts just before it.
    const startAfter = first.slice(0, -1);
    let token: string | undefined;
    while (true) {
      const res = await s3.send(new ListObjectsV2Command({
        Bucket: this.config.bucket, Prefix: prefix, StartAfter: token ? undefined : startAfter, ContinuationToken: token,
      }));
      const keys = (res.Contents ?? []).map((o) => o.Key!);
      for (const key of keys) {
        const m = parseMarker(prefix, key);
        found.set(m.name, m.durationMs);
      }
      if (!res.IsTruncated || keys.length === 0 || keys[keys.length - 1] >= last) break;
      token = res.NextContinuationToken;
    }
    return found;
  }

  /**
   * The part of the window the group can hold: none if the window ended before the group was
   * created (CreateExportTask refuses a `to` before the creation time); otherwise all of it
   * inside the retention period. Events may carry timestamps up to 14 days before the group's
   * creation, so the creation time does not cut the start of the range.
   */
  private range(group: Group, window: Window): { from: number; to: number } | undefined {
    const to = window.end - 1;
    if (to < group.c) return undefined;
    const from = group.r ? Math.max(window.start, clock.now() - group.r * 86_400_000 + 3_600_000) : window.start;
    return from <= to ? { from, to } : undefined;
  }

  // ---------------------------------------------------------------- export tasks

  /** Starts the export of an item; answers a turn result when the loop must hand back. */
  private async start(state: RunState, item: Item, recover: boolean, deadline: number): Promise<TurnResult | undefined> {
    const { group, window, range } = item;
    const { bucket, keyPrefix, period, timeZone, taskPrefix } = this.config;
    const destinationPrefix = exportPrefix(keyPrefix, group.n, window, period, timeZone);
    if (recover) {
      const found = await this.findEarlierTask(destinationPrefix, group.n, window);
      if (found) {
        this.adopt(state, found, group.n, window.start);
        return undefined;
      }
    }
    try {
      const res = await logs.send(new CreateExportTaskCommand({
        taskName: taskName(taskPrefix, period, window),
        logGroupName: group.n,
        from: range.from,
        to: range.to,
        destination: bucket,
        destinationPrefix,
      }));
      const expected = state.marks?.expected[state.g] || undefined;
      state.active = { id: res.taskId!, group: group.n, window: window.start, since: clock.now(), expected };
      state.waited = 0;
      count('ExportsStarted');
      log('INFO', 'export started', { logGroupName: group.n, window: windowId(window), taskId: res.taskId, from: range.from, to: range.to, destinationPrefix, expectedSeconds: expected && expected / 1000 });
      const look = firstLookMs(expected);
      if (look > HAND_BACK_MS || clock.now() + look > deadline) {
        return this.wait(state, Math.min(this.config.maxWaitSeconds, Math.ceil(look / 1000)));
      }
      await clock.sleep(look);
      return undefined;
    } catch (e) {
      switch (errorName(e)) {
        case 'LimitExceededException':
          return this.onLimitExceeded(state);
        case 'ResourceNotFoundException':
          log('WARN', 'log group no longer exists', { logGroupName: group.n });
          state.stats.skipped += 1;
          this.advance(state);
          return undefined;
        case 'InvalidParameterException':
          this.fail(state, group.n, window, `CreateExportTask rejected the request: ${(e as Error).message}`);
          return undefined;
        default:
          throw e;
      }
    }
  }

  /** Another export is active: adopt it when it is ours, otherwise wait for it. */
  private async onLimitExceeded(state: RunState): Promise<TurnResult | undefined> {
    const active = await this.activeTask();
    const window = windowOfTask(this.config.taskPrefix, this.config.period, active?.taskName);
    if (active && window !== undefined && active.taskId && active.logGroupName) {
      this.adopt(state, active.taskId, active.logGroupName, window);
      return undefined;
    }
    state.waited += 1;
    count('ForeignTaskWaits');
    log('INFO', 'another export task is active; waiting', { taskId: active?.taskId, taskName: active?.taskName });
    return this.wait(state, backoffSeconds(state.waited, this.config.minWaitSeconds, this.config.maxWaitSeconds));
  }

  /** Follows an export task this exporter started earlier instead of starting another. */
  private adopt(state: RunState, taskId: string, group: string, window: number): void {
    state.active = { id: taskId, group, window, since: clock.now() };
    state.stats.adopted += 1;
    count('ExportsAdopted');
    log('INFO', 'export adopted', { logGroupName: group, window: windowId(this.window(window)), taskId });
  }

  private async activeTask(): Promise<ExportTask | undefined> {
    for (const statusCode of ACTIVE_STATUSES) {
      const res = await logs.send(new DescribeExportTasksCommand({ statusCode }));
      if (res.exportTasks?.length) return res.exportTasks[0];
    }
    return undefined;
  }

  /** After a crash, an export of this item may exist: its task folder is under the destination. */
  private async findEarlierTask(destinationPrefix: string, group: string, window: Window): Promise<string | undefined> {
    const res = await s3.send(new ListObjectsV2Command({ Bucket: this.config.bucket, Prefix: `${destinationPrefix}/`, Delimiter: '/' }));
    const ids = (res.CommonPrefixes ?? []).map((p) => p.Prefix!.slice(destinationPrefix.length + 1, -1));
    for (const id of ids) {
      const t = (await logs.send(new DescribeExportTasksCommand({ taskId: id }))).exportTasks?.[0];
      const ok = t?.status?.code && !['FAILED', 'CANCELLED'].includes(t.status.code);
      if (ok && t.logGroupName === group && windowOfTask(this.config.taskPrefix, this.config.period, t.taskName) === window.start) {
        return id;
      }
    }
    return undefined;
  }

  /** Follows the task in flight until it ends or the invocation should hand back to the Wait state. */
  private async follow(state: RunState, active: Active, deadline: number): Promise<TurnResult | undefined> {
    const { pollSeconds, minWaitSeconds, maxWaitSeconds, maxAttempts } = this.config;
    const invocationStart = clock.now();
    const window = this.window(active.window);
    while (true) {
      const task = (await logs.send(new DescribeExportTasksCommand({ taskId: active.id }))).exportTasks?.[0];
      const code = task?.status?.code;
      const elapsed = clock.now() - active.since;
      if (code === 'COMPLETED') {
        const info = task!.executionInfo;
        const took = info?.completionTime && info.creationTime ? info.completionTime - info.creationTime : elapsed;
        await this.writeMarker(state, active, window, task!, took);
        state.stats.exported += 1;
        count('ExportsCompleted');
        seconds('ExportDuration', elapsed / 1000);
        seconds('ExportLag', (clock.now() - window.end) / 1000);
        log('INFO', 'export completed', { logGroupName: active.group, window: windowId(window), taskId: active.id, seconds: took / 1000 });
        this.settle(state, active);
        return undefined;
      }
      if (code === undefined || code === 'FAILED' || code === 'CANCELLED') {
        const reason = `export task ${active.id} ended ${code ?? 'unknown (not found)'}: ${task?.status?.message ?? ''}`.trim();
        state.active = undefined;
        if (this.isCurrent(state, active)) {
          state.attempt += 1;
          if (state.attempt >= maxAttempts) {
            this.fail(state, active.group, window, `${reason} (after ${state.attempt} attempts)`);
          } else {
            state.stats.retried += 1;
            count('ExportsRetried');
            log('WARN', 'export failed; retrying', { logGroupName: active.group, window: windowId(window), attempt: state.attempt, reason });
          }
        }
        return undefined;
      }
      const gap = nextLookMs(elapsed, active.expected);
      const polled = clock.now() - invocationStart;
      if (polled + gap > pollSeconds * 1000 || clock.now() + gap > deadline) {
        return this.wait(state, waitSeconds(elapsed, minWaitSeconds, maxWaitSeconds, active.expected));
      }
      await clock.sleep(gap);
    }
  }

  /** Whether the task in flight is the export of the item at the cursor (not an adopted one). */
  private isCurrent(state: RunState, active: Active): boolean {
    const group = state.page?.[state.g];
    return group?.n === active.group && state.windows[state.w] === active.window;
  }

  /**
   * A task ended well: move past its item when it is the current one; otherwise (an adopted task)
   * forget what the markers said, which may predate the marker just written.
   */
  private settle(state: RunState, active: Active): void {
    state.active = undefined;
    if (this.isCurrent(state, active)) {
      this.advance(state);
      return;
    }
    state.marks = undefined;
    state.clean = state.clean?.filter((w) => w !== active.window);
  }

  private advance(state: RunState): void {
    state.g += 1;
    state.attempt = 0;
  }

  private fail(state: RunState, group: string, window: Window, reason: string): void {
    log('ERROR', 'export failed', { logGroupName: group, window: windowId(window), reason });
    count('ExportsFailed');
    state.failureCount += 1;
    if (state.failures.length < MAX_FAILURES_KEPT) {
      state.failures.push({ logGroupName: group, window: new Date(window.start).toISOString(), reason });
    }
    this.advance(state);
  }

  // ---------------------------------------------------------------- S3 state

  private async writeMarker(state: RunState, active: Active, window: Window, task: ExportTask, durationMs: number): Promise<void> {
    const key = markerKey(markerPrefix(this.config.keyPrefix, this.config.period, window), active.group, durationMs);
    await s3.send(new PutObjectCommand({
      Bucket: this.config.bucket,
      Key: key,
      ContentType: 'application/json',
      Body: JSON.stringify({
        logGroupName: active.group,
        window: { start: new Date(window.start).toISOString(), end: new Date(window.end).toISOString() },
        from: task.from,
        to: task.to,
        taskId: active.id,
        destination: `s3://${task.destination}/${task.destinationPrefix}/${active.id}/`,
        runId: state.runId,
      }),
    }));
  }

  private async readJson<T>(key: string): Promise<(T & { etag: string }) | undefined> {
    try {
      const res = await s3.send(new GetObjectCommand({ Bucket: this.config.bucket, Key: key }));
      return { ...(JSON.parse(await res.Body!.transformToString()) as T), etag: res.ETag! };
    } catch (e) {
      if (errorName(e) === 'NoSuchKey') return undefined;
      throw e;
    }
  }

  private async putJson(key: string, body: unknown, condition: { IfMatch?: string; IfNoneMatch?: string }): Promise<string> {
    const res = await s3.send(new PutObjectCommand({
      Bucket: this.config.bucket, Key: key, Body: JSON.stringify(body), ContentType: 'application/json', ...condition,
    }));
    return res.ETag!;
  }

  /**
   * One run at a time: a lease object written with conditional puts. It expires so that a dead
   * holder does not block the next run for longer than `leaseSeconds`; a run that finds an
   * expired lease (its holder died) checks for exports the dead run may have started.
   */
  private async holdLease(state: RunState): Promise<'ok' | 'held-by-other' | 'lost'> {
    const key = leaseKey(this.config.keyPrefix);
    const ttl = this.config.leaseSeconds * 1000;
    const now = clock.now();
    if (state.lease && now - state.lease.at < ttl / 3) return 'ok';
    const body = { runId: state.runId, expires: now + ttl };
    try {
      const etag = state.lease
        ? await this.putJson(key, body, { IfMatch: state.lease.etag })
        : await this.putJson(key, body, { IfNoneMatch: '*' });
      state.lease = { etag, at: now };
      return 'ok';
    } catch (e) {
      if (!isConditionalFailure(e)) throw e;
    }
    const current = await this.readJson<{ runId: string; expires: number }>(key);
    const ours = current?.runId === state.runId;
    if (current && !ours && current.expires > now) return state.lease ? 'lost' : 'held-by-other';
    if (current && !ours && current.expires > 0 && !state.lease) {
      state.recover = true;
      log('WARN', 'the previous run ended without releasing its lease; checking for exports it left behind', { previousRunId: current.runId });
    }
    try {
      const etag = current
        ? await this.putJson(key, body, { IfMatch: current.etag })
        : await this.putJson(key, body, { IfNoneMatch: '*' });
      state.lease = { etag, at: now };
      return 'ok';
    } catch (e) {
      if (isConditionalFailure(e)) return state.lease ? 'lost' : 'held-by-other';
      throw e;
    }
  }

  private async releaseLease(state: RunState): Promise<void> {
    if (!state.lease) return;
    try {
      await this.putJson(leaseKey(this.config.keyPrefix), { runId: state.runId, expires: 0 }, { IfMatch: state.lease.etag });
    } catch (e) {
      if (!isConditionalFailure(e)) throw e;
    }
    state.lease = undefined;
  }

  // ---------------------------------------------------------------- answers

  private wait(state: RunState, waitFor: number): TurnResult {
    return { status: 'WAIT', waitSeconds: waitFor, state };
  }

  private async finish(state: RunState, note?: string): Promise<TurnResult> {
    if (!note) {
      if (state.mode === 'scheduled') await this.advanceCheckpoint(state);
      await this.releaseLease(state);
    }
    const s = state.stats;
    const summary = note ?? `exported ${s.exported}, skipped ${s.skipped}, retried ${s.retried}, adopted ${s.adopted}, failed ${state.failureCount}`;
    log(state.failureCount ? 'ERROR' : 'INFO', 'run ended', { runId: state.runId, summary, failures: state.failures });
    if (state.failureCount === 0) {
      return { status: 'SUCCEEDED', waitSeconds: 0, state, summary };
    }
    const listed = state.failures.map((f) => `${f.logGroupName} @ ${f.window}: ${f.reason}`).join('; ');
    const more = state.failureCount > state.failures.length ? ` (and ${state.failureCount - state.failures.length} more)` : '';
    return {
      status: 'FAILED',
      waitSeconds: 0,
      state,
      summary,
      error: 'ExportsFailed',
      cause: `${state.failureCount} export(s) failed after retries: ${listed}${more}`.slice(0, 32_000),
    };
  }

  /** The checkpoint moves to the end of the last window before the first window with a failure. */
  private async advanceCheckpoint(state: RunState): Promise<void> {
    if (state.windows.length === 0) return;
    const failed = state.failures.map((f) => Date.parse(f.window));
    const firstFailed = state.failureCount > state.failures.length ? state.windows[0] : Math.min(...failed, Infinity);
    const complete = state.windows.filter((w) => w < firstFailed);
    if (complete.length === 0) return;
    const end = this.window(complete[complete.length - 1]).end;
    const key = checkpointKey(this.config.keyPrefix, this.config.period);
    const current = await this.readJson<{ end: number }>(key);
    if (current && current.end >= end) return;
    await this.putJson(key, { end, endIso: new Date(end).toISOString(), timeZone: this.config.timeZone, runId: state.runId }, {});
  }
}
