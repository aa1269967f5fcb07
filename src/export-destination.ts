import { RemovalPolicy, Stack, Token, TokenComparison } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, IConstruct } from 'constructs';
import { CloudWatchLogsArchiveBucket, ICloudWatchLogsArchive } from './archive-bucket';
import { archiveBucketProps } from './private/bucket-rules';
import { BoundDestination, sameAccount } from './private/destination';
import { pasteable } from './private/pasteable';
import { KEY_PREFIX, archivePrefix } from './private/policy-statements';
import { DEFAULT_KEY_PREFIX, keyPrefixProblem } from './shared/layout';

/**
 * Options of the bucket an exporter creates.
 */
export interface NewBucketOptions {
  /**
   * Key prefix of the exports; the exporter's state is beside them, under `_state/<keyPrefix>/`.
   *
   * @default 'exported-logs'
   */
  readonly keyPrefix?: string;

  /**
   * S3 Object Lock default retention of the bucket, which locks every exported file for this long
   * (governance or compliance mode). Set it when the bucket is created.
   *
   * @see https://github.com/cdk-cloudwatch-logs-s3-exporter/cdk-cloudwatch-logs-s3-exporter#who-can-change-what
   * @default - no Object Lock (the bucket is versioned)
   */
  readonly objectLockRetention?: s3.ObjectLockRetention;

  /**
   * Lifecycle rules of the exports, for example a transition to a colder storage class. Each must
   * name a prefix under `keyPrefix` (or filter by tags): a rule that could reach the exporter's
   * state under `_state/` is refused at synth.
   *
   * @default - none: exports are kept as they are, for ever
   */
  readonly lifecycleRules?: s3.LifecycleRule[];
}

/**
 * Options of a bucket given to an exporter.
 */
export interface BucketOptions {
  /**
   * Key prefix of the exports; the exporter's state is beside them, under `_state/<keyPrefix>/`.
   * In a bucket of another account both are below `<keyPrefix>/<account>/<region>/`.
   *
   * @default 'exported-logs'
   */
  readonly keyPrefix?: string;
}

function validKeyPrefix(keyPrefix: string | undefined): string {
  const p = keyPrefix ?? DEFAULT_KEY_PREFIX;
  if (Token.isUnresolved(p)) return p;
  if (!KEY_PREFIX.test(p) || p.length > 200) {
    throw new Error(`CloudWatchLogsS3Exporter: keyPrefix '${p}' must be 1-200 characters of A-Z a-z 0-9 ! _ . ' ( ) - in '/'-separated segments, without a leading or trailing '/'`);
  }
  const unsafe = keyPrefixProblem(p);
  if (unsafe) throw new Error(`CloudWatchLogsS3Exporter: keyPrefix ${unsafe}`);
  return p;
}

/**
 * Where an exporter writes: a bucket it creates, a bucket you give, or a
 * CloudWatchLogsArchiveBucket shared by the exporters of several accounts.
 *
 * @see https://github.com/cdk-cloudwatch-logs-s3-exporter/cdk-cloudwatch-logs-s3-exporter#your-own-bucket
 */
export class ExportDestination {
  /**
   * A new bucket in the exporter's stack: private, SSE-S3, TLS only, versioned, retained when the
   * stack is deleted, with the policy CloudWatch Logs needs.
   */
  public static newBucket(options: NewBucketOptions = {}): ExportDestination {
    const keyPrefix = validKeyPrefix(options.keyPrefix);
    return new ExportDestination((scope) => {
      const bucket = new s3.Bucket(scope, 'Bucket', {
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        encryption: s3.BucketEncryption.S3_MANAGED,
        enforceSSL: true,
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        ...archiveBucketProps('CloudWatchLogsS3Exporter', keyPrefix, options.lifecycleRules, options.objectLockRetention),
        removalPolicy: RemovalPolicy.RETAIN,
      });
      return {
        bucket,
        keyPrefix,
        exportPrefix: keyPrefix,
        shared: false,
        crossAccount: false,
        created: true,
        grantedByArchive: false,
        grantedInApp: () => false,
      };
    });
  }

