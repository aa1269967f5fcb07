import { App, Aspects, CfnParameter, Annotations as CoreAnnotations, Duration, Fn, Stack, TimeZone } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CloudWatchLogsS3Exporter, CloudWatchLogsS3ExporterProps, ExportDestination, ExportPeriod, LogGroupSelection } from '../../src';
import { ACCOUNT, REGION, fromTemplate, resolve } from '../harness/loop';
import { synth } from '../harness/stack';

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
    // Each turn gets the configuration and what tells a replayed turn from a new one.
    expect(d.States.Export.Parameters).toMatchObject({
      'config': { keyPrefix: 'exported-logs', period: 'P1D', executionTimeoutSeconds: 6 * 3600, lambdaTimeoutSeconds: 330 },
      'input.$': '$',
      'executionArn.$': '$$.Execution.Id',
      'retryCount.$': '$$.State.RetryCount',
      'redriveCount.$': '$$.Execution.RedriveCount',
    });
    // Bad input and another exporter's key prefix fail at once; throttling and handler failures are retried with backoff.
    expect(d.States.Export.Retry[0]).toEqual({ ErrorEquals: ['InvalidInput', 'PrefixInUse'], MaxAttempts: 0 });
    expect(d.States.Export.Retry[1]).toMatchObject({ ErrorEquals: ['Lambda.TooManyRequestsException'], BackoffRate: 2 });
    expect(d.States.Export.Retry[3]).toMatchObject({ ErrorEquals: ['States.ALL'], MaxAttempts: 6 });
    // No answer from an invocation that may still run: no retry before it must have ended (its timeout, 330 s), whatever the jitter.
    const fencing = d.States.Export.Retry[2];
    expect(fencing.ErrorEquals).toEqual(expect.arrayContaining(['Lambda.ClientExecutionTimeoutException', 'Lambda.SdkClientException', 'Lambda.ServiceException']));
    expect(fencing.IntervalSeconds).toBeGreaterThan(330);
    expect(fencing.BackoffRate).toBeGreaterThanOrEqual(1);
    expect(fencing.JitterStrategy ?? 'NONE').toBe('NONE');
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

  test("the default bucket's lifecycle rules reach the exports, never the state: a rule that could is refused at synth, naming the prefix to give", () => {
    const colder = {
      prefix: 'exported-logs/',
      transitions: [{ storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(30) }],
      expiration: Duration.days(400),
    };
    const { template } = synth({ destination: ExportDestination.newBucket({ lifecycleRules: [colder] }) });
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: [
          { Id: 'ExporterStateOldVersions', Prefix: '_state/', NoncurrentVersionExpiration: { NoncurrentDays: 3 }, Status: 'Enabled' },
          { Prefix: 'exported-logs/', Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 30 }], ExpirationInDays: 400, Status: 'Enabled' },
        ],
      },
    });
    for (const prefix of [undefined, '', '_', '_state/', '_state/exported-logs/done/']) {
      expect(() => synth({ destination: ExportDestination.newBucket({ lifecycleRules: [{ ...colder, prefix }] }) }))
        .toThrow(/CloudWatchLogsS3Exporter: lifecycleRules\[0\] .*reaches the exporters' state under _state\/ .*give it the prefix of the exports, 'exported-logs\/'/);
    }
  });

  test('the default bucket is private, encrypted, TLS-only, versioned, retained, and lets CloudWatch Logs write exports of this account, never the state', () => {
    const { template } = synth();
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: {
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        // Tamper-evident: a change is a new version. The state's old versions (the lease is rewritten
        // every quarter of an hour) expire; the exports keep theirs. No Object Lock unless asked.
        VersioningConfiguration: { Status: 'Enabled' },
        LifecycleConfiguration: { Rules: [{ Id: 'ExporterStateOldVersions', Prefix: '_state/', NoncurrentVersionExpiration: { NoncurrentDays: 3 }, Status: 'Enabled' }] },
        ObjectLockEnabled: Match.absent(),
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          {
            Sid: Match.stringLikeRegexp('^CloudWatchLogsGetBucketAcl[0-9A-F]{8}$'),
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
            Sid: Match.stringLikeRegexp('^CloudWatchLogsPutExports[0-9A-F]{8}$'),
            Effect: 'Allow',
            Principal: LOGS_PRINCIPAL,
            Action: 's3:PutObject',
            Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('Bucket'), 'Arn'] }, '/exported-logs/*']] },
            Condition: {
              StringEquals: { ...SOURCE_CONDITIONS, 's3:x-amz-acl': 'bucket-owner-full-control' },
              ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:us-east-1:123456789012:log-group:*']] } },
            },
          },
          // No export, whoever starts it, can write into any exporter's state: neither CloudWatch
          // Logs as itself, nor any principal whose permission a service uses (forward access).
          {
            Sid: 'CloudWatchLogsNeverWritesState',
            Effect: 'Deny',
            Principal: LOGS_PRINCIPAL,
            Action: 's3:PutObject',
            Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('Bucket'), 'Arn'] }, '/_state/*']] },
          },
          {
            Sid: 'NoStateWritesThroughServices',
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 's3:PutObject',
            Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('Bucket'), 'Arn'] }, '/_state/*']] },
            Condition: { Bool: { 'aws:ViaAWSService': 'true' } },
          },
        ]),
      },
    });
  });

  test('objectLockRetention locks the bucket it creates', () => {
    const objectLockRetention = s3.ObjectLockRetention.compliance(Duration.days(2555));
    const { template } = synth({ destination: ExportDestination.newBucket({ objectLockRetention }) });
    template.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 2555 } } },
      VersioningConfiguration: { Status: 'Enabled' },
    });
  });

  test('an imported bucket gets a synth-time warning naming the statements to add', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack', { env: { account: ACCOUNT, region: REGION } });
    new CloudWatchLogsS3Exporter(stack, 'Exporter', { destination: ExportDestination.fromBucket(s3.Bucket.fromBucketName(stack, 'Imported', 'central-logs'), { keyPrefix: 'team-a' }) });
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
    new CloudWatchLogsS3Exporter(stack, 'Exporter', { destination: ExportDestination.fromBucket(bucket) });
    // As AWS documents it for exports to an SSE-KMS bucket: no condition.
    Template.fromStack(stack).hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([{
          Sid: Match.stringLikeRegexp('^CloudWatchLogsEncryptExports'), Effect: 'Allow', Principal: LOGS_PRINCIPAL, Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: '*',
        }]),
      },
    });
  });

  test('least privilege: * only for the read APIs, CreateExportTask on the selected groups, S3 on the prefix', () => {
    const { template } = synth({ logGroups: LogGroupSelection.prefixes(['/aws/lambda/', '/aws/lambda/orders-', '/ecs/']), destination: ExportDestination.newBucket({ keyPrefix: 'logs/raw' }) });
    const policies = template.findResources('AWS::IAM::Policy', { Properties: { PolicyName: Match.stringLikeRegexp('HandlerRoleDefaultPolicy') } });
    const statements = Object.values<any>(policies)[0].Properties.PolicyDocument.Statement;
    // No managed policy (AWSLambdaBasicExecutionRole would allow log actions on every log group): it writes its own log group only.
    const role = Object.values<any>(template.findResources('AWS::IAM::Role', { Properties: { AssumeRolePolicyDocument: Match.objectLike({ Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })] }) } }))[0];
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const logWrites = statements.filter((s: any) => JSON.stringify(s.Action).includes('logs:PutLogEvents'));
    expect(logWrites).toEqual([{ Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^ExporterHandlerLogs/), 'Arn'] } }].map((x) => expect.objectContaining(x)));
    const bySid = Object.fromEntries(statements.filter((s: any) => s.Sid).map((s: any) => [s.Sid, s]));
    expect(bySid.ReadLogGroupsAndExportTasks).toMatchObject({ Action: ['logs:DescribeLogGroups', 'logs:DescribeExportTasks'], Resource: '*' });
    // The inner prefix is covered by the outer one.
    expect(resolve(bySid.CreateExportTasks.Resource, {})).toEqual([
      'arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/*',
      'arn:aws:logs:us-east-1:123456789012:log-group:/ecs/*',
    ]);
    expect(bySid.ListExporterKeys.Condition).toEqual({ StringLike: { 's3:prefix': ['logs/raw/*', '_state/logs/raw/*'] } });
    expect(bySid.ReadWriteExporterObjects.Action).toEqual(['s3:GetObject', 's3:PutObject', 's3:PutObjectRetention']);
    expect(JSON.stringify(bySid.ReadWriteExporterObjects.Resource)).toMatch(/"\/_state\/logs\/raw\/\*"/);
    // Its own bucket is of its account: it writes its state only (CloudWatch Logs writes the exports), and reads the bucket's Object Lock configuration.
    expect(JSON.stringify(bySid.ReadWriteExporterObjects.Resource)).not.toMatch(/"\/logs\/raw\/\*"/);
    expect(bySid.ReadBucketSettings.Action).toEqual('s3:GetBucketObjectLockConfiguration');
    // The log groups' IncomingBytes metric (GetMetricData has no resource-level permissions).
    expect(bySid.ReadIncomingBytes).toMatchObject({ Action: 'cloudwatch:GetMetricData', Resource: '*' });
    const wildcards = statements.filter((s: any) => s.Resource === '*');
    expect(wildcards.map((s: any) => s.Sid)).toEqual(['ReadLogGroupsAndExportTasks', 'ReadIncomingBytes']);
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
    const config = fromTemplate(resolve(t.toJSON(), { AppLogsC5DF83A6: '/app/orders' })).config;
    expect(config.sources).toEqual([{ prefix: '/app/orders', exact: true }]);
    expect(config.excludeNames).toEqual([]);
    // CloudWatch Logs may write exports of these groups only.
    const policy = JSON.stringify(resolve(t.findResources('AWS::S3::BucketPolicy'), { AppLogsC5DF83A6: '/app/orders' }));
    expect(policy).toContain('"aws:SourceArn":["arn:aws:logs:us-east-1:123456789012:log-group:/app/orders","arn:aws:logs:us-east-1:123456789012:log-group:/app/orders:*"]');
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
    const config = fromTemplate(template.toJSON()).config;
    expect(config.excludeNames).toEqual(['/own/ExporterHandlerLogs97C4EF1F', '/own/ExporterStateMachineLogs3423AEBD']);
    expect(config.excludePrefixes).toEqual(['/aws/codebuild/']);
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

