/**
 * The exporter's props, checked and resolved in one place: a mistake fails synthesis with a
 * message naming the prop, or, where it may be intended, adds a warning that can be
 * acknowledged; what is left is every prop with its default, and what follows from them (the
 * schedule's longest interval, the freshness alarm's threshold). Values not known until deploy
 * time (tokens) are left to the deployment.
 */
import { Annotations, Duration, TimeZone, Token } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { IConstruct } from 'constructs';
import { MAX_LOG_GROUP_NAME, deployedLength } from './deployed-length';
import { ScheduleError, WindowsBetweenRuns, mostRunsWithin, recurrence, windowsBetweenRuns } from './schedule-gaps';
import { ExportDestination } from '../export-destination';
import { ExportPeriod } from '../export-period';
import type { CloudWatchLogsS3ExporterProps } from '../exporter-props';
import { BoundSelection, LogGroupSelection } from '../log-group-selection';
import { unreadableByAthena } from './table-layout';
import { catchUpWindows } from '../shared/config';
import { allowedRetention } from '../shared/retention';
import { Period, databaseSpelling, isTimeZone } from '../shared/windows';


/** Ids of the warnings the exporter may add (acknowledge one with `Annotations.of(exporter).acknowledgeWarning(id)`). */
export const Warning = {
  BUCKET_POLICY: 'cdk-cloudwatch-logs-s3-exporter:bucketPolicy',
  ARCHIVE_POLICY: 'cdk-cloudwatch-logs-s3-exporter:archivePolicy',
  KEY_POLICY: 'cdk-cloudwatch-logs-s3-exporter:keyPolicy',
  SCHEDULE_TIME_ZONE: 'cdk-cloudwatch-logs-s3-exporter:scheduleTimeZone',
  SCHEDULE_INTERVAL: 'cdk-cloudwatch-logs-s3-exporter:scheduleInterval',
  SCHEDULE_FREQUENCY: 'cdk-cloudwatch-logs-s3-exporter:scheduleFrequency',
  ATHENA_NAMES: 'cdk-cloudwatch-logs-s3-exporter:athenaNames',
} as const;

function fail(message: string): never {
  throw new Error(`CloudWatchLogsS3Exporter: ${message}`);
}

/** Names what a JavaScript caller passed instead of the expected class. */
function describe(value: unknown): string {
  if (typeof value === 'string') return `the string '${value}'`;
  if (typeof value === 'number' || typeof value === 'boolean') return `the ${typeof value} ${value}`;
  return `a ${(value as object)?.constructor?.name ?? typeof value}`;
}

/**
 * Props of the wrong kind, which only a JavaScript caller (or a cast) can pass: without this,
 * `timeZone: 'Asia/Tokyo'` would be dropped without a word.
 */
function checkKinds(props: CloudWatchLogsS3ExporterProps): void {
  const classes: Array<[keyof CloudWatchLogsS3ExporterProps, Function, string]> = [
    ['destination', ExportDestination, 'ExportDestination.newBucket()'],
    ['timeZone', TimeZone, "TimeZone.of('Asia/Tokyo')"],
    ['exportPeriod', ExportPeriod, 'ExportPeriod.HOURLY'],
    ['schedule', scheduler.ScheduleExpression, 'scheduler.ScheduleExpression.cron({ hour: \'12\', minute: \'30\' })'],
    ['logGroups', LogGroupSelection, "LogGroupSelection.prefixes(['/aws/lambda/'])"],
    ['timeout', Duration, 'Duration.hours(24)'],
    ['settleTime', Duration, 'Duration.hours(12)'],
    ['maxCatchUp', Duration, 'Duration.days(14)'],
    ['cloudWatchRetention', Duration, 'Duration.days(7)'],
    ['maxPollDuration', Duration, 'Duration.seconds(60)'],
    ['maxArchiveLag', Duration, 'Duration.hours(66)'],
  ];
  for (const [name, cls, example] of classes) {
    const value = props[name];
    if (value !== undefined && !(value instanceof cls)) fail(`${name} must be a ${cls.name} such as ${example}, got ${describe(value)}`);
  }
  for (const name of ['scheduleEnabled', 'dashboard', 'tracing', 'exportEmptyWindows'] as const) {
    if (props[name] !== undefined && typeof props[name] !== 'boolean') fail(`${name} must be true or false, got ${describe(props[name])}`);
  }
  if (props.maxAttempts !== undefined && typeof props.maxAttempts !== 'number') fail(`maxAttempts must be a number, got ${describe(props.maxAttempts)}`);
  if (props.logLevel !== undefined && !Object.values(sfn.LogLevel).includes(props.logLevel)) {
    fail(`logLevel must be one of sfn.LogLevel (${Object.values(sfn.LogLevel).join(', ')}), got ${describe(props.logLevel)}`);
  }
  if (props.logRetention !== undefined && (typeof props.logRetention !== 'number' || !Object.values(logs.RetentionDays).includes(props.logRetention))) {
    fail(`logRetention must be one of logs.RetentionDays, got ${describe(props.logRetention)}`);
  }
}

