/**
 * Every way the archive can be incomplete while runs succeed, tried as a user would meet it: the
 * synthesized state machine with the real handler on the fakes, then the metric each scheduled
 * run publishes, the state it drives the synthesized coverage alarm into, and the coverage
 * report's line and exit code.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { Duration, TimeZone } from 'aws-cdk-lib';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { CloudWatchLogsS3ExporterProps, ExportPeriod, LogGroupSelection } from '../../src';
import { main } from '../../src/cli/main';
import { metrics } from '../../src/handler/telemetry';
import { abandonedKey } from '../../src/shared/layout';
import { MetricName } from '../../src/shared/protocol';
import { last } from '../harness/rules';
import { synth } from '../harness/stack';
import { World, completedInto, days, expectExactlyOnce, recordedEmpty, world } from '../harness/world';

const SETTLED = { settleTime: Duration.hours(0) };
const SIGNALS: string[] = [
  MetricName.GROUPS_SELECTED, MetricName.GROUPS_NOT_FOUND, MetricName.GROUPS_RETENTION_AT_RISK, MetricName.WINDOWS_ABANDONED,
];

let w: World;
/** What each scheduled run published of the coverage signals, run by run. */
let published: Array<Record<string, number>>;

beforeEach(() => {
  published = [];
  jest.spyOn(metrics, 'addMetric').mockImplementation((name, _unit, value) => {
    if (!SIGNALS.includes(name)) return metrics;
    // GroupsSelected opens each run's report.
    if (name === MetricName.GROUPS_SELECTED) published.push({});
    published[published.length - 1][name] = value;
    return metrics;
  });
});
afterEach(() => {
  w?.restore();
  jest.restoreAllMocks();
});

/**
 * The state the exporter's coverage alarm, as synthesized with `props`, goes into on one scheduled
 * run's figures: its metric math evaluated on them, compared as the alarm compares.
 */
function coverageAlarm(props: CloudWatchLogsS3ExporterProps, figures: Record<string, number>): 'ALARM' | 'OK' {
  const resources = Object.values<any>(synth(props).template.toJSON().Resources);
  const alarm = resources.find((r) => r.Type === 'AWS::CloudWatch::Alarm'
    && r.Properties.Metrics?.some((m: any) => m.MetricStat?.Metric.MetricName === MetricName.WINDOWS_ABANDONED)).Properties;
  const inputs: Array<[string, string]> = alarm.Metrics.filter((m: any) => m.MetricStat).map((m: any) => [m.Id, m.MetricStat.Metric.MetricName]);
  const expression: string = alarm.Metrics.find((m: any) => m.Expression).Expression;
  // Metric math's IF and ==, as JavaScript: nothing else may appear in the expression.
  expect(expression.replace(/\b(IF|[a-zA-Z]+)\b|[\s()+,=0-9]/g, '')).toBe('');
  const value = new Function('IF', ...inputs.map(([id]) => id), `return ${expression};`)(
    (c: boolean, a: number, b: number) => (c ? a : b), ...inputs.map(([, name]) => {
      expect(figures[name]).toEqual(expect.any(Number));
      return figures[name];
    }));
  expect(alarm.ComparisonOperator).toBe('GreaterThanThreshold');
  expect(alarm.TreatMissingData).toBe('ignore');
  return value > alarm.Threshold ? 'ALARM' : 'OK';
}

async function report(...argv: string[]): Promise<{ code: number; out: string[] }> {
  const out: string[] = [];
  const code = await main(['coverage', '--bucket', w.synthesized.bucket, ...argv], { out: (l) => out.push(l), err: () => {} },
    () => new S3Client({ region: 'us-east-1' }), w.clock.now);
  return { code, out };
}

/** The exports into the world's bucket, as `<group> <first day of the range> <times>`, sorted. */
function exports(): string[] {
  return [...completedInto(w, w.synthesized.bucket)].map(([k, n]) => {
    const [group, from] = k.split('|');
    return `${group} ${new Date(Number(from)).toISOString()} ${n}`;
  }).sort();
}

/** The line of the report on the last scheduled run, which ended a few seconds after `at`. */
const ranAt = (at: string, text: string) => expect.stringMatching(new RegExp(`^${text.replace(/[()]/g, '\\$&')
  .replace('ENDED', `ended ${at.slice(0, -3)}\\d\\d\\.\\d{3}Z`)}$`));