describe('no silent gap: freshness alarm, metrics, dashboard', () => {
  test('the freshness alarm fires above the lag a daily run sees after one missed run, and when no run reports for two days and an hour', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack', { env: { account: ACCOUNT, region: REGION } });
    const topic = new sns.Topic(stack, 'Topic');
    const exporter = new CloudWatchLogsS3Exporter(stack, 'Exporter', { alarmTopic: topic });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'CloudWatchLogsS3Exporter',
      MetricName: 'ArchiveLag',
      Dimensions: [{ Name: 'Exporter', Value: '123456789012/us-east-1/Stack/Stack/Exporter' }, { Name: 'service', Value: 'cloudwatch-logs-s3-exporter' }],
      Statistic: 'Maximum',
      // Two of the schedule's longest intervals (a day) and an hour: missing data is a schedule that stopped, not one missed run.
      Period: 49 * 3600,
      EvaluationPeriods: 1,
      TreatMissingData: 'breaching',
      ComparisonOperator: 'GreaterThanThreshold',
      // A day (period) + 12 h (settle time) + two days (the schedule, one run missed) + 6 h.
      Threshold: 90 * 3600,
      AlarmActions: [{ Ref: Match.stringLikeRegexp('Topic') }],
    });
    expect(exporter.freshnessAlarm.alarmArn).toBeDefined();
    // All three alarms notify the topic when they go into alarm, and when they are OK again.
    const topicRef = [{ Ref: expect.stringMatching(/^Topic/) }];
    expect(Object.values<any>(t.findResources('AWS::CloudWatch::Alarm')).map((a) => [a.Properties.AlarmActions, a.Properties.OKActions]))
      .toEqual([[topicRef, topicRef], [topicRef, topicRef], [topicRef, topicRef]]);
  });

  test('the coverage alarm: any log group not found or at risk, any window abandoned, or no log group selected, in the last scheduled run', () => {
    const { template, exporter } = synth();
    const alarms = template.findResources('AWS::CloudWatch::Alarm', { Properties: { Metrics: Match.arrayWith([Match.objectLike({ Expression: Match.anyValue() })]) } });
    const coverage = Object.values<any>(alarms).find((a) => JSON.stringify(a).includes('WindowsAbandoned')).Properties;
    expect(coverage).toMatchObject({
      Threshold: 0,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanThreshold',
      // Without a run, it keeps its state (the freshness alarm watches silence): a backfill that exports the abandoned windows does not clear it, the next scheduled run does.
      TreatMissingData: 'ignore',
    });
    expect(coverage.Metrics.find((m: any) => m.Expression).Expression).toBe('notFound + atRisk + abandoned + IF(selected == 0, 1, 0)');
    const inputs = Object.fromEntries(coverage.Metrics.filter((m: any) => m.MetricStat)
      .map((m: any) => [m.Id, [m.MetricStat.Metric.MetricName, m.MetricStat.Stat, m.MetricStat.Period]]));
    // A minute holds one run's figures, published together at its end: the alarm follows the last run, not the ones before.
    expect(inputs).toEqual({
      notFound: ['GroupsNotFound', 'Maximum', 60],
      atRisk: ['GroupsRetentionAtRisk', 'Maximum', 60],
      abandoned: ['WindowsAbandoned', 'Maximum', 60],
      selected: ['GroupsSelected', 'Maximum', 60],
    });
    expect(exporter.coverageAlarm.alarmArn).toBeDefined();
  });

  test('the freshness alarm follows the schedule and the export period; maxArchiveLag below what a run sees when all is well is refused', () => {
    const { template } = synth({
      exportPeriod: ExportPeriod.HOURLY,
      schedule: scheduler.ScheduleExpression.rate(Duration.minutes(20)),
      settleTime: Duration.hours(1),
      maxArchiveLag: Duration.hours(4),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ArchiveLag', Period: 100 * 60, Threshold: 4 * 3600 });
    expect(() => synth({ maxArchiveLag: Duration.hours(48) })).toThrow(/maxArchiveLag \(172800 s\) must be at least one export period \+ settleTime \+ the schedule's longest interval \(216000 s\)/);
    expect(() => synth({ schedule: scheduler.ScheduleExpression.at(new Date('2026-12-01T01:00:00Z')) })).toThrow(/schedule 'at\(2026-12-01T01:00:00\)' stops running/);
  });

  test('metric methods name the metrics the handler publishes, with the exporter as dimension', () => {
    const { exporter, stack } = synth();
    const cases: Array<[cloudwatch.Metric, string, string]> = [
      [exporter.metricExportsCompleted(), 'ExportsCompleted', 'Sum'],
      [exporter.metricExportsFailed(), 'ExportsFailed', 'Sum'],
      [exporter.metricExportDuration({ statistic: 'p90', period: Duration.hours(1) }), 'ExportDuration', 'p90'],
      [exporter.metricArchiveLag(), 'ArchiveLag', 'Maximum'],
      [exporter.metricWindowsBehind(), 'WindowsBehind', 'Maximum'],
      [exporter.metric('Throttled', { statistic: 'Sum' }), 'Throttled', 'Sum'],
      [exporter.metricGroupsSelected(), 'GroupsSelected', 'Minimum'],
      [exporter.metricWindowsAbandoned(), 'WindowsAbandoned', 'Maximum'],
    ];
    for (const [m, name, statistic] of cases) {
      expect({ name: m.metricName, namespace: m.namespace, statistic: m.statistic, dims: stack.resolve(m.dimensions) })
        .toEqual({ name, namespace: 'CloudWatchLogsS3Exporter', statistic, dims: { service: 'cloudwatch-logs-s3-exporter', Exporter: '123456789012/us-east-1/Stack/Stack/Exporter' } });
    }
  });

  test('a dashboard on request: exports, failures, lag, windows behind, durations, executions, both alarms', () => {
    expect(Object.keys(synth().template.findResources('AWS::CloudWatch::Dashboard'))).toHaveLength(0);
    const { template, exporter } = synth({ dashboard: true });
    expect(exporter.addDashboard()).toBe(exporter.addDashboard());
    const body = JSON.stringify(Object.values<any>(template.findResources('AWS::CloudWatch::Dashboard'))[0].Properties.DashboardBody);
    for (const text of ['ExportsCompleted', 'ExportsFailed', 'ArchiveLag', 'WindowsBehind', 'ExportDuration', 'p99', 'ExecutionsStarted', 'ExecutionsTimedOut', 'Alarms',
      'GroupsSelected', 'GroupsNotFound', 'GroupsRetentionAtRisk', 'WindowsAbandoned']) {
      expect([text, body.includes(text)]).toEqual([text, true]);
    }
    expect(body.match(/FailureAlarm|FreshnessAlarm|CoverageAlarm/g)?.length).toBeGreaterThanOrEqual(3);
  });
});

describe('what a new user trips over', () => {
  test('an hourly exporter runs every hour by default, 5 minutes after the settle time ends, in its time zone', () => {
    synth({ exportPeriod: ExportPeriod.HOURLY, timeZone: TimeZone.ASIA_KOLKATA }).template
      .hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'cron(5 * * * ? *)', ScheduleExpressionTimezone: 'Asia/Kolkata' });
    synth({ exportPeriod: ExportPeriod.HOURLY, settleTime: Duration.minutes(90) }).template
      .hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'cron(35 * * * ? *)' });
    // Daily stays at 01:00.
    synth().template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'cron(0 1 * * ? *)' });
  });

  test.each([
    ['a schedule whose own time zone is not an IANA zone', () => ({ schedule: scheduler.ScheduleExpression.cron({ hour: '1', minute: '0', timeZone: TimeZone.of('Asia/Tokio') }) }),
      /schedule's time zone 'Asia\/Tokio' is not an IANA time zone/],
    ['a time zone spelled in another case', () => ({ timeZone: TimeZone.of('utc') }),
      /timeZone 'utc' is spelled 'UTC' in the IANA time zone database, and EventBridge Scheduler reads it as written: use TimeZone.of\('UTC'\)/],
    ["a schedule's time zone spelled in another case", () => ({ schedule: scheduler.ScheduleExpression.cron({ hour: '1', minute: '0', timeZone: TimeZone.of('europe/berlin') }) }),
      /schedule's time zone 'europe\/berlin' is spelled 'Europe\/Berlin' in the IANA time zone database/],
    ['a log group selection of more prefixes than the configuration holds', () => ({
      logGroups: LogGroupSelection.prefixes(Array.from({ length: 2_000 }, (_, i) => `/aws/lambda/a-function-with-a-rather-long-name-number-${i}-`)),
    }), /logGroups has so many prefixes that the exporter's configuration could reach \d+ bytes \(at most 131072; .*\): use fewer, shorter prefixes/],
    ['an exclusion that removes the whole selection', () => ({ logGroups: LogGroupSelection.prefixes(['/aws/lambda/']).excluding(['/aws/lambda/']) }),
      /the excluded prefixes \["\/aws\/lambda\/"\] remove every selected log group/],
    ['a time zone passed as a string (JavaScript)', () => ({ timeZone: 'Asia/Tokyo' as any }), /timeZone must be a TimeZone such as TimeZone.of\('Asia\/Tokyo'\), got the string 'Asia\/Tokyo'/],
    ['an export period passed as a string (JavaScript)', () => ({ exportPeriod: 'HOURLY' as any }), /exportPeriod must be a ExportPeriod such as ExportPeriod.HOURLY, got the string 'HOURLY'/],
    ['a duration passed as a number (JavaScript)', () => ({ settleTime: 3600 as any }), /settleTime must be a Duration such as Duration.hours\(12\), got the number 3600/],
    ['a retention passed by its name (JavaScript)', () => ({ logRetention: 'ONE_WEEK' as any }), /logRetention must be one of logs.RetentionDays, got the string 'ONE_WEEK'/],
    ['a schedule whose runs are further apart than maxCatchUp reaches back', () => ({ schedule: scheduler.ScheduleExpression.rate(Duration.days(7)), maxCatchUp: Duration.days(3) }),
      /maxCatchUp \(3 days\) reaches back 3 P1D window\(s\), and up to 7 settle between two runs of schedule 'rate\(7 days\)': .* Make maxCatchUp at least 7 days/],
    // EventBridge Scheduler runs a cron once in the hour a clock change repeats: two runs two hours (two windows) apart.
    ['an hourly Berlin exporter whose maxCatchUp is one hour: the autumn night\'s repeated hour', () => ({
      exportPeriod: ExportPeriod.HOURLY, timeZone: TimeZone.EUROPE_BERLIN, settleTime: Duration.hours(0), maxCatchUp: Duration.hours(1),
    }), /maxCatchUp \(1 hour\) reaches back 1 PT1H window\(s\), and up to 2 settle between two runs of schedule 'cron\(5 \* \* \* \? \*\)' \(between the runs of 2026-10-25T00:05:00.000Z and 2026-10-25T02:05:00.000Z, the zone's clock changes counted\)/],
  ])('%s fails at synth, naming the prop', (_name, props, message) => {
    expect(() => synth(props())).toThrow(message);
  });

  test.each([
    ['a cron schedule without a time zone while timeZone is not UTC', { timeZone: TimeZone.EUROPE_BERLIN, schedule: scheduler.ScheduleExpression.cron({ hour: '1', minute: '0' }) },
      'cdk-cloudwatch-logs-s3-exporter:scheduleTimeZone', /runs in Etc\/UTC \(UTC, also the zone of a cron given none\), while the export windows are in Europe\/Berlin/],
    ['a schedule that runs less often than the export period', { schedule: scheduler.ScheduleExpression.rate(Duration.days(2)) },
      'cdk-cloudwatch-logs-s3-exporter:scheduleInterval', /runs less often than the export period \(every 2 days, P1D windows\)/],
    ['a schedule that runs every minute, for daily windows', { schedule: scheduler.ScheduleExpression.rate(Duration.minutes(1)) },
      'cdk-cloudwatch-logs-s3-exporter:scheduleFrequency', /schedule 'rate\(1 minute\)' runs 1,440 times a day, up to 1,440 times per P1D window: .* about \$4.3 a month in all \(\$0.0001 a run/],
    ['an hourly cron, for daily windows', { schedule: scheduler.ScheduleExpression.cron({ minute: '0' }) },
      'cdk-cloudwatch-logs-s3-exporter:scheduleFrequency', /schedule 'cron\(0 \* \* \* \? \*\)' runs 24 times a day, up to 24 times per P1D window/],
    ['every 5 minutes, for hourly windows', { exportPeriod: ExportPeriod.HOURLY, schedule: scheduler.ScheduleExpression.rate(Duration.minutes(5)) },
      'cdk-cloudwatch-logs-s3-exporter:scheduleFrequency', /schedule 'rate\(5 minutes\)' runs 288 times a day, up to 12 times per PT1H window/],
    ['log groups whose exports Athena cannot read through the table (\'//\', a trailing \'/\', \'#\')',
      { logGroups: LogGroupSelection.names(['/app//orders', '/app/payments/', '/app/fine', '//app/fine-too', '/app/#1']) },
      'cdk-cloudwatch-logs-s3-exporter:athenaNames', /logGroups selects the log group '\/app\/\/orders', the log group '\/app\/payments\/', the log group '\/app\/#1', whose exports Athena reads wrongly/],
    ['a prefix whose groups Athena cannot read through the table', { logGroups: LogGroupSelection.prefixes(['/app//', '/fine/']) },
      'cdk-cloudwatch-logs-s3-exporter:athenaNames', /logGroups selects the prefix '\/app\/\/', whose exports/],
  ])('%s warns, and the warning can be acknowledged', (_name, props, id, message) => {
    const { stack, exporter } = synth(props);
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp(message.source))).toHaveLength(1);
    const { stack: acked } = synth(props, { change: (e) => CoreAnnotations.of(e).acknowledgeWarning(id, 'meant') });
    expect(Annotations.fromStack(acked).findWarning('*', Match.stringLikeRegexp(message.source))).toHaveLength(0);
    expect(exporter).toBeDefined();
  });

  test("an imported bucket's warning is a policy a person can paste: names resolved, no CloudFormation", () => {
    const app = new App();
    const stack = new Stack(app, 'Stack', { env: { account: ACCOUNT, region: 'eu-central-1' } });
    new CloudWatchLogsS3Exporter(stack, 'Exporter', { destination: ExportDestination.fromBucket(s3.Bucket.fromBucketName(stack, 'Imported', 'existing-archive'), { keyPrefix: 'team-a' }) });
    const [warning] = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('bucket is imported'));
    const text = String(warning.entry.data);
    expect(text).not.toMatch(/Fn::|"Ref"|\$\{Token/);
    const statements = JSON.parse(text.slice(text.indexOf('['), text.lastIndexOf(' [ack:')));
    expect(statements.map((s: any) => [s.Effect, s.Action, s.Resource])).toEqual([
      ['Allow', 's3:GetBucketAcl', 'arn:aws:s3:::existing-archive'],
      ['Allow', 's3:PutObject', 'arn:aws:s3:::existing-archive/team-a/*'],
      ['Deny', 's3:PutObject', 'arn:aws:s3:::existing-archive/_state/*'],
      ['Deny', 's3:PutObject', 'arn:aws:s3:::existing-archive/_state/*'],
    ]);
    expect(statements[3]).toMatchObject({ Principal: { AWS: '*' }, Condition: { Bool: { 'aws:ViaAWSService': 'true' } } });
    expect(statements[1].Condition.ArnLike['aws:SourceArn']).toBe('arn:aws:logs:eu-central-1:123456789012:log-group:*');
    expect(text).toContain('[ack: cdk-cloudwatch-logs-s3-exporter:bucketPolicy]');
    // Without an environment, what is not known is a placeholder.
    const agnostic = new Stack(new App(), 'Agnostic');
    new CloudWatchLogsS3Exporter(agnostic, 'Exporter', { destination: ExportDestination.fromBucket(s3.Bucket.fromBucketName(agnostic, 'Imported', 'existing-archive')) });
    const other = String(Annotations.fromStack(agnostic).findWarning('*', Match.stringLikeRegexp('bucket is imported'))[0].entry.data);
    expect(other).toContain('"arn:<partition>:logs:<region>:<account-id>:log-group:*"');
    expect(other).toContain('"aws:SourceAccount": "<account-id>"');
  });

  test('the statements for a bucket imported with Fn.importValue name what is not known, readably', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack', { env: { account: ACCOUNT, region: REGION } });
    new CloudWatchLogsS3Exporter(stack, 'Exporter', { destination: ExportDestination.fromBucket(s3.Bucket.fromBucketName(stack, 'B', Fn.importValue('LogArchiveBucketName'))) });
    const text = String(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('The bucket is imported'))[0].entry.data);
    expect(text).not.toContain('[object Object]');
    expect(text).toContain('arn:aws:s3:::<Fn::ImportValue LogArchiveBucketName>/exported-logs/*');
  });

  test.each([
    ['a bucket of the same stack', (s: Stack) => ({ destination: ExportDestination.fromBucket(new s3.Bucket(s, 'B', { enforceSSL: true, serverAccessLogsPrefix: 'access/' })) })],
    ['an SSE-KMS bucket of the same stack', (s: Stack) => ({ destination: ExportDestination.fromBucket(new s3.Bucket(s, 'B', { encryption: s3.BucketEncryption.KMS, enforceSSL: true, serverAccessLogsPrefix: 'access/' })) })],
    ['an imported bucket', (s: Stack) => ({ destination: ExportDestination.fromBucket(s3.Bucket.fromBucketName(s, 'B', 'my-archive')) })],
    ['tracing and a dashboard', () => ({ tracing: true, dashboard: true })],
  ])('cdk-nag AwsSolutions with %s: every finding on the construct\'s resources is explained', (_name, props) => {
    const app = new App();
    const stack = new Stack(app, 'Stack', { env: { account: ACCOUNT, region: REGION } });
    new CloudWatchLogsS3Exporter(stack, 'Exporter', props(stack));
    Aspects.of(stack).add(new AwsSolutionsChecks({ verbose: true }));
    app.synth();
    const findings = [
      ...Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*')),
      ...Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*')),
    ].filter((f) => f.id.startsWith('/Stack/Exporter/')).map((f) => `${f.id}: ${String(f.entry.data).split(']')[0]}]`);
    expect(findings).toEqual([]);
  });

  test('template details: X-Ray off unless asked, the schedule has its own role inside the construct, its description names the bucket', () => {
    const { template, stack } = synth();
    const sm = Object.values<any>(template.findResources('AWS::StepFunctions::StateMachine'))[0];
    expect(sm.Properties.TracingConfiguration?.Enabled ?? false).toBe(false);
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toContain('xray:');
    const roles = template.findResources('AWS::IAM::Role', { Properties: { AssumeRolePolicyDocument: Match.objectLike({ Statement: [Match.objectLike({ Principal: { Service: 'scheduler.amazonaws.com' } })] }) } });
    expect(Object.keys(roles)).toEqual([expect.stringMatching(/^ExporterScheduleRole/)]);
    const schedule = Object.values<any>(template.findResources('AWS::Scheduler::Schedule'))[0];
    expect(schedule.Properties.Target.RoleArn).toEqual({ 'Fn::GetAtt': [Object.keys(roles)[0], 'Arn'] });
    expect(resolve(stack.resolve(schedule.Properties.Description), { ExporterBucket07D301EB: 'the-bucket' })).toBe('Starts the export of CloudWatch Logs to s3://the-bucket/exported-logs/');

    const traced = synth({ tracing: true }).template;
    traced.hasResourceProperties('AWS::StepFunctions::StateMachine', { TracingConfiguration: { Enabled: true } });
    traced.hasResourceProperties('AWS::Lambda::Function', { TracingConfig: { Mode: 'Active' } });
  });
});

