/**
 * Fault rules and small helpers the fault tests share: where to kill an invocation, which calls
 * write exporter state, and the end of an execution chain.
 */
import { Call, KillPoint } from './fakes';
import { Execution } from './loop';

/** A fault rule that fires at the n-th call of `op` of an invocation (among those `match` accepts). */
export function nth(op: string, n: number, point: KillPoint, match: (c: Call) => boolean = () => true): (c: Call) => KillPoint | undefined {
  let seen = 0;
  return (c) => (c.op === op && match(c) && ++seen === n ? point : undefined);
}

/** A rule that fires once, at the first call `match` accepts; `fired()` says whether it has. */
export function once(match: (c: Call) => boolean, point: KillPoint): { rule: (c: Call) => KillPoint | undefined; fired: () => boolean } {
  let fired = false;
  return { rule: (c) => (!fired && match(c) ? ((fired = true), point) : undefined), fired: () => fired };
}

/** A write of a group's done-marker. */
export const isMarkerOf = (g: string) => (c: Call) => c.op === 'PutObject' && isMarker(c) && String(c.input.Key).includes(`/${encodeURIComponent(g)}!`);

/** A CreateExportTask of a group. */
export const isCreateOf = (g: string) => (c: Call) => c.op === 'CreateExportTask' && c.input.logGroupName === g;

/** A call on a done-marker. */
export const isMarker = (c: Call) => /^_state\/.*\/done\//.test(String(c.input.Key));

/** A write of the lease. */
export const isLease = (c: Call) => c.op === 'PutObject' && /^_state\/.*\/lease\.json$/.test(String(c.input.Key));

/** The last execution of a chain (the one the run ended in). */
export const last = (chain: Execution[]) => chain[chain.length - 1];
