/**
 * Exactly once under faults: the synthesized state machine, run locally with the real handler on
 * the fakes, while invocations are killed at any call, executions are redriven, run twice at once,
 * replayed by hand, lose their lease, outlive their listing tokens, or get input no one should type.
 */
import { Duration, Lazy, TimeZone } from 'aws-cdk-lib';
import { ExportPeriod, LogGroupSelection } from '../../src';
import { PAGE_GROUPS } from '../../src/handler/cursor';
import { checkpointKey } from '../../src/shared/layout';
import { Call, KillPoint } from '../harness/fakes';
import { Execution, InvocationInfo, REGION } from '../harness/loop';
import { isLease, isMarker, last, nth } from '../harness/rules';
import { World, WorldOptions, days, expectExactlyOnce, world, completedInto } from '../harness/world';

const SETTLED_AT_ONCE = { settleTime: Duration.hours(0) };
/**
 * Eight groups, with and without a leading '/'. The first one's export takes 70 s: the first
 * invocation hands back to the Wait state, and the second chains the other seven (2 s each)
 * with what the first one cached.
 */
const GROUPS = Array.from({ length: 8 }, (_, i) => (i % 2 ? `/aws/lambda/fn-${i}` : `app-${i}`));
const YESTERDAY = days('2026-11-24T00:00:00Z', '2026-11-24T00:00:00Z');
const OTHER_DATE = days('2026-11-20T00:00:00Z', '2026-11-20T00:00:00Z');
const chained = ({ logGroupName }: { logGroupName: string }) => (logGroupName === '/aws/lambda/fn-1' ? 70_000 : 2_000);

/** The world most of these tests run in: GROUPS (unless it shares another world's), settled at once, chained exports. */
const chainWorld = (o: WorldOptions = {}): World =>
  world({ props: SETTLED_AT_ONCE, logs: { duration: chained }, groups: o.shareWith ? [] : GROUPS, ...o });

/** The rule for the second invocation: the one that chains exports with state cached by the first. */
const second = (rule: (c: Call) => KillPoint | undefined) => (inv: InvocationInfo) => (inv.number === 2 ? rule : undefined);
const first = (rule: (c: Call) => KillPoint | undefined) => (inv: InvocationInfo) => (inv.number === 1 ? rule : undefined);
const key = (g: string, win = YESTERDAY[0]) => `${g}|${win.start}|${win.end - 1}`;

let w: World;
afterEach(() => w?.restore());

