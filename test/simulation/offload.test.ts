/**
 * Offload (the exporter manages the CloudWatch Logs retention of its groups): the synthesized
 * state machine with the real handler, day after day, on fakes whose retention expires events
 * for good. Every test ends with the guarantee: no event expired before it was in the bucket.
 */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { S3Client } from '@aws-sdk/client-s3';
import { LogGroupSelection } from '../../src';
import { main } from '../../src/cli/main';
import { logger, metrics } from '../../src/handler/telemetry';
import { markerKey, markerPrefix } from '../../src/shared/layout';
import { windowAt } from '../../src/shared/windows';
import { Call, KillPoint } from '../harness/fakes';
import { InvocationInfo } from '../harness/loop';
import { DAY, FIRST_WINDOW, START, days, iso, ledger, offloadWorld, retention } from '../harness/offload';
import { World } from '../harness/world';

let w: World;
afterEach(() => w?.restore());

test('steady state: once every window since its first event is archived, a group keeps 7 days; nothing expires unarchived', async () => {
  w = offloadWorld();
  w.logs.addGroup('/app/a', FIRST_WINDOW);
  w.logs.addGroup('/app/b', FIRST_WINDOW, 30);
  await days(w, 0, 12, ['/app/a', '/app/b']);
  expect([retention(w, '/app/a'), retention(w, '/app/b')]).toEqual([7, 7]);
  // The ledger keeps what each group had before.
  expect(ledger(w).groups['/app/a'].original).toBeNull();
  expect(ledger(w).groups['/app/b'].original).toBe(30);
  // In steady state, a retention call only when the value changes: none on the last days.
  const puts = w.logs.calls.PutRetentionPolicy;
  await days(w, 13, 16, ['/app/a', '/app/b']);
  expect(w.logs.calls.PutRetentionPolicy).toBe(puts);
  // The events CloudWatch still holds go back at most 7 days and a window.
  expect(w.logs.expiredBefore(w.logs.groups.get('/app/a')!)).toBeGreaterThan(w.clock.now - 8 * DAY);
  // What the managed groups store, and an estimate of what they would store besides at their retention before.
  const published: Record<string, number> = {};
  const metric = jest.spyOn(metrics, 'addMetric').mockImplementation((name, _unit, value) => {
    published[name] = value;
    return metrics;
  });
  await days(w, 17, 17, ['/app/a', '/app/b']);
  metric.mockRestore();
  const stored = ['/app/a', '/app/b'].reduce((n, g) => n + w.logs.storedBytes(w.logs.groups.get(g)!), 0);
  expect(published.ManagedStoredBytes).toBeGreaterThan(0.9 * stored);
  expect(published.ManagedStoredBytes).toBeLessThanOrEqual(stored);
  // Both are 19 days old: /app/a (never expire before) would keep 12 days more than its 7, /app/b (30 days before) too.
  expect(published.OffloadedBytes / published.ManagedStoredBytes).toBeCloseTo(12 / 7, 1);
});

test('a group with history from before the first run keeps it; a backfill of the history lets it come down', async () => {
  w = offloadWorld();
  const created = FIRST_WINDOW - 20 * DAY;
  w.logs.addGroup('/app/old', created);
  await days(w, 0, 10, ['/app/old']);
  // Nothing before the first run's window is archived: never expire, as before.
  expect(retention(w, '/app/old')).toBeUndefined();
  const [backfill] = await w.loop.run({ startDate: '2026-11-03', endDate: '2026-11-22' }, 'history');
  expect(backfill.status).toBe('SUCCEEDED');
  await days(w, 11, 11, ['/app/old']);
  expect(retention(w, '/app/old')).toBe(7);
  expect(w.logs.lostUnarchived('/app/old')).toEqual([]);
});

test('a group with a retention of its own never gets a longer one than it had', async () => {
  w = offloadWorld();
  w.logs.addGroup('/app/short', FIRST_WINDOW - 40 * DAY, 14);
  await days(w, 0, 6, []);
  // History before the first run is not archived: 14 days, as it had (never more).
  expect(retention(w, '/app/short')).toBe(14);
  expect(w.logs.calls.PutRetentionPolicy ?? 0).toBe(0);
  // What expired is what the group's own retention removed before the exporter ran.
  expect(w.logs.lostUnarchived('/app/short', FIRST_WINDOW)).toEqual([]);
});

