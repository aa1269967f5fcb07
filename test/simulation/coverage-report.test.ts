/**
 * The coverage report against the exports of real runs (the synthesized state machine, the
 * handler, the fakes): it names what is missing, and the backfill it prints exports exactly that.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { S3Client } from '@aws-sdk/client-s3';
import { Duration, TimeZone } from 'aws-cdk-lib';
import { ExportPeriod } from '../../src';
import { main } from '../../src/cli/main';
import { parseRunInput } from '../../src/shared/config';
import { World, days, expectExactlyOnce, world } from '../harness/world';

const GROUPS = ['/aws/lambda/orders', '/aws/lambda/payments', 'app-audit'];
let w: World;
afterEach(() => {
  w?.restore();
  w = undefined as unknown as World;
});

async function report(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, () => new S3Client({ region: 'us-east-1' }), w.clock.now);
  return { code, out, err };
}

/** Runs the backfills a report printed, each to success. */
async function runPrinted(x: World, out: string[]): Promise<void> {
  for (const input of out.filter((l) => l.startsWith('  {')).map((l) => JSON.parse(l))) {
    expect((await x.loop.run(input))[0].status).toBe('SUCCEEDED');
  }
}

/** Exports 2026-11-23 and 24 of every group of GROUPS but '/aws/lambda/payments' on the 24th: one gap. */
async function gapIn(x: World): Promise<void> {
  GROUPS.forEach((g) => x.logs.addGroup(g));
  expect((await x.loop.run({ startDate: '2026-11-23', endDate: '2026-11-24', logGroupNames: ['app-audit', '/aws/lambda/orders'] }))[0].status).toBe('SUCCEEDED');
  expect((await x.loop.run({ startDate: '2026-11-23', endDate: '2026-11-23', logGroupNames: ['/aws/lambda/payments'] }))[0].status).toBe('SUCCEEDED');
}

test('a deliberate gap: named with its group and window, exit 1; the printed backfill fills it; then exit 0', async () => {
  w = world({ props: { settleTime: Duration.hours(0) }, groups: GROUPS });
  // Five days exported, but payments misses the 22nd and 23rd, and orders the 24th.
  expect((await w.loop.run({ startDate: '2026-11-20', endDate: '2026-11-21', logGroupNames: GROUPS }))[0].status).toBe('SUCCEEDED');
  expect((await w.loop.run({ startDate: '2026-11-22', endDate: '2026-11-23', logGroupNames: ['/aws/lambda/orders', 'app-audit'] }))[0].status).toBe('SUCCEEDED');
  expect((await w.loop.run({ startDate: '2026-11-24', endDate: '2026-11-24', logGroupNames: ['/aws/lambda/payments', 'app-audit'] }))[0].status).toBe('SUCCEEDED');

  // The 24th settled at midnight (settle time 0); the schedule would export it by 01:00 tomorrow: ask for it.
  const gaps = await report('coverage', '--bucket', w.synthesized.bucket, '--to', '2026-11-24');
  expect(gaps.code).toBe(1);
  expect(gaps.out).toEqual([
    's3://exports-bucket/exported-logs/: daily windows in Etc/UTC, 2026-11-20 to 2026-11-24',
    '/aws/lambda/orders        4 exported      0 empty      1 missing: 2026-11-24',
    '/aws/lambda/payments      3 exported      0 empty      2 missing: 2026-11-22..2026-11-23',
    'app-audit                 5 exported      0 empty      0 missing',
    'No scheduled run has ended yet: what the selection matches is not known.',
    "3 window(s) missing in 2 log group(s). To export them, start executions of the exporter's state machine with these inputs:",
    '  {"startDate":"2026-11-22","endDate":"2026-11-23","logGroupNames":["/aws/lambda/payments"]}',
    '  {"startDate":"2026-11-24","endDate":"2026-11-24","logGroupNames":["/aws/lambda/orders"]}',
  ]);

  // Run what it printed.
  await runPrinted(w, gaps.out);
  expectExactlyOnce(w, GROUPS, days('2026-11-20T00:00:00Z', '2026-11-24T00:00:00Z'));
  const none = await report('coverage', '--bucket', w.synthesized.bucket, '--to', '2026-11-24', '--json');
  expect(none.code).toBe(0);
  expect(JSON.parse(none.out.join('\n'))).toMatchObject({
    period: 'P1D',
    from: '2026-11-20',
    to: '2026-11-24',
    backfills: [],
    groups: GROUPS.map((logGroupName) => ({ logGroupName, exported: 5, missing: 0, gaps: [] })),
  });
});

