/**
 * `restore-retention`: puts back the CloudWatch Logs retention each log group had before the
 * exporter's offload first changed it, as the retention ledger recorded it
 * (`_state/<keyPrefix>/retention.json`). Run after unsetting `cloudWatchRetention` (or removing
 * the exporter): while offload is on, the next run sets its own values again.
 */
import { CloudWatchLogsClient, DeleteRetentionPolicyCommand, DescribeLogGroupsCommand, PutRetentionPolicyCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { UsageError } from './coverage';
import { retentionKey } from '../shared/layout';
import { RetentionLedger } from '../shared/retention';

/** What was done (or, with dryRun, would be done) to one group. */
export interface Restored {
  readonly logGroupName: string;
  /** The retention it is given back (days; null: never expire). */
  readonly retentionInDays: number | null;
  /** `created again`: the group of that name was deleted and created again since the exporter changed it; it is left alone. */
  readonly outcome: 'restored' | 'would restore' | 'not found' | 'created again' | 'failed';
  readonly error?: string;
}

export interface RestoreRequest {
  readonly bucket: string;
  readonly prefix: string;
  readonly groups: string[];
  readonly dryRun: boolean;
}

/** Calls spaced this far apart: PutRetentionPolicy's quota is a few calls a second per account. */
const GAP_MS = 250;

/** The ledger, or a UsageError saying there is none under the prefix. */
async function readLedger(s3: S3Client, req: RestoreRequest): Promise<RetentionLedger> {
  const key = retentionKey(req.prefix);
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: req.bucket, Key: key }));
    const body = JSON.parse(await res.Body!.transformToString()) as RetentionLedger;
    if (body?.v !== 1 || typeof body.groups !== 'object') throw new UsageError(`s3://${req.bucket}/${key} is not a retention ledger this release can read`);
    return body;
  } catch (e) {
    if ((e as Error).name === 'NoSuchKey') {
      throw new UsageError(`s3://${req.bucket}/${key} does not exist: no exporter with this --prefix ever changed a log group's retention ` +
        '(cloudWatchRetention), so there is nothing to put back');
    }
    throw e;
  }
}

export async function restoreRetention(s3: S3Client, logs: CloudWatchLogsClient, req: RestoreRequest,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms))): Promise<Restored[]> {
  const ledger = await readLedger(s3, req);
  // Groups the exporter changed: it records every group it manages, and the retention it set on those it changed.
  const changed = (g: string) => ledger.groups[g]?.set !== undefined;
  const unknown = req.groups.filter((g) => !changed(g));
  if (unknown.length > 0) throw new UsageError(`the ledger records no retention of ${unknown.join(', ')}: the exporter never changed it`);
  const names = (req.groups.length > 0 ? req.groups : Object.keys(ledger.groups).filter(changed)).sort();
  const out: Restored[] = [];
  for (const [i, logGroupName] of names.entries()) {
    const { original: retentionInDays, created } = ledger.groups[logGroupName];
    if (i > 0) await sleep(GAP_MS);
    // The group of that name now: the one the exporter changed, or one created since (left alone).
    const found = (await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: logGroupName, limit: 1 }))).logGroups?.[0];
    if (found?.logGroupName !== logGroupName) {
      out.push({ logGroupName, retentionInDays, outcome: 'not found' });
      continue;
    }
    if (found.creationTime !== created) {
      out.push({ logGroupName, retentionInDays, outcome: 'created again' });
      continue;
    }
    if (req.dryRun) {
      out.push({ logGroupName, retentionInDays, outcome: 'would restore' });
      continue;
    }
    try {
      if (retentionInDays === null) await logs.send(new DeleteRetentionPolicyCommand({ logGroupName }));
      else await logs.send(new PutRetentionPolicyCommand({ logGroupName, retentionInDays }));
      out.push({ logGroupName, retentionInDays, outcome: 'restored' });
    } catch (e) {
      const name = (e as Error).name;
      out.push(name === 'ResourceNotFoundException'
        ? { logGroupName, retentionInDays, outcome: 'not found' }
        : { logGroupName, retentionInDays, outcome: 'failed', error: `${name}: ${(e as Error).message}` });
    }
  }
  return out;
}