async function scheduled(at: string): Promise<void> {
  w.clock.now = Date.parse(at);
  const chain = await w.loop.run({ scheduledTime: at });
  expect(chain[chain.length - 1].status).toBe('SUCCEEDED');
}

test("a prefix without its leading '/' selects nothing: GroupsSelected 0, the coverage alarm, the report's sentence and exit 1", async () => {
  const props = { ...SETTLED, logGroups: LogGroupSelection.prefixes(['aws/lambda/']) };
  w = world({ props, now: Date.parse('2026-11-25T01:00:00Z'), groups: ['/aws/lambda/orders'] });
  await scheduled('2026-11-25T01:00:00Z');
  expect(published).toEqual([{ GroupsSelected: 0, GroupsNotFound: 0, GroupsRetentionAtRisk: 0, WindowsAbandoned: 0 }]);
  expect(coverageAlarm(props, published[0])).toBe('ALARM');
  const r = await report();
  expect(r.code).toBe(1);
  expect(r.out).toContain('The selection matched no log group in the last scheduled run (ended 2026-11-25T01:00:00.000Z): nothing is exported. ' +
    "Check the exporter's logGroups (a prefix matches from the start of a name: '/aws/lambda/', not 'aws/lambda/'), and the account and region it runs in.");

  // Fixed the next day: the next run selects the group and the alarm is OK again. Its first run that selects a group is
  // the exporter's first: it exports the latest window (a backfill exports any earlier ones).
  const fixed = { ...SETTLED, logGroups: LogGroupSelection.prefixes(['/aws/lambda/']) };
  const next = world({ props: fixed, shareWith: w });
  w.clock.now = Date.parse('2026-11-26T01:00:00Z');
  expect((await next.loop.run({ scheduledTime: '2026-11-26T01:00:00Z' }))[0].status).toBe('SUCCEEDED');
  expect(published[1]).toEqual({ GroupsSelected: 1, GroupsNotFound: 0, GroupsRetentionAtRisk: 0, WindowsAbandoned: 0 });
  expect(coverageAlarm(fixed, published[1])).toBe('OK');
  expectExactlyOnce(w, ['/aws/lambda/orders'], days('2026-11-25T00:00:00Z', '2026-11-25T00:00:00Z'));
  expect((await report('--to', '2026-11-25')).code).toBe(0);
});

test('a named log group that does not exist: GroupsNotFound 1 on every run, the coverage alarm, the report names it, exit 1', async () => {
  const props = { ...SETTLED, logGroups: LogGroupSelection.names(['/app/orders', '/app/ordres']) };
  w = world({ props, now: Date.parse('2026-11-25T01:00:00Z'), groups: ['/app/orders'] });
  await scheduled('2026-11-25T01:00:00Z');
  await scheduled('2026-11-26T01:00:00Z');
  expect(published).toEqual([1, 2].map(() => ({ GroupsSelected: 1, GroupsNotFound: 1, GroupsRetentionAtRisk: 0, WindowsAbandoned: 0 })));
  expect(coverageAlarm(props, published[1])).toBe('ALARM');
  expectExactlyOnce(w, ['/app/orders'], days('2026-11-24T00:00:00Z', '2026-11-25T00:00:00Z'));
  const r = await report();
  expect(r.code).toBe(1);
  expect(r.out).toContainEqual(ranAt('2026-11-26T01:00:00Z', '1 log group(s) the selection names were not found in the last scheduled run (ENDED) ' +
    '(a typo, or a group of another account or region): /app/ordres.'));
});

