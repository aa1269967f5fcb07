/**
 * Exactly once, second round: what an adversarial review found after the first round held. Each
 * test is the review's scenario, run by the synthesized state machine with the real handler on
 * the fakes: a forged task that copies the exporter's name, a takeover walk past items the dead
 * run failed without a task, a CreateExportTask whose answer was lost, a deployment while a run
 * continues as new, and a window without events killed anywhere between its export and marker.
 */
import { Duration } from 'aws-cdk-lib';
import { exportPrefix, taskName, taskPrefixOf } from '../../src/shared/layout';
import { windowAt } from '../../src/shared/windows';
import { Call, awsError } from '../harness/fakes';
import { isCreateOf, isMarkerOf, last, once } from '../harness/rules';
import { World, completedInto, days, expectExactlyOnce, world } from '../harness/world';

const SETTLED = { settleTime: Duration.hours(0) };
const YESTERDAY = days('2026-11-24T00:00:00Z', '2026-11-24T00:00:00Z');

let w: World;
afterEach(() => w?.restore());

/** The exports into the world's bucket, as `<group> <from> <to> <times>`, sorted. */
function exports(): string[] {
  return [...completedInto(w, w.synthesized.bucket)].map(([k, n]) => {
    const [group, from, to] = k.split('|');
    return `${group} ${new Date(Number(from)).toISOString()} ${new Date(Number(to)).toISOString()} ${n}`;
  }).sort();
}

describe("a task named in the exporter's format is not its export unless everything about it is", () => {
  test.each([
    ['into another folder under its key prefix', 'exported-logs/forged/2026/11/24'],
    ["into the window's own folder", undefined],
  ])('a forged sliver, %s, active when the run starts: waited out, never marked; the window is exported whole', async (_where, folder) => {
    w = world({ props: SETTLED, groups: ['/a', '/b'], logs: { duration: ({ index }) => (index === 0 ? 3_600_000 : 3_000) } });
    const { config } = w.synthesized;
    const win = windowAt(YESTERDAY[0].start, 'P1D', 'UTC');
    // Anyone allowed to create export tasks on /a: the exporter's name format, the first millisecond of the window.
    w.logs.createExportTask({
      taskName: taskName(taskPrefixOf(config.exporterId), 'P1D', win, 'forged', 1),
      logGroupName: '/a',
      from: win.start,
      to: win.start,
      destination: config.bucket,
      destinationPrefix: folder ?? exportPrefix(config.keyPrefix, '/a', win, 'P1D', 'UTC'),
    });
    const chain = await w.loop.run({});
    expect(last(chain).status).toBe('SUCCEEDED');
    const whole = (g: string) => `${g} 2026-11-24T00:00:00.000Z 2026-11-24T23:59:59.999Z 1`;
    expect(exports()).toEqual([
      '/a 2026-11-24T00:00:00.000Z 2026-11-24T00:00:00.000Z 1',
      whole('/a'),
      whole('/b'),
    ]);
    // One marker each, for the exporter's own tasks.
    const markers = w.s3.keys(config.bucket, '_state/exported-logs/done/').map((k) => k.split('!')[2]);
    expect(markers).toEqual(w.logs.tasks.slice(1).map((t) => t.taskId));
  });
});

describe('the run that takes the lease over from a dead one passes every item the dead run passed', () => {
  test('an item failed without a task (CreateExportTask refused), the next exported, the run dead before its marker', async () => {
    w = world({ props: SETTLED, groups: ['/a', '/b', '/c'] });
    const refused = once(isCreateOf('/b'), { error: awsError('InvalidParameterException', 'The request was refused') });
    const dies = once(isMarkerOf('/c'), 'before');
    const [dead] = await w.loop.run({}, 'dead', { kill: () => (c) => refused.rule(c) ?? dies.rule(c), crashWhen: () => dies.fired() });
    expect(dead.status).toBe('FAILED');
    w.clock.now += 31 * 60_000;
    expect(last(await w.loop.run({}, 'next')).status).toBe('SUCCEEDED');
    expectExactlyOnce(w, ['/a', '/b', '/c'], YESTERDAY);
  });

  test('a group deleted and created again while the run is on its page: recorded deleted before export, not failed; the next group once', async () => {
    w = world({ props: SETTLED, groups: ['/a', '/b', '/c'] });
    const recreate = once(isCreateOf('/b'), { pauseMs: 0 });
    const dies = once(isMarkerOf('/c'), 'before');
    const rule = (c: Parameters<typeof dies.rule>[0]) => {
      if (recreate.rule(c)) {
        w.logs.deleteGroup('/b');
        w.logs.addGroup('/b', Date.parse('2026-11-25T00:30:00Z'));
      }
      return dies.rule(c);
    };
    const [dead] = await w.loop.run({}, 'dead', { kill: () => rule, crashWhen: () => dies.fired() });
    expect(dead.status).toBe('FAILED');
    w.clock.now += 31 * 60_000;
    const next = last(await w.loop.run({}, 'next'));
    expect(next.status).toBe('SUCCEEDED');
    expect(exports()).toEqual(['/a', '/c'].map((g) => `${g} 2026-11-24T00:00:00.000Z 2026-11-24T23:59:59.999Z 1`));
    expect(w.s3.keys(w.synthesized.bucket, '_state/exported-logs/done/P1D/20261124T000000Z/%2Fb!deleted!')).toHaveLength(1);
  });
});

