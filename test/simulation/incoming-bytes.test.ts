/**
 * Groups with a retention: expiry removes old events as new ones arrive, so their stored bytes
 * do not tell whether they took in data. The IncomingBytes metric (CloudWatch GetMetricData, one
 * call per page) does, and spares the DescribeLogStreams check of each active group. The
 * synthesized state machine with the real handler, day after day, on the fakes.
 */
import { Duration } from 'aws-cdk-lib';
import { LogGroupSelection } from '../../src';
import { logger } from '../../src/handler/telemetry';
import { Call, KillPoint, awsError } from '../harness/fakes';
import { InvocationInfo } from '../harness/loop';
import { DAY, FIRST_WINDOW, START, days as offloadDays, iso, offloadWorld, retention } from '../harness/offload';
import { last } from '../harness/rules';
import { World, completedInto, recordedEmpty, world } from '../harness/world';

let w: World;
afterEach(() => w?.restore());

/** The window the run of day `d` exports (a daily window, settled 12 hours). */
const windowOf = (d: number) => ({ start: FIRST_WINDOW + d * DAY, end: FIRST_WINDOW + (d + 1) * DAY });
const exported = (x: World, g: string, d: number) => completedInto(x, x.synthesized.bucket).get(`${g}|${windowOf(d).start}|${windowOf(d).end - 1}`) ?? 0;

/**
 * Runs the schedule's run of days `0..to`; returns, by day, the DescribeLogStreams and
 * GetMetricData calls of that day's run.
 */
async function daily(x: World, to: number, options: Parameters<World['loop']['run']>[2] = {}): Promise<Array<[number, number]>> {
  const calls: Array<[number, number]> = [];
  for (let d = 0; d <= to; d++) {
    x.clock.now = START + d * DAY;
    const [checks, queries] = [x.logs.calls.DescribeLogStreams ?? 0, x.logs.calls.GetMetricData ?? 0];
    const chain = await x.loop.run({ scheduledTime: iso(x.clock.now) }, `day-${d}`, options);
    expect([d, last(chain).status]).toEqual([d, 'SUCCEEDED']);
    calls.push([(x.logs.calls.DescribeLogStreams ?? 0) - checks, (x.logs.calls.GetMetricData ?? 0) - queries]);
  }
  return calls;
}

/** A group kept 7 days: events from long before, none in the windows of days 5 to 7, again from 06:00 in window 8. */
function keptWorld(): World {
  const x = world({ now: START });
  x.logs.addGroup('/app/kept', FIRST_WINDOW - 30 * DAY, 7, { eventsUntil: windowOf(5).start - 60_000, eventsAgainFrom: windowOf(8).start + 6 * 3_600_000 });
  // Without a retention: its stored bytes grow while it takes in data.
  x.logs.addGroup('/app/plain', FIRST_WINDOW - 30 * DAY);
  return x;
}

test('a group with a retention, day after day: no check while the metric shows data; checked and recorded empty when idle; every window once', async () => {
  w = keptWorld();
  const calls = await daily(w, 10);
  expect(calls).toEqual([
    // Day 0: nothing exported before: both checked.
    [2, 0],
    // Days 1-4: /app/kept's stored bytes stay the same (7 days), the metric shows data: exported unchecked.
    [0, 1], [0, 1], [0, 1], [0, 1],
    // Day 5: the metric shows nothing: checked, and found idle. Day 6: not exported the day before: checked, idle.
    [1, 1], [1, 0],
    // Day 7: checked; the group took in events again before the run, so its newest event cannot tell that window 7 had
    // none: exported (no file). Days 8-9: exported unchecked.
    [1, 0], [0, 1], [0, 1],
    // Day 10: its stored bytes grew (the idle days have expired): no metric asked.
    [0, 0],
  ]);
  const active = [0, 1, 2, 3, 4, 7, 8, 9, 10];
  expect(Array.from({ length: 11 }, (_, d) => exported(w, '/app/kept', d))).toEqual(Array.from({ length: 11 }, (_, d) => (active.includes(d) ? 1 : 0)));
  expect([5, 6].map((d) => recordedEmpty(w, windowOf(d)).has('/app/kept'))).toEqual([true, true]);
  expect(Array.from({ length: 11 }, (_, d) => exported(w, '/app/plain', d))).toEqual(Array(11).fill(1));
  expect(w.logs.tasks).toHaveLength(active.length + 11);
});

