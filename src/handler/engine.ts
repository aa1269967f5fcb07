/**
 * One loop turn of an export run. The state machine calls this, follows the answer (wait,
 * continue as a new execution, succeed, fail) and passes the returned state to the next turn.
 *
 * Exactly once per (log group, window) rests on durable things only: done-markers, the lease and
 * the account's export tasks. The state a turn gets says where to look next, not what was done:
 * a turn can be replayed with an older state (a retry after the handler died, a redrive), and
 * then the run first lets any earlier invocation of it end, then confirms each export against
 * the bucket and the export tasks before starting it, until it is past everything the earlier
 * attempts did. A run that takes the lease over from a dead one first walks on from the dead
 * run's last recorded position and finishes the export it left without a marker.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, ExportTask } from '@aws-sdk/client-cloudwatch-logs';
import { S3Client } from '@aws-sdk/client-s3';
import { Cut, abandonedCount, abandonedWindows, addAbandoned, removeAbandoned } from './abandoned';
import { ActivityChecks, idleIn } from './activity';
import { BucketAccess, errorName, isThrottling } from './bucket-access';
import { Cursor, GroupListing, Item, LATER, MAX_STATE_CHARS, exportRange } from './cursor';
import { ExportTasks } from './export-tasks';
import { Offload } from './offload';
import { HAND_BACK_MS, backoffSeconds, firstLookMs, nextLookMs, waitSeconds } from './poll-timing';
import { Active, Failure, Group, MAX_NAMES_KEPT, RunState, Snapshot, pageKey } from './run-state';
import { LeaseOutcome, StateStore, handlerDenialHint, markersOf } from './state-store';
import { count, flushMetrics, forExporter, log, percent, seconds } from './telemetry';
import { WindowRecords } from './window-records';
import { ExporterConfig, InvalidInputError, MAX_NAMES, catchUpFloor, isObject, parseRunInput, scheduledWindows } from '../shared/config';
import { AbandonedRecord, CutSpan, RecordKind, cutSpans, exportPrefix, hasDotSegment, inSpan, sha256 } from '../shared/layout';
import { ErrorName, MetricName, Status } from '../shared/protocol';
import { Period, Window, isTimeZone, lastWindowEndedBy, periodSeconds, windowAt, windowId, windowLabel, windowsBetween } from '../shared/windows';

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** What the engine works with: AWS SDK clients and a clock. */
export interface Clients {
  readonly logs: CloudWatchLogsClient;
  readonly s3: S3Client;
  readonly cloudWatch: CloudWatchClient;
  readonly clock: Clock;
}

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

/** The Export task's payload, as the state machine builds it. */
export interface TurnEvent {
  /** The exporter's configuration (validated by the Lambda entry point). */
  readonly config?: unknown;
  /** The execution input on the first turn, the previous turn's answer afterwards. */
  readonly input?: unknown;
  readonly executionName?: string;
  readonly executionArn?: string;
  /** Times the state machine has retried this turn after an error. */
  readonly retryCount?: number;
  /** Times the execution has been redriven. */
  readonly redriveCount?: number;
  /** When this execution started (ISO 8601). */
  readonly executionStart?: string;
}

export interface TurnContext {
  /** Milliseconds the invocation may still run. */
  remainingMs(): number;
}

/** What a turn knows about the execution it runs in. */
interface Scope {
  readonly executionArn: string;
  /** The execution that answered the state this turn got. */
  readonly previousExecution: string;
  /** No export starts after this (ms). */
  readonly deadline: number;
}

/** What the bucket and the account's tasks say about one (log group, window). */
type Found = 'done' | 'touched' | 'untouched';

const MAX_FAILURES_KEPT = 50;
/** Windows behind counted at most (a backfill is the way past that many). */
const MAX_BEHIND = 1000;
/** Share of a window's time its exports may take before the handler warns that they no longer fit (20 hours of a day). */
const CAPACITY_WARNING = 20 / 24;
/** Time kept free at the end of an invocation for the last API calls and the answer. */
const SAFETY_MS = 20_000;
/** Time a turn keeps for reading two windows' records whole (at most half the function's timeout). */
const VANISHED_CHECK_MS = 60_000;


/** A run state's cut, if it is one. */
function cutOf(cut: unknown): { period: Period; timeZone: string } | undefined {
  return isObject(cut) && (cut.period === 'P1D' || cut.period === 'PT1H') && isTimeZone(cut.timeZone) ? { period: cut.period, timeZone: cut.timeZone } : undefined;
}

/** A carried state this release can continue: everything the engine reads is there, of the right kind. */
function isRunState(s: unknown): s is RunState {
  return isObject(s) && s.v === 2 && typeof s.run === 'string' && typeof s.execution === 'string' && typeof s.startedAt === 'number'
    && Array.isArray(s.windows) && isObject(s.cursor) && isObject(s.stats) && isObject(s.selection) && Array.isArray(s.failures)
    && isObject(s.cut) && ['P1D', 'PT1H'].includes(s.cut.period as string) && typeof s.cut.timeZone === 'string';
}

export class Engine {
  private readonly store: StateStore;
  private readonly tasks: ExportTasks;
  private readonly cursor: Cursor;
  private readonly listing: GroupListing;
  private readonly offload: Offload;
  private readonly clock: Clock;
  private readonly windowCache = new Map<number, Window>();
  /** Engines for runs whose windows were cut by an earlier configuration, by cut. */
  private readonly earlierCuts = new Map<string, Engine>();

  /**
   * `deployed`: for an engine of an earlier cut, the configuration as deployed, which a run that
   * has exported every window cut the earlier way switches to.
   */
  constructor(private readonly config: ExporterConfig, private readonly clients: Clients, private readonly deployed?: ExporterConfig) {
    this.clock = clients.clock;
    const bucket = new BucketAccess(clients.s3, config.bucket, handlerDenialHint(config));
    this.store = new StateStore(bucket, config, () => this.clock.now());
    this.tasks = new ExportTasks(clients.logs, bucket, config);
    this.listing = new GroupListing(clients.logs, config);
    this.offload = new Offload(config, clients.logs, bucket, this.store, clients.clock, this.listing);
    this.cursor = new Cursor(config, {
      offload: this.offload,
      activity: new ActivityChecks(clients.logs, clients.cloudWatch, clients.clock),
      missing: (state, name) => this.notSelected(state, name),
      listing: this.listing,
      store: this.store,
      window: (start) => this.window(start),
      before: (w) => this.window(windowAt(w.start - 1, config.period, config.timeZone).start),
      now: () => this.clock.now(),
    });
  }