/** Every prop with its default, and what follows from them. */
export interface ResolvedProps {
  readonly destination: ExportDestination;
  /** The log groups selected, bound to the exporter. */
  readonly selection: BoundSelection;
  /** Their ARNs, as the handler's role and the bucket policy name them. */
  readonly selected: SelectedArns;
  readonly timeZone: TimeZone;
  readonly period: ExportPeriod;
  readonly timeout: Duration;
  readonly settleTime: Duration;
  readonly exportEmptyWindows: boolean;
  readonly maxCatchUp: Duration;
  readonly maxAttempts: number;
  readonly maxPoll: Duration;
  readonly schedule: scheduler.ScheduleExpression;
  readonly scheduleEnabled: boolean;
  /** The schedule's longest interval between runs (seconds), an hour more for a cron in a zone with daylight saving time. */
  readonly runsEvery: number;
  readonly alarmTopic?: sns.ITopic;
  /** The freshness alarm's threshold: `maxArchiveLag`, or its default (seconds). */
  readonly maxArchiveLagSeconds: number;
  readonly dashboard: boolean;
  readonly logLevel: sfn.LogLevel;
  readonly logRetention: logs.RetentionDays;
  readonly tracing: boolean;
  /** Offload, when on: the retention groups come down to (an allowed value), the headroom, and the history that counts as archived. */
  readonly offload?: Offload;
}

export interface Offload {
  readonly retentionDays: number;
  readonly headroomSeconds: number;
  /** The freshness alarm's threshold (seconds). */
  readonly lagSeconds: number;
  readonly archivedBefore?: number;
}

type Ranges = Pick<ResolvedProps, 'timeZone' | 'period' | 'timeout' | 'settleTime' | 'maxCatchUp' | 'maxAttempts' | 'maxPoll'>;

/** Checks every prop; returns them with their defaults, and what follows from them. */
export function resolveProps(scope: IConstruct, props: CloudWatchLogsS3ExporterProps): ResolvedProps {
  checkKinds(props);
  const timeZone = props.timeZone ?? TimeZone.ETC_UTC;
  const period = props.exportPeriod ?? ExportPeriod.DAILY;
  const settleTime = props.settleTime ?? Duration.hours(12);
  const ranges: Ranges = {
    timeZone,
    period,
    timeout: props.timeout ?? Duration.hours(24),
    settleTime,
    maxCatchUp: props.maxCatchUp ?? Duration.days(14),
    maxAttempts: props.maxAttempts ?? 3,
    maxPoll: props.maxPollDuration ?? Duration.seconds(60),
  };
  checkRanges(ranges);
  const schedule = props.schedule ?? defaultSchedule(period, timeZone, settleTime);
  const selection = boundSelection(scope, props.logGroups ?? LogGroupSelection.all());
  const runsEvery = scheduleInterval(scope, schedule, ranges);
  const maxArchiveLagSeconds = maxArchiveLag(props.maxArchiveLag, period, settleTime, runsEvery);
  if (props.cloudWatchRetention !== undefined && Token.isUnresolved(schedule.expressionString)) {
    fail('cloudWatchRetention needs a schedule known at synth time: how long retention must keep events rests on its longest interval');
  }
  return {
    ...ranges,
    destination: props.destination ?? ExportDestination.newBucket(),
    selection,
    selected: selectedArns(scope, selection),
    exportEmptyWindows: props.exportEmptyWindows ?? false,
    schedule,
    scheduleEnabled: props.scheduleEnabled ?? true,
    runsEvery,
    alarmTopic: props.alarmTopic,
    maxArchiveLagSeconds,
    offload: offload(props, period, runsEvery, maxArchiveLagSeconds),
    dashboard: props.dashboard ?? false,
    logLevel: props.logLevel ?? sfn.LogLevel.ERROR,
    logRetention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
    tracing: props.tracing ?? false,
  };
}

