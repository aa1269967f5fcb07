/**
 * Log groups without events in a window are not exported (issue: fit the day): the synthesized
 * state machine with the real handler on the fakes, whose DescribeLogStreams lags ingestion by an
 * hour and throttles past 5 requests a second.
 */
import { Duration } from 'aws-cdk-lib';
import { ExportPeriod, LogGroupSelection } from '../../src';
import { PAGE_GROUPS } from '../../src/handler/cursor';
import { Call, KillPoint } from '../harness/fakes';
import { InvocationInfo } from '../harness/loop';
import { isLease, isMarkerOf, last, nth, once } from '../harness/rules';
import { World, days, expectExactlyOnce, recordedEmpty, world } from '../harness/world';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-25T13:00:00Z');
const YESTERDAY = days('2026-11-24T00:00:00Z', '2026-11-24T00:00:00Z');
const ACTIVE = ['/aws/lambda/busy', 'app-busy'];
/** No event for 30 days, and never any event. */
const IDLE = ['/aws/lambda/quiet', 'app-quiet', 'never-written'];
/** Events until 30 days ago, none since. */
const QUIET = { eventsUntil: NOW - 30 * DAY };

let w: World;
afterEach(() => w?.restore());

function mixed(o: Parameters<typeof world>[0] = {}): World {
  const made = world({ now: NOW, ...o, groups: ACTIVE });
  made.logs.addGroup('/aws/lambda/quiet', 0, undefined, QUIET);
  made.logs.addGroup('app-quiet', 0, undefined, QUIET);
  made.logs.addGroup('never-written', NOW - 40 * DAY, undefined, { eventsUntil: NOW - 41 * DAY });
  return made;
}

test('idle groups get no export and no folder, only an empty record; a DescribeLogStreams call per group on the first day, per idle group after', async () => {
  w = mixed();
  const [day1] = await w.loop.run({ scheduledTime: '2026-11-25T13:00:00Z' });
  expect(day1.status).toBe('SUCCEEDED');
  expect(day1.output!.summary).toMatch(/^exported 2 \(partial 0\), without events 3,/);
  expectExactlyOnce(w, ACTIVE, YESTERDAY, undefined, { idle: IDLE });
  expect(w.logs.calls.DescribeLogStreams).toBe(5);

  // The next day, the active groups took in data since their export (their stored bytes grew): no check for them.
  w.clock.now = NOW + DAY;
  const streamsDay1 = w.logs.calls.DescribeLogStreams;
  const [day2] = await w.loop.run({ scheduledTime: '2026-11-26T13:00:00Z' });
  expect(day2.status).toBe('SUCCEEDED');
  expect(w.logs.calls.DescribeLogStreams - streamsDay1).toBe(IDLE.length);
  const both = days('2026-11-24T00:00:00Z', '2026-11-25T00:00:00Z');
  expectExactlyOnce(w, ACTIVE, both, undefined, { idle: IDLE });
  // One empty record per page of groups, window and run.
  const { config } = w.synthesized;
  expect(w.s3.keys(w.synthesized.bucket, `_state/${config.keyPrefix}/done/`).filter((k) => k.includes('!empty!'))).toHaveLength(2);
});

test('a group that wakes up is exported from then on; a run that catches up exports every window up to its newest event', async () => {
  w = mixed();
  await w.loop.run({ scheduledTime: '2026-11-25T13:00:00Z' });
  // No run for three days; app-quiet takes events again from the 26th, 06:00.
  w.logs.groups.get('app-quiet')!.eventsAgainFrom = Date.parse('2026-11-26T06:00:00Z');
  w.clock.now = NOW + 3 * DAY;
  const [run] = await w.loop.run({ scheduledTime: '2026-11-28T13:00:00Z' });
  expect(run.status).toBe('SUCCEEDED');
  // Its newest event is on the 27th: each window up to then may hold events (one check covers a run) and is exported.
  const exported = Object.fromEntries(w.logs.completedExports());
  const woken = days('2026-11-25T00:00:00Z', '2026-11-27T00:00:00Z').map((d) => `app-quiet|${d.start}|${d.end - 1}`);
  expect(woken.map((k) => exported[k])).toEqual([1, 1, 1]);
  woken.forEach((k) => delete exported[k]);
  const active = days('2026-11-24T00:00:00Z', '2026-11-27T00:00:00Z').flatMap((d) => ACTIVE.map((g) => `${g}|${d.start}|${d.end - 1}`));
  expect(exported).toEqual(Object.fromEntries(active.map((k) => [k, 1])));
  for (const d of days('2026-11-24T00:00:00Z', '2026-11-27T00:00:00Z')) {
    expect(recordedEmpty(w, d)).toEqual(new Set(d.start < Date.parse('2026-11-25T00:00:00Z') ? IDLE : ['/aws/lambda/quiet', 'never-written']));
  }
});

