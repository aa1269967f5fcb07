/**
 * Benchmark: the synthesized state machine with the real handler engine on the stateful
 * CloudWatch Logs and S3 fakes, on a virtual clock, for N log groups; and, for comparison, the
 * naive loop of the original recipe (list every group and check S3 for each on every
 * iteration, fixed 5 s wait). Prints figures and writes docs/benchmarks.md.
 *
 *   npx projen bench            # N = 100, 1,000, 10,000
 *   npx projen bench -- 100     # chosen sizes
 */
import '../test/setup';
import * as fs from 'fs';
import * as os from 'os';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { CloudWatchLogsS3ExporterProps } from '../src';
import { FakeLogs, FakeS3, VirtualClock, installFakes } from '../test/harness/fakes';
import { Loop, fromTemplate } from '../test/harness/loop';
import { MEMORY_GB, PRICE, dollars } from '../test/harness/prices';
import { synth } from '../test/harness/stack';

// Prices (us-east-1, for modelling): Step Functions Standard, Lambda arm64, S3 requests.
const LATENCY_MS = 20; // each API call
const INVOCATION_OVERHEAD_MS = 30;
const BUCKET = 'bench-bucket';
const NOW = Date.parse('2026-11-25T13:00:00Z');
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:alerts';

/** Fixed-seed generator (a linear congruential generator: the same numbers on every machine). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a * 1_664_525 + 1_013_904_223) % 4_294_967_296;
    return a / 4_294_967_296;
  };
}

/** Export durations: 90% 1-5 s, 9% 10-60 s, 1% 2-5 min. */
function durations(n: number, seed = 42): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const p = r();
    const u = r();
    if (p < 0.9) return 1_000 + u * 4_000;
    if (p < 0.99) return 10_000 + u * 50_000;
    return 120_000 + u * 180_000;
  });
}

const groupName = (i: number) => (i % 2 ? `/aws/lambda/service-${String(i).padStart(5, '0')}` : `app/${String(i).padStart(5, '0')}`);
const indexOf = (name: string) => Number(name.slice(-5));

interface Figures {
  n: number;
  /** Groups without events (the idle mix). */
  idle: number;
  exported: number;
  logsCalls: Record<string, number>;
  s3Calls: Record<string, number>;
  invocations: number;
  gbSeconds: number;
  transitions: number;
  executions: number;
  maxHistory: number;
  wallSeconds: number;
  exportSeconds: number;
  costPer1000: number;
  ms: number;
}

function cost(f: Omit<Figures, 'costPer1000'>): number {
  return (dollars(f) / f.exported) * 1000;
}

/** Which of n groups are idle: a fixed-seed choice of round(n * share) of them. */
function idleGroups(n: number, share: number): Set<number> {
  const r = rng(99);
  const order = Array.from({ length: n }, (_, i) => ({ i, k: r() })).sort((a, b) => a.k - b.k);
  return new Set(order.slice(0, Math.round(n * share)).map((x) => x.i));
}

/** N log groups on the fakes, with their export durations; the idle ones had no event for 30 days. */
function world(n: number, idle = new Set<number>()) {
  const clock = new VirtualClock(NOW);
  clock.install();
  const s3 = new FakeS3(clock, LATENCY_MS);
  const d = durations(n);
  const index = new Map<string, number>();
  const logs = new FakeLogs(clock, s3, { duration: ({ logGroupName }) => d[index.get(logGroupName)!], latencyMs: LATENCY_MS });
  for (let i = 0; i < n; i++) {
    index.set(groupName(i), i);
    logs.addGroup(groupName(i), 0, undefined, idle.has(i) ? { eventsUntil: NOW - 30 * 86_400_000 } : {});
  }
  return { clock, s3, logs, d };
}

/**
 * The scheduled runs of consecutive days. The first run has no record of export durations; on
 * each later day every group's export takes its previous duration changed by up to +/-`drift`.
 */
const DAYS = [{ label: 'day 1', drift: 0 }, { label: 'day 2, +/-10%', drift: 0.1 }, { label: 'day 3, +/-25%', drift: 0.25 }];

const diff = (after: Record<string, number>, before: Record<string, number>) =>
  Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]));

