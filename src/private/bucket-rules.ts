/**
 * What the buckets the library creates share: versioning with a lifecycle rule for the old
 * versions of the exporters' state, Object Lock on request, and lifecycle rules of the user's
 * that must not reach the state.
 */
import { Duration, Token } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { STATE_FOLDER } from '../shared/layout';

/** How long the old versions of state objects are kept (the lease is rewritten every quarter of an hour). */
export const STATE_VERSIONS_KEPT = Duration.days(3);

/** Expires the old versions of the exporters' state objects; exported logs keep theirs. */
export const STATE_VERSIONS_RULE: s3.LifecycleRule = {
  id: 'ExporterStateOldVersions',
  prefix: `${STATE_FOLDER}/`,
  noncurrentVersionExpiration: STATE_VERSIONS_KEPT,
};

/**
 * The user's lifecycle rules, after checking that none can reach the state: an expired done-marker
 * means a window exported again, and a lease or marker in an archive storage class cannot be read.
 * A rule must name a prefix outside `_state/` (or filter by tags, which state objects never have).
 */
export function validLifecycleRules(owner: string, rules: s3.LifecycleRule[] | undefined, exportsPrefix: string): s3.LifecycleRule[] {
  for (const [i, rule] of (rules ?? []).entries()) {
    if (rule.prefix !== undefined && Token.isUnresolved(rule.prefix)) {
      throw new Error(`${owner}: lifecycleRules[${i}]${rule.id ? ` (${rule.id})` : ''} has a prefix known only at deploy time: it must be known at synthesis, ` +
        `to be checked against the exporters' state under ${STATE_FOLDER}/ (give the prefix of the exports, '${exportsPrefix}/')`);
    }
    const prefix = rule.prefix ?? '';
    const reaches = `${STATE_FOLDER}/`.startsWith(prefix) || prefix.startsWith(`${STATE_FOLDER}/`);
    if (reaches && !(rule.tagFilters && Object.keys(rule.tagFilters).length > 0)) {
      throw new Error(`${owner}: lifecycleRules[${i}]${rule.id ? ` (${rule.id})` : ''} ${prefix ? `has the prefix '${prefix}', which reaches` : 'has no prefix, so it reaches'} ` +
        `the exporters' state under ${STATE_FOLDER}/ (an expired done-marker means a window exported again; a lease in an archive storage class ` +
        `cannot be read): give it the prefix of the exports, '${exportsPrefix}/'`);
    }
  }
  return rules ?? [];
}

/** The bucket props for versioning, the state rule, the user's rules and Object Lock. */
export function archiveBucketProps(owner: string, exportsPrefix: string, lifecycleRules?: s3.LifecycleRule[],
  objectLockRetention?: s3.ObjectLockRetention): Pick<s3.BucketProps, 'versioned' | 'lifecycleRules' | 'objectLockEnabled' | 'objectLockDefaultRetention'> {
  if (objectLockRetention !== undefined && !(objectLockRetention instanceof s3.ObjectLockRetention)) {
    throw new Error(`${owner}: objectLockRetention must be an s3.ObjectLockRetention, such as s3.ObjectLockRetention.governance(Duration.days(365))`);
  }
  return {
    versioned: true,
    lifecycleRules: [STATE_VERSIONS_RULE, ...validLifecycleRules(owner, lifecycleRules, exportsPrefix)],
    ...(objectLockRetention ? { objectLockEnabled: true, objectLockDefaultRetention: objectLockRetention } : {}),
  };
}
