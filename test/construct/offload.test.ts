/**
 * Offload's prop: what the handler may do (and never do) in IAM, what it is told, and the
 * refusals at synthesis where offload could lose events or nobody would be told.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import { CloudWatchLogsS3ExporterProps, LogGroupSelection } from '../../src';
import { fromTemplate } from '../harness/loop';
import { synth } from '../harness/stack';

const topic = sns.Topic.fromTopicArn(new Stack(new App(), 'Topics'), 'Alerts', 'arn:aws:sns:eu-west-1:123456789012:alerts');
const OFFLOAD: CloudWatchLogsS3ExporterProps = { cloudWatchRetention: Duration.days(7), alarmTopic: topic };

function handlerStatements(props: CloudWatchLogsS3ExporterProps): any[] {
  const { template } = synth(props);
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

describe('IAM', () => {
  test('retention calls on the selected groups only; a Deny for the excluded prefixes and the construct\'s own groups', () => {
    const statements = handlerStatements({ ...OFFLOAD, logGroups: LogGroupSelection.all().excluding(['/aws/rds/', 'audit-']) });
    const allow = statements.find((s) => s.Sid === 'CreateExportTasks');
    expect(allow.Action).toEqual(expect.arrayContaining(['logs:PutRetentionPolicy', 'logs:DeleteRetentionPolicy', 'logs:FilterLogEvents']));
    const deny = statements.find((s) => s.Effect === 'Deny' && s.Sid === 'NeverChangeRetentionOfUnselectedGroups');
    expect(deny.Action).toEqual(['logs:PutRetentionPolicy', 'logs:DeleteRetentionPolicy']);
    const resources = JSON.stringify(deny.Resource);
    expect(resources).toMatch(/log-group:\/aws\/rds\/\*/);
    expect(resources).toMatch(/log-group:audit-\*/);
    // The handler's and the state machine's log groups, with and without the ':*' of their streams.
    expect(resources.match(/"Ref":"ExporterHandlerLogs[0-9A-F]+"/g)?.length).toBe(2);
    expect(resources.match(/"Ref":"ExporterStateMachineLogs[0-9A-F]+"/g)?.length).toBe(2);
    // No retention call anywhere else.
    for (const s of statements.filter((x) => x.Effect !== 'Deny' && x !== allow)) expect(JSON.stringify(s.Action)).not.toMatch(/RetentionPolicy|FilterLogEvents/);
  });

  test('without the prop, no retention permission at all', () => {
    expect(JSON.stringify(handlerStatements({}))).not.toMatch(/RetentionPolicy|FilterLogEvents/);
  });

  test('the handler is told the retention, its headroom and the alarm threshold, rounded up to what CloudWatch Logs allows', () => {
    const configOf = (props: CloudWatchLogsS3ExporterProps) => fromTemplate(synth(props).template.toJSON(), 'bucket').config;
    const config = configOf({ ...OFFLOAD, cloudWatchRetention: Duration.days(10), offloadHistoryBefore: '2026-01-01' });
    expect(config.retentionDays).toBe(14);
    // One period, the schedule's longest interval, and two days.
    expect(config.retentionHeadroomSeconds).toBe(4 * 86_400);
    expect(config.retentionLagSeconds).toBe(90 * 3_600);
    expect(config.retentionArchivedBefore).toBe(Date.parse('2026-01-01T00:00:00Z'));
    expect(configOf({}).retentionDays).toBeUndefined();
  });
});

test('the dashboard shows what the managed groups store and what offload spares, in dollars a month, and failed retention changes', () => {
  const body = (props: CloudWatchLogsS3ExporterProps) => JSON.stringify(synth({ ...props, dashboard: true }).template.findResources('AWS::CloudWatch::Dashboard'));
  const offload = body(OFFLOAD);
  for (const m of ['ManagedStoredBytes', 'OffloadedBytes', 'RetentionNotChanged']) expect(offload).toContain(m);
  expect(offload).toContain('stored / 1000000000 * 0.03');
  expect(offload).toContain('avoided / 1000000000 * 0.03');
  expect(body({})).not.toContain('ManagedStoredBytes');
});

describe('refused at synthesis', () => {
  test.each([
    ['a retention shorter than maxArchiveLag + one period + 2 days', { ...OFFLOAD, cloudWatchRetention: Duration.days(6) },
      /cloudWatchRetention \(6 days\) must be at least maxArchiveLag \+ one export period \+ 2 days \(6\.75 days\)/],
    ['the same with a longer maxArchiveLag', { ...OFFLOAD, maxArchiveLag: Duration.days(10) }, /at least maxArchiveLag \+ one export period \+ 2 days \(13 days\)/],
    ['no alarm topic', { cloudWatchRetention: Duration.days(7) }, /cloudWatchRetention needs alarmTopic/],
    ['a disabled schedule', { ...OFFLOAD, scheduleEnabled: false }, /cloudWatchRetention needs scheduleEnabled/],
    ['a schedule the freshness alarm cannot watch', {
      ...OFFLOAD,
      cloudWatchRetention: Duration.days(30),
      maxCatchUp: Duration.days(30),
      schedule: scheduler.ScheduleExpression.rate(Duration.days(5)),
    }, /cloudWatchRetention needs a schedule the freshness alarm can watch/],
    ['longer than CloudWatch Logs allows', { ...OFFLOAD, cloudWatchRetention: Duration.days(4000) }, /longer than CloudWatch Logs allows/],
    ['a history date without the retention', { offloadHistoryBefore: '2026-01-01' }, /offloadHistoryBefore is only read with cloudWatchRetention/],
    ['a history date in the future', { ...OFFLOAD, offloadHistoryBefore: '2999-01-01' }, /offloadHistoryBefore \(2999-01-01\) is in the future/],
    ['a history date that is not one', { ...OFFLOAD, offloadHistoryBefore: '2026-02-30' }, /offloadHistoryBefore must be a date written YYYY-MM-DD \(UTC\), got '2026-02-30'/],
    ['a retention that is not a Duration', { ...OFFLOAD, cloudWatchRetention: 7 as any }, /cloudWatchRetention must be a Duration such as Duration.days\(7\), got the number 7/],
  ])('%s', (_name, props, message) => {
    expect(() => synth(props as CloudWatchLogsS3ExporterProps)).toThrow(message);
  });

  test('the smallest retention the defaults allow is accepted, with an alarm on failed retention changes that notifies the topic', () => {
    const { template } = synth(OFFLOAD);
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter((a: any) => a.Properties.MetricName === 'RetentionNotChanged');
    expect(alarms).toHaveLength(1);
    expect(JSON.stringify((alarms[0] as any).Properties.AlarmActions)).toContain('alerts');
    expect(Object.values(synth({}).template.findResources('AWS::CloudWatch::Alarm')).some((a: any) => a.Properties.MetricName === 'RetentionNotChanged')).toBe(false);
  });
});