describe('a CreateExportTask whose answer was lost after the SDK\'s retries: the next attempt confirms before exporting again', () => {
  test.each([
    ['ThrottlingException', 'a long export, still running', 600_000],
    ['ServiceUnavailableException', 'a long export, still running', 600_000],
    ['ThrottlingException', 'a short export, completed by the next turn', 1_000],
    ['InternalFailure', 'a short export, completed by the retried turn', 1_000],
  ])('%s, %s', async (error, _what, ms) => {
    w = world({ props: SETTLED, groups: ['/a', '/b'], logs: { duration: ({ logGroupName }) => (logGroupName === '/a' ? ms : 2_000) } });
    const lost = once(isCreateOf('/a'), { error: awsError(error, 'Rate exceeded', 503), tookEffect: true });
    const chain = await w.loop.run({}, 'run', { kill: () => lost.rule });
    expect(lost.fired()).toBe(true);
    expect(last(chain).status).toBe('SUCCEEDED');
    expectExactlyOnce(w, ['/a', '/b'], YESTERDAY);
  });
});

describe('a window without events of an awake group (its export writes no file)', () => {
  const awake = { eventsUntil: Date.parse('2026-11-23T12:00:00Z'), eventsAgainFrom: Date.parse('2026-11-25T00:10:00Z') };

  test('killed at every call between its CreateExportTask and its marker, before and after each takes effect: exported once', async () => {
    const setup = (): World => {
      // Three hours after the window: its newest events are past the hour DescribeLogStreams may lag, so it is not idle.
      const x = world({ props: SETTLED, groups: ['/a'], now: Date.parse('2026-11-25T03:00:00Z') });
      x.logs.addGroup('/quiet', 0, undefined, awake);
      return x;
    };
    // The calls of the run (all invocations, in order) when nothing goes wrong, from the quiet group's CreateExportTask to its marker.
    w = setup();
    const calls: Call[] = [];
    await w.loop.run({}, 'run', { kill: () => (c) => void calls.push(c) });
    w.restore();
    const first = calls.findIndex(isCreateOf('/quiet'));
    const span = calls.slice(first, calls.findIndex(isMarkerOf('/quiet')) + 1).map((_, i) => first + i + 1);
    expect(span.length).toBeGreaterThan(3);
    for (const n of span) {
      for (const point of ['before', 'after'] as const) {
        w = setup();
        let seen = 0;
        const chain = await w.loop.run({}, 'run', { kill: () => () => (++seen === n ? point : undefined) });
        try {
          expect(last(chain).status).toBe('SUCCEEDED');
          expectExactlyOnce(w, ['/a', '/quiet'], YESTERDAY, undefined, { noFiles: ['/quiet'] });
        } catch (e) {
          throw new Error(`killed ${point} call ${n}: ${(e as Error).message}`);
        } finally {
          w.restore();
        }
      }
    }
  });
});