  /** One turn of a run; `span`: the cut a new run's windows are in, and its bounds (from the engine that chose it). */
  async turn(event: TurnEvent, ctx: TurnContext, span?: CutSpan): Promise<TurnResult> {
    // Windows are cut as the run started cutting them (a continuation after a deployment), or, for a new run, as the
    // exporter cuts them now: a deployment that cuts them otherwise takes effect once every window cut so is exported.
    const carried = isObject(event.input) && isObject(event.input.state) ? cutOf(event.input.state.cut) : undefined;
    const fresh = !(isObject(event.input) && 'state' in event.input);
    const chosen = fresh && !this.deployed ? await this.freshSpan(event) : undefined;
    const cut = carried ?? chosen;
    if (cut && (cut.period !== this.config.period || cut.timeZone !== this.config.timeZone)) return this.forCut(cut).turn(event, ctx, chosen);
    forExporter(this.config.exporterId);
    try {
      const result = await this.turnOnce(event, ctx, span ?? chosen);
      // The next page listed ahead is an optimisation: it goes when the state would grow too large with it.
      if (result.state.ahead && JSON.stringify(result.state).length > MAX_STATE_CHARS) {
        result.state.ahead = undefined;
        result.state.cursor.noAhead = true;
      }
      return result;
    } finally {
      flushMetrics();
    }
  }

  private async turnOnce(event: TurnEvent, ctx: TurnContext, span: CutSpan | undefined): Promise<TurnResult> {
    const executionName = event.executionName ?? 'local';
    const executionArn = event.executionArn ?? `local:${executionName}`;
    const state = await this.load(event, executionArn, executionName, span);
    this.store.useLock(state.lock);
    const previousExecution = state.execution;
    const redriveCount = event.redriveCount ?? 0;
    const redriven = redriveCount > state.redrives;
    if ((event.retryCount ?? 0) > 0 || redriven) this.replayed(state, event, redriven);
    state.execution = executionArn;
    state.continuation = undefined;
    state.redrives = redriveCount;
    state.turns += 1;

    // Continue as a new execution before this one nears 25,000 history events or its timeout:
    // no invocation or wait of this execution may run past `continueAt`.
    const now = this.clock.now();
    const timeout = this.config.executionTimeoutSeconds * 1000;
    const started = event.executionStart ? Date.parse(event.executionStart) : now;
    const continueAt = started + timeout - Math.min(timeout / 4, 1_800_000);
    if (state.turns > this.config.maxTurns || now >= continueAt) {
      state.turns = 0;
      state.generation += 1;
      // `<first execution's name>-<run>-c<generation>`: unique, at most 80 characters.
      const base = executionName.replace(new RegExp(`-${state.run}-c\\d+$`), '').replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 50);
      state.continuation = `${base}-${state.run}-c${state.generation}`;
      return { status: Status.CONTINUE, waitSeconds: 0, state, continuation: state.continuation };
    }
    const capped = (r: TurnResult): TurnResult => (r.status !== Status.WAIT ? r
      : { ...r, waitSeconds: Math.max(1, Math.min(r.waitSeconds, Math.ceil((continueAt - this.clock.now()) / 1000))) });
    if (state.fenceUntil !== undefined) {
      if (now < state.fenceUntil) return capped(this.wait(state, Math.ceil((state.fenceUntil - now) / 1000)));
      state.fenceUntil = undefined;
    }
    const scope: Scope = { executionArn, previousExecution, deadline: Math.min(continueAt, now + Math.max(0, ctx.remainingMs() - SAFETY_MS)) };
    // Each execution says how far behind the archive is when it starts (a run that never starts is the alarm's missing data).
    if (state.turns === 1) await this.reportFreshness();