async function exporter(n: number, idleShare = 0, props: CloudWatchLogsS3ExporterProps = {}): Promise<Array<Figures & { label: string }>> {
  const { template } = synth(props);
  const synthesized = fromTemplate(template.toJSON(), BUCKET);
  const idle = idleGroups(n, idleShare);
  const { clock, s3, logs, d } = world(n, idle);
  const exportsExpected = props.exportEmptyWindows ? n : n - idle.size;
  const restore = installFakes(logs, s3);
  const drift = rng(7);
  const out: Array<Figures & { label: string }> = [];
  try {
    for (const day of DAYS) {
      const started = Date.now();
      for (let i = 0; i < n; i++) d[i] *= 1 + day.drift * (2 * drift() - 1);
      // Each run starts on its schedule, or when the run before ended if that is later.
      const start = Math.max(clock.now, NOW + out.length * 86_400_000);
      clock.now = start;
      const [logsBefore, s3Before, exportedBefore] = [{ ...logs.calls }, { ...s3.calls }, logs.completedExports().size];
      const loop = new Loop(synthesized, clock, INVOCATION_OVERHEAD_MS);
      const chain = await loop.run({ scheduledTime: new Date(start).toISOString() });
      const last = chain[chain.length - 1];
      if (last.status !== 'SUCCEEDED') throw new Error(`${day.label}: run ended ${last.status}: ${last.cause}`);
      const exported = logs.completedExports().size - exportedBefore;
      if (exported !== exportsExpected) throw new Error(`${day.label}: exported ${exported}, expected ${exportsExpected}`);
      // Exactly once, and none of an idle group unless asked to export empty windows.
      const done = logs.completedExports();
      if ([...done.values()].some((c) => c !== 1)) throw new Error(`${day.label}: a (group, window) was exported twice`);
      if (!props.exportEmptyWindows && [...done.keys()].some((k) => idle.has(indexOf(k.split('|')[0])))) throw new Error(`${day.label}: an idle group was exported`);
      const activeSeconds = d.reduce((a, b, i) => a + (idle.has(i) ? 0 : b), 0) / 1000;
      const f = {
        n,
        idle: idle.size,
        exported,
        logsCalls: diff(logs.calls, logsBefore),
        s3Calls: diff(s3.calls, s3Before),
        invocations: loop.invocations,
        // Lambda bills each invocation's duration, rounded up to the millisecond.
        gbSeconds: (loop.handlerMs / 1000) * MEMORY_GB,
        transitions: chain.reduce((a, e) => a + e.transitions, 0),
        executions: chain.length,
        maxHistory: Math.max(...chain.map((e) => e.historyEvents)),
        wallSeconds: (clock.now - start) / 1000,
        // The export time the run needs: its active groups' (all groups' without an idle mix).
        exportSeconds: activeSeconds,
        ms: 0,
      };
      out.push({ ...f, label: day.label, costPer1000: cost(f), ms: Date.now() - started });
    }
    return out;
  } finally {
    restore();
  }
}

/**
 * The original recipe's loop: every iteration checks for active tasks, lists all groups and S3
 * for each. It calls the fakes directly (counted the same way): half a million mocked SDK calls
 * would take minutes.
 */
async function naive(n: number): Promise<Figures> {
  const started = Date.now();
  const { clock, s3, logs, d } = world(n);
  let invocations = 0;
  let handlerMs = 0;
  let transitions = 1;
  for (let done = false; !done;) {
    invocations += 1;
    const t0 = clock.now;
    let running = false;
    for (const statusCode of ['PENDING', 'PENDING_CANCEL', 'RUNNING'] as const) {
      const r = logs.describeExportTasks({ statusCode });
      if (r.exportTasks?.length) running = true;
    }
    done = !running;
    if (!running) {
      let token: string | undefined;
      outer: do {
        const page = logs.describeLogGroups({ nextToken: token });
        for (const g of page.logGroups ?? []) {
          const dir = `${g.logGroupName!.replace(/^\//, '')}/20261124`;
          const listed = s3.listObjectsV2({ Bucket: BUCKET, Prefix: dir, MaxKeys: 1 });
          if (listed.Contents?.length) continue;
          logs.createExportTask({ logGroupName: g.logGroupName, from: 0, to: 1, destination: BUCKET, destinationPrefix: dir });
          done = false;
          break outer;
        }
        token = page.nextToken;
      } while (token);
    }
    clock.now += INVOCATION_OVERHEAD_MS;
    handlerMs += clock.now - t0;
    transitions += done ? 2 : 3; // Task, Choice (, Wait)
    if (!done) clock.now += 5_000;
  }
  const f = {
    n,
    idle: 0,
    exported: logs.completedExports().size,
    logsCalls: logs.calls,
    s3Calls: s3.calls,
    invocations,
    gbSeconds: (handlerMs / 1000) * MEMORY_GB,
    transitions,
    executions: 1,
    maxHistory: transitions * 3,
    wallSeconds: (clock.now - NOW) / 1000,
    exportSeconds: d.reduce((a, b) => a + b, 0) / 1000,
    ms: 0,
  };
  return { ...f, costPer1000: cost(f), ms: Date.now() - started };
}

