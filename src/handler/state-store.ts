/**
 * The exporter's state in the bucket, under `_state/<keyPrefix>/`: the only module that reads or
 * writes it.
 *
 * - Done-markers: one object per exported (log group, window), written after its export task
 *   COMPLETED, never before; listed a page of groups at a time.
 * - Records of groups not exported: one object per run, page of groups, window and reason, naming
 *   the page's groups that had no event in the window, or were deleted, or had lost the window to
 *   their retention, before it was exported; listed with the markers.
 * - The lease: one run at a time. Conditional writes (ETags) make a run its only holder; it
 *   expires `leaseSeconds` after its last write. It records the holder's run, execution, page
 *   and position, so that a run taking over from a dead holder knows where to look for the
 *   export the dead run may have left without a marker.
 * - The checkpoint: where scheduled runs resume.
 * - The owner: which exporter keeps its state under this key prefix.
 * - What the last scheduled run found about the selection, and the windows scheduled runs left
 *   behind: read by the coverage report.
 *
 * In a bucket with a default Object Lock retention, every state object is written with the
 * shortest explicit retention of that mode (one day): exports stay locked for the bucket's
 * period, while the lease (rewritten every quarter of an hour) and the markers do not pile up
 * locked versions for years; a lifecycle rule on `_state/` expires their old versions.
 */
import { BucketAccess, DenialHint, LockMode, isConditionalFailure } from './bucket-access';
import { LeaseBody, LeaseDecision, LeaseRequest, decideLease, leaseBody, releasedLease } from './lease';
import { Group, RunState, pageKey } from './run-state';
import { WindowRecords, readWindowRecords } from './window-records';
import { ExporterConfig } from '../shared/config';
import {
  AbandonedRecord, EarlierCut, Marker, OwnerRecord, RecordKind, RunFindings, UnexportedRecord, VanishedRecord, abandonedKey, checkpointKey,
  findingsKey, leaseKey, markerKey, markerName, markerPrefix, ownerKey, parseMarker, recordKey, recordKindOf, retentionKey, retentionStartedKey,
  stateRoot, vanishedKey,
} from '../shared/layout';
import { ErrorName } from '../shared/protocol';
import { RetentionLedger } from '../shared/retention';
import { Period, Window } from '../shared/windows';

/** How long a state object written into a bucket with Object Lock is locked: the shortest explicit retention. */
export const STATE_RETENTION_MS = 86_400_000;

/**
 * What a denied request of the handler needs: the permission, on what, and where the construct
 * grants it (the role's policy; in a bucket of another account also the bucket's).
 */
export function handlerDenialHint(config: Pick<ExporterConfig, 'bucket' | 'keyPrefix'>): DenialHint {
  const bucket = `arn:aws:s3:::${config.bucket}`;
  const state = `${bucket}/${stateRoot(config.keyPrefix)}/*`;
  const needs: Record<string, string> = {
    's3:ListBucket': `s3:ListBucket on ${bucket} for the prefixes ${config.keyPrefix}/* and ${stateRoot(config.keyPrefix)}/* (statement ListExporterKeys)`,
    's3:GetObject': `s3:GetObject and s3:PutObject on ${state} (statement ReadWriteExporterObjects)`,
    's3:PutObject': `s3:GetObject and s3:PutObject on ${state} (statement ReadWriteExporterObjects)`,
    's3:PutObject and s3:PutObjectRetention': `s3:PutObject and s3:PutObjectRetention on ${state} (statement ReadWriteExporterObjects)`,
    's3:GetBucketObjectLockConfiguration': `s3:GetBucketObjectLockConfiguration on ${bucket} (statement ReadBucketSettings)`,
  };
  return (action) => `the exporter's handler role needs ${needs[action] ?? action}, as the construct grants it; in a bucket of another account, ` +
    "the bucket's policy must allow this account the same (a CloudWatchLogsArchiveBucket does for its sourceAccounts; for any other bucket " +
    'the synth-time warning cdk-cloudwatch-logs-s3-exporter:archivePolicy prints the statements)';
}

