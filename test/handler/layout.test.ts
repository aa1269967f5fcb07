import { markerKey, markerName, parseMarker } from '../../src/handler/layout';

describe('done-markers', () => {
  const prefix = 'p/_state/done/P1D/20261124T000000Z/';

  test('sort like their group names whatever the durations, so one listing covers a page of groups', () => {
    // Every character a log group name may hold, and names that are prefixes of others.
    const names = ['a', 'a.b', 'a-b', 'a_b', 'a/b', 'a#b', 'aZ', 'a0', 'A', '/a', '/aws/lambda/x', '/aws/lambda/x-y', '/aws/lambda/x/y', 'z'];
    const byName = [...names].sort((x, y) => (markerName(x) < markerName(y) ? -1 : 1));
    const byKey = names.map((n, i) => ({ n, key: markerKey(prefix, n, (i * 7919) % 400_000) })).sort((x, y) => (x.key < y.key ? -1 : 1));
    expect(byKey.map((k) => k.n)).toEqual(byName);
  });

  test('read back to the encoded name and duration; a marker without a duration has none', () => {
    expect(parseMarker(prefix, markerKey(prefix, '/aws/lambda/x', 4_200.4))).toEqual({ name: '%2Faws%2Flambda%2Fx', durationMs: 4_200 });
    expect(parseMarker(prefix, `${prefix}%2Faws%2Flambda%2Fx`)).toEqual({ name: '%2Faws%2Flambda%2Fx' });
  });
});
