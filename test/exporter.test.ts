import { App, Aspects, Duration, Stack, TimeZone } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CloudWatchLogsS3Exporter, CloudWatchLogsS3ExporterProps, ExportPeriod, LogGroupSelection } from '../src';
import { ACCOUNT, REGION, fromTemplate, resolve } from './harness/loop';
import { synth } from './harness/stack';

const LOGS_PRINCIPAL = { Service: 'logs.us-east-1.amazonaws.com' };
const SOURCE_CONDITIONS = {
  'aws:SourceAccount': ACCOUNT,
};

function definitionOf(template: Template): any {
  return fromTemplate(template.toJSON()).definition;
}

describe('CloudWatchLogsS3Exporter', () => {
  test('the state machine loops Task -> Choice -> Wait (SecondsPath) with the timeout as TimeoutSeconds', () => {
    const { template } = synth({ timeout: Duration.hours(6) });
    const d = definitionOf(template);
    expect(d.TimeoutSeconds).toBe(6 * 3600);
    expect(d.StartAt).toBe('Export');
    expect(d.States.Export).toMatchObject({ Type: 'Task', Next: 'WhatNext' });
    expect(d.States.WhatNext.Type).toBe('Choice');
    expect(d.States.WhatNext.Choices).toEqual(expect.arrayContaining([
      { Variable: '$.status', StringEquals: 'WAIT', Next: 'Wait' },
      { Variable: '$.status', StringEquals: 'CONTINUE', Next: 'ContinueAsNew' },
    ]));
    expect(d.States.Wait).toEqual(expect.objectContaining({ Type: 'Wait', SecondsPath: '$.waitSeconds', Next: 'Export' }));
    // Bad input fails at once; Lambda service errors and handler failures are retried with backoff.
    expect(d.States.Export.Retry[0]).toEqual({ ErrorEquals: ['InvalidInput'], MaxAttempts: 0 });
    expect(d.States.Export.Retry[1]).toMatchObject({ ErrorEquals: expect.arrayContaining(['Lambda.ServiceException', 'Lambda.TooManyRequestsException']), BackoffRate: 2 });
    expect(d.States.Export.Retry[2]).toMatchObject({ ErrorEquals: ['States.ALL'], MaxAttempts: 6 });
    expect(d.States.ContinueAsNew).toMatchObject({ Resource: expect.stringContaining(':states:::states:startExecution'), Parameters: { 'StateMachineArn.$': '$$.StateMachine.Id' } });
    expect(d.States.ExportsFailed).toEqual({ Type: 'Fail', ErrorPath: '$.error', CausePath: '$.cause' });
  });

  test('default schedule: daily at 01:00 in the export time zone, passing the scheduled time', () => {
    const { template } = synth({ timeZone: TimeZone.EUROPE_BERLIN });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 1 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      State: 'ENABLED',
      Target: Match.objectLike({ Input: '{"scheduledTime":"<aws.scheduler.scheduled-time>"}' }),
    });
  });

  test('a custom schedule and a disabled one', () => {
    const { template } = synth({ schedule: scheduler.ScheduleExpression.cron({ minute: '30', hour: '13', timeZone: TimeZone.ASIA_TOKYO }), scheduleEnabled: false });
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'cron(30 13 * * ? *)', ScheduleExpressionTimezone: 'Asia/Tokyo', State: 'DISABLED' });
  });

  test('the default bucket is private, encrypted, TLS-only, retained, and lets CloudWatch Logs write exports of this account', () => {
    const { template } = synth();
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: {
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          {
            Sid: 'CloudWatchLogsGetBucketAcl',
            Effect: 'Allow',
            Principal: LOGS_PRINCIPAL,
            Action: 's3:GetBucketAcl',
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('Bucket'), 'Arn'] },
            Condition: {
              StringEquals: SOURCE_CONDITIONS,
              ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:us-east-1:123456789012:log-group:*']] } },
            },
          },
          {
            Sid: 'CloudWatchLogsPutExports',
            Effect: 'Allow',
            Principal: LOGS_PRINCIPAL,
            Action: 's3:PutObject',
            Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('Bucket'), 'Arn'] }, '/exported-logs/*']] },
            Condition: {
              StringEquals: { ...SOURCE_CONDITIONS, 's3:x-amz-acl': 'bucket-owner-full-control' },
              ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:us-east-1:123456789012:log-group:*']] } },
            },
          },
        ]),
      },
    });
  });

  test('an imported bucket gets a synth-time warning naming the statements to add', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack', { env: { account: ACCOUNT, region: REGION } });
    new CloudWatchLogsS3Exporter(stack, 'Exporter', { bucket: s3.Bucket.fromBucketName(stack, 'Imported', 'central-logs'), keyPrefix: 'team-a' });
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('bucket is imported'));
    expect(warnings).toHaveLength(1);
    const text = JSON.stringify(resolve(JSON.parse(String(warnings[0].entry.data).replace(/^[^[]*|\s\[ack:.*$/g, '')), {}));
    expect(text).toContain('s3:GetBucketAcl');
    expect(text).toContain('arn:aws:s3:::central-logs/team-a/*');
    expect(text).toContain('bucket-owner-full-control');
  });

  test('a KMS-encrypted bucket: the key lets CloudWatch Logs and the handler use it', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack', { env: { account: ACCOUNT, region: REGION } });
    const key = new kms.Key(stack, 'Key');
    const bucket = new s3.Bucket(stack, 'Bucket', { encryption: s3.BucketEncryption.KMS, encryptionKey: key });
    new CloudWatchLogsS3Exporter(stack, 'Exporter', { bucket });
    Template.fromStack(stack).hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'CloudWatchLogsEncryptExports', Principal: LOGS_PRINCIPAL, Action: ['kms:GenerateDataKey', 'kms:Decrypt'] })]) },
    });
  });

  test('least privilege: * only for the read APIs, CreateExportTask on the selected groups, S3 on the prefix', () => {
    const { template } = synth({ logGroups: LogGroupSelection.prefixes(['/aws/lambda/', '/aws/lambda/orders-', '/ecs/']), keyPrefix: 'logs/raw' });
    const policies = template.findResources('AWS::IAM::Policy', { Properties: { PolicyName: Match.stringLikeRegexp('HandlerServiceRoleDefaultPolicy') } });
    const statements = Object.values<any>(policies)[0].Properties.PolicyDocument.Statement;
    const bySid = Object.fromEntries(statements.filter((s: any) => s.Sid).map((s: any) => [s.Sid, s]));
    expect(bySid.ReadLogGroupsAndExportTasks).toMatchObject({ Action: ['logs:DescribeLogGroups', 'logs:DescribeExportTasks'], Resource: '*' });
    // The inner prefix is covered by the outer one.
    expect(resolve(bySid.CreateExportTasks.Resource, {})).toEqual([
      'arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/*',
      'arn:aws:logs:us-east-1:123456789012:log-group:/ecs/*',
    ]);
    expect(bySid.ListExporterKeys.Condition).toEqual({ StringLike: { 's3:prefix': ['logs/raw/*'] } });
    expect(bySid.ReadWriteExporterState.Action).toEqual(['s3:GetObject', 's3:PutObject']);
    expect(JSON.stringify(bySid.ReadWriteExporterState.Resource)).toContain('/logs/raw/_state/*');
    const wildcards = statements.filter((s: any) => s.Resource === '*');
    expect(wildcards).toHaveLength(1);
  });

  test('exact names and ILogGroups scope CreateExportTask to those groups, and are passed to the handler', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack', { env: { account: ACCOUNT, region: REGION } });
    const group = new logs.LogGroup(stack, 'AppLogs', { logGroupName: '/app/orders' });
    new CloudWatchLogsS3Exporter(stack, 'Exporter', { logGroups: LogGroupSelection.logGroups([group]) });
    const t = Template.fromStack(stack);
    const text = JSON.stringify(resolve(t.findResources('AWS::IAM::Policy'), { AppLogsC5DF83A6: '/app/orders' }));
    expect(text).toContain('log-group:/app/orders:*');
    expect(text).not.toContain('log-group:*"');
    const fn = Object.values<any>(t.findResources('AWS::Lambda::Function', { Properties: { Environment: Match.anyValue() } }))[0];
    const config = JSON.parse(resolve(fn.Properties.Environment.Variables.EXPORTER_CONFIG, { AppLogsC5DF83A6: '/app/orders' }));
    expect(config.sources).toEqual([{ prefix: '/app/orders', exact: true }]);
    expect(config.excludeNames).toEqual([]);
  });

  test('the handler: Node.js 24 on arm64, timeout = max poll + 4.5 minutes', () => {
    const { template } = synth({ maxPollDuration: Duration.seconds(45) });
    template.hasResourceProperties('AWS::Lambda::Function', { Runtime: 'nodejs24.x', Architectures: ['arm64'], Timeout: 315, MemorySize: 128 });
  });

  test('alarm on failed, timed-out and aborted executions, notifying the topic', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack', { env: { account: ACCOUNT, region: REGION } });
    const topic = new sns.Topic(stack, 'Topic');
    new CloudWatchLogsS3Exporter(stack, 'Exporter', { alarmTopic: topic });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('Topic') }],
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)' }),
        Match.objectLike({ Id: 'failed', MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'ExecutionsFailed', Namespace: 'AWS/States' }) }) }),
        Match.objectLike({ Id: 'timedOut', MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'ExecutionsTimedOut' }) }) }),
        Match.objectLike({ Id: 'aborted', MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'ExecutionsAborted' }) }) }),
      ]),
    });
  });

  test('the construct\'s own log groups are not exported by a selection of all groups', () => {
    const { template } = synth({ logGroups: LogGroupSelection.all().excluding(['/aws/codebuild/']) });
    const fn = Object.values<any>(template.findResources('AWS::Lambda::Function', { Properties: { Environment: Match.anyValue() } }))[0];
    const config = JSON.stringify(fn.Properties.Environment.Variables.EXPORTER_CONFIG);
    expect(config).toContain('excludeNames');
    expect(config).toMatch(/"Ref\\?":\\?"ExporterHandlerLogs/);
    expect(config).toMatch(/"Ref\\?":\\?"ExporterStateMachineLogs/);
    expect(config).toContain('/aws/codebuild/');
  });

  test('upgrade safety: logical IDs of the stateful resources are stable', () => {
    const { template } = synth();
    // Changing one of these replaces the resource in every consumer's stack: a breaking change.
    expect(Object.keys(template.findResources('AWS::S3::Bucket'))).toEqual(['ExporterBucket07D301EB']);
    expect(Object.keys(template.findResources('AWS::Logs::LogGroup')).sort()).toEqual(['ExporterHandlerLogs97C4EF1F', 'ExporterStateMachineLogs3423AEBD']);
  });

  test('snapshot (asset hashes normalised)', () => {
    const { template } = synth({ exportPeriod: ExportPeriod.HOURLY });
    const json = JSON.stringify(template.toJSON()).replace(/[0-9a-f]{64}\.zip/g, 'HASH.zip');
    expect(JSON.parse(json)).toMatchSnapshot();
  });

  test('cdk-nag AwsSolutions: no unsuppressed findings', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack', { env: { account: ACCOUNT, region: REGION } });
    new CloudWatchLogsS3Exporter(stack, 'Exporter');
    Aspects.of(stack).add(new AwsSolutionsChecks({ verbose: true }));
    app.synth();
    const errors = Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*'));
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'));
    expect([...errors, ...warnings].map((e) => `${e.id}: ${e.entry.data}`)).toEqual([]);
    // Every suppression carries a reason.
    const reasons = Object.values<any>(Template.fromStack(stack).toJSON().Resources)
      .flatMap((r) => r.Metadata?.cdk_nag?.rules_to_suppress ?? []);
    expect(reasons.length).toBeGreaterThanOrEqual(6);
    for (const r of reasons) expect(r.reason.length).toBeGreaterThan(40);
  });
});

