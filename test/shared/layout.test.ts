import {
  STATE_FOLDER, exportPrefix, hasDotSegment, markerKey, markerName, parseMarker, parseTaskName, recordKey, recordKindOf, stateRoot, taskName,
  taskPrefixOf,
} from '../../src/shared/layout';

describe('done-markers', () => {
  const prefix = 'p/_state/done/P1D/20261124T000000Z/';

  test('sort like their group names whatever the durations and task ids, so one listing covers a page of groups', () => {
    // Every character a log group name may hold, names that are prefixes of others, and names too long to keep whole.
    const long = (c: string) => `/${c.repeat(300)}`;
    const names = ['a', 'a.b', 'a-b', 'a_b', 'a/b', 'a#b', 'aZ', 'a0', 'A', '/a', '/aws/lambda/x', '/aws/lambda/x-y', '/aws/lambda/x/y', 'z', long('a'), long('/'), `${long('/')}b`];
    const byName = [...names].sort((x, y) => (markerName(x) < markerName(y) ? -1 : 1));
    const byKey = names.map((n, i) => ({ n, key: markerKey(prefix, n, (i * 7919) % 400_000, `task-${(i * 31) % 17}`) })).sort((x, y) => (x.key < y.key ? -1 : 1));
    expect(byKey.map((k) => k.n)).toEqual(byName);
  });

  test('the longest log group names still make keys S3 takes (1,024 bytes), and distinct ones', () => {
    const slashes = '/'.repeat(512);
    const key = markerKey(`${'p'.repeat(200)}/_state/done/PT1H/20261124T000000Z/`, slashes, 86_400_000, '0123abcd-0123-0123-0123-0123456789ab');
    expect(Buffer.byteLength(key)).toBeLessThanOrEqual(1_024);
    expect(markerName(slashes)).not.toBe(markerName(`${'/'.repeat(511)}a`));
    expect(parseMarker(prefix, markerKey(prefix, slashes, 5, 't'))).toEqual({ name: markerName(slashes), durationMs: 5, taskId: 't' });
  });

  test('read back to name, duration, task id and stored bytes; a key without a duration and a task id is no marker', () => {
    expect(parseMarker(prefix, markerKey(prefix, '/aws/lambda/x', 4_200.4, '6a1c5d2e-1b2c-4d5e-8f90-0a1b2c3d4e5f')))
      .toEqual({ name: '%2Faws%2Flambda%2Fx', durationMs: 4_200, taskId: '6a1c5d2e-1b2c-4d5e-8f90-0a1b2c3d4e5f' });
    expect(parseMarker(prefix, `${prefix}%2Faws%2Flambda%2Fx!4200`)).toBeUndefined();
    expect(parseMarker(prefix, `${prefix}%2Faws%2Flambda%2Fx`)).toBeUndefined();
    expect(parseMarker(prefix, markerKey(prefix, 'x', 3, 't', 1_234_567.8))).toEqual({ name: 'x', durationMs: 3, taskId: 't', storedBytes: 1_234_568 });
    // A partial export says so, with or without stored bytes.
    expect(parseMarker(prefix, markerKey(prefix, 'x', 3, 't', 12, true))).toEqual({ name: 'x', durationMs: 3, taskId: 't', storedBytes: 12, partial: true });
    expect(parseMarker(prefix, markerKey(prefix, 'x', 3, 't', undefined, true))).toEqual({ name: 'x', durationMs: 3, taskId: 't', partial: true });
    expect(parseMarker(prefix, `${prefix}x!3!t!12!partly`)).toBeUndefined();
  });

  test('records of groups not exported are told apart from markers and by kind, whatever the run id (all digits too), and sort with their page', () => {
    for (const [run, kind] of [['0a1b2c3d4e5f', 'empty'], ['123456789012', 'deleted'], ['abc', 'expired']] as const) {
      const key = recordKey(prefix, kind, '/aws/lambda/x', run, ['/aws/lambda/x']);
      // The same groups, the same key; other groups or another kind, another key.
      expect(recordKey(prefix, kind, '/aws/lambda/x', run, ['/aws/lambda/x'])).toBe(key);
      expect(recordKey(prefix, kind, '/aws/lambda/x', run, ['/aws/lambda/x', '/aws/lambda/y'])).not.toBe(key);
      expect(recordKey(prefix, kind === 'empty' ? 'deleted' : 'empty', '/aws/lambda/x', run, ['/aws/lambda/x'])).not.toBe(key);
      expect([parseMarker(prefix, key), recordKindOf(prefix, key)]).toEqual([undefined, kind]);
      expect(key > markerKey(prefix, '/aws/lambda/x', 1, 't')).toBe(true);
      expect(key < markerKey(prefix, '/aws/lambda/x-y', 1, 't')).toBe(true);
    }
    for (const key of [`${prefix}x!empty!`, `${prefix}x!empty`, `${prefix}x!empty!r`, `${prefix}x!empty!r-0123456789abcdef/s`, `${prefix}!empty!r-0123456789abcdef`,
      'other/x!empty!r-0123456789abcdef']) {
      expect([key, recordKindOf(prefix, key)]).toEqual([key, undefined]);
    }
  });

  test('nothing an export writes reads as a marker: its objects are at least one level below its destination', () => {
    // An export aimed at the markers: its write-test object and its files.
    for (const key of [
      `${prefix}%2Fa!100/aws-logs-write-test`,
      `${prefix}%2Fa!100/0c8f-task/stream/000000.gz`,
      `${prefix}%2Fa/aws-logs-write-test`,
      `${prefix}aws-logs-write-test/x`,
      `${prefix}%2Fa!1!t!x`,
      `${prefix}%2Fa!!t`,
      `${prefix}`,
      'elsewhere/%2Fa!1!t',
    ]) expect([key, parseMarker(prefix, key)]).toEqual([key, undefined]);
  });
});

