import { Annotations, ArnFormat, Duration, RemovalPolicy, Stack, TimeZone, Token, TokenComparison } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct, IConstruct } from 'constructs';
import { ExportPeriod } from './export-period';
import type { ExporterConfig } from './shared/config';
import { ExporterFunction } from './handler/exporter-function';
import { DEFAULT_KEY_PREFIX } from './shared/layout';
import { Answer, EXPORTER_DIMENSION, EXPORT_STATE, METRICS_NAMESPACE, MetricName, NOT_RETRIED, SERVICE_NAME, Status } from './shared/protocol';
import { LogGroupSelection } from './log-group-selection';
import {
  ArchiveInfo, archiveBuckets, archivePrefix, cloudWatchLogsKeyStatement, cloudWatchLogsStatements, exporterKeyStatement, handlerStatements,
  namedArchives, sidSuffix,
} from './private/archive-policy';
import { archiveBucketProps } from './private/bucket-rules';
import { MAX_LOG_GROUP_NAME, deployedLength } from './private/deployed-length';
import { suppress } from './private/nag';
import { pasteable } from './private/pasteable';
import { MAX_ALARM_RANGE_SECONDS, Warning, checkAthenaNames, checkKinds, checkRanges, checkSchedule, defaultSchedule } from './private/props';

/**
 * Properties of a CloudWatchLogsS3Exporter.
 */
export interface CloudWatchLogsS3ExporterProps {
  /**
   * Bucket the logs are exported to, in the exporter's region. For a bucket of the same stack the
   * construct adds the bucket policy statements CloudWatch Logs needs; for an imported bucket it
   * warns at synth time and names the statements to add. SSE-S3 and SSE-KMS buckets are supported.
   * A CloudWatchLogsArchiveBucket's bucket (`archive.bucket`, or
   * `CloudWatchLogsArchiveBucket.fromArchiveAttributes()` in another stack or account), and any
   * bucket of another account, is a shared archive: the exporter writes under
   * `<keyPrefix>/<account>/<region>/` there (see `exportPrefix`).
   *
   * @default - a new bucket: all public access blocked, SSE-S3, TLS enforced, versioned, retained when the stack is deleted
   */
  readonly bucket?: s3.IBucket;

  /**
   * S3 Object Lock default retention of the bucket the exporter creates, which locks every
   * exported file for this long: governance mode (users with `s3:BypassGovernanceRetention` may
   * still delete) or compliance mode (nobody, the root user included, until the period ends). The
   * exporter writes its own state with the shortest explicit retention (one day) of the same mode.
   * For a bucket you pass, set Object Lock on it: the exporter finds it there.
   *
   * @default - no Object Lock: the bucket is versioned, so a change is kept as a new version
   */
  readonly objectLockRetention?: s3.ObjectLockRetention;

  /**
   * Key prefix of the exports. They land under
   * `<keyPrefix>/<log group name without its leading '/'>/<yyyy>/<mm>/<dd>[/<hh>]/`, the exporter's
   * state (done-markers, lease, checkpoint) beside them under `_state/<keyPrefix>/`; in a shared
   * archive (a bucket of another account, or of a CloudWatchLogsArchiveBucket) under
   * `<keyPrefix>/<account>/<region>/` and `_state/<keyPrefix>/<account>/<region>/`.
   *
   * @default - the archive's key prefix for a bucket of a CloudWatchLogsArchiveBucket, otherwise 'exported-logs'
   */
  readonly keyPrefix?: string;

  /**
   * When export runs start. A cron expression is read in its own time zone
   * (`ScheduleExpression.cron({ timeZone })`, UTC when not given), not in `timeZone`: synthesis
   * warns when a cron expression has no time zone while `timeZone` is not UTC. A schedule that
   * runs less often than the export period works (each run exports what settled since the
   * last) but warns; one whose longest interval is longer than `maxCatchUp` fails synthesis.
   *
   * @default - follows the export period: daily at 01:00 in `timeZone`; hourly, every hour 5
   * minutes after the minute `settleTime` ends on (at :05 with whole hours of settle time)
   */
  readonly schedule?: scheduler.ScheduleExpression;

  /**
   * Whether the schedule is enabled. A disabled schedule still exists; runs can be started by hand.
   *
   * @default true
   */
  readonly scheduleEnabled?: boolean;

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
   * Longest an execution of the state machine may run (its `TimeoutSeconds`). A run that needs
   * longer continues as a new execution well before the timeout (a quarter of it, at most 30
   * minutes, ahead), so the timeout only stops a stuck execution; one that times out is resumed
   * by the next run. Between 5 minutes and one year.
   *
   * @default Duration.hours(24)
   */
  readonly timeout?: Duration;

  /**
   * Which log groups are exported.
   *
   * @default LogGroupSelection.all()
   */
  readonly logGroups?: LogGroupSelection;

  /**
   * How long after a window ends it is exported: log data can take up to 12 hours to become
   * available for export. Between 0 and 7 days.
   *
   * @default Duration.hours(12)
   */
  readonly settleTime?: Duration;

  /**
   * Export windows in which a log group has no event, too.
   *
   * By default a window without events is not exported: once per run, for each log group whose
   * stored bytes did not grow since its last export, the handler asks DescribeLogStreams for the
   * group's newest event, and a window that starts after it gets no export task and no folder,
   * only a line in the exporter's state, which the coverage report counts as empty, not missing.
   * AWS updates the newest event's time within about an hour of ingestion, so a window is
   * skipped only when it ended at least an hour before the check (with the default settle time,
   * 12 hours): with a shorter settle time, windows are exported whether or not they hold events.
   * Set to true for an export task, and a folder, for every log group and window.
   *
   * @default false
   */
  readonly exportEmptyWindows?: boolean;

