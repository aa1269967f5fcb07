import { instantOf, lastWindowEndedBy, localTime, nextWindow, windowAt, windowId, windowPath, windowStarts, windowsBetween } from '../../src/shared/windows';

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

describe('windows partition time in every time zone, across every clock change', () => {
  const HOUR = 3_600_000;
  const DAY = 24 * HOUR;
  const FROM = Date.parse('2025-01-01T00:00:00Z');
  const TO = Date.parse('2028-01-01T00:00:00Z');
  const offset = (t: number, zone: string) => {
    const l = localTime(t, zone);
    return Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute) - t;
  };
  /** UTC midnights after which the zone's offset changes within a day, 2025 to 2027. */
  function changes(zone: string): number[] {
    const out: number[] = [];
    let before = offset(FROM, zone);
    for (let t = FROM + DAY; t < TO; t += DAY) {
      const now = offset(t, zone);
      if (now !== before) out.push(t - DAY);
      before = now;
    }
    return out;
  }

  test('Australia/Lord_Howe (30-minute shifts): consecutive hours never overlap', () => {
    // Daylight saving ends at 02:00 +11 (15:00Z) on 2026-04-04, when the clock goes back to 01:30 +10:30.
    const hours = windowsBetween(Date.parse('2026-04-04T12:00:00Z'), Date.parse('2026-04-04T18:00:00Z'), 'PT1H', 'Australia/Lord_Howe', 20);
    for (let i = 1; i < hours.length; i++) expect(hours[i].start).toBe(hours[i - 1].end);
    const around = hours.find((h) => h.start <= Date.parse('2026-04-04T15:00:00Z') && Date.parse('2026-04-04T15:00:00Z') < h.end)!;
    expect([iso(around.start), iso(around.end)]).toEqual(['2026-04-04T14:00:00.000Z', '2026-04-04T15:30:00.000Z']);
  });

  test.each(['P1D', 'PT1H'] as const)('%s: consecutive, no overlap, every instant in the window windowAt gives, distinct ids', (period) => {
    let checkedChanges = 0;
    for (const zone of Intl.supportedValuesOf('timeZone')) {
      for (const day of changes(zone)) {
        checkedChanges += 1;
        const margin = period === 'P1D' ? DAY : 6 * HOUR;
        const from = day - margin;
        const to = day + DAY + margin;
        const ws = windowsBetween(from, to, period, zone, 1000);
        const ids = new Set(ws.map(windowId));
        const where = `${zone} near ${iso(day)}`;
        expect([where, ids.size]).toEqual([where, ws.length]);
        for (let i = 0; i < ws.length; i++) {
          expect([where, ws[i].start < ws[i].end]).toEqual([where, true]);
          if (i > 0) expect([where, ws[i].start]).toEqual([where, ws[i - 1].end]);
        }
        for (const win of ws) {
          for (const t of [win.start, Math.floor((win.start + win.end) / 2), win.end - 1]) {
            const w = windowAt(t, period, zone);
            if (w.start !== win.start || w.end !== win.end) throw new Error(`${where}: windowAt(${iso(t)}) = [${iso(w.start)}, ${iso(w.end)})`);
          }
        }
        if (period === 'P1D') {
          // One folder per calendar day, in order.
          const paths = ws.map((w) => windowPath(w, period, zone));
          expect([where, [...paths].sort()]).toEqual([where, paths]);
          expect([where, new Set(paths).size]).toEqual([where, paths.length]);
        }
      }
    }
    expect(checkedChanges).toBeGreaterThan(300);
  });
});

test.each([
  ['P1D', 'Europe/Berlin'], ['PT1H', 'Europe/Berlin'], ['PT1H', 'America/New_York'], ['PT1H', 'Australia/Lord_Howe'], ['P1D', 'America/Santiago'],
  ['PT1H', 'Asia/Kolkata'], ['PT1H', 'UTC'],
] as const)('windowStarts over a year (%s, %s): the starts windowsBetween gives', (period, zone) => {
  const [from, to] = [Date.parse('2026-01-01T00:00:00Z'), Date.parse('2027-01-10T00:00:00Z')];
  const expected = windowsBetween(from, to, period, zone, 20_000).map((w) => w.start).filter((t) => t >= from && t < to);
  expect(windowStarts(from, to, period, zone)).toEqual(expected);
});