test('an archive of two accounts\' exporters: one report on each, the gap named under its account; the backfill printed there fills it', async () => {
  const archive = { bucketName: 'org-log-archive', account: '999999999999' };
  const props = { settleTime: Duration.hours(0) };
  w = world({ props, account: '111111111111', archive, bucket: archive.bucketName });
  const other = world({ props, account: '222222222222', archive, bucket: archive.bucketName, shareWith: w });
  GROUPS.forEach((g) => w.logs.addGroup(g));
  expect((await w.loop.run({ startDate: '2026-11-23', endDate: '2026-11-24' }))[0].status).toBe('SUCCEEDED');
  await gapIn(other);

  const gaps = await report('coverage', '--bucket', archive.bucketName, '--to', '2026-11-24');
  expect(gaps.code).toBe(1);
  expect(gaps.out).toEqual([
    's3://org-log-archive/exported-logs/111111111111/us-east-1/: daily windows in Etc/UTC, 2026-11-23 to 2026-11-24',
    '/aws/lambda/orders        2 exported      0 empty      0 missing',
    '/aws/lambda/payments      2 exported      0 empty      0 missing',
    'app-audit                 2 exported      0 empty      0 missing',
    'No scheduled run has ended yet: what the selection matches is not known.',
    'Nothing is missing.',
    '',
    's3://org-log-archive/exported-logs/222222222222/us-east-1/: daily windows in Etc/UTC, 2026-11-23 to 2026-11-24',
    '/aws/lambda/orders        2 exported      0 empty      0 missing',
    '/aws/lambda/payments      1 exported      0 empty      1 missing: 2026-11-24',
    'app-audit                 2 exported      0 empty      0 missing',
    'No scheduled run has ended yet: what the selection matches is not known.',
    "1 window(s) missing in 1 log group(s). To export them, start executions of the exporter's state machine with these inputs:",
    '  {"startDate":"2026-11-24","endDate":"2026-11-24","logGroupNames":["/aws/lambda/payments"]}',
    '',
    'Accounts with an exporter here: 111111111111, 222222222222. An account whose exporter never ran has none: name the accounts expected with --account to report them.',
  ]);
  expect((await other.loop.run(JSON.parse(gaps.out[gaps.out.length - 3])))[0].status).toBe('SUCCEEDED');
  for (const x of [w, other]) expectExactlyOnce(x, GROUPS, days('2026-11-23T00:00:00Z', '2026-11-24T00:00:00Z'));
  const none = await report('coverage', '--bucket', archive.bucketName, '--to', '2026-11-24', '--json');
  expect(none.code).toBe(0);
  const json = JSON.parse(none.out.join('\n'));
  expect(json.exporters.map((c: any) => [c.prefix, c.groups.map((g: any) => g.missing)])).toEqual([
    ['exported-logs/111111111111/us-east-1', [0, 0, 0]],
    ['exported-logs/222222222222/us-east-1', [0, 0, 0]],
  ]);
  expect([json.errors, json.missingAccounts]).toEqual([[], []]);
  // One account's exporter, by its own prefix; a prefix with no exporter under it is a usage error.
  expect((await report('coverage', '--bucket', archive.bucketName, '--prefix', 'exported-logs/222222222222/us-east-1', '--to', '2026-11-24')).out[0])
    .toBe('s3://org-log-archive/exported-logs/222222222222/us-east-1/: daily windows in Etc/UTC, 2026-11-23 to 2026-11-24');
  expect((await report('coverage', '--bucket', archive.bucketName, '--prefix', 'elsewhere')).code).toBe(2);
});

