/**
 * `npx cdk-cloudwatch-logs-s3-exporter coverage --bucket B [--prefix P] [--from D] [--to D] [--group NAME ...] [--region R] [--json]`
 * `npx cdk-cloudwatch-logs-s3-exporter restore-retention --bucket B [--prefix P] [--group NAME ...] [--region R] [--dry-run] [--json]`
 *
 * Reads an exporter's state with the caller's AWS credentials (and `AWS_ENDPOINT_URL` when set)
 * and prints, per log group, the windows exported, those without events, those lost before export
 * (partial, expired, deleted), and the gaps, with the backfill inputs that fill the gaps; and what
 * the last scheduled run found about the selection, and the windows scheduled runs left behind.
 * Exit code 0: the archive is complete; 1: it is not; 2: a usage error; 3: the bucket could not be read.
 *
 * `restore-retention` puts back the retention each log group had before offload (the exporter's
 * `cloudWatchRetention`) first changed it, as the exporter recorded it.
 */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { S3Client } from '@aws-sdk/client-s3';
import { Coverage, NoExporterError, UsageError, coverage, exportersUnder, findings, reportBucket } from './coverage';
import { Restored, restoreRetention } from './restore';
import { parseLocalDate } from '../shared/config';
import { ACCOUNT_ID, DEFAULT_KEY_PREFIX, keyPrefixProblem } from '../shared/layout';

const USAGE = `Usage: cdk-cloudwatch-logs-s3-exporter coverage --bucket BUCKET [--prefix KEY_PREFIX] [--from DATE] [--to DATE] [--group NAME ...]
         [--account ACCOUNT ...] [--region REGION] [--json]
       cdk-cloudwatch-logs-s3-exporter restore-retention --bucket BUCKET [--prefix KEY_PREFIX] [--group NAME ...]
         [--region REGION] [--dry-run] [--json]
       cdk-cloudwatch-logs-s3-exporter --help

  --bucket   the exporter's bucket
  --prefix   its keyPrefix (default: exported-logs); for an archive of several accounts' exporters,
             its key prefix reports on each exporter under it (<prefix>/<account>/<region>/),
             <prefix>/<account>/<region> on one
  --from     first date (YYYY-MM-DD; YYYY-MM-DDTHH for hourly exporters) in the exporter's time zone
             (default: each log group's first exported or empty window)
  --to       last date (default: the latest window the schedule has had time to export)
  --group    a log group to report on (repeatable; default: every group exported or recorded empty);
             over an archive, give the --prefix of one exporter with it
  --account  over an archive: an account expected to export there (repeatable); one without an
             exporter there is missing
  --region   the bucket's region (default: AWS_REGION, or the profile's region)
  --json     print the report as JSON (and errors as JSON: {"error": ..., "exitCode": ...})
  -h, --help print this help

A window is exported (a done-marker; partial when the log group's retention had removed part of
it), empty (the group had no event in it: not exported, not missing), expired (the retention had
removed all of it), deleted (the group was deleted, or created again after it, before export),
or missing. The report also says what the last scheduled run found: a selection that matched no
log group, names it gives that no group has, groups whose retention is shorter than the time
until their export; and the windows scheduled runs left behind (further back than maxCatchUp).

Exit code: 0 when the archive is complete, 1 when anything above says it is not, 2 on a usage
error, 3 when the bucket could not be read (credentials, permissions).

restore-retention puts back the CloudWatch Logs retention each log group had before the
exporter's offload (cloudWatchRetention) first changed it, as the exporter recorded it in
s3://BUCKET/_state/KEY_PREFIX/retention.json; --group only those groups; --dry-run prints what it
would do. Unset cloudWatchRetention (or remove the exporter) first: while offload is on, the next
run sets its own values again. A group deleted since, or created again under its name, is left
alone. Exit code 0 when every group was restored (or left alone so), 1 when a call failed, 2 on
a usage error, 3 when the bucket could not be read.`;

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

