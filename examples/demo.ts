/**
 * `npm run demo`: the example app synthesized, then run on this machine against moto's server
 * (CloudWatch Logs and S3 on 127.0.0.1): two days of seeded logs exported by the bundled handler,
 * driven by the synthesized state machine; then the same run again, which exports nothing.
 */
import { readFileSync, rmSync } from 'fs';
import { join, resolve as resolvePath } from 'path';
import { exampleApp } from './app';
import { main as coverageMain } from '../src/cli/main';
import { loadExporter } from '../test/harness/local/assembly';
import { TableDefinition, ViewRow, download, query, tableOf } from '../test/harness/local/athena';
import { ensureMoto, startMoto } from '../test/harness/local/moto';
import { ExecutionResult, LogEntry, execute, loadHandler } from '../test/harness/local/run';
import { SEEDED_GROUPS, SeededEvent, StoredObject, clients, dayOf, lastSettledDay, listAll, seed } from '../test/harness/local/seed';

export const STACK = 'LogsExportExample';
export const BUCKET = 'logs-export-example';

export interface DemoResult {
  readonly runs: ExecutionResult[];
  readonly seeded: SeededEvent[];
  readonly objects: StoredObject[];
  /** What the coverage report printed, and its exit code. */
  readonly coverage: { readonly code: number; readonly lines: string[] };
  /** The example app's Athena table, and a copy of the bucket it can be read from (`query`). */
  readonly athena: { readonly table: TableDefinition; readonly dir: string; readonly rows: ViewRow[] };
}

function progress(out: (line: string) => void): (e: LogEntry) => void {
  return (e) => {
    const day = String(e.window ?? '').replace(/^(\d{4})(\d{2})(\d{2}).*/, '$1-$2-$3');
    const what = `${String(e.logGroupName ?? '').padEnd(22)} ${day}`;
    if (e.message === 'export started') out(`  started   ${what}  task ${e.taskId}`);
    else if (e.message === 'export completed') out(`  finished  ${what}  in ${e.seconds} s`);
    else if (e.level === 'WARN' || e.level === 'ERROR') out(`  ${e.level.toLowerCase().padEnd(8)}  ${e.message} ${e.logGroupName ?? ''} ${e.reason ?? ''}`);
  };
}

/** The folder an object belongs to in the summary table. */
function folderOf(key: string): string {
  if (key.startsWith('_state/')) return /\/done\//.test(key) ? key.slice(0, key.lastIndexOf('/')) : key;
  return /^(.*?\/\d{4}\/\d{2}\/\d{2})\//.exec(key)?.[1] ?? key;
}

function summary(objects: StoredObject[]): string[] {
  const rows = new Map<string, { objects: number; bytes: number }>();
  for (const o of objects) {
    const row = rows.get(folderOf(o.key)) ?? { objects: 0, bytes: 0 };
    row.objects += 1;
    row.bytes += o.size;
    rows.set(folderOf(o.key), row);
  }
  const width = Math.max(...[...rows.keys()].map((k) => k.length), 'Key'.length);
  const line = (k: string, n: string, b: string) => `${k.padEnd(width)}  ${n.padStart(7)}  ${b.padStart(7)}`;
  return [
    line('Key', 'objects', 'bytes'),
    line('-'.repeat(width), '-------', '-------'),
    ...[...rows.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, r]) => line(k, String(r.objects), String(r.bytes))),
    line('total', String(objects.length), String(objects.reduce((s, o) => s + o.size, 0))),
  ];
}

