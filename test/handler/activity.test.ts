/**
 * When a window is known to hold no event, from what DescribeLogStreams said, and how the checks
 * are paced.
 */
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, DescribeLogStreamsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { ActivityChecks, CHECK_GAP_MS, LAST_EVENT_LAG_MS, asksIncomingBytes, busyInEach, idleIn, incomingBytesQueries, needsCheck } from '../../src/handler/activity';
import { awsError } from '../harness/fakes';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const window = { start: Date.parse('2026-11-24T00:00:00Z'), end: Date.parse('2026-11-25T00:00:00Z') };
const group = (lastEvent: number | null | undefined, checkedAt?: number) => ({ name: 'g', created: 0, lastEvent, checkedAt });

describe('idleIn', () => {
  test('only a group checked at least an hour after the window ended, whose newest event is before the window (or none)', () => {
    const late = window.end + LAST_EVENT_LAG_MS;
    expect([
      idleIn(group(window.start - 1, late), window),
      idleIn(group(null, late), window),
      // Its newest event is in the window, or after it.
      idleIn(group(window.start, late), window),
      idleIn(group(window.end + HOUR, late), window),
      // Checked too early: the newest event time may not show the window's events yet.
      idleIn(group(null, late - 1), window),
      idleIn(group(window.start - 1, window.end), window),
      // Not checked.
      idleIn(group(undefined, late), window),
      idleIn(group(null, undefined), window),
    ]).toEqual([true, true, false, false, false, false, false, false]);
  });
});

test('needsCheck: not when the stored bytes grew since the export of the window before recorded them', () => {
  const g = (bytes?: number) => ({ name: 'g', created: 0, bytes });
  expect([needsCheck(g(2), 1), needsCheck(g(1), 1), needsCheck(g(0), 1), needsCheck(g(2), undefined), needsCheck(g(), 1)])
    .toEqual([false, true, true, true, true]);
});

test('asksIncomingBytes: only a group with a retention, exported in the window before, whose stored bytes did not grow', () => {
  const g = (bytes: number, retentionDays?: number) => ({ name: 'g', created: 0, bytes, retentionDays });
  const cases: Array<[number, number | undefined, number | undefined]> = [[1, 7, 1], [0, 7, 1], [2, 7, 1], [1, 7, undefined], [1, undefined, 1]];
  expect(cases.map(([bytes, retentionDays, before]) => asksIncomingBytes(g(bytes, retentionDays), before)))
    .toEqual([true, true, false, false, false]);
});

test("incomingBytesQueries: each group's hourly IncomingBytes sums, one metric per group", () => {
  const queries = incomingBytesQueries(['/a', '/b']);
  const shown = queries.map(({ Id, MetricStat: m }) => [Id, m!.Metric!.Namespace, m!.Metric!.MetricName, m!.Metric!.Dimensions, m!.Period, m!.Stat]);
  expect(shown).toEqual([
    ['g0', 'AWS/Logs', 'IncomingBytes', [{ Name: 'LogGroupName', Value: '/a' }], 3600, 'Sum'],
    ['g1', 'AWS/Logs', 'IncomingBytes', [{ Name: 'LogGroupName', Value: '/b' }], 3600, 'Sum'],
  ]);
});

test('busyInEach: an hour with data must overlap each window (hours and windows need not align)', () => {
  const days = [window, { start: window.end, end: window.end + DAY }];
  expect([
    busyInEach([window.start, window.end + 5 * HOUR], days),
    busyInEach([window.start], days),
    // Half-hour offsets: the hour from 23:30 overlaps both days.
    busyInEach([window.end - HOUR / 2], days),
    busyInEach([window.end - HOUR], days),
    busyInEach([], [window]),
  ]).toEqual([true, false, true, false, false]);
});

