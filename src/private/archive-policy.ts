/**
 * The policy statements that let an exporter write into a bucket: CloudWatch Logs writing its
 * exports under the exporter's prefix (never into its state), and the exporter's handler listing
 * the prefix and keeping its state. Shared by the exporter (its own bucket, or the statements it
 * asks for when it cannot add them) and by CloudWatchLogsArchiveBucket (for each source account).
 */
import { createHash } from 'crypto';
import { Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';
import { STATE_FOLDER } from '../handler/layout';

/** A shared archive: its key prefix, and (for the bucket a CloudWatchLogsArchiveBucket made) its source accounts. */
export interface ArchiveInfo {
  readonly keyPrefix: string;
  readonly sourceAccounts?: () => string[];
}

/** Buckets that are shared archives: made by a CloudWatchLogsArchiveBucket, or imported as one. */
export const archiveBuckets = new WeakMap<s3.IBucket, ArchiveInfo>();

/** An archive of the app whose bucket has a name known at synthesis. */
export interface NamedArchive extends ArchiveInfo {
  readonly sourceAccounts: () => string[];
  readonly region: string;
  readonly path: string;
}

/** The archives of each app by bucket name: an exporter that imports one by its name is checked against it. */
export const namedArchives = new WeakMap<IConstruct, Map<string, NamedArchive>>();

/**
 * The principals of a source account may use the archive's key through S3 only (the exporter's
 * state, and the exports CloudWatch Logs writes with the exporter's permissions).
 */
export function exporterKeyStatement(sid: string, principals: iam.IPrincipal[], region: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid,
    principals,
    actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
    resources: ['*'],
    conditions: { StringEquals: { 'kms:ViaService': `s3.${region}.amazonaws.com` } },
  });
}

/** Key prefixes: '/'-separated segments of characters safe in S3 keys and in IAM resource ARNs (no '*'). */
export const KEY_PREFIX = /^[A-Za-z0-9!_.'()-]+(\/[A-Za-z0-9!_.'()-]+)*$/;

export interface WriterOptions {
  readonly bucket: s3.IBucket;
  /** Where the exporter writes: its exports under it, its state under `<prefix>/_state/`. */
  readonly prefix: string;
  /** The account the log groups (and the exporter) are in. */
  readonly account: string;
  /** The region of the log groups, of the exporter and of the bucket. */
  readonly region: string;
  /** The log groups CloudWatch Logs may export from (`aws:SourceArn`). */
  readonly logGroupArns: string[];
  /** Makes statement ids unique in the policy. */
  readonly sid: (name: string) => string;
}

/** CloudWatch Logs of `account` may read the bucket's ACL and write exports under `prefix`, never its state. */
export function cloudWatchLogsStatements(o: WriterOptions): iam.PolicyStatement[] {
  const principal = new iam.ServicePrincipal(`logs.${o.region}.amazonaws.com`);
  const conditions = sourceConditions(o);
  return [
    new iam.PolicyStatement({
      sid: o.sid('CloudWatchLogsGetBucketAcl'),
      principals: [principal],
      actions: ['s3:GetBucketAcl'],
      resources: [o.bucket.bucketArn],
      conditions,
    }),
    new iam.PolicyStatement({
      sid: o.sid('CloudWatchLogsPutExports'),
      principals: [principal],
      actions: ['s3:PutObject'],
      resources: [o.bucket.arnForObjects(`${o.prefix}/*`)],
      conditions: { ...conditions, StringEquals: { ...conditions.StringEquals, 's3:x-amz-acl': 'bucket-owner-full-control' } },
    }),
    // Anyone allowed to export a log group could otherwise aim an export at the done-markers.
    new iam.PolicyStatement({
      sid: o.sid('CloudWatchLogsNeverWritesState'),
      effect: iam.Effect.DENY,
      principals: [principal],
      actions: ['s3:PutObject'],
      resources: [o.bucket.arnForObjects(`${o.prefix}/${STATE_FOLDER}/*`)],
    }),
  ];
}

/** CloudWatch Logs may encrypt the exports of `account` with the bucket's key (a key policy statement). */
export function cloudWatchLogsKeyStatement(o: WriterOptions): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: o.sid('CloudWatchLogsEncryptExports'),
    principals: [new iam.ServicePrincipal(`logs.${o.region}.amazonaws.com`)],
    actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
    resources: ['*'],
    conditions: sourceConditions(o),
  });
}

/** The confused-deputy guard: CloudWatch Logs acting for this account's selected log groups only. */
function sourceConditions(o: WriterOptions) {
  return {
    StringEquals: { 'aws:SourceAccount': o.account },
    ArnLike: { 'aws:SourceArn': o.logGroupArns.length === 1 ? o.logGroupArns[0] : o.logGroupArns },
  };
}

/** Where an exporter writes in a shared archive. */
export function archivePrefix(keyPrefix: string, account: string, region: string): string {
  return `${keyPrefix}/${account}/${region}`;
}

/**
 * What the exporter's handler does in the bucket: list its prefix (its markers, and the folders of
 * its exports when it looks for an export a crashed turn started), read and write its state. In a
 * bucket of another account, read and write under the whole prefix: CloudWatch Logs writes exports
 * into another account's bucket with the permissions of the caller of CreateExportTask.
 * `principal` is set for a bucket policy (another account's principals), unset for a role's policy.
 */
export function handlerStatements(o: Pick<WriterOptions, 'bucket' | 'prefix' | 'sid'>, principal?: iam.IPrincipal, crossAccount = false): iam.PolicyStatement[] {
  const principals = principal ? [principal] : undefined;
  return [
    new iam.PolicyStatement({
      sid: o.sid('ListExporterKeys'),
      principals,
      actions: ['s3:ListBucket'],
      resources: [o.bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${o.prefix}/*`] } },
    }),
    new iam.PolicyStatement({
      sid: o.sid(crossAccount ? 'ReadWriteExporterPrefix' : 'ReadWriteExporterState'),
      principals,
      actions: ['s3:GetObject', 's3:PutObject'],
      resources: [o.bucket.arnForObjects(crossAccount ? `${o.prefix}/*` : `${o.prefix}/${STATE_FOLDER}/*`)],
    }),
  ];
}

/** A suffix that makes statement ids of one writer unique in a shared bucket's policy (one writer per prefix). */
export function sidSuffix(prefix: string, scope: IConstruct): string {
  const basis = Token.isUnresolved(prefix) ? scope.node.addr : prefix;
  return createHash('sha256').update(basis).digest('hex').slice(0, 8).toUpperCase();
}
