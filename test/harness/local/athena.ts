/**
 * The example app's Athena view, read the way Athena reads it, with DuckDB: the files the lines
 * table's partition projection selects for a log group and day (every object under that folder,
 * but those Athena treats as hidden: a path part below it that starts with `_` or `.`), split into
 * lines as Hadoop's text reader splits them (at `\n`, `\r` and `\r\n`), each line parsed with the
 * pattern of the table's Regex SerDe (a line that does not match is a row of NULLs); then the
 * view's own SQL, as stored in the catalog, run over that table. Athena's `from_iso8601_timestamp`
 * is the one function it uses that DuckDB lacks: a macro stands in for it.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'fs';
import { dirname, join, relative } from 'path';
import { gunzipSync } from 'zlib';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { resolve } from './assembly';
import { clients } from './seed';

/** What the synthesized Glue table and view say about reading the exports. */
export interface TableDefinition {
  /** The lines table. */
  readonly linesTable: string;
  /** `storage.location.template`, with the bucket's name. */
  readonly locationTemplate: string;
  /** The Regex SerDe's `input.regex`. */
  readonly pattern: string;
  readonly partitions: string[];
  readonly lineColumns: string[];
  /** The view. */
  readonly view: string;
  /** The view's SQL and columns, decoded from its `ViewOriginalText`. */
  readonly viewSql: string;
  readonly viewColumns: string[];
}

/** The lines table and the view of a synthesized template, the bucket given `bucketName`. */
export function tableOf(template: any, bucketName: string): TableDefinition {
  const refs: Record<string, string> = {};
  for (const [id, r] of Object.entries<any>(template.Resources)) if (r.Type === 'AWS::S3::Bucket') refs[id] = bucketName;
  const tables = Object.values<any>(template.Resources).filter((r) => r.Type === 'AWS::Glue::Table').map((t) => resolve(t.Properties.TableInput, refs));
  const lines = tables.find((t) => t.TableType === 'EXTERNAL_TABLE');
  const view = tables.find((t) => t.TableType === 'VIRTUAL_VIEW');
  if (!lines || !view) throw new Error('the template has no Glue table and view');
  const stored = JSON.parse(Buffer.from(/^\/\* Presto View: (.*) \*\/$/.exec(view.ViewOriginalText)![1], 'base64').toString('utf8'));
  return {
    linesTable: lines.Name,
    locationTemplate: lines.Parameters['storage.location.template'],
    pattern: lines.StorageDescriptor.SerdeInfo.Parameters['input.regex'],
    partitions: lines.PartitionKeys.map((p: any) => p.Name),
    lineColumns: lines.StorageDescriptor.Columns.map((c: any) => c.Name),
    view: view.Name,
    viewSql: stored.originalSql,
    viewColumns: stored.columns.map((c: any) => c.name),
  };
}

/** Copies every object of the bucket under `prefix` to `dir`, at its key. */
export async function download(endpoint: string, bucket: string, prefix: string, dir: string): Promise<void> {
  const { s3 } = clients(endpoint);
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) {
      const body = await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key! }))).Body!.transformToByteArray();
      mkdirSync(dirname(join(dir, o.Key!)), { recursive: true });
      writeFileSync(join(dir, o.Key!), body);
    }
    token = page.NextContinuationToken;
  } while (token);
}

export interface ViewRow {
  /** `ts` as ISO 8601 (UTC), or null. */
  readonly ts: string | null;
  readonly message: string | null;
}

export interface QueryResult {
  /** The view's rows. */
  readonly rows: ViewRow[];
  /** The files read, relative to the bucket. */
  readonly files: string[];
}

/** Every file under `dir`, but those under a part of the path (below `dir`) that starts with `_` or `.`. */
function visibleFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((name) => !/^[_.]/.test(name)).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? visibleFiles(path) : [path];
  });
}

const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * The view's rows for one value of each partition (as a query's WHERE names them), from the
 * bucket's copy in `dir` (standing for `s3://<bucket>/`).
 */
export async function query(table: TableDefinition, dir: string, partition: Record<string, string>): Promise<QueryResult> {
  let location = table.locationTemplate;
  for (const name of table.partitions) location = location.replace(`\${${name}}`, partition[name]);
  const m = /^s3:\/\/[^/]+\/(.*)$/.exec(location);
  if (!m || location.includes('${')) throw new Error(`cannot read ${location}`);
  const files = visibleFiles(join(dir, m[1]));
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    await c.run("SET TimeZone = 'UTC'");
    await c.run('CREATE TABLE file_lines (file VARCHAR, line VARCHAR)');
    const appender = await c.createAppender('file_lines');
    for (const file of files) {
      const bytes = readFileSync(file);
      const text = (file.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
      for (const line of text.split(/\r\n|\r|\n/).slice(0, /(\r\n|\r|\n)$/.test(text) ? -1 : undefined)) {
        appender.appendVarchar(relative(dir, file));
        appender.appendVarchar(line);
        appender.endRow();
      }
    }
    appender.closeSync();
    const p = sqlString(table.pattern);
    const [timeColumn, messageColumn] = table.lineColumns;
    await c.run(`CREATE VIEW "${table.linesTable}" AS SELECT
      CASE WHEN regexp_matches(line, ${p}) THEN regexp_extract(line, ${p}, 1) END AS "${timeColumn}",
      CASE WHEN regexp_matches(line, ${p}) THEN regexp_extract(line, ${p}, 2) END AS "${messageColumn}",
      ${table.partitions.map((name) => `${sqlString(partition[name])} AS "${name}"`).join(', ')}
      FROM file_lines`);
    await c.run('CREATE MACRO from_iso8601_timestamp(s) AS CAST(s AS TIMESTAMPTZ)');
    await c.run(`CREATE VIEW "${table.view}" AS ${table.viewSql}`);
    const reader = await c.runAndReadAll(`SELECT strftime(ts, '%Y-%m-%dT%H:%M:%S.%gZ') AS ts, message FROM "${table.view}"`);
    return { rows: reader.getRowObjectsJson() as unknown as ViewRow[], files: files.map((f) => relative(dir, f)) };
  } finally {
    c.closeSync();
  }
}