interface Args {
  readonly bucket: string;
  readonly prefix: string;
  readonly from?: string;
  readonly to?: string;
  readonly groups: string[];
  readonly accounts: string[];
  readonly region?: string;
  readonly json: boolean;
}

/** The options that take a value. */
const VALUED = ['--bucket', '--prefix', '--from', '--to', '--group', '--account', '--region'];
/** The options of restore-retention. */
const RESTORE_VALUED = ['--bucket', '--prefix', '--group', '--region'];

const DATE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}(?::00(?:Z|[+-]\d{2}:\d{2}))?)?$/;

/** A date the report cannot read is refused before anything is: its format, and whether the day exists. */
function checkDate(flag: string, value: string | undefined): void {
  if (value === undefined) return;
  if (!DATE.test(value)) throw new UsageError(`${flag} must be a date YYYY-MM-DD (YYYY-MM-DDTHH for an hourly exporter), got '${value}'`);
  try {
    parseLocalDate(flag, value, { period: 'PT1H', timeZone: 'UTC' });
  } catch {
    throw new UsageError(`${flag} ${value} is not a real date`);
  }
}

function parse(argv: string[]): Args & { readonly command: string; readonly dryRun: boolean } {
  const [command, ...rest] = argv;
  if (command !== 'coverage' && command !== 'restore-retention') throw new UsageError(command === undefined ? 'no command given' : `unknown command '${command}'`);
  const valued = command === 'coverage' ? VALUED : RESTORE_VALUED;
  const values: Record<string, string | undefined> = {};
  const groups: string[] = [];
  const accounts: string[] = [];
  let json = false;
  let dryRun = false;
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    if (flag === '--json') {
      json = true;
      continue;
    }
    if (flag === '--dry-run' && command === 'restore-retention') {
      dryRun = true;
      continue;
    }
    if (!valued.includes(flag)) throw new UsageError(`unknown option '${flag}'${command === 'coverage' ? '' : ` of ${command}`}`);
    const value = rest[i + 1];
    if (value === undefined || value.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    i += 1;
    if (flag === '--group') {groups.push(value);} else if (flag === '--account') {
      if (!ACCOUNT_ID.test(value)) throw new UsageError(`--account must be a 12-digit account id, got '${value}'`);
      accounts.push(value);
    } else if (values[flag] !== undefined) {throw new UsageError(`${flag} is given twice`);} else {values[flag] = value;}
  }
  if (!values['--bucket']) throw new UsageError('--bucket is required');
  const prefix = (values['--prefix'] ?? DEFAULT_KEY_PREFIX).replace(/^\/+|\/+$/g, '');
  if (prefix === '') throw new UsageError('--prefix must not be empty');
  const unsafe = keyPrefixProblem(prefix);
  if (unsafe) throw new UsageError(`--prefix ${unsafe}`);
  checkDate('--from', values['--from']);
  checkDate('--to', values['--to']);
  return { command, dryRun, bucket: values['--bucket'], prefix, from: values['--from'], to: values['--to'], groups, accounts, region: values['--region'], json };
}

const LOST = { partial: 'partial (retention removed the rest before export)', expired: 'expired before export', deleted: 'deleted before export' } as const;

const days = (d: number | null) => (d === null ? 'never expire' : `${d} day(s)`);

const range = (g: { first: string; last: string }) => (g.first === g.last ? g.first : `${g.first}..${g.last}`);