test('an archive that falls behind: retention goes up before the oldest unexported event reaches it, and comes down once caught up', async () => {
  const failures: Record<string, number> = {};
  w = offloadWorld({ logs: { failures } });
  w.logs.addGroup('/app/flaky', FIRST_WINDOW);
  w.logs.addGroup('/app/fine', FIRST_WINDOW);
  await days(w, 0, 1, ['/app/flaky', '/app/fine']);
  // From the third day, the group's exports fail for 8 runs (3 attempts a run), then succeed.
  failures['/app/flaky'] = 24;
  const highest: number[] = [];
  await days(w, 2, 20, ['/app/flaky', '/app/fine'], { each: () => highest.push(retention(w, '/app/flaky') ?? Infinity) });
  // It went above 7 days while windows were not archived, and is back at 7 once they are.
  expect(Math.max(...highest.filter(Number.isFinite))).toBeGreaterThan(7);
  expect(retention(w, '/app/flaky')).toBe(7);
  expect(retention(w, '/app/fine')).toBe(7);
});

test('a forged done-marker without files does not let retention come down past its window', async () => {
  w = offloadWorld();
  w.logs.addGroup('/app/a', FIRST_WINDOW);
  await days(w, 0, 9, ['/app/a']);
  expect(retention(w, '/app/a')).toBe(7);
  // Someone writes the marker of the next window before the run: the run takes it as exported, and no file is in the bucket.
  const { config, bucket } = w.synthesized;
  const next = windowAt(FIRST_WINDOW + 10 * DAY, 'P1D', 'UTC');
  w.s3.put(bucket, markerKey(markerPrefix(config.keyPrefix, 'P1D', next), '/app/a', 1000, 'forged-task'), '{}');
  await days(w, 10, 24, ['/app/a']);
  // The window is not archived: once it is older than the freshness alarm watches, the group is back at what it had (never expire).
  expect(retention(w, '/app/a')).toBeUndefined();
  // Archived up to the forged window; none of it is.
  const spans = ledger(w).groups['/app/a'].spans;
  expect(iso(spans[0][1])).toBe('2026-12-03T00:00:00Z');
  expect(spans.some(([a, b]) => a < next.end && b > next.start)).toBe(false);
  expect(w.logs.tasks.some((t) => t.logGroupName === '/app/a' && t.from === next.start)).toBe(false);
});

test('groups outside the selection, and the construct\'s own, are never touched', async () => {
  const touched: string[] = [];
  w = offloadWorld({ props: { logGroups: LogGroupSelection.all().excluding(['/excluded/']) }, logs: { onRetention: (g) => touched.push(g) } });
  w.logs.addGroup('/app/a', FIRST_WINDOW);
  w.logs.addGroup('/excluded/x', FIRST_WINDOW, 30);
  for (const own of w.synthesized.config.excludeNames) w.logs.addGroup(own, FIRST_WINDOW);
  await days(w, 0, 10, ['/app/a']);
  expect(retention(w, '/app/a')).toBe(7);
  expect(new Set(touched)).toEqual(new Set(['/app/a']));
  expect(retention(w, '/excluded/x')).toBe(30);
});

test('throttled and refused retention calls: retried, then a metric and a warning, and the next run sets it', async () => {
  let refuse = true;
  w = offloadWorld({
    logs: {
      retentionTps: 1,
      onRetention: () => {
        if (refuse) throw Object.assign(new Error('denied'), { name: 'AccessDeniedException' });
      },
    },
  });
  for (const g of ['/app/a', '/app/b', '/app/c']) w.logs.addGroup(g, FIRST_WINDOW);
  const failed: number[] = [];
  const metric = jest.spyOn(metrics, 'addMetric').mockImplementation((name, _unit, value) => {
    if (name === 'RetentionNotChanged') failed.push(value);
    return metrics;
  });
  const warn = jest.spyOn(logger, 'warn');
  await days(w, 0, 9, ['/app/a', '/app/b', '/app/c'], { status: 'SUCCEEDED' });
  const warned = warn.mock.calls.filter((c) => String(c[0]).startsWith("a log group's retention could not be changed"));
  metric.mockRestore();
  warn.mockRestore();
  expect(failed.length).toBeGreaterThan(0);
  expect(warned).toHaveLength(failed.length);
  expect(retention(w, '/app/a')).toBeUndefined();
  refuse = false;
  await days(w, 10, 10, ['/app/a', '/app/b', '/app/c']);
  expect(['/app/a', '/app/b', '/app/c'].map((g) => retention(w, g))).toEqual([7, 7, 7]);
});

