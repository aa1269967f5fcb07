import { Stack, Token } from 'aws-cdk-lib';
import { RegionInfo } from 'aws-cdk-lib/region-info';

/**
 * A synthesized value as a person can paste it into a policy: references to pseudo parameters
 * resolved where the stack's environment says them, `<placeholders>` where it does not, other
 * references named `<LogicalId>`.
 */
export function pasteable(value: unknown, stack: Stack): unknown {
  const account = Token.isUnresolved(stack.account) ? '<account-id>' : stack.account;
  const region = Token.isUnresolved(stack.region) ? '<region>' : stack.region;
  const partition = Token.isUnresolved(stack.region) ? '<partition>' : (RegionInfo.get(stack.region).partition ?? 'aws');
  const pseudo: Record<string, string> = { 'AWS::AccountId': account, 'AWS::Region': region, 'AWS::Partition': partition, 'AWS::URLSuffix': 'amazonaws.com' };
  const walk = (v: any): any => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    if ('Ref' in v) return pseudo[v.Ref] ?? `<${v.Ref}>`;
    if ('Fn::GetAtt' in v) return `<${v['Fn::GetAtt'].join('.')}>`;
    if ('Fn::Join' in v) return walk(v['Fn::Join'][1]).join(v['Fn::Join'][0]);
    // Any other intrinsic (Fn::ImportValue, Fn::Select, ...): a placeholder that names it.
    const intrinsic = Object.keys(v).length === 1 ? Object.keys(v).find((k) => k.startsWith('Fn::')) : undefined;
    if (intrinsic) return `<${intrinsic} ${JSON.stringify(v[intrinsic]).replace(/[{}"]/g, '')}>`;
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
  };
  return walk(stack.resolve(value));
}
