/**
 * The coverage report against the exports of real runs (the synthesized state machine, the
 * handler, the fakes): it names what is missing, and the backfill it prints exports exactly that.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { Duration } from 'aws-cdk-lib';
import { main } from '../../src/cli/main';
import { World, days, expectExactlyOnce, world } from '../harness/world';

const GROUPS = ['/aws/lambda/orders', '/aws/lambda/payments', 'app-audit'];
let w: World;
afterEach(() => w.restore());

async function report(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, new S3Client({ region: 'us-east-1' }), w.clock.now);
  return { code, out, err };
}

test('a deliberate gap: named with its group and window, exit 1; the printed backfill fills it; then exit 0', async () => {
  w = world({ props: { settleTime: Duration.hours(0) } });
  GROUPS.forEach((g) => w.logs.addGroup(g));
  // Five days exported, but payments misses the 22nd and 23rd, and orders the 24th.
  expect((await w.loop.run({ startDate: '2026-11-20', endDate: '2026-11-21', logGroupNames: GROUPS }))[0].status).toBe('SUCCEEDED');
  expect((await w.loop.run({ startDate: '2026-11-22', endDate: '2026-11-23', logGroupNames: ['/aws/lambda/orders', 'app-audit'] }))[0].status).toBe('SUCCEEDED');
  expect((await w.loop.run({ startDate: '2026-11-24', endDate: '2026-11-24', logGroupNames: ['/aws/lambda/payments', 'app-audit'] }))[0].status).toBe('SUCCEEDED');

  const gaps = await report('coverage', '--bucket', w.synthesized.bucket);
  expect(gaps.code).toBe(1);
  expect(gaps.out).toEqual([
    's3://exports-bucket/exported-logs/: daily windows in Etc/UTC, 2026-11-20 to 2026-11-24',
    '/aws/lambda/orders        4 exported      1 missing: 2026-11-24',
    '/aws/lambda/payments      3 exported      2 missing: 2026-11-22..2026-11-23',
    'app-audit                 5 exported      0 missing',
    "3 window(s) missing in 2 log group(s). To export them, start executions of the exporter's state machine with these inputs:",
    '  {"startDate":"2026-11-22","endDate":"2026-11-23","logGroupNames":["/aws/lambda/payments"]}',
    '  {"startDate":"2026-11-24","endDate":"2026-11-24","logGroupNames":["/aws/lambda/orders"]}',
  ]);

  // Run what it printed.
  for (const input of gaps.out.filter((l) => l.startsWith('  {')).map((l) => JSON.parse(l))) {
    expect((await w.loop.run(input))[0].status).toBe('SUCCEEDED');
  }
  expectExactlyOnce(w, GROUPS, days('2026-11-20T00:00:00Z', '2026-11-24T00:00:00Z'));
  const none = await report('coverage', '--bucket', w.synthesized.bucket, '--json');
  expect(none.code).toBe(0);
  expect(JSON.parse(none.out.join('\n'))).toMatchObject({
    period: 'P1D',
    from: '2026-11-20',
    to: '2026-11-24',
    backfills: [],
    groups: GROUPS.map((logGroupName) => ({ logGroupName, exported: 5, missing: 0, gaps: [] })),
  });
});

test('a group named on the command line that was never exported, and a range given: every window of it is missing', async () => {
  w = world({ props: { settleTime: Duration.hours(0) } });
  GROUPS.forEach((g) => w.logs.addGroup(g));
  await w.loop.run({ startDate: '2026-11-23', endDate: '2026-11-24', logGroupNames: ['app-audit'] });
  const r = await report('coverage', '--bucket', w.synthesized.bucket, '--from', '2026-11-22', '--to', '2026-11-24', '--group', 'app-audit', '--group', '/never/exported');
  expect(r.code).toBe(1);
  expect(r.out).toContain('/never/exported      0 exported      3 missing: 2026-11-22..2026-11-24');
  expect(r.out).toContain('app-audit            2 exported      1 missing: 2026-11-22');
  expect(r.out).toContain('  {"startDate":"2026-11-22","endDate":"2026-11-22","logGroupNames":["app-audit"]}');
});

test.each([
  [[], /no command given/],
  [['report'], /unknown command 'report'/],
  [['coverage'], /--bucket is required/],
  [['coverage', '--bucket'], /--bucket needs a value/],
  [['coverage', '--bucket', 'b', '--since', '2026-11-01'], /unknown option '--since'/],
  [['coverage', '--bucket', 'exports-bucket', '--from', '2026-02-30'], /--from: the date is not a real date/],
  [['coverage', '--bucket', 'exports-bucket', '--from', '2026-11-24', '--to', '2026-11-20'], /--from 2026-11-24 is after --to 2026-11-20/],
  [['coverage', '--bucket', 'exports-bucket', '--to', '2026-12-24'], /--to 2026-12-24 has not settled yet/],
  [['coverage', '--bucket', 'exports-bucket', '--prefix', 'elsewhere'], /no exporter keeps its state under s3:\/\/exports-bucket\/elsewhere\/_state\//],
])('usage error %j: exit 2 and says what is wrong', async (argv, message) => {
  w = world({ props: { settleTime: Duration.hours(0) } });
  w.logs.addGroup('/a');
  await w.loop.run({});
  const r = await report(...argv);
  expect(r.code).toBe(2);
  expect(r.err.join('\n')).toMatch(message);
});
