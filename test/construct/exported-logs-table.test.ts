/**
 * The Athena table over the exports: what it reads (and never reads), for daily and hourly
 * exporters, its workgroup and named queries, and what querying it is granted.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { gzipSync } from 'zlib';
import { App, Aspects, Duration, Stack, TimeZone } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  CloudWatchLogsArchiveBucket, CloudWatchLogsS3Exporter, CloudWatchLogsS3ExporterProps, ExportDestination, ExportPeriod, ExportedLogsTable,
  ExportedLogsTableProps,
  ExportedLogsTableSource,
} from '../../src';
import { query as readView, tableOf } from '../harness/local/athena';
import { ACCOUNT, REGION, resolve } from '../harness/loop';

/** A stack holding an exporter with `exporterProps` and a table of its exports with `tableProps`. */
function synthTable(exporterProps: CloudWatchLogsS3ExporterProps = {}, tableProps: Omit<ExportedLogsTableProps, 'source'> = {}) {
  const app = new App();
  const stack = new Stack(app, 'Stack', { env: { account: ACCOUNT, region: REGION } });
  const exporter = new CloudWatchLogsS3Exporter(stack, 'Exporter', exporterProps);
  const table = new ExportedLogsTable(stack, 'Logs', { source: ExportedLogsTableSource.fromExporter(exporter), ...tableProps });
  return { app, stack, exporter, table, template: Template.fromStack(stack) };
}

const inputs = (template: Template) => Object.values<any>(template.findResources('AWS::Glue::Table')).map((t) => t.Properties.TableInput);
const tableInput = (template: Template) => inputs(template).find((t) => t.TableType === 'EXTERNAL_TABLE');
const viewInput = (template: Template) => inputs(template).find((t) => t.TableType === 'VIRTUAL_VIEW');
/** The view as Athena reads it from the catalog. */
const decodedView = (template: Template) => JSON.parse(Buffer.from(/^\/\* Presto View: (.*) \*\/$/.exec(viewInput(template).ViewOriginalText)![1], 'base64').toString());
/** A value with the bucket's name (a reference) replaced by BUCKET. */
const resolved = (v: any): string => (typeof v === 'string' ? v : v['Fn::Join'][1].map((p: any) => (typeof p === 'string' ? p : 'BUCKET')).join(''));

