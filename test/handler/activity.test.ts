/**
 * When a window is known to hold no event, from what DescribeLogStreams said, and how the checks
 * are paced.
 */
import { CloudWatchLogsClient, DescribeLogStreamsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { ActivityChecks, CHECK_GAP_MS, LAST_EVENT_LAG_MS, idleIn, needsCheck } from '../../src/handler/activity';
import { awsError } from '../harness/fakes';

const HOUR = 3_600_000;
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
    const checks = new ActivityChecks(new CloudWatchLogsClient({}), clock);
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
    const checks = new ActivityChecks(new CloudWatchLogsClient({}), clock);
    const times: number[] = [];
    for (const name of ['a', 'b', 'c']) times.push((await checks.newestEvent(name, Infinity))!.checkedAt);
    // b a gap after a; c's first call a gap after b is throttled, and so is the next, each doubling the gap.
    expect(times.map((t) => t - times[0])).toEqual([0, CHECK_GAP_MS, CHECK_GAP_MS * (1 + 1 + 2 + 4)]);
    expect(checks.throttled).toBe(2);
    // The next call would start after the deadline: nothing is asked.
    expect(await checks.newestEvent('d', now + 1)).toBeUndefined();
    expect(calls).toBe(5);
    await expect(new ActivityChecks(new CloudWatchLogsClient({}), clock).newestEvent('x', Infinity)).resolves.toBeDefined();
  });

  test('other errors are not swallowed', async () => {
    logs.on(DescribeLogStreamsCommand).rejects(awsError('AccessDeniedException', 'not allowed'));
    await expect(new ActivityChecks(new CloudWatchLogsClient({}), clock).newestEvent('a', Infinity)).rejects.toThrow('not allowed');
  });
});