/** What asking for the lease came to. */
export type LeaseOutcome =
  /** This run holds the lease, as it did before. */
  | { readonly kind: 'held' }
  /** This run has just taken the lease (see `decideLease`). */
  | Extract<LeaseDecision, { kind: 'taken' }>
  /** Another run holds it. */
  | { readonly kind: 'busy'; readonly holder: string };

/** What the listing of a page's markers for a window says. */
export interface Listed {
  /** Done-markers by marker name. */
  readonly markers: Map<string, Marker[]>;
  /** The groups recorded as not exported (no event, deleted, expired), and why. */
  readonly recorded: Map<string, RecordKind>;
}

/** The done-markers a listing holds for a log group. */
export function markersOf(listed: Listed, group: string): Marker[] {
  return listed.markers.get(markerName(group)) ?? [];
}

export interface Checkpoint {
  /** End of the last window before which every window was exported (ms). */
  readonly end: number;
}

export class StateStore {
  private readonly ttl: number;
  /**
   * How old the lease may get before a turn rewrites it: the next turn starts at most a turn and
   * a wait later, and the lease must outlive that by five minutes (at least a third of its life
   * is left).
   */
  private readonly renewAfter: number;

  /** The mode of the bucket's default Object Lock retention, for this run ({@link lockFor}); undefined: none. */
  private lock?: LockMode;

  constructor(private readonly bucket: BucketAccess, private readonly config: ExporterConfig, private readonly now: () => number) {
    this.ttl = config.leaseSeconds * 1000;
    this.renewAfter = Math.max(this.ttl / 3, this.ttl - (config.lambdaTimeoutSeconds + config.maxWaitSeconds + 300) * 1000);
  }

  // ---------------------------------------------------------------- done-markers

  /**
   * The done-markers of the page's groups for a window, by marker name, and (unless `markersOnly`)
   * the groups that records say were not exported, and why. One ListObjectsV2 call
   * covers a page: markers and records sort like the page's marker names.
   */
  async markers(page: Group[], window: Window, markersOnly = false): Promise<Listed> {
    const found: Listed = { markers: new Map(), recorded: new Map() };
    if (page.length === 0) return found;
    const prefix = markerPrefix(this.config.keyPrefix, this.config.period, window);
    const first = prefix + markerName(page[0].name);
    const last = prefix + markerName(page[page.length - 1].name);
    // A strict prefix of the first key sorts just before it.
    const startAfter = first.slice(0, -1);
    let token: string | undefined;
    while (true) {
      const res = await this.bucket.list({ Prefix: prefix, StartAfter: token ? undefined : startAfter, ContinuationToken: token });
      const keys = (res.Contents ?? []).map((o) => o.Key!);
      for (const key of keys) {
        const m = parseMarker(prefix, key);
        const kind = m || markersOnly || key > `${last}\uffff` ? undefined : recordKindOf(prefix, key);
        if (m) found.markers.set(m.name, [...(found.markers.get(m.name) ?? []), m]);
        else if (kind) for (const n of (await this.readJson<UnexportedRecord>(key))?.body.logGroupNames ?? []) found.recorded.set(n, kind);
      }
      if (!res.IsTruncated || keys.length === 0 || keys[keys.length - 1] >= last) break;
      token = res.NextContinuationToken;
    }
    return found;
  }

  /** Whether any group has a done-marker or a record for the window (one request). */
  async anyMarker(window: Window): Promise<boolean> {
    const prefix = markerPrefix(this.config.keyPrefix, this.config.period, window);
    const res = await this.bucket.list({ Prefix: prefix, MaxKeys: 1 });
    const recorded = (key: string) => parseMarker(prefix, key) !== undefined || recordKindOf(prefix, key) !== undefined;
    return (res.Contents ?? []).some((o) => recorded(o.Key!)) || res.IsTruncated === true;
  }

  /** Everything recorded for a window, read back whole (names of every group). */
  windowRecords(window: Window): Promise<WindowRecords> {
    return readWindowRecords(this.bucket, markerPrefix(this.config.keyPrefix, this.config.period, window));
  }

