/**
 * What the state machine and the handler say to each other, defined once: the construct builds
 * the state machine from these names, the handler answers with them.
 *
 * Shared code (src/shared/): the construct, the handler and the coverage report import it, so it
 * imports no AWS SDK and no construct library, and does no I/O.
 */

/** What the state machine does after a turn (the `status` field of the handler's answer). */
export const Status = {
  /** Wait `waitSeconds`, then take another turn with the answer as input. */
  WAIT: 'WAIT',
  /** Start a new execution named `continuation` with `{ state }` as input, then succeed. */
  CONTINUE: 'CONTINUE',
  SUCCEEDED: 'SUCCEEDED',
  /** Fail the execution with `error` and `cause`. */
  FAILED: 'FAILED',
} as const;
export type Status = (typeof Status)[keyof typeof Status];

/** Field names of the handler's answer that the state machine reads (JSONPath `$.<field>`). */
export const Answer = {
  status: 'status',
  waitSeconds: 'waitSeconds',
  continuation: 'continuation',
  state: 'state',
  error: 'error',
  cause: 'cause',
} as const;

/** Error names an execution can end with. */
export const ErrorName = {
  /** The execution input cannot be run; the execution fails at once, without retries. */
  INVALID_INPUT: 'InvalidInput',
  /** Exports that failed after their retries; the cause names each (log group, window). */
  EXPORTS_FAILED: 'ExportsFailed',
  /** The exporter's key prefix in the bucket belongs to another exporter. */
  PREFIX_IN_USE: 'PrefixInUse',
  /** S3 denied the handler a permission it needs; the message names it and where it is granted. */
  PERMISSION_DENIED: 'PermissionDenied',
} as const;

/** Errors after which the state machine does not retry the turn. */
export const NOT_RETRIED = [ErrorName.INVALID_INPUT, ErrorName.PREFIX_IN_USE];

/** Name of the state machine's Lambda task: a redrive restarts there. */
export const EXPORT_STATE = 'Export';

/** Where the handler publishes its metrics (embedded metric format), read by the construct's alarms, metric methods and dashboard. */
export const METRICS_NAMESPACE = 'CloudWatchLogsS3Exporter';
/** The handler's service name: every metric has it as its `service` dimension. */
export const SERVICE_NAME = 'cloudwatch-logs-s3-exporter';
/** The dimension that tells exporters apart (its value: the exporter's identity). */
export const EXPORTER_DIMENSION = 'Exporter';

/** Names of the metrics the handler publishes. */
export const MetricName = {
  /** Exports started (count). */
  EXPORTS_STARTED: 'ExportsStarted',
  /** Exports completed and marked done (count). */
  EXPORTS_COMPLETED: 'ExportsCompleted',
  /** Exports that ended FAILED or CANCELLED and were tried again (count). */
  EXPORTS_RETRIED: 'ExportsRetried',
  /** (log group, window) pairs that failed after every attempt (count). */
  EXPORTS_FAILED: 'ExportsFailed',
  /** Export tasks found running or completed without a marker, and followed or marked (count). */
  EXPORTS_ADOPTED: 'ExportsAdopted',
  /** Turns spent waiting for another tool's export task (count). */
  FOREIGN_TASK_WAITS: 'ForeignTaskWaits',
  /** Turns that waited after throttling (count). */
  THROTTLED: 'Throttled',
  /** How long an export task took (seconds). */
  EXPORT_DURATION: 'ExportDuration',
  /** Seconds from the end of a window to the completion of its export. */
  EXPORT_LAG: 'ExportLag',
  /** Seconds from the end of the newest window exported for every selected group (the checkpoint) to now. */
  ARCHIVE_LAG: 'ArchiveLag',
  /** Settled windows not yet exported for every selected group. */
  WINDOWS_BEHIND: 'WindowsBehind',
  /** Share of a run's export periods its exports took, in percent (near 100: the exports no longer fit). */
  CAPACITY_USED: 'ExportCapacityUsed',
  /** Log groups a scheduled run selected (0: the selection matched nothing). */
  GROUPS_SELECTED: 'GroupsSelected',
  /** Names the selection gives that no log group has, per scheduled run. */
  GROUPS_NOT_FOUND: 'GroupsNotFound',
  /** Selected log groups whose retention removes events before the schedule exports them, per scheduled run. */
  GROUPS_RETENTION_AT_RISK: 'GroupsRetentionAtRisk',
  /** Settled windows scheduled runs left behind (beyond maxCatchUp) and no backfill has exported yet, per scheduled run. */
  WINDOWS_ABANDONED: 'WindowsAbandoned',
  /** Offload: PutRetentionPolicy (or DeleteRetentionPolicy) calls that changed a selected group's retention (count). */
  RETENTION_CHANGED: 'RetentionChanged',
  /** Offload: retention changes that failed after retries (count): the group keeps the retention it had, which may be too short or too long. */
  RETENTION_NOT_CHANGED: 'RetentionNotChanged',
  /** Offload: bytes stored in CloudWatch Logs by the groups whose retention the exporter manages, per scheduled run. */
  MANAGED_STORED_BYTES: 'ManagedStoredBytes',
  /**
   * Offload: an estimate of the bytes the managed groups would store beyond what they do, at the
   * retention they had before offload (their bytes a day, times the days of difference), per scheduled run.
   */
  OFFLOADED_BYTES: 'OffloadedBytes',
} as const;
export type MetricName = (typeof MetricName)[keyof typeof MetricName];