  /**
   * A bucket of yours, in the exporter's region. For a bucket of this app the construct adds the
   * policy statements CloudWatch Logs needs; for an imported one a synth-time warning prints them.
   * A bucket of another account is a shared archive: the exporter writes under
   * `<keyPrefix>/<account>/<region>/` there.
   */
  public static fromBucket(bucket: s3.IBucket, options: BucketOptions = {}): ExportDestination {
    if (typeof bucket !== 'object' || typeof bucket?.bucketName !== 'string') throw new Error('ExportDestination.fromBucket: bucket must be an s3.IBucket');
    if (bucket.node.scope instanceof CloudWatchLogsArchiveBucket) {
      throw new Error(`ExportDestination.fromBucket: ${bucket.node.path} is the bucket of a CloudWatchLogsArchiveBucket: give the archive, ExportDestination.fromArchive(archive)`);
    }
    const keyPrefix = validKeyPrefix(options.keyPrefix);
    return new ExportDestination((scope) => {
      const crossAccount = !sameAccount(bucket.env.account, Stack.of(scope).account);
      if (crossAccount) checkArchiveOfApp(scope, bucket, keyPrefix);
      const exportPrefix = crossAccount ? archivePrefix(keyPrefix, Stack.of(scope).account, Stack.of(scope).region) : keyPrefix;
      return {
        bucket,
        keyPrefix,
        exportPrefix,
        shared: crossAccount,
        crossAccount,
        created: false,
        grantedByArchive: false,
        grantedInApp: grantedInApp(scope, bucket, keyPrefix),
      };
    });
  }

  /**
   * A CloudWatchLogsArchiveBucket, of this app or imported with
   * `CloudWatchLogsArchiveBucket.fromArchiveAttributes()`: the exporter writes under
   * `<keyPrefix>/<account>/<region>/` there, with the archive's key prefix.
   *
   * @see https://github.com/cdk-cloudwatch-logs-s3-exporter/cdk-cloudwatch-logs-s3-exporter#many-accounts
   */
  public static fromArchive(archive: ICloudWatchLogsArchive): ExportDestination {
    if (typeof archive !== 'object' || typeof archive?.keyPrefix !== 'string' || typeof archive?.bucket?.bucketName !== 'string') {
      throw new Error('ExportDestination.fromArchive: archive must be a CloudWatchLogsArchiveBucket or CloudWatchLogsArchiveBucket.fromArchiveAttributes()');
    }
    return new ExportDestination((scope) => {
      const stack = Stack.of(scope);
      const { bucket, keyPrefix } = archive;
      const crossAccount = !sameAccount(bucket.env.account, stack.account);
      if (archive instanceof CloudWatchLogsArchiveBucket && !sameAccount(Stack.of(archive).account, stack.account)) {
        // The archive's own object, given to an exporter of another account.
        throw new Error(`CloudWatchLogsS3Exporter: the archive ${archive.node.path} is of account ${Stack.of(archive).account}, ` +
          `this exporter of account ${stack.account}: import it in this stack with CloudWatchLogsArchiveBucket.fromArchiveAttributes() ` +
          "(and add this account to the archive's sourceAccounts)");
      }
      checkArchiveOfApp(scope, archive instanceof CloudWatchLogsArchiveBucket ? archive : bucket, keyPrefix);
      return {
        bucket,
        keyPrefix,
        exportPrefix: archivePrefix(keyPrefix, stack.account, stack.region),
        shared: true,
        crossAccount,
        created: false,
        grantedByArchive: archive instanceof CloudWatchLogsArchiveBucket,
        grantedInApp: grantedInApp(scope, bucket, keyPrefix),
      };
    });
  }

  private constructor(private readonly binder: (scope: Construct) => BoundDestination) {}

  /** @internal */
  public _bind(scope: Construct): BoundDestination {
    const bound = this.binder(scope);
    const stack = Stack.of(scope);
    if (Token.compareStrings(bound.bucket.env.region, stack.region) === TokenComparison.DIFFERENT) {
      throw new Error(`CloudWatchLogsS3Exporter: the bucket is in ${bound.bucket.env.region}, the exporter in ${stack.region}: ` +
        "CloudWatch Logs exports only to a bucket in the log groups' region. Use a bucket of this region (an archive bucket per region).");
    }
    claimPrefix(scope, bound);
    return bound;
  }
}

/** The bucket and prefix an exporter of the app writes under (a property of the exporter, found by walking the app). */
const CLAIM = Symbol.for('cdk-cloudwatch-logs-s3-exporter.ExportDestination.claim');

/**
 * Fails synthesis when another exporter of the app writes under the same bucket and prefix (the
 * two would share done-markers, lease and checkpoint, and skip each other's groups), or under a
 * prefix inside the other's (`logs` and `logs/aws`: the folder of one's group `/aws/lambda/x` is
 * the folder of the other's `/lambda/x`).
 */
