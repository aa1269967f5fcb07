import { Duration } from 'aws-cdk-lib';
import { parseConfig, parseRunInput, scheduledWindows } from '../../src/shared/config';
import { testConfig } from '../harness/config';

const config = testConfig();
const NOW = Date.parse('2026-11-25T13:00:00Z');
const iso = (t: number) => new Date(t).toISOString();

describe('execution input', () => {
  test('scheduled input: the scheduled time is the run\'s now', () => {
    expect(parseRunInput({ scheduledTime: '2026-11-25T01:00:00Z' }, config, NOW)).toEqual({ mode: 'scheduled', now: Date.parse('2026-11-25T01:00:00Z'), reexport: false });
    expect(parseRunInput({}, config, NOW).now).toBe(NOW);
  });

  test('a backfill of a range, limited to some groups, re-exporting', () => {
    const r = parseRunInput({ startDate: '2026-11-01', endDate: '2026-11-20', logGroupNames: ['/b', '/a', '/a'], reexport: true }, config, NOW);
    expect(r).toMatchObject({ mode: 'backfill', first: Date.parse('2026-11-01T00:00:00Z'), last: Date.parse('2026-11-20T00:00:00Z'), names: ['/a', '/b'], reexport: true });
  });

  test.each([
    ['not an object', [1], /must be a JSON object/],
    ['unknown field', { scheduledTime: '2026-11-25T01:00:00Z', force: true }, /unknown field 'force'/],
    ['bad scheduled time', { scheduledTime: 'yesterday' }, /'scheduledTime' must be an ISO 8601 time/],
    ['a number for a scheduled time', { scheduledTime: '1' }, /'scheduledTime' must be an ISO 8601 time/],
    ['a scheduled time without a zone', { scheduledTime: '2026-11-25T01:00:00' }, /'scheduledTime' must be an ISO 8601 time/],
    ['a scheduled time in 2062', { scheduledTime: '2062-11-25T01:00:00Z' }, /'scheduledTime' \(2062-11-25T01:00:00Z\) is in the future/],
    ['a scheduled time ten minutes ahead', { scheduledTime: '2026-11-25T13:10:00Z' }, /is in the future/],
    ['wrong date format', { startDate: '2026/11/01', endDate: '2026-11-02' }, /'startDate' must be a date 'YYYY-MM-DD' in UTC/],
    ['impossible date', { startDate: '2026-02-30', endDate: '2026-03-02' }, /'startDate' is not a real date/],
    ['missing end', { startDate: '2026-11-01' }, /'endDate' must be a date/],
    ['hour on a daily exporter', { startDate: '2026-11-01T05', endDate: '2026-11-02' }, /'startDate' must be a date 'YYYY-MM-DD' in UTC/],
    ['reversed range', { startDate: '2026-11-10', endDate: '2026-11-01' }, /'endDate' \(2026-11-01\) is before 'startDate' \(2026-11-10\)/],
    ['range not settled yet', { startDate: '2026-11-20', endDate: '2026-11-25' }, /'endDate' \(2026-11-25\) is too recent/],
    ['too long a range', { startDate: '2023-01-01', endDate: '2026-11-01' }, /spans more than 1000 export windows/],
    ['bad group name', { startDate: '2026-11-01', endDate: '2026-11-02', logGroupNames: ['a b'] }, /'logGroupNames' holds "a b"/],
    ['empty group list', { startDate: '2026-11-01', endDate: '2026-11-02', logGroupNames: [] }, /'logGroupNames' must be a non-empty array/],
    ['reexport not boolean', { startDate: '2026-11-01', endDate: '2026-11-02', reexport: 'yes' }, /'reexport' must be true or false/],
  ])('%s is rejected with a message naming the field', (_n, input, message) => {
    expect(() => parseRunInput(input, config, NOW)).toThrow(message);
    try {
      parseRunInput(input, config, NOW);
    } catch (e) {
      expect((e as Error).name).toBe('InvalidInput');
    }
  });

  test('hourly exporters given plain dates export whole days: endDate through its last hour', () => {
    const r = parseRunInput({ startDate: '2026-11-23', endDate: '2026-11-24' }, { ...config, period: 'PT1H', timeZone: 'Asia/Tokyo', settleSeconds: 0 }, NOW);
    expect(r.windows!.map((w) => iso(w.start))[0]).toBe('2026-11-22T15:00:00.000Z');
    expect(r.windows!.map((w) => iso(w.start)).pop()).toBe('2026-11-24T14:00:00.000Z');
    expect(r.windows).toHaveLength(48);
  });

  test('hourly exporters take hours', () => {
    const r = parseRunInput({ startDate: '2026-11-24T05', endDate: '2026-11-24T07' }, { ...config, period: 'PT1H', timeZone: 'Asia/Tokyo' }, NOW);
    expect(iso(r.first!)).toBe('2026-11-23T20:00:00.000Z');
  });
});

