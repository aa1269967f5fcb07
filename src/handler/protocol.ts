/**
 * What the state machine and the handler say to each other, defined once: the construct builds
 * the state machine from these names, the handler answers with them. Pure: no I/O.
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
} as const;

/** Errors after which the state machine does not retry the turn. */
export const NOT_RETRIED = [ErrorName.INVALID_INPUT, ErrorName.PREFIX_IN_USE];

/** Name of the state machine's Lambda task: a redrive restarts there. */
export const EXPORT_STATE = 'Export';
