/**
 * What the exporter is allowed: CloudWatch Logs writing its exports into the destination (bucket
 * and key policies, or the warnings that print them where they cannot be added), and the
 * handler's role (the log groups it exports, the bucket it keeps its state in).
 */
import { Annotations, ArnFormat, Aspects, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { BoundDestination } from './destination';
import { pasteable } from './pasteable';
import { cloudWatchLogsKeyStatement, cloudWatchLogsStatements, exporterKeyStatement, handlerStatements, sidSuffix } from './policy-statements';
import { SelectedArns, Warning } from './props';

function logGroupArn(scope: Construct, name: string): string {
  return Stack.of(scope).formatArn({ service: 'logs', resource: 'log-group', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}

/**
 * Bucket (and key) policy statements that let CloudWatch Logs write exports of the selected log
 * groups under the export prefix, and never into any state; in a bucket of another account also
 * the handler's access. Where they cannot be added (an imported bucket or key), a warning prints
 * them, unless a CloudWatchLogsArchiveBucket of this app (given, or imported by its name) has
 * them in its policies.
 */
export function allowExports(scope: Construct, d: BoundDestination, selected: SelectedArns): void {
  if (d.grantedByArchive) return;
  const stack = Stack.of(scope);
  const prefix = d.exportPrefix;
  // Statement ids are unique in a policy: one set per exporter (prefix) of the bucket.
  const suffix = sidSuffix(prefix, scope);
  // CloudWatch Logs may write exports of the selected groups only, where their ARNs fit the bucket policy.
  const logGroupArns = selected.inline ? selected.arns : [logGroupArn(scope, '*')];
  const writer = { bucket: d.bucket, prefix, account: stack.account, region: stack.region, logGroupArns, sid: (name: string) => `${name}${suffix}` };
  // In a bucket of another account, its principals (the handler) need the bucket policy's leave too.
  const principal = new iam.AccountPrincipal(stack.account);
  const statements = [...cloudWatchLogsStatements(writer), ...(d.crossAccount ? handlerStatements(writer, principal, true) : [])];
  const added = statements.map((s) => d.bucket.addToResourcePolicy(s).statementAdded);
  const printed = (ss: iam.PolicyStatement[]) => JSON.stringify(pasteable(ss.map((s) => s.toStatementJson()), stack), undefined, 2);
  // An archive of this app that lists this account grants it all: the warning goes once the app is built (the archive
  // may be constructed after the exporter), as an acknowledgement saying so.
  const unlessGranted = (key: boolean, warn: () => void) => {
    warn();
    Aspects.of(scope).add({
      visit: (node) => {
        if (node === scope && d.grantedInApp(key)) {
          Annotations.of(scope).acknowledgeWarning(key ? Warning.KEY_POLICY : Warning.ARCHIVE_POLICY, 'a CloudWatchLogsArchiveBucket of this app grants these statements');
        }
      },
    });
  };
  if (added.includes(false) && d.shared) {
    const owner = d.bucket.env.account;
    unlessGranted(false, () => Annotations.of(scope).addWarningV2(Warning.ARCHIVE_POLICY,
      `The bucket is a shared archive${d.crossAccount ? ` of account ${Token.isUnresolved(owner) ? '<bucket-account>' : owner}` : ''}: ` +
      `its policy must let this account write under ${pasteable(prefix, stack)}/, as a CloudWatchLogsArchiveBucket does for its sourceAccounts. ` +
      'Exports and runs fail with AccessDenied until it has these statements:\n' + printed(statements)));
  } else if (added.includes(false)) {
    Annotations.of(scope).addWarningV2(Warning.BUCKET_POLICY,
      'The bucket is imported, so its policy cannot be changed here. Add these statements to its policy, or exports fail with AccessDenied:\n' +
      printed(statements));
  }
  const key = d.bucket.encryptionKey;
  if (key) {
    const keyStatements = [cloudWatchLogsKeyStatement(writer), ...(d.crossAccount ? [exporterKeyStatement(`ExporterState${suffix}`, [principal])] : [])];
    if (keyStatements.map((s) => key.addToResourcePolicy(s).statementAdded).includes(false)) {
      unlessGranted(true, () => Annotations.of(scope).addWarningV2(Warning.KEY_POLICY,
        "The bucket's KMS key is imported, so its policy cannot be changed here. Add these statements to its key policy:\n" + printed(keyStatements)));
    }
  }
}

/**
 * The handler's role: the read APIs without resource-level permissions (log groups, export tasks,
 * the log groups' IncomingBytes metric), CreateExportTask and DescribeLogStreams on the selected
 * log groups, the bucket under its prefixes, its key.
 */
export function grantHandler(scope: Construct, fn: lambda.IFunction, d: BoundDestination, selected: SelectedArns, offload?: OffloadScope): void {
  fn.addToRolePolicy(new iam.PolicyStatement({
    sid: 'ReadLogGroupsAndExportTasks',
    // These read APIs do not support resource-level permissions.
    actions: ['logs:DescribeLogGroups', 'logs:DescribeExportTasks'],
    resources: ['*'],
  }));
  fn.addToRolePolicy(new iam.PolicyStatement({
    sid: 'ReadIncomingBytes',
    // The log groups' IncomingBytes metric: did a group with a retention take in data? (GetMetricData
    // does not support resource-level permissions.)
    actions: ['cloudwatch:GetMetricData'],
    resources: ['*'],
  }));
  grantCreateExportTask(scope, fn, selected, offload ? RETENTION_ACTIONS : []);
  if (offload) denyRetention(scope, fn, offload);
  handlerStatements({ bucket: d.bucket, prefix: d.exportPrefix, sid: (name) => name }, undefined, d.crossAccount)
    .forEach((s) => fn.addToRolePolicy(s));
  // Writing and reading its state objects in an SSE-KMS bucket (not kms:ReEncrypt*, not GenerateDataKey*).
  d.bucket.encryptionKey?.grant(fn, 'kms:GenerateDataKey', 'kms:Decrypt');
}

/**
 * CreateExportTask and DescribeLogStreams (is there any event to export?) on the selected log
 * groups: in the function's policy when the ARNs fit there, otherwise in as many managed
 * policies as they need (a long list of names).
 */
function grantCreateExportTask(scope: Construct, fn: lambda.IFunction, { arns, inline, chunks }: SelectedArns, more: string[]): void {
  const actions = ['logs:CreateExportTask', 'logs:DescribeLogStreams', ...more];
  const statement = (resources: string[], sid: string) => new iam.PolicyStatement({ sid, actions, resources });
  if (inline) {
    fn.addToRolePolicy(statement(arns, 'CreateExportTasks'));
    return;
  }
  chunks.forEach((resources, i) => new iam.ManagedPolicy(scope, `CreateExportTasks${i + 1}`, {
    description: `Lets the exporter's handler export these log groups (part ${i + 1} of ${chunks.length})`,
    statements: [statement(resources, 'CreateExportTasks')],
    roles: [fn.role!],
  }));
}

/** Offload: what the handler may do to the selected groups besides exporting them (FilterLogEvents: does a window without files hold events?). */
const RETENTION_ACTIONS = ['logs:PutRetentionPolicy', 'logs:DeleteRetentionPolicy', 'logs:FilterLogEvents'];

/** Groups whose retention the handler must never change, whatever the selection's wildcard allows. */
export interface OffloadScope {
  /** Names of the construct's own log groups. */
  readonly ownGroups: string[];
  /** The selection's excluded prefixes. */
  readonly excludePrefixes: string[];
}

/**
 * Offload: denies changing the retention of the construct's own log groups and of the groups the
 * selection excludes (a selection of all groups, or by prefixes, is allowed by a wildcard).
 */
function denyRetention(scope: Construct, fn: lambda.IFunction, o: OffloadScope): void {
  const stack = Stack.of(scope);
  const arn = (resourceName: string) => stack.formatArn({ service: 'logs', resource: 'log-group', resourceName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  const own = o.ownGroups.flatMap((g) => [arn(g), arn(`${g}:*`)]);
  fn.addToRolePolicy(new iam.PolicyStatement({
    sid: 'NeverChangeRetentionOfUnselectedGroups',
    effect: iam.Effect.DENY,
    actions: ['logs:PutRetentionPolicy', 'logs:DeleteRetentionPolicy'],
    resources: [...own, ...o.excludePrefixes.flatMap((p) => [arn(`${p}*`)])],
  }));
}
