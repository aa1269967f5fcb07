/**
 * Handler turns against aws-sdk-client-mock, asserting the calls it makes.
 */
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  CloudWatchLogsClient, CreateExportTaskCommand, DescribeExportTasksCommand, DescribeLogGroupsCommand, DescribeLogStreamsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { GetObjectCommand, GetObjectLockConfigurationCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { Clock, Engine } from '../../src/handler/engine';
import { metrics } from '../../src/handler/telemetry';
import { taskPrefixOf } from '../../src/shared/layout';
import { testConfig } from '../harness/config';
import { awsError } from '../harness/fakes';

const config = testConfig({ excludePrefixes: ['/tmp/'], excludeNames: ['/own/logs'], settleSeconds: 0 });
const TASKS = taskPrefixOf(config.exporterId);
const NOW = Date.parse('2026-11-25T01:00:00Z');
const ctx = { remainingMs: () => 90_000 };
const logs = mockClient(CloudWatchLogsClient);
const s3 = mockClient(S3Client);
let now = NOW;
const clock: Clock = { now: () => now, sleep: async (ms) => { now += ms; } };
const cloudWatch = mockClient(CloudWatchClient);
const engine = () => new Engine(config, { logs: new CloudWatchLogsClient({}), s3: new S3Client({}), cloudWatch: new CloudWatchClient({}), clock });
const FIRST_TURN = { input: {}, executionName: 'exec-1', executionArn: 'arn:aws:states:us-east-1:123456789012:execution:sm:exec-1' };

beforeEach(() => {
  logs.reset();
  s3.reset();
  cloudWatch.reset();
  cloudWatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
  now = NOW;
  s3.on(GetObjectCommand).rejects(awsError('NoSuchKey', 'no such key', 404));
  s3.on(GetObjectLockConfigurationCommand).rejects(awsError('ObjectLockConfigurationNotFoundError', 'Object Lock configuration does not exist for this bucket', 404));
  s3.on(PutObjectCommand).resolves({ ETag: '"1"' });
  s3.on(ListObjectsV2Command).resolves({ Contents: [], IsTruncated: false });
  logs.on(DescribeExportTasksCommand).resolves({ exportTasks: [] });
  // Every group has events up to now.
  logs.on(DescribeLogStreamsCommand).resolves({ logStreams: [{ logStreamName: 's', lastEventTimestamp: NOW }] });
});

test('pages through log groups, skips excluded and done ones, names with a leading / keep their date folder', async () => {
  logs.on(DescribeLogGroupsCommand)
    .resolvesOnce({ logGroups: [{ logGroupName: '/aws/a', creationTime: 0 }, { logGroupName: '/own/logs', creationTime: 0 }], nextToken: 't1' })
    .resolvesOnce({ logGroups: [{ logGroupName: '/tmp/x', creationTime: 0 }, { logGroupName: 'plain', creationTime: 0 }] });
  s3.on(ListObjectsV2Command, { Prefix: '_state/exported-logs/done/P1D/20261124T000000Z/' })
    .resolves({ Contents: [{ Key: '_state/exported-logs/done/P1D/20261124T000000Z/%2Faws%2Fa!3000!t-0' }], IsTruncated: false });
  let id = 0;
  logs.on(CreateExportTaskCommand).callsFake(async () => ({ taskId: `t-${++id}` }));
  logs.on(DescribeExportTasksCommand).callsFake(async (i) => ({ exportTasks: [{ taskId: i.taskId, status: { code: 'COMPLETED' }, destination: 'b', destinationPrefix: 'p' }] }));

  const r = await engine().turn(FIRST_TURN, ctx);

  expect(r.status).toBe('SUCCEEDED');
  expect(logs.commandCalls(DescribeLogGroupsCommand).map((c) => c.args[0].input.nextToken)).toEqual([undefined, 't1']);
  const created = logs.commandCalls(CreateExportTaskCommand).map((c) => c.args[0].input);
  expect(created).toEqual([{
    taskName: `${TASKS}-P1D-20261124T000000Z-${r.state.run}`,
    logGroupName: 'plain',
    from: Date.parse('2026-11-24T00:00:00Z'),
    to: Date.parse('2026-11-25T00:00:00Z') - 1,
    destination: 'b',
    destinationPrefix: 'exported-logs/plain/2026/11/24',
  }]);
  // The marker of the completed export, then the checkpoint and the lease release.
  const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key);
  // Without executionInfo, the marker records the time until the look that saw the task complete.
  expect(puts).toEqual(expect.arrayContaining(['_state/exported-logs/done/P1D/20261124T000000Z/plain!2500!t-1', '_state/exported-logs/checkpoint-P1D.json']));
  expect(puts.filter((k) => k!.includes('/done/'))).toHaveLength(1);
});

