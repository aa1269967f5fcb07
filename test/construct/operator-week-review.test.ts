/**
 * What a review of the operator's-week changes found: acknowledgements of the policy warnings,
 * an archive of the app given by its bucket, crons of later years and their figures, time zones
 * spelled in another case or by an alias, other names of UTC, and names in a deploy-time list.
 */
import { App, Annotations as CoreAnnotations, Stack, TimeZone } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { CloudWatchLogsArchiveBucket, CloudWatchLogsS3Exporter, ExportDestination } from '../../src';
import { parseConfig } from '../../src/shared/config';
import { synth } from '../harness/stack';

const ARCHIVE_ACCOUNT = '999999999999';
const A = '111111111111';
const REGION = 'eu-west-1';
const KEY_ARN = `arn:aws:kms:${REGION}:${ARCHIVE_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const ARCHIVE_POLICY = 'cdk-cloudwatch-logs-s3-exporter:archivePolicy';
const KEY_POLICY = 'cdk-cloudwatch-logs-s3-exporter:keyPolicy';
const FREQUENCY = 'cdk-cloudwatch-logs-s3-exporter:scheduleFrequency';

const warnings = (stack: Stack, id: string) => Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp(`\\[ack: ${id}\\]`));

describe('acknowledging the archive and key policy warnings (deferred to an Aspect)', () => {
  test('an acknowledged archivePolicy warning (a shared bucket of another account) is not printed', () => {
    const stack = new Stack(new App(), 'ExporterA', { env: { account: A, region: REGION } });
    const bucket = s3.Bucket.fromBucketAttributes(stack, 'B', { bucketName: 'org-other-archive', account: ARCHIVE_ACCOUNT });
    const exporter = new CloudWatchLogsS3Exporter(stack, 'Exporter', { destination: ExportDestination.fromBucket(bucket) });
    // As the README says (Many accounts).
    CoreAnnotations.of(exporter).acknowledgeWarning(ARCHIVE_POLICY, 'granted by the archive');
    expect(warnings(stack, ARCHIVE_POLICY)).toHaveLength(0);
  });

  test('acknowledged archivePolicy and keyPolicy warnings of an archive imported with its key are not printed', () => {
    const stack = new Stack(new App(), 'ExporterA', { env: { account: A, region: REGION } });
    const archive = CloudWatchLogsArchiveBucket.fromArchiveAttributes(stack, 'Archive', {
      bucketName: 'org-log-archive', account: ARCHIVE_ACCOUNT, encryptionKey: kms.Key.fromKeyArn(stack, 'Key', KEY_ARN),
    });
    const exporter = new CloudWatchLogsS3Exporter(stack, 'Exporter', { destination: ExportDestination.fromArchive(archive) });
    CoreAnnotations.of(exporter).acknowledgeWarning(ARCHIVE_POLICY, 'granted by the archive');
    CoreAnnotations.of(exporter).acknowledgeWarning(KEY_POLICY, 'granted by the archive');
    expect(warnings(stack, ARCHIVE_POLICY)).toHaveLength(0);
    expect(warnings(stack, KEY_POLICY)).toHaveLength(0);
  });
});

test('the bucket of an archive of the app imported by name with fromBucket (the same bucket, prefix and region, the account listed): no archivePolicy warning', () => {
  const app = new App();
  new CloudWatchLogsArchiveBucket(new Stack(app, 'Archive', { env: { account: ARCHIVE_ACCOUNT, region: REGION } }), 'Logs', {
    sourceAccounts: [A], bucketName: 'org-log-archive',
  });
  const stack = new Stack(app, 'ExporterA', { env: { account: A, region: REGION } });
  const bucket = s3.Bucket.fromBucketAttributes(stack, 'B', { bucketName: 'org-log-archive', account: ARCHIVE_ACCOUNT });
  const exporter = new CloudWatchLogsS3Exporter(stack, 'Exporter', { destination: ExportDestination.fromBucket(bucket) });
  // The exporter writes exactly where the archive lets account A write.
  expect(exporter.exportPrefix).toBe(`exported-logs/${A}/${REGION}`);
  expect(() => app.synth()).not.toThrow();
  expect(warnings(stack, ARCHIVE_POLICY)).toHaveLength(0);
});

describe('scheduleFrequency: runs a day of a cron with a year field', () => {
  test('every minute from 2028 on, for daily windows, warns (1,440 runs a window)', () => {
    const { stack } = synth({ schedule: scheduler.ScheduleExpression.expression('cron(* * * * ? 2028-2199)') });
    expect(warnings(stack, FREQUENCY)).toHaveLength(1);
  });

  test('every minute from 2027 on says 1,440 runs a day, not half of them', () => {
    const { stack } = synth({ schedule: scheduler.ScheduleExpression.expression('cron(* * * * ? 2027-2199)') });
    const [w] = warnings(stack, FREQUENCY);
    expect(String(w.entry.data)).toMatch(/runs 1,440 times a day, up to 1,440 times per P1D window/);
  });

  test('a daily cron from 2030 on does not stop: it is accepted', () => {
    expect(() => synth({ schedule: scheduler.ScheduleExpression.expression('cron(0 1 * * ? 2030-2199)') })).not.toThrow();
  });
});

describe('time zones spelled in another case than the database', () => {
  test.each(['asia/kolkata', 'us/eastern', 'gmt', 'etc/utc', 'europe/kyiv', 'america/argentina/buenos_aires'])(
    "'%s' is refused, as 'utc' is", (zone) => {
      expect(() => synth({ timeZone: TimeZone.of(zone) })).toThrow(/is spelled '.*' in the IANA time zone database/);
    });

  test.each(['Etc/Zulu', 'Etc/UCT', 'Universal', 'Etc/Greenwich'])(
    'windows in %s (UTC) and a cron given no zone (UTC): no scheduleTimeZone warning', (zone) => {
      const { stack } = synth({ timeZone: TimeZone.of(zone), schedule: scheduler.ScheduleExpression.cron({ minute: '0', hour: '13' }) });
      expect(warnings(stack, 'cdk-cloudwatch-logs-s3-exporter:scheduleTimeZone')).toHaveLength(0);
    });
});

test('a deploy-time list of names holding one that is not a log group name fails at once, as a backfill\'s logGroupNames does', () => {
  const config = {
    exporterId: 'x',
    bucket: 'b',
    exportEmptyWindows: false,
    keyPrefix: 'exported-logs',
    period: 'P1D',
    timeZone: 'UTC',
    sources: [{ names: '/aws/lambda/a,not a name*,/x' }],
    excludePrefixes: [],
    excludeNames: [],
    settleSeconds: 0,
    maxCatchUpSeconds: 86_400,
    maxAttempts: 3,
    pollSeconds: 60,
    minWaitSeconds: 5,
    maxWaitSeconds: 60,
    maxTurns: 10,
    executionTimeoutSeconds: 3600,
    lambdaTimeoutSeconds: 900,
    scheduleIntervalSeconds: 86_400,
    leaseSeconds: 900,
  };
  expect(() => parseConfig(config)).toThrow(/not a name\*/);
});
