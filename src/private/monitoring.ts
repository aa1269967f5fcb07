/**
 * What watches the exporter: the failure alarm, the freshness alarm (with the props module's
 * threshold), the metrics the handler publishes, and the dashboard.
 */
import { Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { MAX_ALARM_RANGE_SECONDS, ResolvedProps } from './props';
import { EXPORTER_DIMENSION, METRICS_NAMESPACE, MetricName, SERVICE_NAME } from '../shared/protocol';

/** A metric the handler of exporter `exporterId` publishes. */
export function exporterMetric(exporterId: string, metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: SERVICE_NAME, [EXPORTER_DIMENSION]: exporterId },
    ...props,
  });
}

export interface Alarms {
  readonly failureAlarm: cloudwatch.Alarm;
  readonly freshnessAlarm: cloudwatch.Alarm;
  readonly coverageAlarm: cloudwatch.Alarm;
  /** With offload: a retention change (or the check it rests on) failed, or the ledger cannot be read. */
  readonly offloadAlarm?: cloudwatch.Alarm;
}

/**
 * What the coverage alarm watches, per scheduled run: names the selection gives that no group
 * has, groups whose retention is too short, windows left behind, and a selection that matched
 * nothing (1). Above 0: the archive is incomplete, whatever its freshness.
 */
export const COVERAGE_EXPRESSION = 'notFound + atRisk + abandoned + IF(selected == 0, 1, 0)';

/**
 * The failure alarm (a failed, timed-out or aborted execution) and the freshness alarm: the
 * archive lag above `maxArchiveLag`, or no report for two of the schedule's longest intervals
 * and an hour (missing data breaches; one missed run is caught up by the next without an alarm).
 * A schedule too rare for that range (7 days at most), or a disabled one, leaves only the lag
 * runs report. The coverage alarm: {@link COVERAGE_EXPRESSION} above 0 in the last scheduled run
 * (without a run, it keeps its state: the freshness alarm watches silence). All three notify
 * `alarmTopic` when they go into alarm and when they are OK again.
 */