test('a window checked less than an hour after it ended is exported even if DescribeLogStreams does not show its events yet', async () => {
  // Hourly windows exported at once, a newest-event time that lags by 90 minutes (more than AWS's typical hour).
  const window = Date.parse('2026-11-25T10:00:00Z');
  const props = { exportPeriod: ExportPeriod.HOURLY, settleTime: Duration.hours(0) };
  w = world({ now: window + 80 * 60_000, props, logs: { lastEventLagMs: 90 * 60_000 } });
  w.logs.addGroup('/late', window - 2 * 3_600_000, undefined, { eventsUntil: window + 30 * 60_000 });
  const [run] = await w.loop.run({ scheduledTime: new Date(w.clock.now).toISOString() });
  expect(run.status).toBe('SUCCEEDED');
  expect(w.logs.calls.DescribeLogStreams).toBe(1);
  expect(w.logs.completedExports().get(`/late|${window}|${window + 3_600_000 - 1}`)).toBe(1);
  expect(w.s3.keys(w.synthesized.bucket, 'exported-logs/late/2026/11/25/10/').filter((k) => k.endsWith('.gz'))).toHaveLength(1);
});

test('exportEmptyWindows: true exports every group and window, without DescribeLogStreams', async () => {
  w = mixed({ props: { exportEmptyWindows: true } });
  const [run] = await w.loop.run({ scheduledTime: '2026-11-25T13:00:00Z' });
  expect(run.status).toBe('SUCCEEDED');
  // An export task for every group (an export without events writes no file).
  const day = YESTERDAY[0];
  expect(Object.fromEntries(w.logs.completedExports())).toEqual(Object.fromEntries([...ACTIVE, ...IDLE].map((g) => [`${g}|${day.start}|${day.end - 1}`, 1])));
  expect(recordedEmpty(w, day).size).toBe(0);
  expect(w.logs.calls.DescribeLogStreams ?? 0).toBe(0);
});

test('DescribeLogStreams throttled (another tool uses the quota): the run waits and goes on, and never fails for it', async () => {
  const quiet = Array.from({ length: 40 }, (_, i) => `/aws/lambda/old-${String(i).padStart(2, '0')}`);
  w = world({ now: NOW, logs: { describeLogStreamsTps: 1 }, groups: ACTIVE });
  quiet.forEach((g) => w.logs.addGroup(g, 0, undefined, QUIET));
  const chain = await w.loop.run({ scheduledTime: '2026-11-25T13:00:00Z' });
  expect(last(chain).status).toBe('SUCCEEDED');
  expect(w.logs.calls.streamsThrottled).toBeGreaterThan(0);
  expectExactlyOnce(w, ACTIVE, YESTERDAY, undefined, { idle: quiet });
});

test('a run that dies holding the lease after skipping idle groups: the next run walks past them and finishes the export it left', async () => {
  // Sorted, the page is active and idle groups in turn; the dead run's last export completes without its marker.
  const groups = ['a-busy', 'b-quiet', 'c-busy', 'd-quiet', 'e-busy'];
  w = world({ now: NOW, props: { settleTime: Duration.hours(0) } });
  groups.forEach((g) => w.logs.addGroup(g, 0, undefined, g.endsWith('quiet') ? QUIET : {}));
  const [dead] = await w.loop.run({}, 'dead', {
    kill: (inv) => (inv.number === 1 ? nth('CreateExportTask', 3, 'after') : undefined),
    crashWhen: (inv) => inv.number > 1,
  });
  expect(dead.status).toBe('FAILED');
  // The lease expires; the next run takes it over.
  w.clock.now += 31 * 60_000;
  const chain = await w.loop.run({}, 'next');
  expect(last(chain).status).toBe('SUCCEEDED');
  expectExactlyOnce(w, ['a-busy', 'c-busy', 'e-busy'], YESTERDAY, undefined, { idle: ['b-quiet', 'd-quiet'] });
});

