/**
 * Reads, writes and listings of one bucket, as S3 really answers them.
 *
 * S3 answers a GET of a missing key with 404 NoSuchKey only when the caller may list the bucket
 * (`s3:ListBucket`), otherwise with 403 AccessDenied; how an `s3:prefix` condition on that
 * permission counts for the decision is not documented. So a 403 on a read is confirmed by a
 * listing of that exact key (which a prefix condition allows): no such key means the object is
 * absent; a key that is there (or a listing that is refused too) is a real denial, which fails
 * with a {@link PermissionError} naming the permission and the statement that grants it.
 */
import {
  GetObjectCommand, GetObjectLockConfigurationCommand, ListObjectsV2Command, ListObjectsV2CommandInput, ListObjectsV2CommandOutput,
  PutObjectCommand, PutObjectCommandInput, S3Client,
} from '@aws-sdk/client-s3';
import { ErrorName } from '../shared/protocol';

export function errorName(e: unknown): string {
  return (e as { name?: string })?.name ?? 'Error';
}

/** What CloudWatch Logs, CloudWatch and S3 answer when throttled (past the SDK's own retries). */
const THROTTLING = new Set(['ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded', 'SlowDown', 'ServiceUnavailable', 'ServiceUnavailableException']);

/** The call was throttled: it may be tried again later. */
export function isThrottling(e: unknown): boolean {
  return THROTTLING.has(errorName(e));
}

function statusOf(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

/** S3 refused the request for lack of a permission (or, for a missing key, of s3:ListBucket). */
export function isAccessDenied(e: unknown): boolean {
  const name = errorName(e);
  return name === 'AccessDenied' || (statusOf(e) === 403 && name === 'Forbidden');
}

/** A conditional write that lost: someone else wrote (or deleted) the object since it was read. */
export function isConditionalFailure(e: unknown): boolean {
  const status = statusOf(e);
  return ['PreconditionFailed', 'ConditionalRequestConflict'].includes(errorName(e)) || status === 412 || status === 409;
}

/** A permission the caller lacks: the message names it and the statement that grants it. */
export class PermissionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = ErrorName.PERMISSION_DENIED;
  }
}

/** What to tell the reader when an action is denied: which permission, where it is granted. */
export type DenialHint = (action: string, target: string) => string;

/** The retention mode of a bucket's default Object Lock retention, if it has one. */
export type LockMode = 'GOVERNANCE' | 'COMPLIANCE';

export interface Read<T> {
  readonly body: T;
  readonly etag: string;
}

export class BucketAccess {
  constructor(private readonly s3: S3Client, readonly bucket: string, private readonly hint: DenialHint) {}

  /**
   * A JSON object, or undefined when there is no such key (whether S3 answers 404 or 403). A key
   * the confirming listing finds (written meanwhile, by another run) is read once more: a denial
   * only if that read is refused too.
   */
  async readJson<T>(key: string, confirmed = false): Promise<Read<T> | undefined> {
    try {
      const res = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return { body: JSON.parse(await res.Body!.transformToString()) as T, etag: res.ETag! };
    } catch (e) {
      if (errorName(e) === 'NoSuchKey') return undefined;
      if (!isAccessDenied(e)) throw e;
      if (!(await this.exists(key))) return undefined;
      if (!confirmed) return this.readJson<T>(key, true);
      throw this.denied('s3:GetObject', `arn:aws:s3:::${this.bucket}/${key}`, 'the object exists');
    }
  }

  /**
   * Writes an object. A conditional write that lost throws an error `isConditionalFailure` tells;
   * so does an `IfMatch` write on a key that no longer exists (S3 answers 404, or 403 without
   * s3:ListBucket). Any other denial is a PermissionError.
   */
  async put(input: Omit<PutObjectCommandInput, 'Bucket'>): Promise<string> {
    try {
      return (await this.s3.send(new PutObjectCommand({ ...input, Bucket: this.bucket }))).ETag!;
    } catch (e) {
      const gone = input.IfMatch !== undefined && (errorName(e) === 'NoSuchKey' || (isAccessDenied(e) && !(await this.exists(input.Key!))));
      if (gone) throw Object.assign(new Error(`${input.Key} was deleted since it was read`), { name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
      if (isAccessDenied(e)) throw this.denied(input.ObjectLockMode ? 's3:PutObject and s3:PutObjectRetention' : 's3:PutObject', `arn:aws:s3:::${this.bucket}/${input.Key}`);
      throw e;
    }
  }

  /** One page of a listing. */
  async list(input: Omit<ListObjectsV2CommandInput, 'Bucket'>): Promise<ListObjectsV2CommandOutput> {
    try {
      return await this.s3.send(new ListObjectsV2Command({ ...input, Bucket: this.bucket }));
    } catch (e) {
      if (isAccessDenied(e)) throw this.denied('s3:ListBucket', `arn:aws:s3:::${this.bucket} (prefix ${input.Prefix ?? ''})`);
      throw e;
    }
  }

  /** Whether an object of exactly this key exists (one listing). */
  async exists(key: string): Promise<boolean> {
    const res = await this.list({ Prefix: key, MaxKeys: 1 });
    return (res.Contents ?? []).some((o) => o.Key === key);
  }

  /** The mode of the bucket's default Object Lock retention; undefined when it has none. */
  async defaultLockMode(): Promise<LockMode | undefined> {
    try {
      const res = await this.s3.send(new GetObjectLockConfigurationCommand({ Bucket: this.bucket }));
      const config = res.ObjectLockConfiguration;
      return config?.ObjectLockEnabled === 'Enabled' ? config.Rule?.DefaultRetention?.Mode as LockMode | undefined : undefined;
    } catch (e) {
      if (errorName(e) === 'ObjectLockConfigurationNotFoundError') return undefined;
      if (isAccessDenied(e)) throw this.denied('s3:GetBucketObjectLockConfiguration', `arn:aws:s3:::${this.bucket}`);
      throw e;
    }
  }

  private denied(action: string, target: string, why = ''): PermissionError {
    return new PermissionError(`${action} on ${target} was denied${why ? ` (${why})` : ''}: ${this.hint(action, target)}`);
  }
}