describe('export folders and task names', () => {
  const day = { start: Date.parse('2026-11-24T00:00:00Z'), end: Date.parse('2026-11-25T00:00:00Z') };

  test("a group's folder keeps its date folders whether its name starts with '/' or not", () => {
    expect(exportPrefix('exported-logs', '/aws/lambda/orders', day, 'P1D', 'UTC')).toBe('exported-logs/aws/lambda/orders/2026/11/24');
    expect(exportPrefix('exported-logs', 'app-audit', day, 'P1D', 'UTC')).toBe('exported-logs/app-audit/2026/11/24');
  });

  test("the state lives beside the exports, never below them: no group's folder reaches it; names with '.' or '..' segments are recognised", () => {
    for (const group of ['_state', '/_state/done/P1D', '//_state/x', '/aws/_state/lease.json']) {
      expect(exportPrefix('exported-logs', group, day, 'P1D', 'UTC').startsWith(`${STATE_FOLDER}/`)).toBe(false);
    }
    expect(stateRoot('exported-logs/111111111111/us-east-1')).toBe('_state/exported-logs/111111111111/us-east-1');
    expect(['/a/../b', '..', '/x/.', './y', '/a/b/..'].map(hasDotSegment)).toEqual([true, true, true, true, true]);
    expect(['/a/..b', '/a.b/c', '/...', '/.hidden'].map(hasDotSegment)).toEqual([false, false, false, false]);
  });

  test('task names carry the exporter, the window and the run; another exporter\'s or a foreign task is no one\'s', () => {
    const mine = taskPrefixOf('123456789012/us-east-1/logs-export-a/Stack/Exporter');
    const other = taskPrefixOf('123456789012/us-east-1/logs-export-b/Stack/Exporter');
    expect(mine).not.toBe(other);
    const name = taskName(mine, 'P1D', day, '0a1b2c3d4e5f');
    expect(parseTaskName(mine, 'P1D', name)).toEqual({ window: day.start, run: '0a1b2c3d4e5f' });
    // With the group's stored bytes, whatever the run id looks like.
    expect(parseTaskName(mine, 'P1D', taskName(mine, 'P1D', day, '123456789012', 42))).toEqual({ window: day.start, run: '123456789012', storedBytes: 42 });
    expect(parseTaskName(other, 'P1D', name)).toBeUndefined();
    expect(parseTaskName(mine, 'PT1H', name)).toBeUndefined();
    expect(parseTaskName(mine, 'P1D', 'nightly-backup')).toBeUndefined();
    // A name without a run is no task of this exporter's.
    expect(parseTaskName(mine, 'P1D', `${mine}-P1D-20261124T000000Z`)).toBeUndefined();
  });
});
