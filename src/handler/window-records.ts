/**
 * Everything recorded for one window, read back whole: which log groups have a done-marker (and
 * whether their export was partial), and which have a record saying why they were not exported.
 * The coverage report reads every window this way; a scheduled run reads two, to find groups
 * that vanished since the window before it.
 */
import { BucketAccess } from './bucket-access';
import { RecordKind, UnexportedRecord, parseMarker, recordKindOf } from '../shared/layout';

export interface WindowRecords {
  /** Groups with a done-marker; true: every marker of the group says partial. */
  readonly exported: Map<string, boolean>;
  /** Groups recorded as not exported, and why. */
  readonly unexported: Map<string, RecordKind>;
}

/** Reads the markers and records below a window's marker prefix (names too long for a key are read from the marker). */
export async function readWindowRecords(bucket: BucketAccess, prefix: string): Promise<WindowRecords> {
  const out: WindowRecords = { exported: new Map(), unexported: new Map() };
  // Listed a moment ago: an object gone since (a marker rewritten) has nothing to add.
  const read = async <T>(key: string): Promise<T | undefined> => (await bucket.readJson<T>(key))?.body;
  let token: string | undefined;
  do {
    const res = await bucket.list({ Prefix: prefix, ContinuationToken: token });
    for (const o of res.Contents ?? []) {
      const m = parseMarker(prefix, o.Key!);
      if (m) {
        const name = m.name.includes('~') ? (await read<{ logGroupName: string }>(o.Key!))?.logGroupName : decodeURIComponent(m.name);
        if (name) out.exported.set(name, (out.exported.get(name) ?? true) && m.partial === true);
        continue;
      }
      const kind = recordKindOf(prefix, o.Key!);
      if (kind) for (const name of (await read<UnexportedRecord>(o.Key!))?.logGroupNames ?? []) out.unexported.set(name, kind);
    }
    token = res.IsTruncated ? res.NextContinuationToken : undefined;
  } while (token);
  // A group exported in the window is not also missing from it, whatever a record of another run says.
  for (const name of out.exported.keys()) out.unexported.delete(name);
  return out;
}
