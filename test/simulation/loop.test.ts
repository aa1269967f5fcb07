/**
 * The synthesized state machine, run locally with the real handler engine against stateful fakes
 * of CloudWatch Logs (one active export task, PENDING -> RUNNING -> COMPLETED) and S3.
 */
import { Duration, TimeZone } from 'aws-cdk-lib';
import { MAX_STATE_CHARS, PAGE_GROUPS } from '../../src/handler/cursor';
import { logger, metrics } from '../../src/handler/telemetry';
import { RUN_DOLLARS } from '../../src/private/props';
import { checkpointKey } from '../../src/shared/layout';
import { windowAt } from '../../src/shared/windows';
import { Loop } from '../harness/loop';
import { MEMORY_GB, dollars } from '../harness/prices';
import { synth } from '../harness/stack';
import { BUCKET, World, days, expectExactlyOnce, world } from '../harness/world';


describe('export loop', () => {
  let w: World;
  afterEach(() => w.restore());

  test('exports 35 groups, with and without a leading slash, exactly once; a second run exports nothing', async () => {
    w = world({ props: { settleTime: Duration.hours(0) } });
    const groups: string[] = [];
    for (let i = 0; i < 35; i++) {
      const name = i % 3 === 0 ? `app-${i}` : `/aws/lambda/fn-${String(i).padStart(2, '0')}`;
      groups.push(name);
      // Group 5 was created during the window: its events may be older than the group, so all of it is exported.
      w.logs.addGroup(name, i === 5 ? Date.parse('2026-11-24T12:00:00Z') : 0);
    }
    // Created after the window ended: nothing to export (and CreateExportTask would refuse it).
    w.logs.addGroup('/aws/lambda/created-later', Date.parse('2026-11-25T00:30:00Z'));
    const [first] = await w.loop.run({ scheduledTime: '2026-11-25T01:00:00Z' });
    expect(first.status).toBe('SUCCEEDED');
    const yesterday = windowAt(Date.parse('2026-11-24T00:00:00Z'), 'P1D', 'UTC');
    expectExactlyOnce(w, groups, [yesterday]);
    // Date folders for every group, leading '/' or not.
    expect(w.s3.keys(BUCKET, 'exported-logs/aws/lambda/fn-01/2026/11/24/')).toEqual(
      expect.arrayContaining([expect.stringMatching(/^exported-logs\/aws\/lambda\/fn-01\/2026\/11\/24\/task-\d+\/stream-1\/000000\.gz$/)]));
    expect(w.s3.keys(BUCKET, 'exported-logs/app-0/2026/11/24/').length).toBeGreaterThan(0);

    const before = w.logs.calls.CreateExportTask;
    const [second] = await w.loop.run({ scheduledTime: '2026-11-25T01:00:00Z' });
    expect(second.status).toBe('SUCCEEDED');
    expect(w.logs.calls.CreateExportTask).toBe(before);
    expectExactlyOnce(w, groups, [yesterday]);
  });

  test('daily windows follow the calendar of a non-UTC zone across a DST change', async () => {
    w = world({ props: { settleTime: Duration.hours(0), timeZone: TimeZone.EUROPE_BERLIN }, now: Date.parse('2026-10-26T00:30:00Z') });
    w.logs.addGroup('/svc/a');
    const [e] = await w.loop.run({});
    expect(e.status).toBe('SUCCEEDED');
    // 2026-10-25 in Berlin: 25 hours, from 22:00Z on the 24th to 23:00Z on the 25th.
    const exported = [...w.logs.completedExports().keys()];
    expect(exported).toEqual([`/svc/a|${Date.parse('2026-10-24T22:00:00Z')}|${Date.parse('2026-10-25T23:00:00Z') - 1}`]);
    expect(w.s3.keys(BUCKET, 'exported-logs/svc/a/2026/10/25/').length).toBeGreaterThan(0);
  });

  test('waits for a foreign export task, and retries a FAILED export', async () => {
    w = world({ props: { settleTime: Duration.hours(0) }, logs: { failures: { '/b': 2 } } });
    w.logs.addGroup('/a');
    w.logs.addGroup('/b');
    w.logs.addForeignTask(20 * 60_000);
    const [e] = await w.loop.run({});
    expect(e.status).toBe('SUCCEEDED');
    expect(w.clock.now).toBeGreaterThan(Date.parse('2026-11-25T01:20:00Z'));
    expectExactlyOnce(w, ['/a', '/b'], [windowAt(Date.parse('2026-11-24T00:00:00Z'), 'P1D', 'UTC')]);
    expect(e.output?.state.stats.retried).toBe(2);
  });

  test('a group that always fails does not block the others; the execution fails naming it', async () => {
    w = world({ props: { settleTime: Duration.hours(0) }, logs: { failures: { '/bad': Infinity } }, groups: ['/a', '/bad', '/c'] });
    const [e] = await w.loop.run({});
    expect(e.status).toBe('FAILED');
    expect(e.error).toBe('ExportsFailed');
    expect(e.cause).toContain('/bad @ 2026-11-24T00:00:00.000Z');
    expect([...w.logs.completedExports().keys()].map((k) => k.split('|')[0]).sort()).toEqual(['/a', '/c']);
  });

  test('malformed input fails the execution at once with a clear error', async () => {
    w = world();
    const [e] = await w.loop.run({ startDate: '2026-13-01', endDate: '2026-11-02' });
    expect(e.status).toBe('FAILED');
    expect(e.cause).toContain("'startDate' is not a real date");
    expect(e.invocations).toBe(1);
  });
});

