/**
 * `npm run demo` as a test: the example app's synthesized state machine and bundled handler
 * against moto's server (real wire format, object layout and gzip content).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { gzipSync } from 'zlib';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { BUCKET, demo } from '../../examples/demo';
import { query } from '../harness/local/athena';
import { Moto, ensureMoto, startMoto } from '../harness/local/moto';
import { RETIRED_GROUP, SEEDED_GROUPS, clients, gunzipLines } from '../harness/local/seed';

let moto: Moto | undefined;
const outdir = mkdtempSync(join(tmpdir(), 'exporter-demo-test-'));

beforeAll(async () => {
  // Installs moto into .demo/venv on first use. Its S3 answers a missing key 403 AccessDenied, as S3 does for
  // a caller whose s3:ListBucket does not count: the first run of an exporter reads only missing state objects.
  moto = await startMoto(ensureMoto(join(__dirname, '..', '..')), { missingKey403: true });
}, 20 * 60_000);

afterAll(async () => {
  await moto?.stop();
  rmSync(outdir, { recursive: true, force: true });
});

test('the demo exports every seeded event of the selected groups once, under its group and day, and nothing on the second run', async () => {
  const lines: string[] = [];
  const { runs, seeded, objects, coverage, athena } = await demo(moto!.endpoint, outdir, (l) => lines.push(l));
  // The bundled SDK reads moto's answer for a missing key as AccessDenied (403), which the handler told apart from a denial.
  await expect(clients(moto!.endpoint).s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: '_state/exported-logs/checkpoint-PT1H.json' })))
    .rejects.toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });

  // Four groups on two days, and the retired group on its first day; its second day had no event.
  expect(runs.map((r) => [r.status, r.stats?.exported, r.stats?.empty, r.executions])).toEqual([['SUCCEEDED', 9, 1, 1], ['SUCCEEDED', 0, 0, 1]]);

  // What the exported gzip files hold, by folder, against what was seeded.
  const selected = SEEDED_GROUPS.filter((g) => g !== 'other/not-selected');
  const expected: Record<string, string[]> = {};
  for (const e of seeded.filter((s) => selected.includes(s.group))) {
    (expected[`exported-logs/${e.group.replace(/^\//, '')}/${e.day.replace(/-/g, '/')}`] ??= []).push(e.message);
  }
  const exported: Record<string, string[]> = {};
  for (const { key } of objects.filter((o) => o.key.endsWith('.gz'))) {
    expect(key).toMatch(/^exported-logs\/.+\/\d{4}\/\d{2}\/\d{2}\/[^/]+\/[^/]+\/000000\.gz$/);
    const folder = key.replace(/(\/\d{4}\/\d{2}\/\d{2})\/.*$/, '$1');
    // Each line is `<ISO timestamp> <message>`.
    const messages = (await gunzipLines(moto!.endpoint, BUCKET, key)).map((l) => l.slice(l.indexOf(' ') + 1));
    (exported[folder] ??= []).push(...messages);
  }
  for (const m of Object.values(exported)) m.sort();
  for (const m of Object.values(expected)) m.sort();
  expect(exported).toEqual(expected);

  // One done-marker per (group, day) with events, written after its export completed; the retired group's second day recorded empty.
  const markers = objects.map((o) => o.key).filter((k) => k.startsWith('_state/exported-logs/done/') && !k.includes('!empty!')).sort();
  const withEvents = [...new Set(seeded.filter((e) => selected.includes(e.group)).map((e) => `${e.day.replace(/-/g, '')}T000000Z/${encodeURIComponent(e.group)}`))];
  expect(markers.map((k) => k.replace(/!.*$/, ''))).toEqual(withEvents.map((p) => `_state/exported-logs/done/P1D/${p}`).sort());
  const days = [...new Set(seeded.map((e) => e.day.replace(/-/g, '')))].sort();
  expect(objects.map((o) => o.key).filter((k) => k.includes('!empty!')).map((k) => k.replace(/!empty!.*$/, '')))
    .toEqual([`_state/exported-logs/done/P1D/${days[1]}T000000Z/${encodeURIComponent('/aws/lambda/orders')}`]);
  // Each marker names the export task the run started for its group and day (progress lines name them).
  const started = new Map(lines.filter((l) => /^ {2}started /.test(l)).map((l) => {
    const [, group, day, taskId] = /^ {2}started +(\S+) +(\S+) +task (\S+)$/.exec(l)!;
    return [taskId, `${encodeURIComponent(group)} ${day.replace(/-/g, '')}`];
  }));
  expect(markers.map((k) => {
    const [, day, group, taskId] = /done\/P1D\/(\d{8})T000000Z\/([^!]+)!\d+!([^!]+)(?:!\d+)?$/.exec(k)!;
    return started.get(taskId) === `${group} ${day}`;
  })).toEqual(markers.map(() => true));

  // The coverage report finds every selected group and both days, nothing missing.
  expect(coverage.code).toBe(0);
  expect(coverage.lines.filter((l) => / 2 exported +0 empty +0 missing$/.test(l)).map((l) => l.split(' ')[0]).sort())
    .toEqual(selected.filter((g) => g !== RETIRED_GROUP).sort());
  expect(coverage.lines.filter((l) => / 1 exported +1 empty +0 missing$/.test(l)).map((l) => l.split(' ')[0])).toEqual([RETIRED_GROUP]);
  expect(coverage.lines[coverage.lines.length - 1]).toBe('Nothing is missing.');

  // The Athena view, read as it and its table define it: for each selected group and day, every seeded event once,
  // with its time; nothing else.
  const { table, dir } = athena;
  expect([table.partitions, table.lineColumns, table.viewColumns]).toEqual([['log_group', 'day'], ['time', 'message'], ['ts', 'message', 'log_group', 'day']]);
  const folder = (g: string) => g.replace(/^\//, '');
  const slashed = (day: string) => day.replace(/-/g, '/');
  const seededDays = [...new Set(seeded.map((e) => e.day))].sort();
  for (const group of selected) {
    for (const day of seededDays) {
      const { rows, files } = await query(table, dir, { log_group: folder(group), day: slashed(day) });
      const expectedEvents = seeded.filter((e) => e.group === group && e.day === day).map((e) => `${new Date(e.timestamp).toISOString()} ${e.message}`);
      expect([group, day, rows.map((r) => `${r.ts} ${r.message}`).sort()]).toEqual([group, day, expectedEvents.sort()]);
      expect(files.every((f) => f.startsWith(`exported-logs/${folder(group)}/${slashed(day)}/`) && f.endsWith('.gz'))).toBe(true);
    }
  }
  // The exporter's state is out of reach of every group and day; a day without events has no rows.
  for (const day of seededDays) expect(await query(table, dir, { log_group: '_state', day: slashed(day) })).toEqual({ rows: [], files: [] });
  expect(await query(table, dir, { log_group: 'aws/lambda/retired', day: slashed(seededDays[1]) })).toEqual({ rows: [], files: [] });
  // What Athena reads besides the events: AWS's write test in each destination, one row of NULLs; a message with a
  // carriage return, two rows (the second of NULLs). What it does not read: a stream whose name starts with '_' or '.'.
  const orders = `exported-logs/aws/lambda/orders/${slashed(seededDays[0])}`;
  writeFileSync(`${dir}/${orders}/aws-logs-write-test`, 'Permission Check Successful');
  mkdirSync(`${dir}/${orders}/extra-task/stream`, { recursive: true });
  writeFileSync(`${dir}/${orders}/extra-task/stream/000000.gz`, gzipSync('2026-11-24T07:00:00.000Z first part\rsecond part\n'));
  mkdirSync(`${dir}/${orders}/extra-task/_hidden`, { recursive: true });
  writeFileSync(`${dir}/${orders}/extra-task/_hidden/000000.gz`, gzipSync('2026-11-24T08:00:00.000Z not read by Athena\n'));
  const more = (await query(table, dir, { log_group: 'aws/lambda/orders', day: slashed(seededDays[0]) })).rows;
  expect(more.filter((r) => r.ts === null)).toEqual([{ ts: null, message: null }, { ts: null, message: null }]);
  expect(more.filter((r) => r.ts !== null).map((r) => r.message)).toContain('first part');
  expect(more.filter((r) => r.ts !== null)).toHaveLength(7);
  expect(athena.rows).toHaveLength(6);

  // Progress: one line per export started and finished, all in the first execution.
  expect(lines.filter((l) => /^ {2}started /.test(l))).toHaveLength(9);
  expect(lines.filter((l) => /^ {2}finished /.test(l))).toHaveLength(9);
}, 10 * 60_000);
