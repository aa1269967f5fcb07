/**
 * The example app's Athena table, read the way Athena reads it, with DuckDB: the files its
 * partition projection's location template selects for a log group and day (every object under
 * that folder, recursively), each line parsed with the pattern of its Regex SerDe (a line that
 * does not match is a row of NULLs).
 */
import { mkdirSync, writeFileSync } from 'fs';
import { dirname, join } from 'path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { resolve } from './assembly';
import { clients } from './seed';

/** What the synthesized Glue table says about reading the exports. */
export interface TableDefinition {
  readonly name: string;
  /** `storage.location.template`, with the bucket's name. */
  readonly locationTemplate: string;
  /** The Regex SerDe's `input.regex`. */
  readonly pattern: string;
  readonly partitions: string[];
  readonly columns: string[];
}

/** The Glue table of a synthesized template, its bucket given `bucketName`. */
export function tableOf(template: any, bucketName: string): TableDefinition {
  const refs: Record<string, string> = {};
  for (const [id, r] of Object.entries<any>(template.Resources)) if (r.Type === 'AWS::S3::Bucket') refs[id] = bucketName;
  const table = Object.values<any>(template.Resources).find((r) => r.Type === 'AWS::Glue::Table');
  if (!table) throw new Error('the template has no Glue table');
  const input = resolve(table.Properties.TableInput, refs);
  return {
    name: input.Name,
    locationTemplate: input.Parameters['storage.location.template'],
    pattern: input.StorageDescriptor.SerdeInfo.Parameters['input.regex'],
    partitions: input.PartitionKeys.map((p: any) => p.Name),
    columns: input.StorageDescriptor.Columns.map((c: any) => c.Name),
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

export interface Row {
  /** The file the row was read from, relative to the bucket. */
  readonly file: string;
  /** `ts` as ISO 8601 (UTC), or null. */
  readonly ts: string | null;
  readonly message: string | null;
}

/** A character no test message holds, as the line reader's field delimiter: a line is one field. */
const NO_DELIMITER = '\u001e';

/**
 * The rows of the table for one partition value each (as a query's WHERE names them), from the
 * bucket's copy in `dir` (standing for `s3://<bucket>/`).
 */
export async function query(table: TableDefinition, dir: string, partition: Record<string, string>): Promise<Row[]> {
  let location = table.locationTemplate;
  for (const name of table.partitions) location = location.replace(`\${${name}}`, partition[name]);
  const m = /^s3:\/\/[^/]+\/(.*)$/.exec(location);
  if (!m || location.includes('${')) throw new Error(`cannot read ${location}`);
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    const reader = await c.runAndReadAll(`
      SELECT filename AS file,
        CASE WHEN regexp_matches(line, $p) THEN strftime(CAST(regexp_extract(line, $p, 1) AS TIMESTAMP), '%Y-%m-%dT%H:%M:%S.%gZ') END AS ts,
        CASE WHEN regexp_matches(line, $p) THEN regexp_extract(line, $p, 2) END AS message
      FROM read_csv($files, columns = {'line': 'VARCHAR'}, header = false, delim = '${NO_DELIMITER}', quote = '', escape = '',
        filename = true, auto_detect = false)`, { p: table.pattern, files: join(dir, m[1], '**') });
    return reader.getRowObjectsJson().map((r: any) => ({ file: String(r.file).slice(dir.length + 1), ts: r.ts, message: r.message }));
  } catch (e) {
    // Athena finds no rows under a folder without objects.
    if (/No files found/.test((e as Error).message)) return [];
    throw e;
  } finally {
    c.closeSync();
  }
}
