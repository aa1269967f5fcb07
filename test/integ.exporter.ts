/**
 * Integration test against real AWS accounts (`npx projen integ:deploy`; CI checks only its
 * snapshot with `npx projen integ`). It needs two accounts bootstrapped with trust between them:
 * `EXPORTER_INTEG_ACCOUNT` (the source account, whose credentials run the test) and
 * `EXPORTER_INTEG_ARCHIVE_ACCOUNT` (the log archive account), in `EXPORTER_INTEG_REGION`. Without
 * them it synthesizes with placeholder accounts and us-east-1, as the committed snapshot holds.
 *
 * A Lambda function writes a line into a log group whose name has '/' in it. Two hourly exporters,
 * each with a run every 10 minutes, export the first full hour after the group was created (an
 * export window must end after its group's creation), so the test waits up to 80 minutes:
 * - one into a fresh bucket of the source account: SSE-KMS, Object Lock in governance mode. Its
 *   first run reads state objects that do not exist yet with a role whose s3:ListBucket has a
 *   prefix condition (S3 may answer 403 instead of 404); the exported file is locked;
 * - one into a CloudWatchLogsArchiveBucket of the archive account, writing through its policy.
 * Athena then finds the line through the first exporter's ExportedLogsTable; an execution of each
 * exporter started by hand must succeed, and none may have failed.
 *
 * Both buckets are retained when the stacks are destroyed (locked objects cannot be deleted before
 * their retention ends): the README's Development section says how to delete them.
 */
import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import {
  CloudWatchLogsArchiveBucket, CloudWatchLogsS3Exporter, CloudWatchLogsS3ExporterProps, ExportDestination, ExportPeriod, ExportedLogsTable,
  ExportedLogsTableSource,
  LogGroupSelection,
} from '../src';

const account = process.env.EXPORTER_INTEG_ACCOUNT ?? '111111111111';
const archiveAccount = process.env.EXPORTER_INTEG_ARCHIVE_ACCOUNT ?? '222222222222';
const region = process.env.EXPORTER_INTEG_REGION ?? 'us-east-1';
const archiveBucketName = `cwl-s3-exporter-integ-archive-${archiveAccount}-${region}`;
const GROUP = '/integ/cloudwatch-logs-s3-exporter/writer';

const app = new App();

// The archive account: one archive bucket for the source account's exporter.
const archiveStack = new Stack(app, 'CloudWatchLogsS3ExporterIntegArchive', { env: { account: archiveAccount, region } });
new CloudWatchLogsArchiveBucket(archiveStack, 'Archive', { bucketName: archiveBucketName, sourceAccounts: [account] });

// The source account: the log group, its writer, and the two exporters.
const stack = new Stack(app, 'CloudWatchLogsS3ExporterInteg', { env: { account, region } });
stack.addDependency(archiveStack);
const source = new logs.LogGroup(stack, 'Source', { logGroupName: GROUP, retention: logs.RetentionDays.ONE_WEEK, removalPolicy: RemovalPolicy.DESTROY });
const writer = new lambda.Function(stack, 'Writer', {
  runtime: lambda.Runtime.NODEJS_22_X,
  handler: 'index.handler',
  code: lambda.Code.fromInline("exports.handler = async () => { console.log('written for the export integration test'); };"),
  logGroup: source,
});
const hourly: CloudWatchLogsS3ExporterProps = {
  logGroups: LogGroupSelection.logGroups([source]),
  exportPeriod: ExportPeriod.HOURLY,
  settleTime: Duration.minutes(0),
  schedule: scheduler.ScheduleExpression.rate(Duration.minutes(10)),
  timeout: Duration.hours(1),
};
const bucket = new s3.Bucket(stack, 'Locked', {
  enforceSSL: true,
  blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
  encryption: s3.BucketEncryption.KMS,
  encryptionKey: new kms.Key(stack, 'Key', { enableKeyRotation: true, removalPolicy: RemovalPolicy.DESTROY }),
  versioned: true,
  objectLockDefaultRetention: s3.ObjectLockRetention.governance(Duration.days(1)),
  removalPolicy: RemovalPolicy.RETAIN,
});
const exporter = new CloudWatchLogsS3Exporter(stack, 'Exporter', { ...hourly, destination: ExportDestination.fromBucket(bucket, { keyPrefix: 'integ' }) });
const table = new ExportedLogsTable(stack, 'Logs', { source: ExportedLogsTableSource.fromExporter(exporter), workGroup: true });
const central = new CloudWatchLogsS3Exporter(stack, 'CentralExporter', {
  ...hourly,
  destination: ExportDestination.fromArchive(
    CloudWatchLogsArchiveBucket.fromArchiveAttributes(stack, 'CentralArchive', { bucketName: archiveBucketName, account: archiveAccount })),
});

// The assertions run in the source account, with the resources they name.
const assertionStack = new Stack(app, 'CloudWatchLogsS3ExporterIntegAssertions', { env: { account, region } });
const integ = new IntegTest(app, 'Integ', { testCases: [archiveStack, stack], assertionStack, diffAssets: true });

