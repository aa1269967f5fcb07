/**
 * One archive for many accounts: the archive bucket's policies (per source account, no account
 * reaching another's prefix), and exporters of other accounts pointed at it (their layout, their
 * grants, and the statements they ask the archive for, which must be the ones it has).
 */
import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { App, Aspects, Annotations as CoreAnnotations, Duration, Lazy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { SOURCES, manyAccountsApp } from '../../examples/many-accounts';
import {
  CloudWatchLogsArchiveBucket, CloudWatchLogsArchiveBucketProps, CloudWatchLogsS3Exporter, ExportDestination, ExportedLogsTable,
  ExportedLogsTableSource,
} from '../../src';

const ARCHIVE_ACCOUNT = '999999999999';
const [A, B] = ['111111111111', '222222222222'];
const REGION = 'eu-west-1';
const KEY_ARN = `arn:aws:kms:${REGION}:${ARCHIVE_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

function archiveStack(props: Partial<CloudWatchLogsArchiveBucketProps> = {}, app = new App()) {
  const stack = new Stack(app, 'Archive', { env: { account: ARCHIVE_ACCOUNT, region: REGION } });
  const archive = new CloudWatchLogsArchiveBucket(stack, 'Logs', { sourceAccounts: [A, B], bucketName: 'org-log-archive', ...props });
  return { app, stack, archive };
}

/** An exporter of `account` writing into the archive bucket, imported as the README says. */
function exporterStack(account: string, app = new App(), kmsKey = false) {
  const stack = new Stack(app, `Exporter${account}`, { env: { account, region: REGION } });
  const archive = CloudWatchLogsArchiveBucket.fromArchiveAttributes(stack, 'Archive', {
    bucketName: 'org-log-archive',
    account: ARCHIVE_ACCOUNT,
    encryptionKey: kmsKey ? kms.Key.fromKeyArn(stack, 'ArchiveKey', KEY_ARN) : undefined,
  });
  const exporter = new CloudWatchLogsS3Exporter(stack, 'Exporter', { destination: ExportDestination.fromArchive(archive) });
  return { stack, exporter };
}

/** Resolves what a template says of the archive bucket to plain strings (its ARN, the partition). */
function plain(v: any): any {
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') {
    if ('Fn::GetAtt' in v) return 'arn:aws:s3:::org-log-archive';
    if (v.Ref === 'AWS::Partition') return 'aws';
    if ('Fn::Join' in v) return plain(v['Fn::Join'][1]).join(v['Fn::Join'][0]);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  }
  return v;
}

const asList = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/**
 * Whether the granted statement `g` covers the asked statement `a`: the same effect, principal
 * and actions, every resource of `a` among `g`'s, and every condition of `g` met by what `a`'s
 * conditions allow (an ARN pattern ending in `*` covers the ARNs and patterns it starts).
 */
function covers(g: any, a: any): boolean {
  const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);
  // A statement shared by several accounts lists their principals.
  const principals = (p: any) => Object.entries<any>(p ?? {}).flatMap(([kind, v]) => asList(v).map((x) => `${kind}:${x}`));
  const principalCovered = principals(a.Principal).every((p) => principals(g.Principal).includes(p)) || same(g.Principal, a.Principal);
  if (g.Effect !== a.Effect || !principalCovered || !same(asList(g.Action).sort(), asList(a.Action).sort())) return false;
  if (!asList(a.Resource).every((r) => asList(g.Resource).includes(r))) return false;
  return Object.entries<any>(g.Condition ?? {}).every(([op, values]) => Object.entries<any>(values).every(([key, allowed]) => {
    const asked = asList(a.Condition?.[op]?.[key]) as string[];
    const ok = (x: string) => asList(allowed).some((p) => p === x || (op === 'ArnLike' && String(p).endsWith('*') && x.startsWith(String(p).slice(0, -1))));
    return asked.length > 0 && asked.every(ok);
  }));
}

const bucketStatements = (stack: Stack): any[] =>
  plain(Object.values<any>(Template.fromStack(stack).findResources('AWS::S3::BucketPolicy'))[0].Properties.PolicyDocument.Statement);

describe('CloudWatchLogsArchiveBucket', () => {
  test('each source account writes under <keyPrefix>/<account>/<region>/ only: its CloudWatch Logs the exports, its principals the state', () => {
    const { stack } = archiveStack();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'org-log-archive',
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
    });
    template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
    const statements = bucketStatements(stack);
    for (const [account, other] of [[A, B], [B, A]]) {
      const prefix = `arn:aws:s3:::org-log-archive/exported-logs/${account}/${REGION}`;
      // What this account's CloudWatch Logs and principals may write and read: its own prefix, nothing of the other's.
      const own = statements.filter((s) => s.Sid?.endsWith(account));
      expect(own.map((s) => [s.Sid, s.Effect, s.Action, s.Resource])).toEqual([
        [`CloudWatchLogsPutExports${account}`, 'Allow', 's3:PutObject', `${prefix}/*`],
        [`ListExporterKeys${account}`, 'Allow', 's3:ListBucket', 'arn:aws:s3:::org-log-archive'],
        // Its state, beside the exports (`_state/` is never written by an export); and its exports, which
        // CloudWatch Logs writes into another account's bucket with the permission of the caller of CreateExportTask.
        [`ReadWriteExporterObjects${account}`, 'Allow', ['s3:GetObject', 's3:PutObject', 's3:PutObjectRetention'],
          [`arn:aws:s3:::org-log-archive/_state/exported-logs/${account}/${REGION}/*`, `${prefix}/*`]],
      ]);
      for (const s of own) expect(JSON.stringify(s)).not.toContain(other);
      const [put, ...handler] = own;
      expect(put.Principal).toEqual({ Service: `logs.${REGION}.amazonaws.com` });
      expect(put.Condition).toEqual({
        StringEquals: { 'aws:SourceAccount': account, 's3:x-amz-acl': 'bucket-owner-full-control' },
        ArnLike: { 'aws:SourceArn': `arn:aws:logs:${REGION}:${account}:log-group:*` },
      });
      for (const s of handler) expect(s.Principal).toEqual({ AWS: `arn:aws:iam::${account}:root` });
      expect(handler[0].Condition).toEqual({ StringLike: { 's3:prefix': [`exported-logs/${account}/${REGION}/*`, `_state/exported-logs/${account}/${REGION}/*`] } });
    }
    // Shared by all accounts: what names no prefix (the bucket's ACL and settings), and the denials of
    // any write into any exporter's state by an export: by CloudWatch Logs itself, or through it with
    // the permissions of a principal of a source account (a forward access session).
    const shared = statements.filter((s) => s.Sid && !/\d{12}$/.test(s.Sid));
    expect(shared).toEqual([
      {
        Sid: 'CloudWatchLogsGetBucketAcl',
        Effect: 'Allow',
        Principal: { Service: `logs.${REGION}.amazonaws.com` },
        Action: 's3:GetBucketAcl',
        Resource: 'arn:aws:s3:::org-log-archive',
        Condition: {
          StringEquals: { 'aws:SourceAccount': [A, B] },
          ArnLike: { 'aws:SourceArn': [A, B].map((a) => `arn:aws:logs:${REGION}:${a}:log-group:*`) },
        },
      },
      {
        Sid: 'ExportersReadBucketSettings',
        Effect: 'Allow',
        Principal: { AWS: [A, B].map((a) => `arn:aws:iam::${a}:root`) },
        Action: ['s3:GetBucketObjectLockConfiguration', 's3:GetBucketAcl', 's3:GetBucketLocation'],
        Resource: 'arn:aws:s3:::org-log-archive',
      },
      {
        Sid: 'CloudWatchLogsNeverWritesState',
        Effect: 'Deny',
        Principal: { Service: `logs.${REGION}.amazonaws.com` },
        Action: 's3:PutObject',
        Resource: 'arn:aws:s3:::org-log-archive/_state/*',
      },
      {
        Sid: 'NoStateWritesThroughServices',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 's3:PutObject',
        Resource: 'arn:aws:s3:::org-log-archive/_state/*',
        Condition: { Bool: { 'aws:ViaAWSService': 'true' } },
      },
    ]);
    // No other grant: the TLS-only deny, and the statements above.
    expect(statements).toHaveLength(1 + shared.length + 2 * 3);
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
  });

  test('versioned, the state\'s old versions expiring; Object Lock on request; no lifecycle rule of the user\'s reaches the state', () => {
    const rules = (props: Partial<CloudWatchLogsArchiveBucketProps>) => Template.fromStack(archiveStack(props).stack).findResources('AWS::S3::Bucket');
    const [plainBucket] = Object.values<any>(rules({ lifecycleRules: [{ prefix: 'exported-logs/', expiration: Duration.days(3650) }] }));
    expect(plainBucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(plainBucket.Properties.LifecycleConfiguration.Rules).toEqual([
      { Id: 'ExporterStateOldVersions', Prefix: '_state/', NoncurrentVersionExpiration: { NoncurrentDays: 3 }, Status: 'Enabled' },
      { Prefix: 'exported-logs/', ExpirationInDays: 3650, Status: 'Enabled' },
    ]);
    expect(plainBucket.Properties.ObjectLockEnabled).toBeUndefined();
    const [locked] = Object.values<any>(rules({ objectLockRetention: s3.ObjectLockRetention.governance(Duration.days(400)) }));
    expect([locked.Properties.ObjectLockEnabled, locked.Properties.ObjectLockConfiguration])
      .toEqual([true, { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 400 } } }]);
    // A rule that would reach the state (an expired done-marker means a window exported again): refused, naming the prefix to give.
    for (const rule of [{ expiration: Duration.days(30) }, { prefix: '_', expiration: Duration.days(30) }, { prefix: '_state/exported-logs/', expiration: Duration.days(30) }]) {
      expect(() => archiveStack({ lifecycleRules: [rule] })).toThrow(/CloudWatchLogsArchiveBucket: lifecycleRules\[0\] .*reaches the exporters' state under _state\/ .*give it the prefix of the exports, 'exported-logs\/'/);
    }
    // One that filters by tags reaches no state object (they have none).
    expect(() => archiveStack({ lifecycleRules: [{ tagFilters: { tier: 'cold' }, expiration: Duration.days(30) }] })).not.toThrow();
    // A prefix known only at deploy time cannot be checked: refused.
    expect(() => archiveStack({ lifecycleRules: [{ prefix: Lazy.string({ produce: () => '' }), expiration: Duration.days(30) }] }))
      .toThrow(/lifecycleRules\[0\] has a prefix known only at deploy time/);
  });

  test('SSE-KMS: a rotated key whose policy lets each account\'s CloudWatch Logs encrypt its exports, and its principals use it through S3 only', () => {
    const { stack, archive } = archiveStack({ encryption: s3.BucketEncryption.KMS });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' }, BucketKeyEnabled: true }] },
    });
    expect(archive.encryptionKey).toBeDefined();
    const keyStatements: any[] = plain(Object.values<any>(template.findResources('AWS::KMS::Key'))[0].Properties.KeyPolicy.Statement);
    expect(keyStatements.slice(1)).toEqual([
      {
        Sid: 'CloudWatchLogsEncryptExports',
        Effect: 'Allow',
        Principal: { Service: `logs.${REGION}.amazonaws.com` },
        Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
        Resource: '*',
      },
      {
        Sid: 'ExporterState',
        Effect: 'Allow',
        Principal: { AWS: [A, B].map((a) => `arn:aws:iam::${a}:root`) },
        Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
        Resource: '*',
      },
    ]);
    // The first: the archive account's own administration of its key.
    expect(keyStatements[0]).toMatchObject({ Principal: { AWS: `arn:aws:iam::${ARCHIVE_ACCOUNT}:root` }, Action: 'kms:*' });
  });

  test('an exporter of a source account asks for exactly the statements the archive gives that account, and writes where they allow', () => {
    const app = new App();
    const { stack: archive } = archiveStack({ encryption: s3.BucketEncryption.KMS }, app);
    const { stack, exporter } = exporterStack(A, app, true);
    expect(exporter.keyPrefix).toBe('exported-logs');
    expect(exporter.exportPrefix).toBe(`exported-logs/${A}/${REGION}`);
    const template = Template.fromStack(stack);
    // The handler is told the prefix, and its role reaches that prefix only.
    const sm = Object.values<any>(template.findResources('AWS::StepFunctions::StateMachine'))[0];
    expect(JSON.parse(plain(sm.Properties.DefinitionString)).States.Export.Parameters.config.keyPrefix).toBe(`exported-logs/${A}/${REGION}`);
    const role: any[] = plain(Object.values<any>(template.findResources('AWS::IAM::Policy'))
      .find((p) => p.Properties.PolicyDocument.Statement.some((s: any) => s.Sid === 'ListExporterKeys')).Properties.PolicyDocument.Statement);
    expect(role.filter((s) => JSON.stringify(s.Action).includes('s3:')).map((s) => [s.Sid, s.Resource])).toEqual([
      ['ListExporterKeys', 'arn:aws:s3:::org-log-archive'],
      ['ReadWriteExporterObjects', [`arn:aws:s3:::org-log-archive/_state/exported-logs/${A}/${REGION}/*`, `arn:aws:s3:::org-log-archive/exported-logs/${A}/${REGION}/*`]],
      ['ReadBucketSettings', 'arn:aws:s3:::org-log-archive'],
    ]);
    expect(role.find((s) => s.Sid === 'ListExporterKeys').Condition)
      .toEqual({ StringLike: { 's3:prefix': [`exported-logs/${A}/${REGION}/*`, `_state/exported-logs/${A}/${REGION}/*`] } });
    expect(role.filter((s) => JSON.stringify(s.Action).includes('kms:')).map((s) => s.Resource)).toEqual([KEY_ARN]);

    // The archive of this app lists the account: its bucket and key policies grant it all, so nothing is warned of.
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
    // Deployed from an app without the archive, the bucket belongs to an account whose policy is not seen: a warning of its
    // own names the statements it must have, pasteable (what the archive grants), and another the key's.
    const { stack: alone } = exporterStack(A, new App(), true);
    const warnings = Annotations.fromStack(alone).findWarning('*', Match.stringLikeRegexp(`is a shared archive of account ${ARCHIVE_ACCOUNT}`));
    expect(warnings.map((w) => String(w.entry.data))).toEqual([expect.stringContaining('[ack: cdk-cloudwatch-logs-s3-exporter:archivePolicy]')]);
    expect(warnings).toHaveLength(1);
    const text = String(warnings[0].entry.data);
    expect(text).not.toMatch(/Fn::|Ref"|\$\{Token/);
    const asked: any[] = JSON.parse(/^\[\n[\s\S]*\n\]/m.exec(text)![0]);
    // The archive grants what the exporter asks for (its SourceArn narrows to the account's log groups as well).
    const granted = bucketStatements(archive);
    for (const s of asked) expect([s.Sid, granted.some((g) => covers(g, s))]).toEqual([s.Sid, true]);
    expect(asked.map((s) => s.Sid.replace(/[0-9A-F]{8}$/, ''))).toEqual([
      'CloudWatchLogsGetBucketAcl', 'CloudWatchLogsPutExports', 'CloudWatchLogsNeverWritesState', 'NoStateWritesThroughServices',
      'ListExporterKeys', 'ReadWriteExporterObjects', 'ReadBucketSettings',
    ]);
    // The imported key's policy cannot be changed here either.
    expect(Annotations.fromStack(alone).findWarning('*', Match.stringLikeRegexp('KMS key is imported'))).toHaveLength(1);
  });

  test('an archive of the app constructed after the exporter that imports it by name: no warning; without a key of its own, the key warning stays', () => {
    const app = new App();
    const { stack } = exporterStack(A, app, true);
    archiveStack({ encryption: s3.BucketEncryption.KMS }, app);
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
    const other = new App();
    const { stack: withKey } = exporterStack(A, other, true);
    archiveStack({}, other);
    expect(Annotations.fromStack(withKey).findWarning('*', Match.anyValue()).map((w) => String(w.entry.data).split('\n')[0]))
      .toEqual(["The bucket's KMS key is imported, so its policy cannot be changed here. Add these statements to its key policy:"]);
  });

  test('an exporter of the archive account itself: the same layout, by the archive bucket or imported; it must be a source account', () => {
    const { app, stack, archive } = archiveStack({ sourceAccounts: [A, ARCHIVE_ACCOUNT] });
    const exporter = new CloudWatchLogsS3Exporter(stack, 'Exporter', { destination: ExportDestination.fromArchive(archive) });
    expect(exporter.exportPrefix).toBe(`exported-logs/${ARCHIVE_ACCOUNT}/${REGION}`);
    expect(exporter.exportPrefix).toBe(archive.exportPrefixOf(ARCHIVE_ACCOUNT));
    // The archive has its statements: the exporter adds none, and warns of nothing.
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
    expect(bucketStatements(stack).filter((s) => /[0-9A-F]{8}$/.test(s.Sid ?? '') && !/\d{12}$/.test(s.Sid))).toEqual([]);
    // Its bucket given as a plain bucket (another layout, another key prefix): refused, naming the way.
    expect(() => ExportDestination.fromBucket(archive.bucket, { keyPrefix: 'logs' }))
      .toThrow('Archive/Logs/Bucket is the bucket of a CloudWatchLogsArchiveBucket: give the archive, ExportDestination.fromArchive(archive)');
    // In another stack of the archive account, imported as the README says: the same layout.
    const { exporter: imported } = exporterStack(ARCHIVE_ACCOUNT, app);
    expect(imported.exportPrefix).toBe(`exported-logs/${ARCHIVE_ACCOUNT}/${REGION}`);

    // Not a source account: its runs would be refused, and the archive's table would not read it.
    const { stack: other, archive: narrow } = archiveStack({ sourceAccounts: [A] });
    new CloudWatchLogsS3Exporter(other, 'Exporter', { destination: ExportDestination.fromArchive(narrow) });
    expect(() => Template.fromStack(other)).toThrow(`this exporter's account ${ARCHIVE_ACCOUNT} is not among the sourceAccounts of the archive Archive/Logs`);
  });

  test('the archive object given to an exporter of another account is refused, naming fromArchiveAttributes', () => {
    const { app, archive } = archiveStack();
    const stack = new Stack(app, 'ExporterA', { env: { account: A, region: REGION } });
    expect(() => new CloudWatchLogsS3Exporter(stack, 'Exporter', { destination: ExportDestination.fromArchive(archive) }))
      .toThrow(`the archive Archive/Logs is of account ${ARCHIVE_ACCOUNT}, this exporter of account ${A}: ` +
        'import it in this stack with CloudWatchLogsArchiveBucket.fromArchiveAttributes()');
  });

  test('an Athena table over an exporter that writes into another account\'s archive is refused: the archive account queries it', () => {
    const { stack, exporter } = exporterStack(A);
    expect(() => new ExportedLogsTable(stack, 'Table', { source: ExportedLogsTableSource.fromExporter(exporter) }))
      .toThrow(`the exporter's bucket is of account ${ARCHIVE_ACCOUNT}, which grants this account no read of it`);
  });

  test('an exporter of the same account keeps today\'s layout; a bucket of another region is refused', () => {
    const app = new App();
    const stack = new Stack(app, 'Same', { env: { account: A, region: REGION } });
    const same = new CloudWatchLogsS3Exporter(stack, 'Exporter', { destination: ExportDestination.fromBucket(s3.Bucket.fromBucketName(stack, 'B', 'mine')) });
    expect(same.exportPrefix).toBe('exported-logs');
    const elsewhere = s3.Bucket.fromBucketAttributes(stack, 'Elsewhere', { bucketName: 'org-log-archive', account: ARCHIVE_ACCOUNT, region: 'us-east-1' });
    expect(() => new CloudWatchLogsS3Exporter(stack, 'Other', { destination: ExportDestination.fromBucket(elsewhere) }))
      .toThrow("the bucket is in us-east-1, the exporter in eu-west-1: CloudWatch Logs exports only to a bucket in the log groups' region");
  });

  test('bad props fail at synth, naming what is wrong', () => {
    expect(() => archiveStack({ sourceAccounts: ['12345'] })).toThrow("a source account must be a 12-digit account id known at synthesis, got '12345'");
    expect(() => archiveStack({ sourceAccounts: [A, A] })).toThrow(`source account ${A} is given twice`);
    expect(() => archiveStack({ keyPrefix: '/logs/' })).toThrow("keyPrefix '/logs/' must be");
    expect(() => archiveStack({ keyPrefix: 'logs/_state' })).toThrow("keyPrefix 'logs/_state' must be");
    expect(() => archiveStack({ encryption: s3.BucketEncryption.KMS_MANAGED })).toThrow('encryption must be S3_MANAGED or KMS');
    // '*' is a wildcard in policies: account A's grants would reach into B's prefix.
    expect(() => archiveStack({ keyPrefix: 'logs*' })).toThrow("keyPrefix 'logs*' must be");
    expect(() => ExportDestination.newBucket({ keyPrefix: 'logs*' })).toThrow("keyPrefix 'logs*' must be");
    expect(() => CloudWatchLogsArchiveBucket.fromArchiveAttributes(new Stack(), 'I', { bucketName: 'b', account: 'archive' }))
      .toThrow("account must be the archive's 12-digit account id, got 'archive'");
    // A key whose policy cannot be changed here: the accounts' statements would be lost.
    const imported = (scope: Stack) => kms.Key.fromKeyArn(scope, 'Key', KEY_ARN);
    expect(() => {
      const stack = new Stack(new App(), 'S', { env: { account: ARCHIVE_ACCOUNT, region: REGION } });
      new CloudWatchLogsArchiveBucket(stack, 'Logs', { sourceAccounts: [A], encryptionKey: imported(stack) });
    }).toThrow('the policy of encryptionKey cannot be changed here (an imported key)');
    expect(() => archiveStack({ sourceAccounts: [] }).app.synth()).toThrow('sourceAccounts is empty');
    // The bucket policy (20 KB at most) fits 12 accounts, however long the bucket's name, partition and region.
    const many = Array.from({ length: 20 }, (_, i) => String(100000000000 + i));
    expect(() => archiveStack({ sourceAccounts: many }).app.synth()).toThrow(/the bucket policy for 20 source accounts could reach \d+ characters \(S3 allows 20480\)/);
    const some = Array.from({ length: 12 }, (_, i) => String(100000000000 + i));
    const longest = (app: App) => new CloudWatchLogsArchiveBucket(new Stack(app, 'Agnostic'), 'Logs', { sourceAccounts: some, bucketName: 'x'.repeat(63) });
    const fits = new App();
    longest(fits);
    expect(() => fits.synth()).not.toThrow();
    // An archive stack of no given region counts the region as long as a region's name is: one more account does not fit.
    const agnostic = new App();
    longest(agnostic).addSourceAccount('199999999999');
    expect(() => agnostic.synth()).toThrow('the bucket policy for 13 source accounts could reach');
    // The key prefix is in each account's statements: 12 accounts fit with one of up to 36 characters (as the README says).
    const withPrefix = (length: number) => {
      const app = new App();
      new CloudWatchLogsArchiveBucket(new Stack(app, 'Agnostic'), 'Logs', { sourceAccounts: some, bucketName: 'x'.repeat(63), keyPrefix: 'p'.repeat(length) });
      return () => app.synth();
    };
    expect(withPrefix(36)).not.toThrow();
    expect(withPrefix(37)).toThrow('the bucket policy for 12 source accounts could reach');
  });

  test('cdk-nag AwsSolutions: no unsuppressed findings on the archive (with a key) and on an exporter pointed at it', () => {
    const app = new App();
    const { stack: archive } = archiveStack({ encryption: s3.BucketEncryption.KMS }, app);
    const { stack } = exporterStack(A, app, true);
    for (const s of [archive, stack]) Aspects.of(s).add(new AwsSolutionsChecks({ verbose: true }));
    app.synth();
    for (const s of [archive, stack]) {
      const findings = [...Annotations.fromStack(s).findError('*', Match.stringLikeRegexp('AwsSolutions-.*')),
        ...Annotations.fromStack(s).findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'))];
      expect(findings.map((e) => `${e.id}: ${e.entry.data}`)).toEqual([]);
    }
  });
});

describe('shared archives the exporter cannot see into', () => {
  test('a bucket of another account given as an object of the app: its policy lets that account\'s handler in as well', () => {
    const app = new App();
    const archive = new Stack(app, 'Archive', { env: { account: ARCHIVE_ACCOUNT, region: REGION } });
    const bucket = new s3.Bucket(archive, 'Bucket', { bucketName: 'org-log-archive' });
    const stack = new Stack(app, 'ExporterA', { env: { account: A, region: REGION } });
    const exporter = new CloudWatchLogsS3Exporter(stack, 'Exporter', { destination: ExportDestination.fromBucket(bucket) });
    expect(exporter.exportPrefix).toBe(`exported-logs/${A}/${REGION}`);
    const forA = bucketStatements(archive).filter((s) => s.Principal?.AWS === `arn:aws:iam::${A}:root`);
    expect(forA.map((s) => [s.Action, s.Resource])).toEqual([
      ['s3:ListBucket', 'arn:aws:s3:::org-log-archive'],
      [['s3:GetObject', 's3:PutObject', 's3:PutObjectRetention'],
        [`arn:aws:s3:::org-log-archive/_state/exported-logs/${A}/${REGION}/*`, `arn:aws:s3:::org-log-archive/exported-logs/${A}/${REGION}/*`]],
      [['s3:GetBucketObjectLockConfiguration', 's3:GetBucketAcl', 's3:GetBucketLocation'], 'arn:aws:s3:::org-log-archive'],
    ]);
  });

  test('an imported key of another account: the warning lists what its policy must let this account\'s principals do too', () => {
    const stack = new Stack(new App(), 'ExporterA', { env: { account: A, region: REGION } });
    const encryptionKey = kms.Key.fromKeyArn(stack, 'Key', KEY_ARN);
    const bucket = s3.Bucket.fromBucketAttributes(stack, 'Bucket', { bucketName: 'org-other-archive', account: ARCHIVE_ACCOUNT, encryptionKey });
    new CloudWatchLogsS3Exporter(stack, 'Exporter', { destination: ExportDestination.fromBucket(bucket) });
    const text = String(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('KMS key is imported'))[0].entry.data);
    const asked: any[] = JSON.parse(/^\[\n[\s\S]*\n\]/m.exec(text)![0]);
    // As AWS documents them for exports to an SSE-KMS bucket of another account: no condition.
    expect(asked.map((s) => [s.Principal, s.Action, s.Condition])).toEqual([
      [{ Service: `logs.${REGION}.amazonaws.com` }, ['kms:GenerateDataKey', 'kms:Decrypt'], undefined],
      [{ AWS: `arn:aws:iam::${A}:root` }, ['kms:GenerateDataKey', 'kms:Decrypt'], undefined],
    ]);
  });

  test('an archive of the app imported by its name in an account it does not list, or with another key prefix: refused at synth', () => {
    const app = new App();
    const archiveStack_ = new Stack(app, 'Archive', { env: { account: ARCHIVE_ACCOUNT, region: REGION } });
    new CloudWatchLogsArchiveBucket(archiveStack_, 'Logs', { sourceAccounts: [B], bucketName: 'org-log-archive' });
    const { exporter } = exporterStack(A, app);
    // Acknowledging the warning (as the README says for a source account) does not hide it.
    CoreAnnotations.of(exporter).acknowledgeWarning('cdk-cloudwatch-logs-s3-exporter:archivePolicy', 'granted by the archive');
    expect(() => app.synth()).toThrow(`this exporter's account ${A} is not among the sourceAccounts of the archive Archive/Logs`);

    const other = new App();
    new CloudWatchLogsArchiveBucket(new Stack(other, 'Archive', { env: { account: ARCHIVE_ACCOUNT, region: REGION } }), 'Logs', {
      sourceAccounts: [A], bucketName: 'org-log-archive', keyPrefix: 'logs',
    });
    const stack = new Stack(other, 'ExporterA', { env: { account: A, region: REGION } });
    new CloudWatchLogsS3Exporter(stack, 'Exporter', {
      destination: ExportDestination.fromArchive(CloudWatchLogsArchiveBucket.fromArchiveAttributes(stack, 'I', { bucketName: 'org-log-archive', account: ARCHIVE_ACCOUNT })),
    });
    expect(() => other.synth()).toThrow("keyPrefix 'exported-logs' is not the key prefix of the archive Archive/Logs ('logs')");
  });
});

test('the many-accounts example: archives per region grant exactly the prefixes its exporters write under; no warning is left', () => {
  const app = manyAccountsApp(mkdtempSync(join(tmpdir(), 'many-')));
  const assembly = app.synth();
  for (const { account, region } of SOURCES) {
    const sourceStack = app.node.findChild(`LogExporter-${account}-${region}`) as Stack;
    const exporter = sourceStack.node.findChild('Exporter') as CloudWatchLogsS3Exporter;
    expect(exporter.exportPrefix).toBe(`exported-logs/${account}/${region}`);
    const archive = app.node.findChild(`LogArchive-${region}`) as Stack;
    const puts = bucketStatements(archive).filter((s) => s.Sid?.startsWith('CloudWatchLogsPutExports')).map((s) => s.Resource);
    expect(puts).toEqual(SOURCES.filter((s) => s.region === region).map((s) => `arn:aws:s3:::org-log-archive/exported-logs/${s.account}/${region}/*`));
  }
  const messages = assembly.stacks.flatMap((s) => Object.values(s.manifest.metadata ?? {}).flat())
    .filter((m: any) => m.type === 'aws:cdk:warning' || m.type === 'aws:cdk:error');
  expect(messages).toEqual([]);
});