/**
 * The freshness alarm's threshold: `maxArchiveLag`, which must be at least the lag a run sees when
 * it starts when all is well; by default that, another schedule interval (one missed run is
 * caught up by the next without an alarm), and a quarter of the period (at least an hour).
 */
function maxArchiveLag(given: Duration | undefined, period: ExportPeriod, settleTime: Duration, runsEvery: number): number {
  const least = period.seconds + settleTime.toSeconds() + runsEvery;
  const seconds = given?.toSeconds();
  if (seconds !== undefined && !Token.isUnresolved(seconds) && seconds < least) {
    fail(`maxArchiveLag (${seconds} s) must be at least one export period + settleTime + the schedule's longest interval (${least} s): ` +
      'runs see that lag when they start, when all is well');
  }
  return seconds ?? least + runsEvery + Math.max(3_600, period.seconds / 4);
}

/**
 * Offload's retention, checked: if runs stop, the retention already set must outlast the time
 * until the freshness alarm fires and a person acts (`maxArchiveLag` + one export period + two
 * days), and someone must be told (an alarm topic, a schedule that runs and that the alarm can watch).
 */
function offload(props: CloudWatchLogsS3ExporterProps, period: ExportPeriod, runsEvery: number, maxArchiveLagSeconds: number): Offload | undefined {
  const given = props.cloudWatchRetention;
  if (given === undefined) {
    if (props.offloadHistoryBefore !== undefined) fail('offloadHistoryBefore is only read with cloudWatchRetention: set both, or neither');
    return undefined;
  }
  const seconds = given.toSeconds();
  if (Token.isUnresolved(seconds) || Token.isUnresolved(maxArchiveLagSeconds)) fail('cloudWatchRetention and maxArchiveLag must be known at synth time with offload');
  const least = maxArchiveLagSeconds + period.seconds + 2 * 86_400;
  const days = (s: number) => `${Math.round((s / 86_400) * 100) / 100} days`;
  if (seconds < least) {
    fail(`cloudWatchRetention (${given.toHumanString()}) must be at least maxArchiveLag + one export period + 2 days (${days(least)}): ` +
      'if runs stop, what the retention still keeps must outlast the freshness alarm and the time to act on it');
  }
  const retentionDays = allowedRetention(Math.ceil(seconds / 86_400 - 1e-9));
  if (retentionDays === undefined) fail(`cloudWatchRetention (${given.toHumanString()}) is longer than CloudWatch Logs allows (3653 days): leave it unset to keep the retention groups have`);
  if (!props.alarmTopic) fail('cloudWatchRetention needs alarmTopic: the exporter lowers retention only while someone is told when the archive falls behind');
  if (props.scheduleEnabled === false) fail('cloudWatchRetention needs scheduleEnabled: the exporter raises retention from its runs, and a schedule that does not run raises nothing');
  if (2 * runsEvery + 3_600 > MAX_ALARM_RANGE_SECONDS) {
    fail(`cloudWatchRetention needs a schedule the freshness alarm can watch: this one runs up to ${days(runsEvery)} apart, and the alarm ` +
      'tells a schedule that stopped from one that runs this rarely only when runs are at most about 3.5 days apart');
  }
  const before = props.offloadHistoryBefore;
  let archivedBefore: number | undefined;
  if (before !== undefined) {
    archivedBefore = /^\d{4}-\d{2}-\d{2}$/.test(String(before)) ? Date.parse(`${before}T00:00:00Z`) : NaN;
    if (Number.isNaN(archivedBefore) || new Date(archivedBefore).toISOString().slice(0, 10) !== before) {
      fail(`offloadHistoryBefore must be a date written YYYY-MM-DD (UTC), got '${before}'`);
    }
    if (archivedBefore > Date.now()) {
      fail(`offloadHistoryBefore (${before}) is in the future: it gives up history from before the exporter's first run, never what it has not exported since`);
    }
  }
  return {
    retentionDays,
    headroomSeconds: period.seconds + runsEvery + 2 * 86_400,
    lagSeconds: maxArchiveLagSeconds,
    ...(archivedBefore !== undefined ? { archivedBefore } : {}),
  };
}

