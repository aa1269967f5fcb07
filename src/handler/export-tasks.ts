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
import { ExporterConfig } from '../shared/config';
import { TaskOrigin, parseTaskName, taskName, taskPrefixOf } from '../shared/layout';
import { Window } from '../shared/windows';

/**
 * Active statuses, in the order a task goes through them: a task that moves on between two of
 * these queries is found by the second one, or has finished.
 */
const ACTIVE: ExportTaskStatusCode[] = ['PENDING', 'RUNNING', 'PENDING_CANCEL'];

/** Clock difference allowed between S3 (object times) and the handler. */
const CLOCK_SKEW_MS = 5 * 60_000;

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
   * its bucket and key prefix); undefined for anyone else's.
   */
  origin(task: ExportTask | undefined): TaskOrigin | undefined {
    const { period, bucket, keyPrefix } = this.config;
    if (task?.destination !== bucket || !task.destinationPrefix?.startsWith(`${keyPrefix}/`)) return undefined;
    return parseTaskName(this.taskPrefix, period, task.taskName);
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
