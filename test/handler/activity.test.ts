/**
 * When a window is known to hold no event, from what DescribeLogStreams said, and how the checks
 * are paced.
 */
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, DescribeLogStreamsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { ActivityChecks, CHECK_GAP_MS, LAST_EVENT_LAG_MS, MAX_METRIC_WINDOWS, asksIncomingBytes, idleIn, incomingBytesQueries, needsCheck } from '../../src/handler/activity';
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

test("incomingBytesQueries: each group's IncomingBytes sum over the window, in whole hours", () => {
  const queries = incomingBytesQueries(['/a', '/b'], { start: window.start, end: window.end + HOUR + 1 });
  const shown = queries.map(({ Id, MetricStat: m }) => [Id, m!.Metric!.Dimensions, m!.Period, m!.Stat, m!.Metric!.MetricName]);
  expect(shown).toEqual([
    ['g0', [{ Name: 'LogGroupName', Value: '/a' }], 26 * 3600, 'Sum', 'IncomingBytes'],
    ['g1', [{ Name: 'LogGroupName', Value: '/b' }], 26 * 3600, 'Sum', 'IncomingBytes'],
  ]);
  expect(queries.every((q) => q.MetricStat!.Metric!.Namespace === 'AWS/Logs')).toBe(true);
});

describe('ActivityChecks.tookIn', () => {
  const cloudWatch = mockClient(CloudWatchClient);
  let now = 0;
  const clock = { now: () => now, sleep: async (ms: number) => { now += ms; } };
  const checks = () => new ActivityChecks(new CloudWatchLogsClient({}), new CloudWatchClient({}), clock);
  const names = Array.from({ length: 1201 }, (_, i) => `/g/${i}`);
  beforeEach(() => {
    cloudWatch.reset();
    now = window.end + 12 * HOUR;
  });

  test('the groups with bytes taken in: 500 queries a call, every page of datapoints read', async () => {
    cloudWatch.on(GetMetricDataCommand).callsFake((input) => {
      const values = (id: string) => (Number(id.slice(1)) % 3 === 0 ? [0, 5] : Number(id.slice(1)) % 3 === 1 ? [0] : []);
      const results = input.MetricDataQueries.map((q: { Id: string }) => ({ Id: q.Id, Values: input.NextToken ? [] : values(q.Id) }));
      return { MetricDataResults: results, NextToken: input.NextToken ? undefined : 'more' };
    });
    const found = await checks().tookIn(names, [window]);
    const calls = cloudWatch.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => [c.MetricDataQueries!.length, c.NextToken])).toEqual([[500, undefined], [500, 'more'], [500, undefined], [500, 'more'], [201, undefined], [201, 'more']]);
    expect(calls.every((c) => c.StartTime!.getTime() === window.start && c.EndTime!.getTime() === window.end)).toBe(true);
    const expected = names.filter((_, i) => (i % 500) % 3 === 0);
    expect([...found].sort()).toEqual(expected.sort());
  });

  test('several windows: busy in each of them, asked window by window for the groups busy so far; a long catch-up is not asked', async () => {
    const days = [0, 1, 2].map((d) => ({ start: window.start + d * DAY, end: window.end + d * DAY }));
    // /a is busy every day, /b on the first day only, /c never.
    const busy: Record<string, number[]> = { '/a': [0, 1, 2], '/b': [0], '/c': [] };
    cloudWatch.on(GetMetricDataCommand).callsFake((input) => {
      const day = days.findIndex((d) => d.start === input.StartTime.getTime() && d.end === input.EndTime.getTime());
      return {
        MetricDataResults: input.MetricDataQueries.map((q: any) => ({
          Id: q.Id,
          Values: busy[q.MetricStat.Metric.Dimensions[0].Value].includes(day) ? [7] : [],
        })),
      };
    });
    expect([...await checks().tookIn(['/a', '/b', '/c'], days)]).toEqual(['/a']);
    const asked = cloudWatch.commandCalls(GetMetricDataCommand)
      .map((c) => c.args[0].input.MetricDataQueries!.map((q) => q.MetricStat!.Metric!.Dimensions![0].Value));
    expect(asked).toEqual([['/a', '/b', '/c'], ['/a', '/b'], ['/a']]);
    const long = Array.from({ length: MAX_METRIC_WINDOWS + 1 }, (_, d) => ({ start: window.start + d * DAY, end: window.end + d * DAY }));
    expect([...await checks().tookIn(['/a'], long)]).toEqual([]);
    expect(cloudWatch.commandCalls(GetMetricDataCommand)).toHaveLength(3);
  });

  test('a failed call: no group is said to have taken in data, and the metric is not asked for an hour (a clock set back ends the pause)', async () => {
    let fail: string | undefined = 'AccessDeniedException';
    cloudWatch.on(GetMetricDataCommand).callsFake(() => {
      if (fail) throw awsError(fail, 'no');
      return { MetricDataResults: [{ Id: 'g0', Values: [1] }] };
    });
    const c = checks();
    expect([...await c.tookIn(['/a'], [window])]).toEqual([]);
    fail = undefined;
    now += HOUR - 1;
    expect([...await c.tookIn(['/a'], [window])]).toEqual([]);
    expect(cloudWatch.commandCalls(GetMetricDataCommand)).toHaveLength(1);
    now += 1;
    expect([...await c.tookIn(['/a'], [window])]).toEqual(['/a']);
    // Nothing to ask, no call.
    expect([...await c.tookIn([], [window])]).toEqual([]);
    expect(cloudWatch.commandCalls(GetMetricDataCommand)).toHaveLength(2);
    // Failed again, then the clock is set back 2 hours: asked at once.
    fail = 'ThrottlingException';
    expect([...await c.tookIn(['/a'], [window])]).toEqual([]);
    fail = undefined;
    now -= 2 * HOUR;
    expect([...await c.tookIn(['/a'], [window])]).toEqual(['/a']);
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
