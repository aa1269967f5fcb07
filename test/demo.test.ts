/**
 * `npm run demo` as a test: the example app's synthesized state machine and bundled handler
 * against moto's server (real wire format, object layout and gzip content).
 */
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { BUCKET, demo } from '../examples/demo';
import { Moto, ensureMoto, startMoto } from '../examples/local/moto';
import { SEEDED_GROUPS, gunzipLines } from '../examples/local/seed';

let moto: Moto | undefined;
const outdir = mkdtempSync(join(tmpdir(), 'exporter-demo-test-'));

beforeAll(async () => {
  // Installs moto into .demo/venv on first use.
  moto = await startMoto(ensureMoto(join(__dirname, '..')));
}, 20 * 60_000);

afterAll(async () => {
  await moto?.stop();
  rmSync(outdir, { recursive: true, force: true });
});

test('the demo exports every seeded event of the selected groups once, under its group and day, and nothing on the second run', async () => {
  const lines: string[] = [];
  const { runs, seeded, objects, coverage } = await demo(moto!.endpoint, outdir, (l) => lines.push(l));

  expect(runs.map((r) => [r.status, r.stats?.exported, r.executions])).toEqual([['SUCCEEDED', 8, 1], ['SUCCEEDED', 0, 1]]);

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

  // One done-marker per (group, day), written after its export completed.
  const markers = objects.map((o) => o.key).filter((k) => k.includes('/_state/done/')).sort();
  const days = [...new Set(seeded.map((e) => e.day.replace(/-/g, '')))].sort();
  expect(markers.map((k) => k.replace(/!.*$/, ''))).toEqual(days.flatMap((d) => selected.map((g) => `exported-logs/_state/done/P1D/${d}T000000Z/${encodeURIComponent(g)}`)).sort());
  // Each marker names the export task the run started for its group and day (progress lines name them).
  const started = new Map(lines.filter((l) => /^ {2}started /.test(l)).map((l) => {
    const [, group, day, taskId] = /^ {2}started +(\S+) +(\S+) +task (\S+)$/.exec(l)!;
    return [taskId, `${encodeURIComponent(group)} ${day.replace(/-/g, '')}`];
  }));
  expect(markers.map((k) => {
    const [, day, group, taskId] = /done\/P1D\/(\d{8})T000000Z\/([^!]+)!\d+!(.+)$/.exec(k)!;
    return started.get(taskId) === `${group} ${day}`;
  })).toEqual(markers.map(() => true));

  // The coverage report finds every selected group and both days, nothing missing.
  expect(coverage.code).toBe(0);
  expect(coverage.lines.filter((l) => / 2 exported +0 missing$/.test(l)).map((l) => l.split(' ')[0]).sort()).toEqual([...selected].sort());
  expect(coverage.lines[coverage.lines.length - 1]).toBe('Nothing is missing.');

  // Progress: one line per export started and finished, all in the first execution.
  expect(lines.filter((l) => /^ {2}started /.test(l))).toHaveLength(8);
  expect(lines.filter((l) => /^ {2}finished /.test(l))).toHaveLength(8);
}, 10 * 60_000);