test('checks that outlast a lease renewal (a throttled quota), then the run dies: the lease recorded them all before the first export', async () => {
  // 245 idle groups sort before the two busy ones; DescribeLogStreams goes through once every 4 s, so the
  // checks of the page take several invocations and more than a third of the lease's life.
  const quiet = Array.from({ length: 245 }, (_, i) => `a-quiet-${String(i).padStart(3, '0')}`);
  w = world({ now: NOW, props: { settleTime: Duration.hours(0) }, logs: { describeLogStreamsTps: 0.25 } });
  quiet.forEach((g) => w.logs.addGroup(g, 0, undefined, QUIET));
  ['b-busy', 'c-busy'].forEach((g) => w.logs.addGroup(g));
  // Killed just after its first export started; every retry crashes: the execution fails, holding the lease.
  let killed = false;
  const [dead] = await w.loop.run({}, 'dead', {
    kill: () => (c) => (!killed && c.op === 'CreateExportTask' ? ((killed = true), 'after') : undefined),
    crashWhen: () => killed,
  });
  expect(dead.status).toBe('FAILED');
  expect(w.clock.now - NOW).toBeGreaterThan(10 * 60_000);
  w.clock.now += 31 * 60_000;
  const chain = await w.loop.run({}, 'next');
  expect(last(chain).status).toBe('SUCCEEDED');
  expectExactlyOnce(w, ['b-busy', 'c-busy'], YESTERDAY, undefined, { idle: quiet });
});

test('a retried turn whose killed attempt skipped a group that has woken up since: it exports that group and nothing twice', async () => {
  // The killed attempt skips b-quiet as idle and exports the rest; its last export completes without a marker.
  const groups = ['a-busy', 'b-quiet', 'c-busy', 'd-busy'];
  w = world({ now: NOW, props: { settleTime: Duration.hours(0) } });
  groups.forEach((g) => w.logs.addGroup(g, 0, undefined, g.endsWith('quiet') ? QUIET : {}));
  const chain = await w.loop.run({}, 'run', {
    kill: (inv) => (inv.number === 1 ? nth('CreateExportTask', 3, 'after') : undefined),
    // Before the retry (with the first turn's input), b-quiet takes events again: the retry's check finds them.
    beforeInvocation: (inv: InvocationInfo) => {
      if (inv.number === 2) w.logs.groups.get('b-quiet')!.eventsAgainFrom = w.clock.now - 2 * 3_600_000;
    },
  });
  expect(last(chain).status).toBe('SUCCEEDED');
  // b-quiet's events are all on the 25th: its export of the 24th wrote no file.
  expectExactlyOnce(w, groups, YESTERDAY, undefined, { noFiles: ['b-quiet'] });
});

/** A fault rule that fires once, at the first call that matches. */
const isEmptyRecordPut = (c: Call) => c.op === 'PutObject' && String(c.input.Key).includes('!empty!');

test('a turn killed just after it wrote an empty record, retried with its old input: no group of the record is lost', async () => {
  // The busy exports take 70 s: the turn that ends the page starts with b-quiet among its empty groups.
  w = world({ now: NOW, logs: { duration: ({ logGroupName }) => (logGroupName.endsWith('busy') ? 70_000 : 3_000) }, groups: ['a-busy', 'c-busy'] });
  ['b-quiet', 'd-quiet'].forEach((g) => w.logs.addGroup(g, 0, undefined, QUIET));
  const k = once(isEmptyRecordPut, 'after');
  const chain = await w.loop.run({ scheduledTime: '2026-11-25T13:00:00Z' }, 'run', { kill: () => k.rule });
  expect(k.fired()).toBe(true);
  expect(last(chain).status).toBe('SUCCEEDED');
  expectExactlyOnce(w, ['a-busy', 'c-busy'], YESTERDAY, undefined, { idle: ['b-quiet', 'd-quiet'] });
});