test('a missed run with maxCatchUp of one window: the window is counted abandoned on every run until the printed backfill exports it', async () => {
  const props = { ...SETTLED, maxCatchUp: Duration.days(1) };
  w = world({ props, now: Date.parse('2026-11-23T01:00:00Z'), groups: ['/a', '/b'] });
  await scheduled('2026-11-23T01:00:00Z');
  // No run on the 24th: the run of the 25th exports the 24th only, and leaves the 23rd behind.
  await scheduled('2026-11-25T01:00:00Z');
  await scheduled('2026-11-26T01:00:00Z');
  expect(published.map((p) => p.WindowsAbandoned)).toEqual([0, 1, 1]);
  expect(coverageAlarm(props, published[2])).toBe('ALARM');
  // Recorded as time, not windows: a deployment that cuts windows anew keeps it.
  const abandoned = JSON.parse(w.s3.objects.get(`${w.synthesized.bucket}/${abandonedKey('exported-logs')}`)!.body);
  expect(abandoned).toEqual({ ranges: [{ from: '2026-11-23T00:00:00.000Z', to: '2026-11-24T00:00:00.000Z' }], backfilled: [] });

  const r = await report();
  expect(r.code).toBe(1);
  expect(r.out).toEqual([
    's3://exports-bucket/exported-logs/: daily windows in Etc/UTC, 2026-11-22 to 2026-11-24',
    '/a      2 exported      0 empty      1 missing: 2026-11-23',
    '/b      2 exported      0 empty      1 missing: 2026-11-23',
    ranAt('2026-11-26T01:00:00Z', '2 log group(s) selected in the last scheduled run (ENDED).'),
    '1 window(s) left behind by scheduled runs (further back than maxCatchUp when a run started): 2026-11-23. To export them for every log group, start ' +
      "executions of the exporter's state machine with these inputs:",
    '  {"startDate":"2026-11-23","endDate":"2026-11-23"}',
    '2 window(s) missing in 2 log group(s), all among the windows left behind.',
  ]);
  expect((await w.loop.run(JSON.parse(r.out[5])))[0].status).toBe('SUCCEEDED');
  await scheduled('2026-11-27T01:00:00Z');
  expect(published[3].WindowsAbandoned).toBe(0);
  expect(coverageAlarm(props, published[3])).toBe('OK');
  expectExactlyOnce(w, ['/a', '/b'], days('2026-11-22T00:00:00Z', '2026-11-26T00:00:00Z'));
  expect((await report()).code).toBe(0);
});

