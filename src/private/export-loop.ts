/**
 * The export loop: the handler (its function, role and configuration), the state machine that
 * loops Export -> WhatNext -> Wait around it and continues as a new execution before it nears
 * 25,000 history events, and the schedule that starts runs.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { BoundDestination } from './destination';
import { grantHandler } from './grants';
import { ResolvedProps } from './props';
import { ExporterFunction } from '../handler/exporter-function';
import type { ExporterConfig } from '../shared/config';
import { Answer, EXPORT_STATE, METRICS_NAMESPACE, NOT_RETRIED, SERVICE_NAME, Status } from '../shared/protocol';


export interface ExportLoop {
  readonly handler: lambda.IFunction;
  readonly stateMachine: sfn.StateMachine;
  readonly schedule: scheduler.Schedule;
}

export interface LoopParts {
  readonly props: ResolvedProps;
  readonly destination: BoundDestination;
  /** The exporter's identity: its export tasks are named after it. */
  readonly exporterId: string;
  readonly handlerLogs: logs.ILogGroup;
  readonly stateMachineLogs: logs.ILogGroup;
}

/** The handler, the state machine and the schedule, in `scope` (the exporter). */
export function createExportLoop(scope: Construct, parts: LoopParts): ExportLoop {
  const { props: p, destination: d } = parts;
  const selection = p.selection;
  const lambdaTimeout = Duration.seconds(p.maxPoll.toSeconds() + 270);
  const config: ExporterConfig = {
    // Names this exporter's export tasks: another exporter in the account (another stack of
    // the same app, too) never takes them for its own.
    exporterId: parts.exporterId,
    bucket: d.bucket.bucketName,
    keyPrefix: d.exportPrefix,
    period: p.period.name as ExporterConfig['period'],
    timeZone: p.timeZone.timezoneName,
    sources: selection.sources,
    excludePrefixes: selection.excludePrefixes,
    excludeNames: selection.explicit ? [] : [parts.handlerLogs.logGroupName, parts.stateMachineLogs.logGroupName],
    settleSeconds: p.settleTime.toSeconds(),
    exportEmptyWindows: p.exportEmptyWindows,
    maxCatchUpSeconds: p.maxCatchUp.toSeconds(),
    maxAttempts: p.maxAttempts,
    pollSeconds: p.maxPoll.toSeconds(),
    minWaitSeconds: 5,
    maxWaitSeconds: 300,
    // ~9 history events a turn: 2,000 turns stay well below the 25,000-event limit, retries included.
    maxTurns: 2_000,
    executionTimeoutSeconds: p.timeout.toSeconds(),
    lambdaTimeoutSeconds: lambdaTimeout.toSeconds(),
    scheduleIntervalSeconds: p.runsEvery,
    // A turn renews the lease when the next turn could otherwise find it expired (after 14.5 minutes by default).
    leaseSeconds: 1_800,
    ...(p.offload ? {
      retentionDays: p.offload.retentionDays,
      retentionHeadroomSeconds: p.offload.headroomSeconds,
      retentionLagSeconds: p.offload.lagSeconds,
      ...(p.offload.archivedBefore !== undefined ? { retentionArchivedBefore: p.offload.archivedBefore } : {}),
    } : {}),
  };

  // The handler writes its own log group and nothing else (no AWSLambdaBasicExecutionRole: logs:* on *).
  const handlerRole = new iam.Role(scope, 'HandlerRole', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: 'Starts and follows CloudWatch Logs export tasks; keeps the exporter state',
  });
  parts.handlerLogs.grantWrite(handlerRole);
  const handler = new ExporterFunction(scope, 'Handler', {
    description: 'Starts and follows CloudWatch Logs export tasks, one at a time',
    architecture: lambda.Architecture.ARM_64,
    memorySize: 128,
    // One invocation chains exports for up to ~4.5 minutes: fewer loop turns (state transitions).
    timeout: lambdaTimeout,
    role: handlerRole,
    tracing: p.tracing ? lambda.Tracing.ACTIVE : undefined,
    logGroup: parts.handlerLogs,
    environment: {
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      POWERTOOLS_LOG_LEVEL: 'INFO',
    },
  });
  grantHandler(scope, handler, d, p.selected, p.offload ? {
    ownGroups: [parts.handlerLogs.logGroupName, parts.stateMachineLogs.logGroupName],
    excludePrefixes: selection.excludePrefixes,
  } : undefined);

  const stateMachine = stateMachineOf(scope, handler, config, lambdaTimeout, p, parts.stateMachineLogs);

  // The schedule's own role, inside the construct (tags and removal follow it): it may start this state machine only.
  const scheduleRole = new iam.Role(scope, 'ScheduleRole', {
    assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } } }),
    description: 'Starts the CloudWatch Logs exporter state machine on schedule',
  });
  const schedule = new scheduler.Schedule(scope, 'Schedule', {
    description: `Starts the export of CloudWatch Logs to s3://${d.bucket.bucketName}/${d.exportPrefix}/`,
    schedule: p.schedule,
    enabled: p.scheduleEnabled,
    target: new targets.StepFunctionsStartExecution(stateMachine, {
      role: scheduleRole,
      input: scheduler.ScheduleTargetInput.fromObject({ scheduledTime: scheduler.ContextAttribute.scheduledTime }),
      retryAttempts: 10,
      maxEventAge: Duration.hours(6),
    }),
  });
  return { handler, stateMachine, schedule };
}