/** A time zone is one of the IANA database, spelled as the database spells it. */
function checkZone(name: string, zone: string): void {
  if (Token.isUnresolved(zone)) return;
  if (!isTimeZone(zone)) fail(`${name} '${zone}' is not an IANA time zone (for example 'Asia/Tokyo')`);
  const spelled = databaseSpelling(zone);
  if (spelled) fail(`${name} '${zone}' is spelled '${spelled}' in the IANA time zone database, and EventBridge Scheduler reads it as written: use TimeZone.of('${spelled}')`);
}

/** The ranges of the props (a timeout known only at deploy time is left to the deployment). */
function checkRanges(p: Ranges): void {
  for (const [name, d] of [['settleTime', p.settleTime], ['maxCatchUp', p.maxCatchUp], ['maxPollDuration', p.maxPoll]] as const) {
    if (Token.isUnresolved(d.toSeconds())) fail(`${name} must be known at synth time: it shapes the schedule, the alarms and the function's timeout`);
  }
  checkZone('timeZone', p.timeZone.timezoneName);
  const timeout = p.timeout.toSeconds();
  if (!Token.isUnresolved(timeout) && (timeout < 300 || timeout > 365 * 86_400)) fail(`timeout must be between 5 minutes and 365 days, got ${p.timeout.toHumanString()}`);
  const settle = p.settleTime.toSeconds();
  if (settle < 0 || settle > 7 * 86_400) fail(`settleTime must be between 0 and 7 days, got ${p.settleTime.toHumanString()}`);
  const catchUp = p.maxCatchUp.toSeconds();
  if (catchUp < p.period.seconds || catchUp > 365 * 86_400) {
    fail(`maxCatchUp must be between one export period (${p.period.seconds} s) and 365 days, got ${p.maxCatchUp.toHumanString()}`);
  }
  if (catchUp / p.period.seconds > 1000) fail(`maxCatchUp spans more than 1000 export windows (${p.maxCatchUp.toHumanString()} of ${p.period.name})`);
  if (!Token.isUnresolved(p.maxAttempts) && (!Number.isInteger(p.maxAttempts) || p.maxAttempts < 1 || p.maxAttempts > 10)) {
    fail(`maxAttempts must be an integer from 1 to 10, got ${p.maxAttempts}`);
  }
  const poll = p.maxPoll.toSeconds();
  if (poll < 0 || poll > 600) fail(`maxPollDuration must be between 0 and 10 minutes, got ${p.maxPoll.toHumanString()}`);
}

/**
 * The schedule runs the exporter when windows settle: by default shortly after each window (and
 * its settle time) ends. Daily: 01:00 in `timeZone`. Hourly: every hour, 5 minutes after the
 * minute the settle time ends on.
 */
function defaultSchedule(period: ExportPeriod, timeZone: TimeZone, settleTime: Duration): scheduler.ScheduleExpression {
  if (period.seconds === 3_600) {
    const minute = (Math.floor(settleTime.toSeconds() / 60) + 5) % 60;
    return scheduler.ScheduleExpression.cron({ minute: String(minute), hour: '*', timeZone });
  }
  return scheduler.ScheduleExpression.cron({ minute: '0', hour: '1', timeZone });
}

/**
 * The schedule's longest interval between runs (seconds), once it is checked against the export
 * windows: synthesis fails for a schedule that is unreadable, stops, has no IANA time zone, or
 * leaves windows behind that no run reaches back to, and warns where it may be intended.
 */