function text(c: Coverage): string[] {
  const unit = (period: string) => (period === 'PT1H' ? 'hourly' : 'daily');
  const lines = [`s3://${c.bucket}/${c.prefix}/: ${unit(c.period)} windows in ${c.timeZone}, ${c.from || '(none exported)'} to ${c.to}`];
  for (const e of c.earlier ?? []) lines.push(`(windows that end by ${e.until} are ${unit(e.period)} windows in ${e.timeZone}, as the exporter cut them until then)`);
  const width = Math.max(0, ...c.groups.map((g) => g.logGroupName.length));
  for (const g of c.groups) {
    if (g.neverExported) {
      lines.push(`${g.logGroupName.padEnd(width)}  never exported (give --from to list the missing windows)`);
      continue;
    }
    const gaps = g.gaps.map(range).join(', ');
    const counts = `${String(g.exported).padStart(5)} exported  ${String(g.empty).padStart(5)} empty  ${String(g.missing).padStart(5)} missing`;
    const managed = c.retention?.[g.logGroupName];
    const kept = managed ? `  [retention ${days(managed.retentionInDays ?? managed.originalInDays)} as offload last set it; ${days(managed.originalInDays)} before]` : '';
    lines.push(`${g.logGroupName.padEnd(width)}  ${counts}${kept}${gaps ? `: ${gaps}` : ''}`);
    for (const l of g.lost) lines.push(`${' '.repeat(width)}  ${String(l.windows).padStart(5)} ${LOST[l.kind]}: ${range(l)}`);
  }
  if (c.groups.length === 0) lines.push('No log group has been exported in this range.');
  lines.push(...selectionLines(c));
  if (c.abandoned.length > 0) {
    lines.push(`${c.abandoned.reduce((n, a) => n + a.windows, 0)} window(s) left behind by scheduled runs (further back than maxCatchUp when a run started): ` +
      `${c.abandoned.map(range).join(', ')}. To export them for every log group, start executions of the exporter's state machine with these inputs:`);
    for (const b of c.abandonedBackfills) lines.push(`  ${JSON.stringify(b)}`);
  }
  const missing = c.groups.filter((g) => g.missing > 0);
  if (missing.length > 0 && !c.groups.some((g) => g.neverExported)) {
    const windows = missing.reduce((sum, g) => sum + g.missing, 0);
    if (c.backfills.length === 0) {
      lines.push(`${windows} window(s) missing in ${missing.length} log group(s), ${c.unnamed ? 'none a backfill can name (below)' : 'all among the windows left behind'}.`);
    } else {
      lines.push(`${windows} window(s) missing in ${missing.length} log group(s). To export them, start executions of the exporter's state machine with these inputs:`);
      for (const b of c.backfills) lines.push(`  ${JSON.stringify(b)}`);
    }
  }
  if (c.unnamed) {
    lines.push(`${c.unnamed.length} missing window(s) cannot be named in a backfill: their date names the first window of the next cut ` +
      '(clipped at the change of cut). Redrive the execution that failed them, if one did (within 14 days); no backfill exports them: ' +
      `${c.unnamed.map((u) => `${u.logGroupName} @ ${u.window}`).join(', ')}`);
  }
  const lost = c.groups.flatMap((g) => g.lost);
  if (lost.length > 0) {
    lines.push(`${lost.reduce((n, l) => n + l.windows, 0)} window(s) of ${c.groups.filter((g) => g.lost.length > 0).length} log group(s) were lost, ` +
      'in part or whole, before they could be exported: no backfill can export them.');
  }
  if (findings(c) === 0) lines.push('Nothing is missing.');
  return lines;
}

/** What the last scheduled run found about the selection, as the report says it. */
function selectionLines(c: Coverage): string[] {
  const last = c.lastRun;
  if (!last) return ['No scheduled run has ended yet: what the selection matches is not known.'];
  const when = `the last scheduled run (ended ${last.endedAt})`;
  const more = (kept: number, all: number) => (all > kept ? ` (and ${all - kept} more)` : '');
  const lines: string[] = [];
  if (last.groupsSelected === 0) {
    lines.push(`The selection matched no log group in ${when}: nothing is exported. Check the exporter's logGroups ` +
      "(a prefix matches from the start of a name: '/aws/lambda/', not 'aws/lambda/'), and the account and region it runs in.");
  } else {
    lines.push(`${last.groupsSelected} log group(s) selected in ${when}.`);
  }
  if (last.groupsNotFoundCount > 0) {
    lines.push(`${last.groupsNotFoundCount} log group(s) the selection names were not found in ${when} (a typo, or a group of another account or region): ` +
      `${last.groupsNotFound.join(', ')}${more(last.groupsNotFound.length, last.groupsNotFoundCount)}.`);
  }
  if (last.retentionAtRiskCount > 0) {
    lines.push(`${last.retentionAtRiskCount} log group(s) keep their events for less time than passes before the schedule exports them: their exports are partial. ` +
      `Lengthen their retention, or export more often: ${last.retentionAtRisk.map((r) => `${r.logGroupName} (${r.retentionInDays} day(s))`).join(', ')}` +
      `${more(last.retentionAtRisk.length, last.retentionAtRiskCount)}.`);
  }
  return lines;
}