test('a run taking over from a dead one walks past a group an earlier run recorded empty, and finishes the export it left', async () => {
  w = world({ now: NOW, groups: ['a-busy', 'c-busy'] });
  w.logs.addGroup('b-quiet', 0, undefined, QUIET);
  // A backfill of b-quiet records it empty: the scheduled run passes it as done, without checking it.
  expect(last(await w.loop.run({ startDate: '2026-11-24', endDate: '2026-11-24', logGroupNames: ['b-quiet'] }, 'backfill')).status).toBe('SUCCEEDED');
  // The scheduled run dies before c-busy's done-marker; every retry crashes: it fails holding the lease.
  const k = once(isMarkerOf('c-busy'), 'before');
  const [dead] = await w.loop.run({}, 'dead', { kill: () => k.rule, crashWhen: () => k.fired() });
  expect(dead.status).toBe('FAILED');
  w.clock.now += 31 * 60_000;
  expect(last(await w.loop.run({}, 'next')).status).toBe('SUCCEEDED');
  expectExactlyOnce(w, ['a-busy', 'c-busy'], YESTERDAY, undefined, { idle: ['b-quiet'] });
});

test('a group deleted before its check, after a window with events: recorded deleted before export, not empty', async () => {
  w = world({ now: NOW, groups: ['a-busy', 'gone'] });
  let deleted = false;
  const [run] = await w.loop.run({ scheduledTime: '2026-11-25T13:00:00Z' }, 'run', {
    kill: () => (c) => {
      if (!deleted && c.op === 'DescribeLogStreams') {
        deleted = true;
        w.logs.deleteGroup('gone');
      }
      return undefined;
    },
  });
  expect(run.status).toBe('SUCCEEDED');
  expect(run.output!.summary).toMatch(/without events 0, deleted before export 1, expired before export 0, skipped 0/);
  expect(recordedEmpty(w, YESTERDAY[0]).has('gone')).toBe(false);
  expect(recordedEmpty(w, YESTERDAY[0], undefined, 'deleted').has('gone')).toBe(true);
  expectExactlyOnce(w, ['a-busy'], YESTERDAY);
});

test('a second retry of a turn stays careful to the furthest page an attempt of its run reached, though the first retry wrote an older one', async () => {
  // Page 1: g000..g249; page 2: g250, g251. From the second day on the exports of page 1 are known to take
  // 70 s: each goes to the Wait state, and page 2 is not listed ahead. The turn after g248's starts on page 1.
  const names = Array.from({ length: 252 }, (_, i) => `g${String(i).padStart(3, '0')}`);
  const active = ['g000', 'g248', 'g251'];
  w = world({ now: NOW, logs: { duration: ({ logGroupName }) => (['g000', 'g248'].includes(logGroupName) ? 70_000 : 3_000) } });
  names.forEach((g) => w.logs.addGroup(g, 0, undefined, active.includes(g) ? {} : QUIET));
  expect(last(await w.loop.run({ scheduledTime: '2026-11-25T13:00:00Z' }, 'day-1')).status).toBe('SUCCEEDED');
  w.clock.now = NOW + DAY;
  const chain = await w.loop.run({ scheduledTime: '2026-11-26T13:00:00Z' }, 'day-2', {
    kill: (inv) => {
      // The turn that starts with g248 running ends page 1, records page 2 (g250 idle), starts g251 and is killed.
      if (inv.retryCount === 0) return (c) => (c.op === 'CreateExportTask' && c.input.logGroupName === 'g251' ? 'after' : undefined);
      // Its first retry (on page 1) takes the lease back, writing its own position, and is killed.
      if (inv.retryCount === 1) return (c) => (isLease(c) ? 'after' : undefined);
      return undefined;
    },
    beforeInvocation: (inv) => {
      // Before the second retry g250 takes events again: this attempt exports it (no file for the 25th).
      if (inv.retryCount === 2) w.logs.groups.get('g250')!.eventsAgainFrom = w.clock.now - 2 * 3_600_000;
    },
  });
  expect(last(chain).status).toBe('SUCCEEDED');
  const day2 = days('2026-11-25T00:00:00Z', '2026-11-25T00:00:00Z')[0];
  expect(w.logs.completedExports().get(`g251|${day2.start}|${day2.end - 1}`)).toBe(1);
  expect(w.logs.completedExports().get(`g250|${day2.start}|${day2.end - 1}`)).toBe(1);
  expect([...w.logs.completedExports().values()].every((n) => n === 1)).toBe(true);
});

