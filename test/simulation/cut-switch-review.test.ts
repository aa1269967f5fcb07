/**
 * After a deployment that cuts windows otherwise, once the exporter has switched to the new cut
 * (owner.json names it, and the cut before it until when): a dead run's clipped export, the
 * coverage report and the backfills it prints, windows left behind, backfills of the first
 * window cut the new way and of windows before it, and groups deleted right after the switch.
 * Each (group, hour) is exported once, and reported as what it is.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { Duration } from 'aws-cdk-lib';
import { main } from '../../src/cli/main';
import { isCreateOf, last, once } from '../harness/rules';
import { World, completedRanges, overlapsOf, world } from '../harness/world';

let w: World;
afterEach(() => w?.restore());

const ranges = (g: string) => completedRanges(w, g);
const overlaps = (g: string) => overlapsOf(w, g);

/** UTC daily exporter: exports the 23rd, then (deployed Berlin) the 24th, switching to Berlin windows. */
async function switchedToBerlin(groups: string[], logs = {}): Promise<void> {
  w = world({ props: { settleTime: Duration.hours(0) }, groups, now: Date.parse('2026-11-24T01:00:00Z'), logs });
  expect(last(await w.loop.run({ scheduledTime: '2026-11-24T01:00:00Z' }, 'first')).status).toBe('SUCCEEDED');
  Object.assign(w.synthesized.config, { timeZone: 'Europe/Berlin' });
  w.clock.now = Date.parse('2026-11-25T01:00:00Z');
  expect(last(await w.loop.run({ scheduledTime: '2026-11-25T01:00:00Z' }, 'switching')).status).toBe('SUCCEEDED');
  const owner = JSON.parse(w.s3.objects.get(`${w.synthesized.bucket}/_state/exported-logs/owner.json`)!.body);
  expect(owner.timeZone).toBe('Europe/Berlin');
}

test.each([['3 s (control: done before the takeover)', 3_000], ['45 min (still running at the takeover)', 45 * 60_000]])(
  'a dead clipped run whose export takes %s, taken over by a backfill: the next scheduled run does not export it again', async (_what, ms) => {
  // Exports of 45 minutes: the dead run's export of /b still runs when its lease (30 min) has expired (3 s: it has ended).
    await switchedToBerlin(['/a', '/b'], { duration: () => ms });
    // The first Berlin run exports Berlin's 25th, [24T23Z, 25T23Z), from the checkpoint 25T00Z on; it dies just after creating /b's export.
    w.clock.now = Date.parse('2026-11-26T01:00:00Z');
    w.logs.addGroup('/c', Date.parse('2026-11-25T12:00:00Z'));
    const created = once(isCreateOf('/b'), 'after');
    const [dead] = await w.loop.run({ scheduledTime: '2026-11-26T01:00:00Z' }, 'dead', { kill: () => created.rule, crashWhen: () => created.fired() });
    expect(dead.status).toBe('FAILED');
    // A backfill of a group never exported takes the lease over 31 minutes after the dead run's last write.
    w.clock.now += 31 * 60_000;
    expect(last(await w.loop.run({ startDate: '2026-11-25', endDate: '2026-11-25', logGroupNames: ['/c'] }, 'backfill')).status).toBe('SUCCEEDED');
    w.clock.now += 60 * 60_000;
    expect(last(await w.loop.run({ scheduledTime: new Date(w.clock.now).toISOString() }, 'next')).status).toBe('SUCCEEDED');
    expect(ranges('/b').filter((r) => r.startsWith('2026-11-25'))).toHaveLength(1);
    expect([...overlaps('/a'), ...overlaps('/b'), ...overlaps('/c')]).toEqual([]);
  });

async function report(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, () => new S3Client({ region: 'us-east-1' }), w.clock.now);
  return { code, out, err };
}

/** Runs the backfills a report printed, each to success. */
async function runPrinted(out: string[]): Promise<void> {
  for (const input of out.filter((l) => l.startsWith('  {')).map((l) => JSON.parse(l))) {
    expect(last(await w.loop.run(input)).status).toBe('SUCCEEDED');
  }
}

/** A daily UTC exporter that exports the 23rd and 24th, then is deployed with `change`, switches, and exports on (two more runs). */
async function switchedAndOn(change: Record<string, unknown>): Promise<void> {
  w = world({ props: { settleTime: Duration.hours(0) }, groups: ['/a'], now: Date.parse('2026-11-24T01:00:00Z') });
  expect(last(await w.loop.run({ scheduledTime: '2026-11-24T01:00:00Z' }, 'first')).status).toBe('SUCCEEDED');
  Object.assign(w.synthesized.config, change);
  w.clock.now = Date.parse('2026-11-25T01:00:00Z');
  expect(last(await w.loop.run({ scheduledTime: '2026-11-25T01:00:00Z' }, 'switching')).status).toBe('SUCCEEDED');
  for (const at of ['2026-11-26T01:00:00Z', '2026-11-27T01:00:00Z']) {
    w.clock.now = Date.parse(at);
    expect(last(await w.loop.run({ scheduledTime: at })).status).toBe('SUCCEEDED');
  }
  expect(overlaps('/a')).toEqual([]);
}