describe('a killed invocation is retried with its old input: nothing it did is done twice', () => {
  test.each([['first', 1], ['third', 3], ['last', GROUPS.length - 1]])('killed just after the %s CreateExportTask of its chain', async (_name, n) => {
    w = chainWorld();
    const chain = await w.loop.run({}, 'run', { kill: second(nth('CreateExportTask', n as number, 'after')) });
    expect(last(chain).status).toBe('SUCCEEDED');
    expectExactlyOnce(w, GROUPS, YESTERDAY);
  });

  test('killed between an export completing and its done-marker', async () => {
    w = chainWorld();
    const chain = await w.loop.run({}, 'run', { kill: second(nth('PutObject', 3, 'before', isMarker)) });
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

test('a redrive of an execution that failed mid-chain exports nothing twice', async () => {
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

describe('one run at a time, whatever the executions are called or carry', () => {
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

describe('a run that dies holding the lease: the next holder finishes what it left', () => {
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
    for (const g of GROUPS) expect([g, after.get(key(g))]).toEqual([g, (before.get(key(g)) ?? 0) + 1]);
  });
});

test.each([
  ['a time in 2062', '2062-11-25T01:00:00Z', /'scheduledTime' .*in the future/],
  ['a bare number', '1', /'scheduledTime' must be an ISO 8601 time/],
  ['a date without a time', '2026-11-25', /'scheduledTime' must be an ISO 8601 time/],
])('a scheduledTime of %s fails the execution at once and moves nothing', async (_name, scheduledTime, message) => {
  w = chainWorld();
  const [e] = await w.loop.run({ scheduledTime });
  expect(e.status).toBe('FAILED');
  expect(e.error).toBe('InvalidInput');
  expect(e.cause).toMatch(message);
  expect(e.invocations).toBe(1);
  expect(w.logs.calls.CreateExportTask ?? 0).toBe(0);
  expect(w.s3.keys(w.synthesized.bucket, checkpointKey(w.synthesized.config.keyPrefix, 'P1D'))).toEqual([]);
});

test('the same app deployed as two stacks in one account: neither adopts the other\'s export tasks', async () => {
  w = chainWorld({ stackName: 'logs-export-a', bucket: 'bucket-a', logs: { duration: () => 30_000 } });
  const other = chainWorld({ stackName: 'logs-export-b', bucket: 'bucket-b', shareWith: w });
  const [a, b] = await Promise.all([w.loop.run({}, 'a'), other.loop.run({}, 'b')]);
  expect([last(a).status, last(b).status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
  expectExactlyOnce(w, GROUPS, YESTERDAY, 'bucket-a');
  expectExactlyOnce(other, GROUPS, YESTERDAY, 'bucket-b');
});

test('exporters of two accounts export into one archive bucket at the same time: each once, under its own prefix, neither touching the other\'s state', async () => {
  const archive = { bucketName: 'org-log-archive', account: '999999999999' };
  const [a, b] = ['111111111111', '222222222222'];
  w = chainWorld({ account: a, archive, bucket: archive.bucketName, logs: { duration: () => 30_000 } });
  // Log groups of the same names in both accounts: only the prefixes keep them apart.
  const other = world({
    props: SETTLED_AT_ONCE, account: b, archive, bucket: archive.bucketName, shareWith: w, logs: { duration: () => 20_000 }, groups: GROUPS,
  });
  expect([w.synthesized.config.keyPrefix, other.synthesized.config.keyPrefix]).toEqual([`exported-logs/${a}/${REGION}`, `exported-logs/${b}/${REGION}`]);
  // A crash after a CreateExportTask in each: each recovers its own export, not the other's.
  const crash = first(nth('CreateExportTask', 2, 'after'));
  const [chainA, chainB] = await Promise.all([w.loop.run({}, 'a', { kill: crash }), other.loop.run({}, 'b', { kill: crash })]);
  expect([last(chainA).status, last(chainB).status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
  expectExactlyOnce(w, GROUPS, YESTERDAY);
  expectExactlyOnce(other, GROUPS, YESTERDAY);
  // They exported at the same time: each account has its own one active export task.
  const overlap = w.logs.tasks.some((x) => other.logs.tasks.some((y) => x.created < y.created + y.duration && y.created < x.created + x.duration));
  expect(overlap).toBe(true);
  // Every key each handler read, wrote or listed is under its own account's prefix, or its state beside it.
  for (const [world_, account] of [[w, a], [other, b]] as const) {
    expect(world_.loop.touched.length).toBeGreaterThan(GROUPS.length);
    const own = [`exported-logs/${account}/${REGION}/`, `_state/exported-logs/${account}/${REGION}/`];
    expect(world_.loop.touched.filter((k) => !own.some((p) => k.startsWith(p)))).toEqual([]);
  }
  expect(w.s3.keys(archive.bucketName).filter((k) => !/^(_state\/)?exported-logs\/(111111111111|222222222222)\/us-east-1\//.test(k))).toEqual([]);
});

describe('nothing an export writes can pass for exporter state', () => {
  test('an export aimed at the done-markers does not mark a group done', async () => {
    w = chainWorld();
    // Anyone allowed to export a log group of the account could start this export into the bucket.
    const forged = `_state/exported-logs/done/P1D/20261124T000000Z/${encodeURIComponent(GROUPS[1])}!100!forged-task`;
    w.logs.createExportTask({ logGroupName: GROUPS[0], from: 0, to: 1, destination: w.synthesized.bucket, destinationPrefix: forged, taskName: 'forger' });
    w.clock.now += 60_000;
    w.logs.tick();
    expect(last(await w.loop.run({})).status).toBe('SUCCEEDED');
    const exported = [...completedInto(w, w.synthesized.bucket).keys()].filter((k) => k.startsWith(`${GROUPS[1]}|`));
    expect(exported).toEqual([`${GROUPS[1]}|${YESTERDAY[0].start}|${YESTERDAY[0].end - 1}`]);
  });

  test("log groups named like the exporter's state export beside it, never into it; a name with a '..' segment is refused", async () => {
    w = chainWorld();
    const lookalikes = ['_state/exported-logs/done/P1D', '/aws/_state/x'];
    lookalikes.forEach((g) => w.logs.addGroup(g));
    w.logs.addGroup('/a/../../_state/exported-logs');
    const chain = await w.loop.run({});
    expect([last(chain).status, last(chain).cause]).toEqual(['FAILED', expect.stringMatching(/^1 export\(s\) failed after retries\. .* Failures: \/a\/\.\.\/\.\.\/_state\/exported-logs @ .*'\.\.' segment/)]);
    // Under _state/ only the exporter's own state: no export wrote there.
    expect(w.s3.keys(w.synthesized.bucket, '_state/').filter((k) => k.endsWith('.gz') || k.endsWith('aws-logs-write-test'))).toEqual([]);
    expectExactlyOnce(w, [...GROUPS, ...lookalikes], YESTERDAY);
  });
});

test('a page of log groups that takes longer than a day: its listing token expires, the run goes on', async () => {
  const groups = Array.from({ length: PAGE_GROUPS + 3 }, (_, i) => `/aws/lambda/slow-${String(i).padStart(3, '0')}`);
  w = world({ props: SETTLED_AT_ONCE, logs: { duration: () => 6 * 60_000 }, groups: groups });
  // The first day lists the second page ahead, while it awaits its first exports inside invocations.
  expect(last(await w.loop.run({})).status).toBe('SUCCEEDED');
  expect(w.logs.calls.expiredTokens).toBeUndefined();
  // The next day every export is expected to take 6 minutes: each goes to the Wait state, nothing is listed ahead.
  w.clock.now = Math.max(w.clock.now, Date.parse('2026-11-26T01:00:00Z'));
  const chain = await w.loop.run({ scheduledTime: new Date(w.clock.now).toISOString() });
  expect(w.logs.calls.expiredTokens).toBeGreaterThan(0);
  expect(last(chain).status).toBe('SUCCEEDED');
  expectExactlyOnce(w, groups, days('2026-11-24T00:00:00Z', '2026-11-25T00:00:00Z'));
});

test('a backfill that loses its lease during a long wait takes it back and finishes, exactly once', async () => {
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

test('an exporter of another app that keeps its state under the same key prefix: its runs fail at once, naming it', async () => {
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

// More faults: each of these failed before its fix.


describe('a log group deleted mid-run does not end the confirmation of earlier work', () => {
  const DELETED = '/aws/lambda/fn-3';
  const LEFT = GROUPS.filter((g) => g !== DELETED);

  test('a retried turn still marks what its killed attempt completed after the deleted group', async () => {
    w = chainWorld();
    const chain = await w.loop.run({}, 'run', {
      // The group is deleted while the run is on its page: the second invocation skips it
      // (ResourceNotFoundException), completes /aws/lambda/fn-5 and dies before its done-marker.
      beforeInvocation: (inv) => { if (inv.number === 2) w.logs.deleteGroup(DELETED); },
      kill: second(nth('PutObject', 2, 'before', isMarker)),
    });
    expect(last(chain).status).toBe('SUCCEEDED');
    expectExactlyOnce(w, LEFT, YESTERDAY);
  });

  test('a run taking over a dead holder\'s lease walks past the deleted group', async () => {
    w = chainWorld();
    const [dead] = await w.loop.run({}, 'dead', {
      beforeInvocation: (inv) => { if (inv.number === 2) w.logs.deleteGroup(DELETED); },
      kill: second(nth('PutObject', 2, 'before', isMarker)),
      crashWhen: (inv) => inv.number > 2,
    });
    expect(dead.status).toBe('FAILED');
    w.clock.now += 31 * 60_000; // its lease expires
    const next = last(await w.loop.run({}, 'next'));
    expect([next.status, next.cause]).toEqual(['SUCCEEDED', undefined]);
    expectExactlyOnce(w, LEFT, YESTERDAY);
  });
});

test('a re-export whose first turn is killed after its first CreateExportTask exports each group once more, not twice', async () => {
  w = chainWorld();
  expect(last(await w.loop.run({}, 'scheduled')).status).toBe('SUCCEEDED');
  const before = completedInto(w, w.synthesized.bucket);
  const chain = await w.loop.run({ startDate: '2026-11-24', endDate: '2026-11-24', reexport: true }, 'reexport', {
    kill: (inv) => (inv.execution === 'reexport' && inv.inExecution === 1 ? nth('CreateExportTask', 1, 'after') : undefined),
  });
  expect(last(chain).status).toBe('SUCCEEDED');
  const after = completedInto(w, w.synthesized.bucket);
  // The user asked for one more export of each group.
  for (const g of GROUPS) expect([g, after.get(key(g))]).toEqual([g, (before.get(key(g)) ?? 0) + 1]);
});

test('a takeover turn killed after its lease write: its retry still owes the dead holder\'s walk', async () => {
  w = chainWorld();
  // A scheduled run completes /aws/lambda/fn-5 and dies before its done-marker; its retries all crash.
  const [dead] = await w.loop.run({}, 'dead', { kill: second(nth('PutObject', 3, 'before', isMarker)), crashWhen: (inv) => inv.number > 2 });
  expect(dead.status).toBe('FAILED');
  // A backfill of another date is started at once: it waits for the lease. When the lease has
  // expired it takes it over (writing the dead run's position into the lease as owed) and is
  // killed right after that write; Step Functions retries the turn.
  let killed = false;
  const takeover = (c: Call): KillPoint | undefined => {
    if (killed || c.op !== 'PutObject' || !isLease(c)) return undefined;
    if (!(JSON.parse(String(c.input.Body)).inherited ?? []).length) return undefined;
    killed = true;
    return 'after';
  };
  const other = await w.loop.run({ startDate: '2026-11-20', endDate: '2026-11-20' }, 'other-date', { kill: () => takeover });
  expect(killed).toBe(true);
  expect(last(other).status).toBe('SUCCEEDED');
  expect(last(await w.loop.run({}, 'next')).status).toBe('SUCCEEDED');
  expectExactlyOnce(w, GROUPS, [...OTHER_DATE, ...YESTERDAY]);
});

test('a takeover write that succeeds but whose answer is lost (the SDK\'s retry gets 412): the walk is still owed', async () => {
  w = chainWorld();
  const [dead] = await w.loop.run({}, 'dead', { kill: second(nth('PutObject', 3, 'before', isMarker)), crashWhen: (inv) => inv.number > 2 });
  expect(dead.status).toBe('FAILED');
  // S3 applies the conditional takeover write, the response is lost, and the SDK retries the
  // same request: the retry fails its condition (412), as the object's ETag has changed.
  const put = w.s3.putObject.bind(w.s3);
  let lost = false;
  w.s3.putObject = (input) => {
    const out = put(input);
    if (!lost && /^_state\/.*\/lease\.json$/.test(String(input.Key)) && (JSON.parse(String(input.Body)).inherited ?? []).length) {
      lost = true;
      throw Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), { name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
    }
    return out;
  };
  const other = await w.loop.run({ startDate: '2026-11-20', endDate: '2026-11-20' }, 'other-date');
  expect(lost).toBe(true);
  expect(last(other).status).toBe('SUCCEEDED');
  expect(last(await w.loop.run({}, 'next')).status).toBe('SUCCEEDED');
  expectExactlyOnce(w, GROUPS, [...OTHER_DATE, ...YESTERDAY]);
});

test('an export into the done-marker folder: its aws-logs-write-test does not pass for a marker of a group of that name', async () => {
  w = chainWorld();
  w.logs.addGroup('aws-logs-write-test');
  // As in 'nothing an export writes can pass for exporter state': anyone allowed to export a log group aims an export at the done-markers.
  w.logs.createExportTask({ logGroupName: GROUPS[0], from: 0, to: 1, destination: w.synthesized.bucket, destinationPrefix: '_state/exported-logs/done/P1D/20261124T000000Z', taskName: 'forger' });
  w.clock.now += 60_000;
  w.logs.tick();
  expect(last(await w.loop.run({})).status).toBe('SUCCEEDED');
  const exported = [...completedInto(w, w.synthesized.bucket).keys()].filter((k) => k.startsWith('aws-logs-write-test|'));
  expect(exported).toEqual([key('aws-logs-write-test')]);
});

test('a backfill naming a log group that does not exist (a typo) fails, exporting nothing', async () => {
  w = chainWorld();
  const [e] = await w.loop.run({ startDate: '2026-11-24', endDate: '2026-11-24', logGroupNames: ['/aws/lambda/fn-l'] }, 'typo');
  expect(w.logs.calls.CreateExportTask ?? 0).toBe(0);
  expect(e.status).toBe('FAILED');
});

test('a scheduledTime up to 5 minutes ahead: no window that has not ended is exported', async () => {
  // Hourly, settle time 0; the handler's clock says 10:58, the input says 11:02 (within the 5 minutes allowed).
  w = world({ props: { settleTime: Duration.minutes(0), exportPeriod: ExportPeriod.HOURLY }, now: Date.parse('2026-11-25T10:58:00Z'), groups: GROUPS });
  const [e] = await w.loop.run({ scheduledTime: '2026-11-25T11:02:00Z' }, 'scheduled');
  // Either the input is refused, or only windows that had ended (and settled) when their export started are exported.
  const early = w.logs.tasks.filter((t) => t.created <= t.to).map((t) => `${t.logGroupName} to ${new Date(t.to + 1).toISOString()} started ${new Date(t.created).toISOString()}`);
  expect([e.status, early]).toEqual([expect.anything(), []]);
});

test('a redeploy with another timeZone: no hour is exported twice', async () => {
  w = chainWorld();
  expect(last(await w.loop.run({}, 'utc')).status).toBe('SUCCEEDED');
  // Same stack, same exporter, same bucket and key prefix; only the timeZone prop changed to Europe/Berlin.
  const berlin = chainWorld({ props: { ...SETTLED_AT_ONCE, timeZone: TimeZone.EUROPE_BERLIN }, shareWith: w });
  for (const day of [1, 2]) {
    w.clock.now = Date.parse('2026-11-25T01:00:00Z') + day * 86_400_000;
    expect(last(await berlin.loop.run({}, `berlin-${day}`)).status).toBe('SUCCEEDED');
  }
  const overlaps: string[] = [];
  for (const g of GROUPS) {
    const ranges = w.logs.tasks.filter((t) => t.logGroupName === g).sort((a, b) => a.from - b.from);
    for (let i = 1; i < ranges.length; i++) {
      if (ranges[i].from <= ranges[i - 1].to) overlaps.push(`${g}: ${new Date(ranges[i].from).toISOString()}..${new Date(ranges[i - 1].to + 1).toISOString()}`);
    }
  }
  expect(overlaps).toEqual([]);
});

describe('a log group selected twice through a value known only at deploy time is exported once', () => {
  // LogGroupSelection drops a prefix inside another, and repeated names, at synth time only; a token
  // (a CfnParameter, an ILogGroup's name) is compared before it is resolved.
  const deployTime = (v: string) => Lazy.string({ produce: () => v });
  test.each([
    ['a prefix inside another', () => LogGroupSelection.prefixes(['/aws/', deployTime('/aws/lambda/')]), GROUPS.filter((g) => g.startsWith('/aws/'))],
    ['one log group named twice', () => LogGroupSelection.names(['/aws/lambda/fn-1', deployTime('/aws/lambda/fn-1')]), ['/aws/lambda/fn-1']],
  ])('%s', async (_name, selection, groups) => {
    w = chainWorld({ props: { ...SETTLED_AT_ONCE, logGroups: selection() } });
    expect(last(await w.loop.run({}, 'scheduled')).status).toBe('SUCCEEDED');
    expectExactlyOnce(w, groups, YESTERDAY);
  });
});

test.each([
  // Someone creates a log group while the run exports the first page (nothing to export: created after the window).
  ['created', 'repeat', (x: World) => x.logs.addGroup('/svc/a-new', x.clock.now)],
  // An already exported group of the first page is deleted while the run is still on that page.
  ['deleted', 'skip', (x: World) => x.logs.deleteGroup('/svc/g-00')],
])('a log group %s mid-run does not make the listing %s a group', async (_changed, _effect, change) => {
  const many = Array.from({ length: 52 }, (_, i) => `/svc/g-${String(i).padStart(2, '0')}`);
  w = world({ props: SETTLED_AT_ONCE, groups: many });
  let exports = 0;
  const changeWhileOnFirstPage = (c: Call): KillPoint | undefined => {
    if (c.op === 'CreateExportTask' && ++exports === 10) change(w);
    return undefined;
  };
  const chain = await w.loop.run({}, 'scheduled', { kill: () => changeWhileOnFirstPage });
  expect(last(chain).status).toBe('SUCCEEDED');
  expectExactlyOnce(w, many, YESTERDAY);
});

test('a run whose own earlier execution holds the lease takes it once it expires (no endless wait)', async () => {
  // The handler continues as new 45 minutes into an execution (so that the test stays short).
  const names = ['/svc/a', '/svc/b', '/svc/c', '/svc/d', '/svc/e', '/svc/f'];
  w = world({ props: SETTLED_AT_ONCE, logs: { duration: () => 60_000 }, config: { executionTimeoutSeconds: 3600 }, groups: names });
  const start = w.clock.now;
  const lease = '_state/exported-logs/lease.json';
  let late = false;
  let killed = false;
  let throttled = false;
  // 3. The continuation's first write of the lease is throttled (S3 SlowDown past the SDK's retries).
  const put = w.s3.putObject.bind(w.s3);
  w.s3.putObject = (input) => {
    if (killed && !throttled && input.Key === lease && input.IfMatch === w.s3.objects.get(`${w.synthesized.bucket}/${lease}`)?.etag
      && !String(JSON.parse(String(input.Body)).execution).endsWith(':run')) {
      throttled = true;
      throw Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } });
    }
    return put(input);
  };
  const chain = await w.loop.run({ startDate: '2026-11-20', endDate: '2026-11-24', logGroupNames: names }, 'run', {
    beforeInvocation: (inv) => {
      // Guard: without it the chain of executions never ends.
      if (w.loop.invocations > 3000) throw new Error('still running after 3,000 invocations');
      // 1. Step Functions comes back late, just before the execution would continue as new: the turn renews the lease.
      if (!late && inv.execution === 'run' && inv.retryCount === 0 && w.clock.now > start + 1_500_000) {
        late = true;
        w.clock.now = start + 2_700_000 - 1_000;
      }
    },
    // 2. ... and dies right after renewing it; its retry, 5 s later, continues as new with the state it got.
    kill: (inv) => (late && !killed && inv.execution === 'run' && inv.retryCount === 0
      ? (c: Call): KillPoint | undefined => (c.op === 'PutObject' && c.input.Key === lease && !killed ? ((killed = true), 'after') : undefined)
      : undefined),
  });
  expect([killed, throttled]).toEqual([true, true]);
  const end = last(chain);
  expect([end.status, end.cause]).toEqual(['SUCCEEDED', undefined]);
  expectExactlyOnce(w, names, days('2026-11-20T00:00:00Z', '2026-11-24T00:00:00Z'));
});
