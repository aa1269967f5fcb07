import { Annotations, ArnFormat, Duration, RemovalPolicy, Stack, TimeZone } from 'aws-cdk-lib';
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
import { Construct } from 'constructs';
import { ExportPeriod } from './export-period';
import type { ExporterConfig } from './handler/config';
import { ExporterFunction } from './handler/exporter-function';
import { LogGroupSelection } from './log-group-selection';
import { suppress } from './private/nag';

/**
 * Properties of a CloudWatchLogsS3Exporter.
 */
export interface CloudWatchLogsS3ExporterProps {
  /**
   * Bucket the logs are exported to. For a bucket of the same stack the construct adds the bucket
   * policy statements CloudWatch Logs needs; for an imported bucket it warns at synth time and
   * names the statements to add. SSE-S3 and SSE-KMS buckets are supported.
   *
   * @default - a new bucket: all public access blocked, SSE-S3, TLS enforced, retained when the stack is deleted
   */
  readonly bucket?: s3.IBucket;

  /**
   * Key prefix of everything the exporter writes. Exports land under
   * `<keyPrefix>/<log group name without its leading '/'>/<yyyy>/<mm>/<dd>[/<hh>]/`, its state
   * (done-markers, lease, checkpoint) under `<keyPrefix>/_state/`.
   *
   * @default 'exported-logs'
   */
  readonly keyPrefix?: string;

  /**
   * When export runs start. A cron expression is read in its own time zone
   * (`ScheduleExpression.cron({ timeZone })`, UTC when not given), not in `timeZone`.
   *
   * @default - daily at 01:00 in `timeZone`
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
   * How far back a scheduled run catches up on windows missed since the last complete run
   * (schedule disabled, failed runs). At least one export period, at most 365 days.
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
   * SNS topic notified when the alarm on failed, timed-out or aborted executions fires.
   *
   * @default - no notification; the alarm is still created
   */
  readonly alarmTopic?: sns.ITopic;

  /**
   * Level of the state machine's execution logs.
   *
   * @default sfn.LogLevel.ERROR
   */
  readonly logLevel?: sfn.LogLevel;

  /**
   * Retention of the construct's own log groups (handler and state machine).
   *
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
}

const DEFAULT_PREFIX = 'exported-logs';
const KEY_PREFIX = /^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/;

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
  /** Log group of the state machine's execution logs. */
  public readonly stateMachineLogGroup: logs.ILogGroup;
  /** Key prefix of everything the exporter writes. */
  public readonly keyPrefix: string;