    try {
      const lease = await this.holdLease(state, scope, previousExecution !== executionArn);
      if (lease) return capped(lease);
      return capped(await this.work(state, scope));
    } catch (e) {
      // Throttled past the SDK's retries: keep the progress made so far and try again after a wait.
      if (!isThrottling(e)) throw e;
      state.waited += 1;
      count(MetricName.THROTTLED);
      log('WARN', 'throttled; waiting', { error: errorName(e) });
      return capped(this.backoff(state));
    }
  }

  /**
   * How a new run cuts its windows, and the span of time that cut covers: as the exporter does
   * now (owner.json); a backfill whose windows, cut as before a change of cut, all lie in the span
   * of that cut, as then (what it exports is cut as the windows around it were). Where a date
   * names a window of two cuts (the first window of a cut, clipped, and the last of the one
   * before), it names the later one.
   */
  private async freshSpan(event: TurnEvent): Promise<CutSpan | undefined> {
    const owner = await this.store.owner();
    if (!owner) return undefined;
    const spans = cutSpans(owner).reverse();
    for (const span of spans) {
      try {
        // A scheduled run has no windows here: it cuts them as the exporter does now.
        const windows = parseRunInput(event.input, { ...this.config, period: span.period, timeZone: span.timeZone }, this.clock.now()).windows ?? [];
        if (windows.length > 0 && windows.every((w) => inSpan(span, w.end))) return span;
      } catch (e) {
        // Input the run refuses, with the message of the cut in effect.
        if (!(e instanceof InvalidInputError)) throw e;
      }
    }
    return spans[0];
  }

  /**
   * Where a backfill may start exporting: every window must be one its cut cut (in `span`: a
   * backfill over a change of cut is refused), the first one exported from the span's start on.
   */
  private backfillFloor(windows: Window[], span: CutSpan | undefined): number | undefined {
    if (!span) return undefined;
    if (windows.every((w) => inSpan(span, w.end))) return span.after !== undefined && windows[0].start < span.after ? span.after : undefined;
    const at = (t: number) => new Date(t).toISOString();
    const bounds = span.until === undefined ? `ending after ${at(span.after!)}` : `ending ${span.after === undefined ? '' : `after ${at(span.after)} and `}by ${at(span.until)}`;
    throw new InvalidInputError(`the exporter cut ${span.period} windows in ${span.timeZone} ${bounds}, and windows on either side of that ` +
      'otherwise (a deployment changed timeZone or exportPeriod): a backfill exports the windows of one cut, its dates read in that cut\'s ' +
      `time zone; split this one at ${at(span.after !== undefined && windows[0].end <= span.after ? span.after : span.until!)}`);
  }

  /** The engine of runs whose windows are cut the earlier way `cut` says. */
  private forCut(cut: { period: Period; timeZone: string }): Engine {
    const key = `${cut.period} ${cut.timeZone}`;
    let earlier = this.earlierCuts.get(key);
    if (!earlier) {
      const deployed = this.deployed ?? this.config;
      earlier = new Engine({ ...deployed, period: cut.period, timeZone: cut.timeZone }, this.clients, deployed);
      this.earlierCuts.set(key, earlier);
    }
    return earlier;
  }

  // ---------------------------------------------------------------- run state

  /** The carried state of this run, or a new run's from the execution input. */
  private async load(event: TurnEvent, executionArn: string, executionName: string, span: CutSpan | undefined): Promise<RunState> {
    const input = event.input;
    if (isObject(input) && 'state' in input) {
      const s = input.state;
      if (!isRunState(s)) {
        throw new InvalidInputError("execution input has a 'state' field that is not a run state of this exporter's release; " +
          'start a scheduled run ({}) or a backfill instead');
      }
      // Only the execution that answered with this state, or the one it continues as, may go on with it.
      if (s.execution !== executionArn && s.continuation !== executionName) {
        throw new InvalidInputError(`this run state belongs to execution ${s.execution}` +
          `${s.continuation ? `, which continues as '${s.continuation}'` : ''}; a copy of it cannot be run as '${executionName}' ` +
          '(that would export what the run exports a second time). Redrive that execution, or start a scheduled run or a backfill.');
      }
      return s;
    }
    const now = this.clock.now();
    // The windows of a run started without a scheduled time are those of its start: a redrive days later exports the same.
    const started = event.executionStart ? Math.min(Date.parse(event.executionStart), now) : now;
    const req = parseRunInput(input, this.config, started);
    if (this.deployed && req.mode === 'scheduled') {
      log('WARN', 'a deployment changed how windows are cut: runs cut them the earlier way until every window so cut is exported, then switch', {
        cut: { period: this.config.period, timeZone: this.config.timeZone },
        deployed: { period: this.deployed.period, timeZone: this.deployed.timeZone },
      });
    }
    const lock = await this.store.readLock();
    await this.store.claimPrefix();
    let windows = req.windows;
    let notBefore = req.windows ? this.backfillFloor(req.windows, span) : undefined;
    let leftBehind: RunState['leftBehind'];
    let previous: number | undefined;
    let previousCut: Cut | undefined;
    if (!windows) {
      const checkpoint = await this.store.checkpoint();
      if (checkpoint && checkpoint.end > now) {
        log('WARN', 'the checkpoint is in the future, so it cannot be right: catching up as far as maxCatchUp allows', { checkpoint: new Date(checkpoint.end).toISOString() });
      }
      windows = scheduledWindows(req.now, checkpoint?.end, this.config);
      // Nothing before the checkpoint is exported again, whatever windows the time zone or period cut now.
      if (checkpoint && windows.length > 0 && windows[0].start < checkpoint.end && checkpoint.end <= now) notBefore = checkpoint.end;
      // Settled windows further back than maxCatchUp: left behind, and recorded as such when the run ends.
      if (checkpoint && windows.length > 0 && checkpoint.end < windows[0].start) {
        leftBehind = { from: checkpoint.end, to: windows[0].start };
        const behind = { from: new Date(leftBehind.from).toISOString(), to: new Date(leftBehind.to).toISOString() };
        log('WARN', 'the checkpoint is further back than maxCatchUp: windows before this run\'s first are left behind (a backfill exports them)', {
          checkpoint: behind.from, backfills: abandonedWindows({ ranges: [behind], backfilled: [] }, this.cut).flatMap((a) => a.backfills),
        });
      }
      if (checkpoint && checkpoint.end <= now) {
        // The window that ends at the checkpoint, as it was cut (before a change of cut that took effect there).
        const owner = await this.store.owner();
        const then = owner ? cutSpans(owner).find((s) => inSpan(s, checkpoint.end)) : undefined;
        previousCut = then && (then.period !== this.config.period || then.timeZone !== this.config.timeZone)
          ? { period: then.period, timeZone: then.timeZone } : undefined;
        const cut = previousCut ?? this.cut;
        previous = windowAt(checkpoint.end - 1, cut.period, cut.timeZone).start;
      }
    }
    // The same run id and start for every attempt of the first turn (a retry, a redrive): what one
    // attempt created, the next one recognises as its own.
    const run = sha256(`${executionArn}|${event.executionStart ?? now}`).slice(0, 12);
    log('INFO', 'run started', { run, execution: executionArn, mode: req.mode, windows: windows.map(windowId), logGroupNames: req.names, reexport: req.reexport });
    return {
      v: 2,
      run,
      startedAt: Math.min(started, now),
      execution: executionArn,
      redrives: 0,
      generation: 0,
      turns: 0,
      mode: req.mode,
      reexport: req.reexport,
      windows: windows.map((w) => w.start),
      cut: { period: this.config.period, timeZone: this.config.timeZone },
      names: req.names,
      cursor: { source: 0, window: 0, group: 0 },
      attempt: 0,
      waited: 0,
      stats: { exported: 0, skipped: 0, empty: 0, retried: 0, adopted: 0, deleted: 0, expired: 0, partial: 0 },
      selection: { groups: 0, notFound: [], notFoundCount: 0, atRisk: [], atRiskCount: 0 },
      failures: [],
      failureCount: 0,
      ...(notBefore !== undefined ? { notBefore } : {}),
      ...(leftBehind ? { leftBehind } : {}),
      ...(previous !== undefined ? { previous } : {}),
      ...(previousCut ? { previousCut } : {}),
      ...(lock ? { lock } : {}),
    };
  }

  /**
   * A retried or redriven turn got the state of an earlier attempt, which may have done more
   * than this state says: confirm before each export until past what the earlier attempts
   * touched. A redriven execution (timed out or aborted mid-turn) may even have an invocation
   * still running: wait until none can be, once per redrive. (A retry needs no such wait: the
   * state machine retries a turn that may still be running only after the Lambda timeout.)
   */
  private replayed(state: RunState, event: TurnEvent, redriven: boolean): void {
    if (redriven) state.fenceUntil = Math.max(state.fenceUntil ?? 0, this.clock.now() + this.config.lambdaTimeoutSeconds * 1000);
    state.careful = true;
    state.checkActive = true;
    // Read the lease again: what it records of this run tells how far the earlier attempts went.
    state.lease = undefined;
    this.forgetListings(state);
    log('WARN', 'turn replayed with an earlier state; confirming each export before starting it',
      { run: state.run, retryCount: event.retryCount, redriveCount: event.redriveCount });
  }

  /**
   * Forgets what listings said: another run or invocation may have written markers since; or
   * (`window`) a marker was written for a (group, window) other than the cursor's, and what
   * listings said of that window (the cursor's page, the page listed ahead) may predate it.
   */
  private forgetListings(state: RunState, window?: number): void {
    state.marks = undefined;
    state.clean = window === undefined ? undefined : state.clean?.filter((w) => w !== window);
    if (state.ahead) state.ahead.marks = undefined;
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

  private snapshot(state: RunState): Snapshot | undefined {
    const c = state.cursor;
    if (!c.page) return undefined;
    const { run, startedAt, reexport, windows, cut, notBefore } = state;
    return {
      run,
      startedAt,
      reexport,
      windows,
      page: c.page,
      ...(c.surveyed ? { surveyed: true } : {}),
      window: c.window,
      group: c.group,
      cut,
      ...(notBefore !== undefined ? { notBefore } : {}),
    };
  }

  // ---------------------------------------------------------------- lease

  /** Holds the lease (answers a wait while another run holds it). */
  private async holdLease(state: RunState, scope: Scope, force: boolean): Promise<TurnResult | undefined> {
    const outcome = await this.store.holdLease(state, {
      executionArn: scope.executionArn, previousExecution: scope.previousExecution, now: this.clock.now(), force, snapshot: this.snapshot(state),
    });
    return this.onLease(state, outcome);
  }

  private onLease(state: RunState, outcome: LeaseOutcome): TurnResult | undefined {
    if (outcome.kind === 'busy') {
      state.waited += 1;
      log('INFO', 'another run holds the lease; waiting', { holder: outcome.holder });
      return this.backoff(state);
    }
    if (outcome.kind === 'taken') {
      this.forgetListings(state);
      if (outcome.inheritsWalks) {
        state.checkActive = true;
        log('WARN', 'took the lease over from a run that ended without releasing it; finishing the exports it may have left', { previous: outcome.from });
      }
    }
    return undefined;
  }

  // ---------------------------------------------------------------- work

  /** Starts and follows exports until all are done, or the loop must wait. */
  private async work(state: RunState, scope: Scope): Promise<TurnResult> {
    while (true) {
      if (state.active) {
        const r = await this.follow(state, state.active, scope.deadline);
        if (r) return r;
        continue;
      }
      if (state.checkActive) {
        await this.adoptActive(state);
        continue;
      }
      if (state.recovery?.length) {
        const r = await this.walkStep(state);
        if (r) return r;
        continue;
      }
      const item = await this.cursor.next(state, scope.deadline);
      if (item === LATER) return this.wait(state, 1);
      if (!item && state.mode === 'scheduled' && !state.vanished?.done) {
        // Reading windows' records whole takes time: in a turn of its own, unless this one has enough left.
        if (scope.deadline - this.clock.now() < Math.min(VANISHED_CHECK_MS, this.config.lambdaTimeoutSeconds * 500)) return this.wait(state, 1);
        await this.findVanished(state, scope.deadline);
        continue;
      }
      if (!item) return this.finish(state);
      if (this.clock.now() >= scope.deadline) return this.wait(state, this.config.minWaitSeconds);
      if (hasDotSegment(item.group.name)) {
        await this.fail(state, item.group, item.window,
          "its name has a '.' or '..' segment, which tools that read keys as paths resolve elsewhere: it is not exported; exclude it from the selection");
        continue;
      }
      // The lease records each new page, with what its groups' checks found, before anything on it is exported; and
      // the position past an item the run failed without a task (a walk on from this run could not tell it was passed).
      if (state.lease?.page !== pageKey(this.snapshot(state)) || state.passedSinceLease) {
        const r = await this.holdLease(state, scope, true);
        if (r) return r;
        state.passedSinceLease = undefined;
        continue;
      }
      let untouched = false;
      if (state.careful) {
        const found = await this.inspect(state, item, state);
        if (found === 'done') {
          this.advance(state);
          continue;
        }
        untouched = found === 'untouched';
      }
      const r = await this.start(state, item, scope.deadline, untouched);
      if (r) return r;
    }
  }

  /** Follows this exporter's export task that is still running, if any: nothing else is started before it ends. */
  private async adoptActive(state: RunState): Promise<void> {
    await this.adoptIfOurs(state);
    state.checkActive = false;
  }

  /**
   * The account's active export task, followed (adopted) when it is this exporter's export of a
   * (group, window) by every check, not only by its name: any other task is waited out.
   */
  private async adoptIfOurs(state: RunState): Promise<{ task?: ExportTask; adopted: boolean }> {
    const task = await this.tasks.active();
    if (!task?.taskId || !task.logGroupName || !this.tasks.origin(task)) return { task, adopted: false };
    const origin = this.tasks.exportOf(task, await this.listing.find(task.logGroupName), state.notBefore);
    if (!origin) {
      log('WARN', "an active export task has this exporter's name format but is not its export of a window; waiting it out", {
        taskId: task.taskId,
        taskName: task.taskName,
        logGroupName: task.logGroupName,
        from: task.from,
        to: task.to,
        destinationPrefix: task.destinationPrefix,
      });
      return { task, adopted: false };
    }
    this.adopt(state, task.taskId, task.logGroupName, origin.window);
    return { task, adopted: true };
  }

  /**
   * One step of the walk on from a dead run's last position: finishes an export it left without
   * a marker; ends at the first (group, window) it never touched, or at the end of its page.
   */
  private async walkStep(state: RunState): Promise<TurnResult | undefined> {
    const walk = state.recovery![0];
    const next = (): void => {
      const end = walk.group + 1 >= walk.page.length;
      state.recovery![0] = { ...walk, window: end ? walk.window + 1 : walk.window, group: end ? 0 : walk.group + 1 };
    };
    const done = (why: string): void => {
      state.recovery!.shift();
      if (state.recovery!.length === 0) state.recovery = undefined;
      log('INFO', 'walk on from a dead run ended', { previousRun: walk.run, why });
    };
    if (walk.window >= walk.windows.length || walk.group >= walk.page.length) {
      done('end of its page');
      return undefined;
    }
    // Where the dead run exported: its windows as it cut them, from its notBefore on.
    const cut = cutOf(walk.cut);
    const engine = cut && (cut.period !== this.config.period || cut.timeZone !== this.config.timeZone) ? this.forCut(cut) : this;
    engine.store.useLock(state.lock);
    const group = walk.page[walk.group];
    const window = engine.window(walk.windows[walk.window]);
    const range = exportRange(group, window, this.clock.now(), walk.notBefore);
    if (!range) {
      next();
      return undefined;
    }
    const found = await engine.inspect(state, { group, window, range }, walk);
    // The dead run passed over groups without events in the window (its position records what it
    // checked; earlier runs' records name others), and groups it could not export (a name with a
    // dot segment, deleted since, failed), without touching them.
    const passable = async () => idleIn(group, window) || hasDotSegment(group.name)
      || (await engine.store.markers(walk.page, window)).recorded.has(group.name) || !(await this.listing.find(group.name));
    if (found === 'untouched' && !(await passable())) {
      done(`${group.name} @ ${windowId(window)} was never touched`);
      return undefined;
    }
    // The dead run's export of it still runs (a clipped one this run would not adopt as its own): the walk waits for it to end, and marks it.
    if (found === 'touched' && engine.tasks.exportOf(await this.tasks.active(), group, walk.notBefore)?.window === window.start) {
      log('INFO', "waiting for the dead run's export to end", { previousRun: walk.run, logGroupName: group.name, window: windowId(window) });
      return this.backoff(state);
    }
    next();
    return undefined;
  }

  /**
   * Whether a (group, window) was exported by a task of this exporter that has no done-marker
   * yet (its marker is written now), or was touched by a task created since `by.startedAt`.
   * With `by.reexport`, only tasks of run `by.run` count as its export.
   */
  private async inspect(state: RunState, item: Item, by: { run: string; startedAt: number; reexport: boolean; notBefore?: number }): Promise<Found> {
    const { group, window } = item;
    const listed = await this.store.markers([group], window, true);
    const marked = markersOf(listed, group.name);
    if (!by.reexport && marked.length > 0) return 'done';
    const at = await this.tasks.atDestination(this.destination(group.name, window), by.startedAt);
    const run = by.reexport ? by.run : undefined;
    // Which of the tasks is this exporter's completed export of the item (marked now if it has no marker).
    const completed = async (task: ExportTask | undefined): Promise<boolean> => {
      const origin = this.tasks.exportOf(task, group, by.notBefore);
      if (!task?.taskId || origin?.window !== window.start || task.status?.code !== 'COMPLETED' || (run !== undefined && origin.run !== run)) return false;
      if (marked.some((m) => m.taskId === task.taskId)) return true;
      await this.recordCompleted(state, task, group.name, window, task.taskId, 0, by.notBefore);
      this.forgetListings(state, window.start);
      state.stats.adopted += 1;
      count(MetricName.EXPORTS_ADOPTED);
      log('INFO', 'export found without its done-marker; marked done', { logGroupName: group.name, window: windowId(window), taskId: task.taskId });
      return true;
    };
    let done = false;
    for (const taskId of at.taskIds) done = (await completed(await this.tasks.describe(taskId))) || done;
    // Created for it since, and neither active nor with files: a completed task of a window without events writes none.
    if (!done && at.touchedSince) done = await completed(await this.tasks.completedSince(group, window, by.startedAt, by.notBefore, run));
    if (done) return 'done';
    return at.touchedSince ? 'touched' : 'untouched';
  }

  // ---------------------------------------------------------------- export tasks

  /**
   * Starts the export of an item; answers a turn result when the loop must hand back. A careful
   * run that starts the export of an item no attempt of it touched is past what they did
   * (`endsCareful`): an item an attempt passed over without an export (a deleted group) is not.
   */
  private async start(state: RunState, item: Item, deadline: number, endsCareful = false): Promise<TurnResult | undefined> {
    const { group, window, range, expectedMs } = item;
    const destinationPrefix = this.destination(group.name, window);
    try {
      const taskId = await this.tasks.create({ group: group.name, window, ...range, destinationPrefix, run: state.run, bytes: group.bytes });
      if (endsCareful && this.pastCarefulBound(state)) {
        state.careful = false;
        state.carefulPast = undefined;
        log('INFO', 'past what earlier attempts of this run did; exporting as usual', { logGroupName: group.name, window: windowId(window) });
      }
      state.active = { taskId, group: group.name, window: window.start, since: this.clock.now(), expectedMs };
      state.waited = 0;
      count(MetricName.EXPORTS_STARTED);
      log('INFO', 'export started', { logGroupName: group.name, window: windowId(window), taskId, ...range, destinationPrefix, expectedSeconds: expectedMs && expectedMs / 1000 });
      const look = firstLookMs(expectedMs);
      if (look > HAND_BACK_MS || this.clock.now() + look > deadline) {
        return this.wait(state, Math.min(this.config.maxWaitSeconds, Math.ceil(look / 1000)));
      }
      await this.meanwhile(state, look);
      return undefined;
    } catch (e) {
      switch (errorName(e)) {
        case 'LimitExceededException':
          return this.onLimitExceeded(state);
        case 'ResourceNotFoundException':
          await this.deletedBeforeExport(state, group, window);
          return undefined;
        case 'InvalidParameterException': {
          // Deleted and created again since the page was listed: the window ended before the group now there began.
          const now = await this.listing.find(group.name);
          if (now && now.created > window.end - 1) {
            await this.deletedBeforeExport(state, group, window, now.created);
            return undefined;
          }
          await this.fail(state, group, window, `CreateExportTask rejected the request: ${(e as Error).message}`);
          return undefined;
        }
        default:
          // The call may have taken effect and its answer been lost (throttled or failed after the SDK's retries):
          // like a replayed turn, confirm before exporting again (a retried turn gets the state of before anyway).
          state.careful = true;
          state.checkActive = true;
          throw e;
      }
    }
  }

  /** Whether the cursor's page comes after every group of the page an earlier attempt last recorded in the lease. */
  private pastCarefulBound(state: RunState): boolean {
    const page: Group[] = state.cursor.page ?? [];
    return state.carefulPast === undefined || page.every((g) => g.name > state.carefulPast!);
  }

  /** Another export is active: follow it when it is one of this exporter's, otherwise wait for it. */
  private async onLimitExceeded(state: RunState): Promise<TurnResult | undefined> {
    const { task: active, adopted } = await this.adoptIfOurs(state);
    if (adopted) return undefined;
    state.waited += 1;
    count(MetricName.FOREIGN_TASK_WAITS);
    log('INFO', 'another export task is active; waiting', { taskId: active?.taskId, taskName: active?.taskName });
    return this.backoff(state);
  }

  /** Follows an export task this exporter started earlier instead of starting another. */
  private adopt(state: RunState, taskId: string, group: string, window: number): void {
    state.active = { taskId, group, window, since: this.clock.now() };
    state.stats.adopted += 1;
    count(MetricName.EXPORTS_ADOPTED);
    log('INFO', 'export adopted', { logGroupName: group, window: windowId(this.window(window)), taskId });
  }

  /** Follows the task in flight until it ends or the invocation should hand back to the Wait state. */
  private async follow(state: RunState, active: Active, deadline: number): Promise<TurnResult | undefined> {
    const { pollSeconds, minWaitSeconds, maxWaitSeconds, maxAttempts } = this.config;
    const invocationStart = this.clock.now();
    const window = this.window(active.window);
    while (true) {
      const task = await this.tasks.describe(active.taskId);
      const code = task?.status?.code;
      const elapsed = this.clock.now() - active.since;
      if (code === 'COMPLETED') {
        const took = await this.recordCompleted(state, task!, active.group, window, active.taskId, elapsed);
        state.stats.exported += 1;
        count(MetricName.EXPORTS_COMPLETED);
        seconds(MetricName.EXPORT_DURATION, took / 1000);
        seconds(MetricName.EXPORT_LAG, (this.clock.now() - window.end) / 1000);
        log('INFO', 'export completed', { logGroupName: active.group, window: windowId(window), taskId: active.taskId, seconds: took / 1000 });
        this.completed(state, active);
        return undefined;
      }
      if (code === undefined || code === 'FAILED' || code === 'CANCELLED') {
        const reason = `export task ${active.taskId} ended ${code ?? 'unknown (not found)'}: ${task?.status?.message ?? ''}`.trim();
        state.active = undefined;
        if (this.cursor.isAt(state, active.group, active.window)) {
          state.attempt += 1;
          if (state.attempt >= maxAttempts) {
            await this.fail(state, { name: active.group, created: 0 }, window, `${reason} (after ${state.attempt} attempts)`);
          } else {
            state.stats.retried += 1;
            count(MetricName.EXPORTS_RETRIED);
            log('WARN', 'export failed; retrying', { logGroupName: active.group, window: windowId(window), attempt: state.attempt, reason });
          }
        }
        return undefined;
      }
      const gap = nextLookMs(elapsed, active.expectedMs);
      const polled = this.clock.now() - invocationStart;
      if (polled + gap > pollSeconds * 1000 || this.clock.now() + gap > deadline) {
        return this.wait(state, waitSeconds(elapsed, minWaitSeconds, maxWaitSeconds, active.expectedMs));
      }
      await this.meanwhile(state, gap);
    }
  }

  /** Waits `ms` for an export, preparing the next page of groups meanwhile. */
  private async meanwhile(state: RunState, ms: number): Promise<void> {
    const until = this.clock.now() + ms;
    await this.cursor.prepare(state, until);
    const left = until - this.clock.now();
    if (left > 0) await this.clock.sleep(left);
  }

  /** Writes the done-marker of a COMPLETED task; returns how long the export took (ms). */
  private async recordCompleted(state: RunState, task: ExportTask, group: string, window: Window, taskId: string, elapsedMs = 0,
    notBefore = state.notBefore): Promise<number> {
    const info = task.executionInfo;
    const took = info?.completionTime && info.creationTime ? info.completionTime - info.creationTime : elapsedMs;
    // Exported from after the window's start, the checkpoint and the group's creation: its retention had removed the rest.
    const created = state.cursor.page?.find((g) => g.name === group)?.created ?? -Infinity;
    const partial = task.from !== undefined && task.from > Math.max(window.start, notBefore ?? -Infinity, created);
    if (partial) {
      state.stats.partial += 1;
      log('WARN', "exported part of the window only: the log group's retention had removed the rest", {
        logGroupName: group, window: windowId(window), exportedFrom: new Date(task.from!).toISOString(),
      });
    }
    // The group's stored bytes when the task was created, from its name: whoever writes the marker writes the same key.
    await this.store.writeMarker(group, window, taskId, took, this.tasks.origin(task)?.storedBytes, partial, {
      from: task.from,
      to: task.to,
      destination: `s3://${task.destination}/${task.destinationPrefix}/${taskId}/`,
      run: state.run,
    });
    return took;
  }

  /**
   * A task ended well: move past its item when it is the current one; otherwise (an adopted task)
   * forget what the markers said, which may predate the marker just written.
   */
  private completed(state: RunState, active: Active): void {
    state.active = undefined;
    if (this.cursor.isAt(state, active.group, active.window)) {
      this.advance(state);
      return;
    }
    this.forgetListings(state, active.window);
  }

  /** Where the export of a group's window goes. */
  private destination(group: string, window: Window): string {
    return exportPrefix(this.config.keyPrefix, group, window, this.config.period, this.config.timeZone);
  }

  private advance(state: RunState): void {
    state.cursor.group += 1;
    state.attempt = 0;
  }

  /**
   * A (group, window) that failed after its attempts: recorded (the coverage report and a run
   * that takes over from this one read it), and passed.
   */
  private async fail(state: RunState, group: Group, window: Window, reason: string): Promise<void> {
    this.recordFailure(state, group.name, window, reason);
    await this.store.writeRecord(RecordKind.FAILED, [group], window, [group], state.run, reason);
    this.advance(state);
    state.passedSinceLease = true;
  }

  /**
   * A group found deleted (or deleted and created again at `recreatedAt`) when its window was to
   * be exported: the window is recorded as deleted before export, and the group as gone since it.
   */
  private async deletedBeforeExport(state: RunState, group: Group, window: Window, recreatedAt?: number): Promise<void> {
    const again = recreatedAt === undefined ? '' : ` and created again (${new Date(recreatedAt).toISOString()}) after the window`;
    log('WARN', `log group deleted${again} before its window was exported`, { logGroupName: group.name, window: windowId(window) });
    await this.store.writeRecord(RecordKind.DELETED, [group], window, [group], state.run, `the log group was deleted${again} before the window was exported`);
    await this.store.writeVanished(group.name, window.start, state.run, recreatedAt);
    state.stats.deleted += 1;
    this.advance(state);
  }

  private recordFailure(state: RunState, group: string, window: Window, reason: string): void {
    log('ERROR', 'export failed', { logGroupName: group, window: windowId(window), reason });
    count(MetricName.EXPORTS_FAILED);
    state.failureCount += 1;
    if (state.failures.length < MAX_FAILURES_KEPT) {
      state.failures.push({ logGroupName: group, window: new Date(window.start).toISOString(), reason });
    }
  }

  /**
   * A log group named by a backfill (or by the selection) that the listing did not return: it
   * does not exist, or the selection excludes it. A backfill fails naming it (a typo must not
   * pass for an export); a scheduled run says so in its log.
   */
  private notSelected(state: RunState, name: string): void {
    const why = 'no such log group is selected: it does not exist, or the selection excludes it';
    if (state.mode === 'backfill') {
      this.recordFailure(state, name, this.window(state.windows[0]), why);
      return;
    }
    if (state.selection.notFound.includes(name)) return;
    log('WARN', 'a log group named by the selection was not found: it does not exist in this account and region', { logGroupName: name });
    state.selection.notFoundCount += 1;
    if (state.selection.notFound.length < MAX_NAMES_KEPT) state.selection.notFound.push(name);
  }

  // ---------------------------------------------------------------- answers

  private wait(state: RunState, waitFor: number): TurnResult {
    return { status: Status.WAIT, waitSeconds: waitFor, state };
  }

  /** Waits for something this run does not own (another run's lease, another tool's export task), longer each time. */
  private backoff(state: RunState): TurnResult {
    return this.wait(state, backoffSeconds(state.waited, this.config.minWaitSeconds, this.config.maxWaitSeconds));
  }

  private async finish(state: RunState): Promise<TurnResult> {
    if (state.mode === 'scheduled') {
      // Recorded before the checkpoint moves past them: a run that dies in between records them again.
      const abandoned = await this.recordLeftBehind(state);
      const checkpointEnd = await this.advanceCheckpoint(state);
      await this.switchCutWhenCaughtUp(state, checkpointEnd, abandoned);
      await this.reportFreshness(checkpointEnd);
      this.reportCapacity(state);
      await this.reportSelection(state, abandoned);
      this.offload.report(state);
    } else {
      await this.backfilled(state);
      await this.reportFreshness();
    }
    await this.store.releaseLease(state);
    const s = state.stats;
    const summary = `exported ${s.exported} (partial ${s.partial}), without events ${s.empty}, deleted before export ${s.deleted}, ` +
      `expired before export ${s.expired}, skipped ${s.skipped}, retried ${s.retried}, adopted ${s.adopted}, failed ${state.failureCount}`;
    log(state.failureCount ? 'ERROR' : 'INFO', 'run ended', { run: state.run, summary, failures: state.failures });
    if (state.failureCount === 0) {
      return { status: Status.SUCCEEDED, waitSeconds: 0, state, summary };
    }
    const listed = state.failures.map((f) => `${f.logGroupName} @ ${f.window}: ${f.reason}`).join('; ');
    const more = state.failureCount - state.failures.length;
    const rest = more > 0 ? ` ${more} more failed than these inputs name: the handler's log names each (filter message = "export failed").` : '';
    return {
      status: Status.FAILED,
      waitSeconds: 0,
      state,
      summary,
      error: ErrorName.EXPORTS_FAILED,
      cause: (`${state.failureCount} export(s) failed after retries. To export them: redrive this execution, or start executions of this state machine ` +
        `with these inputs (what was exported is skipped; do not add reexport): ${this.retryInputs(state.failures).map((i) => JSON.stringify(i)).join(' ')}.` +
        `${rest} Failures: ${listed}`).slice(0, 32_000),
    };
  }

  /** Backfill inputs that export the failed (group, window) pairs again: one per window, naming its groups. */
  private retryInputs(failures: Failure[]): Array<{ startDate: string; endDate: string; logGroupNames: string[] }> {
    const byWindow = new Map<string, string[]>();
    for (const f of failures) {
      const label = windowLabel(this.window(Date.parse(f.window)), this.config.period, this.config.timeZone);
      byWindow.set(label, [...new Set([...(byWindow.get(label) ?? []), f.logGroupName])]);
    }
    return [...byWindow.entries()].sort().flatMap(([label, names]) => {
      const sorted = names.sort();
      const chunks = [];
      for (let i = 0; i < sorted.length; i += MAX_NAMES) {
        chunks.push({ startDate: label, endDate: label, logGroupNames: sorted.slice(i, i + MAX_NAMES) });
      }
      return chunks;
    });
  }

  private get cut(): Cut {
    return { period: this.config.period, timeZone: this.config.timeZone };
  }

  /**
   * Adds the windows this scheduled run left behind to the record of abandoned windows, and says
   * which windows it holds (each run, until a backfill exports them). Returns the record.
   */
  private async recordLeftBehind(state: RunState): Promise<AbandonedRecord> {
    let record = await this.store.abandoned();
    if (state.leftBehind) {
      const { from, to } = state.leftBehind;
      // The checkpoint is where the time left behind starts: backfilled spans before it no longer matter.
      const added = addAbandoned(record, from, to, from);
      if (JSON.stringify(added) !== JSON.stringify(record)) await this.store.writeAbandoned(added);
      record = added;
    }
    for (const a of abandonedWindows(record, this.cut)) {
      log('WARN', 'windows left behind by scheduled runs (beyond maxCatchUp) are not exported: start the exporter with these inputs to export them', {
        first: new Date(a.first).toISOString(), last: new Date(a.last).toISOString(), windows: a.windows, backfills: a.backfills,
      });
    }
    return record;
  }

  /**
   * A backfill of every selected group that ended without a failure exported its windows: they
   * are no longer abandoned, nor are they left behind by a scheduled run that starts from an older
   * checkpoint later.
   */
  private async backfilled(state: RunState): Promise<void> {
    if (state.names || state.failureCount > 0 || state.windows.length === 0) return;
    const record = await this.store.abandoned();
    const left = removeAbandoned(record, state.windows[0], this.window(state.windows[state.windows.length - 1]).end);
    if (JSON.stringify(left) === JSON.stringify(record)) return;
    await this.store.writeAbandoned(left);
    log('INFO', 'a backfill of every group: what it exported is not left behind', { windowsAbandoned: abandonedCount(left, this.cut) });
  }

  /**
   * Publishes and records what this scheduled run found about the selection: groups selected and
   * not found, groups whose retention is too short, and windows left behind.
   */
  private async reportSelection(state: RunState, abandoned: AbandonedRecord): Promise<void> {
    // A run with no settled window to export looked at no group.
    if (state.windows.length === 0) return;
    const s = state.selection;
    if (s.groups === 0) {
      log('WARN', 'the selection matched no log group: nothing was exported. Check logGroups (a prefix is matched from the start of the name: ' +
        "'/aws/lambda/', not 'aws/lambda/'), and the account and region the exporter runs in", {});
    }
    count(MetricName.GROUPS_SELECTED, s.groups);
    count(MetricName.GROUPS_NOT_FOUND, s.notFoundCount);
    count(MetricName.GROUPS_RETENTION_AT_RISK, s.atRiskCount);
    count(MetricName.WINDOWS_ABANDONED, abandonedCount(abandoned, this.cut));
    await this.store.writeFindings({
      run: state.run,
      endedAt: new Date(this.clock.now()).toISOString(),
      groupsSelected: s.groups,
      groupsNotFound: s.notFound,
      groupsNotFoundCount: s.notFoundCount,
      retentionAtRisk: s.atRisk,
      retentionAtRiskCount: s.atRiskCount,
    });
  }

  /**
   * Groups recorded in the window that ends at the checkpoint (the last one scheduled runs
   * completed) that this run recorded nothing for, in its first window or its last: deleted since,
   * deleted and created again, or no longer selected. Each deleted one is recorded as gone since
   * that window (`vanished/`), so that the coverage report counts its windows after it as deleted
   * before export, not missing (a backfill of them would fail); one still there is named in a
   * warning. Looked into in name order, as far as the turn's time allows; the next turn goes on.
   */
  private async findVanished(state: RunState, deadline: number): Promise<void> {
    const progress = (state.vanished ??= {});
    if (state.windows.length === 0 || state.previous === undefined) {
      progress.done = true;
      return;
    }
    // The window that ends at the checkpoint, as it was cut.
    const cut = cutOf(state.previousCut);
    const previous = cut ? windowAt(state.previous, cut.period, cut.timeZone) : this.window(state.previous);
    const first = this.window(state.windows[0]);
    const lastWindow = this.window(state.windows[state.windows.length - 1]);
    const recorded = (r: WindowRecords) => new Set([...r.exported.keys(), ...r.unexported.keys()]);
    const before = await (cut ? this.forCut(cut).store : this.store).windowRecords(previous);
    const inFirst = recorded(await this.store.windowRecords(first));
    const inLast = lastWindow === first ? inFirst : recorded(await this.store.windowRecords(lastWindow));
    // Gone groups are recorded once: a window of theirs holds only a `deleted` record after that.
    const seen = [...before.exported.keys(), ...[...before.unexported].filter(([, kind]) => kind !== RecordKind.DELETED).map(([name]) => name)];
    const vanished = seen.filter((n) => !(inFirst.has(n) && inLast.has(n)) && (progress.after === undefined || n > progress.after)).sort();
    for (const name of vanished) {
      if (this.clock.now() >= deadline) return;
      const found = await this.listing.find(name);
      if (found && found.created < first.end) {
        log('WARN', 'a log group recorded before is no longer selected: its windows from now on are not exported', { logGroupName: name, window: windowId(first) });
      } else {
        await this.store.writeVanished(name, previous.start, state.run, found?.created);
        log('WARN', `log group ${found ? 'deleted and created again' : 'deleted'} before windows of it were exported`, {
          logGroupName: name, lastRecorded: windowId(previous), ...(found ? { recreatedAt: new Date(found.created).toISOString() } : {}),
        });
      }
      progress.after = name;
    }
    progress.done = true;
  }

  /**
   * A scheduled run of windows cut the earlier way that leaves none of them unexported (no
   * failure, the checkpoint at the latest settled window, no window left behind that a backfill
   * has not exported) switches the exporter to the cut as deployed: the next run starts there,
   * exporting nothing before the checkpoint again.
   */
  private async switchCutWhenCaughtUp(state: RunState, checkpointEnd: number | undefined, abandoned: AbandonedRecord): Promise<void> {
    if (!this.deployed || state.failureCount > 0 || checkpointEnd === undefined) return;
    const latest = lastWindowEndedBy(this.clock.now() - this.config.settleSeconds * 1000, this.config.period, this.config.timeZone);
    if (checkpointEnd < latest.end) return;
    if (abandonedCount(abandoned, this.cut) > 0) {
      log('WARN', 'windows left behind, cut the earlier way, wait for their backfill: the deployed cut takes effect after it', {
        backfills: abandonedWindows(abandoned, this.cut).flatMap((a) => a.backfills),
      });
      return;
    }
    await this.store.switchCut(this.deployed, checkpointEnd);
    log('INFO', 'every window cut the earlier way is exported: windows are cut as deployed from the checkpoint on', {
      checkpoint: new Date(checkpointEnd).toISOString(), period: this.deployed.period, timeZone: this.deployed.timeZone,
    });
  }

  /**
   * The checkpoint moves to the end of the last window before the first window with a failure.
   * Returns the checkpoint now in effect (undefined: none yet).
   */
  private async advanceCheckpoint(state: RunState): Promise<number | undefined> {
    // A selection that matched nothing exported nothing: the windows wait for one that matches (a fixed typo).
    if (state.selection.groups === 0) return (await this.store.checkpoint())?.end;
    const failed = state.failures.map((f) => Date.parse(f.window));
    const firstFailed = state.failureCount > state.failures.length ? state.windows[0] : Math.min(...failed, Infinity);
    const complete = state.windows.filter((w) => w < firstFailed);
    const now = this.clock.now();
    if (complete.length === 0) {
      // Nothing complete: the checkpoint stays, unless it is in the future (it cannot be right): then before the first window.
      const current = (await this.store.checkpoint())?.end;
      if (current === undefined || current <= now || state.windows.length === 0) return current;
      return this.store.advanceCheckpoint(state.windows[0], now, state.run);
    }
    return this.store.advanceCheckpoint(this.window(complete[complete.length - 1]).end, now, state.run);
  }

  /**
   * Publishes how far behind the archive is: `ArchiveLag`, from the checkpoint (the end of the
   * newest window exported for every selected group) to now, and `WindowsBehind`, the settled
   * windows after it. Nothing before the first complete run.
   */
  private async reportFreshness(checkpointEnd?: number): Promise<void> {
    let end = checkpointEnd ?? (await this.store.checkpoint())?.end;
    if (end === undefined) return;
    const now = this.clock.now();
    const latest = lastWindowEndedBy(now - this.config.settleSeconds * 1000, this.config.period, this.config.timeZone);
    // A checkpoint in the future cannot be right: as far behind as a run may reach back.
    if (end > now) end = catchUpFloor(latest, this.config).start;
    let behind = 0;
    if (end <= latest.start) {
      try {
        behind = windowsBetween(end, latest.start, this.config.period, this.config.timeZone, MAX_BEHIND).length;
      } catch {
        behind = MAX_BEHIND;
      }
    }
    seconds(MetricName.ARCHIVE_LAG, Math.max(0, (now - end) / 1000));
    count(MetricName.WINDOWS_BEHIND, behind);
  }

  /**
   * How much of its windows' time a scheduled run's exports took. Exports are serial per account
   * and region: near 100%, windows are exported more slowly than they pass, and the archive falls
   * further behind every day.
   */
  private reportCapacity(state: RunState): void {
    if (state.windows.length === 0 || state.stats.exported === 0) return;
    const periodMs = periodSeconds(this.config.period) * 1000;
    const perWindowMs = (this.clock.now() - state.startedAt) / state.windows.length;
    const used = (perWindowMs / periodMs) * 100;
    percent(MetricName.CAPACITY_USED, used);
    if (used >= CAPACITY_WARNING * 100) {
      const fit = Math.floor((state.stats.exported / state.windows.length) * ((CAPACITY_WARNING * periodMs) / perWindowMs));
      log('WARN', `exporting one window took ${(perWindowMs / 3_600_000).toFixed(1)} h of the ${periodMs / 3_600_000} h a window lasts: ` +
        `at this pace about ${fit} log groups fit, and this exporter has more; split the selection across accounts or regions, ` +
        'export longer windows, or leave out idle log groups', { capacityUsedPercent: Math.round(used), exportedPerWindow: state.stats.exported / state.windows.length, fit });
    }
  }
}
