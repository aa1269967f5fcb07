import { recurrence } from '../../src/private/schedule-gaps';

const H = 3_600;
const D = 86_400;

test.each([
  ['rate(5 minutes)', 300, 300],
  ['rate(1 hour)', H, H],
  ['rate(2 days)', 2 * D, 2 * D],
  ['cron(0 1 * * ? *)', D, D],
  ['cron(20 * * * ? *)', H, H],
  ['cron(0/10 * * * ? *)', 600, 600],
  ['cron(0 8-17 ? * MON-FRI *)', 63 * H, H],
  ['cron(30 12 ? * SUN *)', 7 * D, 7 * D],
  ['cron(0 0 1 * ? *)', 31 * D, 28 * D],
  ['cron(0 0 L * ? *)', 31 * D, 28 * D],
  ['cron(0 3 ? * 6L *)', 35 * D, 28 * D],
  ['cron(0 3 ? * 2#1 *)', 35 * D, 28 * D],
  ['cron(0 9 15W * ? *)', 32 * D, 28 * D],
  ['cron(0 0,12 * JAN,JUL ? *)', 153.5 * D, 12 * H],
])('%s runs at most every %d s and at least every %d s', (expression, max, min) => {
  const r = recurrence(expression);
  expect([r.maxGapSeconds, r.minGapSeconds]).toEqual([max, min]);
});

test('a schedule that stops running', () => {
  expect(recurrence('at(2026-12-01T01:00:00)').maxGapSeconds).toBe(Infinity);
  expect(recurrence('cron(0 1 * * ? 2026)').maxGapSeconds).toBe(Infinity);
});

test.each([
  ['cron(0 1 * * *)', /must have 6 fields/],
  ['cron(0 1 * * MON *)', /one of day-of-month and day-of-week must be '\?'/],
  ['cron(61 1 * * ? *)', /'61' is not a value from 0 to 59/],
  ['cron(0 1 * FOO ? *)', /'FOO' is not a value from 1 to 12/],
  ['every day', /is not a cron\(\.\.\.\), rate\(\.\.\.\) or at\(\.\.\.\) expression/],
])('%s is refused: %s', (expression, message) => {
  expect(() => recurrence(expression)).toThrow(message);
});

test('L alone in day-of-week is the last day of the week (Saturday)', () => {
  expect(recurrence('cron(0 1 ? * L *)')).toEqual({ maxGapSeconds: 7 * D, minGapSeconds: 7 * D, runsPerDay: expect.closeTo(1 / 7, 2) });
});

test.each([
  ['cron(-5 1 * * ? *)', /'' is not a value from 0 to 59|goes backwards|is not a value/],
  ['cron(0 1, * * ? *)', /'' is not a value from 0 to 23/],
  ['cron(0 0x1 * * ? *)', /'0x1' is not a value from 0 to 23/],
  ['cron(0 1 ? * FRI-MON *)', /'FRI-MON' is a range that goes backwards/],
  ['rate(5 minute)', /5 takes 'minutes'/],
  ['rate(1 minutes)', /1 takes 'minute'/],
  ['rate(0 minutes)', /is not a cron/],
])('%s is refused as AWS refuses it', (expression, message) => {
  expect(() => recurrence(expression)).toThrow(message);
});
