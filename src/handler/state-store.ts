/**
 * The exporter's state in the bucket, under `_state/<keyPrefix>/`: the only module that reads or
 * writes it.
 *
 * - Done-markers: one object per exported (log group, window), written after its export task
 *   COMPLETED, never before; listed a page of groups at a time.
 * - Empty records: one object per run, page of groups and window, naming the page's groups
 *   that had no event in the window (they were not exported); listed with the markers.
 * - The lease: one run at a time. Conditional writes (ETags) make a run its only holder; it
 *   expires `leaseSeconds` after its last write. It records the holder's run, execution, page
 *   and position, so that a run taking over from a dead holder knows where to look for the
 *   export the dead run may have left without a marker.
 * - The checkpoint: where scheduled runs resume.
 * - The owner: which exporter keeps its state under this key prefix.
 *
 * In a bucket with a default Object Lock retention, every state object is written with the
 * shortest explicit retention of that mode (one day): exports stay locked for the bucket's
 * period, while the lease (rewritten every quarter of an hour) and the markers do not pile up
 * locked versions for years; a lifecycle rule on `_state/` expires their old versions.
 */
import { BucketAccess, DenialHint, LockMode, isConditionalFailure } from './bucket-access';
import { ExporterConfig } from './config';
import {
  EmptyRecord, Marker, OwnerRecord, checkpointKey, emptyRecordKey, isEmptyRecord, leaseKey, markerKey, markerNames, markerPrefix, ownerKey,
  parseMarker, stateRoot,
} from './layout';
import { ErrorName } from './protocol';
import { Group, RunState, Snapshot, pageKey } from './run-state';
import { Period, Window } from './windows';

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
  /**
   * A run of an earlier release died holding the lease, leaving no position: runs confirm each
   * export before starting it until a scheduled run has done so for its whole traversal.
   */
  readonly blind?: true;
}

/** The lease as earlier releases wrote it. */
interface LegacyLeaseBody {
  readonly runId: string;
  readonly expires: number;
}

export type LeaseOutcome =
  /** This run holds the lease, as it did before. */
  | { readonly kind: 'held' }
  /**
   * This run has just taken the lease: from nobody, from a run that released it, from a dead
   * holder, or back from another invocation of its own execution; `walk` holds the positions to
   * walk on from, `blind` says a dead holder left none.
   */
  | { readonly kind: 'taken'; readonly walk: Snapshot[]; readonly blind: boolean; readonly from?: string; readonly own?: string }
  /** Another run holds it. */
  | { readonly kind: 'busy'; readonly holder: string };

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

/** What the listing of a page's markers for a window says. */
export interface Listed {
  /** Done-markers by marker name. */
  readonly markers: Map<string, Marker[]>;
  /** Names of the groups recorded as without events. */
  readonly empty: Set<string>;
}

/** The done-markers a listing holds for a log group (under each name its markers may have). */
export function markersOf(listed: Listed, group: string): Marker[] {
  return markerNames(group).flatMap((n) => listed.markers.get(n) ?? []);
}

export interface Checkpoint {
  /** End of the last window before which every window was exported (ms). */
  readonly end: number;
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
   * the names of the groups that empty records say had no event in it. One ListObjectsV2 call
   * covers a page: markers and records sort like the page's marker names.
   */
  async markers(page: Group[], window: Window, markersOnly = false): Promise<Listed> {
    const found: Listed = { markers: new Map(), empty: new Set() };
    if (page.length === 0) return found;
    const prefix = markerPrefix(this.config.keyPrefix, this.config.period, window);
    const names = (g: Group) => markerNames(g.name).map((n) => prefix + n);
    const first = names(page[0]).sort()[0];
    const last = names(page[page.length - 1]).sort().pop()!;
    // A strict prefix of the first key sorts just before it.
    const startAfter = first.slice(0, -1);
    let token: string | undefined;
    while (true) {
      const res = await this.bucket.list({ Prefix: prefix, StartAfter: token ? undefined : startAfter, ContinuationToken: token });
      const keys = (res.Contents ?? []).map((o) => o.Key!);
      for (const key of keys) {
        const m = parseMarker(prefix, key);
        if (m) {found.markers.set(m.name, [...(found.markers.get(m.name) ?? []), m]);} else if (!markersOnly && isEmptyRecord(prefix, key) && key <= `${last}\uffff`) {
          for (const n of (await this.readJson<EmptyRecord>(key))?.body.logGroupNames ?? []) found.empty.add(n);
        }
      }
      if (!res.IsTruncated || keys.length === 0 || keys[keys.length - 1] >= last) break;
      token = res.NextContinuationToken;
    }
    return found;
  }