test('LimitExceeded with a foreign task active: wait, grow the wait, keep the cursor', async () => {
  logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [{ logGroupName: '/aws/a', creationTime: 0 }] });
  logs.on(CreateExportTaskCommand).rejects(awsError('LimitExceededException', 'Resource limit exceeded.'));
  logs.on(DescribeExportTasksCommand, { statusCode: 'RUNNING' }).resolves({ exportTasks: [{ taskId: 'theirs', taskName: 'nightly-backup' }] });
  const add = jest.spyOn(metrics, 'addMetric');
  const e = engine();
  const first = await e.turn(FIRST_TURN, ctx);
  expect(first).toMatchObject({ status: 'WAIT', waitSeconds: 10 });
  const second = await e.turn({ ...FIRST_TURN, input: first }, ctx);
  expect(second).toMatchObject({ status: 'WAIT', waitSeconds: 20 });
  expect(second.state.cursor.page?.[second.state.cursor.group].name).toBe('/aws/a');
  expect(add).toHaveBeenCalledWith('ForeignTaskWaits', 'Count', 1);
  expect(logs.commandCalls(DescribeLogGroupsCommand)).toHaveLength(1);
});

test('LimitExceeded with its own task active (a crashed attempt): adopts it instead of creating another', async () => {
  logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [{ logGroupName: '/aws/a', creationTime: 0 }] });
  logs.on(CreateExportTaskCommand).rejects(awsError('LimitExceededException', 'Resource limit exceeded.'));
  logs.on(DescribeExportTasksCommand, { statusCode: 'RUNNING' })
    .resolves({
      exportTasks: [{
        taskId: 'mine',
        taskName: `${TASKS}-P1D-20261124T000000Z-0a1b2c3d4e5f`,
        logGroupName: '/aws/a',
        destination: 'b',
        destinationPrefix: 'exported-logs/aws/a/2026/11/24',
        from: Date.parse('2026-11-24T00:00:00Z'),
        to: Date.parse('2026-11-25T00:00:00Z') - 1,
        executionInfo: { creationTime: now - 60_000 },
      }],
    });
  logs.on(DescribeExportTasksCommand, { taskId: 'mine' }).resolves({ exportTasks: [{ taskId: 'mine', status: { code: 'COMPLETED' } }] });
  const r = await engine().turn(FIRST_TURN, ctx);
  expect(r.status).toBe('SUCCEEDED');
  expect(r.state.stats).toMatchObject({ adopted: 1, exported: 1 });
  expect(logs.commandCalls(CreateExportTaskCommand)).toHaveLength(1);
});

test('a FAILED task is retried, then reported after maxAttempts', async () => {
  logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [{ logGroupName: '/aws/a', creationTime: 0 }] });
  let id = 0;
  logs.on(CreateExportTaskCommand).callsFake(async () => ({ taskId: `t-${++id}` }));
  logs.on(DescribeExportTasksCommand).callsFake(async (i) => ({ exportTasks: [{ taskId: i.taskId, status: { code: 'FAILED', message: 'Access denied' } }] }));
  const r = await engine().turn(FIRST_TURN, ctx);
  expect(logs.commandCalls(CreateExportTaskCommand)).toHaveLength(3);
  expect(r).toMatchObject({ status: 'FAILED', error: 'ExportsFailed' });
  expect(r.cause).toContain('/aws/a @ 2026-11-24T00:00:00.000Z: export task t-3 ended FAILED: Access denied (after 3 attempts)');
  // No checkpoint past a failed window.
  expect(s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key)).not.toContain('_state/exported-logs/checkpoint-P1D.json');
});

