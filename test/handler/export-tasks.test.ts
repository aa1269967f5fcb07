/**
 * A task is the exporter's export of a (group, window) by everything about it, not by its name:
 * anyone allowed to create export tasks can copy the name.
 */
import { ExportTask } from '@aws-sdk/client-cloudwatch-logs';
import { ExportTasks } from '../../src/handler/export-tasks';
import { Group } from '../../src/handler/run-state';
import { exportPrefix, taskName, taskPrefixOf } from '../../src/shared/layout';
import { windowAt } from '../../src/shared/windows';
import { testConfig } from '../harness/config';

const config = testConfig();
const tasks = new ExportTasks({} as any, {} as any, config);
const window = windowAt(Date.parse('2026-11-24T00:00:00Z'), 'P1D', 'UTC');
const group: Group = { name: '/aws/lambda/orders', created: 0 };
const created = Date.parse('2026-11-25T01:00:05Z');

/** The task the exporter itself creates for the group's window, with `changes`. */
function task(changes: Partial<ExportTask> = {}): ExportTask {
  return {
    taskId: 't-1',
    taskName: taskName(taskPrefixOf(config.exporterId), 'P1D', window, 'abc123', 42),
    logGroupName: group.name,
    from: window.start,
    to: window.end - 1,
    destination: config.bucket,
    destinationPrefix: exportPrefix(config.keyPrefix, group.name, window, 'P1D', 'UTC'),
    status: { code: 'COMPLETED' },
    executionInfo: { creationTime: created },
    ...changes,
  };
}

test("the exporter's own task is its export of the window", () => {
  expect(tasks.exportOf(task(), group)).toEqual({ window: window.start, run: 'abc123', storedBytes: 42 });
});

test.each<[string, Partial<ExportTask>, Group?]>([
  ['a sliver: its first millisecond only', { to: window.start }],
  ['the window less its first hour', { from: window.start + 3_600_000 }],
  ['a range that ends early', { to: window.end - 2 }],
  ['a range past the window', { to: window.end }],
  ['another folder under the key prefix', { destinationPrefix: 'exported-logs/forged/2026/11/24' }],
  ["another window's folder", { destinationPrefix: exportPrefix(config.keyPrefix, group.name, windowAt(window.start - 1, 'P1D', 'UTC'), 'P1D', 'UTC') }],
  ['another bucket', { destination: 'other-bucket' }],
  ["another group's export into this group's folder", { logGroupName: '/aws/lambda/other' }],
  ['a name whose window is not a window of the exporter', { taskName: `${taskPrefixOf(config.exporterId)}-P1D-20261124T010000Z-abc123` }],
  ['no creation time to check a clip against', { executionInfo: {} }],
])('not its export: %s', (_what, changes) => {
  expect(tasks.exportOf(task(changes), group)).toBeUndefined();
});

test("a clip is the exporter's own only where it would clip: notBefore, or a retention the group had when the task was created", () => {
  const notBefore = window.start + 6 * 3_600_000;
  expect(tasks.exportOf(task({ from: notBefore }), group, notBefore)).toBeDefined();
  expect(tasks.exportOf(task({ from: notBefore + 1 }), group, notBefore)).toBeUndefined();
  // One day of retention: the exporter starts an hour after what the group still holds, worked out moments before creation.
  const short: Group = { ...group, retentionDays: 1 };
  const clip = created - 86_400_000 + 3_600_000;
  expect(tasks.exportOf(task({ from: clip - 2_000 }), short)).toBeDefined();
  expect(tasks.exportOf(task({ from: clip + 60_000 }), short)).toBeUndefined();
  expect(tasks.exportOf(task({ from: clip - 3_600_000 }), short)).toBeUndefined();
  // The group's retention may have changed since the task was created: a clip by any retention CloudWatch Logs offers is its own.
  expect(tasks.exportOf(task({ from: clip - 2_000 }), group)).toBeDefined();
  expect(tasks.exportOf(task({ from: clip - 2_000 }), { ...group, retentionDays: 30 })).toBeDefined();
  // A start no retention explains is not.
  expect(tasks.exportOf(task({ from: clip - 20 * 60_000 }), group)).toBeUndefined();
});
