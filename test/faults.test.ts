/**
 * Exactly once under faults: the synthesized state machine, run locally with the real handler on
 * the fakes, while invocations are killed at any call, executions are redriven, run twice at once,
 * replayed by hand, lose their lease, outlive their listing tokens, or get input no one should type.
 */
import { Duration } from 'aws-cdk-lib';
import { Call, KillPoint } from './harness/fakes';
import { Execution, InvocationInfo } from './harness/loop';
import { World, days, expectExactlyOnce, world, completedInto } from './harness/world';
import { checkpointKey, exportPrefix } from '../src/handler/layout';
import { windowId } from '../src/handler/windows';

const SETTLED_AT_ONCE = { settleTime: Duration.hours(0) };
/**
 * Eight groups, with and without a leading '/'. The first one's export takes 70 s: the first
 * invocation hands back to the Wait state, and the second chains the other seven (2 s each)
 * with what the first one cached.
 */
const GROUPS = Array.from({ length: 8 }, (_, i) => (i % 2 ? `/aws/lambda/fn-${i}` : `app-${i}`));
const YESTERDAY = days('2026-11-24T00:00:00Z', '2026-11-24T00:00:00Z');
const chained = ({ logGroupName }: { logGroupName: string }) => (logGroupName === '/aws/lambda/fn-1' ? 70_000 : 2_000);

function chainWorld(o: Parameters<typeof world>[0] = {}): World {
  const w = world({ props: SETTLED_AT_ONCE, logs: { duration: chained }, ...o });
  if (!o.shareWith) GROUPS.forEach((g) => w.logs.addGroup(g));
  return w;
}

/** A fault rule that fires at the n-th call of `op` of an invocation. */
function nth(op: string, n: number, point: KillPoint, match: (c: Call) => boolean = () => true): (c: Call) => KillPoint | undefined {
  let seen = 0;
  return (c) => (c.op === op && match(c) && ++seen === n ? point : undefined);
}

/** The rule for the second invocation: the one that chains exports with state cached by the first. */
const second = (rule: (c: Call) => KillPoint | undefined) => (inv: InvocationInfo) => (inv.number === 2 ? rule : undefined);
const first = (rule: (c: Call) => KillPoint | undefined) => (inv: InvocationInfo) => (inv.number === 1 ? rule : undefined);
const last = (chain: Execution[]) => chain[chain.length - 1];

let w: World;
afterEach(() => w?.restore());

describe('1. a killed invocation is retried with its old input: nothing it did is done twice', () => {
  test.each([['first', 1], ['third', 3], ['last', GROUPS.length - 1]])('killed just after the %s CreateExportTask of its chain', async (_name, n) => {
    w = chainWorld();
    const chain = await w.loop.run({}, 'run', { kill: second(nth('CreateExportTask', n as number, 'after')) });
    expect(last(chain).status).toBe('SUCCEEDED');
    expectExactlyOnce(w, GROUPS, YESTERDAY);
  });

  test('killed between an export completing and its done-marker', async () => {
    w = chainWorld();
    const marker = (c: Call) => String(c.input.Key).includes('/_state/done/');
    const chain = await w.loop.run({}, 'run', { kill: second(nth('PutObject', 3, 'before', marker)) });
    expect(last(chain).status).toBe('SUCCEEDED');
    expectExactlyOnce(w, GROUPS, YESTERDAY);
  });

  test.each([['first', first], ['second', second]])('killed at every SDK call of the %s invocation, before and after the call takes effect', async (_name, which) => {
    // How many calls the invocation makes when nothing goes wrong.
    w = chainWorld();
    let calls = 0;
    await w.loop.run({}, 'run', { kill: which((c) => { calls = c.n; return undefined; }) });
    w.restore();
    expect(calls).toBeGreaterThan(5);
    for (let n = 1; n <= calls; n++) {
      for (const point of ['before', 'after'] as const) {
        w = chainWorld();
        const chain = await w.loop.run({}, 'run', { kill: which((c) => (c.n === n ? point : undefined)) });
        try {
          expect(last(chain).status).toBe('SUCCEEDED');
          expectExactlyOnce(w, GROUPS, YESTERDAY);
        } catch (e) {
          throw new Error(`killed ${point} call ${n}: ${(e as Error).message}`);
        } finally {
          w.restore();
        }
      }
    }
  });
});

