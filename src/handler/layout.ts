/**
 * Where things live in the bucket. Pure: no I/O.
 *
 * - exports:  `<keyPrefix>/<group name without leading '/'>/<yyyy>/<mm>/<dd>[/<hh>]/<taskId>/<stream>/000000.gz`
 * - markers:  `<keyPrefix>/_state/done/<period>/<window id>/<url-encoded group name>!<export duration in ms>`
 * - lease and checkpoint under `<keyPrefix>/_state/`.
 */
import { Period, Window, windowId, windowPath } from './windows';

function join(...parts: string[]): string {
  return parts.filter((p) => p !== '').join('/');
}

/** The `destinationPrefix` of a group's export for a window. */
export function exportPrefix(keyPrefix: string, group: string, w: Window, period: Period, timeZone: string): string {
  return join(keyPrefix, group.replace(/^\/+/, ''), windowPath(w, period, timeZone));
}

export function stateRoot(keyPrefix: string): string {
  return join(keyPrefix, '_state');
}

/** All done-markers of one window share this prefix; listing it tells which groups are done. */
export function markerPrefix(keyPrefix: string, period: Period, w: Window): string {
  return `${join(stateRoot(keyPrefix), 'done', period, windowId(w))}/`;
}

/** Marker key suffix of a group: encoded so that every name is one key segment. */
export function markerName(group: string): string {
  return encodeURIComponent(group);
}

/**
 * Separator between a marker's group name and the export's duration. It sorts before every
 * character of an encoded name, so markers sort like their names, and no encoded name holds it.
 */
const DURATION_MARK = '!';

/**
 * A done-marker's key. It carries the export's duration so that the listing that tells which
 * groups are done also tells how long each group's next export will probably take.
 */
export function markerKey(prefix: string, group: string, durationMs: number): string {
  return `${prefix}${markerName(group)}${DURATION_MARK}${Math.max(0, Math.round(durationMs))}`;
}

/** The encoded group name and duration of a marker key below `prefix` (markers without a duration have none). */
export function parseMarker(prefix: string, key: string): { name: string; durationMs?: number } {
  const [name, ms] = key.slice(prefix.length).split(DURATION_MARK);
  const durationMs = ms === undefined ? undefined : Number(ms);
  return durationMs !== undefined && Number.isFinite(durationMs) ? { name, durationMs } : { name };
}

export function leaseKey(keyPrefix: string): string {
  return join(stateRoot(keyPrefix), 'lease.json');
}

export function checkpointKey(keyPrefix: string, period: Period): string {
  return join(stateRoot(keyPrefix), `checkpoint-${period}.json`);
}

/** Export task name: `<taskPrefix>-<period>-<window id>`; the window is read back from it. */
export function taskName(taskPrefix: string, period: Period, w: Window): string {
  return `${taskPrefix}-${period}-${windowId(w)}`;
}

/** The window start named by one of this exporter's task names, or undefined for anyone else's task. */
export function windowOfTask(taskPrefix: string, period: Period, name: string | undefined): number | undefined {
  const head = `${taskPrefix}-${period}-`;
  if (!name?.startsWith(head)) return undefined;
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(name.slice(head.length));
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : undefined;
}
