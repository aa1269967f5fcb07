import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ACCOUNT, REGION } from './loop';
import { CloudWatchLogsS3Exporter, CloudWatchLogsS3ExporterProps } from '../../src';

/** A stack holding one exporter, and its template (construct path `Stack/Exporter` whatever the stack name). */
export function synth(props: CloudWatchLogsS3ExporterProps = {}, stackName?: string):
{ stack: Stack; exporter: CloudWatchLogsS3Exporter; template: Template } {
  const app = new App();
  const stack = new Stack(app, 'Stack', { env: { account: ACCOUNT, region: REGION }, stackName });
  const exporter = new CloudWatchLogsS3Exporter(stack, 'Exporter', props);
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
