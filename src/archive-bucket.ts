import { ArnFormat, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, IConstruct } from 'constructs';
import { archiveBucketProps } from './private/bucket-rules';
import { suppress } from './private/nag';
import { pasteable } from './private/pasteable';
import {
  KEY_PREFIX, archivePrefix, cloudWatchLogsKeyStatement, cloudWatchLogsStatements, exporterKeyStatement, handlerStatements,
} from './private/policy-statements';
import { ACCOUNT_ID, DEFAULT_KEY_PREFIX } from './shared/layout';

/**
 * An archive of the exports of several accounts' exporters: a CloudWatchLogsArchiveBucket, or one
 * imported with `CloudWatchLogsArchiveBucket.fromArchiveAttributes()`. Give it to an exporter with
 * `ExportDestination.fromArchive()`.
 */
export interface ICloudWatchLogsArchive extends IConstruct {
  /** The archive's bucket. */
  readonly bucket: s3.IBucket;
  /** The archive's key prefix: the exporter of an account writes under `<keyPrefix>/<account>/<region>/`. */
  readonly keyPrefix: string;
}

/**
 * Properties of a CloudWatchLogsArchiveBucket.
 */
export interface CloudWatchLogsArchiveBucketProps {
  /**
   * The accounts whose exporters write into the bucket (12-digit account ids): each only under
   * `<keyPrefix>/<account>/<region>/` and its state. Add more with `addSourceAccount()`.
   *
   * @see https://github.com/cdk-cloudwatch-logs-s3-exporter/cdk-cloudwatch-logs-s3-exporter#many-accounts
   */
  readonly sourceAccounts: string[];

  /**
   * Key prefix of the archive: the exporters write under `<keyPrefix>/<account>/<region>/`.
   *
   * @default 'exported-logs'
   */
  readonly keyPrefix?: string;

  /**
   * Name of the bucket (exporters in other accounts import the archive by it).
   *
   * @default - a name CloudFormation generates
   */
  readonly bucketName?: string;

  /**
   * How the archive is encrypted at rest: `S3_MANAGED` (SSE-S3) or `KMS` (SSE-KMS with
   * `encryptionKey`, or a new rotated key).
   *
   * @default - s3.BucketEncryption.KMS when `encryptionKey` is given, otherwise s3.BucketEncryption.S3_MANAGED
   */
  readonly encryption?: s3.BucketEncryption;

  /**
   * The KMS key to encrypt the archive with (with `encryption: KMS`). It must be a key of this
   * stack, so that its policy can let the source accounts use it.
   *
   * @default - a new key, when `encryption` is `KMS`
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Lifecycle rules of the exports, for example a transition to a colder storage class. Each must
   * name a prefix of the exports (`<keyPrefix>/`): a rule that could reach the state is refused.
   *
   * @default - none: exports are kept as they are, for ever
   */
  readonly lifecycleRules?: s3.LifecycleRule[];

  /**
   * S3 Object Lock default retention of the bucket, which locks every exported file for this long
   * (governance or compliance mode). Set it when the bucket is created.
   *
   * @see https://github.com/cdk-cloudwatch-logs-s3-exporter/cdk-cloudwatch-logs-s3-exporter#who-can-change-what
   * @default - no Object Lock (the bucket is versioned)
   */
  readonly objectLockRetention?: s3.ObjectLockRetention;

  /**
   * A bucket to write the archive's server access logs to.
   *
   * @default - no server access logs
   */
  readonly serverAccessLogsBucket?: s3.IBucket;

