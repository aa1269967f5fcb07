/**
 * Checks of the exporter's props at synth time: a mistake fails synthesis with a message naming
 * the prop, or, where it may be intended, adds a warning that can be acknowledged. Values not
 * known until deploy time (tokens) are left to the deployment.
 */
import { Annotations, Duration, TimeZone, Token } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { IConstruct } from 'constructs';
import { ScheduleError, recurrence } from './schedule-gaps';
import { ExportPeriod } from '../export-period';
import type { CloudWatchLogsS3ExporterProps } from '../exporter';
import type { Source } from '../shared/config';
import { isTimeZone } from '../shared/windows';
import { LogGroupSelection } from '../log-group-selection';
import { KEY_PREFIX } from './archive-policy';
import { unreadableByAthena } from './table-layout';


/** Ids of the warnings the exporter may add (acknowledge one with `Annotations.of(exporter).acknowledgeWarning(id)`). */
export const Warning = {
  BUCKET_POLICY: 'cdk-cloudwatch-logs-s3-exporter:bucketPolicy',
  ARCHIVE_POLICY: 'cdk-cloudwatch-logs-s3-exporter:archivePolicy',
  KEY_POLICY: 'cdk-cloudwatch-logs-s3-exporter:keyPolicy',
  SCHEDULE_TIME_ZONE: 'cdk-cloudwatch-logs-s3-exporter:scheduleTimeZone',
  SCHEDULE_INTERVAL: 'cdk-cloudwatch-logs-s3-exporter:scheduleInterval',
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
export function checkKinds(props: CloudWatchLogsS3ExporterProps): void {
  const classes: Array<[keyof CloudWatchLogsS3ExporterProps, Function, string]> = [
    ['timeZone', TimeZone, "TimeZone.of('Asia/Tokyo')"],
    ['exportPeriod', ExportPeriod, 'ExportPeriod.HOURLY'],
    ['schedule', scheduler.ScheduleExpression, 'scheduler.ScheduleExpression.cron({ hour: \'12\', minute: \'30\' })'],
    ['logGroups', LogGroupSelection, "LogGroupSelection.prefixes(['/aws/lambda/'])"],
    ['timeout', Duration, 'Duration.hours(24)'],
    ['settleTime', Duration, 'Duration.hours(12)'],
    ['maxCatchUp', Duration, 'Duration.days(14)'],
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
  if (props.keyPrefix !== undefined && typeof props.keyPrefix !== 'string') fail(`keyPrefix must be a string, got ${describe(props.keyPrefix)}`);
  if (props.maxAttempts !== undefined && typeof props.maxAttempts !== 'number') fail(`maxAttempts must be a number, got ${describe(props.maxAttempts)}`);
  if (props.logLevel !== undefined && !Object.values(sfn.LogLevel).includes(props.logLevel)) {
    fail(`logLevel must be one of sfn.LogLevel (${Object.values(sfn.LogLevel).join(', ')}), got ${describe(props.logLevel)}`);
  }
  if (props.logRetention !== undefined && (typeof props.logRetention !== 'number' || !Object.values(logs.RetentionDays).includes(props.logRetention))) {
    fail(`logRetention must be one of logs.RetentionDays, got ${describe(props.logRetention)}`);
  }
  const bucket = props.bucket as s3.IBucket | undefined;
  if (bucket !== undefined && (typeof bucket !== 'object' || typeof bucket.bucketName !== 'string')) fail(`bucket must be an s3.IBucket, got ${describe(bucket)}`);
}

export interface Resolved {
  readonly keyPrefix: string;
  readonly timeZone: TimeZone;
  readonly period: ExportPeriod;
  readonly timeout: Duration;
  readonly settleTime: Duration;
  readonly maxCatchUp: Duration;
  readonly maxAttempts: number;
  readonly maxPoll: Duration;
}

/** The ranges of the props (a timeout known only at deploy time is left to the deployment). */
export function checkRanges(p: Resolved): void {
  for (const [name, d] of [['settleTime', p.settleTime], ['maxCatchUp', p.maxCatchUp], ['maxPollDuration', p.maxPoll]] as const) {
    if (Token.isUnresolved(d.toSeconds())) fail(`${name} must be known at synth time: it shapes the schedule, the alarms and the function's timeout`);
  }
  if (!Token.isUnresolved(p.keyPrefix)) {
    if (!KEY_PREFIX.test(p.keyPrefix) || p.keyPrefix.length > 200) {
      fail(`keyPrefix '${p.keyPrefix}' must be 1-200 characters of A-Z a-z 0-9 ! _ . ' ( ) - in '/'-separated segments, without a leading or trailing '/'`);
    }
    if (p.keyPrefix.split('/').includes('_state')) fail("keyPrefix must not contain a '_state' segment: the exporter keeps its state there");
  }
  if (!Token.isUnresolved(p.timeZone.timezoneName) && !isTimeZone(p.timeZone.timezoneName)) fail(`timeZone '${p.timeZone.timezoneName}' is not an IANA time zone`);
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
export function defaultSchedule(period: ExportPeriod, timeZone: TimeZone, settleTime: Duration): scheduler.ScheduleExpression {
  if (period.seconds === 3_600) {
    const minute = (Math.floor(settleTime.toSeconds() / 60) + 5) % 60;
    return scheduler.ScheduleExpression.cron({ minute: String(minute), hour: '*', timeZone });
  }
  return scheduler.ScheduleExpression.cron({ minute: '0', hour: '1', timeZone });
}

/**
 * Checks the schedule against the export windows; returns its longest interval between runs
 * (seconds). Fails synthesis for a schedule that is unreadable, stops, has no IANA time zone,
 * or leaves windows behind that no run reaches back to; warns where it may be intended.
 */
export function checkSchedule(scope: IConstruct, expression: scheduler.ScheduleExpression, p: Resolved): number {
  const text = expression.expressionString;
  const zone = expression.timeZone?.timezoneName;
  if (zone !== undefined && !Token.isUnresolved(zone) && !isTimeZone(zone)) {
    fail(`schedule has time zone '${zone}', which is not an IANA time zone (for example 'Asia/Tokyo')`);
  }
  if (Token.isUnresolved(text)) return 86_400;
  let gap: number;
  try {
    gap = recurrence(text).maxGapSeconds;
  } catch (e) {
    if (e instanceof ScheduleError) fail(`schedule ${e.message}`);
    throw e;
  }
  if (gap === Infinity) fail(`schedule '${text}' stops running; the exporter needs one that repeats (cron or rate)`);
  // A cron expression without a time zone runs in UTC (CDK gives it Etc/UTC).
  const utc = (z: string) => (['UTC', 'Etc/UTC', 'Etc/GMT', 'GMT'].includes(z) ? 'UTC' : z);
  const exportZone = p.timeZone.timezoneName;
  const cronZone = zone ?? 'UTC';
  if (text.startsWith('cron(') && !Token.isUnresolved(exportZone) && !Token.isUnresolved(cronZone) && utc(cronZone) !== utc(exportZone)) {
    Annotations.of(scope).addWarningV2(Warning.SCHEDULE_TIME_ZONE,
      `schedule '${text}' runs in ${cronZone === 'Etc/UTC' ? 'UTC (no time zone given)' : cronZone}, while the export windows are in ${exportZone}. ` +
      `Give it the windows' zone (ScheduleExpression.cron({ ..., timeZone: TimeZone.of('${exportZone}') })), or acknowledge this warning if that is meant.`);
  }
  const catchUp = p.maxCatchUp.toSeconds();
  if (gap > catchUp) {
    fail(`maxCatchUp (${p.maxCatchUp.toHumanString()}) is shorter than the longest interval between runs of schedule '${text}' ` +
      `(${Duration.seconds(gap).toHumanString()}): windows that settle between two runs would never be exported. ` +
      `Make maxCatchUp at least ${Duration.seconds(Math.ceil(gap / p.period.seconds) * p.period.seconds).toHumanString()}, or run more often.`);
  }
  if (gap > p.period.seconds) {
    const silent = 2 * gap + 3_600 > MAX_ALARM_RANGE_SECONDS
      ? ' The freshness alarm cannot tell a schedule that stopped from one that runs this rarely (its range is at most 7 days): only the lag runs report raises it.'
      : '';
    Annotations.of(scope).addWarningV2(Warning.SCHEDULE_INTERVAL,
      `schedule '${text}' runs less often than the export period (every ${Duration.seconds(gap).toHumanString()}, ${p.period.name} windows): ` +
      `each run exports the windows settled since the last, so windows reach S3 later than they could.${silent} Acknowledge this warning if that is meant.`);
  }
  // Runs of a cron schedule in a zone with daylight saving time are an hour further apart once a year.
  const dst = text.startsWith('cron(') && !['UTC', 'Etc/UTC'].includes(cronZone) ? 3_600 : 0;
  return gap + dst;
}

/**
 * Warns when log groups the selection names (or prefixes it selects by) have names whose exports
 * Athena cannot read through an ExportedLogsTable. Names known only at deploy time are not seen.
 */
export function checkAthenaNames(scope: IConstruct, sources: Source[]): void {
  const odd = sources.filter((s) => s.prefix !== undefined && !Token.isUnresolved(s.prefix) && unreadableByAthena(s.prefix, s.exact === true));
  if (odd.length === 0) return;
  Annotations.of(scope).addWarningV2(Warning.ATHENA_NAMES,
    `logGroups selects ${odd.map((s) => `${s.exact ? 'the log group' : 'the prefix'} '${s.prefix}'`).join(', ')}, whose exports Athena reads wrongly or not at all ` +
    "through an ExportedLogsTable: Athena removes the empty folder of a '//' from an S3 location (a name with '//', or ending in '/'), and a '#' " +
    'can be read as the start of a URI fragment. The exports themselves are complete (read them with S3 tools). Rename the log groups, or acknowledge this warning.');
}

/** The longest an alarm can look back: period times evaluation periods (CloudWatch). */
export const MAX_ALARM_RANGE_SECONDS = 7 * 86_400;
