/**
 * What a review of offload (the exporter manages the CloudWatch Logs retention of its groups)
 * found: each test is one way the guarantee broke, now held. Same world as offload.test.ts.
 */
import { LogGroupSelection } from '../../src';
import { retentionKey } from '../../src/shared/layout';
import { DAY, FIRST_WINDOW, START, days, iso, ledger, offloadWorld, retention } from '../harness/offload';
import { last } from '../harness/rules';
import { World } from '../harness/world';

let w: World;
afterEach(() => w?.restore());

test('a backfill naming a log group outside the selection (not excluded) leaves its retention alone', async () => {
  const touched: string[] = [];
  w = offloadWorld({ props: { logGroups: LogGroupSelection.prefixes(['/app/']) }, logs: { onRetention: (g) => touched.push(g) } });
  w.logs.addGroup('/app/a', FIRST_WINDOW);
  w.logs.addGroup('/other/x', FIRST_WINDOW);
  await days(w, 0, 3, ['/app/a', '/other/x']);
  // A backfill names a group the selection does not hold (a typo of the prefix, a group of another team).
  w.clock.now = START + 3 * DAY + 3_600_000;
  const [backfill] = await w.loop.run({ startDate: '2026-11-23', endDate: '2026-11-26', logGroupNames: ['/other/x'] }, 'backfill-other');
  expect(backfill.status).toBe('SUCCEEDED');
  await days(w, 4, 14, ['/app/a']);
  // Only the selection is managed: /other/x keeps its retention (never expire), and loses nothing.
  expect(touched.filter((g) => !g.startsWith('/app/'))).toEqual([]);
  expect(retention(w, '/other/x')).toBeUndefined();
  expect(w.logs.lostUnarchived('/other/x')).toEqual([]);
});

test('a group deleted and created again just before the exporter lowers its retention: the new group\'s events are kept while its exports fail', async () => {
  const failures: Record<string, number> = {};
  let recreate = true;
  w = offloadWorld({
    logs: {
      failures,
      onRetention: (g) => {
        // The group is deleted and created again (its stack replaced it) between the run's listing and the retention call.
        if (g === '/app/b' && recreate) {
          recreate = false;
          w.logs.deleteGroup('/app/b');
          w.logs.addGroup('/app/b', w.clock.now - 60_000);
        }
      },
    },
  });
  for (const g of ['/app/a', '/app/b']) w.logs.addGroup(g, FIRST_WINDOW);
  // Day 0 lowers /app/b from never expire to 7 days: the call lands on the group created a minute before.
  await days(w, 0, 0, ['/app/a', '/app/b']);
  expect(recreate).toBe(false);
  expect(retention(w, '/app/b')).toBe(7);
  // The new group's exports fail for 12 days, then succeed: the exporter must keep its events meanwhile.
  failures['/app/b'] = Infinity;
  await days(w, 1, 12, ['/app/a', '/app/b']);
  failures['/app/b'] = 0;
  await days(w, 13, 16, ['/app/a', '/app/b']);
  // What the new group had before the exporter changed it: never expire.
  expect(ledger(w).groups['/app/b'].original).toBeNull();
});

test('the retention ledger deleted: the exporter does not take the retention it set (7 days) for the original, and raises it when exports fail', async () => {
  const failures: Record<string, number> = {};
  w = offloadWorld({ logs: { failures } });
  for (const g of ['/app/a', '/app/b']) w.logs.addGroup(g, FIRST_WINDOW);
  await days(w, 0, 8, ['/app/a', '/app/b']);
  expect(retention(w, '/app/b')).toBe(7);
  // The ledger is lost (deleted by hand, a cleanup of _state/, a bucket restored without it).
  w.s3.objects.delete(`${w.synthesized.bucket}/${retentionKey(w.synthesized.config.keyPrefix)}`);
  // /app/b's exports fail for 12 days, then succeed: the exporter must keep its events meanwhile (as it does with its ledger).
  failures['/app/b'] = Infinity;
  await days(w, 9, 20, ['/app/a', '/app/b']);
  failures['/app/b'] = 0;
  await days(w, 21, 24, ['/app/a', '/app/b']);
});