test('a list of names known only at deploy time: each named group is exported, no other', async () => {
  const w = world({
    props: { settleTime: Duration.hours(0) },
    config: { sources: [{ names: '/aws/lambda/a,app-audit,/aws/lambda/missing' }] },
    groups: ['/aws/lambda/a', '/aws/lambda/b', 'app-audit'],
  });
  try {
    expect((await w.loop.run({}))[0].status).toBe('SUCCEEDED');
    expect([...w.logs.completedExports().keys()].map((k) => k.split('|')[0]).sort()).toEqual(['/aws/lambda/a', 'app-audit']);
    const findings = JSON.parse(w.s3.objects.get(`${w.synthesized.bucket}/_state/exported-logs/last-run.json`)!.body);
    expect([findings.groupsSelected, findings.groupsNotFound]).toEqual([2, ['/aws/lambda/missing']]);
  } finally {
    w.restore();
  }
});

describe('never lose a window', () => {
  let w: World;
  afterEach(() => w.restore());
  const GROUPS = ['/aws/lambda/a', '/aws/lambda/b', 'plain', '/ecs/c'];
  function addGroups() {
    GROUPS.forEach((g) => w.logs.addGroup(g));
  }

  test('three missed days, then one run exports all three', async () => {
    w = world({ now: Date.parse('2026-11-21T13:00:00Z') });
    addGroups();
    expect((await w.loop.run({}))[0].status).toBe('SUCCEEDED'); // exports the 20th, sets the checkpoint
    w.clock.now = Date.parse('2026-11-25T13:00:00Z'); // runs of the 22nd..24th never happened
    const [e] = await w.loop.run({ scheduledTime: '2026-11-25T13:00:00Z' });
    expect(e.status).toBe('SUCCEEDED');
    expectExactlyOnce(w, GROUPS, days('2026-11-20T00:00:00Z', '2026-11-24T00:00:00Z'));
  });

  test('a ten-day backfill, then the same again: nothing new', async () => {
    w = world();
    addGroups();
    const [e] = await w.loop.run({ startDate: '2026-11-10', endDate: '2026-11-19' });
    expect(e.status).toBe('SUCCEEDED');
    const created = w.logs.calls.CreateExportTask;
    const [again] = await w.loop.run({ startDate: '2026-11-10', endDate: '2026-11-19' });
    expect(again.status).toBe('SUCCEEDED');
    expect(w.logs.calls.CreateExportTask).toBe(created);
    expectExactlyOnce(w, GROUPS, days('2026-11-10T00:00:00Z', '2026-11-19T00:00:00Z'));
    // A backfill limited to one group, re-exporting on purpose.
    const [redo] = await w.loop.run({ startDate: '2026-11-12', endDate: '2026-11-12', logGroupNames: ['plain'], reexport: true });
    expect(redo.status).toBe('SUCCEEDED');
    expect(w.logs.calls.CreateExportTask).toBe(created + 1);
  });

  test('two executions started together: each (group, window) exported once, neither fails', async () => {
    w = world({ props: { settleTime: Duration.hours(0) } });
    addGroups();
    const [a, b] = await Promise.all([w.loop.run({}, 'scheduled'), w.loop.run({ startDate: '2026-11-23', endDate: '2026-11-24' }, 'manual')]);
    expect(a[0].status).toBe('SUCCEEDED');
    expect(b[0].status).toBe('SUCCEEDED');
    expectExactlyOnce(w, GROUPS, days('2026-11-23T00:00:00Z', '2026-11-24T00:00:00Z'));
  });

  test('the handler dies after CreateExportTask, before answering: the task is adopted, not created twice', async () => {
    w = world({ props: { settleTime: Duration.hours(0) } });
    addGroups();
    let crashes = 0;
    w.logs.afterCreate = (task) => {
      if (task.logGroupName === '/aws/lambda/b' && crashes++ === 0) throw new Error('Runtime.ExitError: out of memory');
    };
    const [e] = await w.loop.run({});
    expect(e.status).toBe('SUCCEEDED');
    expect(crashes).toBeGreaterThan(0);
    expect(e.output?.state.stats.adopted).toBe(1);
    expectExactlyOnce(w, GROUPS, days('2026-11-24T00:00:00Z', '2026-11-24T00:00:00Z'));
  });

  test('it also dies after a task that completes at once: found under its destination, adopted', async () => {
    w = world({ props: { settleTime: Duration.hours(0) }, logs: { duration: () => 100 } });
    addGroups();
    let crashes = 0;
    w.logs.afterCreate = (task) => {
      if (task.logGroupName === '/ecs/c' && crashes++ === 0) {
        w.clock.now += 60_000; // the export finishes before the retry
        throw new Error('Sandbox.Timedout');
      }
    };
    const [e] = await w.loop.run({});
    expect(e.status).toBe('SUCCEEDED');
    expectExactlyOnce(w, GROUPS, days('2026-11-24T00:00:00Z', '2026-11-24T00:00:00Z'));
  });

  test('throttling on every third CloudWatch Logs call', async () => {
    w = world({ props: { settleTime: Duration.hours(0) }, logs: { throttleEvery: 3 } });
    addGroups();
    const [e] = await w.loop.run({});
    expect(e.status).toBe('SUCCEEDED');
    expect(w.logs.calls.throttled).toBeGreaterThan(3);
    expectExactlyOnce(w, GROUPS, days('2026-11-24T00:00:00Z', '2026-11-24T00:00:00Z'));
  });

  test('a long foreign export at the start; a group failing twice then succeeding, one always failing', async () => {
    w = world({ props: { settleTime: Duration.hours(0) }, logs: { failures: { '/aws/lambda/b': 2, '/ecs/c': Infinity } } });
    addGroups();
    w.logs.addForeignTask(3 * 3600_000);
    const [e] = await w.loop.run({});
    expect(e.status).toBe('FAILED');
    expect(e.cause).toMatch(new RegExp('^1 export\\(s\\) failed after retries. To export them: redrive this execution, or start executions of this state machine with ' +
      'these inputs \\(what was exported is skipped; do not add reexport\\): (\\{.*\\})\\. Failures: /ecs/c @ 2026-11-24T00:00:00.000Z: export task task-\\d+ ended FAILED'));
    expect(w.clock.now).toBeGreaterThan(Date.parse('2026-11-25T04:00:00Z'));
    expect([...w.logs.completedExports().keys()].map((k) => k.split('|')[0]).sort()).toEqual(['/aws/lambda/a', '/aws/lambda/b', 'plain']);
    // The input the cause prints retries the failed window of the failed group, and nothing else.
    const input = JSON.parse(/with these inputs [^:]*: (\{.*?\})\. Failures/.exec(e.cause!)![1]);
    expect(input).toEqual({ startDate: '2026-11-24', endDate: '2026-11-24', logGroupNames: ['/ecs/c'] });
    let created = w.logs.calls.CreateExportTask;
    expect((await w.loop.run(input))[0].status).toBe('FAILED');
    expect(w.logs.calls.CreateExportTask - created).toBe(3);
    // The failed window stays before the checkpoint: the next run tries /ecs/c again, and only it.
    created = w.logs.calls.CreateExportTask;
    await w.loop.run({});
    expect(w.logs.calls.CreateExportTask - created).toBe(3);
  });

  test('an execution stopped by its timeout, then a rerun resumes', async () => {
    w = world({ props: { settleTime: Duration.hours(0), timeout: Duration.minutes(30) }, logs: { duration: () => 12 * 60_000 } });
    addGroups();
    // The second turn hangs past the timeout (a stuck dependency): the execution times out.
    const [first] = await w.loop.run({}, 'stuck', { hangOn: [2], hangMs: 40 * 60_000 });
    expect(first.status).toBe('TIMED_OUT');
    // Each rerun waits out the dead run's lease, adopts its running export and goes on.
    const statuses = [first.status];
    while (statuses[statuses.length - 1] !== 'SUCCEEDED' && statuses.length < 6) statuses.push((await w.loop.run({}))[0].status);
    expect(statuses[statuses.length - 1]).toBe('SUCCEEDED');
    expectExactlyOnce(w, GROUPS, days('2026-11-24T00:00:00Z', '2026-11-24T00:00:00Z'));
  });

  test('a run one hour after a window ends skips it (default settle time); the next run exports it', async () => {
    w = world({ now: Date.parse('2026-11-24T13:00:00Z') });
    addGroups();
    await w.loop.run({}); // exports the 23rd, the checkpoint moves to the 24th
    w.clock.now = Date.parse('2026-11-25T01:00:00Z');
    const before = w.logs.calls.CreateExportTask;
    expect((await w.loop.run({ scheduledTime: '2026-11-25T01:00:00Z' }))[0].status).toBe('SUCCEEDED');
    expect(w.logs.calls.CreateExportTask).toBe(before);
    w.clock.now = Date.parse('2026-11-26T01:00:00Z');
    await w.loop.run({ scheduledTime: '2026-11-26T01:00:00Z' });
    expectExactlyOnce(w, GROUPS, days('2026-11-23T00:00:00Z', '2026-11-24T00:00:00Z'));
  });
});