  async writeMarker(group: string, window: Window, taskId: string, durationMs: number, bytes: number | undefined, partial: boolean,
    record: Record<string, unknown>): Promise<void> {
    const key = markerKey(markerPrefix(this.config.keyPrefix, this.config.period, window), group, durationMs, taskId, bytes, partial);
    await this.putJson(key, {
      logGroupName: group,
      window: { start: new Date(window.start).toISOString(), end: new Date(window.end).toISOString() },
      taskId,
      ...record,
    }, {});
  }

  /**
   * Records groups of a page not exported in a window: without events (with what their checks
   * found), deleted or expired (with `reason`).
   */
  async writeRecord(kind: RecordKind, page: Group[], window: Window, groups: Group[], run: string, reason?: string): Promise<void> {
    const iso = (ms: number) => new Date(ms).toISOString();
    const record: UnexportedRecord = {
      logGroupNames: groups.map((g) => g.name),
      window: { start: iso(window.start), end: iso(window.end) },
      run,
      ...(kind === RecordKind.EMPTY ? {
        lastEvents: Object.fromEntries(groups.map((g) => [g.name, {
          lastEvent: g.lastEvent ? iso(g.lastEvent) : null,
          checkedAt: iso(g.checkedAt ?? 0),
        }])),
      } : { reason }),
    };
    const key = recordKey(markerPrefix(this.config.keyPrefix, this.config.period, window), kind, page[0].name, run, record.logGroupNames);
    await this.putJson(key, record, {});
  }

  // ---------------------------------------------------------------- lease

  /**
   * Makes sure this run holds the lease, renewing it when its last write is `renewAfter` old (so
   * that no turn outlives it), or takes it over where `decideLease` says it may.
   */
  async holdLease(state: RunState, req: LeaseRequest): Promise<LeaseOutcome> {
    const held = (etag: string) => {
      state.lease = { etag, at: req.now, page: pageKey(req.snapshot) };
    };
    if (state.lease) {
      if (!req.force && req.now - state.lease.at < this.renewAfter) return { kind: 'held' };
      try {
        held(await this.putJson(leaseKey(this.config.keyPrefix), leaseBody(state, req, this.ttl), { IfMatch: state.lease.etag }));
        return { kind: 'held' };
      } catch (e) {
        if (!isConditionalFailure(e)) throw e;
      }
    }
    const current = await this.readJson<LeaseBody>(leaseKey(this.config.keyPrefix));
    const decision = decideLease(state, req, current?.body);
    if (decision.kind !== 'taken') {
      state.lease = undefined;
      return decision;
    }
    // Taken anew: what the lease owes, this run owes from its first write on.
    const before = { recovery: state.recovery, carefulPast: state.carefulPast };
    Object.assign(state, { recovery: decision.recovery, carefulPast: decision.carefulPast });
    try {
      held(await this.putJson(leaseKey(this.config.keyPrefix), leaseBody(state, req, this.ttl), current ? { IfMatch: current.etag } : { IfNoneMatch: '*' }));
      return decision;
    } catch (e) {
      Object.assign(state, before);
      if (!isConditionalFailure(e)) throw e;
      state.lease = undefined;
      return { kind: 'busy', holder: 'another run (it wrote the lease first)' };
    }
  }

  async releaseLease(state: RunState): Promise<void> {
    if (!state.lease) return;
    try {
      await this.putJson(leaseKey(this.config.keyPrefix), releasedLease(state), { IfMatch: state.lease.etag });
    } catch (e) {
      if (!isConditionalFailure(e)) throw e;
    }
    state.lease = undefined;
  }

  // ---------------------------------------------------------------- checkpoint

  /**
   * Where scheduled runs resume: the checkpoint of this exporter's period or, after a change of
   * period, of the other one (its windows end on other instants).
   */
  async checkpoint(): Promise<Checkpoint | undefined> {
    const read = async (period: Period) => (await this.readJson<Checkpoint>(checkpointKey(this.config.keyPrefix, period)))?.body;
    const own = await read(this.config.period);
    const other = await read(this.config.period === 'P1D' ? 'PT1H' : 'P1D');
    // A run of the other period that finished after a deployment may have moved past this one's: the later one that can be right.
    const now = this.now();
    const right = [own, other].filter((c): c is Checkpoint => c !== undefined && typeof c.end === 'number' && c.end <= now);
    return right.length > 0 ? right.reduce((a, b) => (b.end > a.end ? b : a)) : own ?? other;
  }