test('GetMetricData refused: every such group is checked as before, with a warning, and nothing is exported twice or missed', async () => {
  w = keptWorld();
  const asked: number[] = [];
  const refused = () => (c: { op: string }) => {
    if (c.op !== 'GetMetricData') return undefined;
    asked.push(Math.floor((w.clock.now - START) / DAY));
    return { error: awsError('AccessDeniedException', 'not authorized to perform: cloudwatch:GetMetricData') };
  };
  const warn = jest.spyOn(logger, 'warn');
  const calls = await daily(w, 10, { kill: refused });
  // Asked on the days it would be, and refused: /app/kept is checked every day but the last (its bytes grew); /app/plain on day 0 only.
  expect(calls.map(([checks]) => checks)).toEqual([2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]);
  expect(asked).toEqual([1, 2, 3, 4, 5, 8, 9]);
  expect(warn.mock.calls.filter(([m]) => String(m).includes('IncomingBytes')).length).toBe(asked.length);
  warn.mockRestore();
  const active = [0, 1, 2, 3, 4, 7, 8, 9, 10];
  expect(Array.from({ length: 11 }, (_, d) => exported(w, '/app/kept', d))).toEqual(Array.from({ length: 11 }, (_, d) => (active.includes(d) ? 1 : 0)));
  expect(w.logs.tasks).toHaveLength(active.length + 11);
});

test('offload in steady state: the managed groups are exported every day without a DescribeLogStreams call, one GetMetricData call a page', async () => {
  w = offloadWorld();
  const groups = ['/app/a', '/app/b', '/app/c'];
  groups.forEach((g) => w.logs.addGroup(g, FIRST_WINDOW));
  await offloadDays(w, 0, 12, groups);
  expect(groups.map((g) => retention(w, g))).toEqual([7, 7, 7]);
  const counts = () => [w.logs.calls.DescribeLogStreams, w.logs.calls.GetMetricData, w.logs.calls.PutRetentionPolicy, w.logs.tasks.length];
  const before = counts();
  await offloadDays(w, 13, 16, groups);
  expect(counts().map((n, i) => n - before[i]))
    .toEqual([0, 4, 0, 4 * groups.length]);
  for (const g of groups) expect([13, 14, 15, 16].map((d) => exported(w, g, d))).toEqual([1, 1, 1, 1]);
});

test('a run that catches up several windows reads the metric hour by hour: a group busy in the first only is checked, and its idle windows skipped', async () => {
  w = world({ now: START });
  w.logs.addGroup('/app/kept', FIRST_WINDOW - 30 * DAY, 7, { eventsUntil: windowOf(3).start - 60_000 });
  await daily(w, 1);
  const [queries, checks] = [w.logs.calls.GetMetricData, w.logs.calls.DescribeLogStreams];
  // No run on days 2-4 (an outage, a paused schedule): day 5's run catches up windows 2-5.
  w.clock.now = START + 5 * DAY;
  expect(last(await w.loop.run({ scheduledTime: iso(w.clock.now) }, 'day-5')).status).toBe('SUCCEEDED');
  // One call: data in window 2, none in window 3; the check finds the newest event in window 2.
  expect([w.logs.calls.GetMetricData - queries, w.logs.calls.DescribeLogStreams - checks]).toEqual([1, 1]);
  expect([2, 3, 4, 5].map((d) => exported(w, '/app/kept', d))).toEqual([1, 0, 0, 0]);
  expect([3, 4, 5].map((d) => recordedEmpty(w, windowOf(d)).has('/app/kept'))).toEqual([true, true, true]);
});

test('a selection by names pages each name on its own: one GetMetricData call per busy group with a retention, and no DescribeLogStreams', async () => {
  const names = Array.from({ length: 20 }, (_, i) => `/app/svc-${String(i).padStart(2, '0')}`);
  w = world({ now: START, props: { logGroups: LogGroupSelection.names(names) } });
  names.forEach((n) => w.logs.addGroup(n, FIRST_WINDOW - 30 * DAY, 7));
  expect(await daily(w, 3)).toEqual([[20, 0], [0, 20], [0, 20], [0, 20]]);
  for (const n of names) expect([0, 1, 2, 3].map((d) => exported(w, n, d))).toEqual([1, 1, 1, 1]);
});