/** Synthesizes the example app into `outdir` and runs its exporter twice against `endpoint`. */
export async function demo(endpoint: string, outdir: string, out: (line: string) => void): Promise<DemoResult> {
  out(`Synthesizing examples/app.ts into ${outdir}`);
  exampleApp(outdir).synth();
  const exporter = loadExporter(outdir, STACK, BUCKET);
  out(`  handler asset: ${exporter.handlerDir}`);

  const settle = exporter.config.settleSeconds;
  const last = lastSettledDay(Date.now(), settle);
  const days = [last - 86_400_000, last];
  const seeded = await seed(endpoint, BUCKET, days);
  out(`Seeded ${SEEDED_GROUPS.length} log groups (${SEEDED_GROUPS.join(', ')}) with ${seeded.length} events on ${days.map(dayOf).join(' and ')}`);

  const handler = loadHandler(exporter, endpoint);
  const input = { startDate: dayOf(days[0]), endDate: dayOf(days[1]) };
  const runs: ExecutionResult[] = [];
  for (const name of ['backfill', 'backfill-again']) {
    out('');
    out(`Execution ${name}: ${JSON.stringify(input)}`);
    const result = await execute(exporter, handler, input, name, progress(out));
    out(`  ${result.status}: ${result.summary ?? `${result.error}: ${result.cause}`}`);
    runs.push(result);
  }

  const objects = await listAll(endpoint, BUCKET);
  out('');
  out(`What landed in s3://${BUCKET}:`);
  summary(objects).forEach((l) => out(l));

  // The command a user runs to see whether the archive is complete.
  out('');
  const range = ['--from', input.startDate, '--to', input.endDate];
  out(`$ npx cdk-cloudwatch-logs-s3-exporter coverage --bucket ${BUCKET} ${range.join(' ')}`);
  const lines: string[] = [];
  const say = (l: string) => {
    lines.push(l);
    out(l);
  };
  const code = await coverageMain(['coverage', '--bucket', BUCKET, ...range], { out: say, err: say }, () => clients(endpoint).s3);
  out(`(exit code ${code})`);

  // The example's Athena table, read here with DuckDB as the table defines it, from a copy of the bucket.
  const table = tableOf(JSON.parse(readFileSync(join(outdir, `${STACK}.template.json`), 'utf8')), BUCKET);
  const dir = join(outdir, 'bucket');
  await download(endpoint, BUCKET, `${exporter.config.keyPrefix}/`, dir);
  const [group, day] = ['aws/lambda/orders', dayOf(days[1]).replace(/-/g, '/')];
  out('');
  out(`Athena, view ${table.view} (read here the way the view and its table define it, with DuckDB):`);
  out(`  SELECT ts, message FROM ${table.view} WHERE log_group = '${group}' AND day = '${day}' ORDER BY ts`);
  const rows = (await query(table, dir, { log_group: group, day })).rows.filter((r) => r.ts !== null)
    .sort((a, b) => a.ts!.localeCompare(b.ts!) || a.message!.localeCompare(b.message!));
  rows.forEach((r) => out(`  ${r.ts}  ${r.message}`));
  return { runs, seeded, objects, coverage: { code, lines }, athena: { table, dir, rows } };
}

async function main(): Promise<number> {
  const root = resolvePath(__dirname, '..');
  const say = (line: string) => console.log(line);
  const moto = await startMoto(ensureMoto(root, say));
  say(`moto server (CloudWatch Logs, S3) on ${moto.endpoint}`);
  const outdir = join(root, '.demo', 'cdk.out');
  rmSync(outdir, { recursive: true, force: true });
  try {
    const { runs, objects, coverage, athena } = await demo(moto.endpoint, outdir, say);
    const exportFolders = new Set(objects.filter((o) => o.key.endsWith('.gz')).map((o) => folderOf(o.key)));
    const [first, second] = runs;
    const ok = first.status === 'SUCCEEDED' && (first.stats?.exported ?? 0) > 0 && second.status === 'SUCCEEDED' && second.stats?.exported === 0
      && coverage.code === 0 && athena.rows.length > 0;
    say('');
    say(ok
      ? `OK: ${first.stats!.exported} exports into ${exportFolders.size} folders; the second execution exported nothing; nothing is missing; ` +
        `the table reads ${athena.rows.length} events of one group and day.`
      : 'FAILED: see the executions above.');
    return ok ? 0 : 1;
  } finally {
    await moto.stop();
  }
}

if (require.main === module) {
  main().then((code) => process.exit(code), (e) => {
    console.error(e);
    process.exit(1);
  });
}