  /**
   * Moves the checkpoint forward to `end`; a checkpoint in the future (it cannot be right) is
   * replaced. Returns the checkpoint in effect.
   */
  async advanceCheckpoint(end: number, now: number, run: string): Promise<number> {
    const key = checkpointKey(this.config.keyPrefix, this.config.period);
    const current = (await this.readJson<Checkpoint>(key))?.body;
    if (current && current.end >= end && current.end <= now) return current.end;
    await this.putJson(key, { end, endIso: new Date(end).toISOString(), timeZone: this.config.timeZone, run }, {});
    return end;
  }

  // ---------------------------------------------------------------- findings

  /** Records what a scheduled run found about the selection. */
  async writeFindings(findings: RunFindings): Promise<void> {
    await this.putJson(findingsKey(this.config.keyPrefix), findings, {});
  }

  /** The time scheduled runs left behind, and what backfills of every group exported since. */
  async abandoned(): Promise<AbandonedRecord> {
    const body = (await this.readJson<Partial<AbandonedRecord>>(abandonedKey(this.config.keyPrefix)))?.body;
    return { ranges: body?.ranges ?? [], backfilled: body?.backfilled ?? [] };
  }

  /** Replaces the record of time left behind (only while holding the lease: no other run writes it meanwhile). */
  async writeAbandoned(record: AbandonedRecord): Promise<void> {
    await this.putJson(abandonedKey(this.config.keyPrefix), record, {});
  }

  /** Records a log group found gone since the window starting at `lastSeen` (created again at `recreatedAt`). */
  async writeVanished(group: string, lastSeen: number, run: string, recreatedAt?: number): Promise<void> {
    const iso = (ms: number) => new Date(ms).toISOString();
    const record: VanishedRecord = {
      logGroupName: group,
      lastSeen: iso(lastSeen),
      foundAt: iso(this.now()),
      run,
      ...(recreatedAt !== undefined ? { recreatedAt: iso(recreatedAt) } : {}),
    };
    await this.putJson(vanishedKey(this.config.keyPrefix, group, run), record, {});
  }

  // ---------------------------------------------------------------- owner

  /**
   * This exporter's owner.json, when it names a cut (undefined before the first run): how windows
   * are cut now, and were before. A deployment that changes the period or the time zone takes
   * effect when a run switches it ({@link switchCut}), once every window cut the earlier way is exported.
   */
  async owner(): Promise<OwnerRecord | undefined> {
    const owner = (await this.readJson<OwnerRecord>(ownerKey(this.config.keyPrefix)))?.body;
    if (owner?.exporterId !== this.config.exporterId || !['P1D', 'PT1H'].includes(owner.period) || typeof owner.timeZone !== 'string') return undefined;
    const cut = (c: Partial<EarlierCut>) => ['P1D', 'PT1H'].includes(c?.period ?? '') && typeof c?.timeZone === 'string' && typeof c?.until === 'number';
    return { ...owner, earlier: Array.isArray(owner.earlier) ? owner.earlier.filter(cut) : [] };
  }

  /**
   * From `until` on, windows are cut as `to` says; before it, as this store's configuration says
   * (recorded unless it cut no window: it took effect at `until` itself).
   */
  async switchCut(to: { period: Period; timeZone: string }, until: number): Promise<void> {
    const { exporterId, settleSeconds, scheduleIntervalSeconds, period, timeZone } = this.config;
    const earlier = (await this.owner())?.earlier ?? [];
    const since = earlier.length > 0 ? earlier[earlier.length - 1].until : -Infinity;
    const record: OwnerRecord = {
      exporterId,
      period: to.period,
      timeZone: to.timeZone,
      settleSeconds,
      scheduleIntervalSeconds,
      earlier: since >= until ? earlier : [...earlier, { period, timeZone, until }],
    };
    await this.putJson(ownerKey(this.config.keyPrefix), record, {});
  }

