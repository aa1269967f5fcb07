import { CfnResource, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { IConstruct } from 'constructs';
import type { BoundDestination } from './destination';

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

/** What the exporter's explanations are about. */
export interface ExporterParts {
  readonly destination: BoundDestination;
  readonly handler: lambda.IFunction;
  readonly stateMachine: sfn.StateMachine;
  /** Whether the selection is every log group of the account and region. */
  readonly allGroups: boolean;
  readonly tracing: boolean;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Why the AwsSolutions rules that flag the exporter do not apply. */
export function explainExporterFindings(scope: IConstruct, parts: ExporterParts): void {
  const stack = Stack.of(scope);
  const { destination: d, handler: fn, stateMachine: sm } = parts;
  if (d.created) {
    suppress(d.bucket, [{
      id: 'AwsSolutions-S1',
      reason: 'The default bucket only receives exports written by the CloudWatch Logs service principal, limited by policy to ' +
        "this account's log groups, and the exporter's state. Consumers who need server access logs pass their own bucket.",
    }]);
  }
  suppress(fn.role?.node.tryFindChild('DefaultPolicy'), [
    { id: 'AwsSolutions-IAM5', reason: 'logs:DescribeLogGroups, logs:DescribeExportTasks and cloudwatch:GetMetricData do not support resource-level permissions.', appliesTo: ['Resource::*'] },
    ...(parts.allGroups ? [{
      id: 'AwsSolutions-IAM5',
      reason: 'The selection is every log group of the account and region, so CreateExportTask must be allowed on every log group.',
      appliesTo: ['Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:*', `Resource::arn:<AWS::Partition>:logs:${stack.region}:${stack.account}:log-group:*`],
    }] : []),
    {
      id: 'AwsSolutions-IAM5',
      reason: "Done-markers (one object per log group and window), the lease and the checkpoint live under the exporter's _state/<keyPrefix>/ prefix and nowhere else; " +
        'in a bucket of another account, CloudWatch Logs writes the exports with the permission of the caller of CreateExportTask, so the handler may also write ' +
        'under its own export prefix there, and nowhere else.',
      // Whatever the bucket (of this stack, imported, another account's): its ARN, then [_state/]<exportPrefix>/*.
      appliesTo: [{ regex: `/^Resource::.*\\/(_state\\/)?${escapeRegex(d.keyPrefix)}${d.exportPrefix === d.keyPrefix ? '' : '\\/[^/]+\\/[^/]+'}\\/\\*$/` }],
    },
  ]);
  suppress(sm.role.node.tryFindChild('DefaultPolicy'), [
    { id: 'AwsSolutions-IAM5', reason: 'Invoking the handler function, its versions and aliases: <arn>:* is the one function.', appliesTo: [`Resource::<${stack.getLogicalId(fn.node.defaultChild as lambda.CfnFunction)}.Arn>:*`] },
    {
      id: 'AwsSolutions-IAM5',
      reason: 'The CloudWatch Logs log delivery APIs used by state machine logging (and X-Ray, when tracing is on) do not support resource-level permissions.',
      appliesTo: ['Resource::*'],
    },
  ]);
  suppress(sm, [
    {
      id: 'AwsSolutions-SF1',
      reason: 'Execution logs default to ERROR to keep log volume and cost proportional to problems; the logLevel prop raises it to ALL.',
    },
    ...(parts.tracing ? [] : [{
      id: 'AwsSolutions-SF2',
      reason: 'X-Ray tracing is off by default: a run is a loop of one Lambda task whose structured logs and execution history say what it did, ' +
        'and traces are charged per trace. The tracing prop turns it on.',
    }]),
  ]);
}
