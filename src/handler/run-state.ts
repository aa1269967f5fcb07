/**
 * The state a run carries from turn to turn (through the state machine), and its small types.
 * Pure: no I/O.
 *
 * Nothing in it is trusted as the truth about what was exported: a turn can be replayed with an
 * older copy (a retry, a redrive), so what is done is read from the done-markers and the
 * account's export tasks; the state says where to look next.
 */

/** A log group as the run needs it: name, creation time (ms), retention in days. */
export interface Group {
  readonly name: string;
  readonly created: number;
  readonly retentionDays?: number;
  /** DescribeLogGroups' storedBytes when the page was listed. */
  readonly bytes?: number;
  /** The newest event DescribeLogStreams knew of (ms; null: none), and when it was asked (ms): asked once a run at most. */
  readonly lastEvent?: number | null;
  readonly checkedAt?: number;
}

/** Where a run is: the current page of log groups and a position in it. */
export interface CursorState {
  /** Index of the current source of log groups (a prefix, a name, or all groups). */
  source: number;
  /** DescribeLogGroups token of the page after the current one. */
  token?: string;
  /** The last name DescribeLogGroups returned on the current page: listing resumes after it when the token has expired. */
  listedUpTo?: string;
  /** The current page (at most 250 groups), sorted by marker name; absent until listed. */
  page?: Group[];
  /**
   * Set once the page's groups that need it have been checked for events (see `activity.ts`):
   * nothing on a page is exported or skipped as idle before.
   */
  surveyed?: boolean;
  /** Page indexes still to check. */
  toCheck?: number[];
  /** Set when the page after this one is not to be listed ahead (the last page, or the state would grow too large). */
  noAhead?: boolean;
  /**
   * Offload: groups of the page whose retention was raised where it had to be when the page was
   * entered (true: all), and whose archived windows were confirmed and retention set once every
   * window of the page was done (a count: how many so far).
   */
  raised?: boolean;
  settled?: number;
  /** Index of the current window in the run's windows, and of the current group in the page. */
  window: number;
  group: number;
}

/**
 * What a run holding the lease records in it: its page and position, at every new page and lease
 * renewal. If the run dies, the run that takes the lease over walks on from here to finish the
 * export the dead run may have left without a done-marker.
 */
export interface Snapshot {
  readonly run: string;
  readonly startedAt: number;
  readonly reexport: boolean;
  readonly windows: number[];
  readonly page: Group[];
  /** Whether the page's checks were complete: the run exports nothing on a page before it records that. */
  readonly surveyed?: boolean;
  readonly window: number;
  readonly group: number;
  /** How the run's windows are cut, and its `notBefore`: a walk on from the position looks where the run exported. */
  readonly cut?: RunState['cut'];
  readonly notBefore?: number;
}

/** What the lease says of a position's page: its first group, and whether its checks were complete. */
export function pageKey(snapshot: Snapshot | undefined): string | undefined {
  return snapshot && `${snapshot.page[0]?.name ?? ''} ${snapshot.surveyed ? 'surveyed' : 'unsurveyed'}`;
}

/** The export task in flight. */
export interface Active {
  readonly taskId: string;
  readonly group: string;
  readonly window: number;
  /** When this run first saw the task (ms). */
  readonly since: number;
  /** How long the task is expected to take (ms), from the group's export of the window before. */
  readonly expectedMs?: number;
}

/** What the done-markers say about the current page and window. */
export interface Marks {
  /** Page indexes already exported for the window, or recorded as without events in it. */
  readonly done: number[];
  /** Per page index, how long the export of the window before took (ms; 0 when unknown). */
  readonly expectedMs: number[];
}

export interface Failure {
  readonly logGroupName: string;
  readonly window: string;
  readonly reason: string;
}

export interface Stats {
  exported: number;
  skipped: number;
  /** (group, window) pairs without events, not exported. */
  empty: number;
  retried: number;
  adopted: number;
  /** (group, window) pairs whose group was deleted (or created again) before the window was exported. */
  deleted: number;
  /** (group, window) pairs whose events the group's retention had all removed before the export. */
  expired: number;
  /** Exports of part of a window only: the group's retention had removed the rest. */
  partial: number;
}

/** Names kept in a run's findings at most (each list also has its count). */
export const MAX_NAMES_KEPT = 100;

/** What a scheduled run finds about the selection as it goes (recorded and published when it ends). */
export interface Selection {
  /** Groups on the pages the run went through. */
  groups: number;
  /** Names given by the selection that no group has. */
  notFound: string[];
  notFoundCount: number;
  /** Groups whose retention removes events before the schedule exports them, with their retention. */
  atRisk: Array<{ logGroupName: string; retentionInDays: number }>;
  atRiskCount: number;
  /** Offload: bytes the managed groups of the pages settled so far store, and an estimate of those their retention before offload would keep besides. */
  managedBytes?: number;
  offloadedBytes?: number;
}

export interface LeaseHeld {
  /** ETag of the lease object as this run last wrote it. */
  readonly etag: string;
  /** When it was written (ms). */
  readonly at: number;
  /** The page it recorded ({@link pageKey}), to record the next one. */
  readonly page?: string;
}

