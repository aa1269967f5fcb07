/**
 * Whether a log group had any event in a window, known without exporting it.
 *
 * DescribeLogStreams, ordered by last event time, newest first, with a limit of 1, gives the
 * group's newest event (`lastEventTimestamp`); a window that starts after it holds no event.
 * AWS updates `lastEventTimestamp` on an eventual-consistency basis, typically within an hour of
 * ingestion, so a check says nothing about a window that ended less than an hour before it: such
 * a window is exported, not skipped. With the default settle time (12 hours) every check is made
 * long after that hour. A window is skipped only on that evidence: when in doubt, it is exported.
 *
 * One check per group per run covers all the run's windows. A group that took in data since the
 * export of the window before (its stored bytes grew) is exported without a check. So is a group
 * with a retention that was exported in the window before and whose `IncomingBytes` metric (one
 * metric per group and run, read hourly) shows data taken in during each of the run's windows: its
 * retention removes old events as new ones arrive, so its stored bytes may not grow while it takes
 * in data. Neither signal ever skips a window: at worst a group that took in nothing is exported,
 * and its export is recorded empty.
 */
import { CloudWatchClient, GetMetricDataCommand, MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, DescribeLogStreamsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { errorName, isThrottling } from './bucket-access';
import { Group } from './run-state';
import { log } from './telemetry';
import { Window } from '../shared/windows';

/** How long `lastEventTimestamp` may lag ingestion (as AWS documents it: typically within an hour). */
export const LAST_EVENT_LAG_MS = 3_600_000;

/**
 * Gap between two DescribeLogStreams calls. The account's quota is 5 requests per second (the
 * API reference); 4 leaves room for other tools in the account.
 */
export const CHECK_GAP_MS = 250;
/** The gap doubles after each throttled call (other tools use the quota too), up to this. */
const MAX_GAP_MS = 8_000;

/** What DescribeLogStreams said about a group. */
interface Activity {
  /** The newest event it knew of (ms); null: the group has no event. */
  readonly lastEvent: number | null;
  /** When it was asked (ms). */
  readonly checkedAt: number;
}

/** Whether the group certainly had no event in the window: checked, late enough, and its newest event is older. */
export function idleIn(group: Group, window: Window): boolean {
  const { lastEvent, checkedAt } = group;
  if (lastEvent === undefined || checkedAt === undefined) return false;
  if (checkedAt - window.end < LAST_EVENT_LAG_MS) return false;
  return lastEvent === null || lastEvent < window.start;
}

/**
 * Whether a group needs a check: not when its stored bytes grew since the export of the window
 * before (`bytesBefore`, from that export's done-marker): it took in data, and is exported.
 */
export function needsCheck(group: Group, bytesBefore: number | undefined): boolean {
  return !(bytesBefore !== undefined && group.bytes !== undefined && group.bytes > bytesBefore);
}

/**
 * Whether the `IncomingBytes` metric is asked before a check: for a group that needs one, was
 * exported in the window before (`bytesBefore` known) and has a retention. Without a retention,
 * stored bytes that did not grow mean no data came in; a group not exported in the window before
 * was most likely idle: both are checked without asking.
 */
export function asksIncomingBytes(group: Group, bytesBefore: number | undefined): boolean {
  return bytesBefore !== undefined && group.retentionDays !== undefined && needsCheck(group, bytesBefore);
}

/** Queries of one GetMetricData call, and datapoints it returns at most (as documented). */
const QUERIES_PER_CALL = 500;
const DATAPOINTS_PER_CALL = 100_800;
/** The metric's period: hourly datapoints are kept 455 days, and any start time takes them. */
const HOUR_MS = 3_600_000;
/** A run whose windows span more than this (a long catch-up or backfill) checks its groups instead. */
export const MAX_METRIC_SPAN_MS = 31 * 86_400_000;
/** After GetMetricData failed, how long the checks go on without it. */
const METRIC_PAUSE_MS = 3_600_000;

/** The GetMetricData queries of the groups' hourly `IncomingBytes` sums: one metric per group. */
export function incomingBytesQueries(names: string[]): MetricDataQuery[] {
  return names.map((name, i) => ({
    Id: `g${i}`,
    MetricStat: {
      Metric: { Namespace: 'AWS/Logs', MetricName: 'IncomingBytes', Dimensions: [{ Name: 'LogGroupName', Value: name }] },
      Period: HOUR_MS / 1000,
      Stat: 'Sum',
    },
    ReturnData: true,
  }));
}

/**
 * Whether hours with data taken in (the start of each hourly datapoint with bytes) meet every
 * window: an hour that overlaps a window counts for it (hours and windows need not align).
 */
export function busyInEach(hours: number[], windows: Window[]): boolean {
  return windows.every((w) => hours.some((h) => h < w.end && h + HOUR_MS > w.start));
}

/**
 * DescribeLogStreams, paced to stay within the account's quota: a gap between calls that doubles
 * when a call is throttled and shrinks back as calls go through.
 */
export class ActivityChecks {
  private lastCall = -Infinity;
  private gap = CHECK_GAP_MS;
  /** Calls throttled so far. */
  throttled = 0;

  /** When GetMetricData last failed. */
  private metricFailedAt = -Infinity;

  constructor(
    private readonly logs: CloudWatchLogsClient,
    private readonly cloudWatch: CloudWatchClient,
    private readonly clock: { now(): number; sleep(ms: number): Promise<void> },
  ) {}

  /**
   * The groups whose `IncomingBytes` metric shows data taken in during each of the windows (a
   * group idle in one of them is checked, so that the check can skip that window): hourly sums
   * over the windows' span, one metric per group, in as few GetMetricData calls as the API's
   * limits allow (one per page of groups for a day's windows). Runs spanning more than
   * `MAX_METRIC_SPAN_MS` are not asked. No call starts after `deadline`: the groups not asked by
   * then are checked (the checks go on where they stopped, turn after turn; asking again would
   * start over). A call that fails (denied, throttled past the SDK's retries) is a warning, and no
   * group is said to have taken in data: they are checked. After a failure, the metric is not
   * asked again for an hour.
   */
  async tookIn(names: string[], windows: Window[], deadline: number): Promise<Set<string>> {
    const busy = new Set<string>();
    const now = this.clock.now();
    // (A clock set back ends the pause: it must not stretch it.)
    const paused = now >= this.metricFailedAt && now - this.metricFailedAt < METRIC_PAUSE_MS;
    if (names.length === 0 || windows.length === 0 || paused) return busy;
    const start = Math.min(...windows.map((w) => w.start));
    const end = Math.max(...windows.map((w) => w.end));
    if (end - start > MAX_METRIC_SPAN_MS) return busy;
    const perCall = Math.max(1, Math.min(QUERIES_PER_CALL, Math.floor(DATAPOINTS_PER_CALL / Math.ceil((end - start) / HOUR_MS))));
    try {
      for (let from = 0; from < names.length; from += perCall) {
        if (this.clock.now() >= deadline) break;
        const chunk = names.slice(from, from + perCall);
        const hours = await this.busyHours(chunk, start, end);
        for (const name of chunk) if (busyInEach(hours.get(name) ?? [], windows)) busy.add(name);
      }
    } catch (e) {
      this.metricFailedAt = this.clock.now();
      log('WARN', "reading the log groups' IncomingBytes metric failed: they are checked with DescribeLogStreams instead, for an hour", {
        error: (e as Error).message,
      });
      return new Set();
    }
    return busy;
  }

  /** Of (a call's worth of) groups, the hours in [start, end) in which each took in data. */
  private async busyHours(names: string[], start: number, end: number): Promise<Map<string, number[]>> {
    const hours = new Map<string, number[]>();
    let NextToken: string | undefined;
    do {
      const res = await this.cloudWatch.send(new GetMetricDataCommand({
        MetricDataQueries: incomingBytesQueries(names),
        StartTime: new Date(start),
        EndTime: new Date(end),
        NextToken,
      }));
      for (const r of res.MetricDataResults ?? []) {
        const name = names[Number(r.Id?.slice(1))];
        if (name === undefined) continue;
        const values = r.Values ?? [];
        const found = (r.Timestamps ?? []).flatMap((t, i) => ((values[i] ?? 0) > 0 ? [t.getTime()] : []));
        hours.set(name, [...(hours.get(name) ?? []), ...found]);
      }
      NextToken = res.NextToken;
    } while (NextToken);
    return hours;
  }

  /**
   * The group's newest event; undefined when the next call would start after `deadline` (the
   * caller hands back and goes on later). Throttling never fails it. A group deleted since it was
   * listed may have had events: it is said to have some up to now, so that its export is tried
   * (and it is skipped as deleted, not recorded as empty).
   */
  async newestEvent(logGroupName: string, deadline: number): Promise<Activity | undefined> {
    while (true) {
      // (At most one gap: a clock set back must not stall the checks.)
      const wait = Math.max(0, Math.min(this.gap, this.lastCall + this.gap - this.clock.now()));
      if (this.clock.now() + wait >= deadline) return undefined;
      if (wait > 0) await this.clock.sleep(wait);
      const checkedAt = this.clock.now();
      this.lastCall = checkedAt;
      try {
        const res = await this.logs.send(new DescribeLogStreamsCommand({ logGroupName, orderBy: 'LastEventTime', descending: true, limit: 1 }));
        this.gap = Math.max(CHECK_GAP_MS, Math.round(this.gap * 0.8));
        const newest = res.logStreams?.[0];
        if (!newest) return { lastEvent: null, checkedAt };
        // A stream without a last event time yet may hold events of any time up to now.
        return { lastEvent: newest.lastEventTimestamp ?? checkedAt, checkedAt };
      } catch (e) {
        if (errorName(e) === 'ResourceNotFoundException') return { lastEvent: checkedAt, checkedAt };
        if (!isThrottling(e)) throw e;
        this.throttled += 1;
        this.gap = Math.min(MAX_GAP_MS, this.gap * 2);
      }
    }
  }
}