describe('the freshness alarm fits the schedule', () => {
  /** The freshness alarm of a synthesized stack (the one on ArchiveLag). */
  function freshnessAlarm(stack: Stack): { Period: number; Threshold: number; TreatMissingData: string } {
    const alarms = Object.values<any>(Template.fromStack(stack).toJSON().Resources).filter((r) => r.Properties?.MetricName === 'ArchiveLag');
    expect(alarms).toHaveLength(1);
    return alarms[0].Properties;
  }

  test.each([
    ['weekly', scheduler.ScheduleExpression.cron({ minute: '30', hour: '12', weekDay: 'SUN' }), {}],
    ['every 10 days', scheduler.ScheduleExpression.rate(Duration.days(10)), { maxCatchUp: Duration.days(14) }],
    ['monthly', scheduler.ScheduleExpression.cron({ minute: '0', hour: '0', day: '1' }), { maxCatchUp: Duration.days(35) }],
  ])('a %s schedule is too rare for the alarm\'s 7-day range: missing data does not breach (no alarm every cycle), and synthesis says so', (_name, schedule, extra) => {
    const { stack } = synth({ schedule, ...extra });
    const alarm = freshnessAlarm(stack);
    expect(alarm.TreatMissingData).toBe('notBreaching');
    expect(alarm.Period).toBeLessThanOrEqual(7 * 86_400);
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('cannot tell a schedule that stopped from one that runs this rarely'))).toHaveLength(1);
  });

  test.each([
    ['the default daily schedule', {}],
    ['the default hourly schedule', { exportPeriod: ExportPeriod.HOURLY }],
    ['four runs a day, for daily windows', { schedule: scheduler.ScheduleExpression.rate(Duration.hours(6)) }],
    ['every 15 minutes, for hourly windows', { exportPeriod: ExportPeriod.HOURLY, schedule: scheduler.ScheduleExpression.rate(Duration.minutes(15)) }],
  ])('%s: no warning', (_name, props) => {
    expect(Annotations.fromStack(synth(props).stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  test('a daily exporter on a cron of its zone loses nothing across clock changes (25-hour gaps): accepted with a maxCatchUp of one day, no interval warning', () => {
    const { stack } = synth({
      timeZone: TimeZone.EUROPE_BERLIN,
      maxCatchUp: Duration.days(1),
      schedule: scheduler.ScheduleExpression.cron({ hour: '1', minute: '0', timeZone: TimeZone.EUROPE_BERLIN }),
    });
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
    // A daily rate in the same zone can see two windows settle in 24 hours (a 23-hour day): refused with one day.
    const daily = scheduler.ScheduleExpression.rate(Duration.days(1));
    expect(() => synth({ timeZone: TimeZone.EUROPE_BERLIN, maxCatchUp: Duration.days(1), schedule: daily }))
      .toThrow(/up to 2 settle between two runs of schedule 'rate\(1 day\)'/);
  });

  test('the default daily schedule in a zone with daylight saving time: runs 25 hours apart once a year, and the alarm allows for it', () => {
    const alarm = freshnessAlarm(synth({ timeZone: TimeZone.AMERICA_NEW_YORK }).stack);
    // Two intervals of 25 hours and an hour of silence, before missing data breaches.
    expect(alarm.Period).toBe(51 * 3600);
    expect(alarm.TreatMissingData).toBe('breaching');
  });

  test('a disabled schedule: no run reports, and the freshness alarm does not take that for a failure', () => {
    expect(freshnessAlarm(synth({ scheduleEnabled: false }).stack).TreatMissingData).toBe('notBreaching');
  });
});

describe('exporters that share a bucket', () => {
  test('two exporters of an app with one bucket and one key prefix: synthesis fails naming keyPrefix', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack', { env: { account: ACCOUNT, region: REGION } });
    const bucket = new s3.Bucket(stack, 'Archive');
    new CloudWatchLogsS3Exporter(stack, 'Prod', { destination: ExportDestination.fromBucket(bucket, { keyPrefix: 'logs' }) });
    const other = new Stack(app, 'Other', { env: { account: ACCOUNT, region: REGION } });
    const imported = s3.Bucket.fromBucketName(other, 'Imported', 'central-archive');
    new CloudWatchLogsS3Exporter(other, 'A', { destination: ExportDestination.fromBucket(imported, { keyPrefix: 'logs' }) });
    expect(() => new CloudWatchLogsS3Exporter(stack, 'Test', { destination: ExportDestination.fromBucket(bucket, { keyPrefix: 'logs' }) }))
      .toThrow(/keyPrefix 'logs' of bucket Stack\/Archive is already used by the exporter at Stack\/Prod/);
    // The same bucket name imported again in another stack is the same bucket.
    expect(() => new CloudWatchLogsS3Exporter(other, 'B', { destination: ExportDestination.fromBucket(s3.Bucket.fromBucketName(other, 'Again', 'central-archive'), { keyPrefix: 'logs' }) }))
      .toThrow(/keyPrefix 'logs' of bucket central-archive is already used by the exporter at Other\/A/);
    // A key prefix inside another, or around it: the folders of their groups would meet.
    expect(() => new CloudWatchLogsS3Exporter(stack, 'Nested', { destination: ExportDestination.fromBucket(bucket, { keyPrefix: 'logs/aws' }) }))
      .toThrow(/keyPrefix 'logs\/aws' of bucket Stack\/Archive is inside 'logs', used by the exporter at Stack\/Prod/);
    // Another key prefix is fine, one that only starts with the same characters too.
    new CloudWatchLogsS3Exporter(stack, 'Staging', { destination: ExportDestination.fromBucket(bucket, { keyPrefix: 'staging-logs' }) });
    new CloudWatchLogsS3Exporter(stack, 'Logs2', { destination: ExportDestination.fromBucket(bucket, { keyPrefix: 'logs2' }) });
    expect(() => new CloudWatchLogsS3Exporter(stack, 'Around', { destination: ExportDestination.fromBucket(bucket, { keyPrefix: 'staging' }) })).not.toThrow();
    expect(() => new CloudWatchLogsS3Exporter(stack, 'Outer', { destination: ExportDestination.fromBucket(bucket, { keyPrefix: 'logs2/x' }) }))
      .toThrow(/is inside 'logs2'/);
  });

  test('two exporters on one bucket with different key prefixes: every statement id of the bucket policy is unique', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack', { env: { account: ACCOUNT, region: REGION } });
    const bucket = new s3.Bucket(stack, 'Archive');
    new CloudWatchLogsS3Exporter(stack, 'Prod', { destination: ExportDestination.fromBucket(bucket, { keyPrefix: 'prod' }) });
    new CloudWatchLogsS3Exporter(stack, 'Test', { destination: ExportDestination.fromBucket(bucket, { keyPrefix: 'test' }), logGroups: LogGroupSelection.prefixes(['/test/']) });
    const policy = Object.values<any>(Template.fromStack(stack).findResources('AWS::S3::BucketPolicy'))[0].Properties.PolicyDocument;
    const sids = policy.Statement.map((st: any) => st.Sid).filter(Boolean);
    expect(sids).toHaveLength(6);
    expect(new Set(sids).size).toBe(6);
    // The second exporter's writes are limited to its prefix and its selection.
    const test = resolve(policy.Statement.find((st: any) => st.Sid.startsWith('CloudWatchLogsPutExports') && JSON.stringify(st).includes('/test/*')), {});
    expect(test.Condition.ArnLike).toEqual({ 'aws:SourceArn': 'arn:aws:logs:us-east-1:123456789012:log-group:/test/*' });
  });
});