  /**
   * What happens to the bucket (and a key the construct creates) when it leaves the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A CloudWatchLogsArchiveBucket's bucket, as an exporter of another account (or stack) imports it.
 */
export interface ArchiveBucketAttributes {
  /** The archive bucket's name. */
  readonly bucketName: string;
  /** The archive account (the bucket's owner). */
  readonly account: string;
  /**
   * The bucket's region (the exporter's: CloudWatch Logs exports only to a bucket of the log groups' region).
   *
   * @default - the region of the stack importing it
   */
  readonly region?: string;
  /**
   * The archive's key prefix.
   *
   * @default 'exported-logs'
   */
  readonly keyPrefix?: string;
  /**
   * The archive's KMS key (SSE-KMS): its ARN, with `kms.Key.fromKeyArn`.
   *
   * @default - an SSE-S3 archive
   */
  readonly encryptionKey?: kms.IKey;
}


function validKeyPrefix(keyPrefix = DEFAULT_KEY_PREFIX): string {
  if (Token.isUnresolved(keyPrefix) || !KEY_PREFIX.test(keyPrefix) || keyPrefix.length > 160 || keyPrefix.split('/').includes('_state')) {
    throw new Error(`CloudWatchLogsArchiveBucket: keyPrefix '${keyPrefix}' must be 1-160 characters known at synthesis, of A-Z a-z 0-9 ! _ . ' ( ) - ` +
      "in '/'-separated segments, without a leading or trailing '/' or a '_state' segment");
  }
  return keyPrefix;
}
/** S3 refuses a bucket policy larger than 20 KB. */
const MAX_POLICY_CHARS = 20_480;

/**
 * A bucket that holds the exports of exporters in several accounts (a log archive account), in
 * the region of their log groups (CloudWatch Logs exports only to a bucket of the same region):
 * private, encrypted, TLS only, objects owned by the bucket owner. For each source account its
 * policy lets that account's CloudWatch Logs write exports under `<keyPrefix>/<account>/<region>/`
 * (never into an exporter's state), and that account's principals list that prefix and keep the
 * exporter's state under it; no account reaches another account's prefix.
 */
export class CloudWatchLogsArchiveBucket extends Construct implements ICloudWatchLogsArchive {
  /**
   * The bucket of a CloudWatchLogsArchiveBucket, imported as a shared archive: give it to a
   * CloudWatchLogsS3Exporter (of a source account, or of the archive account itself), which then
   * writes under `<keyPrefix>/<account>/<region>/` there.
   */
  public static fromArchiveAttributes(scope: Construct, id: string, attrs: ArchiveBucketAttributes): ICloudWatchLogsArchive {
    if (typeof attrs?.account !== 'string' || !ACCOUNT_ID.test(attrs.account)) {
      throw new Error(`CloudWatchLogsArchiveBucket.fromArchiveAttributes: account must be the archive's 12-digit account id, got '${attrs?.account}'`);
    }
    return new ImportedArchive(scope, id, attrs);
  }

  /** The archive bucket. */
  public readonly bucket: s3.IBucket;
  /** The key the archive is encrypted with (SSE-KMS). */
  public readonly encryptionKey?: kms.IKey;
  /** Key prefix of the archive. */
  public readonly keyPrefix: string;
  /** The bucket's name, when given (an exporter importing the archive by its name is checked against it). @internal */
  public readonly _bucketName?: string;
  private readonly accounts: string[] = [];
  private readonly policy: s3.BucketPolicy;
  /** The statements every source account shares. */
  private shared?: { acl: iam.PolicyStatement; settings: iam.PolicyStatement; keyState?: iam.PolicyStatement };

  constructor(scope: Construct, id: string, props: CloudWatchLogsArchiveBucketProps) {
    super(scope, id);
    if (!Array.isArray(props?.sourceAccounts)) throw new Error('CloudWatchLogsArchiveBucket: sourceAccounts must be a list of account ids');
    this.keyPrefix = validKeyPrefix(props.keyPrefix);
    const encryption = props.encryption ?? (props.encryptionKey ? s3.BucketEncryption.KMS : s3.BucketEncryption.S3_MANAGED);
    if (encryption !== s3.BucketEncryption.S3_MANAGED && encryption !== s3.BucketEncryption.KMS) {
      throw new Error(`CloudWatchLogsArchiveBucket: encryption must be S3_MANAGED or KMS, got ${encryption} ` +
        '(an AWS managed key cannot be shared with other accounts, CloudWatch Logs does not export to DSSE-KMS buckets)');
    }
    if (props.encryptionKey && encryption !== s3.BucketEncryption.KMS) throw new Error('CloudWatchLogsArchiveBucket: encryptionKey needs encryption KMS');
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.encryptionKey = encryption === s3.BucketEncryption.KMS ? props.encryptionKey ?? new kms.Key(this, 'Key', {
      description: `Encrypts the CloudWatch Logs archive ${this.node.path}`,
      enableKeyRotation: true,
      removalPolicy,
    }) : undefined;
    const bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: props.bucketName,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption,
      encryptionKey: this.encryptionKey,
      // One data key per bucket and period rather than per object: fewer KMS requests from every account.
      bucketKeyEnabled: encryption === s3.BucketEncryption.KMS ? true : undefined,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      ...archiveBucketProps('CloudWatchLogsArchiveBucket', this.keyPrefix, props.lifecycleRules, props.objectLockRetention),
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      removalPolicy,
    });
    this.bucket = bucket;
    this.policy = bucket.policy!;
    this._bucketName = props.bucketName !== undefined && !Token.isUnresolved(props.bucketName) ? props.bucketName : undefined;
    props.sourceAccounts.forEach((account) => this.addSourceAccount(account));
    this.node.addValidation({ validate: () => this.validate() });