  constructor(scope: Construct, id: string, props: CloudWatchLogsS3ExporterProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    const keyPrefix = props.keyPrefix ?? DEFAULT_PREFIX;
    const timeZone = props.timeZone ?? TimeZone.ETC_UTC;
    const period = props.exportPeriod ?? ExportPeriod.DAILY;
    const timeout = props.timeout ?? Duration.hours(24);
    const settleTime = props.settleTime ?? Duration.hours(12);
    const maxCatchUp = props.maxCatchUp ?? Duration.days(14);
    const maxAttempts = props.maxAttempts ?? 3;
    const maxPoll = props.maxPollDuration ?? Duration.seconds(60);
    validate({ keyPrefix, timeZone, period, timeout, settleTime, maxCatchUp, maxAttempts, maxPoll });
    this.keyPrefix = keyPrefix;

    this.bucket = props.bucket ?? new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.allowCloudWatchLogs(keyPrefix);

    const retention = props.logRetention ?? logs.RetentionDays.THREE_MONTHS;
    const handlerLogs = new logs.LogGroup(this, 'HandlerLogs', { retention, removalPolicy: RemovalPolicy.RETAIN });
    this.stateMachineLogGroup = new logs.LogGroup(this, 'StateMachineLogs', { retention, removalPolicy: RemovalPolicy.RETAIN });

    const selection = (props.logGroups ?? LogGroupSelection.all())._bind(this);
    const config: ExporterConfig = {
      bucket: this.bucket.bucketName,
      keyPrefix,
      period: period.name as ExporterConfig['period'],
      timeZone: timeZone.timezoneName,
      sources: selection.sources,
      excludePrefixes: selection.excludePrefixes,
      excludeNames: selection.explicit ? [] : [handlerLogs.logGroupName, this.stateMachineLogGroup.logGroupName],
      taskPrefix: `cwl2s3-${this.node.addr.slice(0, 10)}`,
      settleSeconds: settleTime.toSeconds(),
      maxCatchUpSeconds: maxCatchUp.toSeconds(),
      maxAttempts,
      pollSeconds: maxPoll.toSeconds(),
      minWaitSeconds: 5,
      maxWaitSeconds: 300,
      // ~9 history events a turn: 2,000 turns stay well below the 25,000-event limit, retries included.
      maxTurns: 2_000,
      executionTimeoutSeconds: timeout.toSeconds(),
      leaseSeconds: 1_800,
    };
    const configJson = stack.toJsonString(config);
    // Lambda environment variables hold 4 KB; unresolved names count here at their token length.
    if (JSON.stringify(config).length > 3_300) {
      throw new Error('CloudWatchLogsS3Exporter: the log group selection is too long for the handler configuration (4 KB); select by prefixes instead of names');
    }

    const fn = new ExporterFunction(this, 'Handler', {
      description: 'Starts and follows CloudWatch Logs export tasks, one at a time',
      architecture: lambda.Architecture.ARM_64,
      memorySize: 128,
      // One invocation chains exports for up to ~4.5 minutes: fewer loop turns (state transitions).
      timeout: Duration.seconds(maxPoll.toSeconds() + 270),
      logGroup: handlerLogs,
      environment: {
        EXPORTER_CONFIG: configJson,
        POWERTOOLS_SERVICE_NAME: 'cloudwatch-logs-s3-exporter',
        POWERTOOLS_METRICS_NAMESPACE: 'CloudWatchLogsS3Exporter',
        POWERTOOLS_LOG_LEVEL: 'INFO',
      },
    });
    this.handler = fn;
    this.grantHandler(fn, selection.arns, keyPrefix);

    this.stateMachine = this.buildStateMachine(fn, timeout, props.logLevel ?? sfn.LogLevel.ERROR);

    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: `Starts the export of CloudWatch Logs to s3://.../${keyPrefix}/`,
      schedule: props.schedule ?? scheduler.ScheduleExpression.cron({ minute: '0', hour: '1', timeZone }),
      enabled: props.scheduleEnabled ?? true,
      target: new targets.StepFunctionsStartExecution(this.stateMachine, {
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
    if (props.alarmTopic) alarm.addAlarmAction(new cloudwatchActions.SnsAction(props.alarmTopic));
    this.alarm = alarm;

    this.explainNagFindings(fn, !props.bucket, !selection.explicit && selection.sources.some((s) => s.prefix === undefined));
  }

  /** Why the AwsSolutions rules that flag this construct do not apply (read by cdk-nag). */
  private explainNagFindings(fn: ExporterFunction, ownBucket: boolean, allGroups: boolean): void {
    if (ownBucket) {
      suppress(this.bucket, [{
        id: 'AwsSolutions-S1',
        reason: 'The default bucket only receives exports written by the CloudWatch Logs service principal, limited by policy to ' +
          "this account's log groups, and the exporter's state. Consumers who need server access logs pass their own bucket.",
      }]);
    }
    suppress(fn.role, [{
      id: 'AwsSolutions-IAM4',
      reason: 'AWSLambdaBasicExecutionRole only lets the function write its own logs (CreateLogStream, PutLogEvents).',
      appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
    }]);
    suppress(fn.role?.node.tryFindChild('DefaultPolicy'), [
      { id: 'AwsSolutions-IAM5', reason: 'logs:DescribeLogGroups and logs:DescribeExportTasks do not support resource-level permissions.', appliesTo: ['Resource::*'] },
      ...(allGroups ? [{
        id: 'AwsSolutions-IAM5',
        reason: 'The selection is every log group of the account and region, so CreateExportTask must be allowed on every log group.',
        appliesTo: ['Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:*', `Resource::arn:<AWS::Partition>:logs:${Stack.of(this).region}:${Stack.of(this).account}:log-group:*`],
      }] : []),
      ...(ownBucket ? [{
        id: 'AwsSolutions-IAM5',
        reason: "Done-markers (one object per log group and window), the lease and the checkpoint live under the exporter's _state/ prefix and nowhere else.",
        appliesTo: [`Resource::<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>/${this.keyPrefix}/_state/*`],
      }] : []),
    ]);
    const sm = this.stateMachine as sfn.StateMachine;
    suppress(sm.role.node.tryFindChild('DefaultPolicy'), [
      { id: 'AwsSolutions-IAM5', reason: 'Invoking the handler function, its versions and aliases: <arn>:* is the one function.', appliesTo: [`Resource::<${Stack.of(this).getLogicalId(fn.node.defaultChild as lambda.CfnFunction)}.Arn>:*`] },
      { id: 'AwsSolutions-IAM5', reason: 'CloudWatch Logs log delivery and X-Ray APIs used by state machine logging and tracing do not support resource-level permissions.', appliesTo: ['Resource::*'] },
    ]);
    suppress(sm, [{
      id: 'AwsSolutions-SF1',
      reason: 'Execution logs default to ERROR to keep log volume and cost proportional to problems; the logLevel prop raises it to ALL.',
    }]);
  }

  /** Bucket (and key) policy statements that let CloudWatch Logs write exports of this account's log groups. */
  private allowCloudWatchLogs(keyPrefix: string): void {
    const stack = Stack.of(this);
    const principal = new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`);
    const conditions = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
    };
    const statements = [
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsGetBucketAcl',
        principals: [principal],
        actions: ['s3:GetBucketAcl'],
        resources: [this.bucket.bucketArn],
        conditions,
      }),
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsPutExports',
        principals: [principal],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects(`${keyPrefix}/*`)],
        conditions: { ...conditions, StringEquals: { ...conditions.StringEquals, 's3:x-amz-acl': 'bucket-owner-full-control' } },
      }),
    ];
    const added = statements.map((s) => this.bucket.addToResourcePolicy(s).statementAdded);
    if (added.includes(false)) {
      Annotations.of(this).addWarningV2('cdk-cloudwatch-logs-s3-exporter:bucketPolicy',
        'The bucket is imported, so its policy cannot be changed here. Add these statements to it, or exports fail with AccessDenied: ' +
        JSON.stringify(statements.map((s) => stack.resolve(s.toStatementJson()))));
    }
    const key = this.bucket.encryptionKey;
    if (key) {
      const keyStatement = new iam.PolicyStatement({
        sid: 'CloudWatchLogsEncryptExports',
        principals: [principal],
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: ['*'],
        conditions,
      });
      if (!key.addToResourcePolicy(keyStatement).statementAdded) {
        Annotations.of(this).addWarningV2('cdk-cloudwatch-logs-s3-exporter:keyPolicy',
          "The bucket's KMS key is imported, so its policy cannot be changed here. Add this statement to it: " +
          JSON.stringify(stack.resolve(keyStatement.toStatementJson())));
      }
    }
  }

  private grantHandler(fn: lambda.IFunction, logGroupArns: string[], keyPrefix: string): void {
    fn.addToRolePolicy(new iam.PolicyStatement({
      sid: 'ReadLogGroupsAndExportTasks',
      // These read APIs do not support resource-level permissions.
      actions: ['logs:DescribeLogGroups', 'logs:DescribeExportTasks'],
      resources: ['*'],
    }));
    fn.addToRolePolicy(new iam.PolicyStatement({
      sid: 'CreateExportTasks',
      actions: ['logs:CreateExportTask'],
      resources: logGroupArns,
    }));
    fn.addToRolePolicy(new iam.PolicyStatement({
      sid: 'ListExporterKeys',
      actions: ['s3:ListBucket'],
      resources: [this.bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${keyPrefix}/*`] } },
    }));
    fn.addToRolePolicy(new iam.PolicyStatement({
      sid: 'ReadWriteExporterState',
      actions: ['s3:GetObject', 's3:PutObject'],
      resources: [this.bucket.arnForObjects(`${keyPrefix}/_state/*`)],
    }));
    this.bucket.encryptionKey?.grantEncryptDecrypt(fn);
  }

  private buildStateMachine(fn: lambda.IFunction, timeout: Duration, level: sfn.LogLevel): sfn.StateMachine {
    const turn = new tasks.LambdaInvoke(this, 'Export', {
      comment: 'Starts the next export when the previous one has finished; answers what to do next',
      lambdaFunction: fn,
      payload: sfn.TaskInput.fromObject({
        input: sfn.JsonPath.entirePayload,
        executionName: sfn.JsonPath.stringAt('$$.Execution.Name'),
        retryCount: sfn.JsonPath.numberAt('$$.State.RetryCount'),
        executionStart: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
      }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
    });
    // Bad execution input: fail at once.
    turn.addRetry({ errors: ['InvalidInput'], maxAttempts: 0 });
    // Lambda service errors and throttling: back off and try again.
    turn.addRetry({
      errors: ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException',
        'Lambda.TooManyRequestsException', 'Lambda.ClientExecutionTimeoutException'],
      interval: Duration.seconds(2),
      maxAttempts: 8,
      backoffRate: 2,
      maxDelay: Duration.minutes(2),
      jitterStrategy: sfn.JitterType.FULL,
    });
    // The handler failed (API throttling past the SDK's retries, a crash, a timeout): its next
    // attempt resumes from the same state and adopts any export the failed attempt started.
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
      time: sfn.WaitTime.secondsPath('$.waitSeconds'),
    });
    const continueAsNew = new sfn.CustomState(this, 'ContinueAsNew', {
      stateJson: {
        Type: 'Task',
        Comment: 'Carries the run on in a new execution before this one nears 25,000 history events',
        Resource: `arn:${Stack.of(this).partition}:states:::states:startExecution`,
        Parameters: {
          'StateMachineArn.$': '$$.StateMachine.Id',
          'Name.$': '$.continuation',
          'Input': { 'state.$': '$.state', 'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$': '$$.Execution.Id' },
        },
        ResultPath: null,
        Retry: [{ ErrorEquals: ['StepFunctions.ExecutionLimitExceededException', 'States.TaskFailed'], IntervalSeconds: 5, MaxAttempts: 5, BackoffRate: 2 }],
      },
    });
    const done = new sfn.Succeed(this, 'Done');
    const failed = new sfn.Fail(this, 'ExportsFailed', { errorPath: '$.error', causePath: '$.cause' });

    const definition = turn.next(new sfn.Choice(this, 'WhatNext')
      .when(sfn.Condition.stringEquals('$.status', 'WAIT'), wait.next(turn))
      .when(sfn.Condition.stringEquals('$.status', 'CONTINUE'), continueAsNew.next(done))
      .when(sfn.Condition.stringEquals('$.status', 'SUCCEEDED'), done)
      .otherwise(failed));

    const sm = new sfn.StateMachine(this, 'StateMachine', {
      comment: 'Exports CloudWatch Logs log groups to S3, one export task at a time',
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout,
      tracingEnabled: true,
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

interface Checked {
  keyPrefix: string;
  timeZone: TimeZone;
  period: ExportPeriod;
  timeout: Duration;
  settleTime: Duration;
  maxCatchUp: Duration;
  maxAttempts: number;
  maxPoll: Duration;
}

function validate(p: Checked): void {
  const err = (m: string) => new Error(`CloudWatchLogsS3Exporter: ${m}`);
  if (!KEY_PREFIX.test(p.keyPrefix) || p.keyPrefix.length > 200) {
    throw err(`keyPrefix '${p.keyPrefix}' must be 1-200 characters of A-Z a-z 0-9 ! _ . * ' ( ) - in '/'-separated segments, without a leading or trailing '/'`);
  }
  if (p.keyPrefix.split('/').includes('_state')) throw err("keyPrefix must not contain a '_state' segment: the exporter keeps its state there");
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: p.timeZone.timezoneName });
  } catch {
    throw err(`timeZone '${p.timeZone.timezoneName}' is not an IANA time zone`);
  }
  const timeout = p.timeout.toSeconds();
  if (timeout < 300 || timeout > 365 * 86_400) throw err(`timeout must be between 5 minutes and 365 days, got ${p.timeout.toHumanString()}`);
  const settle = p.settleTime.toSeconds();
  if (settle < 0 || settle > 7 * 86_400) throw err(`settleTime must be between 0 and 7 days, got ${p.settleTime.toHumanString()}`);
  const catchUp = p.maxCatchUp.toSeconds();
  if (catchUp < p.period.seconds || catchUp > 365 * 86_400) {
    throw err(`maxCatchUp must be between one export period (${p.period.seconds} s) and 365 days, got ${p.maxCatchUp.toHumanString()}`);
  }
  if (catchUp / p.period.seconds > 1000) throw err(`maxCatchUp spans more than 1000 export windows (${p.maxCatchUp.toHumanString()} of ${p.period.name})`);
  if (!Number.isInteger(p.maxAttempts) || p.maxAttempts < 1 || p.maxAttempts > 10) throw err(`maxAttempts must be an integer from 1 to 10, got ${p.maxAttempts}`);
  const poll = p.maxPoll.toSeconds();
  if (poll < 0 || poll > 600) throw err(`maxPollDuration must be between 0 and 10 minutes, got ${p.maxPoll.toHumanString()}`);
}
