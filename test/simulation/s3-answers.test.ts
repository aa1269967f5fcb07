/**
 * S3 as it really answers: a missing key comes back 403 AccessDenied (not 404) to a caller whose
 * s3:ListBucket does not count; a real denial names the permission; a bucket with Object Lock
 * locks what the exporter writes. The synthesized state machine with the real handler, on the
 * fakes in the matching mode, and the coverage report over what it left.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { Duration } from 'aws-cdk-lib';
import { main } from '../../src/cli/main';
import { STATE_RETENTION_MS } from '../../src/handler/state-store';
import { S3Options } from '../harness/fakes';
import { last, nth } from '../harness/rules';
import { World, days, expectExactlyOnce, world } from '../harness/world';

const GROUPS = ['/aws/lambda/orders', '/aws/lambda/payments', 'app-audit'];
const DAY = days('2026-11-24T00:00:00Z', '2026-11-24T00:00:00Z');
const NEXT_DAY = days('2026-11-25T00:00:00Z', '2026-11-25T00:00:00Z');

let w: World;
afterEach(() => w.restore());

const s3World = (s3: S3Options, duration = (_: { logGroupName: string }) => 4_000): World =>
  world({ props: { settleTime: Duration.hours(0) }, s3, logs: { duration }, groups: GROUPS });

async function report(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, () => new S3Client({ region: 'us-east-1' }), w.clock.now);
  return { code, out, err };
}

describe('a missing key answered 403 AccessDenied (the caller\'s s3:ListBucket did not count)', () => {
  test('first run, second run, a takeover after a dead run and the coverage report: exactly once', async () => {
    w = s3World({ missingKey: 403 });
    // The first run of a new exporter (no owner.json, lease or checkpoint: each read answered 403)
    // dies holding the lease after its second export started, and every retry crashes.
    const [dead] = await w.loop.run({}, 'dead', { kill: (inv) => (inv.number === 1 ? nth('CreateExportTask', 2, 'after') : undefined), crashWhen: (inv) => inv.number > 1 });
    expect(dead.status).toBe('FAILED');
    const denied = w.s3.calls.missingAnswered ?? 0;
    expect(denied).toBeGreaterThanOrEqual(3);
    w.clock.now += 31 * 60_000;
    // The next run takes its lease over and finishes what it left; the checkpoint is still missing (403).
    expect(last(await w.loop.run({}, 'takeover')).status).toBe('SUCCEEDED');
    expect(w.s3.calls.missingAnswered).toBeGreaterThan(denied);
    // The next day's run, as usual.
    w.clock.now += 86_400_000;
    expect(last(await w.loop.run({}, 'next')).status).toBe('SUCCEEDED');
    expectExactlyOnce(w, GROUPS, [...DAY, ...NEXT_DAY]);

    const { code, out } = await report('coverage', '--bucket', w.synthesized.bucket, '--to', '2026-11-25');
    expect([code, out[out.length - 1]]).toEqual([0, 'Nothing is missing.']);
    // A prefix no exporter keeps its state under: its owner.json answers 403 too, and is reported missing, not denied.
    const elsewhere = await report('coverage', '--bucket', w.synthesized.bucket, '--prefix', 'elsewhere');
    expect([elsewhere.code, elsewhere.err[0]]).toEqual([2, expect.stringContaining('no exporter keeps its state under s3://exports-bucket/_state/elsewhere/')]);
  });

  test('a lease deleted while its run waits: the conditional rewrite answers 403, and the run takes the lease anew', async () => {
    w = s3World({ missingKey: 403 }, ({ logGroupName }) => (logGroupName === '/aws/lambda/slow' ? 40 * 60_000 : 4_000));
    w.logs.addGroup('/aws/lambda/slow');
    let deleted = false;
    const retries: number[] = [];
    // While the slow group's export runs (the run is in the Wait state), someone deletes the lease.
    const chain = await w.loop.run({}, 'run', {
      beforeInvocation: (inv) => {
        retries.push(inv.retryCount);
        if (inv.number === 3 && !deleted) {
          deleted = w.s3.delete(w.synthesized.bucket, '_state/exported-logs/lease.json');
          w.clock.now += 20 * 60_000;
        }
      },
    });
    expect(deleted).toBe(true);
    expect([last(chain).status, last(chain).error, last(chain).cause]).toEqual(['SUCCEEDED', undefined, undefined]);
    // Told apart from a denial without failing a turn.
    expect(retries.filter((r) => r > 0)).toEqual([]);
    expectExactlyOnce(w, [...GROUPS, '/aws/lambda/slow'], DAY);
  });
});

describe('a real denial fails the run, naming the permission and the statement that grants it', () => {
  test.each([
    ['s3:GetObject on an object that exists', { deny: (op: string, key: string) => op === 'GetObject' && key.endsWith('/owner.json') }, true,
      /s3:GetObject on arn:aws:s3:::exports-bucket\/_state\/exported-logs\/owner\.json was denied \(the object exists\): .*s3:GetObject and s3:PutObject on arn:aws:s3:::exports-bucket\/_state\/exported-logs\/\* \(statement ReadWriteExporterObjects\)/],
    ['s3:ListBucket, so that a 403 cannot be told from a denial', { missingKey: 403 as const, deny: (op: string) => op === 'ListObjectsV2' }, false,
      /s3:ListBucket on arn:aws:s3:::exports-bucket \(prefix _state\/exported-logs\/owner\.json\) was denied: .*for the prefixes exported-logs\/\* and _state\/exported-logs\/\* \(statement ListExporterKeys\)/],
    ['s3:PutObject of its state', { deny: (op: string, key: string) => op === 'PutObject' && key.startsWith('_state/') }, false,
      /s3:PutObject on arn:aws:s3:::exports-bucket\/_state\/exported-logs\/owner\.json was denied/],
    ['s3:GetBucketObjectLockConfiguration', { deny: (op: string) => op === 'GetObjectLockConfiguration' }, false,
      /s3:GetBucketObjectLockConfiguration on arn:aws:s3:::exports-bucket was denied: .*\(statement ReadBucketSettings\)/],
  ])('%s', async (_name, s3, afterAFirstRun, message) => {
    w = s3World({});
    if (afterAFirstRun) expect(last(await w.loop.run({})).status).toBe('SUCCEEDED');
    Object.assign(w.s3.options, s3);
    const chain = await w.loop.run({ startDate: '2026-11-23', endDate: '2026-11-23' }, 'denied');
    expect([last(chain).status, last(chain).error]).toEqual(['FAILED', 'PermissionDenied']);
    expect(last(chain).cause).toMatch(message);
    // Nothing was exported by the denied run.
    expect(w.logs.tasks.filter((t) => t.from === Date.parse('2026-11-23T00:00:00Z'))).toEqual([]);
  });

  test('the coverage report, denied its reads, exits 3 naming what its credentials need', async () => {
    w = s3World({});
    expect(last(await w.loop.run({})).status).toBe('SUCCEEDED');
    Object.assign(w.s3.options, { missingKey: 403, deny: (op: string) => op === 'ListObjectsV2' });
    const { code, err } = await report('coverage', '--bucket', w.synthesized.bucket);
    expect(code).toBe(3);
    expect(err.join('\n')).toMatch(/s3:ListBucket on arn:aws:s3:::exports-bucket .*was denied: the credentials running the report need s3:ListBucket on arn:aws:s3:::exports-bucket for the prefix _state\/exported-logs\/\* and s3:GetObject on arn:aws:s3:::exports-bucket\/_state\/exported-logs\/\*/);
  });
});

