import { RemovalPolicy, Stack, TimeZone } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ExportPeriod } from './export-period';
import { CloudWatchLogsS3ExporterProps } from './exporter-props';
import { createExportLoop } from './private/export-loop';
import { allowExports } from './private/grants';
import { createAlarms, createDashboard, exporterMetric } from './private/monitoring';
import { explainExporterFindings } from './private/nag';
import { ResolvedProps, resolveProps } from './private/props';
import { MetricName } from './shared/protocol';

/**
 * Exports CloudWatch Logs log groups to S3 on a schedule, exactly once per log group and window,
 * one `CreateExportTask` at a time (CloudWatch Logs allows one active export task per account).
 *
 * An EventBridge Scheduler schedule starts a Step Functions state machine that loops
 * Task -> Choice -> Wait around a Lambda handler until every selected log group is exported.
 *
 * @see https://github.com/cdk-cloudwatch-logs-s3-exporter/cdk-cloudwatch-logs-s3-exporter#readme
 */
export class CloudWatchLogsS3Exporter extends Construct {
  /** The bucket the logs are exported to. */
  public readonly bucket: s3.IBucket;
  /** The key prefix of the destination (or its default). */
  public readonly keyPrefix: string;
  /**
   * Key prefix of the exports: `keyPrefix`, or `<keyPrefix>/<account>/<region>` in a shared
   * archive. The exporter's state is beside them, under `_state/<exportPrefix>/`.
   */
  public readonly exportPrefix: string;
  /** Length of an export window. */
  public readonly exportPeriod: ExportPeriod;
  /** The time zone whose calendar days (or hours) are the export windows and name their folders. */
  public readonly timeZone: TimeZone;
  /** The exporter's identity (account, region, stack name, construct path): the `Exporter` dimension of its metrics. */
  public readonly exporterId: string;
  /** The state machine that runs the export loop. */
  public readonly stateMachine: sfn.IStateMachine;
  /** The Lambda function that starts and follows export tasks. */
  public readonly handler: lambda.IFunction;
  /** The schedule that starts runs. */
  public readonly schedule: scheduler.ISchedule;
  /** Log group of the state machine's execution logs. */
  public readonly stateMachineLogGroup: logs.ILogGroup;
  /** Alarm on failed, timed-out or aborted executions. */
  public readonly failureAlarm: cloudwatch.IAlarm;
  /** Alarm when the archive falls more than `maxArchiveLag` behind, or no run reports for longer than the schedule runs. */
  public readonly freshnessAlarm: cloudwatch.IAlarm;
  /**
   * Alarm when the archive is incomplete however fresh: the last scheduled run selected no log
   * group, could not find a log group the selection names, found log groups whose retention removes
   * events before their export, or windows were left behind (further back than `maxCatchUp`).
   */
  public readonly coverageAlarm: cloudwatch.IAlarm;
  /**
   * With `cloudWatchRetention`: alarm when the exporter could not set a log group's retention, or
   * cannot read its record of them (the group keeps the retention it had).
   */
  public readonly offloadAlarm?: cloudwatch.IAlarm;
  private readonly props: ResolvedProps;
  private dashboardOf?: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: CloudWatchLogsS3ExporterProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    const p = this.props = resolveProps(this, props);
    this.exportPeriod = p.period;
    this.timeZone = p.timeZone;
    this.exporterId = `${stack.account}/${stack.region}/${stack.stackName}/${this.node.path}`;

    const destination = p.destination._bind(this);
    this.bucket = destination.bucket;
    this.keyPrefix = destination.keyPrefix;
    this.exportPrefix = destination.exportPrefix;

    // The construct's own log groups: kept when the stack is deleted (they say what the exporter did).
    const handlerLogs = new logs.LogGroup(this, 'HandlerLogs', { retention: p.logRetention, removalPolicy: RemovalPolicy.RETAIN });
    this.stateMachineLogGroup = new logs.LogGroup(this, 'StateMachineLogs', { retention: p.logRetention, removalPolicy: RemovalPolicy.RETAIN });

    allowExports(this, destination, p.selected);
    const loop = createExportLoop(this, {
      props: p, destination, exporterId: this.exporterId, handlerLogs, stateMachineLogs: this.stateMachineLogGroup,
    });
    this.handler = loop.handler;
    this.stateMachine = loop.stateMachine;
    this.schedule = loop.schedule;

    const alarms = createAlarms(this, loop.stateMachine, p, this.exporterId);
    this.failureAlarm = alarms.failureAlarm;
    this.freshnessAlarm = alarms.freshnessAlarm;
    this.coverageAlarm = alarms.coverageAlarm;
    this.offloadAlarm = alarms.offloadAlarm;
    if (p.dashboard) this.addDashboard();

    explainExporterFindings(this, {
      destination,
      handler: loop.handler,
      stateMachine: loop.stateMachine,
      tracing: p.tracing,
      allGroups: !p.selection.explicit && p.selection.sources.some((s) => s.prefix === undefined),
    });
  }

  /**
   * A metric the exporter's handler publishes (namespace `CloudWatchLogsS3Exporter`, dimensions
   * `service` and `Exporter`), e.g. `ExportsStarted`, `ExportsRetried`, `ExportsAdopted`,
   * `Throttled`, `ForeignTaskWaits`, `ExportLag`, `ExportCapacityUsed`, `GroupsSelected`,
   * `GroupsNotFound`, `GroupsRetentionAtRisk`, `WindowsAbandoned`.
   */
  public metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return exporterMetric(this.exporterId, metricName, props);
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

  /** Log groups the last scheduled run selected (0: the selection matched nothing), reported when each scheduled run ends. @default - minimum over 5 minutes */
  public metricGroupsSelected(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricName.GROUPS_SELECTED, { statistic: 'Minimum', ...props });
  }

  /**
   * Settled windows scheduled runs left behind (further back than `maxCatchUp` when a run
   * started) that no backfill of every group has exported yet, reported when each scheduled run
   * ends. @default - maximum over 5 minutes
   */
  public metricWindowsAbandoned(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(MetricName.WINDOWS_ABANDONED, { statistic: 'Maximum', ...props });
  }

  /**
   * A CloudWatch dashboard of the exporter: exports per day, failures, archive lag and windows
   * behind, export duration percentiles, executions, what scheduled runs found about the
   * selection, and the alarms. Created once; later calls
   * return the same dashboard.
   */
  public addDashboard(): cloudwatch.Dashboard {
    this.dashboardOf ??= createDashboard(this, {
      stateMachine: this.stateMachine,
      exporterId: this.exporterId,
      failureAlarm: this.failureAlarm,
      freshnessAlarm: this.freshnessAlarm,
      coverageAlarm: this.coverageAlarm,
      offloadAlarm: this.offloadAlarm,
      maxArchiveLagSeconds: this.props.maxArchiveLagSeconds,
      offload: this.props.offload !== undefined,
    });
    return this.dashboardOf;
  }
}
