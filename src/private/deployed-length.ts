import { Stack, Token, Tokenization } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { IConstruct } from 'constructs';

/** The longest log group name: what a name not known until deploy time may be. */
export const MAX_LOG_GROUP_NAME = 512;

/** Longest values of the pseudo parameters (`aws-us-gov`, `ap-southeast-2`, ...). */
const PSEUDO: Record<string, number> = { 'AWS::Partition': 10, 'AWS::Region': 16, 'AWS::AccountId': 12, 'AWS::URLSuffix': 20 };

/**
 * An upper bound of the length `text` has once CloudFormation resolves it. A log group of the
 * same stack without a name gets one CloudFormation makes from the stack name and its logical
 * ID (`<stack name>-<logical id>-<random suffix>`); any other value not known at synth time
 * counts as the longest log group name.
 */
export function deployedLength(text: string, scope: IConstruct): number {
  if (!Token.isUnresolved(text)) return text.length;
  const stack = Stack.of(scope);
  let length = text.replace(/\$\{Token\[[^\]]+\]\}/g, '').length;
  for (const token of Tokenization.reverseString(text).tokens) {
    const resolved = stack.resolve(token);
    length += typeof resolved === 'string' ? resolved.length : tokenLength(resolved, stack);
  }
  return length;
}

function tokenLength(resolved: any, stack: Stack): number {
  const ref = resolved?.Ref;
  if (typeof ref !== 'string') return MAX_LOG_GROUP_NAME;
  if (PSEUDO[ref] !== undefined) return PSEUDO[ref];
  const group = stack.node.findAll().find((c): c is logs.CfnLogGroup =>
    c instanceof logs.CfnLogGroup && stack.resolve(c.logicalId) === ref);
  if (group && stack.resolve(group.logGroupName) === undefined) return stack.stackName.length + ref.length + 15;
  return MAX_LOG_GROUP_NAME;
}
