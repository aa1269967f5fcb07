import { CfnResource } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

export interface Suppression {
  readonly id: string;
  readonly reason: string;
  /** Findings it applies to: as cdk-nag names them, or a regular expression (`/.../`) matching their names. */
  readonly appliesTo?: Array<string | { readonly regex: string }>;
}

/**
 * Records why a cdk-nag rule does not apply, as the metadata cdk-nag reads, so that consumers
 * who run cdk-nag see the reasons without this library depending on cdk-nag.
 */
export function suppress(scope: IConstruct | undefined, suppressions: Suppression[]): void {
  const resource = scope instanceof CfnResource ? scope : scope?.node.defaultChild;
  if (!(resource instanceof CfnResource)) return;
  const existing = resource.getMetadata('cdk_nag')?.rules_to_suppress ?? [];
  resource.addMetadata('cdk_nag', {
    rules_to_suppress: [
      ...existing,
      ...suppressions.map((s) => ({ id: s.id, reason: s.reason, ...(s.appliesTo ? { applies_to: s.appliesTo } : {}) })),
    ],
  });
}
