/**
 * Log groups, events and the bucket the local run starts from, and what it ends with in S3.
 */
import { gunzipSync } from 'zlib';
import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client, _Object } from '@aws-sdk/client-s3';

const DAY = 86_400_000;
const HOURS = [6, 12, 18];
const STREAMS = ['2026/instance-a', '2026/instance-b'];

/**
 * The log groups seeded: names with and without a leading '/', one the example does not select,
 * and one that took events on the first day only (the exporter skips its second day).
 */
export const SEEDED_GROUPS = ['/aws/lambda/orders', '/aws/lambda/payments', '/aws/lambda/retired', '/ecs/web', 'app-audit', 'other/not-selected'];
/** The group without events on the second day. */
export const RETIRED_GROUP = '/aws/lambda/retired';

export interface SeededEvent {
  readonly group: string;
  readonly day: string;
  /** When it happened (ms). */
  readonly timestamp: number;
  readonly message: string;
}

const clientsByEndpoint = new Map<string, { logs: CloudWatchLogsClient; s3: S3Client }>();

/** SDK clients for the emulator at `endpoint`, created once. */
export function clients(endpoint: string): { logs: CloudWatchLogsClient; s3: S3Client } {
  let c = clientsByEndpoint.get(endpoint);
  if (!c) {
    const common = { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
    c = { logs: new CloudWatchLogsClient(common), s3: new S3Client({ ...common, forcePathStyle: true }) };
    clientsByEndpoint.set(endpoint, c);
  }
  return c;
}

/** `yyyy-mm-dd` of a UTC day start. */
export function dayOf(start: number): string {
  return new Date(start).toISOString().slice(0, 10);
}

/**
 * Creates the bucket and the log groups, and writes events at 06:00, 12:00 and 18:00 UTC of each
 * day (UTC day starts; the retired group's first day only) into two streams of each group.
 * Returns every event written.
 */
export async function seed(endpoint: string, bucket: string, days: number[]): Promise<SeededEvent[]> {
  const { logs, s3 } = clients(endpoint);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const seeded: SeededEvent[] = [];
  for (const group of SEEDED_GROUPS) {
    await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
    for (const stream of STREAMS) {
      await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }));
      const events = (group === RETIRED_GROUP ? days.slice(0, 1) : days).flatMap((day) => HOURS.map((h) => {
        const message = `${group} ${stream} ${dayOf(day)} ${String(h).padStart(2, '0')}:00 order=${seeded.length + 1}`;
        const timestamp = day + h * 3_600_000;
        seeded.push({ group, day: dayOf(day), timestamp, message });
        return { timestamp, message };
      }));
      await logs.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: stream, logEvents: events }));
    }
  }
  return seeded;
}

/** The start of the latest UTC day that ended at least `settleSeconds` ago. */
export function lastSettledDay(now: number, settleSeconds: number): number {
  return Math.floor((now - settleSeconds * 1000) / DAY) * DAY - DAY;
}

export interface StoredObject {
  readonly key: string;
  readonly size: number;
}

/** Every object in the bucket. */
export async function listAll(endpoint: string, bucket: string): Promise<StoredObject[]> {
  const { s3 } = clients(endpoint);
  const out: StoredObject[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    out.push(...(page.Contents ?? []).map((o: _Object) => ({ key: o.Key!, size: o.Size ?? 0 })));
    token = page.NextContinuationToken;
  } while (token);
  return out;
}

/** The lines of a gzip object. */
export async function gunzipLines(endpoint: string, bucket: string, key: string): Promise<string[]> {
  const { s3 } = clients(endpoint);
  const body = await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray();
  return gunzipSync(body).toString('utf8').split('\n').filter((l) => l !== '');
}