/** The state machine: Export (the handler) -> WhatNext -> Wait | ContinueAsNew | Done | ExportsFailed. */
function stateMachineOf(scope: Construct, fn: lambda.IFunction, config: ExporterConfig, lambdaTimeout: Duration, p: ResolvedProps,
  logGroup: logs.ILogGroup): sfn.StateMachine {
  const turn = new tasks.LambdaInvoke(scope, EXPORT_STATE, {
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

  const wait = new sfn.Wait(scope, 'Wait', {
    comment: 'Waits for the running export; the handler chooses how long',
    time: sfn.WaitTime.secondsPath(`$.${Answer.waitSeconds}`),
  });
  const continueAsNew = new sfn.CustomState(scope, 'ContinueAsNew', {
    stateJson: {
      Type: 'Task',
      Comment: 'Carries the run on in a new execution before this one nears 25,000 history events',
      Resource: `arn:${Stack.of(scope).partition}:states:::states:startExecution`,
      Parameters: {
        'StateMachineArn.$': '$$.StateMachine.Id',
        'Name.$': `$.${Answer.continuation}`,
        'Input': { [`${Answer.state}.$`]: `$.${Answer.state}`, 'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$': '$$.Execution.Id' },
      },
      ResultPath: null,
    },
  });
  const done = new sfn.Succeed(scope, 'Done');
  // An execution of that name exists: an earlier attempt started it (its answer lost, or this state redriven), and
  // it carries the run on. Not retried: done.
  const started = 'StepFunctions.ExecutionAlreadyExistsException';
  continueAsNew.addRetry({ errors: [started], maxAttempts: 0 });
  continueAsNew.addRetry({
    errors: ['StepFunctions.ExecutionLimitExceededException', 'States.TaskFailed'], interval: Duration.seconds(5), maxAttempts: 5, backoffRate: 2,
  });
  continueAsNew.addCatch(done, { errors: [started], resultPath: sfn.JsonPath.DISCARD });
  const failed = new sfn.Fail(scope, 'ExportsFailed', { errorPath: `$.${Answer.error}`, causePath: `$.${Answer.cause}` });

  const status = `$.${Answer.status}`;
  const definition = turn.next(new sfn.Choice(scope, 'WhatNext')
    .when(sfn.Condition.stringEquals(status, Status.WAIT), wait.next(turn))
    .when(sfn.Condition.stringEquals(status, Status.CONTINUE), continueAsNew.next(done))
    .when(sfn.Condition.stringEquals(status, Status.SUCCEEDED), done)
    .otherwise(failed));

  const sm = new sfn.StateMachine(scope, 'StateMachine', {
    comment: 'Exports CloudWatch Logs log groups to S3, one export task at a time',
    definitionBody: sfn.DefinitionBody.fromChainable(definition),
    timeout: p.timeout,
    tracingEnabled: p.tracing,
    logs: { destination: logGroup, level: p.logLevel, includeExecutionData: false },
  });
  // A separate policy: a statement on the state machine's own ARN in its default policy would be a cycle.
  new iam.Policy(scope, 'ContinueAsNewPolicy', {
    roles: [sm.role],
    statements: [new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [sm.stateMachineArn] })],
  });
  return sm;
}
