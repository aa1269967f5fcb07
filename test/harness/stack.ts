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

export interface SynthOptions {
  /** The stack's name (the construct path stays `Stack/Exporter`). */
  readonly stackName?: string;
  /** The exporter's account. */
  readonly account?: string;
  /** Export into this bucket of another account (a shared archive). */
  readonly archive?: ArchiveOf;
  /** Changes the exporter before synthesis (acknowledges a warning, adds a dashboard). */
  readonly change?: (exporter: CloudWatchLogsS3Exporter) => void;
}

/** A stack holding one exporter with `props`, and its template: the one way the tests build an exporter's stack. */
export function synth(
  props: CloudWatchLogsS3ExporterProps = {}, o: SynthOptions = {},
): { stack: Stack; exporter: CloudWatchLogsS3Exporter; template: Template } {
  const app = new App();
  const stack = new Stack(app, 'Stack', { env: { account: o.account ?? ACCOUNT, region: REGION }, stackName: o.stackName });
  const bucket = o.archive && s3.Bucket.fromBucketAttributes(stack, 'Archive', { bucketName: o.archive.bucketName, account: o.archive.account, region: REGION });
  const exporter = new CloudWatchLogsS3Exporter(stack, 'Exporter', { ...props, ...(bucket ? { destination: ExportDestination.fromBucket(bucket) } : {}) });
  o.change?.(exporter);
  return { stack, exporter, template: Template.fromStack(stack) };
}