export function createAlarms(scope: Construct, stateMachine: sfn.IStateMachine, p: ResolvedProps, exporterId: string): Alarms {
  const failures = new cloudwatch.MathExpression({
    label: 'Failed, timed-out and aborted executions',
    expression: 'FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)',
    usingMetrics: {
      failed: stateMachine.metricFailed({ statistic: 'Sum' }),
      timedOut: stateMachine.metricTimedOut({ statistic: 'Sum' }),
      aborted: stateMachine.metricAborted({ statistic: 'Sum' }),
    },
    period: Duration.minutes(5),
  });
  const failureAlarm = failures.createAlarm(scope, 'FailureAlarm', {
    alarmDescription: 'A CloudWatch Logs export run failed, timed out or was aborted: some log groups or windows were not exported. The execution\'s error names them.',
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });

  const threshold = p.maxArchiveLagSeconds;
  const silence = Math.ceil((2 * p.runsEvery + 3_600) / 60) * 60;
  const watchesSilence = p.scheduleEnabled && silence <= MAX_ALARM_RANGE_SECONDS;
  const alarmPeriod = Math.min(silence, MAX_ALARM_RANGE_SECONDS);
  const hours = (s: number) => (Token.isUnresolved(s) ? 'maxArchiveLag' : `${Math.round(s / 3600)} hours`);
  const lag = exporterMetric(exporterId, MetricName.ARCHIVE_LAG, { statistic: 'Maximum', period: Duration.seconds(alarmPeriod) });
  const freshnessAlarm = lag.createAlarm(scope, 'FreshnessAlarm', {
    alarmDescription: `The CloudWatch Logs archive is more than ${hours(threshold)} behind` +
      (watchesSilence ? `, or no export run has reported for ${hours(alarmPeriod)} (the schedule was deleted, or runs cannot start)` : '') +
      '. The dashboard and `npx cdk-cloudwatch-logs-s3-exporter coverage` show what is missing.',
    threshold,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    treatMissingData: watchesSilence ? cloudwatch.TreatMissingData.BREACHING : cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  // A minute holds one scheduled run's figures (they are published together at its end): the alarm
  // follows the last run, and keeps its state between runs.
  const perRun = (name: string) => exporterMetric(exporterId, name, { statistic: 'Maximum', period: Duration.minutes(1) });
  const coverage = new cloudwatch.MathExpression({
    label: 'Log groups not found or at risk, windows abandoned, or no log group selected',
    expression: COVERAGE_EXPRESSION,
    usingMetrics: {
      notFound: perRun(MetricName.GROUPS_NOT_FOUND),
      atRisk: perRun(MetricName.GROUPS_RETENTION_AT_RISK),
      abandoned: perRun(MetricName.WINDOWS_ABANDONED),
      selected: perRun(MetricName.GROUPS_SELECTED),
    },
    period: Duration.minutes(1),
  });
  const coverageAlarm = coverage.createAlarm(scope, 'CoverageAlarm', {
    alarmDescription: 'The CloudWatch Logs archive is incomplete, however fresh: the last scheduled run selected no log group, could not find one the ' +
      'selection names, found log groups whose retention removes events before their export, or windows were left behind (further back than ' +
      'maxCatchUp). Its log says which; `npx cdk-cloudwatch-logs-s3-exporter coverage` lists them and the backfills that export what can still be exported.',
    threshold: 0,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.IGNORE,
  });
  const offloadAlarm = p.offload && exporterMetric(exporterId, MetricName.RETENTION_NOT_CHANGED, { statistic: 'Sum', period: Duration.hours(1) })
    .createAlarm(scope, 'OffloadAlarm', {
      alarmDescription: 'The exporter could not set a log group\'s CloudWatch Logs retention (offload), or cannot read its retention ledger: the group ' +
        'keeps the retention it had, which may be shorter than its events not yet archived need. The handler\'s log says which (filter: level = "WARN").',
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  if (p.alarmTopic) {
    const action = new cloudwatchActions.SnsAction(p.alarmTopic);
    for (const a of [failureAlarm, freshnessAlarm, coverageAlarm, ...(offloadAlarm ? [offloadAlarm] : [])]) {
      a.addAlarmAction(action);
      a.addOkAction(action);
    }
  }
  return { failureAlarm, freshnessAlarm, coverageAlarm, ...(offloadAlarm ? { offloadAlarm } : {}) };
}

/** What CloudWatch Logs charges to store a GB for a month (us-east-1). */
const LOGS_STORAGE_DOLLARS_PER_GB_MONTH = 0.03;

/** What the dashboard shows. */
export interface Watched {
  readonly failureAlarm: cloudwatch.IAlarm;
  readonly freshnessAlarm: cloudwatch.IAlarm;
  readonly coverageAlarm: cloudwatch.IAlarm;
  readonly offloadAlarm?: cloudwatch.IAlarm;
  readonly stateMachine: sfn.IStateMachine;
  readonly exporterId: string;
  readonly maxArchiveLagSeconds: number;
  /** Whether the exporter manages its groups' retention (the dashboard then shows what that saves). */
  readonly offload: boolean;
}

/**
 * A dashboard of the exporter: exports per day, failures, archive lag (against the freshness
 * alarm's threshold) and windows behind, export duration percentiles, executions, the share of
 * each window its exports took, what scheduled runs found about the selection, and the alarms.
 */
export function createDashboard(scope: Construct, w: Watched): cloudwatch.Dashboard {
  const day = Duration.days(1);
  const hour = Duration.hours(1);
  const metric = (name: string, props: cloudwatch.MetricOptions) => exporterMetric(w.exporterId, name, props);
  const sm = w.stateMachine;
  const dashboard = new cloudwatch.Dashboard(scope, 'Dashboard', { defaultInterval: Duration.days(14) });
  dashboard.addWidgets(
    new cloudwatch.AlarmStatusWidget({
      title: 'Alarms', alarms: [w.failureAlarm, w.freshnessAlarm, w.coverageAlarm, ...(w.offloadAlarm ? [w.offloadAlarm] : [])], width: 6, height: 6,
    }),
    new cloudwatch.GraphWidget({
      title: 'Exports per day',
      width: 9,
      left: [
        metric(MetricName.EXPORTS_COMPLETED, { statistic: 'Sum', period: day, label: 'completed' }),
        metric(MetricName.EXPORTS_RETRIED, { statistic: 'Sum', period: day, label: 'retried' }),
        metric(MetricName.EXPORTS_FAILED, { statistic: 'Sum', period: day, label: 'failed after every attempt' }),
      ],
    }),
    new cloudwatch.GraphWidget({
      title: 'Archive lag (hours) and windows behind',
      width: 9,
      left: [new cloudwatch.MathExpression({
        expression: 'lag / 3600', usingMetrics: { lag: metric(MetricName.ARCHIVE_LAG, { statistic: 'Maximum', period: hour }) }, label: 'archive lag (h)', period: hour,
      })],
      leftAnnotations: Token.isUnresolved(w.maxArchiveLagSeconds) ? []
        : [{ value: w.maxArchiveLagSeconds / 3600, label: 'freshness alarm', color: cloudwatch.Color.RED }],
      right: [metric(MetricName.WINDOWS_BEHIND, { statistic: 'Maximum', period: hour, label: 'windows behind' })],
    }),
  );
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: 'Export duration (seconds)',
      width: 12,
      left: ['p50', 'p90', 'p99', 'Maximum'].map((statistic) => metric(MetricName.EXPORT_DURATION, { statistic, period: hour, label: statistic })),
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
      right: [metric(MetricName.CAPACITY_USED, { statistic: 'Maximum', period: day, label: 'export capacity used (%)' })],
    }),
  );
  dashboard.addWidgets(new cloudwatch.GraphWidget({
    title: 'Coverage, per scheduled run',
    width: 24,
    left: [
      [MetricName.GROUPS_NOT_FOUND, 'log groups not found'],
      [MetricName.GROUPS_RETENTION_AT_RISK, 'log groups whose retention is too short'],
      [MetricName.WINDOWS_ABANDONED, 'windows left behind'],
    ].map(([name, label]) => metric(name, { statistic: 'Maximum', period: hour, label })),
    right: [metric(MetricName.GROUPS_SELECTED, { statistic: 'Minimum', period: hour, label: 'log groups selected' })],
  }));
  if (w.offload) {
    // CloudWatch Logs storage, us-east-1: $0.03 per GB-month.
    const dollars = (id: string, name: string, label: string) => new cloudwatch.MathExpression({
      expression: `${id} / 1000000000 * ${LOGS_STORAGE_DOLLARS_PER_GB_MONTH}`, usingMetrics: { [id]: metric(name, { statistic: 'Maximum', period: day }) }, label, period: day,
    });
    dashboard.addWidgets(new cloudwatch.GraphWidget({
      title: 'Offload: CloudWatch Logs storage of the managed log groups ($ a month)',
      width: 24,
      left: [
        dollars('stored', MetricName.MANAGED_STORED_BYTES, 'stored now'),
        dollars('avoided', MetricName.OFFLOADED_BYTES, 'avoided (estimate: what their retention before offload would keep)'),
      ],
      right: [metric(MetricName.RETENTION_NOT_CHANGED, { statistic: 'Sum', period: day, label: 'retention changes that failed' })],
    }));
  }
  return dashboard;
}