describe('values known only at deploy time', () => {
  test.each([
    ['timeout', (p: number) => ({ timeout: Duration.seconds(p) })],
    ['maxArchiveLag', (p: number) => ({ maxArchiveLag: Duration.seconds(p) })],
  ])('%s from a CfnParameter synthesizes', (_name, props) => {
    const app = new App();
    const stack = new Stack(app, 'Stack', { env: { account: ACCOUNT, region: REGION } });
    expect(() => new CloudWatchLogsS3Exporter(stack, 'Exporter', props(new CfnParameter(stack, 'Seconds', { type: 'Number' }).valueAsNumber))).not.toThrow();
  });

  test('a settle time from a CfnParameter fails synthesis, saying why it must be known', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack', { env: { account: ACCOUNT, region: REGION } });
    const seconds = new CfnParameter(stack, 'Seconds', { type: 'Number' }).valueAsNumber;
    expect(() => new CloudWatchLogsS3Exporter(stack, 'Exporter', { settleTime: Duration.seconds(seconds) }))
      .toThrow(/settleTime must be known at synth time: it shapes the schedule, the alarms and the function's timeout/);
  });

  test('a keyPrefix from a CloudFormation parameter synthesizes, and reaches the handler', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack', { env: { account: ACCOUNT, region: REGION } });
    const prefix = new CfnParameter(stack, 'Prefix', { default: 'from-parameter' });
    new CloudWatchLogsS3Exporter(stack, 'Exporter', { destination: ExportDestination.newBucket({ keyPrefix: prefix.valueAsString }) });
    const config = fromTemplate(resolve(Template.fromStack(stack).toJSON(), { Prefix: 'from-parameter' })).config;
    expect(config.keyPrefix).toBe('from-parameter');
  });

  test('a list of names known only at deploy time (a CommaDelimitedList parameter) synthesizes; the handler reads each name; the role may export any group', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack', { env: { account: ACCOUNT, region: REGION } });
    const names = new CfnParameter(stack, 'Names', { type: 'CommaDelimitedList' }).valueAsList;
    new CloudWatchLogsS3Exporter(stack, 'Exporter', { logGroups: LogGroupSelection.names(names).excluding(['/aws/lambda/noisy-']) });
    const resolved = resolve(Template.fromStack(stack).toJSON(), { Names: ['/aws/lambda/orders', 'app-audit', '/aws/lambda/orders'] });
    const config = fromTemplate(resolved).config;
    expect(config.sources).toEqual([{ prefix: '/aws/lambda/orders', exact: true }, { prefix: 'app-audit', exact: true }]);
    expect(config.excludePrefixes).toEqual(['/aws/lambda/noisy-']);
    const statements = Object.values<any>(resolved.Resources).filter((r) => r.Type === 'AWS::IAM::Policy').flatMap((r) => r.Properties.PolicyDocument.Statement);
    expect(statements.find((st) => st.Sid === 'CreateExportTasks').Resource).toEqual(`arn:aws:logs:${REGION}:${ACCOUNT}:log-group:*`);
  });

  test('45 log groups with generated names in a stack with a long name: synthesizes, and the handler environment stays small', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack', { env: { account: ACCOUNT, region: REGION }, stackName: `a-stack-with-a-long-name-${'x'.repeat(90)}` });
    const groups = Array.from({ length: 45 }, (_, i) => new logs.LogGroup(stack, `ServiceLogs${i}`));
    new CloudWatchLogsS3Exporter(stack, 'Exporter', { logGroups: LogGroupSelection.logGroups(groups) });
    const t = Template.fromStack(stack);
    const fn = Object.values<any>(t.findResources('AWS::Lambda::Function'))[0];
    // The log group names travel in the state machine definition, not in the 4 KB of environment variables.
    expect(JSON.stringify(fn.Properties.Environment).length).toBeLessThan(300);
    // Names as CloudFormation generates them: <stack name>-<logical id>-<random suffix>.
    const refs = Object.fromEntries(groups.map((g) => {
      const id = stack.getLogicalId(g.node.defaultChild as logs.CfnLogGroup);
      return [id, `${stack.stackName}-${id}-ABCDEFGHIJKLM`];
    }));
    const resolved = resolve(t.toJSON(), refs);
    expect(fromTemplate(resolved).config.sources).toHaveLength(45);
    // CreateExportTask on each of them, in managed policies of at most 6,144 characters (without white space).
    const managed = Object.values<any>(resolved.Resources).filter((r) => r.Type === 'AWS::IAM::ManagedPolicy');
    expect(managed.length).toBeGreaterThan(1);
    for (const m of managed) expect(JSON.stringify(m.Properties.PolicyDocument).length).toBeLessThanOrEqual(6_144);
    const granted = managed.flatMap((m) => m.Properties.PolicyDocument.Statement.flatMap((st: any) => st.Resource));
    expect(granted).toHaveLength(90);
    // The bucket policy would not hold 90 ARNs in each statement: CloudWatch Logs may write exports of this account's groups.
    expect(JSON.stringify(resolved.Resources[Object.keys(t.findResources('AWS::S3::BucketPolicy'))[0]])).toContain('"aws:SourceArn":"arn:aws:logs:us-east-1:123456789012:log-group:*"');
  });

  test('more log groups by name than the handler role can be allowed to export: synthesis fails naming logGroups', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack', { env: { account: ACCOUNT, region: REGION } });
    const groups = Array.from({ length: 300 }, (_, i) => new logs.LogGroup(stack, `ServiceLogs${i}`));
    expect(() => new CloudWatchLogsS3Exporter(stack, 'Exporter', { logGroups: LogGroupSelection.logGroups(groups) }))
      .toThrow(/logGroups names so many log groups that allowing CreateExportTask on them needs 1\d managed policies \(a role holds at most 9 more\)/);
  });

  test('names not known until deploy time that could outgrow the state input: synthesis fails naming logGroups', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack', { env: { account: ACCOUNT, region: REGION } });
    const names = Array.from({ length: 300 }, (_, i) => new CfnParameter(stack, `Name${i}`).valueAsString);
    expect(() => new CloudWatchLogsS3Exporter(stack, 'Exporter', { logGroups: LogGroupSelection.names(names) }))
      .toThrow(/logGroups names so many log groups that the exporter's configuration could reach \d+ bytes \(at most 131072; a name known only at deploy time counts as up to 512\)/);
  });
});