  /** Whether any group has a done-marker or an empty record for the window (one request). */
  async anyMarker(window: Window): Promise<boolean> {
    const prefix = markerPrefix(this.config.keyPrefix, this.config.period, window);
    const res = await this.bucket.list({ Prefix: prefix, MaxKeys: 1 });
    return (res.Contents ?? []).some((o) => parseMarker(prefix, o.Key!) !== undefined || isEmptyRecord(prefix, o.Key!)) || res.IsTruncated === true;
  }

  async writeMarker(group: string, window: Window, taskId: string, durationMs: number, bytes: number | undefined,
    record: Record<string, unknown>): Promise<void> {
    const key = markerKey(markerPrefix(this.config.keyPrefix, this.config.period, window), group, durationMs, taskId, bytes);
    await this.putJson(key, {
      logGroupName: group,
      window: { start: new Date(window.start).toISOString(), end: new Date(window.end).toISOString() },
      taskId,
      ...record,
    }, {});
  }

  /** Records groups of a page that had no event in a window. */
  async writeEmpty(page: Group[], window: Window, groups: Group[], run: string): Promise<void> {
    const iso = (ms: number) => new Date(ms).toISOString();
    const record: EmptyRecord = {
      logGroupNames: groups.map((g) => g.name),
      window: { start: iso(window.start), end: iso(window.end) },
      run,
      lastEvents: Object.fromEntries(groups.map((g) => [g.name, {
        lastEvent: g.lastEvent ? iso(g.lastEvent) : null,
        checkedAt: iso(g.checkedAt ?? 0),
      }])),
    };
    const key = emptyRecordKey(markerPrefix(this.config.keyPrefix, this.config.period, window), page[0].name, run, record.logGroupNames);
    await this.putJson(key, record, {});
  }

  // ---------------------------------------------------------------- lease

  /**
   * Makes sure this run holds the lease, renewing it when its last write is `renewAfter` old
   * old (so that no turn outlives it), or takes it over where it can.
   */
  async holdLease(state: RunState, req: LeaseRequest): Promise<LeaseOutcome> {
    const body = (): LeaseBody => ({
      v: 2,
      run: state.run,
      execution: req.executionArn,
      expires: req.now + this.ttl,
      snapshot: req.snapshot,
      inherited: state.recovery,
      reach: lastOf(req.snapshot, state.carefulPast),
      ...(state.blind ? { blind: true } : {}),
    });
    const held = (etag: string) => {
      state.lease = { etag, at: req.now, page: pageKey(req.snapshot) };
    };
    if (state.lease) {
      if (!req.force && req.now - state.lease.at < this.renewAfter) return { kind: 'held' };
      try {
        held(await this.putJson(leaseKey(this.config.keyPrefix), body(), { IfMatch: state.lease.etag }));
        return { kind: 'held' };
      } catch (e) {
        if (!isConditionalFailure(e)) throw e;
      }
    }
    const current = await this.readJson<LeaseBody | LegacyLeaseBody>(leaseKey(this.config.keyPrefix));
    const decision = this.decide(state, req, current?.body);
    if (decision.kind !== 'taken') {
      state.lease = undefined;
      return decision;
    }
    // Taken anew: from nobody, from a run that released it or died, or (ours, written since this
    // state was) from another invocation of this run. What was done since is not in this state,
    // and what the lease owes (walks, a blind takeover) this run owes from its first write on. A
    // replayed (careful) attempt stays careful past the furthest page an earlier attempt recorded,
    // and the lease keeps that page for the attempts after it.
    const [owed, blind] = [state.recovery, state.blind];
    if (state.careful && decision.own !== undefined && !(state.carefulPast !== undefined && state.carefulPast > decision.own)) {
      state.carefulPast = decision.own;
    }
    try {
      const condition = current ? { IfMatch: current.etag } : { IfNoneMatch: '*' };
      state.recovery = distinct([...decision.walk, ...(owed ?? [])]);
      if (state.recovery.length === 0) state.recovery = undefined;
      if (decision.blind) state.blind = true;
      held(await this.putJson(leaseKey(this.config.keyPrefix), body(), condition));
      return decision;
    } catch (e) {
      [state.recovery, state.blind] = [owed, blind];
      if (!isConditionalFailure(e)) throw e;
      state.lease = undefined;
      return { kind: 'busy', holder: 'another run (it wrote the lease first)' };
    }
  }

