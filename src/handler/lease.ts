/**
 * The lease: who holds it, and what taking it over owes. Pure: no I/O (the state store reads and
 * writes the object; this module decides).
 *
 * One run at a time holds the lease; it expires `leaseSeconds` after its holder's last write. The
 * holder records its page and position in it, so that a run taking it over from a holder that
 * died (it expired without being released) walks on from that position first, exporting nothing
 * twice: the export the dead run may have left without a done-marker is marked, or followed while
 * it runs. Walks a taker has not finished are recorded in the lease too (`inherited`), for the
 * run after it should it die as well.
 */
import { RunState, Snapshot } from './run-state';

/** The lease object. */
export interface LeaseBody {
  readonly v: 2;
  /** The holder's run and execution (ARN). */
  readonly run: string;
  readonly execution: string;
  /** When it expires (ms); 0 once released. */
  readonly expires: number;
  /** The holder's page and position when it last wrote the lease. */
  readonly snapshot?: Snapshot;
  /** Positions of dead runs the holder still has to walk on from. */
  readonly inherited?: Snapshot[];
  /**
   * The last group of the furthest page any attempt of the holder's run recorded (a replayed
   * attempt that writes an older position keeps it, for the attempts after it).
   */
  readonly reach?: string;
}

/** What this run knows when it asks for the lease. */
export interface LeaseRequest {
  readonly executionArn: string;
  /** The execution that answered the state this turn got (another one for a continuation). */
  readonly previousExecution: string;
  readonly now: number;
  /** Write the lease now even if its last write is recent (a new page, a new execution). */
  readonly force: boolean;
  /** The run's page and position now. */
  readonly snapshot?: Snapshot;
}

/** What the lease, as read, means for the run that asks for it. */
export type LeaseDecision =
  /** Another run holds it. */
  | { readonly kind: 'busy'; readonly holder: string }
  /**
   * The run may take it: from nobody, from a run that released it, from a dead holder, or back
   * from another attempt of its own. It then owes the walks in `recovery` (none: undefined), and
   * a replayed (careful) attempt stays careful up to `carefulPast`.
   */
  | {
    readonly kind: 'taken';
    readonly from?: string;
    /** Whether it takes over walks from a run that did not release the lease. */
    readonly inheritsWalks: boolean;
    readonly recovery?: Snapshot[];
    readonly carefulPast?: string;
  };

/** The last group name of a position's page, or `after` if that sorts later. */
function lastOf(snapshot: Snapshot | undefined, after: string | undefined): string | undefined {
  return (snapshot?.page ?? []).reduce<string | undefined>((max, g) => (max === undefined || g.name > max ? g.name : max), after);
}

/** Snapshots without repeats (a lease may be taken over with walks it already owes). */
function distinct(snapshots: Snapshot[]): Snapshot[] {
  const seen = new Set<string>();
  return snapshots.filter((s) => {
    const key = JSON.stringify([s.run, s.window, s.group, s.page[0]?.name, s.windows[0]]);
    return !seen.has(key) && seen.add(key) !== undefined;
  });
}

/** The run's view of itself that the decision needs. */
export type Asker = Pick<RunState, 'run' | 'careful' | 'carefulPast' | 'recovery'>;

/**
 * Whether the run may take the lease as read (`lease`, undefined: none), and what it owes then.
 * A holder that did not release the lease may have left an export unmarked: the taker walks on
 * from its position (and from the positions it inherited). So does a replayed (careful) attempt
 * from an earlier attempt of its own run: the lease keeps that position, as a walk it owes, for a
 * run that takes over should this attempt die too; and the attempt stays careful past the
 * furthest page any attempt of its run recorded.
 */
export function decideLease(asker: Asker, req: LeaseRequest, lease: LeaseBody | undefined): LeaseDecision {
  const owed = asker.recovery ?? [];
  if (!lease) return { kind: 'taken', inheritsWalks: false, recovery: owed.length ? owed : undefined, carefulPast: asker.carefulPast };
  const free = lease.expires <= req.now; // released (0) or expired
  // This run, written by this execution, by the one it continues, or (first turns) by an earlier attempt of this execution.
  const ours = (lease.run === asker.run && lease.execution === req.previousExecution) || lease.execution === req.executionArn;
  if (!ours && !free) return { kind: 'busy', holder: lease.execution };
  const position = lease.expires !== 0 && lease.snapshot && (lease.run !== asker.run || asker.careful) ? [lease.snapshot] : [];
  const walk = [...position, ...(lease.inherited ?? [])];
  const recovery = distinct([...walk, ...owed]);
  // Written by this run (another attempt of a turn): what it checked, this attempt decides by.
  const own = lease.run === asker.run ? lastOf(lease.snapshot, lease.reach) : undefined;
  const carefulPast = asker.careful && own !== undefined && !(asker.carefulPast !== undefined && asker.carefulPast > own) ? own : asker.carefulPast;
  return { kind: 'taken', from: lease.execution, inheritsWalks: walk.length > 0, recovery: recovery.length ? recovery : undefined, carefulPast };
}

/** The lease the run writes when it takes or renews it. */
export function leaseBody(state: Pick<RunState, 'run' | 'recovery' | 'carefulPast'>, req: LeaseRequest, ttlMs: number): LeaseBody {
  return {
    v: 2,
    run: state.run,
    execution: req.executionArn,
    expires: req.now + ttlMs,
    snapshot: req.snapshot,
    inherited: state.recovery,
    reach: lastOf(req.snapshot, state.carefulPast),
  };
}

/** The lease a run leaves when it ends: released, expired at once. */
export function releasedLease(state: Pick<RunState, 'run' | 'execution'>): LeaseBody {
  return { v: 2, run: state.run, execution: state.execution, expires: 0 };
}
