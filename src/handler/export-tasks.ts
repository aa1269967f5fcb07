/**
 * CloudWatch Logs export tasks: create, describe, and find the ones that already exist for a
 * (log group, window), whoever created them.
 *
 * An export task leaves two traces besides its status: CloudWatch Logs writes
 * `<destinationPrefix>/aws-logs-write-test` when the task is created, and its files under
 * `<destinationPrefix>/<taskId>/` before the task is COMPLETED. So a (log group, window) whose
 * destination has no write-test object written since a run began was not touched by that run,
 * and a task that is no longer active has written all it will write.
 */
import {
  CloudWatchLogsClient, CreateExportTaskCommand, DescribeExportTasksCommand, ExportTask, ExportTaskStatusCode,
} from '@aws-sdk/client-cloudwatch-logs';
import { BucketAccess } from './bucket-access';
import { exportRange } from './cursor';
import { Group } from './run-state';
import { ExporterConfig } from '../shared/config';
import { TaskOrigin, exportPrefix, hasDotSegment, parseTaskName, taskName, taskPrefixOf } from '../shared/layout';
import { Window, windowAt } from '../shared/windows';

/**
 * Active statuses, in the order a task goes through them: a task that moves on between two of
 * these queries is found by the second one, or has finished.
 */
const ACTIVE: ExportTaskStatusCode[] = ['PENDING', 'RUNNING', 'PENDING_CANCEL'];

/** Clock difference allowed between S3 (object times) and the handler. */
const CLOCK_SKEW_MS = 5 * 60_000;
/** Pages of the account's completed tasks looked through at most for one that left no files (50 tasks a page). */
const MAX_SCAN_PAGES = 20;
/**
 * How far a task's `from` may lie from where the exporter's own clip by retention puts it: the
 * clip is worked out moments before the task is created, from the handler's clock.
 */
const CLIP_SKEW_MS = 5 * 60_000;
/**
 * The retention periods CloudWatch Logs offers (days): a group's retention may have changed since
 * its task was created, so a clip by any of them is the exporter's own.
 */
const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

export interface Destination {
  /** Whether a task was created for the destination since the given time (its write-test object). */
  readonly touchedSince: boolean;
  /** Ids of the tasks whose files are there. */
  readonly taskIds: string[];
}

export interface NewTask {
  readonly group: string;
  readonly window: Window;
  readonly from: number;
  readonly to: number;
  readonly destinationPrefix: string;
  /** The run creating it: its id is in the task's name. */
  readonly run: string;
  /** The group's stored bytes as the run listed them, in the task's name too (its done-marker records them). */
  readonly bytes?: number;
}

export class ExportTasks {
  /** Names of this exporter's tasks start with this. */
  private readonly taskPrefix: string;

  constructor(private readonly logs: CloudWatchLogsClient, private readonly bucket: BucketAccess, private readonly config: ExporterConfig) {
    this.taskPrefix = taskPrefixOf(config.exporterId);
  }

  /** Starts an export; returns its task id. CloudWatch Logs' errors (LimitExceededException, ...) are thrown. */
  async create(t: NewTask): Promise<string> {
    const res = await this.logs.send(new CreateExportTaskCommand({
      taskName: taskName(this.taskPrefix, this.config.period, t.window, t.run, t.bytes),
      logGroupName: t.group,
      from: t.from,
      to: t.to,
      destination: this.config.bucket,
      destinationPrefix: t.destinationPrefix,
    }));
    return res.taskId!;
  }

  async describe(taskId: string): Promise<ExportTask | undefined> {
    return (await this.logs.send(new DescribeExportTasksCommand({ taskId }))).exportTasks?.[0];
  }

  /** The account's active export task (at most one exists), whoever started it. */
  async active(): Promise<ExportTask | undefined> {
    for (const statusCode of ACTIVE) {
      const res = await this.logs.send(new DescribeExportTasksCommand({ statusCode }));
      if (res.exportTasks?.length) return res.exportTasks[0];
    }
    return undefined;
  }

  /**
   * What a task's name says when it is one of this exporter's tasks (named by it, exporting into
   * its bucket and key prefix); undefined for anyone else's. A name is no proof: see {@link exportOf}.
   */
  origin(task: ExportTask | undefined): TaskOrigin | undefined {
    const { period, bucket, keyPrefix } = this.config;
    if (task?.destination !== bucket || !task.destinationPrefix?.startsWith(`${keyPrefix}/`)) return undefined;
    return parseTaskName(this.taskPrefix, period, task.taskName);
  }

