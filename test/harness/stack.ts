import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ACCOUNT, REGION } from './loop';
import { CloudWatchLogsS3Exporter, CloudWatchLogsS3ExporterProps, ExportDestination } from '../../src';

/** A bucket of another account: a shared archive. */
export interface ArchiveOf {
  readonly bucketName: string;
  readonly account: string;
}

/** A stack holding one exporter (of `account`, into `archive` when given), and its template (construct path `Stack/Exporter` whatever the stack name). */
export function synth(props: CloudWatchLogsS3ExporterProps = {}, stackName?: string, account = ACCOUNT, archive?: ArchiveOf):
{ stack: Stack; exporter: CloudWatchLogsS3Exporter; template: Template } {
  const app = new App();
  const stack = new Stack(app, 'Stack', { env: { account, region: REGION }, stackName });
  const bucket = archive && s3.Bucket.fromBucketAttributes(stack, 'Archive', { bucketName: archive.bucketName, account: archive.account, region: REGION });
  const exporter = new CloudWatchLogsS3Exporter(stack, 'Exporter', { ...props, ...(bucket ? { destination: ExportDestination.fromBucket(bucket) } : {}) });
  return { stack, exporter, template: Template.fromStack(stack) };
}

/** A stack holding one exporter, changed by `change` before synthesis. */
export function synthWith(props: CloudWatchLogsS3ExporterProps, change: (exporter: CloudWatchLogsS3Exporter) => void):
{ stack: Stack; exporter: CloudWatchLogsS3Exporter; template: Template } {
  const app = new App();
  const stack = new Stack(app, 'Stack', { env: { account: ACCOUNT, region: REGION } });
  const exporter = new CloudWatchLogsS3Exporter(stack, 'Exporter', props);
  change(exporter);
  return { stack, exporter, template: Template.fromStack(stack) };
}
