/**
 * An example CDK app using the construct: the app `npm run demo` synthesizes and runs locally.
 * Deploy it with `npx cdk deploy --app "npx ts-node --prefer-ts-exts examples/app.ts"`.
 */
import { App, Duration, Stack, TimeZone } from 'aws-cdk-lib';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { CloudWatchLogsS3Exporter, ExportDestination, ExportPeriod, ExportedLogsTable, ExportedLogsTableSource, LogGroupSelection } from '../src';

/** Log groups the example exports: two prefixes with a leading '/', one without. */
export const EXAMPLE_PREFIXES = ['/aws/lambda/', '/ecs/', 'app-'];

export function exampleApp(outdir?: string): App {
  const app = new App({ outdir });
  const stack = new Stack(app, 'LogsExportExample');
  const exporter = new CloudWatchLogsS3Exporter(stack, 'Exporter', {
    logGroups: LogGroupSelection.prefixes(EXAMPLE_PREFIXES),
    destination: ExportDestination.newBucket({ keyPrefix: 'exported-logs' }),
    exportPeriod: ExportPeriod.DAILY,
    timeZone: TimeZone.ETC_UTC,
    schedule: scheduler.ScheduleExpression.cron({ hour: '12', minute: '30' }),
    timeout: Duration.hours(6),
  });
  // Query the archive with Athena: a table over the exports, a workgroup and example queries.
  new ExportedLogsTable(stack, 'LogsTable', { source: ExportedLogsTableSource.fromExporter(exporter), workGroup: true });
  return app;
}

if (require.main === module) {
  exampleApp().synth();
}