describe('a deployment that changes the time zone or the export period while a run continues as new', () => {
  const GROUPS = ['/a', '/b', '/c'];
  test.each<[string, Record<string, unknown>, string]>([
    ['UTC to Europe/Berlin', { timeZone: 'Europe/Berlin' }, '2026-11-26T01:00:00Z'],
    ['daily to hourly', { period: 'PT1H' }, '2026-11-25T06:05:00Z'],
  ])('%s: the run finishes its windows as they were cut; the next run starts where they end; nothing twice, nothing left out', async (_what, change, next) => {
    // One turn per execution: the run continues as new while its exports run.
    w = world({ props: SETTLED, groups: GROUPS, config: { maxTurns: 1 }, logs: { duration: () => 60_000 } });
    const before = { ...w.synthesized.config };
    let deployed = false;
    const chain = await w.loop.run({}, 'run', {
      kill: (inv) => {
        if (!deployed && /-c\d+$/.test(inv.execution)) {
          Object.assign(w.synthesized.config, change);
          deployed = true;
        }
        return undefined;
      },
    });
    expect(deployed).toBe(true);
    expect(chain.length).toBeGreaterThan(2);
    expect(last(chain).status).toBe('SUCCEEDED');
    // Checked where the configuration the run started with puts them.
    const deployedConfig = { ...w.synthesized.config };
    Object.assign(w.synthesized.config, before);
    expectExactlyOnce(w, GROUPS, YESTERDAY);
    Object.assign(w.synthesized.config, deployedConfig);

    // Runs go on cutting windows the earlier way until every window so cut is exported, then switch.
    w.clock.now = Date.parse(next);
    expect(last(await w.loop.run({ scheduledTime: next }, 'next')).status).toBe('SUCCEEDED');
    const owner = JSON.parse(w.s3.objects.get(`${w.synthesized.bucket}/_state/exported-logs/owner.json`)!.body);
    const { period, timeZone } = w.synthesized.config;
    expect({ period: owner.period, timeZone: owner.timeZone }).toEqual({ period, timeZone });
    const after = new Date(Date.parse(next) + 86_400_000).toISOString();
    w.clock.now = Date.parse(after);
    expect(last(await w.loop.run({ scheduledTime: after }, 'after')).status).toBe('SUCCEEDED');
    // Per group, the exports follow each other without overlap or gap, from the start of the 24th (UTC) on.
    for (const g of GROUPS) {
      const ranges = w.logs.tasks.filter((t) => t.logGroupName === g).map((t) => [t.from, t.to]).sort((a, b) => a[0] - b[0]);
      expect(ranges[0][0]).toBe(YESTERDAY[0].start);
      for (let i = 1; i < ranges.length; i++) expect([g, ranges[i][0]]).toEqual([g, ranges[i - 1][1] + 1]);
      expect(ranges.length).toBeGreaterThan(1);
    }
  });
});

describe('a ContinueAsNew state whose StartExecution fails', () => {
  const GROUPS = ['/a', '/b', '/c'];
  const continuing = () => world({ props: SETTLED, groups: GROUPS, config: { maxTurns: 1 }, logs: { duration: () => 60_000 } });

  test('on every attempt, without effect: the execution fails there; redriven, it restarts there and the run goes on; nothing twice', async () => {
    w = continuing();
    const [failed, ...more] = await w.loop.run({}, 'run', { continueFault: (execution) => (execution === 'run' ? 'before' : undefined) });
    expect(more).toEqual([]);
    expect([failed.status, failed.lastState?.name]).toEqual(['FAILED', 'ContinueAsNew']);
    const chain = await w.loop.redrive(failed);
    expect(chain.length).toBeGreaterThan(1);
    expect(last(chain).status).toBe('SUCCEEDED');
    expectExactlyOnce(w, GROUPS, YESTERDAY);
  });

  test('after it took effect (its answer lost): the retry finds the execution started and ends Done; the run goes on once', async () => {
    w = continuing();
    const chain = await w.loop.run({}, 'run', { continueFault: (execution, attempt) => (execution === 'run' && attempt === 1 ? 'after' : undefined) });
    expect(chain.map((e) => e.status)).toEqual(chain.map(() => 'SUCCEEDED'));
    expect(chain[0].lastState?.name).toBe('Done');
    expect(new Set(chain.map((e) => e.name)).size).toBe(chain.length);
    expectExactlyOnce(w, GROUPS, YESTERDAY);
  });
});

test('runs dying one after another in the middle of their walk, over pages of 365-character names: the state each carries stays bounded', async () => {
  const names = Array.from({ length: 60 }, (_, i) => `/aws/lambda/${'x'.repeat(350)}-${String(i).padStart(3, '0')}`);
  w = world({ props: SETTLED, groups: names, logs: { duration: () => 20_000 } });
  // The first run dies holding the lease, its third export of the page unmarked.
  const third = once((c) => c.op === 'PutObject' && isMarkerOf(names[2])(c), 'before');
  expect((await w.loop.run({}, 'first', { kill: () => third.rule, crashWhen: () => third.fired() }))[0].status).toBe('FAILED');
  // Four runs in a row take the lease over and die in their walk (at a look into a destination).
  for (let i = 0; i < 4; i++) {
    w.clock.now += 31 * 60_000;
    const dies = once((c) => c.op === 'ListObjectsV2' && c.input.Delimiter === '/', 'before');
    const [dead] = await w.loop.run({}, `dead-${i}`, { kill: () => dies.rule, crashWhen: () => dies.fired() });
    expect([i, dies.fired(), dead.status]).toEqual([i, true, 'FAILED']);
  }
  w.clock.now += 31 * 60_000;
  expect(last(await w.loop.run({}, 'last')).status).toBe('SUCCEEDED');
  expectExactlyOnce(w, names, YESTERDAY);
  // Step Functions passes at most 256 KB between states.
  expect(w.loop.largestAnswer).toBeLessThan(96_000);
});