describe('props are validated at synth time', () => {
  const cases: [string, CloudWatchLogsS3ExporterProps | (() => CloudWatchLogsS3ExporterProps), RegExp][] = [
    ['timeout under 5 minutes', { timeout: Duration.minutes(4) }, /timeout must be between 5 minutes and 365 days, got 4 minutes/],
    ['timeout over a year', { timeout: Duration.days(366) }, /timeout must be between 5 minutes and 365 days/],
    ['keyPrefix with a leading slash', () => ({ destination: ExportDestination.newBucket({ keyPrefix: '/logs' }) }), /keyPrefix '\/logs' must be/],
    ['keyPrefix with a trailing slash', () => ({ destination: ExportDestination.fromBucket(s3.Bucket.fromBucketName(new Stack(), 'B', 'my-archive'), { keyPrefix: 'logs/' }) }), /keyPrefix 'logs\/' must be/],
    ['empty keyPrefix', () => ({ destination: ExportDestination.newBucket({ keyPrefix: '' }) }), /keyPrefix '' must be/],
    ['keyPrefix with a _state segment', () => ({ destination: ExportDestination.newBucket({ keyPrefix: 'a/_state/b' }) }), /keyPrefix 'a\/_state\/b' must not have a '_state' segment/],
    ["keyPrefix with a '..' segment, anywhere", () => ({ destination: ExportDestination.newBucket({ keyPrefix: 'logs/../x' }) }), /keyPrefix 'logs\/..\/x' must not have a '.' or '..' segment/],
    ["keyPrefix with a '.' segment at its end", () => ({ destination: ExportDestination.newBucket({ keyPrefix: 'logs/.' }) }), /must not have a '.' or '..' segment/],
    ['a destination that is no ExportDestination (JavaScript)', { destination: 'my-bucket' as any }, /destination must be a ExportDestination such as ExportDestination.newBucket\(\), got the string 'my-bucket'/],
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
    ['more names than a state input holds', () => ({ logGroups: LogGroupSelection.names(Array.from({ length: 2_000 }, (_, i) => `/aws/lambda/a-function-with-a-rather-long-name-number-${i}`)) }),
      /logGroups names so many log groups that the exporter's configuration could reach \d+ bytes \(at most 131072/],
  ];
  test.each(cases)('%s', (_name, props, message) => {
    expect(() => synth(typeof props === 'function' ? props() : props)).toThrow(message);
  });
  test('ILogGroup selection needs at least one group', () => {
    expect(() => LogGroupSelection.logGroups([])).toThrow(/needs at least one log group/);
  });
});