describe('several attempts of a run that dies: the next run finishes what each of them left', () => {
  const MIN = 60_000;

  test('a retry that woke a group the killed attempt skipped dies before exporting it: the next run still finishes the killed attempt\'s export', async () => {
    w = world({ now: NOW, groups: ['a-busy', 'c-busy'] });
    w.logs.addGroup('b-quiet', 0, undefined, QUIET);
    const creates = new Map<number, number>();
    const [dead] = await w.loop.run({ scheduledTime: '2026-11-25T13:00:00Z' }, 'dead', {
      kill: (inv) => (c: Call) => {
        if (c.op !== 'CreateExportTask') return undefined;
        const n = (creates.get(inv.number) ?? 0) + 1;
        creates.set(inv.number, n);
        // The first attempt exports a-busy, skips b-quiet as idle, and is killed just after c-busy's export started.
        if (inv.number === 1 && n === 2) return 'after';
        // Its retry (b-quiet has woken up since) is killed just before it starts b-quiet's export.
        return inv.number === 2 ? 'before' : undefined;
      },
      beforeInvocation: (inv) => {
        if (inv.number === 2) w.logs.groups.get('b-quiet')!.eventsAgainFrom = w.clock.now - 2 * 3_600_000;
      },
      crashWhen: (inv) => inv.number > 2,
    });
    expect(dead.status).toBe('FAILED');
    w.clock.now += 31 * MIN;
    expect(last(await w.loop.run({}, 'next')).status).toBe('SUCCEEDED');
    expectExactlyOnce(w, ['a-busy', 'b-quiet', 'c-busy'], YESTERDAY, undefined, { noFiles: ['b-quiet'] });
  });

  test('a retry that rewrites the lease before it has a position, and dies: the next run still finishes the killed attempt\'s export', async () => {
    w = world({ now: NOW });
    const groups = ['a-1', 'a-2', 'a-3'];
    groups.forEach((g) => w.logs.addGroup(g));
    let leaseWritten = false;
    let creates = 0;
    const [dead] = await w.loop.run({ scheduledTime: '2026-11-25T13:00:00Z' }, 'dead', {
      kill: (inv) => (c: Call) => {
        // The first attempt is killed just after a-2's export started (it completes without its done-marker).
        if (inv.number === 1 && c.op === 'CreateExportTask') return ++creates === 2 ? 'after' : undefined;
        // Its retry takes the lease back (with no position yet) and is killed at its next call.
        if (inv.number !== 2) return undefined;
        if (leaseWritten) return 'before';
        if (isLease(c)) leaseWritten = true;
        return undefined;
      },
      crashWhen: (inv) => inv.number > 2,
    });
    expect(dead.status).toBe('FAILED');
    w.clock.now += 31 * MIN;
    expect(last(await w.loop.run({}, 'next')).status).toBe('SUCCEEDED');
    expectExactlyOnce(w, groups, YESTERDAY);
  });

  test('an export adopted while the next page was listed ahead: that page\'s listing is read again, and the export is not made twice', async () => {
    // Two sources: page 1 is a-1, a-2 (exports of 70 s), page 2 is b-g.
    let backfillDay = false;
    w = world({
      now: NOW,
      props: { logGroups: LogGroupSelection.prefixes(['a-', 'b-']) },
      logs: { duration: ({ logGroupName }) => (logGroupName === 'b-g' && backfillDay ? 60 * MIN : logGroupName.startsWith('a-') ? 70_000 : 3_000) },
    });
    ['a-1', 'a-2', 'b-g'].forEach((g) => w.logs.addGroup(g));
    expect(last(await w.loop.run({}, 'day-1')).status).toBe('SUCCEEDED');
    // Day 2, run R: its first turn starts a-1 and hands back (no page listed ahead); its second turn is killed
    // and every retry crashes: R fails holding the lease.
    w.clock.now = NOW + DAY;
    const [r] = await w.loop.run({}, 'R', {
      kill: (inv) => (inv.inExecution === 2 ? () => 'before' as KillPoint : undefined),
      crashWhen: (inv) => inv.inExecution > 2,
    });
    expect(r.status).toBe('FAILED');
    // A backfill of b-g takes R's expired lease over, starts b-g (60 min) and dies.
    w.clock.now += 31 * MIN;
    backfillDay = true;
    let created = false;
    const [d] = await w.loop.run({ startDate: '2026-11-25', endDate: '2026-11-25', logGroupNames: ['b-g'] }, 'D', {
      kill: () => (c: Call) => (!created && c.op === 'CreateExportTask' ? ((created = true), 'after') : undefined),
      crashWhen: () => created,
    });
    expect(d.status).toBe('FAILED');
    // R is redriven once D's lease has expired, while b-g's export still runs: it follows it, listing page 2 ahead meanwhile.
    w.clock.now += 31 * MIN;
    expect(last(await w.loop.redrive(r)).status).toBe('SUCCEEDED');
    expectExactlyOnce(w, ['a-1', 'a-2', 'b-g'], days('2026-11-24T00:00:00Z', '2026-11-25T00:00:00Z'));
  });
});