/** Calls of these operations in all. */
const total = (calls: Record<string, number>, ops: string[]) => ops.reduce((a, op) => a + (calls[op] ?? 0), 0);
const perGroup = (calls: Record<string, number>, n: number, ops: string[]) => total(calls, ops) / n;
/** A figure against its limit: met, or missed by how much. */
const check = (value: number, limit: number, show: (x: number) => string) =>
  (value <= limit ? `met: ${show(value)}` : `**missed** by ${(((value - limit) / limit) * 100).toFixed(1)}%: ${show(value)}`);
const LOGS_OPS = ['DescribeLogGroups', 'DescribeLogStreams', 'CreateExportTask', 'DescribeExportTasks'];
const S3_OPS = ['ListObjectsV2', 'PutObject', 'GetObject'];
const RETENTION_OPS = ['PutRetentionPolicy', 'DeleteRetentionPolicy', 'FilterLogEvents'];

function row(label: string, f: Figures): string {
  const logsBy = LOGS_OPS.map((op) => `${op.replace('Describe', 'D').replace('Create', 'C')} ${((f.logsCalls[op] ?? 0) / f.n).toFixed(3)}`).join(', ');
  const s3By = S3_OPS.map((op) => `${op.replace('Object', 'Obj')} ${((f.s3Calls[op] ?? 0) / f.n).toFixed(3)}`).join(', ');
  return `| ${label} | ${f.n.toLocaleString('en-US')} | ${perGroup(f.logsCalls, f.n, LOGS_OPS).toFixed(3)} (${logsBy}) | ${perGroup(f.s3Calls, f.n, S3_OPS).toFixed(3)} (${s3By}) | ` +
    `${f.invocations.toLocaleString('en-US')} | ${f.gbSeconds.toFixed(1)} | ${f.transitions.toLocaleString('en-US')} | ${f.executions} | ${f.maxHistory.toLocaleString('en-US')} | ` +
    `${(f.wallSeconds / 3600).toFixed(2)} h / ${(f.exportSeconds / 3600).toFixed(2)} h = ${(f.wallSeconds / f.exportSeconds).toFixed(3)} | ` +
    `${((f.wallSeconds - f.exportSeconds) / f.n).toFixed(2)} s | $${f.costPer1000.toFixed(4)} |`;
}

/** The scale targets, checked for each day's run at the largest N. */
function targets(days: Array<Figures & { label: string }>): string {
  const rows = days.map((f) => {
    const wallLimit = 1.05 * f.exportSeconds + f.n;
    return `| ${f.label} | ${check(perGroup(f.logsCalls, f.n, LOGS_OPS), 2.05, (x) => x.toFixed(3))} | ` +
      `${check(perGroup(f.s3Calls, f.n, S3_OPS), 1.05, (x) => x.toFixed(3))} | ${check(f.maxHistory, 25_000, (x) => x.toLocaleString('en-US'))} | ` +
      `${check(f.wallSeconds, wallLimit, (x) => `${(x / 3600).toFixed(2)} h of ${(wallLimit / 3600).toFixed(2)} h allowed`)} | ` +
      `${check(f.costPer1000, 0.02, (x) => `$${x.toFixed(4)}`)} |`;
  });
  return `Targets at ${days[0].n.toLocaleString('en-US')} groups: Logs calls <= 2.05 and S3 requests <= 1.05 per group, no execution over
25,000 history events, wall <= 1.05 x the sum of export durations + 1 s per group, <= $0.02 per 1,000 exports.

| run | Logs calls / group | S3 requests / group | max history events | wall time | cost / 1,000 exports |
|---|---|---|---|---|---|
${rows.join('\n')}`;
}

const IDLE_SHARE = 0.7;

