/**
 * Exactly once when a deployment changes how windows are cut (period, time zone) or a log group's
 * retention, in every way a run can meet the change: after a failed run, while another run
 * exports, at a takeover, at a redrive; and a clip by retention that loses nothing is not called
 * partial. Each case has its control: the same runs without the change.
 */
import { Duration } from 'aws-cdk-lib';
import { Execution } from '../harness/loop';
import { isCreateOf, isMarkerOf, last, once } from '../harness/rules';
import { World, completedRanges, overlapsOf, world } from '../harness/world';

let w: World;
afterEach(() => w?.restore());

const ranges = (g: string) => completedRanges(w, g);
const overlaps = (g: string) => overlapsOf(w, g);

test.each<[string, Record<string, unknown>]>([
  ['no change (control)', {}],
  ['daily to hourly', { period: 'PT1H' }],
  ['UTC to Europe/Berlin', { timeZone: 'Europe/Berlin' }],
])('%s after a run that ended ExportsFailed: the next run exports nothing twice', async (_what, change) => {
  w = world({ props: { settleTime: Duration.hours(0) }, groups: ['/a'], now: Date.parse('2026-11-24T01:00:00Z'), logs: { failures: { '/x': 3 } } });
  expect(last(await w.loop.run({}, 'first')).status).toBe('SUCCEEDED');
  w.clock.now = Date.parse('2026-11-25T01:00:00Z');
  w.logs.addGroup('/x', Date.parse('2026-11-23T00:00:00Z'));
  const failed = last(await w.loop.run({}, 'failing'));
  expect([failed.status, failed.error]).toEqual(['FAILED', 'ExportsFailed']);
  Object.assign(w.synthesized.config, change);
  w.clock.now = Date.parse('2026-11-26T01:00:00Z');
  expect(last(await w.loop.run({ scheduledTime: '2026-11-26T01:00:00Z' }, 'next')).status).toBe('SUCCEEDED');
  expect(overlaps('/a')).toEqual([]);
});

test.each<[string, Record<string, unknown>]>([
  ['no change (control)', {}],
  ['daily to hourly', { period: 'PT1H' }],
  ['UTC to Europe/Berlin', { timeZone: 'Europe/Berlin' }],
])('%s: a run of the new configuration started while the old run exports exports nothing twice', async (_what, change) => {
  w = world({
    props: { settleTime: Duration.hours(0) },
    groups: ['/a', '/b'],
    now: Date.parse('2026-11-24T01:00:00Z'),
    logs: { duration: () => 20 * 60_000 },
  });
  expect(last(await w.loop.run({}, 'first')).status).toBe('SUCCEEDED');
  w.clock.now = Date.parse('2026-11-25T01:00:00Z');
  let resolveOld!: () => void;
  const oldDone = new Promise<void>((r) => { resolveOld = r; });
  let next: Promise<Execution[]> | undefined;
  const old = await w.loop.run({}, 'old', {
    beforeInvocation: (inv) => {
      if (inv.execution === 'old' && inv.inExecution === 2 && !next) {
        // Deployed while the old run exports; the new schedule's run starts now.
        Object.assign(w.synthesized.config, change);
        next = w.loop.run({ scheduledTime: new Date(w.clock.now).toISOString() }, 'new', {
          beforeInvocation: async (i) => { if (i.execution === 'new' && i.inExecution === 2) await oldDone; },
        });
      }
    },
  });
  resolveOld();
  expect(last(old).status).toBe('SUCCEEDED');
  expect(next).toBeDefined();
  expect(last(await next!).status).toBe('SUCCEEDED');
  expect([...overlaps('/a'), ...overlaps('/b')]).toEqual([]);
});

test.each<[string, Record<string, unknown>]>([
  ['no change (control)', {}],
  ['daily to hourly', { period: 'PT1H' }],
  ['UTC to Europe/Berlin', { timeZone: 'Europe/Berlin' }],
])('%s between the failure and the redrive: the redrive exports nothing twice', async (_what, change) => {
  w = world({ props: { settleTime: Duration.hours(0) }, groups: ['/a'], now: Date.parse('2026-11-24T01:00:00Z') });
  expect(last(await w.loop.run({}, 'first')).status).toBe('SUCCEEDED');
  w.clock.now = Date.parse('2026-11-25T01:00:00Z');
  const created = once(isCreateOf('/a'), 'after');
  const input = { scheduledTime: '2026-11-25T01:00:00Z' };
  const [failed] = await w.loop.run(input, 'run', { kill: () => created.rule, crashWhen: () => created.fired() });
  expect([failed.status, failed.lastState?.name]).toEqual(['FAILED', 'Export']);
  Object.assign(w.synthesized.config, change);
  w.clock.now += 60 * 60_000;
  const chain = await w.loop.redrive(failed);
  expect(last(chain).status).toBe('SUCCEEDED');
  expect(overlaps('/a')).toEqual([]);
});

