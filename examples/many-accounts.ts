/**
 * One archive for many accounts: a log archive account holds an archive bucket in each region its
 * source accounts export from (CloudWatch Logs exports only to a bucket of the log groups'
 * region), with an Athena table over each; every source account and region runs an exporter
 * writing into the archive bucket of its region. Deploy the archive stacks first, then the
 * exporter stacks (with credentials for each account):
 * `npx cdk deploy --app "npx ts-node --prefer-ts-exts examples/many-accounts.ts" <stack>`.
 */
import { Annotations, App, Duration, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { CloudWatchLogsArchiveBucket, CloudWatchLogsS3Exporter, ExportDestination, ExportedLogsTable, ExportedLogsTableSource, LogGroupSelection } from '../src';

export const ARCHIVE_ACCOUNT = '111111111111';
/** The source accounts, each in its region. */
export const SOURCES = [
  { account: '222222222222', region: 'eu-west-1' },
  { account: '333333333333', region: 'us-east-1' },
];
/** The archive's bucket in a region: a name known in advance, so that the exporters can import it. */
const bucketName = (region: string) => `example-org-log-archive-${region}`;

export function manyAccountsApp(outdir?: string): App {
  const app = new App({ outdir });
  const regions = [...new Set(SOURCES.map((s) => s.region))];
  for (const region of regions) {
    const stack = new Stack(app, `LogArchive-${region}`, { env: { account: ARCHIVE_ACCOUNT, region } });
    const archive = new CloudWatchLogsArchiveBucket(stack, 'Archive', {
      bucketName: bucketName(region),
      sourceAccounts: SOURCES.filter((s) => s.region === region).map((s) => s.account),
      // The exports only (a rule may not reach the exporters' state, under _state/).
      lifecycleRules: [{ prefix: 'exported-logs/', transitions: [{ storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(90) }] }],
    });
    // One table over every account's exports in this region: partitions account, region, log_group, day.
    new ExportedLogsTable(stack, 'Table', { source: ExportedLogsTableSource.fromArchive(archive), workGroup: true });
  }
  for (const { account, region } of SOURCES) {
    const stack = new Stack(app, `LogExporter-${account}-${region}`, { env: { account, region } });
    const archive = CloudWatchLogsArchiveBucket.fromArchiveAttributes(stack, 'Archive', { bucketName: bucketName(region), account: ARCHIVE_ACCOUNT });
    const exporter = new CloudWatchLogsS3Exporter(stack, 'Exporter', {
      destination: ExportDestination.fromArchive(archive),
      logGroups: LogGroupSelection.prefixes(['/aws/lambda/', '/ecs/']),
    });
    // The archive stack gives this account the statements the warning names: nothing to add by hand.
    Annotations.of(exporter).acknowledgeWarning('cdk-cloudwatch-logs-s3-exporter:archivePolicy', 'CloudWatchLogsArchiveBucket grants them in the archive account');
  }
  return app;
}

if (require.main === module) {
  manyAccountsApp().synth();
}