describe('props are validated at synth time', () => {
  const cases: [string, CloudWatchLogsS3ExporterProps | (() => CloudWatchLogsS3ExporterProps), RegExp][] = [
    ['timeout under 5 minutes', { timeout: Duration.minutes(4) }, /timeout must be between 5 minutes and 365 days, got 4 minutes/],
    ['timeout over a year', { timeout: Duration.days(366) }, /timeout must be between 5 minutes and 365 days/],
    ['keyPrefix with a leading slash', { keyPrefix: '/logs' }, /keyPrefix '\/logs' must be/],
    ['keyPrefix with a trailing slash', { keyPrefix: 'logs/' }, /keyPrefix 'logs\/' must be/],
    ['empty keyPrefix', { keyPrefix: '' }, /keyPrefix '' must be/],
    ['keyPrefix with a _state segment', { keyPrefix: 'a/_state' }, /must not contain a '_state' segment/],
    ['unknown time zone', { timeZone: TimeZone.of('Mars/Olympus_Mons') }, /timeZone 'Mars\/Olympus_Mons' is not an IANA time zone/],
    ['settle time over 7 days', { settleTime: Duration.days(8) }, /settleTime must be between 0 and 7 days/],
    ['maxCatchUp under one period', { maxCatchUp: Duration.hours(12) }, /maxCatchUp must be between one export period \(86400 s\) and 365 days/],
    ['maxCatchUp over 1000 hourly windows', { maxCatchUp: Duration.days(60), exportPeriod: ExportPeriod.HOURLY }, /maxCatchUp spans more than 1000 export windows/],
    ['maxAttempts 0', { maxAttempts: 0 }, /maxAttempts must be an integer from 1 to 10, got 0/],
    ['maxAttempts 2.5', { maxAttempts: 2.5 }, /maxAttempts must be an integer from 1 to 10, got 2.5/],
    ['maxPollDuration over 10 minutes', { maxPollDuration: Duration.minutes(11) }, /maxPollDuration must be between 0 and 10 minutes/],
    ['empty prefixes', () => ({ logGroups: LogGroupSelection.prefixes([]) }), /prefixes must not be empty/],
    ['invalid log group name', () => ({ logGroups: LogGroupSelection.names(['bad name!']) }), /names holds 'bad name!', which is not a log group name/],
    ['invalid excluded prefix', () => ({ logGroups: LogGroupSelection.all().excluding(['a b']) }), /excluded prefixes holds 'a b'/],
    ['too many names for the configuration', () => ({ logGroups: LogGroupSelection.names(Array.from({ length: 120 }, (_, i) => `/aws/lambda/function-number-${i}`)) }), /too long for the handler configuration/],
  ];
  test.each(cases)('%s', (_name, props, message) => {
    expect(() => synth(typeof props === 'function' ? props() : props)).toThrow(message);
  });
  test('ILogGroup selection needs at least one group', () => {
    expect(() => LogGroupSelection.logGroups([])).toThrow(/needs at least one log group/);
  });
});