  /**
   * The window a task exports when it is this exporter's export of `group`'s window, checked
   * against everything that makes it that export, not only its name (which anyone allowed to
   * create export tasks can copy): the window is one of the exporter's windows; the task exports
   * that group into this bucket, into that window's folder; its range ends where the window ends
   * and starts where the window starts, or where the exporter itself would clip it (`notBefore`,
   * the group's retention when the task was created). Undefined for any other task: it is never
   * followed as the export, nor marked done.
   */
  exportOf(task: ExportTask | undefined, group: Group | undefined, notBefore?: number): TaskOrigin | undefined {
    const origin = this.origin(task);
    if (!task || !origin || !group || task.logGroupName !== group.name || hasDotSegment(group.name)) return undefined;
    const { period, timeZone, keyPrefix } = this.config;
    const window = windowAt(origin.window, period, timeZone);
    if (window.start !== origin.window || task.destinationPrefix !== exportPrefix(keyPrefix, group.name, window, period, timeZone)) return undefined;
    const created = task.executionInfo?.creationTime;
    if (created === undefined || task.from === undefined || task.to !== window.end - 1 || task.from < window.start) return undefined;
    // Where the exporter would start it: the window's start, notBefore, or its clip by the group's retention then (the
    // retention it has now, or any other if it changed since), worked out moments before the task was created.
    const clippedBy = (g: Group) => {
      const earliest = exportRange(g, window, created - CLIP_SKEW_MS, notBefore)?.from;
      const latest = exportRange(g, window, created, notBefore)?.from;
      return earliest !== undefined && latest !== undefined && task.from! >= earliest && task.from! <= latest;
    };
    const retentions = [group.retentionDays, ...RETENTION_DAYS].filter((d): d is number => d !== undefined);
    const clipped = clippedBy({ ...group, retentionDays: undefined }) || retentions.some((retentionDays) => clippedBy({ ...group, retentionDays }));
    return task.from === window.start || clipped ? origin : undefined;
  }

  /**
   * This exporter's completed export of a group's window created since `since` (of run `run`,
   * when given), looked for among the account's completed tasks: the way to find one that wrote
   * no files (its window had no events), whose destination holds only the write-test object. The
   * API documents no order; the search stops at a page of tasks all created before `since` (after
   * a page or two, when the service lists newest first, as it appears to) or after 20 pages. A task
   * it misses is exported again, which writes no file either.
   */
  async completedSince(group: Group, window: Window, since: number, notBefore?: number, run?: string): Promise<ExportTask | undefined> {
    let token: string | undefined;
    for (let page = 0; page < MAX_SCAN_PAGES; page++) {
      const res = await this.logs.send(new DescribeExportTasksCommand({ statusCode: 'COMPLETED', nextToken: token }));
      const tasks = res.exportTasks ?? [];
      const found = tasks.find((t) => {
        const origin = this.exportOf(t, group, notBefore);
        return origin?.window === window.start && (run === undefined || origin.run === run);
      });
      if (found) return found;
      token = res.nextToken;
      if (!token || tasks.every((t) => (t.executionInfo?.creationTime ?? 0) < since - CLOCK_SKEW_MS)) return undefined;
    }
    return undefined;
  }

  /** What the destination of a (log group, window) holds: traces of tasks created for it. */
  async atDestination(destinationPrefix: string, since: number): Promise<Destination> {
    const prefix = `${destinationPrefix}/`;
    const taskIds: string[] = [];
    let touchedSince = false;
    let token: string | undefined;
    do {
      const res = await this.bucket.list({ Prefix: prefix, Delimiter: '/', ContinuationToken: token });
      for (const o of res.Contents ?? []) {
        if (o.Key === `${prefix}aws-logs-write-test` && (o.LastModified?.getTime() ?? Infinity) >= since - CLOCK_SKEW_MS) touchedSince = true;
      }
      taskIds.push(...(res.CommonPrefixes ?? []).map((p) => p.Prefix!.slice(prefix.length, -1)));
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return { touchedSince, taskIds };
  }
}