test('the coverage report shows each managed group\'s retention; restore-retention puts back what each had before', async () => {
  // (The command paces its calls in real time, which the virtual clock of the fakes does not see.)
  w = offloadWorld({ logs: { retentionTps: Infinity } });
  w.logs.addGroup('/app/a', FIRST_WINDOW);
  w.logs.addGroup('/app/b', FIRST_WINDOW, 30);
  w.logs.addGroup('/app/gone', FIRST_WINDOW, 60);
  await days(w, 0, 6, ['/app/a', '/app/b', '/app/gone']);
  expect(['/app/a', '/app/b', '/app/gone'].map((g) => retention(w, g))).toEqual([7, 7, 7]);
  const cli = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, () => new S3Client({ region: 'eu-west-1' }), w.clock.now,
      () => new CloudWatchLogsClient({ region: 'eu-west-1' }));
    return { code, out, err };
  };
  const report = await cli('coverage', '--bucket', w.synthesized.bucket);
  expect(report.out.find((l) => l.startsWith('/app/b '))).toMatch(/\[retention 7 day\(s\) as offload last set it; 30 day\(s\) before\]/);
  expect(report.out.find((l) => l.startsWith('/app/a '))).toMatch(/\[retention 7 day\(s\) as offload last set it; never expire before\]/);

  const dry = await cli('restore-retention', '--bucket', w.synthesized.bucket, '--dry-run');
  expect(dry.code).toBe(0);
  expect(dry.out.at(-1)).toBe('3 log group(s) would get back the retention they had before offload.');
  expect(retention(w, '/app/b')).toBe(7);

  w.logs.deleteGroup('/app/gone');
  const restored = await cli('restore-retention', '--bucket', w.synthesized.bucket, '--json');
  expect(restored.code).toBe(0);
  expect(JSON.parse(restored.out.join('\n')).groups).toEqual([
    { logGroupName: '/app/a', retentionInDays: null, outcome: 'restored' },
    { logGroupName: '/app/b', retentionInDays: 30, outcome: 'restored' },
    { logGroupName: '/app/gone', retentionInDays: 60, outcome: 'not found' },
  ]);
  expect([retention(w, '/app/a'), retention(w, '/app/b')]).toEqual([undefined, 30]);
  expect((await cli('restore-retention', '--bucket', w.synthesized.bucket, '--group', '/app/other')).err[0])
    .toBe('the ledger records no retention of /app/other: the exporter never changed it');
  expect((await cli('restore-retention', '--bucket', w.synthesized.bucket, '--prefix', 'elsewhere')).code).toBe(2);
  expect((await cli('restore-retention', '--bucket', w.synthesized.bucket, '--from', '2026-11-01')).err[0]).toMatch(/^unknown option '--from' of restore-retention/);
});

describe('killed at any SDK call of a run that lowers or raises retention, and retried with the old input', () => {
  /** Both groups at 7 days; /app/b's exports fail on days 4 and 5 (raised to 14); day 6's run, which catches up and lowers it, is killed. */
  async function steady(): Promise<World> {
    const failures: Record<string, number> = {};
    const x = offloadWorld({ logs: { failures } });
    for (const g of ['/app/a', '/app/b']) x.logs.addGroup(g, FIRST_WINDOW);
    await days(x, 0, 3, ['/app/a', '/app/b']);
    expect([retention(x, '/app/a'), retention(x, '/app/b')]).toEqual([7, 7]);
    failures['/app/b'] = 6;
    await days(x, 4, 5, ['/app/a', '/app/b']);
    expect([retention(x, '/app/a'), retention(x, '/app/b')]).toEqual([7, 14]);
    return x;
  }
  const all = (rule: (c: Call) => KillPoint | undefined) => (_inv: InvocationInfo) => rule;

  /** The calls offload's guarantee rests on: retention changes, checks for events, writes (markers, ledger, lease), exports, and listings of export files. */
  const counts = (c: Call) => ['PutRetentionPolicy', 'DeleteRetentionPolicy', 'FilterLogEvents', 'PutObject', 'CreateExportTask'].includes(c.op)
    || (c.op === 'ListObjectsV2' && !String(c.input.Prefix).startsWith('_state/'));

  test('before and after each call that writes, exports, changes retention or confirms files', async () => {
    w = await steady();
    let calls = 0;
    w.clock.now = START + 6 * DAY;
    await w.loop.run({ scheduledTime: iso(w.clock.now) }, 'count', { kill: all((c) => { if (counts(c)) calls += 1; return undefined; }) });
    w.restore();
    expect(calls).toBeGreaterThan(5);
    for (let n = 1; n <= calls; n++) {
      for (const point of ['before', 'after'] as const) {
        w = await steady();
        w.clock.now = START + 6 * DAY;
        let seen = 0;
        await w.loop.run({ scheduledTime: iso(w.clock.now) }, 'killed', { kill: all((c) => (counts(c) && ++seen === n ? point : undefined)) });
        try {
          await days(w, 7, 8, ['/app/a', '/app/b']);
          expect([retention(w, '/app/a'), retention(w, '/app/b')]).toEqual([7, 7]);
        } catch (e) {
          throw new Error(`killed ${point} call ${n}: ${(e as Error).message}`);
        } finally {
          w.restore();
        }
      }
    }
  });
});
