/**
 * Integration test against a real AWS account (`npx projen integ:deploy`; CI checks only its
 * snapshot with `npx projen integ`).
 *
 * A Lambda function writes a line into a log group the stack creates; the exporter, hourly with
 * a run every 10 minutes, exports the first full hour after the group was created (an export
 * window must end after its group's creation), so the test waits up to 80 minutes for its
 * done-marker and file. Athena then finds the line through the ExportedLogsTable; an execution
 * started by hand must succeed, and none may have failed.
 */
import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { CloudWatchLogsS3Exporter, ExportPeriod, ExportedLogsTable, LogGroupSelection } from '../src';

const app = new App();
const stack = new Stack(app, 'CloudWatchLogsS3ExporterInteg');

const source = new logs.LogGroup(stack, 'Source', { retention: logs.RetentionDays.ONE_WEEK, removalPolicy: RemovalPolicy.DESTROY });
const writer = new lambda.Function(stack, 'Writer', {
  runtime: lambda.Runtime.NODEJS_22_X,
  handler: 'index.handler',
  code: lambda.Code.fromInline("exports.handler = async () => { console.log('written for the export integration test'); };"),
  logGroup: source,
});
const bucket = new s3.Bucket(stack, 'Archive', {
  enforceSSL: true,
  blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
  removalPolicy: RemovalPolicy.DESTROY,
  autoDeleteObjects: true,
});
const exporter = new CloudWatchLogsS3Exporter(stack, 'Exporter', {
  bucket,
  keyPrefix: 'integ',
  logGroups: LogGroupSelection.logGroups([source]),
  exportPeriod: ExportPeriod.HOURLY,
  settleTime: Duration.minutes(0),
  schedule: scheduler.ScheduleExpression.rate(Duration.minutes(10)),
  timeout: Duration.hours(1),
});

const table = new ExportedLogsTable(stack, 'Logs', { exporter, workGroup: true });

const integ = new IntegTest(app, 'Integ', { testCases: [stack], diffAssets: true });

const list = (prefix: string) => {
  const call = integ.assertions.awsApiCall('S3', 'listObjectsV2', { Bucket: bucket.bucketName, Prefix: prefix });
  // The IAM action of ListObjectsV2 is s3:ListBucket.
  call.provider.addToRolePolicy({ Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [bucket.bucketArn] });
  return call;
};
const started = integ.assertions.awsApiCall('SFN', 'startExecution', { stateMachineArn: exporter.stateMachine.stateMachineArn, input: '{}' });

// The line through the table: the group named (its folder: the generated name has no leading '/'), the last two days.
const athenaQuery = integ.assertions.awsApiCall('Athena', 'startQueryExecution', {
  WorkGroup: table.workGroup!.ref,
  QueryExecutionContext: { Database: table.databaseName },
  QueryString: `SELECT count(*) AS events FROM "${table.tableName}" WHERE log_group = '${source.logGroupName}' ` +
    "AND day >= date_format(current_date - interval '1' day, '%Y/%m/%d') AND message LIKE '%written for the export integration test%'",
});
// Athena reads the catalog, the exports and its results as the caller (the assertion provider).
athenaQuery.provider.addToRolePolicy({
  Effect: 'Allow',
  Action: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartitions', 's3:GetObject', 's3:ListBucket', 's3:GetBucketLocation', 's3:PutObject',
    'athena:GetQueryExecution', 'athena:GetQueryResults'],
  Resource: ['*'],
});

integ.assertions.invokeFunction({ functionName: writer.functionName })
  // One (group, hour) exported: its done-marker, written after the export task COMPLETED.
  .next(list('integ/_state/done/PT1H/')
    .expect(ExpectedResult.objectLike({ KeyCount: 1 }))
    .waitForAssertions({ totalTimeout: Duration.minutes(80), interval: Duration.minutes(2) }))
  // The exported file, under the group's folder.
  .next(list(`integ/${source.logGroupName}/`)
    .expect(ExpectedResult.objectLike({ Contents: Match.arrayWith([Match.objectLike({ Key: Match.stringLikeRegexp('/000000\\.gz$') })]) })))
  // Athena reads it through the table.
  .next(athenaQuery)
  .next(integ.assertions.awsApiCall('Athena', 'getQueryExecution', { QueryExecutionId: athenaQuery.getAttString('QueryExecutionId') })
    .expect(ExpectedResult.objectLike({ QueryExecution: { Status: { State: 'SUCCEEDED' } } }))
    .waitForAssertions({ totalTimeout: Duration.minutes(5), interval: Duration.seconds(10) }))
  .next(integ.assertions.awsApiCall('Athena', 'getQueryResults', { QueryExecutionId: athenaQuery.getAttString('QueryExecutionId') })
    .expect(ExpectedResult.objectLike({ ResultSet: { Rows: [{ Data: [{ VarCharValue: 'events' }] }, { Data: [{ VarCharValue: '1' }] }] } })))
  // A run started by hand finds nothing left to do and succeeds; no run failed.
  .next(started)
  .next(integ.assertions.awsApiCall('SFN', 'describeExecution', { executionArn: started.getAttString('executionArn') })
    .expect(ExpectedResult.objectLike({ status: 'SUCCEEDED' }))
    .waitForAssertions({ totalTimeout: Duration.minutes(15), interval: Duration.seconds(30) }))
  .next(integ.assertions.awsApiCall('SFN', 'listExecutions', { stateMachineArn: exporter.stateMachine.stateMachineArn, statusFilter: 'FAILED' })
    .expect(ExpectedResult.objectLike({ executions: [] })));