describe('an archive: nothing hides a gap', () => {
  const archive = { bucketName: 'org-log-archive', account: '999999999999' };
  const [A, B] = ['111111111111', '222222222222'];
  const exporterOf = (account: string, props: object = { settleTime: Duration.hours(0) }, shareWith?: World) =>
    world({ props, account, archive, bucket: archive.bucketName, shareWith });
  const gapOf = (out: string[], account: string) => out.some((l) => l.startsWith(`s3://org-log-archive/exported-logs/${account}/`)) &&
    out.some((l) => / 1 missing: 2026-11-24$/.test(l));

  test.each([
    ['reported', 0, 's3://org-log-archive/exported-logs/: daily windows in Etc/UTC, 2026-11-23 to 2026-11-24'],
    ['its windows not settled', 12, expect.stringMatching(/^s3:\/\/org-log-archive\/exported-logs\/: not reported: .*has not settled/)],
  ])('an exporter directly under the key prefix (an earlier layout), %s, does not hide the accounts\' gaps', async (_, settleHours, rootLine) => {
    w = world({ props: { settleTime: Duration.hours(settleHours as number) }, bucket: archive.bucketName });
    const a = exporterOf(A, undefined, w);
    GROUPS.forEach((g) => w.logs.addGroup(g));
    expect((await w.loop.run({ startDate: '2026-11-23', endDate: '2026-11-23' }))[0].status).toBe('SUCCEEDED');
    await gapIn(a);
    const r = await report('coverage', '--bucket', archive.bucketName, '--to', '2026-11-24');
    const headers = r.out.filter((l) => l.startsWith('s3://'));
    expect(headers).toHaveLength(2);
    expect(headers).toEqual(expect.arrayContaining([rootLine, `s3://org-log-archive/exported-logs/${A}/us-east-1/: daily windows in Etc/UTC, 2026-11-23 to 2026-11-24`]));
    expect([r.code, gapOf(r.out, A)]).toEqual([1, true]);
  });

  test('an expected account whose exporter never ran is missing; --group needs the --prefix of one exporter', async () => {
    w = exporterOf(A);
    GROUPS.forEach((g) => w.logs.addGroup(g));
    expect((await w.loop.run({ startDate: '2026-11-23', endDate: '2026-11-24' }))[0].status).toBe('SUCCEEDED');
    const quiet = await report('coverage', '--bucket', archive.bucketName, '--to', '2026-11-24');
    expect([quiet.code, quiet.out[quiet.out.length - 1]]).toEqual([0, expect.stringContaining(`Accounts with an exporter here: ${A}.`)]);
    const r = await report('coverage', '--bucket', archive.bucketName, '--to', '2026-11-24', '--account', A, '--account', B);
    expect(r.code).toBe(1);
    expect(r.out.slice(-2)).toEqual([
      `s3://org-log-archive/exported-logs/${B}/: no exporter of account ${B} has written here: all of its windows are missing`,
      'Accounts expected: 2; with an exporter here: 1.',
    ]);
    const grouped = await report('coverage', '--bucket', archive.bucketName, '--group', '/aws/lambda/orders');
    expect(grouped.code).toBe(2);
    expect(grouped.err.join('\n')).toContain(`give the --prefix of one (exported-logs/${A}/us-east-1)`);
    expect((await report('coverage', '--bucket', archive.bucketName, '--account', '42')).code).toBe(2);
  });


  test('one account\'s unreadable owner.json does not hide another\'s gap', async () => {
    w = exporterOf(A);
    await gapIn(w);
    const b = exporterOf(B, undefined, w);
    GROUPS.forEach((g) => b.logs.addGroup(g));
    expect((await b.loop.run({ startDate: '2026-11-23', endDate: '2026-11-24' }))[0].status).toBe('SUCCEEDED');
    for (const body of ['{"period":', 'null', '{"period":"P1D","timeZone":"Mars/Olympus","settleSeconds":0}']) {
      w.s3.put(archive.bucketName, `_state/exported-logs/${B}/us-east-1/owner.json`, body);
      const r = await report('coverage', '--bucket', archive.bucketName, '--to', '2026-11-24');
      expect([body, r.code, gapOf(r.out, A)]).toEqual([body, 1, true]);
      expect(r.out).toContainEqual(expect.stringMatching(new RegExp(`^s3://org-log-archive/exported-logs/${B}/us-east-1/: not reported: `)));
    }
  });

  test('--account where no exporter has run yet: every expected account is missing', async () => {
    w = exporterOf(A);
    const r = await report('coverage', '--bucket', archive.bucketName, '--account', A, '--account', B);
    expect(r.code).toBe(1);
    expect(r.out.filter((l) => l.includes('no exporter of account'))).toHaveLength(2);
  });

  test('an exporter that cannot be reported on (its windows have not settled) does not hide another\'s gap', async () => {
    w = exporterOf(A);
    const b = exporterOf(B, { settleTime: Duration.hours(12) }, w);
    await gapIn(w);
    GROUPS.forEach((g) => b.logs.addGroup(g));
    expect((await b.loop.run({ startDate: '2026-11-23', endDate: '2026-11-23' }))[0].status).toBe('SUCCEEDED');
    const r = await report('coverage', '--bucket', archive.bucketName, '--to', '2026-11-24');
    expect(gapOf(r.out, A)).toBe(true);
    expect(r.out).toContainEqual(expect.stringMatching(new RegExp(`^s3://org-log-archive/exported-logs/${B}/us-east-1/: not reported: .*has not settled`)));
    expect(r.code).toBe(1);
  });
});