describe('ActivityChecks.tookIn', () => {
  const cloudWatch = mockClient(CloudWatchClient);
  let now = 0;
  const clock = { now: () => now, sleep: async (ms: number) => { now += ms; } };
  const checks = () => new ActivityChecks(new CloudWatchLogsClient({}), new CloudWatchClient({}), clock);
  const days = (n: number) => Array.from({ length: n }, (_, d) => ({ start: window.start + d * DAY, end: window.end + d * DAY }));
  const asked = () => cloudWatch.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input);
  beforeEach(() => {
    cloudWatch.reset();
    now = window.end + 12 * HOUR;
  });

  /** Answers as CloudWatch would for groups busy in the given hours (ms), `pageSize` datapoints a page. */
  function answer(busyHours: (name: string) => number[], pageSize = Infinity): void {
    cloudWatch.on(GetMetricDataCommand).callsFake((input) => {
      const all = input.MetricDataQueries.flatMap((q: any) => busyHours(q.MetricStat.Metric.Dimensions[0].Value)
        .filter((t) => t >= input.StartTime.getTime() && t < input.EndTime.getTime()).map((t) => [q.Id, t]));
      const skip = Number(input.NextToken ?? 0);
      const page = all.slice(skip, skip + pageSize);
      const results = input.MetricDataQueries.map((q: any) => {
        const mine = page.filter(([id]: [string]) => id === q.Id);
        return { Id: q.Id, Timestamps: mine.map(([, t]: [string, number]) => new Date(t)), Values: mine.map(() => 7) };
      });
      return { MetricDataResults: results, NextToken: skip + pageSize < all.length ? String(skip + pageSize) : undefined };
    });
  }

  test('one metric per group over the span of the run, as few calls as the limits allow, every page of datapoints read', async () => {
    const names = Array.from({ length: 1201 }, (_, i) => `/g/${i}`);
    // A third of the groups busy every day, a third on the first day only, a third never.
    const index = (n: string) => Number(n.split('/')[2]);
    answer((n) => (index(n) % 3 === 0 ? [0, 1, 2].map((d) => window.start + d * DAY + 5 * HOUR) : index(n) % 3 === 1 ? [window.start] : []), 400);
    const found = await checks().tookIn(names, days(3), Infinity);
    expect([...found!].sort()).toEqual(names.filter((n) => index(n) % 3 === 0).sort());
    // 72 hourly datapoints a group at most: 500 groups a call (100,800 datapoints at most).
    const calls = asked();
    expect(calls.map((c) => [c.MetricDataQueries!.length, c.NextToken !== undefined])).toEqual([
      [500, false], [500, true], [500, false], [500, true], [201, false],
    ]);
    expect(calls.every((c) => c.StartTime!.getTime() === window.start && c.EndTime!.getTime() === window.start + 3 * DAY)).toBe(true);
  });

  test('a 31-day catch-up: as many groups a call as 100,800 hourly datapoints allow; a longer span is not asked', async () => {
    answer(() => []);
    await checks().tookIn(Array.from({ length: 300 }, (_, i) => `/g/${i}`), days(31), Infinity);
    expect(asked().map((c) => c.MetricDataQueries!.length)).toEqual([135, 135, 30]);
    expect(await checks().tookIn(['/a'], days(32), Infinity)).toEqual(new Set());
    expect(asked()).toHaveLength(3);
  });

  test('the deadline: no call starts after it; the groups not asked by then are not said busy (they are checked)', async () => {
    answer(() => [window.start]);
    expect(await checks().tookIn(['/a'], days(1), now)).toEqual(new Set());
    expect(asked()).toHaveLength(0);
    expect(await checks().tookIn(['/a'], days(1), now + 1)).toEqual(new Set(['/a']));
    // 300 groups busy over 31 days take 3 calls; each takes 10 s, and the deadline comes after the second starts.
    cloudWatch.reset();
    cloudWatch.on(GetMetricDataCommand).callsFake(async (input) => {
      now += 10_000;
      const everyDay = { Timestamps: days(31).map((d) => new Date(d.start)), Values: days(31).map(() => 1) };
      return { MetricDataResults: input.MetricDataQueries.map((q: any) => ({ Id: q.Id, ...everyDay })) };
    });
    const names = Array.from({ length: 300 }, (_, i) => `/g/${i}`);
    expect(await checks().tookIn(names, days(31), now + 15_000)).toEqual(new Set(names.slice(0, 270)));
    expect(asked()).toHaveLength(2);
  });

  test('a failed call: no group is said to have taken in data, and the metric is not asked for an hour (a clock set back ends the pause)', async () => {
    let fail: string | undefined = 'AccessDeniedException';
    cloudWatch.on(GetMetricDataCommand).callsFake(() => {
      if (fail) throw awsError(fail, 'no');
      return { MetricDataResults: [{ Id: 'g0', Timestamps: [new Date(window.start)], Values: [1] }] };
    });
    const c = checks();
    const tookIn = async (names: string[]) => [...(await c.tookIn(names, [window], Infinity))!];
    expect(await tookIn(['/a'])).toEqual([]);
    fail = undefined;
    now += HOUR - 1;
    expect(await tookIn(['/a'])).toEqual([]);
    expect(asked()).toHaveLength(1);
    now += 1;
    expect(await tookIn(['/a'])).toEqual(['/a']);
    // Nothing to ask, no call.
    expect(await tookIn([])).toEqual([]);
    expect(asked()).toHaveLength(2);
    // Failed again, then the clock is set back 2 hours: asked at once.
    fail = 'ThrottlingException';
    expect(await tookIn(['/a'])).toEqual([]);
    fail = undefined;
    now -= 2 * HOUR;
    expect(await tookIn(['/a'])).toEqual(['/a']);
  });
});

