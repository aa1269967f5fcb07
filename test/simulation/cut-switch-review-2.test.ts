/**
 * Changes of cut, second round: two changes in a row (owner.json keeps each earlier cut and when
 * it ended), a deployment pending while a backfill runs in the current cut, a change right after a
 * switch, the report over several cuts, the first (clipped) window of a cut whose date another cut
 * also has, and the retry inputs ExportsFailed prints.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { Duration } from 'aws-cdk-lib';
import { main } from '../../src/cli/main';
import { last } from '../harness/rules';
import { World, completedRanges, overlapsOf, world } from '../harness/world';

let w: World;
afterEach(() => w?.restore());

const overlaps = (g: string) => overlapsOf(w, g);
const exported = (g: string) => completedRanges(w, g);

/** Holes between a group's completed exports from `from` to `to` (none: every hour exported). */
function holes(g: string, from: number, to: number): string[] {
  const spans = w.logs.tasks.filter((t) => t.logGroupName === g && w.logs.statusOf(t) === 'COMPLETED')
    .map((t) => [t.from, t.to] as const).sort((a, b) => a[0] - b[0]);
  const out: string[] = [];
  let at = from;
  for (const [f, t] of spans) {
    if (t < from || f >= to) continue;
    if (f > at) out.push(`${new Date(at).toISOString()}..${new Date(f).toISOString()}`);
    at = Math.max(at, t + 1);
  }
  if (at < to) out.push(`${new Date(at).toISOString()}..${new Date(to).toISOString()}`);
  return out;
}

function owner(): any {
  return JSON.parse(w.s3.objects.get(`${w.synthesized.bucket}/_state/exported-logs/owner.json`)!.body);
}

async function scheduled(at: string): Promise<void> {
  w.clock.now = Date.parse(at);
  const r = last(await w.loop.run({ scheduledTime: at }));
  expect([r.status, r.cause]).toEqual(['SUCCEEDED', undefined]);
}

async function report(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, () => new S3Client({ region: 'us-east-1' }), w.clock.now);
  return { code, out, err };
}

/**
 * A daily exporter, UTC, deployed `first` (switches at the 25T00Z checkpoint), runs two days cut so,
 * deployed `second` (switches at the next checkpoint), runs two more days.
 */
async function twoSwitches(first: Record<string, unknown>, second: Record<string, unknown>, groups = ['/a']): Promise<void> {
  w = world({ props: { settleTime: Duration.hours(0) }, groups, now: Date.parse('2026-11-24T01:00:00Z') });
  await scheduled('2026-11-24T01:00:00Z');
  Object.assign(w.synthesized.config, first);
  await scheduled('2026-11-25T01:00:00Z');
  expect(owner().earlier).toMatchObject([{ timeZone: 'Etc/UTC', period: 'P1D', until: Date.parse('2026-11-25T00:00:00Z') }]);
  await scheduled('2026-11-26T01:00:00Z');
  Object.assign(w.synthesized.config, second);
  await scheduled('2026-11-27T01:00:00Z');
  await scheduled('2026-11-28T01:00:00Z');
  await scheduled('2026-11-29T01:00:00Z');
  for (const g of groups) expect(overlaps(g)).toEqual([]);
}

test.each<[string, Record<string, unknown>, Record<string, unknown>]>([
  ['UTC -> Berlin -> Tokyo', { timeZone: 'Europe/Berlin' }, { timeZone: 'Asia/Tokyo' }],
  ['daily -> hourly -> daily', { period: 'PT1H' }, { period: 'P1D' }],
])('%s: a backfill of a day exported before the first switch exports nothing again', async (_what, first, second) => {
  await twoSwitches(first, second);
  const tasks = w.logs.tasks.length;
  const r = last(await w.loop.run({ startDate: '2026-11-23', endDate: '2026-11-23' }, 'backfill-oldest'));
  // Exported already (UTC 2026-11-23, by the first run): skipped, or refused, but never exported again.
  expect(w.logs.tasks.slice(tasks).map((t) => `${t.taskId} ${new Date(t.from).toISOString()}..${new Date(t.to).toISOString()}`)).toEqual([]);
  expect(overlaps('/a')).toEqual([]);
  expect(r.status).toBeDefined();
});

