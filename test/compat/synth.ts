/**
 * Synthesizes the examples with the aws-cdk-lib installed beside this file; exits 1 when the
 * library calls an API that aws-cdk-lib deprecates (its warning, printed while a frame of the
 * library is on the stack).
 */
import { readFileSync } from 'fs';
// Beside the copies of the examples (run.sh rewrites these paths), which import the installed package.
import { exampleApp } from '../../examples/app';
import { manyAccountsApp } from '../../examples/many-accounts';

const ours: string[] = [];
const warn = console.warn;
console.warn = (...args: unknown[]) => {
  const text = args.map(String).join(' ');
  if (/is deprecated/.test(text) && /node_modules[\\/]cdk-cloudwatch-logs-s3-exporter[\\/]/.test(new Error().stack ?? '')) ours.push(text.split('\n')[0]);
  warn(...args);
};

const version = (JSON.parse(readFileSync(require.resolve('aws-cdk-lib/package.json'), 'utf8')) as { version: string }).version;
const stacks = [exampleApp('cdk.out/example'), manyAccountsApp('cdk.out/many-accounts')].flatMap((app) => app.synth().stacks);
if (ours.length > 0) {
  console.error(`aws-cdk-lib ${version}: this library calls deprecated APIs:\n  ${[...new Set(ours)].join('\n  ')}`);
  process.exit(1);
}
console.log(`aws-cdk-lib ${version}: ${stacks.length} stacks synthesized; no deprecated API called by this library`);