const CHANGES: Array<[string, Record<string, unknown>, string]> = [
  ['UTC to Europe/Berlin', { timeZone: 'Europe/Berlin' }, '2026-11-26'],
  ['daily to hourly', { period: 'PT1H' }, '2026-11-26T23'],
];

test.each(CHANGES)('%s: the coverage report over days exported before the switch calls nothing missing', async (_what, change, to) => {
  await switchedAndOn(change);
  // Every hour from 2026-11-23T00Z on was exported once, by a UTC daily window or by a window cut the new way.
  const r = await report('coverage', '--bucket', w.synthesized.bucket, '--from', '2026-11-23', '--to', to);
  expect(r.out.filter((l) => /[1-9]\d* missing: |^  \{/.test(l))).toEqual([]);
  expect(r.code).toBe(0);
});

test.each(CHANGES)('%s: the backfill the coverage report prints after the switch exports nothing twice', async (_what, change, to) => {
  await switchedAndOn(change);
  const r = await report('coverage', '--bucket', w.synthesized.bucket, '--from', '2026-11-23', '--to', to);
  await runPrinted(r.out);
  expect(overlaps('/a')).toEqual([]);
});

test('UTC to Europe/Berlin with windows left behind (beyond maxCatchUp): the switch waits for them, or their printed backfill exports nothing twice', async () => {
  w = world({ props: { settleTime: Duration.hours(0), maxCatchUp: Duration.days(2) }, groups: ['/a'], now: Date.parse('2026-11-20T01:00:00Z') });
  expect(last(await w.loop.run({ scheduledTime: '2026-11-20T01:00:00Z' }, 'first')).status).toBe('SUCCEEDED');
  Object.assign(w.synthesized.config, { timeZone: 'Europe/Berlin' });
  // Four days later: the run (still cutting UTC days) exports the 23rd and 24th and leaves the 20th..22nd behind.
  w.clock.now = Date.parse('2026-11-25T01:00:00Z');
  expect(last(await w.loop.run({ scheduledTime: '2026-11-25T01:00:00Z' }, 'catching-up')).status).toBe('SUCCEEDED');
  const owner = JSON.parse(w.s3.objects.get(`${w.synthesized.bucket}/_state/exported-logs/owner.json`)!.body);
  // The switch waits for the windows left behind: they are backfilled cut as they were left.
  expect(owner.timeZone).toBe('Etc/UTC');
  // The exporter's own instruction: the abandoned windows' backfills (as the report and the run's log print them).
  const r = await report('coverage', '--bucket', w.synthesized.bucket, '--json');
  const backfills = JSON.parse(r.out.join('\n')).abandonedBackfills as Array<{ startDate: string; endDate: string }>;
  expect(backfills).toEqual([{ startDate: '2026-11-20', endDate: '2026-11-22' }]);
  for (const input of backfills) expect(last(await w.loop.run(input)).status).toBe('SUCCEEDED');
  // The next run exports the 25th (UTC) and switches; the one after it exports Berlin's 26th from the checkpoint on.
  for (const day of ['2026-11-26', '2026-11-27']) {
    w.clock.now = Date.parse(`${day}T01:00:00Z`);
    expect(last(await w.loop.run({ scheduledTime: `${day}T01:00:00Z` })).status).toBe('SUCCEEDED');
  }
  expect(JSON.parse(w.s3.objects.get(`${w.synthesized.bucket}/_state/exported-logs/owner.json`)!.body).timeZone).toBe('Europe/Berlin');
  // Every hour from 2026-11-19T00Z to 2026-11-26T23Z exported once, and no hole: ranges meet.
  expect(overlaps('/a')).toEqual([]);
  const spans = w.logs.tasks.filter((t) => t.logGroupName === '/a' && w.logs.statusOf(t) === 'COMPLETED').map((t) => [t.from, t.to]).sort((a, b) => a[0] - b[0]);
  expect(spans.filter(([from], i) => i > 0 && from !== spans[i - 1][1] + 1)).toEqual([]);
  expect(ranges('/a')[0]).toBe('2026-11-19T00:00:00.000Z..2026-11-19T23:59:59.999Z');
  expect(ranges('/a').slice(-1)[0]).toBe('2026-11-26T00:00:00.000Z..2026-11-26T22:59:59.999Z');
});

test.each<[string, Record<string, unknown>, string]>([
  ['no change (control)', {}, '2026-11-25'],
  ['UTC to Europe/Berlin', { timeZone: 'Europe/Berlin' }, '2026-11-25'],
  ['daily to hourly', { period: 'PT1H' }, '2026-11-25T01'],
])('%s: a group deleted just after the switch is recorded as gone, and reported deleted before export, not missing', async (_what, change, day) => {
  w = world({ props: { settleTime: Duration.hours(0) }, groups: ['/a', '/x'], now: Date.parse('2026-11-24T01:00:00Z') });
  expect(last(await w.loop.run({ scheduledTime: '2026-11-24T01:00:00Z' }, 'first')).status).toBe('SUCCEEDED');
  Object.assign(w.synthesized.config, change);
  w.clock.now = Date.parse('2026-11-25T01:00:00Z');
  expect(last(await w.loop.run({ scheduledTime: '2026-11-25T01:00:00Z' }, 'switching')).status).toBe('SUCCEEDED');
  // /x (exported up to 2026-11-25T00Z) is deleted after the run that switched.
  w.clock.now = Date.parse('2026-11-25T02:00:00Z');
  w.logs.deleteGroup('/x');
  for (const at of ['2026-11-26T01:00:00Z', '2026-11-27T01:00:00Z']) {
    w.clock.now = Date.parse(at);
    expect(last(await w.loop.run({ scheduledTime: at })).status).toBe('SUCCEEDED');
  }
  expect(w.s3.keys(w.synthesized.bucket, '_state/exported-logs/vanished/').filter((k) => k.includes('%2Fx!'))).toHaveLength(1);
  // A window after the switch: /x was deleted before it was exported (no backfill can export it).
  const r = await report('coverage', '--bucket', w.synthesized.bucket, '--group', '/x', '--from', day, '--to', day);
  expect(r.out.filter((l) => / missing: |^  \{/.test(l))).toEqual([]);
  expect(r.out.some((l) => /deleted before export/.test(l))).toBe(true);
});

test.each<[string, Record<string, unknown>, string]>([
  ['no change (control)', {}, '2026-11-26T00:30:00Z'],
  ['UTC to Europe/Berlin', { timeZone: 'Europe/Berlin' }, '2026-11-25T23:30:00Z'],
])('%s: a backfill of the first day cut the new way, before the schedule exports it, exports nothing twice', async (_what, change, at) => {
  w = world({ props: { settleTime: Duration.hours(0) }, groups: ['/a'], now: Date.parse('2026-11-24T01:00:00Z') });
  expect(last(await w.loop.run({ scheduledTime: '2026-11-24T01:00:00Z' }, 'first')).status).toBe('SUCCEEDED');
  Object.assign(w.synthesized.config, change);
  w.clock.now = Date.parse('2026-11-25T01:00:00Z');
  expect(last(await w.loop.run({ scheduledTime: '2026-11-25T01:00:00Z' }, 'switching')).status).toBe('SUCCEEDED');
  // The 25th has just settled (in Berlin: 2026-11-25T23Z): someone backfills it before the schedule does.
  w.clock.now = Date.parse(at);
  expect(last(await w.loop.run({ startDate: '2026-11-25', endDate: '2026-11-25' }, 'backfill')).status).toBe('SUCCEEDED');
  w.clock.now = Date.parse('2026-11-26T01:00:00Z');
  expect(last(await w.loop.run({ scheduledTime: '2026-11-26T01:00:00Z' }, 'next')).status).toBe('SUCCEEDED');
  expect(overlaps('/a')).toEqual([]);
});


test('a backfill over windows of both cuts is refused, saying where to split it; each side of it runs, cut as its windows were', async () => {
  await switchedAndOn({ timeZone: 'Europe/Berlin' });
  const [refused] = await w.loop.run({ startDate: '2026-11-23', endDate: '2026-11-26', logGroupNames: ['/a'], reexport: true });
  expect(refused.status).toBe('FAILED');
  expect(refused.cause).toMatch(new RegExp('^the exporter cut P1D windows in Europe/Berlin ending after 2026-11-25T00:00:00.000Z, and windows on either side ' +
    "of that otherwise \\(a deployment changed timeZone or exportPeriod\\): a backfill exports the windows of one cut, its dates read in that cut's time zone; " +
    'split this one at 2026-11-25T00:00:00.000Z'));
  const tasks = w.logs.tasks.length;
  // The days before the switch, read in UTC: already exported, so nothing is.
  expect(last(await w.loop.run({ startDate: '2026-11-23', endDate: '2026-11-24' })).status).toBe('SUCCEEDED');
  expect(w.logs.tasks.length).toBe(tasks);
  expect(overlaps('/a')).toEqual([]);
});