describe('scale', () => {
  let w: World;
  afterEach(() => w.restore());

  test('a scheduled run with nothing left to export costs what the schedule frequency warning says a run costs', async () => {
    w = world({ props: { settleTime: Duration.hours(0) }, groups: Array.from({ length: 300 }, (_, i) => `/aws/lambda/f${i}`) });
    expect((await w.loop.run({ scheduledTime: new Date(w.clock.now).toISOString() }))[0].status).toBe('SUCCEEDED');
    w.clock.now += 60_000;
    const s3Before = { ...w.s3.calls };
    const loop = new Loop(w.synthesized, w.clock, 30);
    const chain = await loop.run({ scheduledTime: new Date(w.clock.now).toISOString() });
    expect(chain.map((e) => e.status)).toEqual(['SUCCEEDED']);
    const s3Calls = Object.fromEntries(Object.entries(w.s3.calls).map(([op, n]) => [op, n - (s3Before[op] ?? 0)]));
    const gbSeconds = (loop.handlerMs / 1000) * MEMORY_GB;
    const run = dollars({ transitions: chain[0].transitions, invocations: loop.invocations, gbSeconds, s3Calls });
    expect(run).toBeLessThanOrEqual(RUN_DOLLARS);
    expect(run).toBeGreaterThan(RUN_DOLLARS / 2);
  });

  test.each([
    // Pages of 250 groups: 5 + 5 + 1 DescribeLogGroups calls.
    ['short names', 2 * PAGE_GROUPS + 20, 16, 11],
    // Names of 512 characters (the longest): pages of 50, one call each.
    ['the longest names', 300, 512, 6],
  ])('pages of log groups (%s), continue-as-new before the history limit, a payload far below the 256 KB limit', async (_name, n, length, calls) => {
    w = world({ props: { settleTime: Duration.hours(0) }, config: { maxTurns: 1 } });
    const groups = Array.from({ length: n }, (_, i) => `/aws/lambda/f${String(i).padStart(3, '0')}`.padEnd(length, 'x'));
    groups.forEach((g) => w.logs.addGroup(g));
    const chain = await w.loop.run({});
    expect(chain.length).toBeGreaterThan(2);
    expect(chain.slice(0, -1).every((e) => e.output?.status === 'CONTINUE')).toBe(true);
    expect(chain[chain.length - 1].status).toBe('SUCCEEDED');
    expect(w.logs.calls.DescribeLogGroups).toBe(calls);
    // The page, and the next one listed ahead.
    expect(Math.max(...chain.map((e) => JSON.stringify(e.output).length))).toBeLessThan(80_000);
    expectExactlyOnce(w, groups, days('2026-11-24T00:00:00Z', '2026-11-24T00:00:00Z'));
  });

  test('names of every length on one page: the next page is listed ahead only while the state stays under 96,000 characters', async () => {
    w = world({ props: { settleTime: Duration.hours(0) } });
    // Per page: 200 names of 59 characters, then 50 of 512 (the listing takes more names while under 12,000 characters).
    const groups = ['a', 'b', 'c'].flatMap((p) => [
      ...Array.from({ length: 200 }, (_, i) => `/${p}/short-${String(i).padStart(3, '0')}`.padEnd(59, 's')),
      ...Array.from({ length: 50 }, (_, i) => `/${p}/zlong-${String(i).padStart(3, '0')}`.padEnd(512, 'l')),
    ]);
    groups.forEach((g) => w.logs.addGroup(g));
    const chain = await w.loop.run({});
    expect(chain[chain.length - 1].status).toBe('SUCCEEDED');
    expect(w.logs.calls.DescribeLogGroups).toBe(15);
    // A page with its marks takes over 60,000 characters: with the next one it would pass 96,000.
    expect(w.loop.largestAnswer).toBeGreaterThan(60_000);
    expect(w.loop.largestAnswer).toBeLessThan(MAX_STATE_CHARS);
    expectExactlyOnce(w, groups, days('2026-11-24T00:00:00Z', '2026-11-24T00:00:00Z'));
  });

  test("the next day, each group's export is looked at once, when the one of the day before says it ends", async () => {
    const groups = Array.from({ length: 60 }, (_, i) => `/aws/lambda/f${String(i).padStart(2, '0')}`);
    // 1-9 s, and two groups of over a minute (these go back to the Wait state); 5% longer on day 2.
    const base = (g: string) => (g.endsWith('7') ? 70_000 : 1_000 + (Number(g.slice(-2)) % 9) * 1_000);
    let factor = 1;
    const duration = ({ logGroupName }: { logGroupName: string }) => base(logGroupName) * factor;
    w = world({ props: { settleTime: Duration.hours(0) }, logs: { duration }, groups: groups });
    const [day1] = await w.loop.run({ scheduledTime: '2026-11-25T01:00:00Z' });
    expect(day1.status).toBe('SUCCEEDED');
    const looksDay1 = w.logs.calls.DescribeExportTasks;
    expect(looksDay1).toBeGreaterThan(groups.length);

    factor = 1.05;
    const listsDay1 = w.s3.calls.ListObjectsV2;
    w.clock.now = Date.parse('2026-11-26T01:00:00Z');
    const [day2] = await w.loop.run({ scheduledTime: '2026-11-26T01:00:00Z' });
    expect(day2.status).toBe('SUCCEEDED');
    expect(w.logs.calls.DescribeExportTasks - looksDay1).toBe(groups.length);
    // Once per run: are there markers of the window? Once per page (one): the markers of the window before. At the end, the
    // window and the one before read whole (a page each), to find groups exported before and not now.
    expect(w.s3.calls.ListObjectsV2 - listsDay1).toBe(1 + 1 + 2);
    expectExactlyOnce(w, groups, days('2026-11-24T00:00:00Z', '2026-11-25T00:00:00Z'));
  });
});