describe('the autumn hour (Europe/Berlin, hourly, settle time 0): two windows settle between the runs of 02:05 CEST and 02:05 CET', () => {
  const berlin = (maxCatchUp: Duration): CloudWatchLogsS3ExporterProps => ({
    ...SETTLED,
    exportPeriod: ExportPeriod.HOURLY,
    timeZone: TimeZone.EUROPE_BERLIN,
    maxCatchUp,
    schedule: scheduler.ScheduleExpression.cron({ minute: '5', timeZone: TimeZone.EUROPE_BERLIN }),
  });
  // The cron's runs that night, in UTC: 02:05 CEST is 00:05Z; the repeated 02:05 (CET, 01:05Z) does not run; 03:05 CET is 02:05Z.
  const runs = ['2026-10-24T23:05:00Z', '2026-10-25T00:05:00Z', '2026-10-25T02:05:00Z', '2026-10-25T03:05:00Z'];

  test('maxCatchUp of one hour is refused at synth time, naming the two runs', () => {
    expect(() => synth(berlin(Duration.hours(1)))).toThrow(
      /maxCatchUp \(1 hour\) reaches back 1 PT1H window\(s\), and up to 2 settle between two runs of schedule 'cron\(5 \* \* \* \? \*\)' \(between the runs of 2026-10-25T00:05:00.000Z and 2026-10-25T02:05:00.000Z/);
  });

  test('with two hours, the runs of that night export every hour once; a handler told one hour leaves one behind and says so', async () => {
    w = world({ props: berlin(Duration.hours(2)), now: Date.parse(runs[0]), groups: ['/a'] });
    for (const at of runs) await scheduled(at);
    expect(published.map((p) => p.WindowsAbandoned)).toEqual([0, 0, 0, 0]);
    // The hours from 00:00 to 04:00 local time, 02:00 twice: each exported once (the two 02:00 share their date folder, 2026/10/25/02).
    expect(exports()).toEqual(['22', '23', '00', '01', '02'].map((h, i) => `/a 2026-10-2${i < 2 ? 4 : 5}T${h}:00:00.000Z 1`));
    w.restore();

    // What the synth check keeps from happening: the same runs with a reach of one hour.
    w = world({ props: berlin(Duration.hours(2)), config: { maxCatchUpSeconds: 3600 }, now: Date.parse(runs[0]), groups: ['/a'] });
    published.length = 0;
    for (const at of runs) await scheduled(at);
    expect(published.map((p) => p.WindowsAbandoned)).toEqual([0, 0, 1, 1]);
    expect(coverageAlarm(berlin(Duration.hours(2)), published[3])).toBe('ALARM');
    const r = await report();
    // The first 02:00 (CEST) is left behind: a backfill names it without its offset (the second one would have '+01:00').
    expect(r.out).toContain('  {"startDate":"2026-10-25T02","endDate":"2026-10-25T02"}');
  });
});

test('a retention shorter than the time to export: GroupsRetentionAtRisk, the export marked partial, a window lost whole recorded expired', async () => {
  // 1 day of retention, 12 hours of settle time, a daily run at 13:00: each window's start is 37 hours old when its export starts.
  const props = { settleTime: Duration.hours(12) };
  w = world({ props, now: Date.parse('2026-11-25T13:00:00Z') });
  w.logs.addGroup('/short', 0, 1);
  w.logs.addGroup('/long', 0, 30);
  await scheduled('2026-11-25T13:00:00Z');
  expect(published).toEqual([{ GroupsSelected: 2, GroupsNotFound: 0, GroupsRetentionAtRisk: 1, WindowsAbandoned: 0 }]);
  expect(coverageAlarm(props, published[0])).toBe('ALARM');
  // The export of /short holds what the group still had: from 14:00 (an hour kept spare) on.
  const exported = w.logs.tasks.filter((t) => t.logGroupName === '/short').map((t) => new Date(t.from).toISOString());
  expect(exported).toEqual([expect.stringMatching(/^2026-11-24T14:00:0\d\.\d{3}Z$/)]);
  // A backfill of a day its retention removed entirely: recorded expired, nothing exported.
  expect((await w.loop.run({ startDate: '2026-11-22', endDate: '2026-11-22' }))[0].status).toBe('SUCCEEDED');
  expect(recordedEmpty(w, days('2026-11-22T00:00:00Z', '2026-11-22T00:00:00Z')[0], undefined, 'expired')).toEqual(new Set(['/short']));

  const r = await report('--from', '2026-11-22', '--to', '2026-11-24');
  expect(r.code).toBe(1);
  expect(r.out).toEqual(expect.arrayContaining([
    '/long       2 exported      0 empty      1 missing: 2026-11-23',
    '/short      1 exported      0 empty      1 missing: 2026-11-23',
    '            1 expired before export: 2026-11-22',
    '            1 partial (retention removed the rest before export): 2026-11-24',
    '1 log group(s) keep their events for less time than passes before the schedule exports them: their exports are partial. ' +
      'Lengthen their retention, or export more often: /short (1 day(s)).',
    '2 window(s) of 1 log group(s) were lost, in part or whole, before they could be exported: no backfill can export them.',
  ]));
});

test('a deleted group: its windows are deleted before export, never missing nor in a backfill; a recreated group: the window before its creation', async () => {
  w = world({ props: SETTLED, now: Date.parse('2026-11-24T01:00:00Z'), groups: ['/stays', '/deleted', '/recreated'] });
  await scheduled('2026-11-24T01:00:00Z');
  // Deleted on the 24th; /recreated deleted too, and created again after the 24th ended, before the next run.
  w.logs.deleteGroup('/deleted');
  w.logs.deleteGroup('/recreated');
  w.logs.addGroup('/recreated', Date.parse('2026-11-25T00:30:00Z'));
  await scheduled('2026-11-25T01:00:00Z');
  await scheduled('2026-11-26T01:00:00Z');
  await scheduled('2026-11-27T01:00:00Z');
  expect(published.map((p) => p.GroupsSelected)).toEqual([3, 2, 2, 2]);
  expect(coverageAlarm(SETTLED, published[3])).toBe('OK');
  // Each recorded once as gone since the 23rd, the last window anything was recorded for it; /recreated with its new creation time.
  const vanished = w.s3.keys(w.synthesized.bucket, '_state/exported-logs/vanished/')
    .map((k) => JSON.parse(w.s3.objects.get(`${w.synthesized.bucket}/${k}`)!.body)).map(({ logGroupName, lastSeen, recreatedAt }) => ({ logGroupName, lastSeen, recreatedAt }));
  expect(vanished).toEqual([
    { logGroupName: '/deleted', lastSeen: '2026-11-23T00:00:00.000Z', recreatedAt: undefined },
    { logGroupName: '/recreated', lastSeen: '2026-11-23T00:00:00.000Z', recreatedAt: '2026-11-25T00:30:00.000Z' },
  ]);
  // The group created again holds the windows from its creation on: the 25th and 26th are exported.
  expect(exports()).toEqual([
    '/deleted 2026-11-23T00:00:00.000Z 1',
    ...['23', '25', '26'].map((d) => `/recreated 2026-11-${d}T00:00:00.000Z 1`),
    ...['23', '24', '25', '26'].map((d) => `/stays 2026-11-${d}T00:00:00.000Z 1`),
  ]);

  const r = await report('--to', '2026-11-26');
  expect(r.code).toBe(1);
  expect(r.out).toEqual([
    's3://exports-bucket/exported-logs/: daily windows in Etc/UTC, 2026-11-23 to 2026-11-26',
    '/deleted        1 exported      0 empty      0 missing',
    '                3 deleted before export: 2026-11-24..2026-11-26',
    '/recreated      3 exported      0 empty      0 missing',
    '                1 deleted before export: 2026-11-24',
    '/stays          4 exported      0 empty      0 missing',
    ranAt('2026-11-27T01:00:00Z', '2 log group(s) selected in the last scheduled run (ENDED).'),
    '4 window(s) of 2 log group(s) were lost, in part or whole, before they could be exported: no backfill can export them.',
  ]);
});

describe('what a review of these signals found', () => {
  /** Runs the report and every backfill it prints: each must succeed. */
  async function backfillsOfReport(...argv: string[]): Promise<string[]> {
    const r = await report(...argv);
    const failed: string[] = [];
    for (const input of r.out.filter((l) => l.startsWith('  {')).map((l) => JSON.parse(l))) {
      const chain = await w.loop.run(input);
      if (chain[chain.length - 1].status !== 'SUCCEEDED') failed.push(JSON.stringify(input));
    }
    expect(failed).toEqual([]);
    return r.out;
  }

  test('a group deleted while the schedule was paused (a window left behind): deleted before export, no backfill of it', async () => {
    w = world({ props: { ...SETTLED, maxCatchUp: Duration.days(1) }, now: Date.parse('2026-11-22T01:00:00Z'), groups: ['/a', '/b'] });
    await scheduled('2026-11-22T01:00:00Z');
    await scheduled('2026-11-23T01:00:00Z');
    w.logs.deleteGroup('/b');
    // No run on the 24th: the run of the 25th leaves the 23rd behind.
    for (const at of ['2026-11-25T01:00:00Z', '2026-11-26T01:00:00Z', '2026-11-27T01:00:00Z']) await scheduled(at);
    const out = await backfillsOfReport('--to', '2026-11-26');
    expect(out).toContain('/b      2 exported      0 empty      0 missing');
    expect(out).toContain('        4 deleted before export: 2026-11-23..2026-11-26');
  });

  test('105 groups deleted at once: each recorded, however many a turn gets through', async () => {
    const gone = Array.from({ length: 105 }, (_, i) => `/aws/lambda/fn-${String(i).padStart(3, '0')}`);
    w = world({ props: SETTLED, now: Date.parse('2026-11-24T01:00:00Z'), groups: ['/stays', ...gone] });
    await scheduled('2026-11-24T01:00:00Z');
    gone.forEach((g) => w.logs.deleteGroup(g));
    for (const at of ['2026-11-25T01:00:00Z', '2026-11-26T01:00:00Z']) await scheduled(at);
    const out = await backfillsOfReport('--to', '2026-11-25');
    expect(out.filter((l) => / [1-9]\d* missing/.test(l))).toEqual([]);
    expect(out.filter((l) => l.endsWith('2 deleted before export: 2026-11-24..2026-11-25'))).toHaveLength(105);
  });

  test('a group deleted after a run that failed on another group (the checkpoint stayed): deleted before export', async () => {
    w = world({ props: SETTLED, now: Date.parse('2026-11-24T01:00:00Z'), groups: ['/bad', '/gone', '/stays'] });
    await scheduled('2026-11-24T01:00:00Z');
    (w.logs as any).opts.failures = { '/bad': 100 };
    w.clock.now = Date.parse('2026-11-25T01:00:00Z');
    expect(last(await w.loop.run({ scheduledTime: '2026-11-25T01:00:00Z' })).status).toBe('FAILED');
    (w.logs as any).opts.failures = {};
    w.logs.deleteGroup('/gone');
    for (const at of ['2026-11-26T01:00:00Z', '2026-11-27T01:00:00Z']) await scheduled(at);
    const out = await backfillsOfReport('--to', '2026-11-26');
    expect(out).toContain('/gone       2 exported      0 empty      0 missing');
    expect(out).toContain('            2 deleted before export: 2026-11-25..2026-11-26');
  });

  test('a group created again whose export then failed: that window is missing, with its backfill', async () => {
    w = world({ props: SETTLED, now: Date.parse('2026-11-24T01:00:00Z'), groups: ['/stays', '/x'] });
    await scheduled('2026-11-24T01:00:00Z');
    w.logs.deleteGroup('/x');
    await scheduled('2026-11-25T01:00:00Z');
    w.logs.addGroup('/x', Date.parse('2026-11-25T06:00:00Z'));
    (w.logs as any).opts.failures = { '/x': 3 };
    w.clock.now = Date.parse('2026-11-26T01:00:00Z');
    expect(last(await w.loop.run({ scheduledTime: '2026-11-26T01:00:00Z' })).status).toBe('FAILED');
    const r = await report('--to', '2026-11-25');
    expect(r.out).toContain('/x          1 exported      0 empty      1 missing: 2026-11-25');
    expect(r.out).toContain('            1 deleted before export: 2026-11-24');
    expect(r.out).toContain('  {"startDate":"2026-11-25","endDate":"2026-11-25","logGroupNames":["/x"]}');
  });

  test.each<[string, CloudWatchLogsS3ExporterProps, string]>([
    ['hourly', { exportPeriod: ExportPeriod.HOURLY, maxCatchUp: Duration.days(2), schedule: scheduler.ScheduleExpression.cron({ minute: '5' }) }, '2026-11-23'],
    ['in Asia/Tokyo', { maxCatchUp: Duration.days(2), timeZone: TimeZone.ASIA_TOKYO }, '2026-11-23'],
  ])('a day left behind, then redeployed %s: still counted and reported as cut before (the new cut waits for it), and the printed backfill clears it', async (_how, changed, to) => {
    w = world({ props: { ...SETTLED, maxCatchUp: Duration.days(1) }, now: Date.parse('2026-11-22T01:00:00Z'), groups: ['/a'] });
    await scheduled('2026-11-22T01:00:00Z');
    await scheduled('2026-11-24T01:00:00Z');
    expect(published.map((p) => p.WindowsAbandoned)).toEqual([0, 1]);
    const redeployed = world({ shareWith: w, props: { ...SETTLED, ...changed } });
    w.clock.now = Date.parse('2026-11-25T01:05:00Z');
    expect(last(await redeployed.loop.run({ scheduledTime: '2026-11-25T01:05:00Z' })).status).toBe('SUCCEEDED');
    expect(published[2].WindowsAbandoned).toBeGreaterThan(0);
    const owner = () => JSON.parse(w.s3.objects.get(`${w.synthesized.bucket}/_state/exported-logs/owner.json`)!.body);
    expect([owner().period, owner().timeZone]).toEqual(['P1D', 'Etc/UTC']);
    const r = await report('--to', to);
    expect(r.code).toBe(1);
    const inputs = r.out.filter((l) => l.startsWith('  {') && !l.includes('logGroupNames')).map((l) => JSON.parse(l));
    expect(inputs.length).toBeGreaterThan(0);
    for (const input of inputs) expect(last(await redeployed.loop.run(input)).status).toBe('SUCCEEDED');
    w.clock.now = Date.parse('2026-11-26T01:05:00Z');
    expect(last(await redeployed.loop.run({ scheduledTime: '2026-11-26T01:05:00Z' })).status).toBe('SUCCEEDED');
    expect(published[published.length - 1].WindowsAbandoned).toBe(0);
    // Once it is backfilled, the next run switches to the cut as deployed.
    expect([owner().period, owner().timeZone]).toEqual([changed.exportPeriod ? 'PT1H' : 'P1D', changed.timeZone ? 'Asia/Tokyo' : 'Etc/UTC']);
    // The 22nd (UTC) exported once, by the backfill.
    const day22 = w.logs.tasks.filter((t) => t.from < Date.parse('2026-11-23T00:00:00Z') && t.to >= Date.parse('2026-11-22T00:00:00Z'));
    expect(day22.length).toBeGreaterThan(0);
  });

  test('windows a backfill exported while a scheduled run waited for the lease are not recorded abandoned', async () => {
    w = world({ props: { ...SETTLED, maxCatchUp: Duration.days(1) }, now: Date.parse('2026-11-22T01:00:00Z'), groups: ['/a', '/b'] });
    await scheduled('2026-11-22T01:00:00Z');
    w.clock.now = Date.parse('2026-11-25T01:00:00Z');
    const [backfill, run] = await Promise.all([
      w.loop.run({ startDate: '2026-11-22', endDate: '2026-11-23' }, 'backfill'),
      w.loop.run({ scheduledTime: '2026-11-25T01:00:00Z' }, 'scheduled'),
    ]);
    expect([last(backfill).status, last(run).status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expectExactlyOnce(w, ['/a', '/b'], days('2026-11-21T00:00:00Z', '2026-11-24T00:00:00Z'));
    await scheduled('2026-11-26T01:00:00Z');
    expect(published[published.length - 1].WindowsAbandoned).toBe(0);
    expect((await report()).code).toBe(0);
  });

  test('a named group an exclusion leaves out exists: not counted as not found', async () => {
    const props = { ...SETTLED, logGroups: LogGroupSelection.names(['/app/orders', '/app/tmp/scratch']).excluding(['/app/tmp/']) };
    w = world({ props, now: Date.parse('2026-11-25T01:00:00Z'), groups: ['/app/orders', '/app/tmp/scratch'] });
    await scheduled('2026-11-25T01:00:00Z');
    expect(published.map((p) => p.GroupsNotFound)).toEqual([0]);
  });
});

describe('the coverage alarm follows the last scheduled run, not the ones before it in its period', () => {
  /** The alarm's state at `at` as CloudWatch evaluates it: each metric aggregated by its statistic over (at - period, at], then the expression. */
  function stateAt(samples: Array<{ at: number; figures: Record<string, number> }>, at: number): 'ALARM' | 'OK' | 'unchanged' {
    const alarm = Object.values<any>(synth({}).template.toJSON().Resources).find((r) => r.Type === 'AWS::CloudWatch::Alarm'
      && r.Properties.Metrics?.some((m: any) => m.MetricStat?.Metric.MetricName === MetricName.WINDOWS_ABANDONED)).Properties;
    const inputs: Array<[string, number | undefined]> = alarm.Metrics.filter((m: any) => m.MetricStat).map((m: any) => {
      const { Stat, Period, Metric } = m.MetricStat;
      expect(Stat).toBe('Maximum');
      const values = samples.filter((s) => s.at > at - Period * 1000 && s.at <= at).map((s) => s.figures[Metric.MetricName]);
      return [m.Id, values.length ? Math.max(...values) : undefined] as [string, number | undefined];
    });
    // No datapoint: the alarm keeps its state (missing data is ignored).
    if (inputs.some(([, v]) => v === undefined)) return 'unchanged';
    const expression: string = alarm.Metrics.find((m: any) => m.Expression).Expression;
    const value = new Function('IF', ...inputs.map(([id]) => id), `return ${expression};`)(
      (c: boolean, a: number, b: number) => (c ? a : b), ...inputs.map(([, v]) => v));
    return value > alarm.Threshold ? 'ALARM' : 'OK';
  }
  const t0 = Date.parse('2026-11-24T01:00:00Z');
  const day = 86_400_000;
  const clean = { GroupsSelected: 3, GroupsNotFound: 0, GroupsRetentionAtRisk: 0, WindowsAbandoned: 0 };

  test('a run that selects nothing, a day after one that selected groups: ALARM; between runs: unchanged', () => {
    const samples = [{ at: t0, figures: clean }, { at: t0 + day, figures: { ...clean, GroupsSelected: 0 } }];
    expect(stateAt(samples, t0 + day + 30_000)).toBe('ALARM');
    expect(stateAt(samples, t0 + day + 3_600_000)).toBe('unchanged');
  });

  test('the first clean run after windows were abandoned: OK', () => {
    const samples = [{ at: t0, figures: { ...clean, WindowsAbandoned: 1 } }, { at: t0 + day, figures: clean }];
    expect(stateAt(samples, t0 + day + 30_000)).toBe('OK');
  });
});
