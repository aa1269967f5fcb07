import { instantOf, lastWindowEndedBy, nextWindow, windowAt, windowId, windowPath, windowsBetween } from '../../src/handler/windows';

const iso = (t: number) => new Date(t).toISOString();

describe('windows', () => {
  test('a daily window is one calendar day of the zone: 23 hours in spring, 25 in autumn', () => {
    const spring = windowAt(Date.parse('2026-03-29T12:00:00Z'), 'P1D', 'Europe/Berlin');
    expect([iso(spring.start), iso(spring.end)]).toEqual(['2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z']);
    expect((spring.end - spring.start) / 3_600_000).toBe(23);
    const autumn = windowAt(Date.parse('2026-10-25T12:00:00Z'), 'P1D', 'Europe/Berlin');
    expect((autumn.end - autumn.start) / 3_600_000).toBe(25);
    expect(windowPath(autumn, 'P1D', 'Europe/Berlin')).toBe('2026/10/25');
  });

  test('US zone: the day after a DST change starts at the new offset', () => {
    const w = windowAt(Date.parse('2026-03-09T12:00:00Z'), 'P1D', 'America/New_York');
    expect(iso(w.start)).toBe('2026-03-09T04:00:00.000Z');
    const before = windowAt(w.start - 1, 'P1D', 'America/New_York');
    expect(iso(before.start)).toBe('2026-03-08T05:00:00.000Z');
    expect(nextWindow(before, 'P1D', 'America/New_York')).toEqual(w);
  });

  test('a local midnight that does not exist: the day starts at the end of the gap', () => {
    // Chile springs forward at 00:00 local on 2026-09-06: the day starts at 01:00 (-03).
    expect(iso(instantOf({ year: 2026, month: 9, day: 6, hour: 0, minute: 0 }, 'America/Santiago'))).toBe('2026-09-06T04:00:00.000Z');
  });

  test('hourly windows in a half-hour zone, and their paths', () => {
    const w = windowAt(Date.parse('2026-11-24T10:45:00Z'), 'PT1H', 'Asia/Kolkata');
    expect(iso(w.start)).toBe('2026-11-24T10:30:00.000Z');
    expect(windowPath(w, 'PT1H', 'Asia/Kolkata')).toBe('2026/11/24/16');
    expect(windowId(w)).toBe('20261124T103000Z');
  });

  test('the last window ended by an instant, at and between boundaries', () => {
    expect(iso(lastWindowEndedBy(Date.parse('2026-11-25T00:00:00Z'), 'P1D', 'UTC').start)).toBe('2026-11-24T00:00:00.000Z');
    expect(iso(lastWindowEndedBy(Date.parse('2026-11-25T13:00:00Z'), 'P1D', 'UTC').start)).toBe('2026-11-24T00:00:00.000Z');
  });

  test('windows between two instants, bounded', () => {
    const ws = windowsBetween(Date.parse('2026-11-01T00:00:00Z'), Date.parse('2026-11-10T00:00:00Z'), 'P1D', 'UTC', 100);
    expect(ws).toHaveLength(10);
    expect(() => windowsBetween(Date.parse('2026-11-01T00:00:00Z'), Date.parse('2026-11-10T00:00:00Z'), 'P1D', 'UTC', 5)).toThrow(/more than 5 windows/);
  });
});