function claimPrefix(scope: Construct, d: BoundDestination): void {
  if (Token.isUnresolved(d.exportPrefix)) return;
  const bucket = Token.isUnresolved(d.bucket.bucketName) ? d.bucket.node.path : d.bucket.bucketName;
  const claim = `${bucket}\n${d.exportPrefix}`;
  const inside = (a: string, b: string) => a === b || a.startsWith(`${b}/`);
  const other = scope.node.root.node.findAll().find((c) => {
    const theirs = c !== scope ? (c as unknown as Record<symbol, string>)[CLAIM] : undefined;
    return theirs !== undefined && (inside(claim, theirs) || inside(theirs, claim));
  });
  if (other) {
    const theirs = (other as unknown as Record<symbol, string>)[CLAIM].split('\n')[1];
    const what = theirs === d.exportPrefix ? `keyPrefix '${d.exportPrefix}' of bucket ${bucket} is already used`
      : `keyPrefix '${d.exportPrefix}' of bucket ${bucket} is ${theirs.startsWith(`${d.exportPrefix}/`) ? 'around' : 'inside'} '${theirs}', used`;
    throw new Error(`CloudWatchLogsS3Exporter: ${what} by the exporter at ${other.node.path}: ` +
      'two exporters there would share done-markers and lease, or export log groups into the same folders. Give each exporter its own keyPrefix, ' +
      'neither inside the other.');
  }
  Object.defineProperty(scope, CLAIM, { value: claim });
}

/**
 * An archive of this app (given, or imported by its bucket's name) must list the exporter's
 * account among its sourceAccounts, with the same key prefix and region. Checked when the app is
 * synthesized, whatever the order its stacks were built in.
 */
function checkArchiveOfApp(scope: Construct, given: CloudWatchLogsArchiveBucket | s3.IBucket, keyPrefix: string): void {
  scope.node.addValidation({
    validate: () => archiveProblems(scope, given instanceof CloudWatchLogsArchiveBucket ? given : appArchiveOf(scope, given), keyPrefix) ?? [],
  });
}

/** Whether a CloudWatchLogsArchiveBucket of this app with the bucket's name lets the exporter write (and use its own key, with `key`). */
function grantedInApp(scope: Construct, bucket: s3.IBucket, keyPrefix: string): (key: boolean) => boolean {
  return (key) => {
    const inApp = appArchiveOf(scope, bucket);
    return archiveProblems(scope, inApp, keyPrefix)?.length === 0 && (!key || inApp?.encryptionKey !== undefined);
  };
}

/** The CloudWatchLogsArchiveBucket of this app whose bucket has this name, if any. */
function appArchiveOf(scope: Construct, bucket: s3.IBucket): CloudWatchLogsArchiveBucket | undefined {
  const name = bucket.bucketName;
  if (Token.isUnresolved(name)) return undefined;
  const isArchive = (c: IConstruct): c is CloudWatchLogsArchiveBucket => c instanceof CloudWatchLogsArchiveBucket && c._bucketName === name;
  return scope.node.root.node.findAll().find(isArchive);
}

/** What keeps an archive of this app from letting the exporter write with `keyPrefix` (none: it grants all); undefined without one. */
function archiveProblems(scope: Construct, archive: CloudWatchLogsArchiveBucket | undefined, keyPrefix: string): string[] | undefined {
  if (!archive) return undefined;
  const stack = Stack.of(scope);
  const where = `the archive ${archive.node.path}`;
  const errors: string[] = [];
  if (archive.keyPrefix !== keyPrefix) {
    errors.push(`CloudWatchLogsS3Exporter: keyPrefix '${keyPrefix}' is not the key prefix of ${where} ('${archive.keyPrefix}'), which lets exporters write under it only`);
  }
  if (Token.compareStrings(Stack.of(archive).region, stack.region) === TokenComparison.DIFFERENT) {
    errors.push(`CloudWatchLogsS3Exporter: ${where} is in ${Stack.of(archive).region}, this exporter in ${stack.region}: CloudWatch Logs exports only to a bucket of its region`);
  }
  if (!archive.sourceAccounts.includes(stack.account)) {
    errors.push(`CloudWatchLogsS3Exporter: this exporter's account ${pasteable(stack.account, stack)} is not among the sourceAccounts of ${where}: ` +
      'add it (addSourceAccount), so that the archive lets it write and its table reads it');
  }
  return errors;
}