const hasGaps = (c: Coverage) => findings(c) > 0;

/**
 * The report on each exporter under an archive's key prefix (and on one directly under it, if
 * any), and on each expected account without one. Exit code 1 when anything is missing, 2 when
 * some exporter could not be reported on (and nothing is missing), 0 otherwise.
 */
async function archiveReport(s3: S3Client, args: Args, own: Coverage | undefined, errors: Array<{ prefix: string; error: string }>,
  found: string[], now: number, io: Io): Promise<number> {
  const reports: Coverage[] = own ? [own] : [];
  for (const prefix of found) {
    try {
      reports.push(await coverage(s3, { ...args, prefix }, now, (line) => io.err(line)));
    } catch (e) {
      // One exporter's (its settle time, its owner.json) does not hide the others'.
      if (!(e instanceof UsageError)) throw e;
      errors.push({ prefix, error: e.message });
    }
  }
  const accountOf = (prefix: string) => prefix.split('/').slice(-2)[0];
  const missingAccounts = args.accounts.filter((a) => !found.some((p) => accountOf(p) === a));
  if (args.json) {
    io.out(JSON.stringify({ exporters: reports, errors, missingAccounts }, undefined, 2));
  } else {
    reports.forEach((c, i) => [...(i > 0 ? [''] : []), ...text(c)].forEach((l) => io.out(l)));
    for (const e of errors) ['', `s3://${args.bucket}/${e.prefix}/: not reported: ${e.error}`].forEach((l) => io.out(l));
    io.out('');
    for (const a of missingAccounts) io.out(`s3://${args.bucket}/${args.prefix}/${a}/: no exporter of account ${a} has written here: all of its windows are missing`);
    io.out(args.accounts.length > 0
      ? `Accounts expected: ${args.accounts.length}; with an exporter here: ${args.accounts.length - missingAccounts.length}.`
      : `Accounts with an exporter here: ${[...new Set(found.map(accountOf))].join(', ') || 'none'}. An account whose exporter never ran has none: ` +
        'name the accounts expected with --account to report them.');
  }
  if (missingAccounts.length > 0 || reports.some(hasGaps)) return 1;
  return errors.length > 0 ? 2 : 0;
}

/** The S3 client the report reads with, in the region given (or the SDK's default). */
export type ClientFactory = (region: string | undefined) => S3Client;
/** The CloudWatch Logs client restore-retention calls, in the region given (or the SDK's default). */
export type LogsClientFactory = (region: string | undefined) => CloudWatchLogsClient;

/** restore-retention: exit 0 when every group is restored (or would be), 1 when a call failed. */
async function restore(s3: S3Client, logs: CloudWatchLogsClient, args: Args & { dryRun: boolean }, io: Io): Promise<number> {
  const done: Restored[] = await restoreRetention(s3, logs, { bucket: args.bucket, prefix: args.prefix, groups: args.groups, dryRun: args.dryRun });
  if (args.json) {
    io.out(JSON.stringify({ groups: done }, undefined, 2));
  } else {
    const width = Math.max(0, ...done.map((r) => r.logGroupName.length));
    for (const r of done) io.out(`${r.logGroupName.padEnd(width)}  ${days(r.retentionInDays).padEnd(14)}  ${r.outcome}${r.error ? `: ${r.error}` : ''}`);
    const failed = done.filter((r) => r.outcome === 'failed').length;
    const restored = done.filter((r) => r.outcome === 'restored' || r.outcome === 'would restore').length;
    io.out(args.dryRun ? `${restored} log group(s) would get back the retention they had before offload.`
      : `${restored} log group(s) have the retention they had before offload back${failed ? `; ${failed} failed (above)` : ''}.`);
  }
  return done.some((r) => r.outcome === 'failed') ? 1 : 0;
}

