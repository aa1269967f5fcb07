/**
 * What a second review of offload found: each test is one way a guarantee broke, now held.
 */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { S3Client } from '@aws-sdk/client-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { main } from '../../src/cli/main';
import { retentionKey } from '../../src/shared/layout';
import * as shared from '../harness/offload';
import { DAY, FIRST_WINDOW, START, iso, ledger, offloadWorld, retention } from '../harness/offload';
import { last } from '../harness/rules';
import { World } from '../harness/world';

let w: World;
afterEach(() => w?.restore());

/** The days' runs, each expected to succeed unless `status` is null. */
const days = (x: World, from: number, to: number, groups: string[], each?: (day: number) => void, status: string | null = 'SUCCEEDED') =>
  shared.days(x, from, to, groups, { each, status: status ?? undefined });

test('a transient S3 error reading the ledger at settle: the turn is tried again and the group\'s retention comes back to 7 days', async () => {
  w = offloadWorld();
  w.logs.addGroup('/app/a', FIRST_WINDOW);
  await days(w, 0, 3, ['/app/a']);
  expect(retention(w, '/app/a')).toBe(7);
  const key = retentionKey(w.synthesized.config.keyPrefix);
  let reads = 0;
  const slowDown = Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } });
  w.clock.now = START + 4 * DAY;
  const chain = await w.loop.run({ scheduledTime: iso(w.clock.now) }, 'day-4', {
    kill: () => (c) => (c.op === 'GetObject' && c.input.Key === key && ++reads === 2 ? { error: slowDown } : undefined),
  });
  expect(reads).toBeGreaterThanOrEqual(2);
  expect(last(chain).status).toBe('SUCCEEDED');
  await days(w, 5, 16, ['/app/a']);
  // Today day 4's window never reaches the ledger (spans [23rd, 27th) and [28th, ...)): once it is older than maxArchiveLag the
  // group goes to never expire, and stays there, though every window is exported. A read that failed is no unreadable ledger.
  expect(retention(w, '/app/a')).toBe(7);
});

async function cli(x: World, ...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, () => new S3Client({ region: 'eu-west-1' }), x.clock.now,
    () => new CloudWatchLogsClient({ region: 'eu-west-1' }));
  return { code, out, err };
}

test('restore-retention leaves alone a group the exporter never changed (its owner gave it 90 days since)', async () => {
  w = offloadWorld({ logs: { retentionTps: Infinity } });
  w.logs.addGroup('/app/a', FIRST_WINDOW);
  // Shorter than the offload retention: the exporter never changes it.
  w.logs.addGroup('/app/short', FIRST_WINDOW, 5);
  await days(w, 0, 6, ['/app/a']);
  expect(retention(w, '/app/short')).toBe(5);
  // The ledger records it (original 5), though the exporter never called PutRetentionPolicy on it.
  expect(ledger(w).groups['/app/short'].original).toBe(5);
  expect(ledger(w).groups['/app/short'].set).toBeUndefined();
  // Its owner keeps it longer from now on; then offload is turned off and the retentions it set are put back.
  w.logs.groups.get('/app/short')!.retentionInDays = 90;
  const restored = await cli(w, 'restore-retention', '--bucket', w.synthesized.bucket, '--json');
  expect(restored.code).toBe(0);
  expect(retention(w, '/app/a')).toBeUndefined();
  expect(retention(w, '/app/short')).toBe(90);
});

test('restore-retention leaves alone a group created again under the name of one the exporter changed', async () => {
  w = offloadWorld({ logs: { retentionTps: Infinity } });
  w.logs.addGroup('/app/a', FIRST_WINDOW);
  await days(w, 0, 6, ['/app/a']);
  expect(retention(w, '/app/a')).toBe(7);
  // Offload is turned off; the group is deleted and created again (its stack replaced it) with a retention of its own.
  w.logs.deleteGroup('/app/a');
  w.logs.addGroup('/app/a', w.clock.now, 30);
  const restored = await cli(w, 'restore-retention', '--bucket', w.synthesized.bucket, '--json');
  expect(restored.code).toBe(0);
  // The ledger's entry is of the group deleted (its creation time): the new one is not the exporter's to change.
  expect(retention(w, '/app/a')).toBe(30);
});

// (With the ledger kept, the same runs lose nothing: the group goes to never expire once its oldest unarchived window is older than maxArchiveLag.)
test('the retention ledger deleted while a group is raised to 14 days for failing exports: nothing expires unarchived', async () => {
  const failures: Record<string, number> = {};
  w = offloadWorld({ logs: { failures } });
  for (const g of ['/app/a', '/app/b']) w.logs.addGroup(g, FIRST_WINDOW);
  await days(w, 0, 6, ['/app/a', '/app/b']);
  expect(retention(w, '/app/b')).toBe(7);
  // /app/b's exports fail: the exporter raises its retention.
  failures['/app/b'] = Infinity;
  const seen: Array<number | undefined> = [];
  await days(w, 7, 8, ['/app/a', '/app/b'], () => seen.push(retention(w, '/app/b')), null);
  expect(seen).toEqual([7, 7]);
  expect(retention(w, '/app/b')).toBe(14);
  // The ledger is lost (deleted by hand, a cleanup of _state/, a bucket restored without it).
  w.s3.objects.delete(`${w.synthesized.bucket}/${retentionKey(w.synthesized.config.keyPrefix)}`);
  await days(w, 9, 26, ['/app/a', '/app/b'], undefined, null);
  failures['/app/b'] = 0;
  await days(w, 27, 30, ['/app/a', '/app/b']);
});

test('a schedule every 6 hours (daily windows): in steady state the retention stays at 7 days, with no retention call', async () => {
  w = offloadWorld({ props: { schedule: scheduler.ScheduleExpression.cron({ minute: '0', hour: '*/6' }) } });
  w.logs.addGroup('/app/a', FIRST_WINDOW);
  const start = Date.parse('2026-11-25T00:00:00Z');
  const calls = () => (w.logs.calls.PutRetentionPolicy ?? 0) + (w.logs.calls.DeleteRetentionPolicy ?? 0);
  let steady = 0;
  for (let r = 0; r < 4 * 14; r++) {
    w.clock.now = start + r * 6 * 3_600_000;
    const chain = await w.loop.run({ scheduledTime: iso(w.clock.now) }, `run-${r}`);
    expect([r, last(chain).status]).toEqual([r, 'SUCCEEDED']);
    expect([r, w.logs.lostUnarchived('/app/a')]).toEqual([r, []]);
    expect([r, retention(w, '/app/a')]).toEqual([r, 7]);
    // From the third day on, every window is exported and archived within a day of settling: steady state.
    if (r === 8) steady = calls();
  }
  // Steady state: no retention call at all (README: "in steady state, never").
  expect(calls() - steady).toBe(0);
});
