/**
 * What a second review of offload found at synthesis.
 */
import { App, Duration, Lazy, Stack } from 'aws-cdk-lib';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import { CloudWatchLogsS3ExporterProps } from '../../src';
import { synth } from '../harness/stack';

const topic = sns.Topic.fromTopicArn(new Stack(new App(), 'Topics'), 'Alerts', 'arn:aws:sns:eu-west-1:123456789012:alerts');
const OFFLOAD: CloudWatchLogsS3ExporterProps = { cloudWatchRetention: Duration.days(7), alarmTopic: topic };

test('a schedule known only at deploy time (a token) is refused with offload: its headroom and lag rest on the schedule\'s longest interval', () => {
  const props = { ...OFFLOAD, maxCatchUp: Duration.days(30) };
  // Known at synth time, a schedule every 5 days is refused: offload's headroom, lag and minimum retention rest on its longest interval.
  expect(() => synth({ ...props, schedule: scheduler.ScheduleExpression.rate(Duration.days(5)) })).toThrow(/cloudWatchRetention/);
  // The same schedule as a token (a CfnParameter, an imported value; here a Lazy that resolves to it) is accepted today, and the
  // handler is told scheduleIntervalSeconds 86400, a headroom of 4 days and a 7-day retention: offload needs the schedule at synth.
  const every5Days = scheduler.ScheduleExpression.expression(Lazy.string({ produce: () => 'rate(5 days)' }));
  expect(() => synth({ ...props, schedule: every5Days })).toThrow(/schedule/);
});