  /**
   * Claims the key prefix for this exporter, or fails the run when another exporter keeps its
   * state there (two exporters sharing markers and lease would skip each other's groups). The
   * cut it records is changed by {@link switchCut} only.
   */
  async claimPrefix(): Promise<void> {
    const key = ownerKey(this.config.keyPrefix);
    const { exporterId: mine, period, timeZone, settleSeconds, scheduleIntervalSeconds } = this.config;
    const record: OwnerRecord = { exporterId: mine, period, timeZone, settleSeconds, scheduleIntervalSeconds };
    for (let tries = 0; tries < 2; tries++) {
      const owner = await this.readJson<OwnerRecord>(key);
      if (owner?.body.exporterId === mine) {
        // Settings changed by a deployment (but the cut): the coverage report reads them from here.
        const { period: p, timeZone: z, earlier } = owner.body;
        const wanted = { ...record, period: p, timeZone: z, ...(earlier ? { earlier } : {}) };
        if ((Object.keys(record) as (keyof OwnerRecord)[]).some((k) => owner.body[k] !== wanted[k])) {
          await this.putJson(key, wanted, { IfMatch: owner.etag }).catch((e) => {
            if (!isConditionalFailure(e)) throw e;
          });
        }
        return;
      }
      if (owner) {
        throw Object.assign(new Error(
          `s3://${this.config.bucket}/${this.config.keyPrefix}/ is used by another exporter (${owner.body.exporterId}), not by ${mine}: ` +
          'give each exporter its own keyPrefix. If that exporter no longer exists (for example, this stack was renamed), ' +
          `delete s3://${this.config.bucket}/${key} and run again.`), { name: ErrorName.PREFIX_IN_USE });
      }
      try {
        await this.putJson(key, record, { IfNoneMatch: '*' });
        return;
      } catch (e) {
        if (!isConditionalFailure(e)) throw e;
      }
    }
  }

  // ---------------------------------------------------------------- objects

  /** Offload's retention ledger as stored (its shape unchecked), with its ETag (undefined: none yet). */
  async retentionLedger(): Promise<{ body: RetentionLedger; etag: string } | undefined> {
    return this.readJson<RetentionLedger>(retentionKey(this.config.keyPrefix));
  }

  /** Writes the retention ledger if it is still the one read (`etag`; undefined: there was none, and offload is recorded as started first). */
  async writeRetentionLedger(ledger: RetentionLedger, etag: string | undefined): Promise<string> {
    if (!etag) await this.putJson(retentionStartedKey(this.config.keyPrefix), { startedAt: new Date(this.now()).toISOString() }, {});
    return this.putJson(retentionKey(this.config.keyPrefix), ledger, etag ? { IfMatch: etag } : { IfNoneMatch: '*' });
  }

  /** Whether a retention ledger was ever written (a missing one was lost). */
  async retentionStarted(): Promise<boolean> {
    return (await this.readJson<unknown>(retentionStartedKey(this.config.keyPrefix))) !== undefined;
  }

  /**
   * Reads the mode of the bucket's default Object Lock retention, once per run (the run carries
   * it: {@link useLock}): state objects are then written with the shortest explicit retention.
   */
  async readLock(): Promise<LockMode | undefined> {
    this.lock = await this.bucket.defaultLockMode();
    return this.lock;
  }

  /** The lock mode the run read when it started. */
  useLock(mode: LockMode | undefined): void {
    this.lock = mode;
  }

  private readJson<T>(key: string): Promise<{ body: T; etag: string } | undefined> {
    return this.bucket.readJson<T>(key);
  }

  private putJson(key: string, body: unknown, condition: { IfMatch?: string; IfNoneMatch?: string }): Promise<string> {
    const retention = this.lock ? { ObjectLockMode: this.lock, ObjectLockRetainUntilDate: new Date(this.now() + STATE_RETENTION_MS) } : {};
    return this.bucket.put({ Key: key, Body: JSON.stringify(body), ContentType: 'application/json', ...condition, ...retention });
  }
}
