import { MAX_SPANS, addSpan, allowedRetention, firstUncovered, wantedRetention } from '../../src/shared/retention';

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-01T01:00:00Z');
const base = { targetDays: 7, headroomMs: 4 * DAY, lagMs: 3.75 * DAY, now: NOW };

test('allowed values: the smallest at least the days asked, none past ten years', () => {
  expect([0.5, 1, 2, 7, 8, 366, 3653].map(allowedRetention)).toEqual([1, 1, 3, 7, 14, 400, 3653]);
  expect(allowedRetention(3654)).toBeUndefined();
});

test('spans merge when they overlap or touch, and the oldest go past the limit', () => {
  expect(addSpan(addSpan([], 10, 20), 20, 30)).toEqual([[10, 30]]);
  expect(addSpan([[10, 20], [30, 40]], 15, 35)).toEqual([[10, 40]]);
  expect(addSpan([[10, 20]], 5, 5)).toEqual([[10, 20]]);
  let spans: Array<[number, number]> = [];
  for (let i = 0; i < MAX_SPANS + 5; i++) spans = addSpan(spans, i * 10, i * 10 + 5);
  expect(spans).toHaveLength(MAX_SPANS);
  expect(spans[0][0]).toBe(50);
  expect(firstUncovered([[10, 20], [20, 30], [40, 50]], 15)).toBe(30);
  expect(firstUncovered([[10, 20]], 5)).toBe(5);
});

describe('the retention a group should have', () => {
  const created = NOW - 10 * DAY;
  const archivedUpTo = (t: number) => ({ original: null, created, spans: [[created, t]] as Array<[number, number]> });

  test('archived up to a day ago: the target', () => {
    expect(wantedRetention({ ...base, created, entry: archivedUpTo(NOW - DAY) })).toBe(7);
  });

  test('the oldest event not archived ages: longer, then what the group had once past the alarm threshold', () => {
    expect(wantedRetention({ ...base, created, entry: archivedUpTo(NOW - 3.5 * DAY) })).toBe(14);
    expect(wantedRetention({ ...base, created, entry: archivedUpTo(NOW - 4 * DAY) })).toBeNull();
    expect(wantedRetention({ ...base, created, entry: { ...archivedUpTo(NOW - 4 * DAY), original: 30 } })).toBe(30);
  });

  test('never longer than the group had', () => {
    expect(wantedRetention({ ...base, created, entry: { ...archivedUpTo(NOW - 3.5 * DAY), original: 5 } })).toBe(5);
  });

  test('nothing recorded: the history is not archived, the group keeps its retention', () => {
    expect(wantedRetention({ ...base, created, currentDays: 30 })).toBe(30);
    expect(wantedRetention({ ...base, created })).toBeNull();
  });

  test('what the current retention removed already needs no archive; neither does history the user gave up', () => {
    const entry = { original: null, created, spans: [[NOW - 3 * DAY, NOW - DAY]] as Array<[number, number]> };
    expect(wantedRetention({ ...base, created, entry, currentDays: 3 })).toBe(7);
    expect(wantedRetention({ ...base, created, entry })).toBeNull();
    expect(wantedRetention({ ...base, created, entry, archivedBefore: NOW - 3 * DAY })).toBe(7);
  });

  test('a group created again since its record: the record counts for nothing', () => {
    expect(wantedRetention({ ...base, created: NOW - 5 * DAY, entry: archivedUpTo(NOW - DAY) })).toBeNull();
  });
});