test.each<[string, Record<string, unknown>]>([
  ['no change (control)', {}],
  ['daily to hourly', { period: 'PT1H' }],
  ['UTC to Europe/Berlin', { timeZone: 'Europe/Berlin' }],
])('%s: the run that takes over from a dead run of the old configuration exports nothing twice', async (_what, change) => {
  w = world({ props: { settleTime: Duration.hours(0) }, groups: ['/a', '/b'], now: Date.parse('2026-11-24T01:00:00Z') });
  expect(last(await w.loop.run({}, 'first')).status).toBe('SUCCEEDED');
  w.clock.now = Date.parse('2026-11-25T01:00:00Z');
  // The old run dies for good before /b's marker (every retry crashes): /a marked, /b exported without marker.
  const dies = once(isMarkerOf('/b'), 'before');
  const [dead] = await w.loop.run({}, 'dead', { kill: () => dies.rule, crashWhen: () => dies.fired() });
  expect(dead.status).toBe('FAILED');
  Object.assign(w.synthesized.config, change);
  w.clock.now += 31 * 60_000;
  expect(last(await w.loop.run({ scheduledTime: new Date(w.clock.now).toISOString() }, 'next')).status).toBe('SUCCEEDED');
  expect([...overlaps('/a'), ...overlaps('/b')]).toEqual([]);
});

test.each([['a backfill of other dates', true], ['the next scheduled run directly (control)', false]])(
  'a dead clipped run taken over by %s: nothing twice', async (_what, backfill) => {
    w = world({ props: { settleTime: Duration.hours(0) }, groups: ['/a', '/b'], now: Date.parse('2026-11-24T01:00:00Z') });
    expect(last(await w.loop.run({}, 'first')).status).toBe('SUCCEEDED');
    Object.assign(w.synthesized.config, { timeZone: 'Europe/Berlin' });
    w.clock.now = Date.parse('2026-11-25T01:00:00Z');
    // The run after the change dies before /b's marker (it still cuts the earlier way, or, cut the Berlin way, would
    // clip Berlin's 24th, [23T23Z, 24T23Z), at the checkpoint 24T00Z).
    const dies = once(isMarkerOf('/b'), 'before');
    const [dead] = await w.loop.run({ scheduledTime: '2026-11-25T01:00:00Z' }, 'dead', { kill: () => dies.rule, crashWhen: () => dies.fired() });
    expect(dead.status).toBe('FAILED');
    w.clock.now += 31 * 60_000;
    if (backfill) expect(last(await w.loop.run({ startDate: '2026-11-20', endDate: '2026-11-20' }, 'backfill')).status).toBe('SUCCEEDED');
    expect(last(await w.loop.run({ scheduledTime: '2026-11-25T01:00:00Z' }, 'next')).status).toBe('SUCCEEDED');
    expect(ranges('/b').filter((r) => r.startsWith('2026-11-24'))).toHaveLength(1);
    expect([...overlaps('/a'), ...overlaps('/b')]).toEqual([]);
  });

test('retention lengthened while the invocation that created the clipped export is retried: exported once', async () => {
  w = world({ props: { settleTime: Duration.hours(0) }, groups: ['/a'], logs: { duration: () => 10 * 60_000 } });
  // One day of retention: the export of yesterday is clipped by it.
  w.logs.addGroup('/0', 0, 1);
  const lost = once(isCreateOf('/0'), 'after');
  const chain = await w.loop.run({}, 'run', {
    kill: () => (c) => {
      const p = lost.rule(c);
      // Someone sets a longer retention meanwhile (an account-wide retention policy, a fix of an at-risk alarm).
      if (p) w.logs.groups.get('/0')!.retentionInDays = 30;
      return p;
    },
  });
  expect(lost.fired()).toBe(true);
  expect(last(chain).status).toBe('SUCCEEDED');
  expect(ranges('/0')).toHaveLength(1);
});

test.each([[1, 1], [1, 30]])('retention %i day(s), %i when a redrive days later confirms the export of the failed turn: exported once', async (before, after) => {
  w = world({ props: { settleTime: Duration.hours(0) }, groups: ['/a'], logs: { duration: () => 10 * 60_000 } });
  w.logs.addGroup('/0', 0, before);
  // The task is created, then every attempt of the turn dies: the execution fails.
  const lost = once(isCreateOf('/0'), 'after');
  const input = { scheduledTime: '2026-11-25T01:00:00Z' };
  const [failed] = await w.loop.run(input, 'run', { kill: () => lost.rule, crashWhen: () => lost.fired() });
  expect(failed.status).toBe('FAILED');
  w.clock.now += 2 * 86_400_000;
  w.logs.groups.get('/0')!.retentionInDays = after;
  const chain = await w.loop.redrive(failed);
  expect(last(chain).status).toBe('SUCCEEDED');
  expect(ranges('/0')).toHaveLength(1);
});

test('a group created after its retention clip: the export holds every event of the window; its marker is not partial', async () => {
  w = world({ props: { settleTime: Duration.hours(0) }, groups: [] });
  w.logs.addGroup('/new', Date.parse('2026-11-24T12:00:00Z'), 1);
  expect(last(await w.loop.run({}, 'run')).status).toBe('SUCCEEDED');
  const t = w.logs.tasks[0];
  expect(t.from).toBeLessThan(Date.parse('2026-11-24T12:00:00Z'));
  const markers = w.s3.keys(w.synthesized.bucket, '_state/exported-logs/done/');
  expect(markers).toHaveLength(1);
  expect(markers[0]).not.toMatch(/!partial$/);
});