test("log groups named '_state/x' and '/a/_state/y' are exported under the key prefix, apart from the exporters' state, and reported", async () => {
  const odd = ['_state/x', '/a/_state/y'];
  w = world({ props: { settleTime: Duration.hours(0) }, groups: odd });
  expect((await w.loop.run({ startDate: '2026-11-23', endDate: '2026-11-24', logGroupNames: odd }))[0].status).toBe('SUCCEEDED');
  expectExactlyOnce(w, odd, days('2026-11-23T00:00:00Z', '2026-11-24T00:00:00Z'));
  const files = w.s3.keys(w.synthesized.bucket).filter((k) => k.endsWith('000000.gz'));
  expect(files.map((k) => k.split('/').slice(0, 3).join('/')).sort()).toEqual([
    'exported-logs/_state/x', 'exported-logs/_state/x', 'exported-logs/a/_state', 'exported-logs/a/_state',
  ]);
  const r = await report('coverage', '--bucket', w.synthesized.bucket, '--to', '2026-11-24', '--json');
  expect(JSON.parse(r.out.join('\n')).groups).toMatchObject([
    { logGroupName: '/a/_state/y', exported: 2, missing: 0 }, { logGroupName: '_state/x', exported: 2, missing: 0 },
  ]);
});

test('windows without events are empty, not missing; a window neither exported nor recorded empty is missing, and its backfill records it', async () => {
  w = world({ props: { settleTime: Duration.hours(0) } });
  w.logs.addGroup('/aws/lambda/orders');
  // Events until the 21st, noon; none since.
  w.logs.addGroup('app-idle', 0, undefined, { eventsUntil: Date.parse('2026-11-21T12:00:00Z') });
  const both = ['/aws/lambda/orders', 'app-idle'];
  for (const [startDate, endDate] of [['2026-11-20', '2026-11-22'], ['2026-11-24', '2026-11-24']]) {
    expect((await w.loop.run({ startDate, endDate, logGroupNames: both }))[0].status).toBe('SUCCEEDED');
  }
  const gaps = await report('coverage', '--bucket', w.synthesized.bucket, '--to', '2026-11-24');
  expect(gaps.code).toBe(1);
  expect(gaps.out).toEqual([
    's3://exports-bucket/exported-logs/: daily windows in Etc/UTC, 2026-11-20 to 2026-11-24',
    '/aws/lambda/orders      4 exported      0 empty      1 missing: 2026-11-23',
    'app-idle                2 exported      2 empty      1 missing: 2026-11-23',
    'No scheduled run has ended yet: what the selection matches is not known.',
    "2 window(s) missing in 2 log group(s). To export them, start executions of the exporter's state machine with these inputs:",
    '  {"startDate":"2026-11-23","endDate":"2026-11-23","logGroupNames":["/aws/lambda/orders","app-idle"]}',
  ]);
  await runPrinted(w, gaps.out);
  const none = await report('coverage', '--bucket', w.synthesized.bucket, '--to', '2026-11-24');
  expect(none.code).toBe(0);
  expect(none.out).toContain('app-idle                2 exported      3 empty      0 missing');
  expect(w.logs.tasks.filter((t) => t.logGroupName === 'app-idle')).toHaveLength(2);
});