test('a bucket with a default Object Lock retention: exports take it, the state the shortest explicit one (a day) of its mode', async () => {
  w = s3World({ objectLock: { mode: 'COMPLIANCE', days: 3650 }, missingKey: 403 });
  expect(last(await w.loop.run({})).status).toBe('SUCCEEDED');
  w.clock.now += 86_400_000;
  expect(last(await w.loop.run({})).status).toBe('SUCCEEDED');
  expectExactlyOnce(w, GROUPS, [...DAY, ...NEXT_DAY]);
  const stored = [...w.s3.objects.entries()];
  const state = stored.filter(([k]) => k.startsWith(`${w.synthesized.bucket}/_state/`));
  const exports = stored.filter(([k]) => k.endsWith('.gz'));
  expect(state.length).toBeGreaterThan(2 * GROUPS.length);
  // Each state object's current version is locked for a day from when it was written, in the bucket's mode.
  for (const [k, o] of state) expect([k, o.lock]).toEqual([k, { mode: 'COMPLIANCE', until: o.modified + STATE_RETENTION_MS }]);
  for (const [k, o] of exports) expect([k, o.lock]).toEqual([k, { mode: 'COMPLIANCE', until: o.modified + 3650 * 86_400_000 }]);
  // The lease was rewritten: its older versions are kept (the bucket's lifecycle rule expires them).
  expect(w.s3.objects.get(`${w.synthesized.bucket}/_state/exported-logs/lease.json`)!.versions).toBeGreaterThan(2);
});

test('a state object written by another run between the 403 and the confirming listing is read, not taken for a denial', async () => {
  // The owner record another first run of this exporter writes meanwhile (the same record this one would write).
  const probe = s3World({});
  expect(last(await probe.loop.run({})).status).toBe('SUCCEEDED');
  const owner = probe.s3.objects.get(`${probe.synthesized.bucket}/_state/exported-logs/owner.json`)!.body;
  probe.restore();
  w = s3World({ missingKey: 403 });
  let written = false;
  const retries: number[] = [];
  const chain = await w.loop.run({}, 'run', {
    beforeInvocation: (inv) => { retries.push(inv.retryCount); },
    kill: () => (c) => {
      if (!written && c.op === 'ListObjectsV2' && c.input.Prefix === '_state/exported-logs/owner.json') {
        written = true;
        w.s3.put(w.synthesized.bucket, '_state/exported-logs/owner.json', owner);
      }
      return undefined;
    },
  });
  expect(written).toBe(true);
  expect(last(chain).status).toBe('SUCCEEDED');
  expect(retries.filter((r) => r > 0)).toEqual([]);
  expectExactlyOnce(w, GROUPS, DAY);
});