  /** Whose the lease is, and what taking it means: `busy`, or `taken` with what the taker owes. */
  private decide(state: RunState, req: LeaseRequest, lease: LeaseBody | LegacyLeaseBody | undefined): LeaseOutcome {
    if (!lease) return { kind: 'taken', walk: [], blind: false };
    if (!('v' in lease)) {
      // Written by an earlier release of this library: it says nothing about where its holder was.
      if (lease.expires > req.now) return { kind: 'busy', holder: lease.runId };
      return { kind: 'taken', walk: [], blind: lease.expires > 0, from: lease.runId };
    }
    const free = lease.expires <= req.now; // released (0) or expired
    // This run, written by this execution, by the one it continues, or (first turns) by an earlier attempt of this execution.
    const ours = (lease.run === state.run && lease.execution === req.previousExecution) || lease.execution === req.executionArn;
    if (!ours && !free) return { kind: 'busy', holder: lease.execution };
    // A holder that did not release the lease may have left an export unmarked: walk on from its position. So does
    // a replayed (careful) attempt from an earlier attempt of its own run: the lease keeps that position, as a walk
    // it owes, for a run that takes over should this attempt die too.
    const position = lease.expires !== 0 && lease.snapshot && (lease.run !== state.run || state.careful) ? [lease.snapshot] : [];
    // Written by this run (another attempt of a turn): what it checked, this attempt decides by.
    const own = lease.run === state.run ? { own: lastOf(lease.snapshot, lease.reach) } : {};
    return { kind: 'taken', walk: [...position, ...(lease.inherited ?? [])], blind: lease.blind === true, from: lease.execution, ...own };
  }

  async releaseLease(state: RunState): Promise<void> {
    if (!state.lease) return;
    try {
      // A blind takeover is discharged by a scheduled run that confirmed each of its exports; a backfill passes it on.
      const blind = state.blind && state.mode !== 'scheduled' ? { blind: true as const } : {};
      const released: LeaseBody = { v: 2, run: state.run, execution: state.execution, expires: 0, ...blind };
      await this.putJson(leaseKey(this.config.keyPrefix), released, { IfMatch: state.lease.etag });
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
    return (await read(this.config.period)) ?? (await read(this.config.period === 'P1D' ? 'PT1H' : 'P1D'));
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

  // ---------------------------------------------------------------- owner

  /**
   * Claims the key prefix for this exporter, or fails the run when another exporter keeps its
   * state there (two exporters sharing markers and lease would skip each other's groups).
   */
  async claimPrefix(): Promise<void> {
    const key = ownerKey(this.config.keyPrefix);
    const { exporterId: mine, period, timeZone, settleSeconds, scheduleIntervalSeconds } = this.config;
    const record: OwnerRecord = { exporterId: mine, period, timeZone, settleSeconds, scheduleIntervalSeconds };
    for (let tries = 0; tries < 2; tries++) {
      const owner = await this.readJson<OwnerRecord>(key);
      if (owner?.body.exporterId === mine) {
        // Settings changed by a deployment: the coverage report reads them from here.
        if ((Object.keys(record) as (keyof OwnerRecord)[]).some((k) => owner.body[k] !== record[k])) {
          await this.putJson(key, record, { IfMatch: owner.etag }).catch((e) => {
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