test('the retention ledger corrupted (not JSON): runs go on exporting, and nothing is lost', async () => {
  w = offloadWorld();
  for (const g of ['/app/a', '/app/b']) w.logs.addGroup(g, FIRST_WINDOW);
  await days(w, 0, 8, ['/app/a', '/app/b']);
  expect(retention(w, '/app/a')).toBe(7);
  // A truncated or hand-edited ledger.
  w.s3.put(w.synthesized.bucket, retentionKey(w.synthesized.config.keyPrefix), '{"v":1,"groups":{"/app/a":');
  await days(w, 9, 20, ['/app/a', '/app/b']);
  w.clock.now = START + 21 * DAY;
  const chain = await w.loop.run({ scheduledTime: iso(START + 21 * DAY) }, 'day-21');
  expect(last(chain).status).toBe('SUCCEEDED');
});

test('an entry of the ledger without spans (hand-edited: only the original): no run fails', async () => {
  w = offloadWorld();
  for (const g of ['/app/a', '/app/b']) w.logs.addGroup(g, FIRST_WINDOW);
  await days(w, 0, 8, ['/app/a', '/app/b']);
  const edited = ledger(w);
  w.s3.put(w.synthesized.bucket, retentionKey(w.synthesized.config.keyPrefix),
    JSON.stringify({ ...edited, groups: { ...edited.groups, '/app/a': { original: null, created: FIRST_WINDOW } } }));
  await days(w, 9, 10, ['/app/a', '/app/b'], { status: 'SUCCEEDED' });
});

test('an entry of the ledger whose pending windows are not as written (hand-edited) changes nothing, and no run fails', async () => {
  w = offloadWorld();
  for (const g of ['/app/a', '/app/b']) w.logs.addGroup(g, FIRST_WINDOW);
  await days(w, 0, 8, ['/app/a', '/app/b']);
  const edited = ledger(w);
  w.s3.put(w.synthesized.bucket, retentionKey(w.synthesized.config.keyPrefix),
    JSON.stringify({ ...edited, groups: { ...edited.groups, '/app/a': { ...edited.groups['/app/a'], pending: [['x']] } } }));
  await days(w, 9, 10, ['/app/a', '/app/b'], { status: 'SUCCEEDED' });
});

test('FilterLogEvents refused on one group (AccessDenied: an SCP, a permissions boundary): no run fails', async () => {
  w = offloadWorld({ props: { exportEmptyWindows: true } });
  w.logs.addGroup('/app/a', FIRST_WINDOW);
  // An idle group: its exports write no file, so settle asks CloudWatch whether the window holds events.
  w.logs.addGroup('/app/idle', FIRST_WINDOW, undefined, { eventsUntil: FIRST_WINDOW + 3_600_000 });
  const denied = Object.assign(new Error('User is not authorized to perform: logs:FilterLogEvents'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } });
  for (let d = 0; d <= 3; d++) {
    w.clock.now = START + d * DAY;
    const chain = await w.loop.run({ scheduledTime: iso(w.clock.now) }, `day-${d}`, {
      kill: () => (c) => (c.op === 'FilterLogEvents' ? { error: denied } : undefined),
    });
    expect([d, last(chain).status, last(chain).cause]).toEqual([d, 'SUCCEEDED', undefined]);
  }
});

test('offloadHistoryBefore after the first run (refused at synthesis when in the future; a date passes) gives up no window the exporter has not exported', async () => {
  const failures: Record<string, number> = { '/app/b': Infinity };
  w = offloadWorld({ config: { retentionArchivedBefore: Date.parse('2027-11-01') }, logs: { failures } });
  for (const g of ['/app/a', '/app/b']) w.logs.addGroup(g, FIRST_WINDOW);
  // /app/b's exports never succeed: nothing of it is archived, so the exporter must not lower its retention.
  await days(w, 0, 12, ['/app/a', '/app/b']);
  expect(retention(w, '/app/b')).toBeUndefined();
});