test('a 31-window catch-up with slow GetMetricData calls (one per page, pages listed ahead too): no invocation past its timeout, nothing twice', async () => {
  // Busy groups kept 7 days, each its own page (a selection by names); exports of 19 s; a run catching up 31 windows.
  const names = ['/app/a', '/app/b', '/app/c', '/app/d', '/app/e', '/app/f'];
  w = world({ now: START, props: { logGroups: LogGroupSelection.names(names), maxCatchUp: Duration.days(31) }, logs: { duration: () => 19_000 } });
  names.forEach((n) => w.logs.addGroup(n, FIRST_WINDOW - 30 * DAY, 7));
  await daily(w, 1);
  const timeout = w.synthesized.lambdaTimeoutSeconds * 1000;
  let t0 = 0;
  const overran: string[] = [];
  // Each GetMetricData call takes 10 s (a call the SDK retried after throttling); the handler keeps 20 s spare.
  const slow = (inv: InvocationInfo) => (c: Call): KillPoint | undefined => {
    const ends = w.clock.now - t0 + (c.op === 'GetMetricData' ? 10_000 : 0);
    if (ends > timeout) overran.push(`invocation ${inv.number}: ${c.op} ends ${(ends / 1000).toFixed(1)} s into a ${timeout / 1000} s timeout`);
    return c.op === 'GetMetricData' ? { pauseMs: 10_000 } : undefined;
  };
  w.clock.now = START + 32 * DAY;
  const queries = w.logs.calls.GetMetricData;
  const chain = await w.loop.run({ scheduledTime: iso(w.clock.now) }, 'day-32', { kill: slow, beforeInvocation: () => { t0 = w.clock.now; } });
  expect(last(chain).status).toBe('SUCCEEDED');
  expect(overran).toEqual([]);
  // One metric per group for the 31 windows (a page listed ahead and not finished may be asked again by the cursor).
  expect(w.logs.calls.GetMetricData - queries).toBeGreaterThanOrEqual(names.length);
  // Nothing exported twice; the windows the 7-day retention still holds (28 to 32) exported.
  expect([...completedInto(w, w.synthesized.bucket).values()].filter((x) => x !== 1)).toEqual([]);
  for (const n of names) expect([28, 29, 30, 31, 32].map((d) => exported(w, n, d))).toEqual([1, 1, 1, 1, 1]);
});

test('a 31-window catch-up whose page listed ahead takes two GetMetricData calls: each metric read about once per run, not once per poll', async () => {
  const a = Array.from({ length: 20 }, (_, i) => `/a/svc-${String(i).padStart(3, '0')}`);
  const b = Array.from({ length: 140 }, (_, i) => `/b/svc-${String(i).padStart(3, '0')}`);
  w = world({ now: START, props: { logGroups: LogGroupSelection.prefixes(['/a/', '/b/']), maxCatchUp: Duration.days(31) } });
  [...a, ...b].forEach((n) => w.logs.addGroup(n, FIRST_WINDOW - 30 * DAY, 7));
  await daily(w, 1);
  // Day 32 catches up windows 2-32: 744 hours, 135 groups a call: page /b/ (140 groups) takes two calls, of 3 s each,
  // longer than the gap between two looks at a running export of page /a/ (the time the page ahead is surveyed in).
  const metrics: number[] = [];
  const slow = () => (c: Call): KillPoint | undefined => {
    if (c.op !== 'GetMetricData') return undefined;
    metrics.push(c.input.MetricDataQueries.length);
    return { pauseMs: 3_000 };
  };
  w.clock.now = START + 32 * DAY;
  expect(last(await w.loop.run({ scheduledTime: iso(w.clock.now) }, 'day-32', { kill: slow })).status).toBe('SUCCEEDED');
  expect([...completedInto(w, w.synthesized.bucket).values()].filter((x) => x !== 1)).toEqual([]);
  expect(metrics.reduce((sum, n) => sum + n, 0)).toBeLessThanOrEqual(a.length + b.length);
});