test.each([
  ['one hour', Duration.hours(1), 12],
  ['six minutes, shorter than one invocation', Duration.minutes(6), 3],
])('a run longer than the execution timeout (%s) continues as a new execution before it', async (_name, timeout, groups) => {
  const w = world({ props: { settleTime: Duration.hours(0), timeout }, logs: { duration: () => 10 * 60_000 } });
  try {
    for (let i = 0; i < groups; i++) w.logs.addGroup(`/g/${i}`);
    const chain = await w.loop.run({});
    expect(chain.length).toBeGreaterThan(1);
    expect(chain.every((e) => e.status === 'SUCCEEDED')).toBe(true);
    expect(w.logs.completedExports().size).toBe(groups);
    expect([...w.logs.completedExports().values()].every((n) => n === 1)).toBe(true);
  } finally {
    w.restore();
  }
});

describe('no silent gap', () => {
  let w: World;
  afterEach(() => {
    w.restore();
    jest.restoreAllMocks();
  });

  test('three scheduled runs missed: the next run starts four settled windows behind (three missed days and its own), catches up, ends with none', async () => {
    const reported: Array<[string, number]> = [];
    jest.spyOn(metrics, 'addMetric').mockImplementation((name, _unit, value) => {
      // Lag in whole hours: a run takes a few seconds.
      if (name === 'ArchiveLag') reported.push([name, Math.floor(value / 3600)]);
      if (name === 'WindowsBehind') reported.push([name, value]);
      return metrics;
    });
    w = world({ now: Date.parse('2026-11-21T13:00:00Z'), groups: ['/a', '/b', 'c'] });
    expect((await w.loop.run({ scheduledTime: '2026-11-21T13:00:00Z' }))[0].status).toBe('SUCCEEDED');
    // The first run reports at its end only (nothing was exported before it): the 20th is exported, nothing is behind.
    expect(reported).toEqual([['ArchiveLag', 13], ['WindowsBehind', 0]]);
    reported.length = 0;
    // No run on the 22nd, 23rd and 24th.
    w.clock.now = Date.parse('2026-11-25T13:00:00Z');
    expect((await w.loop.run({ scheduledTime: '2026-11-25T13:00:00Z' }))[0].status).toBe('SUCCEEDED');
    expect(reported).toEqual([['ArchiveLag', 4 * 24 + 13], ['WindowsBehind', 4], ['ArchiveLag', 13], ['WindowsBehind', 0]]);
    expectExactlyOnce(w, ['/a', '/b', 'c'], days('2026-11-20T00:00:00Z', '2026-11-24T00:00:00Z'));
  });

  test('a daily run whose exports take most of the day says how many log groups fit, and publishes the share of the day it took', async () => {
    const used: number[] = [];
    jest.spyOn(metrics, 'addMetric').mockImplementation((name, _unit, value) => {
      if (name === 'ExportCapacityUsed') used.push(value);
      return metrics;
    });
    const warn = jest.spyOn(logger, 'warn');
    // Three groups whose exports take 7 hours each: 21 hours of a 24-hour window.
    w = world({ props: { settleTime: Duration.hours(0) }, logs: { duration: () => 7 * 3600_000 }, groups: ['/a', '/b', '/c'] });
    const chain = await w.loop.run({});
    expect(chain[chain.length - 1].status).toBe('SUCCEEDED');
    expect(used).toHaveLength(1);
    expect(used[0]).toBeGreaterThan(87.5);
    expect(used[0]).toBeLessThan(90);
    const message = warn.mock.calls.map((c) => String(c[0])).find((m) => m.startsWith('exporting one window took'));
    expect(message).toMatch(/^exporting one window took 21\.\d h of the 24 h a window lasts: at this pace about 2 log groups fit/);
  });

  test('one missed daily run: the next run sees a lag below the freshness alarm, and the silence between them is shorter than its period', async () => {
    const lags: number[] = [];
    jest.spyOn(metrics, 'addMetric').mockImplementation((name, _unit, value) => {
      if (name === 'ArchiveLag') lags.push(value);
      return metrics;
    });
    w = world({ now: Date.parse('2026-11-22T01:00:00Z') });
    w.logs.addGroup('/a');
    await w.loop.run({ scheduledTime: '2026-11-22T01:00:00Z' });
    w.clock.now = Date.parse('2026-11-23T01:00:00Z');
    await w.loop.run({ scheduledTime: '2026-11-23T01:00:00Z' });
    lags.length = 0;
    // The run of the 24th is missed; the one of the 25th catches up.
    w.clock.now = Date.parse('2026-11-25T01:00:00Z');
    expect((await w.loop.run({ scheduledTime: '2026-11-25T01:00:00Z' }))[0].status).toBe('SUCCEEDED');
    const alarm = Object.values<any>(synth({}).template.toJSON().Resources).find((r) => r.Properties?.MetricName === 'ArchiveLag').Properties;
    expect(lags[0]).toBeLessThanOrEqual(alarm.Threshold);
    expect(48 * 3600).toBeLessThan(alarm.Period);
  });

  test('a checkpoint in the future: the run reports how far back it reaches, and replaces it when its first window fails', async () => {
    const reported: Array<[string, number]> = [];
    jest.spyOn(metrics, 'addMetric').mockImplementation((name, _unit, value) => {
      if (name === 'WindowsBehind') reported.push([name, value]);
      return metrics;
    });
    w = world({ props: { settleTime: Duration.hours(0) }, now: Date.parse('2026-11-25T01:00:00Z'), logs: { failures: { '/bad': Infinity } }, groups: ['/a', '/bad'] });
    const key = checkpointKey('exported-logs', 'P1D');
    w.s3.put(w.synthesized.bucket, key, JSON.stringify({ end: Date.parse('2026-11-28T00:00:00Z') }));
    const [e] = await w.loop.run({ scheduledTime: '2026-11-25T01:00:00Z' });
    expect(e.status).toBe('FAILED');
    expect(e.output!.state.windows).toHaveLength(14);
    // 14 windows behind when it starts; the checkpoint is moved before the first (failed) window, so the next run says so too.
    expect(reported[0]).toEqual(['WindowsBehind', 14]);
    expect(JSON.parse(w.s3.objects.get(`${w.synthesized.bucket}/${key}`)!.body).end).toBe(e.output!.state.windows[0]);
    expect(reported[reported.length - 1]).toEqual(['WindowsBehind', 14]);
  });
});