/**
 * What a run carries from turn to turn. Its flags, in a word each:
 *
 * - `careful`: this state may be older than what was done with it (a retried or redriven turn):
 *   confirm each export against the bucket and the export tasks before starting it.
 * - `carefulPast`: where `careful` ends at the earliest (the last group an earlier attempt reached).
 * - `checkActive`: look for this exporter's running export task (and follow it) before anything else.
 * - `fenceUntil`: no turn works before this instant (an earlier invocation may still run until then).
 * - `recovery`: positions of runs that died holding the lease, to walk on from first.
 * - `clean`: windows without any done-marker when the run took the lease (no listing needed).
 * - `ahead`: the next page of groups, listed and checked while an export ran.
 * - `notBefore`: nothing before this instant is exported (the checkpoint after a change of zone or period).
 * - `lock`: the bucket's default Object Lock mode (state objects are written with a day's retention of it).
 * - `leftBehind`: the time between the checkpoint and this scheduled run's first window, beyond `maxCatchUp`.
 * - `previous`: the window that ends at the checkpoint (the last one scheduled runs completed), and
 *   `previousCut`, how it was cut when a change of cut took effect at the checkpoint.
 * - `vanished`: how far this scheduled run has looked for groups recorded before that it no longer selects.
 */
export interface RunState {
  readonly v: 2;
  /** The run's random id, the same in every execution the run continues as. */
  readonly run: string;
  /** When the run started (ms). */
  readonly startedAt: number;
  /** ARN of the execution that answered with this state. */
  execution: string;
  /** Name of the execution this one continues as (set with a CONTINUE answer). */
  continuation?: string;
  /** `$$.Execution.RedriveCount` when this state was answered: a higher one is a redrive. */
  redrives: number;
  /** Executions before this one in the run's chain. */
  generation: number;
  /** Turns taken in this execution. */
  turns: number;
  readonly mode: 'scheduled' | 'backfill';
  readonly reexport: boolean;
  /** Starts of the windows to export, ascending. */
  readonly windows: number[];
  /**
   * How the windows were cut when the run started: a deployment that changes the period or the
   * time zone while the run continues as new does not cut them anew (the run finishes them as they
   * are; the next run starts where they end).
   */
  readonly cut: { readonly period: 'P1D' | 'PT1H'; readonly timeZone: string };
  /** A backfill limited to these log groups. */
  readonly names?: string[];
  cursor: CursorState;
  /** Markers of the page for the current window; absent until listed. */
  marks?: Marks;
  /** The page after the cursor's, listed and checked ahead while exports ran, with its markers of the first window. */
  ahead?: { cursor: CursorState; marks?: Marks };
  /**
   * Windows that had no done-marker when this run, holding the lease, first looked: their pages
   * need no marker listing, as only the lease holder writes their markers.
   */
  clean?: number[];
  active?: Active;
  /** Page indexes of groups without events in the current window, recorded when the cursor leaves it. */
  empty?: number[];
  /** Page indexes of groups whose retention had removed the current window, recorded when the cursor leaves it. */
  expired?: number[];
  /**
   * A careful run stays careful until its cursor is past this log group name: the last group of
   * the page an earlier attempt of this run last recorded in the lease. That attempt may have
   * skipped idle groups this one exports (they check for events apart), so the first export of an
   * untouched group does not prove this attempt is past the exports of that one.
   */
  carefulPast?: string;
  /**
   * The cursor passed an item without exporting it (a failure) since the lease last recorded its
   * position: recorded before the next export, so that a run taking over from this one, should it
   * die, walks on from past that item.
   */
  passedSinceLease?: boolean;
  /** Failed attempts of the current item. */
  attempt: number;
  /** Turns spent waiting for something this run does not own. */
  waited: number;
  lease?: LeaseHeld;
  /**
   * Set when this state may be older than what was done with it (a retried or redriven turn):
   * before each export the run confirms that the (group, window) is neither done nor running,
   * until it reaches one that no attempt of this run touched.
   */
  careful?: boolean;
  /**
   * Look for an export task of this exporter that is still running (and follow it) before
   * anything else: set with `careful` and when a dead holder's lease is taken over.
   */
  checkActive?: boolean;
  /** No turn works before this time (ms): an earlier invocation of this run may still be running until then. */
  fenceUntil?: number;
  /** Positions of runs that died holding the lease, to walk on from before exporting anything new. */
  recovery?: Snapshot[];
  /** A scheduled run after a change of time zone or period: nothing before this instant (the checkpoint) is exported again. */
  notBefore?: number;
  /** The mode of the bucket's default Object Lock retention when the run started (absent: none). */
  readonly lock?: 'GOVERNANCE' | 'COMPLIANCE';
  /**
   * A scheduled run that finds the checkpoint further back than `maxCatchUp`: the first and last
   * window (starts) it leaves behind, recorded when it ends.
   */
  readonly leftBehind?: { readonly from: number; readonly to: number };
  /** Start of the window that ends at the checkpoint, for a scheduled run that has one. */
  readonly previous?: number;
  /** How that window was cut, when not as this run cuts windows (the cut changed at the checkpoint). */
  readonly previousCut?: { readonly period: 'P1D' | 'PT1H'; readonly timeZone: string };
  /** The groups looked into so far (up to this name), and whether all were. */
  vanished?: { after?: string; done?: boolean };
  stats: Stats;
  selection: Selection;
  failures: Failure[];
  failureCount: number;
}