/** A row of the idle mix: per active group and per idle group, against the issue's allowances. */
function idleRow(label: string, f: Figures): string {
  const active = f.n - f.idle;
  const logsBy = LOGS_OPS.map((op) => `${op.replace('Describe', 'D').replace('Create', 'C')} ${(f.logsCalls[op] ?? 0).toLocaleString('en-US')}`).join(', ');
  const s3By = S3_OPS.map((op) => `${op.replace('Object', 'Obj')} ${(f.s3Calls[op] ?? 0).toLocaleString('en-US')}`).join(', ');
  return `| ${label} | ${f.exported.toLocaleString('en-US')} | ${total(f.logsCalls, LOGS_OPS).toLocaleString('en-US')} (${logsBy}) | ` +
    `${(total(f.s3Calls, S3_OPS) / active).toFixed(3)} (${s3By}) | ${(f.wallSeconds / 3600).toFixed(2)} h / ${(f.exportSeconds / 3600).toFixed(2)} h = ${(f.wallSeconds / f.exportSeconds).toFixed(3)} | ` +
    `${((f.wallSeconds - f.exportSeconds) / f.idle).toFixed(3)} s | $${f.costPer1000.toFixed(4)} |`;
}

/** The idle mix's targets, for each day of the run that skips idle groups. */
function idleTargets(days: Array<Figures & { label: string }>): string {
  const rows = days.map((f, i) => {
    const active = f.n - f.idle;
    const logs = total(f.logsCalls, LOGS_OPS);
    const s3 = total(f.s3Calls, S3_OPS);
    const perActive = i === 0 ? 2.5 : 2.1;
    const logsLimit = perActive * active + 1.05 * f.idle;
    const wallLimit = 1.1 * f.exportSeconds + 0.5 * f.idle;
    // What the active groups' exports cost in Logs calls, the one check of each idle group left out.
    const activeOnly = (logs - (f.logsCalls.DescribeLogGroups ?? 0) - f.idle) / active;
    return `| ${f.label} | met: ${f.exported.toLocaleString('en-US')} of ${f.n.toLocaleString('en-US')} groups, each once | ` +
      `${check(logs, logsLimit, (x) => `${x.toLocaleString('en-US')} of ${Math.floor(logsLimit).toLocaleString('en-US')} allowed`)} ` +
      `(${activeOnly.toFixed(2)} per active export besides listing and idle checks; target ${perActive}) | ` +
      `${check(s3 / active, 1.05, (x) => x.toFixed(3))} | ` +
      `${check(f.wallSeconds, wallLimit, (x) => `${(x / 3600).toFixed(2)} h of ${(wallLimit / 3600).toFixed(2)} h allowed`)} |`;
  });
  return `Targets of the idle mix: export tasks only for the active groups, each once; Logs calls <= 2.1 per active group + 1.05 per
idle group (2.5 per active export on the first day); S3 requests <= 1.05 per active group; wall <= 1.10 x the active
groups' export time + 0.5 s per idle group.

| run | exports | Logs calls | S3 requests / active group | wall time |
|---|---|---|---|---|
${rows.join('\n')}`;
}