test('a group named on the command line that was never exported, and a range given: every window of it is missing', async () => {
  w = world({ props: { settleTime: Duration.hours(0) }, groups: GROUPS });
  await w.loop.run({ startDate: '2026-11-23', endDate: '2026-11-24', logGroupNames: ['app-audit'] });
  const r = await report('coverage', '--bucket', w.synthesized.bucket, '--from', '2026-11-22', '--to', '2026-11-24', '--group', 'app-audit', '--group', '/never/exported');
  expect(r.code).toBe(1);
  expect(r.out).toContain('/never/exported      0 exported      0 empty      3 missing: 2026-11-22..2026-11-24');
  expect(r.out).toContain('app-audit            2 exported      0 empty      1 missing: 2026-11-22');
  expect(r.out).toContain('  {"startDate":"2026-11-22","endDate":"2026-11-22","logGroupNames":["app-audit"]}');
});

test.each([
  [[], /no command given/],
  [['report'], /unknown command 'report'/],
  [['coverage'], /--bucket is required/],
  [['coverage', '--bucket'], /--bucket needs a value/],
  [['coverage', '--bucket', 'b', '--since', '2026-11-01'], /unknown option '--since'/],
  [['coverage', '--bucket', 'exports-bucket', '--from', '2026-02-30'], /--from 2026-02-30 is not a real date/],
  [['coverage', '--bucket', 'exports-bucket', '--from', '2026-11-24', '--to', '2026-11-20'], /--from 2026-11-24 is after --to 2026-11-20/],
  [['coverage', '--bucket', 'exports-bucket', '--to', '2026-12-24'], /--to 2026-12-24 has not settled yet/],
  [['coverage', '--bucket', 'exports-bucket', '--prefix', 'elsewhere'], /no exporter keeps its state under s3:\/\/exports-bucket\/_state\/elsewhere\//],
  [['coverage', '--bucket', 'exports-bucket', '--prefix', 'exported-logs/..'], /--prefix 'exported-logs\/..' must not have a '.' or '..' segment/],
  [['coverage', '--bucket', 'exports-bucket', '--prefix', 'a/_state/b'], /--prefix 'a\/_state\/b' must not have a '_state' segment/],
])('usage error %j: exit 2 and says what is wrong', async (argv, message) => {
  w = world({ props: { settleTime: Duration.hours(0) } });
  w.logs.addGroup('/a');
  await w.loop.run({});
  const r = await report(...argv);
  expect(r.code).toBe(2);
  expect(r.err.join('\n')).toMatch(message);
});

describe('hourly exporters and clock changes', () => {
  const hourlyNY = { settleTime: Duration.hours(0), exportPeriod: ExportPeriod.HOURLY, timeZone: TimeZone.AMERICA_NEW_YORK };

  test('the hour a clock change repeats is named with its offset, and the backfill printed for it exports it', async () => {
    w = world({ props: hourlyNY, now: Date.parse('2026-11-03T00:00:00Z') });
    w.logs.addGroup('/a');
    // 00:00 EDT and 01:00 EDT, then 02:00 EST and 03:00 EST: 01:00 EST (06:00Z) is missing.
    await w.loop.run({ startDate: '2026-11-01T00', endDate: '2026-11-01T01', logGroupNames: ['/a'] });
    await w.loop.run({ startDate: '2026-11-01T02', endDate: '2026-11-01T03', logGroupNames: ['/a'] });
    const range = ['--from', '2026-11-01T00', '--to', '2026-11-01T03'];
    const before = await report('coverage', '--bucket', w.synthesized.bucket, ...range);
    expect(before.code).toBe(1);
    expect(before.out).toContain('/a      4 exported      0 empty      1 missing: 2026-11-01T01:00-05:00');
    await runPrinted(w, before.out);
    expect([...w.logs.completedExports().keys()].map((k) => new Date(Number(k.split('|')[1])).toISOString())).toContain('2026-11-01T06:00:00.000Z');
    expect((await report('coverage', '--bucket', w.synthesized.bucket, ...range)).code).toBe(0);
  });

  test('every printed backfill is input the handler accepts, also chunks of 1,000 windows across a clock change', async () => {
    w = world({ props: hourlyNY, now: Date.parse('2027-01-10T00:00:00Z') });
    w.logs.addGroup('/a');
    await w.loop.run({ startDate: '2026-10-31T00', endDate: '2026-11-01T01', logGroupNames: ['/a'] });
    const r = await report('coverage', '--bucket', w.synthesized.bucket, '--json', '--to', '2026-12-15T00');
    expect(r.code).toBe(1);
    const { backfills } = JSON.parse(r.out.join('\n'));
    expect(backfills.length).toBeGreaterThan(1);
    for (const b of backfills) expect(() => parseRunInput(b, w.synthesized.config, w.clock.now)).not.toThrow();
  });

  test('a plain --to date of an hourly exporter means that whole day, as a backfill\'s endDate does', async () => {
    w = world({ props: { settleTime: Duration.hours(0), exportPeriod: ExportPeriod.HOURLY }, now: Date.parse('2026-11-10T00:00:00Z') });
    w.logs.addGroup('/a');
    await w.loop.run({ startDate: '2026-11-05T00', endDate: '2026-11-05T00', logGroupNames: ['/a'] });
    const r = await report('coverage', '--bucket', w.synthesized.bucket, '--from', '2026-11-05', '--to', '2026-11-05');
    expect(r.out[0]).toContain('2026-11-05T00 to 2026-11-05T23');
    expect(r.code).toBe(1);
  });
});

describe('what the report says without asking for it', () => {
  test('a group named on the command line, with nothing exported at all yet: never exported, exit 1', async () => {
    w = world({ props: { settleTime: Duration.hours(0) } });
    expect((await w.loop.run({}))[0].status).toBe('SUCCEEDED');
    const r = await report('coverage', '--bucket', w.synthesized.bucket, '--group', '/aws/lambda/orders');
    expect(r.out).toContain('/aws/lambda/orders  never exported (give --from to list the missing windows)');
    expect(r.code).toBe(1);
  });

  test('an owner.json that names no period or time zone: exit 2, saying when to run the report', async () => {
    w = world({ props: { settleTime: Duration.hours(0) } });
    w.logs.addGroup('/a');
    await w.loop.run({});
    w.s3.put(w.synthesized.bucket, '_state/exported-logs/owner.json', JSON.stringify({ exporterId: w.synthesized.config.exporterId, claimed: '2026-01-01T00:00:00Z' }));
    const r = await report('coverage', '--bucket', w.synthesized.bucket);
    expect(r.code).toBe(2);
    expect(r.err.join('\n')).toMatch(/does not say how the exporter cuts windows: the exporter's next run rewrites it/);
  });

  test('a healthy exporter on the default schedule, between a window settling and the run that exports it: nothing missing, exit 0', async () => {
    w = world({ now: Date.parse('2026-11-24T01:00:00Z') });
    w.logs.addGroup('/a');
    expect((await w.loop.run({ scheduledTime: '2026-11-24T01:00:00Z' }))[0].status).toBe('SUCCEEDED');
    w.clock.now = Date.parse('2026-11-25T01:00:00Z');
    expect((await w.loop.run({ scheduledTime: '2026-11-25T01:00:00Z' }))[0].status).toBe('SUCCEEDED');
    // The 24th settled at noon on the 25th; the 01:00 run of the 26th exports it.
    w.clock.now = Date.parse('2026-11-25T14:00:00Z');
    const r = await report('coverage', '--bucket', w.synthesized.bucket);
    expect(r.code).toBe(0);
  });

  test('--json piped to a slow reader arrives whole: the command sets its exit code and lets the output drain', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coverage-pipe-'));
    const bundle = path.resolve(__dirname, '../../assets/cli/main/index.js');
    // The command as a shell runs it (run()), with an S3 client that answers from memory: 2,000 groups, one missing day.
    const script = path.join(dir, 'run.js');
    fs.writeFileSync(script, `
      const { run } = require(${JSON.stringify(bundle)});
      const prefix = '_state/exported-logs/done/P1D/';
      const names = Array.from({ length: 2000 }, (_, i) => '/aws/lambda/some-rather-long-function-name-' + String(i).padStart(5, '0'));
      const s3 = { send: async (cmd) => {
        const i = cmd.input;
        if (i.Key === '_state/exported-logs/owner.json') {
          const body = JSON.stringify({ exporterId: 'x', period: 'P1D', timeZone: 'UTC', settleSeconds: 0, scheduleIntervalSeconds: 86400 });
          return { Body: { transformToString: async () => body } };
        }
        if (i.Key) throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
        if (i.Delimiter) return { CommonPrefixes: [{ Prefix: prefix + '20261101T000000Z/' }] };
        if (i.Prefix === prefix + '20261101T000000Z/') {
          return { Contents: names.map((n) => ({ Key: i.Prefix + encodeURIComponent(n) + '!1000!task-1' })), IsTruncated: false };
        }
        return { Contents: [], IsTruncated: false };
      } };
      run(['coverage', '--bucket', 'b', '--json', '--to', '2026-11-02'], () => s3);
    `);
    const toFile = path.join(dir, 'out.json');
    execFileSync('bash', ['-c', `node ${script} > ${toFile}; true`]);
    const full = fs.statSync(toFile).size;
    expect(full).toBeGreaterThan(200_000);
    const piped = Number(execFileSync('bash', ['-c', `node ${script} 2>/dev/null | (sleep 1; wc -c)`]).toString().trim());
    fs.rmSync(dir, { recursive: true, force: true });
    expect(piped).toBe(full);
  });
});

describe('the command itself', () => {
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
  };
  const noClient = () => {
    throw new Error('nothing may be read');
  };

  test.each([['--help'], ['-h'], ['coverage', '--help'], ['coverage', '--bucket', 'b', '-h']])('%s prints the usage to standard output, exit 0', async (...argv) => {
    const r = io();
    expect(await main(argv, r.io, noClient)).toBe(0);
    expect(r.out.join('\n')).toMatch(/^Usage: cdk-cloudwatch-logs-s3-exporter coverage --bucket BUCKET/);
    expect(r.out.join('\n')).toContain('--region');
    expect(r.err).toEqual([]);
  });

  test.each([
    ['--from', '2026-13-01', '--from 2026-13-01 is not a real date'],
    ['--to', '2026-02-30', '--to 2026-02-30 is not a real date'],
    ['--from', '24.11.2026', "--from must be a date YYYY-MM-DD (YYYY-MM-DDTHH for an hourly exporter), got '24.11.2026'"],
  ])('%s %s is refused before anything is read, exit 2', async (flag, value, message) => {
    const r = io();
    expect(await main(['coverage', '--bucket', 'b', flag, value], r.io, noClient)).toBe(2);
    expect(r.err[0]).toMatch(new RegExp(`^${message.replace(/[.()]/g, '\\$&')}\\n\\nUsage:`));
  });

  test('no region anywhere: exit 2, saying to set AWS_REGION or pass --region; --region reaches the client; a report right after the first run is complete', async () => {
    const saved = { ...process.env };
    try {
      for (const k of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE']) delete process.env[k];
      process.env.AWS_CONFIG_FILE = path.join(os.tmpdir(), 'no-such-aws-config');
      const r = io();
      expect(await main(['coverage', '--bucket', 'b'], r.io, (region) => new S3Client(region ? { region } : {}))).toBe(2);
      expect(r.err).toEqual(['no AWS region is set: set AWS_REGION (or a region in your AWS profile), or pass --region']);
      const regions: Array<string | undefined> = [];
      w = world({ props: { settleTime: Duration.hours(0) }, groups: ['/a'] });
      expect((await w.loop.run({}))[0].status).toBe('SUCCEEDED');
      const ok = io();
      // Right after the first run, which exported the latest settled window ahead of when the schedule must have.
      expect(await main(['coverage', '--bucket', w.synthesized.bucket, '--region', 'eu-west-1'], ok.io, (region) => {
        regions.push(region);
        return new S3Client({ region });
      }, w.clock.now)).toBe(0);
      expect(ok.err).toEqual([]);
      expect(ok.out[0]).toBe('s3://exports-bucket/exported-logs/: daily windows in Etc/UTC, 2026-11-24 to 2026-11-24');
      expect(regions).toEqual(['eu-west-1']);
    } finally {
      process.env = saved;
    }
  });

  test('with --json, every error is one JSON document on standard output', async () => {
    w = world({});
    for (const [argv, code, error] of [
      [['coverage', '--json', '--from', '2026-13-01', '--bucket', 'b'], 2, '--from 2026-13-01 is not a real date'],
      [['coverage', '--json', '--bucket', 'b', '--colour'], 2, "unknown option '--colour'"],
      [['coverage', '--json', '--bucket', 'other-bucket'], 2, 'no exporter keeps its state under s3://other-bucket/_state/exported-logs/ (no owner.json there): ' +
        "check --bucket and --prefix (the exporter's keyPrefix, default exported-logs); an exporter writes it on its first run"],
    ] as const) {
      const r = io();
      expect(await main([...argv], r.io, () => new S3Client({ region: 'us-east-1' }), w.clock.now)).toBe(code);
      expect(JSON.parse(r.out.join('\n'))).toEqual({ error, exitCode: code });
      expect(r.err).toEqual([]);
    }
  });

  test('run as a shell runs it, the command prints no notice of the SDK about Node versions', () => {
    const bundle = path.resolve(__dirname, '../../assets/cli/main/index.js');
    const env: NodeJS.ProcessEnv = { ...process.env, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y', AWS_MAX_ATTEMPTS: '1', AWS_ENDPOINT_URL: 'http://127.0.0.1:9' };
    delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    delete env.NODE_NO_WARNINGS;
    const r = spawnSync('node', [bundle, 'coverage', '--bucket', 'b'], { env, encoding: 'utf8' });
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/^could not read s3:\/\/b\/exported-logs\/: /);
    expect(r.stderr).not.toMatch(/Warning/);
  });
});