test('2. a redrive of an execution that failed mid-chain exports nothing twice', async () => {
  w = chainWorld();
  // The second invocation dies after its third export started; every retry crashes: the execution fails.
  const [failed] = await w.loop.run({}, 'run', {
    kill: second(nth('CreateExportTask', 3, 'after')),
    crashWhen: (inv) => inv.number > 2,
  });
  expect(failed.status).toBe('FAILED');
  w.clock.now += 3_600_000; // the operator redrives an hour later
  const chain = await w.loop.redrive(failed);
  expect(last(chain).status).toBe('SUCCEEDED');
  expectExactlyOnce(w, GROUPS, YESTERDAY);
});

describe('3. one run at a time, whatever the executions are called or carry', () => {
  test('two backfills started at once as backfill.1 and backfill-1', async () => {
    w = chainWorld();
    const input = { startDate: '2026-11-23', endDate: '2026-11-24' };
    const [a, b] = await Promise.all([w.loop.run(input, 'backfill.1'), w.loop.run(input, 'backfill-1')]);
    expect([last(a).status, last(b).status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expectExactlyOnce(w, GROUPS, days('2026-11-23T00:00:00Z', '2026-11-24T00:00:00Z'));
  });

  test("an execution started by hand with a continuation's input while the continuation runs", async () => {
    w = chainWorld({ config: { maxTurns: 1 }, logs: { duration: () => 60_000 } });
    let copy: Promise<Execution[]> | undefined;
    const chain = await w.loop.run({}, 'run', {
      beforeInvocation: (inv) => {
        if (!copy && inv.execution !== 'run') {
          const continued = w.loop.executions.find((e) => e.name === 'run')!;
          copy = w.loop.run({ state: continued.output!.state }, 'by-hand');
        }
      },
    });
    const copied = await copy!;
    expect(last(chain).status).toBe('SUCCEEDED');
    expect(copied[0].status).toBe('FAILED');
    expectExactlyOnce(w, GROUPS, YESTERDAY);
  });

  test('a client-timeout retry while the first invocation still runs, its CreateExportTask stalled until the retry is done', async () => {
    w = chainWorld();
    const chain = await w.loop.run({}, 'run', {
      clientTimeoutOn: (inv) => inv.number === 1,
      kill: first(nth('CreateExportTask', 1, 'hold')),
    });
    // The stalled call goes through now, if its invocation is still alive.
    await w.loop.settled();
    expect(last(chain).status).toBe('SUCCEEDED');
    expectExactlyOnce(w, GROUPS, YESTERDAY);
  });
});

describe('4. a run that dies holding the lease: the next holder settles what it left', () => {
  /** A scheduled run whose first invocation dies after its second export started, and whose retries all crash. */
  async function deadRun(): Promise<void> {
    const [dead] = await w.loop.run({}, 'dead', { kill: first(nth('CreateExportTask', 2, 'after')), crashWhen: (inv) => inv.number > 1 });
    expect(dead.status).toBe('FAILED');
    w.clock.now += 31 * 60_000; // its lease expires
  }

  test('a backfill of another date takes the lease and releases it; the next scheduled run still exports nothing twice', async () => {
    w = chainWorld();
    await deadRun();
    expect(last(await w.loop.run({ startDate: '2026-11-20', endDate: '2026-11-20' }, 'other-date')).status).toBe('SUCCEEDED');
    expect(last(await w.loop.run({}, 'next')).status).toBe('SUCCEEDED');
    expectExactlyOnce(w, GROUPS, [...days('2026-11-20T00:00:00Z', '2026-11-20T00:00:00Z'), ...YESTERDAY]);
  });

  test("the dead run's export, still running when the lease is taken over, ends just after the walk looked at it", async () => {
    // The dead run's second export takes 45 minutes: it is still running when its lease expires.
    w = chainWorld({ logs: { duration: (t) => (t.logGroupName === '/aws/lambda/fn-3' ? 45 * 60_000 : chained(t)) } });
    const [dead] = await w.loop.run({}, 'dead', { kill: second(nth('CreateExportTask', 1, 'after')), crashWhen: (inv) => inv.number > 2 });
    expect(dead.status).toBe('FAILED');
    w.clock.now += 31 * 60_000;
    const orphan = w.logs.tasks.find((t) => t.logGroupName === '/aws/lambda/fn-3')!;
    expect(w.logs.statusOf(orphan)).toBe('RUNNING');
    // Whoever looks at its destination sees it running; it ends a moment later.
    const race = (c: Call) => {
      if (c.op !== 'ListObjectsV2' || !String(c.input.Prefix).startsWith('exported-logs/aws/lambda/fn-3/')) return undefined;
      orphan.duration = w.clock.now - orphan.created + 500;
      return { pauseMs: 1_000 };
    };
    const other = await w.loop.run({ startDate: '2026-11-20', endDate: '2026-11-20' }, 'other-date', { kill: () => race });
    expect(last(other).status).toBe('SUCCEEDED');
    expect(last(await w.loop.run({}, 'next')).status).toBe('SUCCEEDED');
    expectExactlyOnce(w, GROUPS, [...days('2026-11-20T00:00:00Z', '2026-11-20T00:00:00Z'), ...YESTERDAY]);
  });

  test('reexport right after a dead run re-exports every group once more', async () => {
    w = chainWorld();
    await deadRun();
    const before = completedInto(w, w.synthesized.bucket);
    const chain = await w.loop.run({ startDate: '2026-11-24', endDate: '2026-11-24', reexport: true }, 'reexport');
    expect(last(chain).status).toBe('SUCCEEDED');
    expect(last(chain).output?.state.stats.exported).toBe(GROUPS.length);
    const after = completedInto(w, w.synthesized.bucket);
    for (const g of GROUPS) {
      const key = `${g}|${YESTERDAY[0].start}|${YESTERDAY[0].end - 1}`;
      expect([g, after.get(key)]).toEqual([g, (before.get(key) ?? 0) + 1]);
    }
  });
});

test.each([
  ['a time in 2062', '2062-11-25T01:00:00Z', /'scheduledTime' .*in the future/],
  ['a bare number', '1', /'scheduledTime' must be an ISO 8601 time/],
  ['a date without a time', '2026-11-25', /'scheduledTime' must be an ISO 8601 time/],
])('5. a scheduledTime of %s fails the execution at once and moves nothing', async (_name, scheduledTime, message) => {
  w = chainWorld();
  const [e] = await w.loop.run({ scheduledTime });
  expect(e.status).toBe('FAILED');
  expect(e.error).toBe('InvalidInput');
  expect(e.cause).toMatch(message);
  expect(e.invocations).toBe(1);
  expect(w.logs.calls.CreateExportTask ?? 0).toBe(0);
  expect(w.s3.keys(w.synthesized.bucket, checkpointKey(w.synthesized.config.keyPrefix, 'P1D'))).toEqual([]);
});

test('7. the same app deployed as two stacks in one account: neither adopts the other\'s export tasks', async () => {
  w = chainWorld({ stackName: 'logs-export-a', bucket: 'bucket-a', logs: { duration: () => 30_000 } });
  const other = chainWorld({ stackName: 'logs-export-b', bucket: 'bucket-b', shareWith: w });
  const [a, b] = await Promise.all([w.loop.run({}, 'a'), other.loop.run({}, 'b')]);
  expect([last(a).status, last(b).status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
  expectExactlyOnce(w, GROUPS, YESTERDAY, 'bucket-a');
  expectExactlyOnce(other, GROUPS, YESTERDAY, 'bucket-b');
});

describe('8. nothing an export writes can pass for exporter state', () => {
  test('an export aimed at the done-markers does not mark a group done', async () => {
    w = chainWorld();
    // Anyone allowed to export a log group of the account could start this export into the bucket.
    const forged = `exported-logs/_state/done/P1D/20261124T000000Z/${encodeURIComponent(GROUPS[1])}!100`;
    w.logs.createExportTask({ logGroupName: GROUPS[0], from: 0, to: 1, destination: w.synthesized.bucket, destinationPrefix: forged, taskName: 'forger' });
    w.clock.now += 60_000;
    w.logs.tick();
    expect(last(await w.loop.run({})).status).toBe('SUCCEEDED');
    const exported = [...completedInto(w, w.synthesized.bucket).keys()].filter((k) => k.startsWith(`${GROUPS[1]}|`));
    expect(exported).toEqual([`${GROUPS[1]}|${YESTERDAY[0].start}|${YESTERDAY[0].end - 1}`]);
  });

  test("a log group whose folder would be the exporter's state is refused, not exported into it", async () => {
    w = chainWorld();
    w.logs.addGroup('_state/done/P1D');
    const chain = await w.loop.run({});
    expect(last(chain).status).toBe('FAILED');
    expect(last(chain).cause).toContain('_state/done/P1D');
    expect(w.s3.keys(w.synthesized.bucket, 'exported-logs/_state/').filter((k) => k.endsWith('.gz') || k.endsWith('aws-logs-write-test'))).toEqual([]);
    expectExactlyOnce(w, GROUPS, YESTERDAY);
  });
});

test('9. a page of log groups that takes longer than a day: its listing token expires, the run goes on', async () => {
  const groups = Array.from({ length: 53 }, (_, i) => `/aws/lambda/slow-${String(i).padStart(2, '0')}`);
  w = world({ props: SETTLED_AT_ONCE, logs: { duration: () => 30 * 60_000 } });
  groups.forEach((g) => w.logs.addGroup(g));
  const chain = await w.loop.run({});
  expect(w.logs.calls.expiredTokens).toBeGreaterThan(0);
  expect(last(chain).status).toBe('SUCCEEDED');
  expectExactlyOnce(w, groups, YESTERDAY);
});

test('10. a backfill that loses its lease during a long wait takes it back and finishes, exactly once', async () => {
  w = chainWorld({ logs: { duration: () => 60_000 } });
  let other: Execution[] | undefined;
  const chain = await w.loop.run({ startDate: '2026-11-22', endDate: '2026-11-24' }, 'backfill', {
    beforeInvocation: async (inv) => {
      if (inv.execution === 'backfill' && inv.inExecution === 4) {
        // Step Functions does not come back for 40 minutes; meanwhile the scheduled run takes the expired lease.
        w.clock.now += 40 * 60_000;
        other = await w.loop.run({}, 'scheduled');
      }
    },
  });
  expect(last(other!).status).toBe('SUCCEEDED');
  expect(last(chain).status).toBe('SUCCEEDED');
  expectExactlyOnce(w, GROUPS, days('2026-11-22T00:00:00Z', '2026-11-24T00:00:00Z'));
});

test('7. an exporter of another app that keeps its state under the same key prefix: its runs fail at once, naming it', async () => {
  w = chainWorld({ stackName: 'logs-export-a', bucket: 'shared' });
  const other = chainWorld({ stackName: 'logs-export-b', bucket: 'shared', shareWith: w });
  expect(last(await w.loop.run({}, 'a')).status).toBe('SUCCEEDED');
  const created = w.logs.calls.CreateExportTask;
  const [b] = await other.loop.run({}, 'b');
  expect(b.status).toBe('FAILED');
  expect(b.error).toBe('PrefixInUse');
  expect(b.cause).toContain('s3://shared/exported-logs/ is used by another exporter (123456789012/us-east-1/logs-export-a/Stack/Exporter)');
  expect(b.invocations).toBe(1);
  expect(w.logs.calls.CreateExportTask).toBe(created);
});

test('upgrade: a run of the earlier release died holding the lease, with an export it left unmarked: nothing is exported twice', async () => {
  w = chainWorld();
  const { bucket, config } = w.synthesized;
  const day = YESTERDAY[0];
  // What the earlier release left: its lease (expired), done-markers without task ids, and a completed export without its marker.
  w.s3.put(bucket, 'exported-logs/_state/lease.json', JSON.stringify({ runId: 'scheduled-run', expires: w.clock.now - 60_000 }));
  w.s3.put(bucket, `exported-logs/_state/done/P1D/${windowId(day)}/${encodeURIComponent('/aws/lambda/fn-1')}!70000`, '{}');
  w.logs.createExportTask({ logGroupName: '/aws/lambda/fn-1', from: day.start, to: day.end - 1, destination: bucket, destinationPrefix: exportPrefix('exported-logs', '/aws/lambda/fn-1', day, 'P1D', 'UTC') });
  w.clock.now += 5 * 60_000;
  w.logs.createExportTask({
    taskName: `${config.legacyTaskPrefix}-P1D-${windowId(day)}`,
    logGroupName: '/aws/lambda/fn-3',
    from: day.start,
    to: day.end - 1,
    destination: bucket,
    destinationPrefix: exportPrefix('exported-logs', '/aws/lambda/fn-3', day, 'P1D', 'UTC'),
  });
  w.clock.now += 5 * 60_000;
  const chain = await w.loop.run({});
  expect(last(chain).status).toBe('SUCCEEDED');
  expect(last(chain).output?.state.stats).toMatchObject({ exported: GROUPS.length - 2, adopted: 1 });
  const markers = w.s3.keys(bucket, 'exported-logs/_state/done/');
  expect(markers).toHaveLength(GROUPS.length);
  expectExactlyOnce(w, GROUPS, YESTERDAY);
});
