import { Duration, Lazy, Names, RemovalPolicy, Stack, Token, TokenComparison } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { CloudWatchLogsArchiveBucket } from './archive-bucket';
import { ExportPeriod } from './export-period';
import { CloudWatchLogsS3Exporter } from './exporter';
import { suppress } from './private/nag';
import { LINE_PATTERN, NAMED_QUERIES, prestoView, tableLayout, viewColumns, viewSql } from './private/table-layout';

/**
 * With `ExportedLogsTableSource.fromArchive()`: how the archive's exporters cut their windows.
 */
export interface ArchiveTableOptions {
  /**
   * The exporters' export period. `HOURLY` adds the `hour` partition (all exporters of the
   * archive must then be hourly); `DAILY` reads hourly exports too, a day at a time.
   *
   * @default ExportPeriod.DAILY
   */
  readonly exportPeriod?: ExportPeriod;
}

/** What a table's source means for the table. @internal */
export interface BoundSource {
  readonly bucket: s3.IBucket;
  readonly prefix: string;
  readonly hourly: boolean;
  /** The time zone of the days (and hours). */
  readonly zone: string;
  /** Who exported (for descriptions). */
  readonly origin: string;
  /** An archive's source accounts (as they are when the app is synthesized) and region. */
  readonly archive?: { readonly accounts: string; readonly region: string };
}

/**
 * What an ExportedLogsTable reads: the exports of one exporter, or of every exporter of an archive.
 */
export class ExportedLogsTableSource {
  /**
   * The exports of one exporter, in this account (an exporter writing into another account's
   * archive is queried from the archive's account, with `fromArchive`).
   */
  public static fromExporter(exporter: CloudWatchLogsS3Exporter): ExportedLogsTableSource {
    if (!(exporter instanceof CloudWatchLogsS3Exporter)) throw new Error('ExportedLogsTableSource.fromExporter: exporter must be a CloudWatchLogsS3Exporter');
    return new ExportedLogsTableSource((scope) => {
      if (Token.compareStrings(exporter.bucket.env.account, Stack.of(scope).account) === TokenComparison.DIFFERENT) {
        throw new Error(`ExportedLogsTable: the exporter's bucket is of account ${exporter.bucket.env.account}, which grants this account no read of it: ` +
          'query a shared archive from its own account, with ExportedLogsTableSource.fromArchive(archive) there');
      }
      return {
        bucket: exporter.bucket,
        prefix: exporter.exportPrefix,
        hourly: exporter.exportPeriod === ExportPeriod.HOURLY,
        zone: exporter.timeZone.timezoneName,
        origin: exporter.node.path,
      };
    });
  }

  /**
   * The exports of every exporter of an archive of several accounts: the table then has the
   * partitions `account` (one of the archive's source accounts) and `region` before `log_group`.
   */
  public static fromArchive(archive: CloudWatchLogsArchiveBucket, options: ArchiveTableOptions = {}): ExportedLogsTableSource {
    if (!(archive instanceof CloudWatchLogsArchiveBucket)) throw new Error('ExportedLogsTableSource.fromArchive: archive must be a CloudWatchLogsArchiveBucket');
    return new ExportedLogsTableSource(() => ({
      bucket: archive.bucket,
      prefix: archive.keyPrefix,
      hourly: (options.exportPeriod ?? ExportPeriod.DAILY) === ExportPeriod.HOURLY,
      zone: "each exporter's time zone",
      origin: `exporters of the archive ${archive.node.path}`,
      archive: { accounts: Lazy.string({ produce: () => archive.sourceAccounts.join(',') }), region: Stack.of(archive).region },
    }));
  }

  private constructor(private readonly binder: (scope: Construct) => BoundSource) {}

  /** @internal */
  public _bind(scope: Construct): BoundSource {
    return this.binder(scope);
  }
}

/**
 * Properties of an ExportedLogsTable.
 */
export interface ExportedLogsTableProps {
  /** The exports the table reads: `ExportedLogsTableSource.fromExporter(exporter)` or `.fromArchive(archive)`. */
  readonly source: ExportedLogsTableSource;

  /**
   * An existing Glue database to create the view and its table in (a name known at synthesis):
   * lowercase letters, digits and underscores.
   *
   * @default - a new database, named after the stack and this construct
   */
  readonly databaseName?: string;