  /**
   * How far back a scheduled run catches up on windows missed since the last complete run.
   *
   * Windows are missed when the schedule is disabled or runs fail. The span counts back from
   * the latest settled window, that one included: with `Duration.days(14)` a daily run reaches
   * the latest settled day and the 13 before it. At least one export period, at most 365 days
   * (and 1,000 windows).
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
   * Longest one Lambda invocation polls a running export before handing back to the state
   * machine's Wait state. Short exports are then chained inside one invocation, which is cheaper
   * than a loop turn. The function's timeout is this plus 4.5 minutes, the time one invocation
   * may spend chaining exports. Between 0 and 10 minutes.
   *
   * @default Duration.seconds(60)
   */
  readonly maxPollDuration?: Duration;

  /**
   * SNS topic notified when an alarm fires: `alarm` (a failed, timed-out or aborted execution)
   * and `freshnessAlarm` (the archive fell behind, or no run reported).
   *
   * @default - no notification; the alarms are still created
   */
  readonly alarmTopic?: sns.ITopic;

  /**
   * How far behind the archive may fall before `freshnessAlarm` fires. The lag is the time from
   * the end of the newest window exported for every selected group (the checkpoint) to now; each
   * run reports it when it starts and ends. The alarm also fires when no run reports for two of
   * the schedule's longest intervals and an hour (a deleted schedule, a role that can no longer
   * start the state machine). At least one export period, the settle time and the schedule's
   * longest interval: the lag a run sees when it starts, when all is well.
   *
   * @default - one export period + settleTime + twice the schedule's longest interval (one missed
   * run is caught up by the next without an alarm) + a quarter of the export period (at least an
   * hour): 90 hours for the daily defaults
   */
  readonly maxArchiveLag?: Duration;

  /**
   * Whether to create a CloudWatch dashboard of the exporter (the same as calling `addDashboard()`):
   * exports per day, failures, archive lag and windows behind, export durations, executions and
   * both alarms.
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
   * Retention of the construct's own log groups (handler and state machine). Both are kept
   * when the stack is deleted (their logs say what the exporter did); delete them by hand.
   *
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Whether to trace the state machine and the handler with AWS X-Ray. Off by default: a run is
   * a loop of one Lambda task, its structured logs and execution history already say what it
   * did, and traces are charged per trace.
   *
   * @default false
   */
  readonly tracing?: boolean;
}

/** The configuration travels with every turn of the state machine (256 KiB a state's input). */
const MAX_CONFIG_BYTES = 128 * 1024;
/** Room for log group ARNs in the role's inline policy (10,240 characters for all of it) and in a bucket policy statement (20 KB for all). */
const INLINE_ARNS = 2_000;
/** Room for log group ARNs in one managed policy (6,144 characters in all). */
const MANAGED_POLICY_ARNS = 5_500;
/** Managed policies a role may have attached: 10, one of them AWSLambdaBasicExecutionRole. */
const MAX_MANAGED_POLICIES = 9;

/** ARNs, and upper bounds of the characters each takes in a policy once deployed. */
interface SizedArns {
  readonly arns: string[];
  readonly lengths: number[];
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** Key prefixes taken in each app, by bucket: two exporters must not keep their state in one place. */
const prefixesInUse = new WeakMap<IConstruct, Map<string, string>>();

/**
 * Exports CloudWatch Logs log groups to S3 on a schedule, exactly once per log group and window,
 * one `CreateExportTask` at a time (CloudWatch Logs allows one active export task per account).
 *
 * An EventBridge Scheduler schedule starts a Step Functions state machine that loops
 * Task -> Choice -> Wait around a Lambda handler until every selected log group is exported.
 */
export class CloudWatchLogsS3Exporter extends Construct {
  /** The bucket the logs are exported to. */
  public readonly bucket: s3.IBucket;
  /** The state machine that runs the export loop. */
  public readonly stateMachine: sfn.IStateMachine;
  /** The Lambda function that starts and follows export tasks. */
  public readonly handler: lambda.IFunction;
  /** The schedule that starts runs. */
  public readonly schedule: scheduler.ISchedule;
  /** Alarm on failed, timed-out or aborted executions. */
  public readonly alarm: cloudwatch.IAlarm;
  /** Alarm when the archive falls more than `maxArchiveLag` behind, or no run reports for longer than the schedule runs. */
  public readonly freshnessAlarm: cloudwatch.IAlarm;
  /** Log group of the state machine's execution logs. */
  public readonly stateMachineLogGroup: logs.ILogGroup;
  /** The `keyPrefix` prop (or its default). */
  public readonly keyPrefix: string;
  /**
   * Key prefix of everything the exporter writes: `keyPrefix`, or `<keyPrefix>/<account>/<region>`
   * in a shared archive (a bucket of another account, or of a CloudWatchLogsArchiveBucket).
   */
  public readonly exportPrefix: string;
  /** Length of an export window. */
  public readonly exportPeriod: ExportPeriod;
  /** The time zone whose calendar days (or hours) are the export windows and name their folders. */
  public readonly timeZone: TimeZone;
  /** The exporter's identity (account, region, stack name, construct path): the `Exporter` dimension of its metrics. */
  public readonly exporterId: string;
  private dashboardOf?: cloudwatch.Dashboard;
  private maxArchiveLagSeconds = 0;