function scheduleInterval(scope: IConstruct, expression: scheduler.ScheduleExpression, p: Ranges): number {
  const text = expression.expressionString;
  const zone = expression.timeZone?.timezoneName;
  if (zone !== undefined) checkZone("schedule's time zone", zone);
  if (Token.isUnresolved(text)) return 86_400;
  // A cron expression without a time zone runs in UTC (CDK gives it Etc/UTC).
  const utc = (z: string) => (isTimeZone(z) && new Intl.DateTimeFormat('en-US', { timeZone: z }).resolvedOptions().timeZone === 'UTC' ? 'UTC' : z);
  const exportZone = p.timeZone.timezoneName;
  const cronZone = zone ?? 'UTC';
  const known = !Token.isUnresolved(exportZone) && !Token.isUnresolved(cronZone);
  let gap: number;
  let runsPerDay: number;
  let between: WindowsBetweenRuns;
  try {
    ({ maxGapSeconds: gap, runsPerDay } = recurrence(text, known ? cronZone : 'UTC'));
    if (gap === Infinity) fail(`schedule '${text}' stops running; the exporter needs one that repeats (cron or rate)`);
    const cut = { period: p.period.name as Period, timeZone: exportZone, settleSeconds: p.settleTime.toSeconds() };
    between = known ? windowsBetweenRuns(text, cronZone, cut)
      : { windows: Math.ceil(gap / p.period.seconds) };
  } catch (e) {
    if (e instanceof ScheduleError) fail(`schedule ${e.message}`);
    throw e;
  }
  if (text.startsWith('cron(') && known && utc(cronZone) !== utc(exportZone)) {
    Annotations.of(scope).addWarningV2(Warning.SCHEDULE_TIME_ZONE,
      `schedule '${text}' runs in ${cronZone === 'Etc/UTC' ? 'Etc/UTC (UTC, also the zone of a cron given none)' : cronZone}, while the export windows are in ${exportZone}. ` +
      `Give it the windows' zone (ScheduleExpression.cron({ ..., timeZone: TimeZone.of('${exportZone}') })), or acknowledge this warning if that is meant.`);
  }
  // The same count of windows a scheduled run reaches back as the handler's.
  const reach = catchUpWindows({ maxCatchUpSeconds: p.maxCatchUp.toSeconds(), period: p.period.name as Period });
  if (between.windows > reach) {
    const when = between.between ? ` (between the runs of ${between.between.map((t) => new Date(t).toISOString()).join(' and ')}, the zone's clock changes counted)` : '';
    fail(`maxCatchUp (${p.maxCatchUp.toHumanString()}) reaches back ${reach} ${p.period.name} window(s), and up to ${between.windows} settle between two runs ` +
      `of schedule '${text}'${when}: windows that settle between two runs would never be exported. ` +
      `Make maxCatchUp at least ${Duration.seconds(between.windows * p.period.seconds).toHumanString()}, or run more often.`);
  }
  if (between.windows > 1 && gap > p.period.seconds) {
    const silent = 2 * gap + 3_600 > MAX_ALARM_RANGE_SECONDS
      ? ' The freshness alarm cannot tell a schedule that stopped from one that runs this rarely (its range is at most 7 days): only the lag runs report raises it.'
      : '';
    Annotations.of(scope).addWarningV2(Warning.SCHEDULE_INTERVAL,
      `schedule '${text}' runs less often than the export period (every ${Duration.seconds(gap).toHumanString()}, ${p.period.name} windows): ` +
      `each run exports the windows settled since the last, so windows reach S3 later than they could.${silent} Acknowledge this warning if that is meant.`);
  }
  const perWindow = mostRunsWithin(text, known ? cronZone : 'UTC', p.period.seconds);
  if (perWindow > MAX_RUNS_PER_WINDOW) {
    const round = (n: number) => (n >= 10 ? Math.round(n).toLocaleString('en-US') : String(Math.round(n * 10) / 10));
    Annotations.of(scope).addWarningV2(Warning.SCHEDULE_FREQUENCY,
      `schedule '${text}' runs ${round(runsPerDay)} times a day, up to ${round(perWindow)} times per ${p.period.name} window: every run after the one that ` +
      `exports a window finds nothing to do, and is still a Step Functions execution and a Lambda invocation, about $${round(runsPerDay * 30 * RUN_DOLLARS)} ` +
      `a month in all ($${RUN_DOLLARS} a run, us-east-1). The default schedule runs once per window, when it has settled; acknowledge this warning if that is meant.`);
  }
  // The longest real time between two runs, the zone's clock changes counted: what the freshness alarm allows for.
  return gap;
}

/** More runs than this per export window draw a warning. */
const MAX_RUNS_PER_WINDOW = 4;
/**
 * What a scheduled run with nothing to export costs, rounded up (us-east-1): 3 state
 * transitions, one invocation, a dozen S3 requests (test/simulation/loop.test.ts measures it).
 */
export const RUN_DOLLARS = 0.0001;

/**
 * The selection, bound to the exporter; warns when log groups it names (or prefixes it selects
 * by) have names whose exports Athena cannot read through an ExportedLogsTable. Names known only
 * at deploy time are not seen.
 */