describe('scheduled windows (catch-up and settle time)', () => {
  test('first run: only the latest settled window', () => {
    expect(scheduledWindows(NOW, undefined, config).map((w) => iso(w.start))).toEqual(['2026-11-24T00:00:00.000Z']);
  });

  test('one hour after a window ends it is not settled yet', () => {
    const ws = scheduledWindows(Date.parse('2026-11-25T01:00:00Z'), Date.parse('2026-11-24T00:00:00Z'), config);
    expect(ws.map((w) => iso(w.start))).toEqual([]);
  });

  test('catch-up: every window since the checkpoint, at most maxCatchUp back', () => {
    expect(scheduledWindows(NOW, Date.parse('2026-11-21T00:00:00Z'), config).map((w) => iso(w.start)))
      .toEqual(['2026-11-21T00:00:00.000Z', '2026-11-22T00:00:00.000Z', '2026-11-23T00:00:00.000Z', '2026-11-24T00:00:00.000Z']);
    expect(scheduledWindows(NOW, Date.parse('2026-01-01T00:00:00Z'), config)).toHaveLength(14);
  });

  test.each([
    ['daily, 1 day, default settle time and schedule', {}, Duration.days(1), '2026-11-25T01:00:00Z', 1],
    ['hourly, 12 hours', { period: 'PT1H' as const }, Duration.hours(12), '2026-11-25T01:10:00Z', 12],
  ])('maxCatchUp counts back from the latest settled window (%s): missed windows within it are exported', (_n, overrides, maxCatchUp, at, expected) => {
    const c = { ...config, ...overrides, maxCatchUpSeconds: maxCatchUp.toSeconds() };
    // The last complete run was a week ago.
    const ws = scheduledWindows(Date.parse(at), Date.parse('2026-11-18T00:00:00Z'), c);
    expect(ws).toHaveLength(expected);
    expect(ws[ws.length - 1].end).toBeLessThanOrEqual(Date.parse(at) - c.settleSeconds * 1000);
  });

  test('a checkpoint in the future (it cannot be right) catches up as far as maxCatchUp allows', () => {
    expect(scheduledWindows(NOW, Date.parse('2062-11-25T00:00:00Z'), config)).toHaveLength(14);
  });
});

test('the configuration a turn gets is validated', () => {
  expect(() => parseConfig(undefined)).toThrow(/the exporter's configuration is incomplete/);
  expect(() => parseConfig({ ...config, lambdaTimeoutSeconds: '330' })).toThrow(/the exporter's configuration is incomplete/);
  expect(() => parseConfig({ ...config, timeZone: 'Nowhere/City' })).toThrow(/Unknown time zone 'Nowhere\/City'/);
  expect(parseConfig(config)).toEqual(config);
});

test('a list of names known only at deploy time is read as exact sources: trimmed, each once; one too long for a run fails at once', () => {
  const listed = parseConfig({ ...config, sources: [{ prefix: '/ecs/' }, { names: '/aws/lambda/a, app-audit,,/aws/lambda/a' }] });
  expect(listed.sources).toEqual([{ prefix: '/ecs/' }, { prefix: '/aws/lambda/a', exact: true }, { prefix: 'app-audit', exact: true }]);
  // An empty list selects nothing (the run then says so).
  expect(parseConfig({ ...config, sources: [{ names: '' }] }).sources).toEqual([]);
  const many = Array.from({ length: 2_000 }, (_, i) => `/aws/lambda/a-function-with-a-rather-long-name-number-${i}`).join(',');
  expect(() => parseConfig({ ...config, sources: [{ names: many }] }))
    .toThrow(/the exporter's logGroups names more log groups than a run can carry \(\d+ characters of names, at most 100000\): select them by prefixes instead/);
});