  constructor(scope: Construct, id: string, props: CloudWatchLogsS3ExporterProps = {}) {
    super(scope, id);
    checkKinds(props);
    const stack = Stack.of(this);
    const archive = props.bucket ? archiveBuckets.get(props.bucket) : undefined;
    const keyPrefix = props.keyPrefix ?? archive?.keyPrefix ?? DEFAULT_KEY_PREFIX;
    const timeZone = props.timeZone ?? TimeZone.ETC_UTC;
    const period = props.exportPeriod ?? ExportPeriod.DAILY;
    const timeout = props.timeout ?? Duration.hours(24);
    const settleTime = props.settleTime ?? Duration.hours(12);
    const maxCatchUp = props.maxCatchUp ?? Duration.days(14);
    const maxAttempts = props.maxAttempts ?? 3;
    const maxPoll = props.maxPollDuration ?? Duration.seconds(60);
    const resolved = { keyPrefix, timeZone, period, timeout, settleTime, maxCatchUp, maxAttempts, maxPoll };
    checkRanges(resolved);
    this.keyPrefix = keyPrefix;
    this.exportPeriod = period;
    this.timeZone = timeZone;
    this.exporterId = `${stack.account}/${stack.region}/${stack.stackName}/${this.node.path}`;
    const scheduleExpression = props.schedule ?? defaultSchedule(period, timeZone, settleTime);
    const runsEvery = checkSchedule(this, scheduleExpression, resolved);

    if (props.bucket && props.objectLockRetention) {
      throw new Error('CloudWatchLogsS3Exporter: objectLockRetention is for the bucket the exporter creates; set Object Lock on the bucket you pass ' +
        '(the exporter finds it there and writes its state with a one-day retention)');
    }
    this.bucket = props.bucket ?? new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      ...archiveBucketProps('CloudWatchLogsS3Exporter', keyPrefix, undefined, props.objectLockRetention),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const where = this.checkArchive(archive, keyPrefix);
    this.exportPrefix = where.shared ? archivePrefix(keyPrefix, stack.account, stack.region) : keyPrefix;
    const prefix = this.exportPrefix;
    this.claimPrefix(prefix);

    const retention = props.logRetention ?? logs.RetentionDays.THREE_MONTHS;
    const handlerLogs = new logs.LogGroup(this, 'HandlerLogs', { retention, removalPolicy: RemovalPolicy.RETAIN });
    this.stateMachineLogGroup = new logs.LogGroup(this, 'StateMachineLogs', { retention, removalPolicy: RemovalPolicy.RETAIN });

    const selection = (props.logGroups ?? LogGroupSelection.all())._bind(this);
    checkAthenaNames(this, selection.sources);
    // Upper bounds of the characters each ARN takes in a policy once deployed.
    const arns = { arns: selection.arns, lengths: selection.arns.map((arn) => deployedLength(arn, this) + 3) };
    const inline = sum(arns.lengths) <= INLINE_ARNS;
    // CloudWatch Logs may write exports of the selected groups only, where their ARNs fit the bucket policy.
    const sourceArns = inline ? selection.arns : [this.logGroupArn('*')];
    // The bucket of a CloudWatchLogsArchiveBucket of this app: its policies already have what every source account needs.
    if (!archive?.sourceAccounts) this.allowWriting(prefix, sourceArns, where);
    const lambdaTimeout = Duration.seconds(maxPoll.toSeconds() + 270);
    const config: ExporterConfig = {
      // Names this exporter's export tasks: another exporter in the account (another stack of
      // the same app, too) never takes them for its own.
      exporterId: this.exporterId,
      bucket: this.bucket.bucketName,
      keyPrefix: prefix,
      period: period.name as ExporterConfig['period'],
      timeZone: timeZone.timezoneName,
      sources: selection.sources,
      excludePrefixes: selection.excludePrefixes,
      excludeNames: selection.explicit ? [] : [handlerLogs.logGroupName, this.stateMachineLogGroup.logGroupName],
      settleSeconds: settleTime.toSeconds(),
      exportEmptyWindows: props.exportEmptyWindows ?? false,
      maxCatchUpSeconds: maxCatchUp.toSeconds(),
      maxAttempts,
      pollSeconds: maxPoll.toSeconds(),
      minWaitSeconds: 5,
      maxWaitSeconds: 300,
      // ~9 history events a turn: 2,000 turns stay well below the 25,000-event limit, retries included.
      maxTurns: 2_000,
      executionTimeoutSeconds: timeout.toSeconds(),
      lambdaTimeoutSeconds: lambdaTimeout.toSeconds(),
      scheduleIntervalSeconds: runsEvery,
      // A turn renews the lease when the next turn could otherwise find it expired (after 14.5 minutes by default).
      leaseSeconds: 1_800,
    };
    this.checkConfigSize(config);

    // The handler writes its own log group and nothing else (no AWSLambdaBasicExecutionRole: logs:* on *).
    const handlerRole = new iam.Role(this, 'HandlerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Starts and follows CloudWatch Logs export tasks; keeps the exporter state',
    });
    handlerLogs.grantWrite(handlerRole);
    const fn = new ExporterFunction(this, 'Handler', {
      description: 'Starts and follows CloudWatch Logs export tasks, one at a time',
      architecture: lambda.Architecture.ARM_64,
      memorySize: 128,
      // One invocation chains exports for up to ~4.5 minutes: fewer loop turns (state transitions).
      timeout: lambdaTimeout,
      role: handlerRole,
      tracing: props.tracing ? lambda.Tracing.ACTIVE : undefined,
      logGroup: handlerLogs,
      environment: {
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: 'INFO',
      },
    });
    this.handler = fn;
    this.grantHandler(fn, arns, inline, prefix, where.crossAccount);