export async function main(argv: string[], io: Io, client: ClientFactory, now = Date.now(),
  logsClient: LogsClientFactory = (region) => new CloudWatchLogsClient(region ? { region } : {})): Promise<number> {
  // --help or -h as an option, not as the value of one (a log group may be named '-h').
  if (argv[0] === 'help' || argv.some((a, i) => (a === '--help' || a === '-h') && !VALUED.includes(argv[i - 1]))) {
    io.out(USAGE);
    return 0;
  }
  // With --json, standard output is one JSON document whatever happens.
  const json = argv.includes('--json');
  const fail = (code: number, message: string, usage = false) => {
    if (json) io.out(JSON.stringify({ error: message, exitCode: code }, undefined, 2));
    else io.err(usage ? `${message}\n\n${USAGE}` : message);
    return code;
  };
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (e) {
    return fail(2, (e as Error).message, true);
  }
  const s3 = client(args.region);
  try {
    await s3.config?.region?.();
  } catch {
    return fail(2, 'no AWS region is set: set AWS_REGION (or a region in your AWS profile), or pass --region');
  }
  try {
    if (args.command === 'restore-retention') return await restore(s3, logsClient(args.region), args, io);
    const progress = (line: string) => io.err(line);
    let own: Coverage | undefined;
    let ownError: UsageError | undefined;
    try {
      own = await coverage(s3, args, now, progress);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      ownError = e;
    }
    // An archive of several accounts' exporters: <prefix>/<account>/<region>/.
    const found = await exportersUnder(reportBucket(s3, args.bucket, args.prefix), args.prefix);
    if (found.length === 0 && args.accounts.length === 0) {
      if (!own) throw ownError!;
      if (args.json) io.out(JSON.stringify(own, undefined, 2));
      else text(own).forEach((l) => io.out(l));
      return hasGaps(own) ? 1 : 0;
    }
    if (args.groups.length > 0) {
      throw new UsageError(`--group names log groups of one exporter, and s3://${args.bucket}/${args.prefix}/ holds several: ` +
        `give the --prefix of one (${found.join(', ')})`);
    }
    // An exporter directly under the prefix that cannot be reported on does not hide the others.
    const errors = ownError && !(ownError instanceof NoExporterError) ? [{ prefix: args.prefix, error: ownError.message }] : [];
    return await archiveReport(s3, args, own, errors, found, now, io);
  } catch (e) {
    if (e instanceof UsageError) return fail(2, e.message);
    const name = (e as Error).name;
    if (name === 'NoSuchBucket') return fail(2, `bucket ${args.bucket} does not exist (or is in another partition): check --bucket`);
    // Credentials, permissions, the network: not a finding about the archive.
    return fail(3, `could not read s3://${args.bucket}/${args.prefix}/: ${name}: ${(e as Error).message}`);
  }
}

/** The command as run from a shell: its exit code is the report's. */
export async function run(argv: string[], client: ClientFactory = (region) => new S3Client(region ? { region } : {})): Promise<void> {
  // The SDK's notice about Node versions its future releases need is not the report's business:
  // the SDK bundled into this command runs on the Node versions the package supports.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let made: S3Client | undefined;
  const code = await main(argv, { out: (l) => console.log(l), err: (l) => console.error(l) }, (region) => (made = client(region)));
  made?.destroy?.();
  // exitCode, not exit(): output written to a pipe is all written before the process ends.
  process.exitCode = code;
}

if (require.main === module) void run(process.argv.slice(2));