/** A listing of a bucket under a prefix, by the assertion provider (whose policy is in the source account). */
const list = (bucketName: string, bucketArn: string, prefix: string) => {
  const call = integ.assertions.awsApiCall('S3', 'listObjectsV2', { Bucket: bucketName, Prefix: prefix });
  // The IAM action of ListObjectsV2 is s3:ListBucket.
  call.provider.addToRolePolicy({ Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [bucketArn] });
  return call;
};
const folder = `${GROUP.replace(/^\/+/, '')}/`;
const exported = list(bucket.bucketName, bucket.bucketArn, `integ/${folder}`);
const retention = integ.assertions.awsApiCall('S3', 'getObjectRetention', { Bucket: bucket.bucketName, Key: exported.getAttString('Contents.0.Key') });
retention.provider.addToRolePolicy({ Effect: 'Allow', Action: ['s3:GetObjectRetention'], Resource: [bucket.arnForObjects('*')] });

// The line through the table: the group named by its folder (its name without the leading '/'), the last two days.
const athenaQuery = integ.assertions.awsApiCall('Athena', 'startQueryExecution', {
  WorkGroup: table.workGroup!.ref,
  QueryExecutionContext: { Database: table.databaseName },
  QueryString: `SELECT count(*) AS events FROM "${table.tableName}" WHERE log_group = '${folder.slice(0, -1)}' ` +
    "AND day >= date_format(current_date - interval '1' day, '%Y/%m/%d') AND message LIKE '%written for the export integration test%'",
});
// Athena reads the catalog, the exports (decrypting them) and its results as the caller (the assertion provider).
athenaQuery.provider.addToRolePolicy({
  Effect: 'Allow',
  Action: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartitions', 's3:GetObject', 's3:ListBucket', 's3:GetBucketLocation', 's3:PutObject',
    'kms:Decrypt', 'athena:GetQueryExecution', 'athena:GetQueryResults'],
  Resource: ['*'],
});

const runByHand = (e: CloudWatchLogsS3Exporter) => {
  const started = integ.assertions.awsApiCall('SFN', 'startExecution', { stateMachineArn: e.stateMachine.stateMachineArn, input: '{}' });
  return [started, integ.assertions.awsApiCall('SFN', 'describeExecution', { executionArn: started.getAttString('executionArn') })
    .expect(ExpectedResult.objectLike({ status: 'SUCCEEDED' }))
    .waitForAssertions({ totalTimeout: Duration.minutes(15), interval: Duration.seconds(30) }),
  integ.assertions.awsApiCall('SFN', 'listExecutions', { stateMachineArn: e.stateMachine.stateMachineArn, statusFilter: 'FAILED' })
    .expect(ExpectedResult.objectLike({ executions: [] }))];
};

const steps = [
  // One (group, hour) exported into the fresh bucket: its done-marker, written after the export task COMPLETED.
  list(bucket.bucketName, bucket.bucketArn, '_state/integ/done/PT1H/')
    .expect(ExpectedResult.objectLike({ KeyCount: 1 }))
    .waitForAssertions({ totalTimeout: Duration.minutes(80), interval: Duration.minutes(2) }),
  // The exported file, under the group's folder, locked in governance mode.
  exported.expect(ExpectedResult.objectLike({ Contents: Match.arrayWith([Match.objectLike({ Key: Match.stringLikeRegexp('/000000\\.gz$') })]) })),
  retention.expect(ExpectedResult.objectLike({ Retention: { Mode: 'GOVERNANCE' } })),
  // The same hour in the central archive, under this account's prefix (its state beside it).
  list(archiveBucketName, `arn:aws:s3:::${archiveBucketName}`, `_state/exported-logs/${account}/${region}/done/PT1H/`)
    .expect(ExpectedResult.objectLike({ KeyCount: 1 }))
    .waitForAssertions({ totalTimeout: Duration.minutes(30), interval: Duration.minutes(2) }),
  // Athena reads the first export through the table.
  athenaQuery,
  integ.assertions.awsApiCall('Athena', 'getQueryExecution', { QueryExecutionId: athenaQuery.getAttString('QueryExecutionId') })
    .expect(ExpectedResult.objectLike({ QueryExecution: { Status: { State: 'SUCCEEDED' } } }))
    .waitForAssertions({ totalTimeout: Duration.minutes(5), interval: Duration.seconds(10) }),
  integ.assertions.awsApiCall('Athena', 'getQueryResults', { QueryExecutionId: athenaQuery.getAttString('QueryExecutionId') })
    .expect(ExpectedResult.objectLike({ ResultSet: { Rows: [{ Data: [{ VarCharValue: 'events' }] }, { Data: [{ VarCharValue: '1' }] }] } })),
  // A run of each exporter started by hand finds nothing left to do and succeeds; no run failed.
  ...runByHand(exporter),
  ...runByHand(central),
];
steps.reduce((chain, step) => chain.next(step), integ.assertions.invokeFunction({ functionName: writer.functionName }));
