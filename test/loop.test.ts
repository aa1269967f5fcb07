/**
 * The synthesized state machine, run locally with the real handler engine against stateful fakes
 * of CloudWatch Logs (one active export task, PENDING -> RUNNING -> COMPLETED) and S3.
 */
import { Duration, TimeZone } from 'aws-cdk-lib';
import { exportPrefix } from '../src/handler/layout';
import { Window, windowAt } from '../src/handler/windows';
import { FakeLogs, FakeS3, VirtualClock, installFakes } from './harness/fakes';
import { Loop, fromTemplate } from './harness/loop';
import { synth } from './harness/stack';

const BUCKET = 'exports-bucket';
const DAY = 86_400_000;

function world(props = {}, now = Date.parse('2026-11-25T01:00:00Z'), logsOptions = {}) {
  const { template } = synth(props);
  const synthesized = fromTemplate(template.toJSON(), BUCKET);
  const clock = new VirtualClock(now);
  clock.install();
  const s3 = new FakeS3();
  const logs = new FakeLogs(clock, s3, logsOptions);
  const restore = installFakes(logs, s3);
  const loop = new Loop(synthesized, clock);
  return { synthesized, clock, s3, logs, loop, restore };
}

/** Asserts that exactly the expected (group, window) pairs were exported, each once, under the right keys. */
function expectExactlyOnce(w: ReturnType<typeof world>, groups: string[], windows: Window[]) {
  const { config } = w.synthesized;
  const expected = new Map<string, number>();
  for (const g of groups) {
    for (const win of windows) expected.set(`${g}|${Math.max(win.start, w.logs.groups.get(g)!.creationTime)}|${win.end - 1}`, 1);
  }
  expect(Object.fromEntries(w.logs.completedExports())).toEqual(Object.fromEntries(expected));
  for (const g of groups) {
    for (const win of windows) {
      const prefix = exportPrefix(config.keyPrefix, g, win, config.period, config.timeZone);
      expect(w.s3.keys(BUCKET, `${prefix}/`).filter((k) => k.endsWith('.gz'))).toHaveLength(1);
    }
  }
  const markers = w.s3.keys(BUCKET, `${config.keyPrefix}/_state/done/`);
  expect(markers).toHaveLength(groups.length * windows.length);
}

describe('export loop', () => {
  let w: ReturnType<typeof world>;
  afterEach(() => w.restore());

  test('exports 35 groups, with and without a leading slash, exactly once; a second run exports nothing', async () => {
    w = world({ settleTime: Duration.hours(0) });
    const groups: string[] = [];
    for (let i = 0; i < 35; i++) {
      const name = i % 3 === 0 ? `app-${i}` : `/aws/lambda/fn-${String(i).padStart(2, '0')}`;
      groups.push(name);
      w.logs.addGroup(name, i === 5 ? Date.parse('2026-11-24T12:00:00Z') : 0);
    }
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
    w = world({ settleTime: Duration.hours(0), timeZone: TimeZone.EUROPE_BERLIN }, Date.parse('2026-10-26T00:30:00Z'));
    w.logs.addGroup('/svc/a');
    const [e] = await w.loop.run({});
    expect(e.status).toBe('SUCCEEDED');
    // 2026-10-25 in Berlin: 25 hours, from 22:00Z on the 24th to 23:00Z on the 25th.
    const exported = [...w.logs.completedExports().keys()];
    expect(exported).toEqual([`/svc/a|${Date.parse('2026-10-24T22:00:00Z')}|${Date.parse('2026-10-25T23:00:00Z') - 1}`]);
    expect(w.s3.keys(BUCKET, 'exported-logs/svc/a/2026/10/25/').length).toBeGreaterThan(0);
  });

  test('waits for a foreign export task, and retries a FAILED export', async () => {
    w = world({ settleTime: Duration.hours(0) }, undefined, { failures: { '/b': 2 } });
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
    w = world({ settleTime: Duration.hours(0) }, undefined, { failures: { '/bad': Infinity } });
    ['/a', '/bad', '/c'].forEach((g) => w.logs.addGroup(g));
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
    expect(DAY).toBeGreaterThan(0);
  });
});
