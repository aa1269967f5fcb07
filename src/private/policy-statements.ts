/**
 * The policy statements that let an exporter write into a bucket: CloudWatch Logs writing its
 * exports under the exporter's prefix (never into any state), and the exporter's handler listing
 * the prefix and keeping its state. Shared by the exporter (its own bucket, or the statements it
 * asks for when it cannot add them) and by CloudWatchLogsArchiveBucket (for each source account).
 * Each statement that differs from AWS's documentation for export tasks cites the document that
 * shows it works.
 */
import { createHash } from 'crypto';
import { Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';
import { STATE_FOLDER } from '../shared/layout';

/**
 * The principals of a source account may use the archive's key (the exporter's state, and the
 * exports CloudWatch Logs writes with the exporter's permissions into a bucket of another account).
 * As AWS documents it for a cross-account export to an SSE-KMS bucket ("Enable IAM Role Permissions":
 * kms:GenerateDataKey and kms:Decrypt, no condition), in "Export log data to Amazon S3 using the
 * AWS CLI", https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/S3ExportTasks.html.
 */
export function exporterKeyStatement(sid: string, principals: iam.IPrincipal[]): iam.PolicyStatement {
  return new iam.PolicyStatement({ sid, principals, actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: ['*'] });
}

/** Key prefixes: '/'-separated segments of characters safe in S3 keys and in IAM resource ARNs (no '*'). */
export const KEY_PREFIX = /^[A-Za-z0-9!_.'()-]+(\/[A-Za-z0-9!_.'()-]+)*$/;

export interface WriterOptions {
  readonly bucket: s3.IBucket;
  /** Where the exporter writes its exports (its state is under `_state/<prefix>/`, at the bucket's root). */
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

/**
 * CloudWatch Logs of `account` may read the bucket's ACL and write exports under `prefix`, never
 * into any exporter's state (`_state/`), whoever asks it to.
 *
 * The two Allow statements are AWS's ("Set permissions on an Amazon S3 bucket", in
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/S3ExportTasksConsole.html), with
 * `aws:SourceAccount`, `aws:SourceArn` and `s3:x-amz-acl` as documented there; the PutObject
 * resource is narrowed from the bucket to `prefix`, under which CreateExportTask writes every
 * object of an export ("specify a prefix to be used as the Amazon S3 key prefix for all exported
 * objects", https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateExportTask.html).
 */
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
    // The same for every exporter of the bucket (the policy holds each once).
    ...stateDenials(o.bucket, principal),
  ];
}

/**
 * No export, whoever starts it, writes into the exporters' state (`_state/`): neither CloudWatch
 * Logs as its service principal (exports into a bucket of its own account), nor a principal
 * whose permission it uses (exports into a bucket of another account, by a forward access
 * session: the request carries `aws:ViaAWSService`, which a service principal's own requests do
 * not, so each needs its own statement). The exporter's handler writes its state itself, never
 * through another service.
 */
export function stateDenials(bucket: s3.IBucket, logs: iam.IPrincipal): iam.PolicyStatement[] {
  const state = bucket.arnForObjects(`${STATE_FOLDER}/*`);
  return [
    new iam.PolicyStatement({ sid: 'CloudWatchLogsNeverWritesState', effect: iam.Effect.DENY, principals: [logs], actions: ['s3:PutObject'], resources: [state] }),
    new iam.PolicyStatement({
      sid: 'NoStateWritesThroughServices',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:PutObject'],
      resources: [state],
      conditions: { Bool: { 'aws:ViaAWSService': 'true' } },
    }),
  ];
}

/**
 * CloudWatch Logs may encrypt the exports with the bucket's key (a key policy statement), as AWS
 * documents it: no condition ("Exporting to a destination Amazon S3 bucket encrypted with
 * SSE-KMS", https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/S3ExportTasksConsole.html).
 * A key of this construct is used by nothing else, and the statement does not let CloudWatch
 * Logs encrypt a log group with it (that takes kms:Encrypt and kms:DescribeKey too).
 */
export function cloudWatchLogsKeyStatement(o: Pick<WriterOptions, 'region' | 'sid'>): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: o.sid('CloudWatchLogsEncryptExports'),
    principals: [new iam.ServicePrincipal(`logs.${o.region}.amazonaws.com`)],
    actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
    resources: ['*'],
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
 * What the exporter's handler does in the bucket: list its exports' folders (when it looks for
 * an export a crashed turn started) and its state, read and write its state (with a retention,
 * in a bucket with Object Lock), and read the bucket's Object Lock configuration. In a bucket of
 * another account also write under its export prefix and read the bucket's ACL and location:
 * CloudWatch Logs writes such exports with the permissions of the caller of CreateExportTask
 * (AWS's cross-account steps give the caller s3:PutObject on the bucket and AmazonS3ReadOnlyAccess,
 * in https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/S3ExportTasks.html; of the reads,
 * only the bucket-level ones an export may make are granted).
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
      conditions: { StringLike: { 's3:prefix': [`${o.prefix}/*`, `${STATE_FOLDER}/${o.prefix}/*`] } },
    }),
    // (One statement for both prefixes keeps an archive's policy small: reading its own exports is harmless.)
    new iam.PolicyStatement({
      sid: o.sid('ReadWriteExporterObjects'),
      principals,
      actions: ['s3:GetObject', 's3:PutObject', 's3:PutObjectRetention'],
      resources: [o.bucket.arnForObjects(`${STATE_FOLDER}/${o.prefix}/*`), ...(crossAccount ? [o.bucket.arnForObjects(`${o.prefix}/*`)] : [])],
    }),
    bucketSettingsStatement(o.sid('ReadBucketSettings'), principals, crossAccount, o.bucket),
  ];
}

/** The bucket-level reads of the handler: its Object Lock configuration; in a bucket of another account, its ACL and location too. */
export function bucketSettingsStatement(
  sid: string, principals: iam.IPrincipal[] | undefined, crossAccount: boolean, bucket: s3.IBucket,
): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid,
    principals,
    actions: ['s3:GetBucketObjectLockConfiguration', ...(crossAccount ? ['s3:GetBucketAcl', 's3:GetBucketLocation'] : [])],
    resources: [bucket.bucketArn],
  });
}

/** A suffix that makes statement ids of one writer unique in a shared bucket's policy (one writer per prefix). */
export function sidSuffix(prefix: string, scope: IConstruct): string {
  const basis = Token.isUnresolved(prefix) ? scope.node.addr : prefix;
  return createHash('sha256').update(basis).digest('hex').slice(0, 8).toUpperCase();
}
