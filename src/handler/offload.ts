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
import { BucketAccess, errorName, isConditionalFailure } from './bucket-access';
import { Group, RunState } from './run-state';
import { Listed, StateStore, markersOf } from './state-store';
import { bytes, count, log } from './telemetry';
import { ExporterConfig } from '../shared/config';
import { RecordKind, exportPrefix } from '../shared/layout';
import { MetricName } from '../shared/protocol';
import { RetentionEntry, RetentionLedger, addSpan, shorter, wantedRetention } from '../shared/retention';
import { Window } from '../shared/windows';

const THROTTLING = ['ThrottlingException', 'TooManyRequestsException', 'ServiceUnavailableException'];
/** PutRetentionPolicy calls are spaced this far apart (its quota is a few per second per account). */
const PUT_GAP_MS = 250;
/** Tries of one retention change before it counts as failed. */
const PUT_TRIES = 4;
/** FilterLogEvents calls one window's check for events takes at most (it may answer a page without events and a token). */
const FILTER_CALLS = 5;

type Retention = number | null;

/** The longer of two retentions (null: never expire). */
function longer(a: Retention, b: Retention): Retention {
  return shorter(a, b) ? b : a;
}

/** What the listing says of a (group, window): confirmed if exported with files, recorded without events, or with its events expired. */
type Evidence = 'archived' | 'marker' | 'none';

/** A retention to set: the group (at index `i` of the page), its record, and the retention wanted. */
interface Change {
  readonly i: number;
  readonly g: Group;
  readonly entry: RetentionEntry;
  readonly wanted: Retention;
}

export class Offload {
  private lastPut = -Infinity;

  constructor(
    private readonly config: ExporterConfig,
    private readonly logs: CloudWatchLogsClient,
    private readonly bucket: BucketAccess,
    private readonly store: StateStore,
    private readonly clock: { now(): number; sleep(ms: number): Promise<void> },
  ) {}

  get enabled(): boolean {
    return this.config.retentionDays !== undefined;
  }

  /**
   * A run enters a page: every group whose retention is shorter than its oldest event not archived
   * needs gets the longer one, before anything on the page is exported.
   */
  async raise(state: RunState): Promise<void> {
    const c = state.cursor;
    if (!this.enabled || c.raised || !c.page) return;
    const ledger = await this.ledger();
    const changes = c.page.flatMap((g, i) => {
      const { entry, wanted, current } = this.plan(g, ledger.body.groups[g.name]);
      return shorter(current, wanted) ? [{ i, g, entry, wanted }] : [];
    });
    await this.apply(state, ledger, changes);
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
    const listings: Listed[] = [];
    for (const w of windows) listings.push(await this.store.markers(page, w, false));
    const ledger = await this.ledger();
    const groups = { ...ledger.body.groups };
    const done: number[] = [];
    for (let i = c.settled ?? 0; i < page.length && this.clock.now() < deadline; i++) {
      const g = page[i];
      let entry = this.entryOf(g, groups[g.name]);
      for (const [k, w] of windows.entries()) {
        const from = Math.max(w.start, state.notBefore ?? -Infinity);
        if (from < w.end && (await this.archived(g, w, listings[k], from))) entry = { ...entry, spans: addSpan(entry.spans, from, w.end) };
      }
      groups[g.name] = entry;
      done.push(i);
    }
    const updated = { body: { v: 1 as const, groups }, etag: ledger.etag };
    const recorded = JSON.stringify(groups) !== JSON.stringify(ledger.body.groups);
    const changes = done.flatMap((i) => {
      const { entry, wanted, current } = this.plan(page[i], groups[page[i].name]);
      return wanted !== current ? [{ i, g: page[i], entry, wanted }] : [];
    });
    await this.apply(state, updated, changes, recorded);
    if (state.mode === 'scheduled') {
      const s = state.selection;
      s.managedBytes = (s.managedBytes ?? 0) + done.reduce((n, i) => n + (page[i].bytes ?? 0), 0);
      s.offloadedBytes = (s.offloadedBytes ?? 0) + done.reduce((n, i) => n + this.offloaded(page[i], groups[page[i].name]), 0);
    }
    c.settled = (c.settled ?? 0) + done.length;
    return c.settled >= page.length;
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

  private async ledger(): Promise<{ body: RetentionLedger; etag?: string }> {
    return (await this.store.retentionLedger()) ?? { body: { v: 1, groups: {} } };
  }

  /** The group's record: a new one when it has none, or when the group was deleted and created again since. */
  private entryOf(g: Group, entry: RetentionEntry | undefined): RetentionEntry {
    if (entry && entry.created === g.created) return entry;
    return { original: g.retentionDays ?? null, created: g.created, spans: [] };
  }

  /**
   * The retention a group should have, and the one it has: the longer of what the listing said
   * and what the exporter last set (a replayed turn may carry a listing older than its own change).
   */
  private plan(g: Group, recorded: RetentionEntry | undefined): { entry: RetentionEntry; wanted: Retention; current: Retention } {
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
      now: this.clock.now(),
      archivedBefore: this.config.retentionArchivedBefore,
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
    await this.writeLedger({ v: 1, groups }, ledger.etag);
    const page = state.cursor.page!;
    for (const ch of changes) {
      if (await this.change(ch.g.name, ch.g.retentionDays ?? null, ch.wanted)) {
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

  /** Sets a group's retention (null: never expire). Returns whether it took effect. */
  private async change(logGroupName: string, from: Retention, to: Retention): Promise<boolean> {
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
        if (THROTTLING.includes(name) && attempt < PUT_TRIES) continue;
        count(MetricName.RETENTION_NOT_CHANGED);
        log('WARN', "a log group's retention could not be changed: it keeps the one it has (the next run tries again)",
          { logGroupName, fromDays: from ?? 'never expire', toDays: to ?? 'never expire', error: name, message: (e as Error).message });
        return false;
      }
    }
  }

  /** Whether the group's window is archived from `from` on, by what the bucket holds (not by its marker alone). */
  private async archived(g: Group, w: Window, listed: Listed, from: number): Promise<boolean> {
    const kind = listed.recorded.get(g.name);
    if (kind === RecordKind.EMPTY || kind === RecordKind.EXPIRED || kind === RecordKind.DELETED) return true;
    const evidence = await this.evidence(g, w, listed);
    if (evidence === 'archived') return true;
    // A marker whose export wrote no file: archived only if CloudWatch holds no event of the window (nothing to keep).
    return evidence === 'marker' && !(await this.hasEvents(g.name, from, w.end - 1));
  }

  private async evidence(g: Group, w: Window, listed: Listed): Promise<Evidence> {
    const markers = markersOf(listed, g.name);
    if (markers.length === 0) return 'none';
    const prefix = exportPrefix(this.config.keyPrefix, g.name, w, this.config.period, this.config.timeZone);
    for (const m of [...markers].reverse()) {
      const res = await this.bucket.list({ Prefix: `${prefix}/${m.taskId}/`, MaxKeys: 1 });
      if ((res.Contents ?? []).length > 0) return 'archived';
    }
    return 'marker';
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
        if (errorName(e) === 'ResourceNotFoundException') return false;
        throw e;
      }
    }
    return true;
  }
}