describe('ActivityChecks', () => {
  const logs = mockClient(CloudWatchLogsClient);
  let now = 0;
  const clock = { now: () => now, sleep: async (ms: number) => { now += ms; } };
  beforeEach(() => {
    logs.reset();
    now = 1_000_000;
  });

  test('the newest stream gives the newest event; none for a group without streams; unknown (or deleted) means up to now', async () => {
    logs.on(DescribeLogStreamsCommand, { logGroupName: 'a' }).resolves({ logStreams: [{ lastEventTimestamp: 5 }] })
      .on(DescribeLogStreamsCommand, { logGroupName: 'b' }).resolves({ logStreams: [] })
      .on(DescribeLogStreamsCommand, { logGroupName: 'c' }).rejects(awsError('ResourceNotFoundException', 'gone'))
      .on(DescribeLogStreamsCommand, { logGroupName: 'd' }).resolves({ logStreams: [{ logStreamName: 'new' }] });
    const checks = new ActivityChecks(new CloudWatchLogsClient({}), new CloudWatchClient({}), clock);
    const found = [];
    for (const name of ['a', 'b', 'c', 'd']) {
      const { lastEvent, checkedAt } = (await checks.newestEvent(name, Infinity))!;
      found.push(lastEvent === checkedAt ? 'when checked' : lastEvent);
    }
    expect(found).toEqual([5, null, 'when checked', 'when checked']);
    expect(logs.commandCalls(DescribeLogStreamsCommand)[0].args[0].input).toEqual({ logGroupName: 'a', orderBy: 'LastEventTime', descending: true, limit: 1 });
  });

  test('paced at 4 a second; throttled, it waits longer and goes on; it hands back before the deadline', async () => {
    let calls = 0;
    logs.on(DescribeLogStreamsCommand).callsFake(async () => {
      calls += 1;
      if (calls === 3 || calls === 4) throw awsError('ThrottlingException', 'Rate exceeded');
      return { logStreams: [] };
    });
    const checks = new ActivityChecks(new CloudWatchLogsClient({}), new CloudWatchClient({}), clock);
    const times: number[] = [];
    for (const name of ['a', 'b', 'c']) times.push((await checks.newestEvent(name, Infinity))!.checkedAt);
    // b a gap after a; c's first call a gap after b is throttled, and so is the next, each doubling the gap.
    expect(times.map((t) => t - times[0])).toEqual([0, CHECK_GAP_MS, CHECK_GAP_MS * (1 + 1 + 2 + 4)]);
    expect(checks.throttled).toBe(2);
    // The next call would start after the deadline: nothing is asked.
    expect(await checks.newestEvent('d', now + 1)).toBeUndefined();
    expect(calls).toBe(5);
    await expect(new ActivityChecks(new CloudWatchLogsClient({}), new CloudWatchClient({}), clock).newestEvent('x', Infinity)).resolves.toBeDefined();
  });

  test('other errors are not swallowed', async () => {
    logs.on(DescribeLogStreamsCommand).rejects(awsError('AccessDeniedException', 'not allowed'));
    await expect(new ActivityChecks(new CloudWatchLogsClient({}), new CloudWatchClient({}), clock).newestEvent('a', Infinity)).rejects.toThrow('not allowed');
  });
});