async function main() {
  const sizes = process.argv.slice(2).map(Number).filter((x) => x > 0);
  const ns = sizes.length ? sizes : [100, 1_000, 10_000];
  const header = '| loop | groups | Logs calls / group | S3 requests / group | Lambda invocations | GB-s | state transitions | executions | max history events | wall / sum of exports | extra wall / group | cost / 1,000 exports |\n' +
    '|---|---|---|---|---|---|---|---|---|---|---|---|';
  const lines = [header];
  const ours = new Map<number, Figures>();
  const plainDays = new Map<number, Array<Figures & { label: string }>>();
  let largest: Array<Figures & { label: string }> = [];
  for (const n of ns) {
    const days = await exporter(n);
    ours.set(n, days[0]);
    plainDays.set(n, days);
    largest = days;
    for (const f of days) {
      lines.push(row(`exporter, ${f.label}`, f));
      console.log(lines[lines.length - 1], `(${(f.ms / 1000).toFixed(1)} s)`);
    }
  }
  const ratios: string[] = [];
  for (const n of ns.filter((x) => x <= 1_000)) {
    const f = await naive(n);
    lines.push(row('naive', f));
    console.log(lines[lines.length - 1], `(${(f.ms / 1000).toFixed(1)} s)`);
    const o = ours.get(n)!;
    const r = (a: number, b: number) => (b ? (a / b).toFixed(1) : 'n/a');
    ratios.push(`| ${n.toLocaleString('en-US')} | ${r(perGroup(f.logsCalls, n, LOGS_OPS), perGroup(o.logsCalls, n, LOGS_OPS))} | ` +
      `${r(perGroup(f.s3Calls, n, S3_OPS), perGroup(o.s3Calls, n, S3_OPS))} | ${r(f.transitions, o.transitions)} | ${r(f.wallSeconds, o.wallSeconds)} | ${r(f.costPer1000, o.costPer1000)} |`);
  }
  const ratioTable = '| groups | Logs calls | S3 requests | state transitions | wall time | cost |\n|---|---|---|---|---|---|\n' + ratios.join('\n');
  console.log('\nnaive / exporter\n' + ratioTable);
  const targetTable = targets(largest);
  console.log('\n' + targetTable);

  // The idle mix: the largest N, 70% of the groups without events for 30 days, exported as earlier releases did and as now.
  const mixN = Math.max(...ns);
  const idleLines = ['| run | exports | Logs calls | S3 requests / active group | wall / active groups\' export time | extra wall / idle group | cost / 1,000 exports |',
    '|---|---|---|---|---|---|---|'];
  for (const f of await exporter(mixN, IDLE_SHARE, { exportEmptyWindows: true })) {
    idleLines.push(idleRow(`exportEmptyWindows: true, ${f.label}`, f));
    console.log(idleLines[idleLines.length - 1], `(${(f.ms / 1000).toFixed(1)} s)`);
  }
  const skipping = await exporter(mixN, IDLE_SHARE);
  for (const f of skipping) {
    idleLines.push(idleRow(`default, ${f.label}`, f));
    console.log(idleLines[idleLines.length - 1], `(${(f.ms / 1000).toFixed(1)} s)`);
  }
  const idleTargetTable = idleTargets(skipping);
  console.log('\n' + idleTargetTable);

  // Offload: the same days of each N with cloudWatchRetention, against the runs without it.
  const offloadLines = ['| groups | run | extra Logs calls / group | of which | extra S3 requests / group | GetMetricData calls / group | retention changes | wall time |',
    '|---|---|---|---|---|---|---|---|'];
  const offloadTargets: string[] = [];
  const alarmTopic = sns.Topic.fromTopicArn(new Stack(new App(), 'Topics'), 'T', TOPIC);
  for (const n of ns) {
    // History before the first run given up: the groups come down to 7 days on day 1, then stay there.
    const offloaded = await exporter(n, 0, { cloudWatchRetention: Duration.days(7), alarmTopic, offloadHistoryBefore: '2026-11-24' });
    offloaded.forEach((f, i) => {
      const plain = plainDays.get(n)![i];
      const added = (a: Record<string, number>, b: Record<string, number>, ops: string[]) => perGroup(a, n, ops) - perGroup(b, n, ops);
      const extra = (a: Record<string, number>, b: Record<string, number>, ops: string[]) => added(a, b, ops).toFixed(3);
      const which = [...LOGS_OPS, ...RETENTION_OPS].map((op) => [op, extra(f.logsCalls, plain.logsCalls, [op])]).filter(([, v]) => Number(v) !== 0);
      const hours = `${(f.wallSeconds / 3600).toFixed(1)} h`;
      offloadLines.push(`| ${n.toLocaleString('en-US')} | ${f.label} | ${extra(f.logsCalls, plain.logsCalls, [...LOGS_OPS, ...RETENTION_OPS])} | ` +
        `${which.map(([op, v]) => `${op} ${v}`).join(', ')} | ${extra(f.s3Calls, plain.s3Calls, S3_OPS)} | ${((f.logsCalls.GetMetricData ?? 0) / n).toFixed(3)} | ` +
        `${(f.logsCalls.PutRetentionPolicy ?? 0) + (f.logsCalls.DeleteRetentionPolicy ?? 0)} | ${hours} |`);
      console.log(offloadLines[offloadLines.length - 1], `(${(f.ms / 1000).toFixed(1)} s)`);
    });
    // Steady state: the days after the one each group came down (one listing confirms two days of windows, so their
    // mean), with runs that fit the schedule's day.
    const steady = offloaded.slice(1);
    const mean = (key: 'logsCalls' | 's3Calls', ops: string[]) =>
      steady.reduce((a, f, i) => a + perGroup(f[key], n, ops) - perGroup(plainDays.get(n)![i + 1][key], n, ops), 0) / steady.length;
    const logsAdded = mean('logsCalls', [...LOGS_OPS, ...RETENTION_OPS]);
    const longest = Math.max(...steady.map((f) => f.wallSeconds));
    offloadTargets.push(`| ${n.toLocaleString('en-US')} | ${(longest / 3600).toFixed(1)} h | ` +
      `${longest <= 86_400 ? check(logsAdded, 0.01, (x) => x.toFixed(3)) : `not steady (runs outlast the day): ${logsAdded.toFixed(3)}`} | ` +
      `${check(mean('s3Calls', S3_OPS), 1, (x) => x.toFixed(3))} |`);
  }
  const doc = `# Benchmarks

Generated by \`npx projen bench\` on ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, Node.js ${process.version}.

The synthesized state machine runs in \`aws-local-stepfunctions\` with the real handler on stateful
fakes of CloudWatch Logs and S3, on a virtual clock: every API call takes ${LATENCY_MS} ms, every
invocation ${INVOCATION_OVERHEAD_MS} ms more; export durations come from a fixed-seed mix (90% 1-5 s,
9% 10-60 s, 1% 2-5 min). Each run exports one daily window of every group; on day 1 each group is
first checked for events (one DescribeLogStreams call; nothing records its stored bytes yet), from
day 2 on only groups whose stored bytes did not grow since their last export. Three runs follow each
other: on day 1 nothing records how long a group's export takes; on day 2 every group's export
takes its day-1 duration changed by a random factor within +/-10%, on day 3 within +/-25% of
day 2 (fixed seed), and the handler expects each to take what its done-marker of the day before
recorded. The naive loop (compared with day 1, the same durations) is the original
recipe: each iteration checks for active tasks, lists every group and S3 for each until it finds
one to export, then waits 5 s.

Cost model (us-east-1): $${PRICE.transition} per state transition, $${PRICE.gbSecond} per GB-second
(arm64, ${MEMORY_GB * 1024} MB), $0.20 per million invocations, $0.005 per 1,000 S3 PUT/LIST, $0.0004
per 1,000 GET. Wall time is modelled (virtual), not measured.

${lines.join('\n')}

${targetTable}

Naive loop / exporter:

${ratioTable}

## Idle mix

${mixN.toLocaleString('en-US')} log groups, ${IDLE_SHARE * 100}% of them (a fixed-seed choice) without an event for 30 days, the
same export durations; the same three days. First as earlier releases exported (\`exportEmptyWindows: true\`: an export
for every group), then by default: each group whose stored bytes did not grow since its last export is checked with
one DescribeLogStreams call (paced at 4 a second) and skipped when it has no event in the window. Costs are per
1,000 exports actually made; wall time is compared with the export time of the active groups alone.

${idleLines.join('\n')}

${idleTargetTable}

## Offload

The same groups and days with \`cloudWatchRetention: Duration.days(7)\` and \`offloadHistoryBefore\` (their history from
before the first run given up), against the runs above without it: the calls each run adds per group
(confirming export files with one listing of a group's folder when that keeps the retention down, reading and writing
the retention ledger once per page of groups, and on day 1 a lookup and a call for each group whose retention comes
down from never expire to 7 days), and the retention changes it made.

${offloadLines.join('\n')}

Targets in steady state (days 2 and 3, after each group came down; their mean, as one listing confirms the windows
of two days): at most 0.01 extra Logs calls and 1 extra S3 request per group and day. A managed group's stored bytes stop growing once its retention expires as much as it takes in, so
its \`IncomingBytes\` metric (one GetMetricData call per page of groups) tells that it took in data, not a
DescribeLogStreams call. A run that outlasts the schedule's day is not a steady state: the archive falls behind, the
windows of the pages a late run reaches last are older than 7 days allow (with the headroom of an export period, a
schedule interval and 2 days) by the time it gets there, and each such page is raised on entry and lowered once its
windows are confirmed: two retention calls and a lookup per group, as the guarantee requires.

| groups | longest run | extra Logs calls / group and day | extra S3 requests / group and day |
|---|---|---|---|
${offloadTargets.join('\n')}

How these figures changed over time: [benchmark-history.md](benchmark-history.md).
`;
  fs.mkdirSync('docs', { recursive: true });
  fs.writeFileSync('docs/benchmarks.md', doc);
  console.log('\nwritten to docs/benchmarks.md');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
