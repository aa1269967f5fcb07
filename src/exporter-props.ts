import { Duration, TimeZone } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { ExportDestination } from './export-destination';
import { ExportPeriod } from './export-period';
import { LogGroupSelection } from './log-group-selection';

/**
 * Properties of a CloudWatchLogsS3Exporter.
 */
export interface CloudWatchLogsS3ExporterProps {
  /**
   * Where the exports go: a new bucket, a bucket of yours, or an archive shared by several
   * accounts' exporters.
   *
   * @see https://github.com/cdk-cloudwatch-logs-s3-exporter/cdk-cloudwatch-logs-s3-exporter#s3-layout
   * @default ExportDestination.newBucket()
   */
  readonly destination?: ExportDestination;

  /**
   * Which log groups are exported.
   *
   * @default LogGroupSelection.all()
   */
  readonly logGroups?: LogGroupSelection;

  /**
   * The time zone whose calendar days (or hours) are the export windows, and of the default schedule.
   *
   * @default TimeZone.ETC_UTC
   */
  readonly timeZone?: TimeZone;

  /**
   * Length of an export window.
   *
   * @default ExportPeriod.DAILY
   */
  readonly exportPeriod?: ExportPeriod;

  /**
   * When export runs start. A cron expression runs in its own time zone (UTC when it names none),
   * not in `timeZone`; a schedule that lets more windows settle between two runs than
   * `maxCatchUp` reaches back (its runs placed in the zone's real clock) is refused.
   *
   * @default - daily at 01:00 in `timeZone`; hourly, every hour 5 minutes after the settle time ends
   */
  readonly schedule?: scheduler.ScheduleExpression;

  /**
   * Whether the schedule is enabled. A disabled schedule still exists; runs can be started by hand.
   *
   * @default true
   */
  readonly scheduleEnabled?: boolean;

  /**
   * How long after a window ends it is exported (log data can take up to 12 hours to become
   * exportable). Between 0 and 7 days.
   *
   * @default Duration.hours(12)
   */
  readonly settleTime?: Duration;

  /**
   * Export windows in which a log group has no event, too. By default such a window gets no export
   * task and no folder, only a record the coverage report counts as empty.
   *
   * @see https://github.com/cdk-cloudwatch-logs-s3-exporter/cdk-cloudwatch-logs-s3-exporter#log-groups-without-events
   * @default false
   */
  readonly exportEmptyWindows?: boolean;

  /**
   * How far back a scheduled run catches up on missed windows, counted back from the latest
   * settled window (that one included). Between one export period and 365 days (1,000 windows).
   * Settled windows further back are left behind: each scheduled run counts them
   * (`WindowsAbandoned`, the coverage alarm) and logs the backfill that exports them, until one does.
   *
   * @default Duration.days(14)
   */
  readonly maxCatchUp?: Duration;

  /**
   * Attempts per log group and window before the export is reported as failed. Between 1 and 10.
   *
   * @default 3
   */
  readonly maxAttempts?: number;

  /**
   * Longest one invocation of the handler polls a running export before handing back to the
   * state machine's Wait state. Between 0 and 10 minutes; the function's timeout is this plus 4.5 minutes.
   *
   * @default Duration.seconds(60)
   */
  readonly maxPollDuration?: Duration;

  /**
   * Longest an execution may run (its `TimeoutSeconds`); a run that needs longer continues as a
   * new execution well before it. Between 5 minutes and one year.
   *
   * @default Duration.hours(24)
   */
  readonly timeout?: Duration;

  /**
   * SNS topic notified when an alarm fires and when it is over.
   *
   * @default - no notification; the alarms are still created
   */
  readonly alarmTopic?: sns.ITopic;

  /**
   * How far behind the archive may fall before `freshnessAlarm` fires. At least one export period,
   * the settle time and the schedule's longest interval.
   *
   * @see https://github.com/cdk-cloudwatch-logs-s3-exporter/cdk-cloudwatch-logs-s3-exporter#is-my-archive-complete
   * @default - one export period + settleTime + twice the schedule's longest interval + a quarter
   * of the export period (at least an hour): 90 hours for the daily defaults
   */
  readonly maxArchiveLag?: Duration;

  /**
   * Whether to create a CloudWatch dashboard of the exporter (as `addDashboard()` does).
   *
   * @default false
   */
  readonly dashboard?: boolean;

  /**
   * Level of the state machine's execution logs.
   *
   * @default sfn.LogLevel.ERROR
   */
  readonly logLevel?: sfn.LogLevel;

  /**
   * Retention of the construct's own log groups (the handler's and the state machine's), which
   * are kept when the stack is deleted.
   *
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Offload: let the exporter manage the CloudWatch Logs retention of the log groups it selects,
   * so that CloudWatch keeps only what the archive does not hold yet. A group's retention comes
   * down to the smallest value CloudWatch Logs allows that is at least this, once every window
   * from its oldest event on is confirmed in the bucket; it goes up (never above what the group
   * had before) while windows are not archived. At least `maxArchiveLag` + one export period + 2
   * days; needs `alarmTopic` and an enabled schedule.
   *
   * @see https://github.com/cdk-cloudwatch-logs-s3-exporter/cdk-cloudwatch-logs-s3-exporter#offload-cloudwatch-storage
   * @default - the exporter never changes a log group's retention
   */
  readonly cloudWatchRetention?: Duration;

  /**
   * Offload: events with timestamps before this date (`YYYY-MM-DD`, UTC) count as archived whether
   * they are or not, so that a group's history from before the exporter's first run may expire
   * without a backfill. Only with `cloudWatchRetention`.
   *
   * @default - history counts as archived only once a run or a backfill has exported it
   */
  readonly offloadHistoryBefore?: string;

  /**
   * Whether to trace the state machine and the handler with AWS X-Ray.
   *
   * @default false
   */
  readonly tracing?: boolean;
}