describe('killed at every SDK call of a run over active and idle groups, and retried with the old input', () => {
  test.each([['before', 'before'], ['after', 'after']] as const)('%s the call takes effect', async (_name, point) => {
    w = mixed({ props: { settleTime: Duration.hours(0) } });
    let calls = 0;
    await w.loop.run({}, 'run', { kill: (inv) => (inv.number === 1 ? (c: Call) => { calls = c.n; return undefined; } : undefined) });
    w.restore();
    expect(calls).toBeGreaterThan(10);
    for (let n = 1; n <= calls; n++) {
      w = mixed({ props: { settleTime: Duration.hours(0) } });
      const chain = await w.loop.run({}, 'run', { kill: (inv) => (inv.number === 1 ? (c: Call) => (c.n === n ? point : undefined) : undefined) });
      try {
        expect(last(chain).status).toBe('SUCCEEDED');
        expectExactlyOnce(w, ACTIVE, YESTERDAY, undefined, { idle: IDLE });
        expect([...recordedEmpty(w, YESTERDAY[0])].sort()).toEqual([...IDLE].sort());
      } catch (e) {
        throw new Error(`killed ${point} call ${n}: ${(e as Error).message}`);
      } finally {
        w.restore();
      }
    }
  });
});

describe('two pages: killed while the next page is listed and checked ahead (an export running), and retried with the old input', () => {
  // 270 groups, one in three active: the second page is listed and checked while the first page's exports run.
  const groups = Array.from({ length: PAGE_GROUPS + 20 }, (_, i) => `/aws/lambda/fn-${String(i).padStart(3, '0')}`);
  const active = groups.filter((_, i) => i % 3 === 0);
  const twoPages = (): World => {
    const made = world({ now: NOW, props: { settleTime: Duration.hours(0) } });
    groups.forEach((g, i) => made.logs.addGroup(g, 0, undefined, i % 3 === 0 ? {} : QUIET));
    return made;
  };
  test('the second page is listed and checked while the first one exports: each group checked once, no wait for the checks', async () => {
    w = twoPages();
    // At each CreateExportTask, how many checks were made so far.
    const checksAtCreate: number[] = [];
    const chain = await w.loop.run({}, 'run', {
      kill: () => (c: Call) => {
        if (c.op === 'CreateExportTask') checksAtCreate.push(w.logs.calls.DescribeLogStreams);
        return undefined;
      },
    });
    expect(last(chain).status).toBe('SUCCEEDED');
    expect(w.logs.calls.DescribeLogStreams).toBe(groups.length);
    // The first page has 84 active groups: all 270 groups were checked before its last export started.
    expect(checksAtCreate[83]).toBe(groups.length);
    expectExactlyOnce(w, active, YESTERDAY, undefined, { idle: groups.filter((g) => !active.includes(g)) });
  });

  // The 6th DescribeLogGroups call lists the second page; DescribeLogStreams calls past the first page's 250 check it.
  test.each([
    ['DescribeLogGroups', 6], ['DescribeLogStreams', PAGE_GROUPS + 1], ['DescribeLogStreams', PAGE_GROUPS + 10], ['DescribeLogStreams', PAGE_GROUPS + 20],
    ['ListObjectsV2', 3], ['CreateExportTask', 40], ['PutObject', 45],
  ] as const)('at %s call %i, before and after it takes effect', async (op, n) => {
    for (const point of ['before', 'after'] as const) {
      w = twoPages();
      let seen = 0;
      const chain = await w.loop.run({}, 'run', { kill: (inv) => (inv.number === 1 ? (c: Call) => (c.op === op && ++seen === n ? point : undefined) : undefined) });
      try {
        expect(seen).toBeGreaterThanOrEqual(n);
        expect(last(chain).status).toBe('SUCCEEDED');
        expectExactlyOnce(w, active, YESTERDAY, undefined, { idle: groups.filter((g) => !active.includes(g)) });
      } catch (e) {
        throw new Error(`killed ${point} ${op} ${n}: ${(e as Error).message}`);
      } finally {
        w.restore();
      }
    }
  });
});