test.each<[string, Record<string, unknown>, Record<string, unknown>, string]>([
  ['UTC -> Berlin -> Tokyo', { timeZone: 'Europe/Berlin' }, { timeZone: 'Asia/Tokyo' }, '2026-11-28'],
  ['daily -> hourly -> daily', { period: 'PT1H' }, { period: 'P1D' }, '2026-11-28'],
])('%s: the coverage report over the days before the first switch calls nothing missing', async (_what, first, second, to) => {
  await twoSwitches(first, second);
  const r = await report('coverage', '--bucket', w.synthesized.bucket, '--from', '2026-11-23', '--to', to);
  expect(holes('/a', Date.parse('2026-11-23T00:00:00Z'), Date.parse('2026-11-28T15:00:00Z'))).toEqual([]);
  expect(r.out.filter((l) => /[1-9]\d* missing: |^  \{/.test(l))).toEqual([]);
  expect(r.code).toBe(0);
});

test.each<[string, boolean]>([
  ['Tokyo deployed (not yet switched to)', true],
  ['no second deployment (control)', false],
])('UTC -> Berlin switched, %s: a backfill of Berlin days over the switch is refused, exporting nothing twice', async (_what, tokyo) => {
  w = world({ props: { settleTime: Duration.hours(0) }, groups: ['/a'], now: Date.parse('2026-11-24T01:00:00Z') });
  await scheduled('2026-11-24T01:00:00Z');
  Object.assign(w.synthesized.config, { timeZone: 'Europe/Berlin' });
  await scheduled('2026-11-25T01:00:00Z');
  await scheduled('2026-11-26T01:00:00Z');
  expect(owner()).toMatchObject({ timeZone: 'Europe/Berlin', earlier: [{ timeZone: 'Etc/UTC', until: Date.parse('2026-11-25T00:00:00Z') }] });
  // Deployed with Tokyo; before the next scheduled run switches, someone backfills 23..25 (the exporter cuts Berlin days now).
  if (tokyo) Object.assign(w.synthesized.config, { timeZone: 'Asia/Tokyo' });
  w.clock.now = Date.parse('2026-11-26T02:00:00Z');
  const tasks = w.logs.tasks.length;
  const r = last(await w.loop.run({ startDate: '2026-11-23', endDate: '2026-11-25', logGroupNames: ['/a'] }, 'backfill'));
  expect({ status: r.status, refused: /split this one/.test(r.cause ?? ''), exported: w.logs.tasks.slice(tasks).map((t) => `${t.taskId} ${new Date(t.from).toISOString()}..${new Date(t.to).toISOString()}`), overlaps: overlaps('/a') })
    .toEqual({ status: 'FAILED', refused: true, exported: [], overlaps: [] });
});

test.each<[string, string, string]>([
  ['--from an hour of the day exported daily', '2026-11-24T05', '2026-11-25T05'],
  ['--from the day, --to an hour after the switch (control)', '2026-11-24', '2026-11-25T05'],
])('daily -> hourly: the report %s calls nothing missing', async (_what, from, to) => {
  w = world({ props: { settleTime: Duration.hours(0) }, groups: ['/a'], now: Date.parse('2026-11-24T01:00:00Z') });
  await scheduled('2026-11-24T01:00:00Z');
  Object.assign(w.synthesized.config, { period: 'PT1H' });
  await scheduled('2026-11-25T01:00:00Z');
  await scheduled('2026-11-26T01:00:00Z');
  expect(holes('/a', Date.parse('2026-11-23T00:00:00Z'), Date.parse('2026-11-26T00:00:00Z'))).toEqual([]);
  const r = await report('coverage', '--bucket', w.synthesized.bucket, '--from', from, '--to', to);
  expect(r.out.filter((l) => /[1-9]\d* missing: |^  \{/.test(l))).toEqual([]);
  expect(r.code).toBe(0);
});

test.each<[string, boolean]>([
  ['Tokyo deployed right after the switch to Berlin', true],
  ['no second deployment (control)', false],
])('%s: the report over the days exported in UTC calls nothing missing, and backfilling them exports nothing again', async (_what, tokyo) => {
  w = world({ props: { settleTime: Duration.hours(0) }, groups: ['/a'], now: Date.parse('2026-11-24T01:00:00Z') });
  await scheduled('2026-11-24T01:00:00Z');
  Object.assign(w.synthesized.config, { timeZone: 'Europe/Berlin' });
  await scheduled('2026-11-25T01:00:00Z');
  expect(owner().earlier).toMatchObject([{ timeZone: 'Etc/UTC', until: Date.parse('2026-11-25T00:00:00Z') }]);
  // An hour later, a deployment with Tokyo; the schedule runs on (hourly), then daily.
  if (tokyo) Object.assign(w.synthesized.config, { timeZone: 'Asia/Tokyo' });
  await scheduled('2026-11-25T02:00:00Z');
  for (const day of ['26', '27', '28']) await scheduled(`2026-11-${day}T01:00:00Z`);
  expect(overlaps('/a')).toEqual([]);
  const r = await report('coverage', '--bucket', w.synthesized.bucket, '--group', '/a', '--from', '2026-11-23', '--to', '2026-11-24');
  const tasks = w.logs.tasks.length;
  expect(last(await w.loop.run({ startDate: '2026-11-24', endDate: '2026-11-24' }, 'backfill-24th')).status).toBeDefined();
  expect({ owner: owner().earlier, report: r.out.filter((l) => /[1-9]\d* missing: |^  \{/.test(l)), exported: w.logs.tasks.slice(tasks).map((t) => `${new Date(t.from).toISOString()}..${new Date(t.to).toISOString()}`) })
    .toEqual({ owner: expect.anything(), report: [], exported: [] });
});

test.each<[string, boolean]>([
  ['Tokyo deployed (not yet switched to)', true],
  ['no second deployment (control)', false],
])('UTC -> Berlin, then %s: a group deleted just after the switch is reported deleted before export, not missing', async (_what, tokyo) => {
  w = world({ props: { settleTime: Duration.hours(0) }, groups: ['/a', '/x'], now: Date.parse('2026-11-24T01:00:00Z') });
  await scheduled('2026-11-24T01:00:00Z');
  Object.assign(w.synthesized.config, { timeZone: 'Europe/Berlin' });
  await scheduled('2026-11-25T01:00:00Z');
  w.clock.now = Date.parse('2026-11-25T02:00:00Z');
  w.logs.deleteGroup('/x');
  if (tokyo) Object.assign(w.synthesized.config, { timeZone: 'Asia/Tokyo' });
  for (const day of ['26', '27', '28']) await scheduled(`2026-11-${day}T01:00:00Z`);
  expect(overlaps('/a')).toEqual([]);
  const vanished = w.s3.keys(w.synthesized.bucket, '_state/exported-logs/vanished/').filter((k) => k.includes('%2Fx!'));
  const r = await report('coverage', '--bucket', w.synthesized.bucket, '--group', '/x', '--from', '2026-11-25', '--to', '2026-11-27');
  expect({ vanished: vanished.length, report: r.out.filter((l) => / missing: |^  \{/.test(l)) }).toEqual({ vanished: 1, report: [] });
});


/**
 * Berlin daily, deployed with UTC: switches at the checkpoint 2026-11-24T23Z; the first UTC run exports
 * UTC's 24th from 23Z on, and /x (created 24T23:30Z) fails there (three attempts).
 */
async function berlinToUtcWithFailure(): Promise<ReturnType<typeof last>> {
  w = world({ props: { settleTime: Duration.hours(0) }, groups: ['/a'], now: Date.parse('2026-11-24T00:30:00Z'), logs: { failures: { '/x': 3 } } });
  Object.assign(w.synthesized.config, { timeZone: 'Europe/Berlin' });
  await scheduled('2026-11-24T00:30:00Z');
  Object.assign(w.synthesized.config, { timeZone: 'Etc/UTC' });
  await scheduled('2026-11-25T00:30:00Z');
  expect(owner()).toMatchObject({ timeZone: 'Etc/UTC', earlier: [{ timeZone: 'Europe/Berlin', until: Date.parse('2026-11-24T23:00:00Z') }] });
  w.logs.addGroup('/x', Date.parse('2026-11-24T23:30:00Z'));
  w.clock.now = Date.parse('2026-11-25T01:00:00Z');
  const failed = last(await w.loop.run({ scheduledTime: '2026-11-25T01:00:00Z' }, 'failing'));
  expect([failed.status, failed.error]).toEqual(['FAILED', 'ExportsFailed']);
  expect(exported('/x')).toEqual([]);
  return failed;
}

test('Berlin -> UTC: the backfill input ExportsFailed prints for the first UTC window (clipped at the switch) exports what failed', async () => {
  const failed = await berlinToUtcWithFailure();
  const inputs = [...failed.cause!.matchAll(/(\{"startDate".*?\]\})/g)].map((m) => JSON.parse(m[1]));
  expect(inputs).toEqual([{ startDate: '2026-11-24', endDate: '2026-11-24', logGroupNames: ['/x'] }]);
  for (const input of inputs) expect(last(await w.loop.run(input, 'retry')).status).toBe('SUCCEEDED');
  // UTC's 24th of /x, from the switch on: [24T23Z, 25T00Z).
  expect(exported('/x')).toEqual(['2026-11-24T23:00:00.000Z..2026-11-24T23:59:59.999Z']);
});

test('Berlin -> UTC: the coverage report names /x missing in the first UTC window, and the backfill it prints exports it', async () => {
  await berlinToUtcWithFailure();
  const r = await report('coverage', '--bucket', w.synthesized.bucket, '--group', '/x', '--from', '2026-11-24', '--to', '2026-11-24');
  await (async () => {
    for (const input of r.out.filter((l) => l.startsWith('  {')).map((l) => JSON.parse(l))) expect(last(await w.loop.run(input)).status).toBe('SUCCEEDED');
  })();
  expect({ code: r.code, exported: exported('/x') }).toEqual({ code: 1, exported: ['2026-11-24T23:00:00.000Z..2026-11-24T23:59:59.999Z'] });
});

test('the coverage report of a log group named -h (a valid name) reports it, not the help with exit 0', async () => {
  w = world({ props: { settleTime: Duration.hours(0) }, groups: ['/a'], now: Date.parse('2026-11-24T01:00:00Z') });
  await scheduled('2026-11-24T01:00:00Z');
  const r = await report('coverage', '--bucket', w.synthesized.bucket, '--group', '-h', '--json');
  // Control: a group of another name never exported is reported missing, exit 1, as one JSON document.
  const control = await report('coverage', '--bucket', w.synthesized.bucket, '--group', '/nope', '--json');
  expect(control.code).toBe(1);
  expect(JSON.parse(control.out.join('\n')).groups[0]).toMatchObject({ logGroupName: '/nope', exported: 0, missing: 1 });
  expect(r.code).toBe(1);
  expect(JSON.parse(r.out.join('\n')).groups[0]).toMatchObject({ logGroupName: '-h', exported: 0, missing: 1 });
});

test('Berlin -> UTC: a missing Berlin day whose date names the first UTC window is told apart, and no backfill is printed that would export another window', async () => {
  await berlinToUtcWithFailure();
  // /a's Berlin 24th ([23T23Z, 24T23Z)) loses its done-marker.
  const marker = w.s3.keys(w.synthesized.bucket, '_state/exported-logs/done/P1D/20261123T230000Z/').find((k) => k.includes('%2Fa!'))!;
  expect(w.s3.delete(w.synthesized.bucket, marker)).toBe(true);
  const r = await report('coverage', '--bucket', w.synthesized.bucket, '--group', '/a', '--from', '2026-11-23', '--to', '2026-11-24');
  expect(r.code).toBe(1);
  expect(r.out).toContain('/a      2 exported      0 empty      1 missing: 2026-11-24 (P1D in Europe/Berlin)');
  expect(r.out.filter((l) => l.startsWith('  {'))).toEqual([]);
  expect(r.out).toContain('1 missing window(s) cannot be named in a backfill: their date names the first window of the next cut (clipped at the change of cut). ' +
    'Redrive the execution that failed them, if one did (within 14 days); no backfill exports them: /a @ 2026-11-24 (P1D in Europe/Berlin)');
});
