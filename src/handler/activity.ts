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
 * export of the window before (its stored bytes grew) is exported without a check.
 */
import { CloudWatchLogsClient, DescribeLogStreamsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { Group } from './run-state';
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

const THROTTLING = ['ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded', 'ServiceUnavailableException'];

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
 * DescribeLogStreams, paced to stay within the account's quota: a gap between calls that doubles
 * when a call is throttled and shrinks back as calls go through.
 */
export class ActivityChecks {
  private lastCall = -Infinity;
  private gap = CHECK_GAP_MS;
  /** Calls throttled so far. */
  throttled = 0;

  constructor(private readonly logs: CloudWatchLogsClient, private readonly clock: { now(): number; sleep(ms: number): Promise<void> }) {}

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
        const name = (e as { name?: string }).name ?? '';
        if (name === 'ResourceNotFoundException') return { lastEvent: checkedAt, checkedAt };
        if (!THROTTLING.includes(name)) throw e;
        this.throttled += 1;
        this.gap = Math.min(MAX_GAP_MS, this.gap * 2);
      }
    }
  }
}