describe('ExportedLogsTable', () => {
  test('daily: a table of the lines with partition projection over <prefix>/<group>/<yyyy/MM/dd>/, and a view with the time as a timestamp', () => {
    const { template, table } = synthTable({ destination: ExportDestination.newBucket({ keyPrefix: 'archive/logs' }), timeZone: TimeZone.EUROPE_BERLIN });
    const input = tableInput(template);
    expect(input.Name).toBe('exported_logs_lines');
    expect(table.linesTableName).toBe('exported_logs_lines');
    expect(input.PartitionKeys.map((p: any) => [p.Name, p.Type])).toEqual([['log_group', 'string'], ['day', 'string']]);
    // Hive's timestamp columns take no ISO 8601 'T': the table keeps the time as text, the view converts it.
    expect(input.StorageDescriptor.Columns.map((c: any) => [c.Name, c.Type])).toEqual([['time', 'string'], ['message', 'string']]);
    const view = viewInput(template);
    expect(view.Name).toBe('exported_logs');
    expect(view.Parameters).toEqual({ presto_view: 'true', comment: 'Presto View' });
    expect(view.StorageDescriptor.Columns.map((c: any) => [c.Name, c.Type])).toEqual([['ts', 'timestamp'], ['message', 'string'], ['log_group', 'string'], ['day', 'string']]);
    expect(decodedView(template)).toEqual({
      originalSql: 'SELECT CAST(from_iso8601_timestamp("time") AS timestamp(3)) AS ts, message, log_group, day FROM "exported_logs_lines"',
      catalog: 'awsdatacatalog',
      schema: table.databaseName,
      columns: [{ name: 'ts', type: 'timestamp(3)' }, { name: 'message', type: 'varchar' }, { name: 'log_group', type: 'varchar' }, { name: 'day', type: 'varchar' }],
    });
    expect(input.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe('org.apache.hadoop.hive.serde2.RegexSerDe');
    const p = input.Parameters;
    expect(p).toMatchObject({
      'projection.enabled': 'true',
      'projection.log_group.type': 'injected',
      'projection.day.type': 'date',
      'projection.day.format': 'yyyy/MM/dd',
      'projection.day.range': 'NOW-5YEARS,NOW+1DAYS',
      'projection.day.interval.unit': 'DAYS',
    });
    expect(resolved(p['storage.location.template'])).toBe('s3://BUCKET/archive/logs/${log_group}/${day}/');
    expect(resolved(input.Description)).toContain('Europe/Berlin');
    expect(view.Description).toContain('Europe/Berlin');
    expect(table.workGroup).toBeUndefined();
    template.resourceCountIs('AWS::Glue::Database', 1);
    template.resourceCountIs('AWS::Athena::WorkGroup', 0);

    // The line pattern: the time, a space, the rest of the line.
    const regex = new RegExp(input.StorageDescriptor.SerdeInfo.Parameters['input.regex']);
    expect(regex.exec('2026-11-24T06:00:00.123Z GET /orders 200 took 5 ms')?.slice(1)).toEqual(['2026-11-24T06:00:00.123Z', 'GET /orders 200 took 5 ms']);
    expect(regex.exec('2026-11-24T06:00:00Z ')?.slice(1)).toEqual(['2026-11-24T06:00:00Z', '']);
    expect(regex.test('Permission Check Successful')).toBe(false);
  });

  test('hourly: an hour partition 00-23 below the day, both in the exporter\'s time zone', () => {
    const { template } = synthTable({ exportPeriod: ExportPeriod.HOURLY }, { firstDay: '2025-02-28', tableName: 'app_logs' });
    const input = tableInput(template);
    expect([input.Name, viewInput(template).Name]).toEqual(['app_logs_lines', 'app_logs']);
    expect(input.PartitionKeys.map((p: any) => p.Name)).toEqual(['log_group', 'day', 'hour']);
    expect(decodedView(template).originalSql).toBe('SELECT CAST(from_iso8601_timestamp("time") AS timestamp(3)) AS ts, message, log_group, day, hour FROM "app_logs_lines"');
    expect(input.Parameters).toMatchObject({
      'projection.day.range': '2025/02/28,NOW+1DAYS',
      'projection.hour.type': 'integer',
      'projection.hour.range': '0,23',
      'projection.hour.digits': '2',
    });
    expect(resolved(input.Parameters['storage.location.template'])).toBe('s3://BUCKET/exported-logs/${log_group}/${day}/${hour}/');
  });

  test('an existing database is used, not created', () => {
    const { template } = synthTable({}, { databaseName: 'analytics' });
    template.resourceCountIs('AWS::Glue::Database', 0);
    template.resourceCountIs('AWS::Glue::Table', 2);
    template.allResourcesProperties('AWS::Glue::Table', { DatabaseName: 'analytics' });
  });

  test('a workgroup with encrypted results that expire, and named queries naming the table\'s partitions', () => {
    const { template, table } = synthTable({ exportPeriod: ExportPeriod.HOURLY }, { workGroup: true, queryResultsExpiration: Duration.days(7) });
    expect(table.queryResultsBucket).toBeDefined();
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: Match.objectLike({
        EnforceWorkGroupConfiguration: true,
        ResultConfiguration: Match.objectLike({ EncryptionConfiguration: { EncryptionOption: 'SSE_S3' } }),
      }),
    });
    template.hasResourceProperties('AWS::S3::Bucket', { LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 7 })]) } });
    const queries = Object.values<any>(template.findResources('AWS::Athena::NamedQuery')).map((q) => q.Properties);
    expect(queries.map((q) => q.Name).sort()).toEqual(['Errors per log group and day', 'Fields of JSON messages', 'One request id across log groups']);
    for (const q of queries) {
      expect(q.QueryString).toContain('FROM "exported_logs"');
      expect(q.QueryString).toMatch(/log_group (=|IN)/);
    }
    expect(queries.find((q) => q.Name === 'Fields of JSON messages').QueryString).toContain("hour BETWEEN '08' AND '12'");
  });

  test('grantQuery: the exports (not other prefixes), the key of an SSE-KMS bucket, the catalog, the workgroup and its results', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack', { env: { account: ACCOUNT, region: REGION } });
    const key = new kms.Key(stack, 'Key');
    const bucket = new s3.Bucket(stack, 'Archive', { encryption: s3.BucketEncryption.KMS, encryptionKey: key, enforceSSL: true });
    const exporter = new CloudWatchLogsS3Exporter(stack, 'Exporter', { destination: ExportDestination.fromBucket(bucket, { keyPrefix: 'logs' }) });
    const table = new ExportedLogsTable(stack, 'Logs', { source: ExportedLogsTableSource.fromExporter(exporter), workGroup: true });
    const analyst = new iam.Role(stack, 'Analyst', { assumedBy: new iam.AccountRootPrincipal() });
    table.grantQuery(analyst);
    const template = Template.fromStack(stack);
    const policy = Object.values<any>(template.findResources('AWS::IAM::Policy')).find((p) => p.Properties.Roles.some((r: any) => r.Ref?.startsWith('Analyst')));
    const statements: any[] = policy.Properties.PolicyDocument.Statement;
    const actions = (s: any) => [s.Action].flat();
    expect(statements.some((s) => actions(s).includes('kms:Decrypt'))).toBe(true);
    // S3: the exports only: listing limited to their prefix, reading objects under it; the state (_state/) is out of reach.
    const onArchive = statements.filter((s) => JSON.stringify(s.Resource).includes('Archive')).map((s) => resolve(s, {}));
    const archive = resolve({ 'Fn::GetAtt': [stack.getLogicalId(bucket.node.defaultChild as s3.CfnBucket), 'Arn'] }, {});
    expect(onArchive.map((s) => [s.Action, s.Resource, s.Condition])).toEqual([
      ['s3:GetBucketLocation', archive, undefined],
      ['s3:ListBucket', archive, { StringLike: { 's3:prefix': ['logs/*'] } }],
      ['s3:GetObject', `${archive}/logs/*`, undefined],
    ]);
    expect(statements.some((s) => actions(s).includes('glue:GetPartitions'))).toBe(true);
    expect(statements.some((s) => actions(s).includes('athena:StartQueryExecution'))).toBe(true);
    expect(statements.some((s) => actions(s).includes('s3:PutObject') && JSON.stringify(s.Resource).includes('QueryResults'))).toBe(true);
  });

  test('bad props fail at synth time with a message naming the prop', () => {
    expect(() => synthTable({}, { tableName: 'My-Logs' })).toThrow(/tableName must be lowercase letters, digits and underscores known at synthesis \(at most 249\), got 'My-Logs'/);
    expect(() => synthTable({}, { databaseName: 'Analytics-DB' })).toThrow(/databaseName must be lowercase letters/);
    expect(() => synthTable({}, { databaseName: '' })).toThrow(/databaseName must be lowercase letters/);
    expect(() => synthTable({}, { firstDay: '2999-01-01' })).toThrow(/firstDay \(2999-01-01\) is in the future/);
    expect(() => synthTable({}, { workGroup: true, queryResultsExpiration: Duration.days(0) })).toThrow(/queryResultsExpiration must be a whole number of days, at least one, got 0 days/);
    expect(() => synthTable({}, { workGroup: true, queryResultsExpiration: Duration.hours(5) })).toThrow(/queryResultsExpiration must be a whole number of days/);
    expect(() => {
      const { stack, exporter } = synthTable({}, { databaseName: 'analytics' });
      new ExportedLogsTable(stack, 'Again', { source: ExportedLogsTableSource.fromExporter(exporter), databaseName: 'analytics' });
    }).toThrow(/another table of this stack is named analytics.exported_logs/);
    expect(() => synthTable({}, { firstDay: '2026-02-30' })).toThrow(/firstDay must be a date 'YYYY-MM-DD', got '2026-02-30'/);
    expect(() => synthTable({}, { firstDay: '2026/01/01' })).toThrow(/firstDay must be a date/);
    const results = (stack: Stack) => s3.Bucket.fromBucketName(stack, 'R', 'results');
    expect(() => {
      const { stack, exporter } = synthTable();
      new ExportedLogsTable(stack, 'Other', { source: ExportedLogsTableSource.fromExporter(exporter), queryResultsBucket: results(stack) });
    }).toThrow(/queryResultsBucket is for the workgroup: set workGroup: true as well/);
    expect(() => synthTable({}, { queryResultsExpiration: Duration.days(1) })).toThrow(/queryResultsExpiration applies to the bucket the construct creates/);
    expect(() => ExportedLogsTableSource.fromExporter({} as any)).toThrow(/exporter must be a CloudWatchLogsS3Exporter/);
    expect(() => new ExportedLogsTable(new Stack(), 'T', { exporter: {} } as any)).toThrow(/source must be ExportedLogsTableSource.fromExporter\(exporter\) or/);
  });

  test('the table and the role that queries it in another stack than the exporter', () => {
    const app = new App();
    const archive = new Stack(app, 'Archive', { env: { account: ACCOUNT, region: REGION } });
    const exporter = new CloudWatchLogsS3Exporter(archive, 'Exporter');
    const query = new Stack(app, 'Query', { env: { account: ACCOUNT, region: REGION } });
    const analyst = new iam.Role(query, 'Analyst', { assumedBy: new iam.AccountRootPrincipal() });
    const table = new ExportedLogsTable(query, 'Logs', { source: ExportedLogsTableSource.fromExporter(exporter), workGroup: true });
    const grant = table.grantQuery(analyst);
    expect(grant.success).toBe(true);
    expect(() => app.synth()).not.toThrow();
  });

  test('grantQuery to a principal that takes no policy statements: the grant says what did not succeed', () => {
    const { table } = synthTable({}, { workGroup: true });
    // The bucket's part goes to its bucket policy; the catalog's cannot go anywhere.
    const grant = table.grantQuery(new iam.ArnPrincipal(`arn:aws:iam::${ACCOUNT}:role/analyst`));
    expect(grant.success).toBe(false);
    expect(() => grant.assertSuccess()).toThrow(/glue:GetDatabase/);
  });

  test('cdk-nag AwsSolutions: no unsuppressed findings, each suppression with its reason', () => {
    const { app, stack } = synthTable({}, { workGroup: true });
    Aspects.of(stack).add(new AwsSolutionsChecks({ verbose: true }));
    app.synth();
    const findings = [...Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*')),
      ...Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'))];
    expect(findings.map((e) => `${e.id}: ${e.entry.data}`)).toEqual([]);
    const results = Object.entries<any>(Template.fromStack(stack).findResources('AWS::S3::Bucket')).filter(([id]) => id.includes('QueryResults')).map(([, b]) => b);
    const reasons = results.flatMap((r) => r.Metadata?.cdk_nag?.rules_to_suppress ?? []);
    expect(reasons.map((r: any) => r.id)).toEqual(['AwsSolutions-S1']);
    for (const r of reasons) expect(r.reason.length).toBeGreaterThan(40);
  });

  test('over an archive of several accounts: account and region partitions before the log group, read by DuckDB as the table defines it', async () => {
    const app = new App();
    const stack = new Stack(app, 'Archive', { env: { account: '999999999999', region: 'eu-west-1' } });
    const archive = new CloudWatchLogsArchiveBucket(stack, 'Logs', { sourceAccounts: ['111111111111'], bucketName: 'org-log-archive' });
    const table = new ExportedLogsTable(stack, 'Table', { source: ExportedLogsTableSource.fromArchive(archive), workGroup: true });
    // An account added after the table: projected as well.
    archive.addSourceAccount('222222222222');
    const template = Template.fromStack(stack);
    const input = tableInput(template);
    expect(input.PartitionKeys.map((p: any) => p.Name)).toEqual(['account', 'region', 'log_group', 'day']);
    expect(input.Parameters).toMatchObject({
      'projection.account.type': 'enum',
      'projection.account.values': '111111111111,222222222222',
      'projection.region.type': 'enum',
      'projection.region.values': 'eu-west-1',
      'projection.log_group.type': 'injected',
    });
    expect(resolved(input.Parameters['storage.location.template'])).toBe('s3://BUCKET/exported-logs/${account}/${region}/${log_group}/${day}/');
    expect(decodedView(template).columns.map((c: any) => c.name)).toEqual(['ts', 'message', 'account', 'region', 'log_group', 'day']);

    // Two accounts' exports of a group of the same name, read for one account: its events only.
    const dir = mkdtempSync(join(tmpdir(), 'archive-'));
    try {
      for (const account of ['111111111111', '222222222222']) {
        const folder = join(dir, `exported-logs/${account}/eu-west-1/aws/lambda/orders/2026/11/24/task-${account}/stream`);
        mkdirSync(folder, { recursive: true });
        writeFileSync(join(folder, '000000.gz'), gzipSync(`2026-11-24T06:00:00.000Z order from ${account}\n`));
      }
      const { rows, files } = await readView(tableOf(template.toJSON(), 'org-log-archive'), dir,
        { account: '222222222222', region: 'eu-west-1', log_group: 'aws/lambda/orders', day: '2026/11/24' });
      expect(rows).toEqual([{ ts: '2026-11-24T06:00:00.000Z', message: 'order from 222222222222' }]);
      expect(files).toEqual(['exported-logs/222222222222/eu-west-1/aws/lambda/orders/2026/11/24/task-222222222222/stream/000000.gz']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(table.grantQuery(new iam.Role(stack, 'Analyst', { assumedBy: new iam.AccountRootPrincipal() })).success).toBe(true);
    expect(() => ExportedLogsTableSource.fromArchive({} as any)).toThrow('archive must be a CloudWatchLogsArchiveBucket');
  });
});