test('a long export hands back to the Wait state with a growing, bounded wait', async () => {
  logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [{ logGroupName: '/aws/a', creationTime: 0 }] });
  logs.on(CreateExportTaskCommand).resolves({ taskId: 'long' });
  logs.on(DescribeExportTasksCommand).resolves({ exportTasks: [{ taskId: 'long', status: { code: 'RUNNING' } }] });
  const e = engine();
  let r = await e.turn(FIRST_TURN, ctx);
  const waits = [];
  for (let i = 0; i < 12; i++) {
    expect(r.status).toBe('WAIT');
    waits.push(r.waitSeconds);
    now += r.waitSeconds * 1000;
    r = await e.turn({ ...FIRST_TURN, input: r }, ctx);
  }
  expect(waits[0]).toBeLessThanOrEqual(20);
  expect(waits[waits.length - 1]).toBe(300);
  for (let i = 1; i < waits.length; i++) expect(waits[i]).toBeGreaterThanOrEqual(waits[i - 1]);
  expect(logs.commandCalls(CreateExportTaskCommand)).toHaveLength(1);
});

test("the window before's markers set the first look: one look for an export that ends in time, the Wait state for a long one", async () => {
  logs.on(DescribeLogGroupsCommand).resolves({ logGroups: ['/aws/long', '/aws/new', '/aws/short'].map((n) => ({ logGroupName: n, creationTime: 0 })) });
  const before = '_state/exported-logs/done/P1D/20261123T000000Z/';
  const window = '_state/exported-logs/done/P1D/20261124T000000Z/';
  s3.on(ListObjectsV2Command, { Prefix: before })
    .resolves({ Contents: [{ Key: `${before}%2Faws%2Flong!120000!t-0` }, { Key: `${before}%2Faws%2Fshort!4000!t-1` }], IsTruncated: false });
  // The window lists what the run has written into it.
  s3.on(ListObjectsV2Command, { Prefix: window }).callsFake(async () => ({
    Contents: s3.commandCalls(PutObjectCommand).map((c) => ({ Key: c.args[0].input.Key! })).filter((o) => o.Key.startsWith(window)),
    IsTruncated: false,
  }));
  const ends: Record<string, number> = { '/aws/long': 110_000, '/aws/new': 2_000, '/aws/short': 4_200 };
  const tasks = new Map<string, { group: string; created: number }>();
  logs.on(CreateExportTaskCommand).callsFake(async (i) => {
    const taskId = `t-${i.logGroupName.split('/').pop()}`;
    tasks.set(taskId, { group: i.logGroupName, created: now });
    return { taskId };
  });
  const looks: Array<[string, number]> = [];
  logs.on(DescribeExportTasksCommand).callsFake(async (i) => {
    const t = tasks.get(i.taskId);
    if (!t) return { exportTasks: [] };
    looks.push([t.group, now - t.created]);
    const completionTime = t.created + ends[t.group];
    return { exportTasks: [{ taskId: i.taskId, status: { code: now >= completionTime ? 'COMPLETED' : 'RUNNING' }, executionInfo: { creationTime: t.created, completionTime } }] };
  });
  const e = engine();

  const first = await e.turn(FIRST_TURN, ctx);
  // 120 s last time, 10% more: handed back to the Wait state at once, without a look.
  expect(first).toMatchObject({ status: 'WAIT', waitSeconds: 133 });
  expect(looks).toEqual([]);
  now += first.waitSeconds * 1000;
  const last = await e.turn({ ...FIRST_TURN, input: first }, ctx);
  expect(last.status).toBe('SUCCEEDED');
  // One look each for the groups with a duration on record (4 s: looked at 4.7 s); a new group gets the default schedule.
  expect(looks).toEqual([['/aws/long', 133_000], ['/aws/new', 2_500], ['/aws/short', 4_700]]);
  // Each marker records how long its export took, for the next window.
  const done = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key!).filter((k) => k.includes('/done/'));
  expect(done).toEqual(['%2Faws%2Flong!110000!t-long', '%2Faws%2Fnew!2000!t-new', '%2Faws%2Fshort!4200!t-short'].map((n) => `${window}${n}`));
  // The window had no markers when the run looked (once): no per-page listing of it, one of the window before (the
  // exporter's first run: no window of a checkpoint to compare the groups with at the end).
  const listed = s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input);
  expect(listed.map((l) => [l.Prefix, l.MaxKeys])).toEqual([[window, 1], [before, undefined]]);
});