    this.stateMachine = this.buildStateMachine(fn, config, lambdaTimeout, timeout, props.logLevel ?? sfn.LogLevel.ERROR, props.tracing ?? false);

    // The schedule's own role, inside the construct (tags and removal follow it): it may start this state machine only.
    const scheduleRole = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
      description: 'Starts the CloudWatch Logs exporter state machine on schedule',
    });
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: `Starts the export of CloudWatch Logs to s3://${this.bucket.bucketName}/${prefix}/`,
      schedule: scheduleExpression,
      enabled: props.scheduleEnabled ?? true,
      target: new targets.StepFunctionsStartExecution(this.stateMachine, {
        role: scheduleRole,
        input: scheduler.ScheduleTargetInput.fromObject({ scheduledTime: scheduler.ContextAttribute.scheduledTime }),
        retryAttempts: 10,
        maxEventAge: Duration.hours(6),
      }),
    });

    const failures = new cloudwatch.MathExpression({
      label: 'Failed, timed-out and aborted executions',
      expression: 'FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)',
      usingMetrics: {
        failed: this.stateMachine.metricFailed({ statistic: 'Sum' }),
        timedOut: this.stateMachine.metricTimedOut({ statistic: 'Sum' }),
        aborted: this.stateMachine.metricAborted({ statistic: 'Sum' }),
      },
      period: Duration.minutes(5),
    });
    const alarm = failures.createAlarm(this, 'FailureAlarm', {
      alarmDescription: 'A CloudWatch Logs export run failed, timed out or was aborted: some log groups or windows were not exported. The execution\'s error names them.',
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.alarm = alarm;
    this.freshnessAlarm = this.createFreshnessAlarm(period, settleTime, runsEvery, props.maxArchiveLag, props.scheduleEnabled ?? true);
    if (props.alarmTopic) {
      for (const a of [alarm, this.freshnessAlarm as cloudwatch.Alarm]) a.addAlarmAction(new cloudwatchActions.SnsAction(props.alarmTopic));
    }
    if (props.dashboard) this.addDashboard();

    this.explainNagFindings(fn, !props.bucket, !selection.explicit && selection.sources.some((s) => s.prefix === undefined), props.tracing ?? false);
  }

  /**
   * A metric the exporter's handler publishes (namespace `CloudWatchLogsS3Exporter`, dimensions
   * `service` and `Exporter`), e.g. `ExportsStarted`, `ExportsRetried`, `ExportsAdopted`,
   * `Throttled`, `ForeignTaskWaits`, `ExportLag`, `ExportCapacityUsed`.
   */
  public metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName,
      dimensionsMap: { service: SERVICE_NAME, [EXPORTER_DIMENSION]: this.exporterId },
      ...props,
    });
  }

  /** Exports completed and marked done. @default - sum over 5 minutes */
  public metricExportsCompleted(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricName.EXPORTS_COMPLETED, { statistic: 'Sum', ...props });
  }

  /** (log group, window) pairs that failed after every attempt. @default - sum over 5 minutes */
  public metricExportsFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricName.EXPORTS_FAILED, { statistic: 'Sum', ...props });
  }

  /** How long export tasks took, in seconds. @default - average over 5 minutes */
  public metricExportDuration(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricName.EXPORT_DURATION, { statistic: 'Average', ...props });
  }

  /**
   * Seconds from the end of the newest window exported for every selected group to now,
   * reported when each run starts and ends. @default - maximum over 5 minutes
   */
  public metricArchiveLag(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricName.ARCHIVE_LAG, { statistic: 'Maximum', ...props });
  }

  /** Settled windows not yet exported for every selected group, reported when each run starts and ends. @default - maximum over 5 minutes */
  public metricWindowsBehind(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricName.WINDOWS_BEHIND, { statistic: 'Maximum', ...props });
  }

  /**
   * A CloudWatch dashboard of the exporter: exports per day, failures, archive lag and windows
   * behind, export duration percentiles, executions and both alarms. Created once; later calls
   * return the same dashboard.
   */
  public addDashboard(): cloudwatch.Dashboard {
    if (this.dashboardOf) return this.dashboardOf;
    const day = Duration.days(1);
    const hour = Duration.hours(1);
    const sm = this.stateMachine;
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.days(14) });
    dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [this.alarm, this.freshnessAlarm], width: 6, height: 6 }),
      new cloudwatch.GraphWidget({
        title: 'Exports per day',
        width: 9,
        left: [
          this.metricExportsCompleted({ period: day, label: 'completed' }),
          this.metric(MetricName.EXPORTS_RETRIED, { statistic: 'Sum', period: day, label: 'retried' }),
          this.metricExportsFailed({ period: day, label: 'failed after every attempt' }),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Archive lag (hours) and windows behind',
        width: 9,
        left: [new cloudwatch.MathExpression({ expression: 'lag / 3600', usingMetrics: { lag: this.metricArchiveLag({ period: hour }) }, label: 'archive lag (h)', period: hour })],
        leftAnnotations: Token.isUnresolved(this.maxArchiveLagSeconds) ? []
          : [{ value: this.maxArchiveLagSeconds / 3600, label: 'freshness alarm', color: cloudwatch.Color.RED }],
        right: [this.metricWindowsBehind({ period: hour, label: 'windows behind' })],
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Export duration (seconds)',
        width: 12,
        left: ['p50', 'p90', 'p99', 'Maximum'].map((statistic) => this.metricExportDuration({ statistic, period: hour, label: statistic })),
      }),
      new cloudwatch.GraphWidget({
        title: 'Executions per day',
        width: 12,
        left: [
          sm.metricStarted({ period: day, statistic: 'Sum', label: 'started' }),
          sm.metricSucceeded({ period: day, statistic: 'Sum', label: 'succeeded' }),
          sm.metricFailed({ period: day, statistic: 'Sum', label: 'failed' }),
          sm.metricTimedOut({ period: day, statistic: 'Sum', label: 'timed out' }),
          sm.metricAborted({ period: day, statistic: 'Sum', label: 'aborted' }),
        ],
        right: [this.metric(MetricName.CAPACITY_USED, { statistic: 'Maximum', period: day, label: 'export capacity used (%)' })],
      }),
    );
    this.dashboardOf = dashboard;
    return dashboard;
  }

  /**
   * The freshness alarm: the archive lag above `maxArchiveLag`, or no report for two of the
   * schedule's longest intervals and an hour (missing data breaches). One missed run is caught
   * up by the next without an alarm. A schedule too rare for that range (7 days at most), or a
   * disabled one, leaves only the lag runs report.
   */
  private createFreshnessAlarm(period: ExportPeriod, settleTime: Duration, runsEvery: number, maxArchiveLag: Duration | undefined,
    scheduled: boolean): cloudwatch.Alarm {
    const least = period.seconds + settleTime.toSeconds() + runsEvery;
    const given = maxArchiveLag?.toSeconds();
    const threshold = given ?? least + runsEvery + Math.max(3_600, period.seconds / 4);
    if (given !== undefined && !Token.isUnresolved(given) && given < least) {
      throw new Error(`CloudWatchLogsS3Exporter: maxArchiveLag (${given} s) must be at least one export period + settleTime + the schedule's ` +
        `longest interval (${least} s): runs see that lag when they start, when all is well`);
    }
    this.maxArchiveLagSeconds = threshold;
    const silence = Math.ceil((2 * runsEvery + 3_600) / 60) * 60;
    const watchesSilence = scheduled && silence <= MAX_ALARM_RANGE_SECONDS;
    const alarmPeriod = Math.min(silence, MAX_ALARM_RANGE_SECONDS);
    const hours = (s: number) => (Token.isUnresolved(s) ? 'maxArchiveLag' : `${Math.round(s / 3600)} hours`);
    return this.metricArchiveLag({ period: Duration.seconds(alarmPeriod) }).createAlarm(this, 'FreshnessAlarm', {
      alarmDescription: `The CloudWatch Logs archive is more than ${hours(threshold)} behind` +
        (watchesSilence ? `, or no export run has reported for ${hours(alarmPeriod)} (the schedule was deleted, or runs cannot start)` : '') +
        '. The dashboard and `npx cdk-cloudwatch-logs-s3-exporter coverage` show what is missing.',
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: watchesSilence ? cloudwatch.TreatMissingData.BREACHING : cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /** Why the AwsSolutions rules that flag this construct do not apply (read by cdk-nag). */
  private explainNagFindings(fn: ExporterFunction, ownBucket: boolean, allGroups: boolean, tracing: boolean): void {
    if (ownBucket) {
      suppress(this.bucket, [{
        id: 'AwsSolutions-S1',
        reason: 'The default bucket only receives exports written by the CloudWatch Logs service principal, limited by policy to ' +
          "this account's log groups, and the exporter's state. Consumers who need server access logs pass their own bucket.",
      }]);
    }
    suppress(fn.role?.node.tryFindChild('DefaultPolicy'), [
      { id: 'AwsSolutions-IAM5', reason: 'logs:DescribeLogGroups and logs:DescribeExportTasks do not support resource-level permissions.', appliesTo: ['Resource::*'] },
      ...(allGroups ? [{
        id: 'AwsSolutions-IAM5',
        reason: 'The selection is every log group of the account and region, so CreateExportTask must be allowed on every log group.',
        appliesTo: ['Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:*', `Resource::arn:<AWS::Partition>:logs:${Stack.of(this).region}:${Stack.of(this).account}:log-group:*`],
      }] : []),
      {
        id: 'AwsSolutions-IAM5',
        reason: "Done-markers (one object per log group and window), the lease and the checkpoint live under the exporter's _state/<keyPrefix>/ prefix and nowhere else; " +
          'in a bucket of another account, CloudWatch Logs writes the exports with the permission of the caller of CreateExportTask, so the handler may also write ' +
          'under its own export prefix there, and nowhere else.',
        // Whatever the bucket (of this stack, imported, another account's): its ARN, then [_state/]<exportPrefix>/*.
        appliesTo: [{ regex: `/^Resource::.*\\/(_state\\/)?${escapeRegex(this.keyPrefix)}${this.exportPrefix === this.keyPrefix ? '' : '\\/[^/]+\\/[^/]+'}\\/\\*$/` }],
      },
    ]);
    const sm = this.stateMachine as sfn.StateMachine;
    suppress(sm.role.node.tryFindChild('DefaultPolicy'), [
      { id: 'AwsSolutions-IAM5', reason: 'Invoking the handler function, its versions and aliases: <arn>:* is the one function.', appliesTo: [`Resource::<${Stack.of(this).getLogicalId(fn.node.defaultChild as lambda.CfnFunction)}.Arn>:*`] },
      {
        id: 'AwsSolutions-IAM5',
        reason: 'The CloudWatch Logs log delivery APIs used by state machine logging (and X-Ray, when tracing is on) do not support resource-level permissions.',
        appliesTo: ['Resource::*'],
      },
    ]);
    suppress(sm, [
      {
        id: 'AwsSolutions-SF1',
        reason: 'Execution logs default to ERROR to keep log volume and cost proportional to problems; the logLevel prop raises it to ALL.',
      },
      ...(tracing ? [] : [{
        id: 'AwsSolutions-SF2',
        reason: 'X-Ray tracing is off by default: a run is a loop of one Lambda task whose structured logs and execution history say what it did, ' +
          'and traces are charged per trace. The tracing prop turns it on.',
      }]),
    ]);
  }

  /**
   * Whether the bucket is a shared archive (another account's bucket, or a
   * CloudWatchLogsArchiveBucket's, made here or imported with `fromArchiveAttributes`) and whether
   * it is of another account, after checking that CreateExportTask can reach it.
   */
  private checkArchive(archive: ArchiveInfo | undefined, keyPrefix: string): { shared: boolean; crossAccount: boolean } {
    const stack = Stack.of(this);
    const { account, region } = this.bucket.env;
    if (Token.compareStrings(region, stack.region) === TokenComparison.DIFFERENT) {
      throw new Error(`CloudWatchLogsS3Exporter: the bucket is in ${region}, the exporter in ${stack.region}: ` +
        "CloudWatch Logs exports only to a bucket in the log groups' region. Use a bucket of this region (an archive bucket per region).");
    }
    if (archive !== undefined && archive.keyPrefix !== keyPrefix) {
      throw new Error(`CloudWatchLogsS3Exporter: keyPrefix '${keyPrefix}' is not the key prefix of the archive bucket ('${archive.keyPrefix}'), ` +
        'which lets exporters write under it only: leave keyPrefix unset');
    }
    const crossAccount = !sameAccount(account, stack.account);
    if (archive?.sourceAccounts && !sameAccount(Stack.of(this.bucket).account, stack.account)) {
      // The archive's own bucket object, given to an exporter of another account.
      throw new Error(`CloudWatchLogsS3Exporter: the archive bucket ${this.bucket.node.path} is of account ${Stack.of(this.bucket).account}, ` +
        `this exporter of account ${stack.account}: import it in this stack with CloudWatchLogsArchiveBucket.fromArchiveAttributes() ` +
        "(and add this account to the archive's sourceAccounts)");
    }
    if (archive !== undefined || crossAccount) this.node.addValidation({ validate: () => this.checkArchiveOfApp(archive, keyPrefix) });
    return { shared: archive !== undefined || crossAccount, crossAccount };
  }

  /**
   * The archive of this app the bucket is (its own bucket, or one of its name): it must list this
   * exporter's account among its sourceAccounts, with the same key prefix and region.
   */
  private checkArchiveOfApp(archive: ArchiveInfo | undefined, keyPrefix: string): string[] {
    const stack = Stack.of(this);
    const name = this.bucket.bucketName;
    const named = Token.isUnresolved(name) ? undefined : namedArchives.get(this.node.root)?.get(name);
    const sourceAccounts = archive?.sourceAccounts ?? named?.sourceAccounts;
    const where = named ? `the archive ${named.path}` : `the archive bucket ${this.bucket.node.path}`;
    const errors: string[] = [];
    if (named && named.keyPrefix !== keyPrefix) errors.push(`CloudWatchLogsS3Exporter: keyPrefix '${keyPrefix}' is not the key prefix of ${where} ('${named.keyPrefix}')`);
    if (named && Token.compareStrings(named.region, stack.region) === TokenComparison.DIFFERENT) {
      errors.push(`CloudWatchLogsS3Exporter: ${where} is in ${named.region}, this exporter in ${stack.region}: CloudWatch Logs exports only to a bucket of its region`);
    }
    if (sourceAccounts && !sourceAccounts().includes(stack.account)) {
      errors.push(`CloudWatchLogsS3Exporter: this exporter's account ${pasteable(stack.account, stack)} is not among the sourceAccounts of ${where}: ` +
        'add it (addSourceAccount), so that the archive lets it write and its table reads it');
    }
    return errors;
  }

  /**
   * Fails synthesis when another exporter of the app keeps its state in the same bucket and key
   * prefix: the two would share done-markers, lease and checkpoint, and skip each other's groups.
   */
  private claimPrefix(prefix: string): void {
    if (Token.isUnresolved(prefix)) return;
    const bucket = Token.isUnresolved(this.bucket.bucketName) ? this.bucket.node.path : this.bucket.bucketName;
    const taken = prefixesInUse.get(this.node.root) ?? new Map<string, string>();
    prefixesInUse.set(this.node.root, taken);
    const key = `${bucket}\n${prefix}`;
    const other = taken.get(key);
    if (other !== undefined) {
      throw new Error(`CloudWatchLogsS3Exporter: keyPrefix '${prefix}' of bucket ${bucket} is already used by the exporter at ${other}: ` +
        'two exporters there would share done-markers and lease and skip each other\'s log groups. Give each exporter its own keyPrefix.');
    }
    taken.set(key, this.node.path);
  }

  /**
   * Bucket (and key) policy statements that let CloudWatch Logs write exports of the selected log
   * groups under the prefix, and never into the exporter's state folder; in a shared archive of
   * another account also the handler's access. Where they cannot be added (an imported bucket or
   * key), a warning says them.
   */
  private allowWriting(prefix: string, logGroupArns: string[], where: { shared: boolean; crossAccount: boolean }): void {
    const stack = Stack.of(this);
    // Statement ids are unique in a policy: one set per exporter (prefix) of the bucket.
    const suffix = sidSuffix(prefix, this);
    const writer = { bucket: this.bucket, prefix, account: stack.account, region: stack.region, logGroupArns, sid: (name: string) => `${name}${suffix}` };
    // In a bucket of another account, its principals (the handler) need the bucket policy's leave too.
    const principal = new iam.AccountPrincipal(stack.account);
    const statements = [...cloudWatchLogsStatements(writer), ...(where.crossAccount ? handlerStatements(writer, principal, true) : [])];
    const added = statements.map((s) => this.bucket.addToResourcePolicy(s).statementAdded);
    const printed = (ss: iam.PolicyStatement[]) => JSON.stringify(pasteable(ss.map((s) => s.toStatementJson()), stack), undefined, 2);
    if (added.includes(false) && where.shared) {
      const owner = this.bucket.env.account;
      Annotations.of(this).addWarningV2(Warning.ARCHIVE_POLICY,
        `The bucket is a shared archive${where.crossAccount ? ` of account ${Token.isUnresolved(owner) ? '<bucket-account>' : owner}` : ''}: ` +
        `its policy must let this account write under ${pasteable(prefix, stack)}/, as a CloudWatchLogsArchiveBucket does for its sourceAccounts. ` +
        'Exports and runs fail with AccessDenied until it has these statements:\n' + printed(statements));
    } else if (added.includes(false)) {
      Annotations.of(this).addWarningV2(Warning.BUCKET_POLICY,
        'The bucket is imported, so its policy cannot be changed here. Add these statements to its policy, or exports fail with AccessDenied:\n' +
        printed(statements));
    }
    const key = this.bucket.encryptionKey;
    if (key) {
      const keyStatements = [cloudWatchLogsKeyStatement(writer),
        ...(where.crossAccount ? [exporterKeyStatement(`ExporterState${suffix}`, [principal])] : [])];
      if (keyStatements.map((s) => key.addToResourcePolicy(s).statementAdded).includes(false)) {
        Annotations.of(this).addWarningV2(Warning.KEY_POLICY,
          "The bucket's KMS key is imported, so its policy cannot be changed here. Add these statements to its key policy:\n" + printed(keyStatements));
      }
    }
  }

  private grantHandler(fn: lambda.IFunction, logGroups: SizedArns, inline: boolean, prefix: string, crossAccount: boolean): void {
    fn.addToRolePolicy(new iam.PolicyStatement({
      sid: 'ReadLogGroupsAndExportTasks',
      // These read APIs do not support resource-level permissions.
      actions: ['logs:DescribeLogGroups', 'logs:DescribeExportTasks'],
      resources: ['*'],
    }));
    this.grantCreateExportTask(fn, logGroups, inline);
    handlerStatements({ bucket: this.bucket, prefix, sid: (name) => name }, undefined, crossAccount).forEach((s) => fn.addToRolePolicy(s));
    // Writing and reading its state objects in an SSE-KMS bucket (not kms:ReEncrypt*, not GenerateDataKey*).
    this.bucket.encryptionKey?.grant(fn, 'kms:GenerateDataKey', 'kms:Decrypt');
  }

  /**
   * CreateExportTask and DescribeLogStreams (is there any event to export?) on the selected log
   * groups: in the function's policy when the ARNs fit there, otherwise in as many managed
   * policies as they need (a long list of names).
   */
  private grantCreateExportTask(fn: lambda.IFunction, { arns, lengths }: SizedArns, inline: boolean): void {
    const statement = (resources: string[], sid: string) => new iam.PolicyStatement({ sid, actions: ['logs:CreateExportTask', 'logs:DescribeLogStreams'], resources });
    if (inline) {
      fn.addToRolePolicy(statement(arns, 'CreateExportTasks'));
      return;
    }
    const chunks: string[][] = [[]];
    let size = 0;
    for (const [i, arn] of arns.entries()) {
      const length = lengths[i];
      if (size + length > MANAGED_POLICY_ARNS && chunks[chunks.length - 1].length > 0) {
        chunks.push([]);
        size = 0;
      }
      chunks[chunks.length - 1].push(arn);
      size += length;
    }
    if (chunks.length > MAX_MANAGED_POLICIES) {
      throw new Error(`CloudWatchLogsS3Exporter: logGroups names so many log groups that allowing CreateExportTask on them needs ${chunks.length} ` +
        `managed policies (a role holds at most ${MAX_MANAGED_POLICIES} more); select them by prefixes instead`);
    }
    chunks.forEach((resources, i) => new iam.ManagedPolicy(this, `CreateExportTasks${i + 1}`, {
      description: `Lets the exporter's handler export these log groups (part ${i + 1} of ${chunks.length})`,
      statements: [statement(resources, 'CreateExportTasks')],
      roles: [fn.role!],
    }));
  }

  private logGroupArn(name: string): string {
    return Stack.of(this).formatArn({ service: 'logs', resource: 'log-group', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  }

  /**
   * Fails synthesis when the configuration could outgrow a state's input (it travels with every
   * turn). A log group name not known until deploy time counts as long as it can be.
   */
  private checkConfigSize(config: ExporterConfig): void {
    const bound = deployedLength(JSON.stringify(config), this);
    if (bound > MAX_CONFIG_BYTES) {
      throw new Error(`CloudWatchLogsS3Exporter: logGroups names so many log groups that the exporter's configuration could reach ${bound} bytes ` +
        `(at most ${MAX_CONFIG_BYTES}; a name known only at deploy time counts as up to ${MAX_LOG_GROUP_NAME}): select them by prefixes instead`);
    }
  }

  private buildStateMachine(fn: lambda.IFunction, config: ExporterConfig, lambdaTimeout: Duration, timeout: Duration,
    level: sfn.LogLevel, tracing: boolean): sfn.StateMachine {
    const turn = new tasks.LambdaInvoke(this, EXPORT_STATE, {
      comment: 'Starts the next export when the previous one has finished; answers what to do next',
      lambdaFunction: fn,
      payload: sfn.TaskInput.fromObject({
        // Part of the definition: no 4 KB limit like environment variables, however many log groups are named.
        config,
        input: sfn.JsonPath.entirePayload,
        executionName: sfn.JsonPath.stringAt('$$.Execution.Name'),
        executionArn: sfn.JsonPath.stringAt('$$.Execution.Id'),
        retryCount: sfn.JsonPath.numberAt('$$.State.RetryCount'),
        redriveCount: sfn.JsonPath.numberAt('$$.Execution.RedriveCount'),
        executionStart: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
      }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
    });
    // Bad execution input, a key prefix of another exporter: fail at once.
    turn.addRetry({ errors: NOT_RETRIED, maxAttempts: 0 });
    // Throttled before the function ran: back off and try again.
    turn.addRetry({
      errors: ['Lambda.TooManyRequestsException'],
      interval: Duration.seconds(2),
      maxAttempts: 8,
      backoffRate: 2,
      maxDelay: Duration.minutes(2),
      jitterStrategy: sfn.JitterType.FULL,
    });
    // No answer from an invocation that may still be running: try again only once it must have
    // ended (the interval is longer than the function's timeout, with no jitter to shorten it),
    // so that two invocations of one run never export at once.
    turn.addRetry({
      errors: ['Lambda.ClientExecutionTimeoutException', 'Lambda.SdkClientException', 'Lambda.ServiceException', 'Lambda.AWSLambdaException'],
      interval: lambdaTimeout.plus(Duration.seconds(30)),
      maxAttempts: 4,
      backoffRate: 1.5,
      maxDelay: Duration.minutes(30),
      jitterStrategy: sfn.JitterType.NONE,
    });
    // The handler failed (API errors past the SDK's retries, a crash, a timeout): the invocation
    // is over; the next attempt confirms what the failed one did before exporting anything.
    turn.addRetry({
      errors: [sfn.Errors.ALL],
      interval: Duration.seconds(5),
      maxAttempts: 6,
      backoffRate: 2,
      maxDelay: Duration.minutes(5),
      jitterStrategy: sfn.JitterType.FULL,
    });

    const wait = new sfn.Wait(this, 'Wait', {
      comment: 'Waits for the running export; the handler chooses how long',
      time: sfn.WaitTime.secondsPath(`$.${Answer.waitSeconds}`),
    });
    const continueAsNew = new sfn.CustomState(this, 'ContinueAsNew', {
      stateJson: {
        Type: 'Task',
        Comment: 'Carries the run on in a new execution before this one nears 25,000 history events',
        Resource: `arn:${Stack.of(this).partition}:states:::states:startExecution`,
        Parameters: {
          'StateMachineArn.$': '$$.StateMachine.Id',
          'Name.$': `$.${Answer.continuation}`,
          'Input': { [`${Answer.state}.$`]: `$.${Answer.state}`, 'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$': '$$.Execution.Id' },
        },
        ResultPath: null,
        Retry: [{ ErrorEquals: ['StepFunctions.ExecutionLimitExceededException', 'States.TaskFailed'], IntervalSeconds: 5, MaxAttempts: 5, BackoffRate: 2 }],
      },
    });
    const done = new sfn.Succeed(this, 'Done');
    const failed = new sfn.Fail(this, 'ExportsFailed', { errorPath: `$.${Answer.error}`, causePath: `$.${Answer.cause}` });

    const status = `$.${Answer.status}`;
    const definition = turn.next(new sfn.Choice(this, 'WhatNext')
      .when(sfn.Condition.stringEquals(status, Status.WAIT), wait.next(turn))
      .when(sfn.Condition.stringEquals(status, Status.CONTINUE), continueAsNew.next(done))
      .when(sfn.Condition.stringEquals(status, Status.SUCCEEDED), done)
      .otherwise(failed));

    const sm = new sfn.StateMachine(this, 'StateMachine', {
      comment: 'Exports CloudWatch Logs log groups to S3, one export task at a time',
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout,
      tracingEnabled: tracing,
      logs: { destination: this.stateMachineLogGroup, level, includeExecutionData: false },
    });
    // A separate policy: a statement on the state machine's own ARN in its default policy would be a cycle.
    new iam.Policy(this, 'ContinueAsNewPolicy', {
      roles: [sm.role],
      statements: [new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [sm.stateMachineArn] })],
    });
    return sm;
  }
}

/** Two account ids known to be the same (the same value, or the same reference). */
function sameAccount(a: string, b: string): boolean {
  return a === b || Token.compareStrings(a, b) === TokenComparison.SAME;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