    if (!props.serverAccessLogsBucket) {
      suppress(bucket, [{
        id: 'AwsSolutions-S1',
        reason: 'Server access logs are opt-in (serverAccessLogsBucket): writes come from CloudWatch Logs and the exporters, each limited by policy to its own prefix.',
      }]);
    }
  }

  /** The accounts whose exporters write into the bucket. */
  public get sourceAccounts(): string[] {
    return [...this.accounts];
  }

  /**
   * Where the exporter of an account (in this bucket's region) writes: `<keyPrefix>/<account>/<region>`.
   */
  public exportPrefixOf(account: string): string {
    return archivePrefix(this.keyPrefix, account, Stack.of(this).region);
  }

  /**
   * Lets the exporter of another account (in this bucket's region) write into the archive, under
   * its own prefix only.
   */
  public addSourceAccount(account: string): void {
    if (typeof account !== 'string' || !ACCOUNT_ID.test(account)) {
      throw new Error(`CloudWatchLogsArchiveBucket: a source account must be a 12-digit account id known at synthesis, got '${account}'`);
    }
    if (this.accounts.includes(account)) throw new Error(`CloudWatchLogsArchiveBucket: source account ${account} is given twice`);
    this.accounts.push(account);
    const stack = Stack.of(this);
    const allLogGroupsOf = (a: string) => stack.formatArn({ service: 'logs', account: a, resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const writer = {
      bucket: this.bucket,
      prefix: this.exportPrefixOf(account),
      account,
      region: stack.region,
      logGroupArns: [allLogGroupsOf(account)],
      sid: (name: string) => `${name}${account}`,
    };
    const principal = new iam.AccountPrincipal(account);
    const [acl, put, ...denials] = cloudWatchLogsStatements(writer);
    const [list, objects, settings] = handlerStatements(writer, principal, true);
    // Where a statement names no prefix, one for all accounts: the bucket policy holds at most 20 KB.
    if (!this.shared) {
      this.shared = {
        acl: this.addShared(acl, 'CloudWatchLogsGetBucketAcl'),
        settings: this.addShared(settings, 'ExportersReadBucketSettings'),
      };
      denials.forEach((d) => this.bucket.addToResourcePolicy(d));
      if (this.encryptionKey) {
        this.addShared(cloudWatchLogsKeyStatement({ region: stack.region, sid: (name) => name }), 'CloudWatchLogsEncryptExports', this.encryptionKey);
        this.shared.keyState = this.addShared(exporterKeyStatement('ExporterState', [principal]), 'ExporterState', this.encryptionKey);
      }
    }
    const shared = this.shared;
    shared.acl.addCondition('StringEquals', { 'aws:SourceAccount': [...this.accounts] });
    shared.acl.addCondition('ArnLike', { 'aws:SourceArn': this.accounts.map(allLogGroupsOf) });
    if (this.accounts.length > 1) {
      shared.settings.addPrincipals(principal);
      shared.keyState?.addPrincipals(principal);
    }
    for (const s of [put, list, objects]) this.bucket.addToResourcePolicy(s);
  }

  /** A statement for every source account, added once (to the bucket policy, or the key's). */
  private addShared(statement: iam.PolicyStatement, sid: string, key?: kms.IKey): iam.PolicyStatement {
    const json = statement.toStatementJson();
    const shared = iam.PolicyStatement.fromJson({ ...json, Sid: sid });
    if (!(key ? key.addToResourcePolicy(shared) : this.bucket.addToResourcePolicy(shared)).statementAdded) {
      throw new Error('CloudWatchLogsArchiveBucket: the policy of encryptionKey cannot be changed here (an imported key): give a key of this app, ' +
        'whose policy can let the source accounts and their CloudWatch Logs use it, or leave encryptionKey unset for a new key');
    }
    return shared;
  }

  private validate(): string[] {
    if (this.accounts.length === 0) return ['CloudWatchLogsArchiveBucket: sourceAccounts is empty: no exporter can write into the archive'];
    // As deployed: the bucket's ARN as long as it can be (a name of 63 characters, the longest partition), and so the region.
    const size = JSON.stringify(pasteable(this.policy.document.toJSON(), Stack.of(this)))
      .replace(/<[^<>"]+\.Arn>/g, 'arn:aws-us-gov:s3:::'.padEnd(83, 'x')).replace(/<partition>/g, 'aws-us-gov').replace(/<region>/g, 'x'.repeat(16)).length;
    if (size > MAX_POLICY_CHARS) {
      return [`CloudWatchLogsArchiveBucket: the bucket policy for ${this.accounts.length} source accounts could reach ${size} characters ` +
        `(S3 allows ${MAX_POLICY_CHARS}): split the accounts across archive buckets`];
    }
    return [];
  }
}

/** An archive imported by its attributes, in the stack of an exporter. */
class ImportedArchive extends Construct implements ICloudWatchLogsArchive {
  public readonly bucket: s3.IBucket;
  public readonly keyPrefix: string;

  constructor(scope: Construct, id: string, attrs: ArchiveBucketAttributes) {
    super(scope, id);
    this.keyPrefix = validKeyPrefix(attrs.keyPrefix);
    this.bucket = s3.Bucket.fromBucketAttributes(this, 'Bucket', {
      bucketName: attrs.bucketName,
      account: attrs.account,
      region: attrs.region,
      encryptionKey: attrs.encryptionKey,
    });
  }
}
