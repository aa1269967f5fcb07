/**
 * Offload: the exporter manages the CloudWatch Logs retention of the groups it selects (see
 * `../shared/retention.ts` for the rule). On each page of groups a run enters, it raises the
 * retention of every group whose oldest event not archived would otherwise expire too soon;
 * once every window of the page is done, it confirms each group's windows archived (a listing of
 * the export's files, not the marker alone) and sets the retention the rule gives, lower or
 * higher. The ledger records a group's retention before the exporter first changed it, and the
 * retention it sets, before each change.
 */
import {
  CloudWatchLogsClient, DeleteRetentionPolicyCommand, FilterLogEventsCommand, PutRetentionPolicyCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { BucketAccess, errorName, isConditionalFailure, isThrottling } from './bucket-access';
import { Group, RunState } from './run-state';
import { Listed, StateStore, markersOf } from './state-store';
import { bytes, count, log } from './telemetry';
import { ExporterConfig, isSelected } from '../shared/config';
import { RecordKind, exportFolder } from '../shared/layout';
import { MetricName } from '../shared/protocol';
import { RetentionEntry, RetentionLedger, addSpan, allowedRetention, firstUncovered, shorter, wantedRetention } from '../shared/retention';
import { Window, periodSeconds, windowPath } from '../shared/windows';

/** PutRetentionPolicy calls are spaced this far apart (its quota is a few per second per account). */
const PUT_GAP_MS = 250;
/** Tries of one retention change before it counts as failed. */
const PUT_TRIES = 4;
/** FilterLogEvents calls one window's check for events takes at most (it may answer a page without events and a token). */
const FILTER_CALLS = 5;

type Retention = number | null;

/** An entry of the ledger as this release writes it (one edited by hand may not be). */
function isEntry(e: unknown): e is RetentionEntry {
  const x = e as RetentionEntry;
  const retention = (r: unknown) => r === null || (typeof r === 'number' && r > 0);
  const span = (s: unknown[]) => typeof s[0] === 'number' && typeof s[1] === 'number' && s[0] < s[1];
  // A pending window: [from, to, folder, export task ids].
  const pending = (p: unknown) => Array.isArray(p) && span(p) && typeof p[2] === 'string' && Array.isArray(p[3]) && p[3].every((t) => typeof t === 'string');
  return typeof x === 'object' && x !== null && retention(x.original) && typeof x.created === 'number'
    && Array.isArray(x.spans) && x.spans.every((s) => Array.isArray(s) && s.length === 2 && span(s))
    && (x.set === undefined || retention(x.set)) && (x.pending === undefined || (Array.isArray(x.pending) && x.pending.every(pending)));
}

/** The longer of two retentions (null: never expire). */
function longer(a: Retention, b: Retention): Retention {
  return shorter(a, b) ? b : a;
}

/** Pending windows a group keeps at most before they are confirmed whether that lowers its retention or not. */
const MAX_PENDING = 30;

/** A group's record, the retention it should have, and the one it was listed with. */
interface Plan {
  readonly entry: RetentionEntry;
  readonly wanted: Retention;
  readonly current: Retention;
}

/** A retention to set: the group (at index `i` of the page), its record, and the retention wanted. */
interface Change {
  readonly i: number;
  readonly g: Group;
  readonly entry: RetentionEntry;
  readonly wanted: Retention;
}

export class Offload {
  private lastPut = -Infinity;
  /** Whether the ledger last read was begun again after it was lost. */
  private rebuilt = false;

  constructor(
    private readonly config: ExporterConfig,
    private readonly logs: CloudWatchLogsClient,
    private readonly bucket: BucketAccess,
    private readonly store: StateStore,
    private readonly clock: { now(): number; sleep(ms: number): Promise<void> },
    /** Looks a group up by name (DescribeLogGroups): the one there now, if any. */
    private readonly listing: { find(name: string): Promise<Group | undefined> },
  ) {}

  get enabled(): boolean {
    return this.config.retentionDays !== undefined;
  }

  /** The longest retention offload sets below a group's original: its oldest event not archived as old as the lag allows. */
  private get highestSet(): number {
    return allowedRetention((this.config.retentionLagSeconds! + this.config.retentionHeadroomSeconds!) / 86_400) ?? Infinity;
  }

  /**
   * A run enters a page: every group whose retention is shorter than its oldest event not archived
   * needs gets the longer one, before anything on the page is exported.
   */
  async raise(state: RunState): Promise<void> {
    const c = state.cursor;
    if (!this.enabled || c.raised || !c.page) return;
    const ledger = await this.ledger();
    if (ledger) {
      const changes = c.page.flatMap((g, i) => {
        if (!isSelected(this.config, g.name)) return [];
        const { entry, wanted, current } = this.plan(g, ledger.body.groups[g.name]);
        return shorter(current, wanted) ? [{ i, g, entry, wanted }] : [];
      });
      await this.apply(state, ledger, changes);
    }
    c.raised = true;
  }

  /**
   * Every window of the page is done: confirms what of each group is archived, records it, and
   * sets each group's retention (lowered or raised). Returns false when `deadline` came first (the
   * next turn goes on where this one stopped).
   */
  async settle(state: RunState, windows: Window[], deadline: number): Promise<boolean> {
    const c = state.cursor;
    const page = c.page!;
    if (!this.enabled || (c.settled ?? 0) >= page.length) return true;
    const ledger = await this.ledger();
    if (!ledger) {
      c.settled = page.length;
      return true;
    }
    const listings: Listed[] = [];
    for (const w of windows) listings.push(await this.store.markers(page, w, false));
    const groups = { ...ledger.body.groups };
    const done: number[] = [];
    const changes: Change[] = [];
    // Each change takes a lookup and a paced call: the turn keeps time for those it plans.
    const left = () => deadline - this.clock.now() - changes.length * 2 * PUT_GAP_MS;
    let i = c.settled ?? 0;
    for (; i < page.length && left() > 0; i++) {
      const g = page[i];
      // Only the configured selection is managed: a backfill may name a group outside it, which no scheduled run exports.
      if (!isSelected(this.config, g.name)) continue;
      let entry = this.entryOf(g, groups[g.name]);
      const pending = [...(entry.pending ?? [])];
      for (const [k, w] of windows.entries()) {
        const from = Math.max(w.start, state.notBefore ?? -Infinity);
        if (from >= w.end || firstUncovered(entry.spans, from) >= w.end || pending.some((p) => p[0] === from)) continue;
        const kind = listings[k].recorded.get(g.name);
        const markers = markersOf(listings[k], g.name);
        // Recorded without events, or with its events expired or its group deleted: nothing of it to keep.
        if (kind === RecordKind.EMPTY || kind === RecordKind.EXPIRED || kind === RecordKind.DELETED) {
          entry = { ...entry, spans: addSpan(entry.spans, from, w.end) };
        } else if (markers.length > 0) {
          pending.push([from, w.end, windowPath(w, this.config.period, this.config.timeZone), markers.map((m) => m.taskId)]);
        }
      }
      entry = { ...entry, pending };
      if (pending.length > 0 && (pending.length >= MAX_PENDING || this.confirmingLowers(g, entry))) entry = await this.confirm(g, entry);
      groups[g.name] = entry;
      done.push(i);
      const { wanted, current } = this.plan(g, entry);
      if (wanted !== current) changes.push({ i, g, entry, wanted });
    }
    const updated = { body: { ...ledger.body, groups }, etag: ledger.etag };
    const recorded = JSON.stringify(groups) !== JSON.stringify(ledger.body.groups);
    await this.apply(state, updated, changes, recorded);
    if (state.mode === 'scheduled') {
      const s = state.selection;
      s.managedBytes = (s.managedBytes ?? 0) + done.reduce((n, j) => n + (page[j].bytes ?? 0), 0);
      s.offloadedBytes = (s.offloadedBytes ?? 0) + done.reduce((n, j) => n + this.offloaded(page[j], groups[page[j].name]), 0);
    }
    c.settled = i;
    return i >= page.length;
  }

  /** Publishes the bytes under management of a scheduled run's pages, and those offload spares them. */
  report(state: RunState): void {
    if (!this.enabled || state.selection.managedBytes === undefined) return;
    bytes(MetricName.MANAGED_STORED_BYTES, state.selection.managedBytes);
    bytes(MetricName.OFFLOADED_BYTES, state.selection.offloadedBytes ?? 0);
  }

  /**
   * An estimate of what a group would store beyond what it does at the retention it had before
   * offload: its bytes a day (what it stores over the days it keeps) times the days of difference
   * (up to its age, for a group that kept everything).
   */
  private offloaded(g: Group, entry: RetentionEntry): number {
    const ageDays = (this.clock.now() - g.created) / 86_400_000;
    const kept = Math.min(g.retentionDays ?? Infinity, ageDays);
    const before = Math.min(entry.original ?? Infinity, ageDays);
    return kept > 0 && before > kept ? ((g.bytes ?? 0) / kept) * (before - kept) : 0;
  }

  /**
   * The ledger (a new one when there is none); undefined when it cannot be read as one: offload
   * then changes no retention (what it would record as a group's original could be its own
   * value), says so, and the exports go on.
   */
  private async ledger(): Promise<{ body: RetentionLedger; etag?: string } | undefined> {
    let problem: string;
    try {
      const read = await this.store.retentionLedger();
      if (!read) {
        if (!(await this.store.retentionStarted())) return { body: { v: 1, groups: {} } };
        count(MetricName.RETENTION_NOT_CHANGED);
        log('WARN', 'the retention ledger was lost: what each group had before offload is not known any more; a group found at a retention offload ' +
          'could have set is taken to have kept its events for ever (restore-retention cannot put back what the lost ledger held)', {});
        this.rebuilt = true;
        return { body: { v: 1, groups: {}, rebuilt: true } };
      }
      const body: unknown = read.body;
      const groups = typeof body === 'object' && body !== null && (body as RetentionLedger).v === 1 ? (body as RetentionLedger).groups : undefined;
      const bad = typeof groups === 'object' && groups !== null ? Object.entries(groups).find(([, e]) => !isEntry(e)) : ['(all)'];
      if (!bad) {
        this.rebuilt = read.body.rebuilt === true;
        return read;
      }
      problem = bad[0] === '(all)' ? 'not a retention ledger' : `the entry of ${bad[0]} is not one this release wrote`;
    } catch (e) {
      // Only a ledger that is not JSON is unreadable; any other error (S3, the network) fails the turn, which is tried again.
      if (!(e instanceof SyntaxError)) throw e;
      problem = e.message;
    }
    count(MetricName.RETENTION_NOT_CHANGED);
    log('WARN', "the retention ledger cannot be read: offload changes no log group's retention until it is repaired or restored " +
      '(a previous version of it, or delete it after restoring each group\'s retention by hand)', { key: 'retention.json', error: problem });
    return undefined;
  }

  /** The group's record: a new one when it has none, or when the group was deleted and created again since. */
  private entryOf(g: Group, entry: RetentionEntry | undefined): RetentionEntry {
    if (entry && entry.created === g.created) return entry;
    // After the ledger was lost, a group found at a retention offload could have set may have been set so by it: its events
    // are kept as long as they need, whatever the group had (never expire, the longest, is the safe guess).
    const listed = g.retentionDays ?? null;
    // So is one created again under the name of a group it changed, found at the retention it set last (the call may have landed on it).
    const ours = (this.rebuilt && listed !== null && listed >= this.config.retentionDays! && listed <= this.highestSet)
      || (entry !== undefined && entry.set !== undefined && listed === entry.set);
    return { original: ours ? null : listed, created: g.created, spans: [] };
  }

  /**
   * The retention a group should have, and the one it has: the longer of what the listing said
   * and what the exporter last set (a replayed turn may carry a listing older than its own change).
   */
  private plan(g: Group, recorded: RetentionEntry | undefined, now = this.clock.now()): Plan {
    const entry = this.entryOf(g, recorded);
    const listed = g.retentionDays ?? null;
    const current = entry.set === undefined ? listed : longer(listed, entry.set);
    const wanted = wantedRetention({
      targetDays: this.config.retentionDays!,
      headroomMs: this.config.retentionHeadroomSeconds! * 1000,
      lagMs: this.config.retentionLagSeconds! * 1000,
      currentDays: current ?? undefined,
      created: g.created,
      entry,
      now,
      // History the user gave up is history before the group's first archived window: never what the exporter has not exported since.
      archivedBefore: entry.spans.length > 0 && this.config.retentionArchivedBefore !== undefined
        ? Math.min(this.config.retentionArchivedBefore, entry.spans[0][0]) : undefined,
    });
    return { entry, wanted, current: listed };
  }

  /**
   * Records the changes in the ledger (each group's original retention, and the one about to be
   * set), then makes them, paced. A change that fails is a metric and a warning: the next page
   * entered, or the next run, tries again.
   */
  private async apply(state: RunState, ledger: { body: RetentionLedger; etag?: string }, changes: Change[], write = false): Promise<void> {
    if (changes.length === 0 && !write) return;
    const groups = { ...ledger.body.groups };
    for (const ch of changes) groups[ch.g.name] = { ...ch.entry, set: ch.wanted };
    await this.writeLedger({ ...ledger.body, groups }, ledger.etag);
    const page = state.cursor.page!;
    for (const ch of changes) {
      if (await this.change(ch.g.name, ch.g.created, ch.g.retentionDays ?? null, ch.wanted)) {
        page[ch.i] = { ...ch.g, ...(ch.wanted === null ? { retentionDays: undefined } : { retentionDays: ch.wanted }) };
      }
    }
  }

  private async writeLedger(ledger: RetentionLedger, etag: string | undefined): Promise<void> {
    try {
      await this.store.writeRetentionLedger(ledger, etag);
    } catch (e) {
      // Runs hold the lease: another writer means something else wrote it; the turn is tried again on what is there now.
      if (isConditionalFailure(e)) throw Object.assign(new Error('the retention ledger changed since it was read; trying again'), { name: 'ServiceUnavailable' });
      throw e;
    }
  }

  /**
   * Sets a group's retention (null: never expire), if the group is still the one listed (not
   * deleted, or deleted and created again, since). Returns whether it took effect.
   */
  private async change(logGroupName: string, created: number, from: Retention, to: Retention): Promise<boolean> {
    const now = await this.listing.find(logGroupName);
    if (!now || now.created !== created) {
      log('INFO', 'log group deleted (or created again) since it was listed: its retention is left to the next run', { logGroupName });
      return false;
    }
    for (let attempt = 1; ; attempt++) {
      // (At most one gap: a clock set back must not stall the calls.)
      const gap = PUT_GAP_MS * 2 ** (attempt - 1);
      const wait = Math.max(0, Math.min(gap, this.lastPut + gap - this.clock.now()));
      if (wait > 0) await this.clock.sleep(wait);
      this.lastPut = this.clock.now();
      try {
        if (to === null) await this.logs.send(new DeleteRetentionPolicyCommand({ logGroupName }));
        else await this.logs.send(new PutRetentionPolicyCommand({ logGroupName, retentionInDays: to }));
        count(MetricName.RETENTION_CHANGED);
        log('INFO', shorter(to, from) ? 'retention lowered: what it no longer keeps is archived' : 'retention raised: events not archived yet are kept',
          { logGroupName, fromDays: from ?? 'never expire', toDays: to ?? 'never expire' });
        return true;
      } catch (e) {
        const name = errorName(e);
        if (name === 'ResourceNotFoundException') return false;
        if (isThrottling(e) && attempt < PUT_TRIES) continue;
        count(MetricName.RETENTION_NOT_CHANGED);
        log('WARN', "a log group's retention could not be changed: it keeps the one it has (the next run tries again)",
          { logGroupName, fromDays: from ?? 'never expire', toDays: to ?? 'never expire', error: name, message: (e as Error).message });
        return false;
      }
    }
  }

  /**
   * Whether the group's pending windows must be confirmed now: confirmed, its retention would be
   * shorter than unconfirmed, now or when the next run with a window to export enters its page (a
   * schedule interval or an export period on, whichever is longer).
   */
  private confirmingLowers(g: Group, entry: RetentionEntry): boolean {
    const confirmed = { ...entry, spans: entry.pending!.reduce((spans, [from, to]) => addSpan(spans, from, to), entry.spans), pending: [] };
    const next = this.clock.now() + Math.max(this.config.scheduleIntervalSeconds, periodSeconds(this.config.period)) * 1000;
    return shorter(this.plan(g, confirmed).wanted, this.plan(g, entry, next).wanted);
  }

  /**
   * Confirms the group's pending windows by what the bucket holds, not by their markers alone: one
   * listing of the group's folder from the oldest of them on finds the files of each export (a
   * window it does not reach is listed on its own). A window whose export wrote no file is
   * archived only if CloudWatch holds no event of it (nothing to keep); one with events and no
   * file (a forged marker, deleted files) stays not archived.
   */
  private async confirm(g: Group, entry: RetentionEntry): Promise<RetentionEntry> {
    const folder = `${exportFolder(this.config.keyPrefix, g.name)}/`;
    const pending = [...entry.pending!].sort((a, b) => (a[2] < b[2] ? -1 : 1));
    const listed = await this.bucket.list({ Prefix: folder, StartAfter: `${folder}${pending[0][2]}`, MaxKeys: 1000 });
    const keys = (listed.Contents ?? []).map((o) => o.Key!);
    const reached = listed.IsTruncated ? keys[keys.length - 1] : undefined;
    let spans = entry.spans;
    for (const [from, to, path, tasks] of pending) {
      const prefixes = tasks.map((t) => `${folder}${path}/${t}/`);
      let files = keys.some((k) => prefixes.some((p) => k.startsWith(p)));
      if (!files && reached !== undefined && `${folder}${path}/` > reached) {
        for (const p of prefixes) files = files || ((await this.bucket.list({ Prefix: p, MaxKeys: 1 })).Contents ?? []).length > 0;
      }
      if (files || !(await this.hasEvents(g.name, from, to - 1))) spans = addSpan(spans, from, to);
    }
    return { ...entry, spans, pending: [] };
  }

  /** Whether the group holds an event in [from, to]; true when CloudWatch does not say within a few calls. */
  private async hasEvents(logGroupName: string, from: number, to: number): Promise<boolean> {
    let nextToken: string | undefined;
    for (let i = 0; i < FILTER_CALLS; i++) {
      try {
        const res = await this.logs.send(new FilterLogEventsCommand({ logGroupName, startTime: from, endTime: to, limit: 1, nextToken }));
        if ((res.events ?? []).length > 0) return true;
        nextToken = res.nextToken;
        if (!nextToken) return false;
      } catch (e) {
        const name = errorName(e);
        if (name === 'ResourceNotFoundException') return false;
        if (isThrottling(e)) throw e;
        // Refused (an SCP, a permissions boundary): the window counts as not archived, and nothing is lowered for it.
        count(MetricName.RETENTION_NOT_CHANGED);
        log('WARN', 'FilterLogEvents failed: a window whose export wrote no file counts as not archived', { logGroupName, error: name, message: (e as Error).message });
        return true;
      }
    }
    return true;
  }
}