  /**
   * Name of the view to query: lowercase letters, digits and underscores. The table of the
   * export files' lines it reads is named after it, with `_lines`.
   *
   * @default 'exported_logs'
   */
  readonly tableName?: string;

  /**
   * The first day the table's day partition reaches back to, `YYYY-MM-DD` (queries that name no
   * day read every day from it on).
   *
   * @default - five years before the query runs
   */
  readonly firstDay?: string;

  /**
   * Create an Athena workgroup for querying the table, with a result location, and named queries
   * (errors per log group and day, fields of JSON messages, one request id across log groups).
   *
   * @default false
   */
  readonly workGroup?: boolean;

  /**
   * The bucket the workgroup writes query results to (with `workGroup: true`).
   *
   * @default - a new private, encrypted bucket whose results expire after `queryResultsExpiration`
   */
  readonly queryResultsBucket?: s3.IBucket;

  /**
   * How long query results are kept in the bucket the construct creates for them (whole days).
   *
   * @default Duration.days(30)
   */
  readonly queryResultsExpiration?: Duration;
}

/** Glue and Athena names: lowercase letters, digits, underscores (`_lines` is added to the table's). */
const NAME = /^[a-z0-9_]{1,249}$/;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * An Athena view over what a CloudWatchLogsS3Exporter exported: one row per log event with its
 * time (`ts`, a timestamp in UTC) and `message`, partitioned by log group (`log_group`, the
 * group's name without its leading '/') and day (`day`, `yyyy/MM/dd` in the exporter's time zone;
 * hourly exporters also `hour`, `00`-`23`). It reads a Glue table of the export files' lines with
 * partition projection: no crawler, no partitions to add, and a query reads only the groups and
 * days it names (it must name the groups). The exporter's state (`_state/`) is never read.
 * Over a CloudWatchLogsArchiveBucket (`archive`), the partitions `account` and `region` come first.
 */
export class ExportedLogsTable extends Construct {
  /** Name of the Glue database holding the view and its table. */
  public readonly databaseName: string;
  /** Name of the view to query. */
  public readonly tableName: string;
  /** Name of the table of the export files' lines (`time` as ISO 8601 text, `message`) the view reads. */
  public readonly linesTableName: string;
  /** The Glue table of the export files' lines. */
  public readonly table: glue.CfnTable;
  /** The view (a Glue table of type VIRTUAL_VIEW). */
  public readonly view: glue.CfnTable;
  /** The Athena workgroup (with `workGroup: true`). */
  public readonly workGroup?: athena.CfnWorkGroup;
  /** Name of the Athena workgroup (with `workGroup: true`). */
  public readonly workGroupName?: string;
  /** Where the workgroup writes query results (with `workGroup: true`). */
  public readonly queryResultsBucket?: s3.IBucket;
  /** What the table reads. */
  private readonly source: BoundSource;