function boundSelection(scope: IConstruct, selection: LogGroupSelection): BoundSelection {
  const bound = selection._bind(scope);
  const odd = bound.sources.filter((s) => s.prefix !== undefined && !Token.isUnresolved(s.prefix) && unreadableByAthena(s.prefix, s.exact === true));
  if (odd.length === 0) return bound;
  Annotations.of(scope).addWarningV2(Warning.ATHENA_NAMES,
    `logGroups selects ${odd.map((s) => `${s.exact ? 'the log group' : 'the prefix'} '${s.prefix}'`).join(', ')}, whose exports Athena reads wrongly or not at all ` +
    "through an ExportedLogsTable: Athena removes the empty folder of a '//' from an S3 location (a name with '//', or ending in '/'), and a '#' " +
    'can be read as the start of a URI fragment. The exports themselves are complete (read them with S3 tools). Rename the log groups, or acknowledge this warning.');
  return bound;
}

/** Room for log group ARNs in the role's inline policy (10,240 characters for all of it) and in a bucket policy statement (20 KB for all). */
const INLINE_ARNS = 2_000;
/** Room for log group ARNs in one managed policy (6,144 characters in all). */
const MANAGED_POLICY_ARNS = 5_500;
/** Managed policies a role may have attached: 10, one of them AWSLambdaBasicExecutionRole. */
const MAX_MANAGED_POLICIES = 9;
/** The configuration travels with every turn of the state machine (256 KiB a state's input). */
const MAX_CONFIG_BYTES = 128 * 1024;
/** What the handler's configuration holds besides the selection, at most (its identity, bucket, prefix, settings). */
const CONFIG_BESIDES_SELECTION = 4 * 1024;

/** The selected log groups' ARNs, as the handler's role and the bucket policy name them. */
export interface SelectedArns {
  readonly arns: string[];
  /** Whether they fit an inline policy (and a bucket policy statement). */
  readonly inline: boolean;
  /** Otherwise, the ARNs of each managed policy that allows CreateExportTask on them. */
  readonly chunks: string[][];
}

/**
 * The selection's ARNs, and where they fit: inline, or in managed policies (a long list of names).
 * Fails synthesis when the names could not fit a role or a state's input (a name known only at
 * deploy time counts as long as a log group name can be).
 */
function selectedArns(scope: IConstruct, selection: BoundSelection): SelectedArns {
  const [tooMany, instead] = selection.explicit
    ? ['names so many log groups', 'select them by prefixes instead (LogGroupSelection.prefixes)']
    : ['has so many prefixes', 'use fewer, shorter prefixes (one selects every group whose name starts with it), or LogGroupSelection.all().excluding([...])'];
  const config = deployedLength(JSON.stringify([selection.sources, selection.excludePrefixes]), scope) + CONFIG_BESIDES_SELECTION;
  if (config > MAX_CONFIG_BYTES) {
    fail(`logGroups ${tooMany} that the exporter's configuration could reach ${config} bytes ` +
      `(at most ${MAX_CONFIG_BYTES}; a name known only at deploy time counts as up to ${MAX_LOG_GROUP_NAME}): ${instead}`);
  }
  const arns = selection.arns;
  const lengths = arns.map((arn) => deployedLength(arn, scope) + 3);
  const inline = lengths.reduce((a, b) => a + b, 0) <= INLINE_ARNS;
  const chunks: string[][] = [[]];
  let size = 0;
  for (const [i, arn] of (inline ? [] : arns).entries()) {
    if (size + lengths[i] > MANAGED_POLICY_ARNS && chunks[chunks.length - 1].length > 0) {
      chunks.push([]);
      size = 0;
    }
    chunks[chunks.length - 1].push(arn);
    size += lengths[i];
  }
  if (chunks.length > MAX_MANAGED_POLICIES) {
    fail(`logGroups ${tooMany} that allowing CreateExportTask on them needs ${chunks.length} ` +
      `managed policies (a role holds at most ${MAX_MANAGED_POLICIES} more); ${instead}`);
  }
  return { arns, inline, chunks: inline ? [] : chunks };
}

/** The longest an alarm can look back: period times evaluation periods (CloudWatch). */
export const MAX_ALARM_RANGE_SECONDS = 7 * 86_400;
