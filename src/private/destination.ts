/**
 * What a destination (ExportDestination) means for the exporter that writes there.
 */
import { Token, TokenComparison } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';

/** Where a destination puts an exporter's exports. */
export interface BoundDestination {
  readonly bucket: s3.IBucket;
  /** The key prefix given (or the archive's, or the default). */
  readonly keyPrefix: string;
  /** Where the exporter writes: `keyPrefix`, or `<keyPrefix>/<account>/<region>` in a shared archive. */
  readonly exportPrefix: string;
  /** Whether the bucket is shared by exporters of several accounts (an archive, or any bucket of another account). */
  readonly shared: boolean;
  /** Whether the bucket is of another account. */
  readonly crossAccount: boolean;
  /** Whether the construct created the bucket. */
  readonly created: boolean;
  /** Whether a CloudWatchLogsArchiveBucket of this app, given as such, grants the exporter what it needs (nothing to add). */
  readonly grantedByArchive: boolean;
  /**
   * Whether a CloudWatchLogsArchiveBucket of this app, imported by its name, grants the exporter
   * what it needs in its bucket policy (and, with `key`, in its key's policy): asked once the app
   * is built, as the archive may be constructed after the exporter.
   */
  readonly grantedInApp: (key: boolean) => boolean;
}

/** Two account ids known to be the same (the same value, or the same reference). */
export function sameAccount(a: string, b: string): boolean {
  return a === b || Token.compareStrings(a, b) === TokenComparison.SAME;
}