  constructor(scope: Construct, id: string, props: ExportedLogsTableProps) {
    super(scope, id);
    if (!(props?.source instanceof ExportedLogsTableSource)) {
      throw new Error('ExportedLogsTable: source must be ExportedLogsTableSource.fromExporter(exporter) or ExportedLogsTableSource.fromArchive(archive)');
    }
    const stack = Stack.of(this);
    const source = props.source._bind(this);
    this.source = source;
    const { hourly, zone, origin } = source;
    this.tableName = validName('tableName', props.tableName ?? 'exported_logs');
    this.linesTableName = `${this.tableName}_lines`;
    const firstDay = props.firstDay === undefined ? 'NOW-5YEARS' : parseDay(props.firstDay);
    if (props.queryResultsBucket && !props.workGroup) throw new Error('ExportedLogsTable: queryResultsBucket is for the workgroup: set workGroup: true as well');
    if (props.queryResultsExpiration && (!props.workGroup || props.queryResultsBucket)) {
      throw new Error('ExportedLogsTable: queryResultsExpiration applies to the bucket the construct creates for query results (workGroup: true, no queryResultsBucket)');
    }
    const expiration = props.queryResultsExpiration ?? Duration.days(30);
    const expirationMs = expiration.toMilliseconds();
    if (Token.isUnresolved(expirationMs) || expirationMs < 86_400_000 || expirationMs % 86_400_000 !== 0) {
      throw new Error(`ExportedLogsTable: queryResultsExpiration must be a whole number of days, at least one, got ${expiration.toHumanString()}`);
    }

    let database: glue.CfnDatabase | undefined;
    if (props.databaseName !== undefined) {
      this.databaseName = validName('databaseName', props.databaseName);
    } else {
      this.databaseName = Names.uniqueResourceName(this, { maxLength: 64, separator: '_' }).toLowerCase().replace(/[^a-z0-9_]/g, '_');
      database = new glue.CfnDatabase(this, 'Database', {
        catalogId: stack.account,
        databaseInput: { name: this.databaseName, description: `CloudWatch Logs exported by ${origin}` },
      });
      database.applyRemovalPolicy(RemovalPolicy.DESTROY);
    }

    const layout = tableLayout({
      bucketName: this.source.bucket.bucketName,
      keyPrefix: this.source.prefix,
      hourly,
      firstDay,
      // An archive's folders: <keyPrefix>/<account>/<region>/.
      archive: source.archive,
    });
    // Two tables of one name would replace each other.
    const same = stack.node.findAll().find((c) => c !== this && c instanceof ExportedLogsTable && Stack.of(c) === stack
      && c.databaseName === this.databaseName && c.tableName === this.tableName);
    if (same) throw new Error(`ExportedLogsTable: another table of this stack is named ${this.databaseName}.${this.tableName}: give this one another tableName or databaseName`);

    this.table = new glue.CfnTable(this, 'Table', {
      catalogId: stack.account,
      databaseName: this.databaseName,
      tableInput: {
        name: this.linesTableName,
        description: `Lines of the CloudWatch Logs exports in s3://${this.source.bucket.bucketName}/${this.source.prefix}/ ` +
          `(query the view ${this.tableName}); day (and hour) in ${zone}, time in UTC; name log_group in every query`,
        tableType: 'EXTERNAL_TABLE',
        parameters: { classification: 'text', compressionType: 'gzip', ...layout.parameters },
        partitionKeys: layout.partitions.map((p) => ({ name: p.name, type: 'string', comment: p.comment })),
        storageDescriptor: {
          columns: [
            { name: 'time', type: 'string', comment: 'when the event happened, ISO 8601 in UTC' },
            { name: 'message', type: 'string', comment: 'the event as logged' },
          ],
          location: layout.location,
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serdeInfo: { serializationLibrary: 'org.apache.hadoop.hive.serde2.RegexSerDe', parameters: { 'input.regex': LINE_PATTERN } },
        },
      },
    });
    this.table.applyRemovalPolicy(RemovalPolicy.DESTROY);

    const partitions = layout.partitions.map((p) => p.name);
    const columns = viewColumns(partitions);
    this.view = new glue.CfnTable(this, 'View', {
      catalogId: stack.account,
      databaseName: this.databaseName,
      tableInput: {
        name: this.tableName,
        description: `CloudWatch Logs events exported by ${origin}: ts in UTC, day (and hour) in ${zone}; name log_group in every query`,
        tableType: 'VIRTUAL_VIEW',
        parameters: { presto_view: 'true', comment: 'Presto View' },
        viewOriginalText: prestoView(viewSql(this.linesTableName, partitions), this.databaseName, columns),
        viewExpandedText: '/* Presto View */',
        storageDescriptor: {
          columns: columns.map((c) => ({ name: c.name, type: c.hiveType })),
          serdeInfo: {},
        },
      },
    });
    this.view.applyRemovalPolicy(RemovalPolicy.DESTROY);
    this.view.node.addDependency(this.table);
    if (database) this.table.node.addDependency(database);

    if (props.workGroup) {
      this.queryResultsBucket = props.queryResultsBucket ?? this.createResultsBucket(expiration);
      const key = this.queryResultsBucket.encryptionKey;
      this.workGroupName = Names.uniqueResourceName(this, { maxLength: 128 });
      this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
        name: this.workGroupName,
        description: `Queries of ${this.databaseName}.${this.tableName}`,
        recursiveDeleteOption: true,
        workGroupConfiguration: {
          enforceWorkGroupConfiguration: true,
          publishCloudWatchMetricsEnabled: true,
          resultConfiguration: {
            outputLocation: this.queryResultsBucket.s3UrlForObject('results/'),
            encryptionConfiguration: key ? { encryptionOption: 'SSE_KMS', kmsKey: key.keyArn } : { encryptionOption: 'SSE_S3' },
          },
        },
      });
      for (const q of NAMED_QUERIES) {
        const query = new athena.CfnNamedQuery(this, q.id, {
          name: q.name,
          description: q.description,
          database: this.databaseName,
          workGroup: this.workGroup.ref,
          queryString: q.sql(this.tableName, partitions),
        });
        query.node.addDependency(this.workGroup);
        query.node.addDependency(this.view);
      }
    }
  }

  /**
   * Lets a principal query the view: list and read the exporter's key prefix (its exports, not its
   * state; and decrypt them with the bucket's key, when the bucket names it), read the view and its table from the
   * Glue catalog and, with a workgroup, run queries in it and read and write its results. The
   * grant succeeds only when every part of it does.
   */
  public grantQuery(grantee: iam.IGrantable): iam.Grant {
    const stack = Stack.of(this);
    const { bucket, prefix } = this.source;
    const table = (name: string) => stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${this.databaseName}/${name}` });
    // Athena's reads of the data (s3:GetBucketLocation, s3:ListBucket, s3:GetObject, as Athena documents them), listing limited to the prefix.
    // (To a principal that takes no policy statements, in the bucket's policy, as bucket.grantRead() does.)
    const s3Read = (actions: string[], resourceArns: string[], conditions?: Record<string, Record<string, unknown>>) =>
      iam.Grant.addToPrincipalOrResource({ grantee, actions, resourceArns, resource: bucket, conditions });
    const parts = [
      s3Read(['s3:GetBucketLocation'], [bucket.bucketArn]),
      s3Read(['s3:ListBucket'], [bucket.bucketArn], { StringLike: { 's3:prefix': [`${prefix}/*`] } }),
      s3Read(['s3:GetObject'], [bucket.arnForObjects(`${prefix}/*`)]),
      ...(bucket.encryptionKey ? [bucket.encryptionKey.grantDecrypt(grantee)] : []), iam.Grant.addToPrincipal({
        grantee,
        actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartition', 'glue:GetPartitions'],
        resourceArns: [
          stack.formatArn({ service: 'glue', resource: 'catalog' }),
          stack.formatArn({ service: 'glue', resource: 'database', resourceName: this.databaseName }),
          table(this.tableName),
          table(this.linesTableName),
        ],
      }),
    ];
    if (this.workGroupName && this.queryResultsBucket) {
      parts.push(iam.Grant.addToPrincipal({
        grantee,
        actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution',
          'athena:GetWorkGroup', 'athena:ListNamedQueries', 'athena:GetNamedQuery', 'athena:BatchGetNamedQuery'],
        // By name, not by reference: a grantee in another stack must not make the stacks depend on each other both ways.
        resourceArns: [stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: this.workGroupName })],
      }), this.queryResultsBucket.grantReadWrite(grantee, 'results/*'));
    }
    // A part that could not be added (a role that takes no statements) is the answer: its assertSuccess() says what failed.
    return parts.find((p) => !p.success) ?? parts.reduce((all, p) => all.combine(p));
  }

  private createResultsBucket(expiration: Duration): s3.IBucket {
    const bucket = new s3.Bucket(this, 'QueryResults', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration, abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    suppress(bucket, [{
      id: 'AwsSolutions-S1',
      reason: 'Athena query results are transient copies of query output that expire on a lifecycle rule; access to the exported logs themselves is what to log.',
    }]);
    return bucket;
  }
}

/** `YYYY-MM-DD` as the day partition's format, after checking it is a real date, not in the future. */
function parseDay(day: string): string {
  const m = DAY.exec(day);
  const date = m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])) : undefined;
  if (!m || !date || date.getUTCFullYear() !== +m[1] || date.getUTCMonth() !== +m[2] - 1 || date.getUTCDate() !== +m[3]) {
    throw new Error(`ExportedLogsTable: firstDay must be a date 'YYYY-MM-DD', got '${day}'`);
  }
  if (date.getTime() > Date.now()) throw new Error(`ExportedLogsTable: firstDay (${day}) is in the future: the days a query can read start there`);
  return `${m[1]}/${m[2]}/${m[3]}`;
}

/** A Glue name known at synthesis. */
function validName(prop: string, name: string): string {
  if (Token.isUnresolved(name) || !NAME.test(name)) {
    throw new Error(`ExportedLogsTable: ${prop} must be lowercase letters, digits and underscores known at synthesis (at most 249), got '${name}'`);
  }
  return name;
}
