/**
 * How Athena reads the export layout: a table of the files' lines, with partition projection over
 * `<keyPrefix>/[<account>/<region>/]<group folder>/<yyyy>/<mm>/<dd>[/<hh>]/` and each line parsed as
 * `<ISO 8601 time, UTC> <message>`; and a view over it that turns the time into a timestamp.
 * Pure: no constructs.
 */

/**
 * One line of an export file: the event's time (ISO 8601, UTC), a space, the message. Lines that
 * do not match (the second line of a message with a line break, CloudWatch Logs'
 * `aws-logs-write-test` object) are rows of NULLs. The time stays text in the table: Hive's
 * timestamp columns take no ISO 8601 `T`; the view converts it.
 */
export const LINE_PATTERN = '^(\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(?:\\.\\d{1,9})?Z) (.*)$';

/**
 * Whether Athena reads a log group's exports wrongly or not at all through the table (the exports
 * themselves are complete): Athena removes the empty folder of a `//` from an S3 location (a name
 * with `//` below its leading slashes, or one that ends in `/`, whose folder is followed by the
 * date's), and a `#` can be read as the start of a URI fragment. `exact`: a whole name, not a prefix.
 */
export function unreadableByAthena(name: string, exact: boolean): boolean {
  const folder = name.replace(/^\/+/, '');
  return folder.includes('//') || folder.includes('#') || (exact && folder.endsWith('/'));
}

/** The view's query: the table's rows with the time as a timestamp (UTC); the table is in the view's database. */
export function viewSql(linesTable: string, partitions: string[]): string {
  const columns = ['CAST(from_iso8601_timestamp("time") AS timestamp(3)) AS ts', 'message', ...partitions];
  return `SELECT ${columns.join(', ')} FROM "${linesTable}"`;
}

export interface ViewColumn {
  readonly name: string;
  /** Its type as Athena's engine names it (`varchar`, `timestamp(3)`). */
  readonly engineType: string;
  /** Its type as the Glue catalog names it (`string`, `timestamp`). */
  readonly hiveType: string;
}

/** The view's columns. */
export function viewColumns(partitions: string[]): ViewColumn[] {
  return [
    { name: 'ts', engineType: 'timestamp(3)', hiveType: 'timestamp' },
    { name: 'message', engineType: 'varchar', hiveType: 'string' },
    ...partitions.map((name) => ({ name, engineType: 'varchar', hiveType: 'string' })),
  ];
}

/** The view as Athena stores it in the catalog (`ViewOriginalText`): its query and columns, base64-encoded JSON. */
export function prestoView(sql: string, database: string, columns: ViewColumn[]): string {
  const view = { originalSql: sql, catalog: 'awsdatacatalog', schema: database, columns: columns.map((c) => ({ name: c.name, type: c.engineType })) };
  return `/* Presto View: ${Buffer.from(JSON.stringify(view)).toString('base64')} */`;
}

export interface Partition {
  readonly name: string;
  readonly comment: string;
}

export interface TableLayout {
  readonly location: string;
  readonly parameters: Record<string, string>;
  readonly partitions: Partition[];
}

/** The table's location, projection parameters and partition columns. */
export function tableLayout(o: {
  bucketName: string;
  keyPrefix: string;
  hourly: boolean;
  firstDay: string;
  /** An archive of several accounts' exporters: its source accounts (comma-separated) and its region. */
  archive?: { accounts: string; region: string };
}): TableLayout {
  const root = `s3://${o.bucketName}/${o.keyPrefix}/`;
  const partitions: Partition[] = [
    ...(o.archive ? [
      { name: 'account', comment: 'the account of the exporter (and of the log group)' },
      { name: 'region', comment: 'the region of the exporter (and of the log group)' },
    ] : []),
    { name: 'log_group', comment: "the log group's name without its leading '/' (its folder); name it in every query" },
    { name: 'day', comment: "yyyy/MM/dd in the exporter's time zone" },
    ...(o.hourly ? [{ name: 'hour', comment: "00-23 in the exporter's time zone" }] : []),
  ];
  return {
    location: root,
    partitions,
    parameters: {
      'projection.enabled': 'true',
      ...(o.archive ? {
        'projection.account.type': 'enum',
        'projection.account.values': o.archive.accounts,
        'projection.region.type': 'enum',
        'projection.region.values': o.archive.region,
      } : {}),
      // A query names its groups: there is no listing of them to project.
      'projection.log_group.type': 'injected',
      'projection.day.type': 'date',
      'projection.day.format': 'yyyy/MM/dd',
      // A day ahead of UTC's today, for time zones east of UTC.
      'projection.day.range': `${o.firstDay},NOW+1DAYS`,
      'projection.day.interval': '1',
      'projection.day.interval.unit': 'DAYS',
      ...(o.hourly ? { 'projection.hour.type': 'integer', 'projection.hour.range': '0,23', 'projection.hour.digits': '2' } : {}),
      'storage.location.template': `${root}${partitions.map((p) => `\${${p.name}}`).join('/')}/`,
    },
  };
}

export interface NamedQuery {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly sql: (table: string, partitions: string[]) => string;
}

const window = (partitions: string[]) => (partitions.includes('hour') ? "day = '2026/01/31' AND hour BETWEEN '08' AND '12'" : "day = '2026/01/31'");

/** Queries saved in the workgroup: examples to edit (the groups and days they name). */
export const NAMED_QUERIES: NamedQuery[] = [
  {
    id: 'ErrorsPerGroupAndDay',
    name: 'Errors per log group and day',
    description: 'Events whose message says error, counted per log group and day; edit the groups and days',
    sql: (table) => [
      '-- Name the log groups (without their leading \'/\') and the days to read: only those are scanned.',
      'SELECT log_group, day, count(*) AS errors',
      `FROM "${table}"`,
      "WHERE log_group IN ('aws/lambda/my-function', 'aws/lambda/other-function')",
      "  AND day BETWEEN '2026/01/01' AND '2026/01/31'",
      "  AND regexp_like(message, '(?i)\\berror\\b')",
      'GROUP BY log_group, day',
      'ORDER BY log_group, day',
    ].join('\n'),
  },
  {
    id: 'JsonFields',
    name: 'Fields of JSON messages',
    description: 'Fields of messages logged as JSON (level, message) with json_extract_scalar; edit the group, day and fields',
    sql: (table, partitions) => [
      '-- Messages that are not JSON give NULL fields.',
      "SELECT ts, json_extract_scalar(message, '$.level') AS level, json_extract_scalar(message, '$.message') AS text, message",
      `FROM "${table}"`,
      `WHERE log_group = 'aws/lambda/my-function' AND ${window(partitions)}`,
      "  AND json_extract_scalar(message, '$.level') = 'ERROR'",
      'ORDER BY ts',
    ].join('\n'),
  },
  {
    id: 'OneRequestAcrossGroups',
    name: 'One request id across log groups',
    description: 'Every event that names one request id, in several log groups, in time order; edit the id, groups and day',
    sql: (table, partitions) => [
      'SELECT ts, log_group, message',
      `FROM "${table}"`,
      "WHERE log_group IN ('aws/lambda/orders', 'aws/lambda/payments', 'ecs/web')",
      `  AND ${window(partitions)}`,
      "  AND strpos(message, '6f1c2e4a-0000-4000-8000-000000000000') > 0",
      'ORDER BY ts',
    ].join('\n'),
  },
];
