/**
 * Which (log group, window) comes next. A run goes through the selected log groups a page (at
 * most 250 groups) at a time, and through each page window by window; the position lives in
 * the run state's cursor, so the state stays within tens of KB whatever the number of groups,
 * and each group costs O(1) calls: groups are listed once per run, done-markers once per page
 * and window, and each group that may be idle is checked for events once per run, before
 * anything on its page is exported (see `activity.ts`).
 */
import { CloudWatchLogsClient, DescribeLogGroupsCommand, DescribeLogGroupsCommandOutput } from '@aws-sdk/client-cloudwatch-logs';
import { ActivityChecks, asksIncomingBytes, idleIn, needsCheck } from './activity';
import { Offload } from './offload';
import { CursorState, Group, MAX_NAMES_KEPT, Marks, RunState } from './run-state';
import { Listed, StateStore, markersOf } from './state-store';
import { log } from './telemetry';
import { ExporterConfig, Source } from '../shared/config';
import { RecordKind, markerName } from '../shared/layout';
import { Window, periodSeconds } from '../shared/windows';

/** A log group and window to export, with the part of the window the group holds. */
export interface Item {
  readonly group: Group;
  readonly window: Window;
  readonly range: { readonly from: number; readonly to: number };
  /** How long the group's export of the window before took (ms), when recorded. */
  readonly expectedMs?: number;
}

/**
 * The part of the window a group can hold: none if the window ended before the group was
 * created (CreateExportTask refuses a `to` before the creation time); otherwise all of it
 * inside the retention period and after `notBefore` (what an earlier run exported in windows
 * of another time zone or period). Events may carry timestamps up to 14 days before the
 * group's creation, so the creation time does not cut the start of the range.
 */
export function exportRange(group: Group, window: Window, now: number, notBefore = -Infinity): { from: number; to: number } | undefined {
  const to = window.end - 1;
  if (to < group.created) return undefined;
  const from = Math.max(window.start, retainedFrom(group, now), notBefore);
  return from <= to ? { from, to } : undefined;
}

/** The oldest instant a group still holds events of, an hour kept spare (its retention removes what is older). */
function retainedFrom(group: Group, now: number): number {
  return group.retentionDays ? now - group.retentionDays * 86_400_000 + 3_600_000 : -Infinity;
}

/** Whether the group's retention removed every event of the window a run could export (the window is after `notBefore` and the group's creation). */
function expiredIn(group: Group, window: Window, now: number, notBefore = -Infinity): boolean {
  return window.end - 1 >= Math.max(group.created, notBefore) && retainedFrom(group, now) > window.end - 1;
}

/**
 * Whether a group's retention removes events before the schedule exports them: a window's first
 * event is a period, the settle time and the schedule's longest interval old when its export
 * starts, and exports keep an hour spare.
 */
export function retentionAtRisk(group: Group, config: Pick<ExporterConfig, 'period' | 'settleSeconds' | 'scheduleIntervalSeconds'>): boolean {
  if (!group.retentionDays) return false;
  const oldest = periodSeconds(config.period) + config.settleSeconds + config.scheduleIntervalSeconds;
  return group.retentionDays * 86_400 - 3_600 < oldest;
}

function isRefusedToken(e: unknown): boolean {
  return ['InvalidParameterException', 'ValidationException'].includes((e as { name?: string })?.name ?? '');
}

type Described = Pick<DescribeLogGroupsCommandOutput, 'logGroups' | 'nextToken'>;

/** Groups on a page at most: a page costs a few S3 requests (a listing, the lease, an empty record) whatever its size. */
export const PAGE_GROUPS = 250;
/**
 * A page takes no more DescribeLogGroups calls once its names hold this many characters: the run
 * state carries the page, and names are up to 512 characters long.
 */
const PAGE_NAME_CHARS = 12_000;
/** Groups one DescribeLogGroups call returns at most. */
const DESCRIBE_LIMIT = 50;

/** DescribeLogGroups a page at a time, for one source of groups. */
export class GroupListing {
  constructor(private readonly logs: CloudWatchLogsClient, private readonly config: ExporterConfig) {}

  /**
   * Loads the cursor's next page of the source (up to five DescribeLogGroups calls) and moves the
   * cursor to its start. Returns whether the listing held the source's exact name, if it names
   * one (an exclusion may leave it off the page).
   */
  async load(c: CursorState, source: Source): Promise<boolean> {
    let res: Described;
    try {
      res = await this.describe(source, c.token);
    } catch (e) {
      // Tokens expire after 24 hours; a page of slow exports can take longer. List again after the last name seen.
      if (c.token === undefined || c.listedUpTo === undefined || !isRefusedToken(e)) throw e;
      log('WARN', 'log group listing token refused; listing again after the last group listed', { after: c.listedUpTo, error: (e as Error).message });
      res = await this.after(source, c.listedUpTo);
    }
    // Groups created or deleted during the run may shift pages: none listed before is listed again.
    const after = c.token === undefined ? undefined : c.listedUpTo;
    const groups = (res.logGroups ?? []).filter((g) => g.logGroupName !== undefined && (after === undefined || g.logGroupName > after));
    let token = source.exact ? undefined : res.nextToken;
    const chars = () => groups.reduce((n, g) => n + g.logGroupName!.length, 0);
    while (token && groups.length < PAGE_GROUPS && chars() < PAGE_NAME_CHARS) {
      const more = await this.describe(source, token, Math.min(DESCRIBE_LIMIT, PAGE_GROUPS - groups.length));
      groups.push(...(more.logGroups ?? []).filter((g) => g.logGroupName !== undefined));
      token = more.nextToken;
    }
    const { excludePrefixes, excludeNames } = this.config;
    c.page = groups
      .filter((g) => !source.exact || g.logGroupName === source.prefix)
      .filter((g) => !excludeNames.includes(g.logGroupName!) && !excludePrefixes.some((p) => g.logGroupName!.startsWith(p)))
      .map((g) => ({
        name: g.logGroupName!,
        created: g.creationTime ?? 0,
        ...(g.retentionInDays ? { retentionDays: g.retentionInDays } : {}),
        ...(g.storedBytes !== undefined ? { bytes: g.storedBytes } : {}),
      }))
      .sort((a, b) => (markerName(a.name) < markerName(b.name) ? -1 : 1));
    // Names come sorted, so an exact name is on the first page of its prefix.
    c.token = token;
    c.listedUpTo = groups[groups.length - 1]?.logGroupName ?? c.listedUpTo;
    c.window = 0;
    c.group = 0;
    c.surveyed = undefined;
    c.toCheck = undefined;
    return source.exact === true && groups.some((g) => g.logGroupName === source.prefix);
  }

  /** A log group by its exact name; undefined when it does not exist (one call). */
  async find(name: string): Promise<Group | undefined> {
    const res = await this.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name, limit: 1 }));
    const g = res.logGroups?.[0];
    if (g?.logGroupName !== name) return undefined;
    return { name, created: g.creationTime ?? 0, ...(g.retentionInDays ? { retentionDays: g.retentionInDays } : {}) };
  }

  private describe(source: Source, nextToken?: string, limit = DESCRIBE_LIMIT): Promise<DescribeLogGroupsCommandOutput> {
    return this.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: source.prefix, nextToken, limit }));
  }

  /** The first page of the source's groups named after `name` (groups come sorted by name). */
  private async after(source: Source, name: string): Promise<Described> {
    let token: string | undefined;
    while (true) {
      const res = await this.describe(source, token);
      const later = (res.logGroups ?? []).filter((g) => (g.logGroupName ?? '') > name);
      if (later.length > 0 || !res.nextToken) return { logGroups: later, nextToken: res.nextToken };
      token = res.nextToken;
    }
  }
}

export interface CursorDeps {
  readonly listing: GroupListing;
  readonly activity: ActivityChecks;
  /** Told of a log group named exactly (a backfill's `logGroupNames`, a selection by names) that the listing did not return. */
  readonly missing: (state: RunState, name: string) => void;
  readonly store: StateStore;
  /** Offload: raises retention on entering a page, sets it once the page is done. */
  readonly offload: Offload;
  /** The window starting at an instant (memoised by the caller). */
  readonly window: (start: number) => Window;
  /** The window before a window. */
  readonly before: (w: Window) => Window;
  readonly now: () => number;
}

/**
 * Largest state answered with a page listed ahead, in characters of JSON (Step Functions passes
 * at most 256 KB between states; pages of long names take up to about 65,000).
 */
export const MAX_STATE_CHARS = 96_000;

/** Windows whose markers a page's checks list to leave out groups done in all of them. */
const SURVEYED_WINDOWS = 31;

/** The turn must hand back before going on (checking a page's groups for events takes more than one invocation). */
export const LATER = 'later';

/**
 * The selection's sources without repeats: an exact name given twice, or a prefix inside
 * another, would visit a group twice (names known only at deploy time are compared here).
 */
function distinctSources(sources: Source[]): Source[] {
  if (sources.some((s) => s.prefix === undefined)) return [{}];
  const exact = [...new Set(sources.filter((s) => s.exact).map((s) => s.prefix!))].map((prefix) => ({ prefix, exact: true }));
  const prefixes = [...new Set(sources.filter((s) => !s.exact).map((s) => s.prefix!))];
  const outer = prefixes.filter((p) => !prefixes.some((q) => q !== p && p.startsWith(q)));
  return [...exact, ...outer.map((prefix) => ({ prefix }))].sort((a, b) => (a.prefix < b.prefix ? -1 : 1));
}

/** Done for a window: exported, or recorded as not to be exported (a failure is tried again). */
const isDone = (listed: Listed, g: Group): boolean => {
  const kind = listed.recorded.get(g.name);
  return markersOf(listed, g.name).length > 0 || (kind !== undefined && kind !== RecordKind.FAILED);
};

/** What a page's listings say for a window: its marks, the listing itself, and the stored bytes of the exports of the window before. */
interface PageMarks {
  readonly marks: Marks;
  readonly listed: Listed;
  readonly bytesBefore: Array<number | undefined>;
}

export class Cursor {
  private readonly sourcesOfConfig: Source[];

  constructor(private readonly config: ExporterConfig, private readonly deps: CursorDeps) {
    this.sourcesOfConfig = distinctSources(config.sources);
  }

  /**
   * The next (group, window) of the run that is not done and has something to export, at the
   * cursor; `LATER` when the invocation nears `deadline` while checking groups for events.
   */
  async next(state: RunState, deadline: number): Promise<Item | undefined | typeof LATER> {
    if (state.windows.length === 0) return undefined;
    while (true) {
      const c = state.cursor;
      if (!c.page) {
        if (c.source >= this.sources(state).length) return undefined;
        Object.assign(c, await this.load(state, c));
        state.marks = undefined;
        state.empty = undefined;
        state.expired = undefined;
        this.entered(state, c.page!);
        continue;
      }
      if (this.deps.offload.enabled && !c.raised) {
        await this.deps.offload.raise(state);
        continue;
      }
      if (!c.surveyed) {
        if (!(await this.survey(state, c, deadline, (marks) => (state.marks = marks)))) return LATER;
        continue;
      }
      if (c.window >= state.windows.length) {
        if (!(await this.deps.offload.settle(state, state.windows.map((start) => this.deps.window(start)), deadline))) return LATER;
        // On to the next page: listed and checked while exports of this one ran, or to be listed now.
        const from = state.ahead ? undefined : this.following(state);
        if (state.ahead) {
          [state.cursor, state.marks, state.ahead] = [state.ahead.cursor, state.ahead.marks, undefined];
          this.entered(state, state.cursor.page!);
        } else if (from) {
          [state.cursor, state.marks] = [{ ...from, window: 0, group: 0 }, undefined];
        } else {
          return undefined;
        }
        continue;
      }
      const window = this.deps.window(state.windows[c.window]);
      if (c.group >= c.page.length) {
        await this.recordUnexported(state, window);
        c.window += 1;
        c.group = 0;
        state.marks = undefined;
        continue;
      }
      if (!state.marks) state.marks = (await this.marks(state, c.page, window)).marks;
      if (state.marks.done.includes(c.group)) {
        c.group += 1;
        continue;
      }
      const group = c.page[c.group];
      const range = exportRange(group, window, this.deps.now(), state.notBefore);
      const idle = !this.config.exportEmptyWindows && idleIn(group, window);
      if (!range && !idle && expiredIn(group, window, this.deps.now(), state.notBefore)) {
        // Lost before a run reached it: recorded, so that it is reported, and not looked for again.
        state.stats.expired += 1;
        state.expired = [...(state.expired ?? []), c.group];
        c.group += 1;
        continue;
      }
      if (!range) {
        state.stats.skipped += 1;
        c.group += 1;
        continue;
      }
      if (idle) {
        state.stats.empty += 1;
        state.empty = [...(state.empty ?? []), c.group];
        c.group += 1;
        continue;
      }
      return { group, window, range, expectedMs: state.marks.expectedMs[c.group] || undefined };
    }
  }

  /**
   * Uses time the run would otherwise wait (an export running) until `until`: lists the next
   * page of groups and checks them, so that they are ready when the cursor gets there. What it
   * cannot finish now, it goes on with later; what fails, the cursor does again itself.
   */
  async prepare(state: RunState, until: number): Promise<void> {
    const c = state.cursor;
    if (!c.page || !c.surveyed || c.noAhead || state.ahead?.cursor.surveyed) return;
    try {
      if (!state.ahead) {
        const from = this.following(state);
        // A page about as large as this one would make the state too large.
        if (!from || JSON.stringify(state).length * 2 > MAX_STATE_CHARS) {
          c.noAhead = true;
          return;
        }
        state.ahead = { cursor: await this.load(state, from) };
      }
      const ahead = state.ahead;
      await this.survey(state, ahead.cursor, until, (marks) => (ahead.marks = marks));
    } catch (e) {
      log('WARN', 'listing or checking the next page of log groups ahead failed; the run does it when it gets there', { error: (e as Error).message });
    }
  }

  /** Where the page after the cursor's starts: its source, and the listing token of that source (undefined: none left). */
  private following(state: RunState): Pick<CursorState, 'source' | 'token' | 'listedUpTo'> | undefined {
    const c = state.cursor;
    if (c.token !== undefined) return { source: c.source, token: c.token, listedUpTo: c.listedUpTo };
    return c.source + 1 < this.sources(state).length ? { source: c.source + 1, token: undefined, listedUpTo: undefined } : undefined;
  }

  /** A cursor at the start of the page that starts at `from`. */
  private async load(state: RunState, from: Pick<CursorState, 'source' | 'token' | 'listedUpTo'>): Promise<CursorState> {
    const source = this.sources(state)[from.source];
    const c: CursorState = { ...from, window: 0, group: 0 };
    const listed = await this.deps.listing.load(c, source);
    // A name an exclusion leaves out exists: only one no group has is missing.
    if (source.exact && !listed) this.deps.missing(state, source.prefix!);
    return c;
  }

  /** Whether the item at the cursor is this (group, window). */
  isAt(state: RunState, group: string, window: number): boolean {
    return state.cursor.page?.[state.cursor.group]?.name === group && state.windows[state.cursor.window] === window;
  }

  private sources(state: RunState): Source[] {
    return state.names ? state.names.map((n) => ({ prefix: n, exact: true })) : this.sourcesOfConfig;
  }

  /**
   * Checks a page's groups for events, once per run, before anything on the page is exported or
   * skipped: the groups that are not done in every window of the run and have not taken in data
   * since their last export (their stored bytes, or their metric: see `activity.ts`). What the
   * markers say of the run's first window goes to `keep`. Returns false when the checks must go
   * on later (`deadline`).
   */
  private async survey(state: RunState, c: CursorState, deadline: number, keep: (marks: Marks) => void): Promise<boolean> {
    const page = c.page!;
    if (this.config.exportEmptyWindows) {
      c.surveyed = true;
      return true;
    }
    if (!c.toCheck) {
      const first = await this.marks(state, page, this.deps.window(state.windows[0]));
      keep(first.marks);
      // What is done in the run's first windows (past those, a long backfill checks every group).
      const done = [first.listed];
      for (const start of state.windows.slice(1, SURVEYED_WINDOWS)) done.push(await this.doneIn(state, page, this.deps.window(start)));
      const now = this.deps.now();
      const open = (g: Group) => state.windows.some((start, i) =>
        !(i < done.length && isDone(done[i], g)) && exportRange(g, this.deps.window(start), now, state.notBefore));
      const toCheck = page.flatMap((g, i) => (open(g) && needsCheck(g, first.bytesBefore[i]) ? [i] : []));
      const asked = toCheck.filter((i) => asksIncomingBytes(page[i], first.bytesBefore[i])).map((i) => page[i].name);
      const tookIn = await this.deps.activity.tookIn(asked, state.windows.map((start) => this.deps.window(start)), deadline);
      c.toCheck = toCheck.filter((i) => !tookIn.has(page[i].name));
    }
    while (c.toCheck.length > 0) {
      const i = c.toCheck[0];
      const found = await this.deps.activity.newestEvent(page[i].name, deadline);
      if (!found) return false;
      page[i] = { ...page[i], lastEvent: found.lastEvent, checkedAt: found.checkedAt };
      c.toCheck.shift();
    }
    c.toCheck = undefined;
    c.surveyed = true;
    return true;
  }

  /** Records the page's groups found without events in the window, and those whose retention had removed it, if any. */
  private async recordUnexported(state: RunState, window: Window): Promise<void> {
    const page = state.cursor.page!;
    if (state.empty?.length) await this.deps.store.writeRecord(RecordKind.EMPTY, page, window, state.empty.map((i) => page[i]), state.run);
    if (state.expired?.length) {
      await this.deps.store.writeRecord(RecordKind.EXPIRED, page, window, state.expired.map((i) => page[i]), state.run,
        "the log group's retention had removed the window's events before a run reached it");
    }
    state.empty = undefined;
    state.expired = undefined;
  }

  /**
   * A scheduled run enters a page of the selection: its groups are counted, and those whose
   * retention removes events before the schedule exports them are named (once per run).
   */
  private entered(state: RunState, page: Group[]): void {
    if (state.mode !== 'scheduled') return;
    const s = state.selection;
    s.groups += page.length;
    for (const g of page.filter((x) => retentionAtRisk(x, this.config))) {
      s.atRiskCount += 1;
      if (s.atRisk.length >= MAX_NAMES_KEPT) continue;
      s.atRisk.push({ logGroupName: g.name, retentionInDays: g.retentionDays! });
      log('WARN', "a log group's retention removes events before the schedule exports them: its exports are partial", {
        logGroupName: g.name,
        retentionInDays: g.retentionDays,
        exportedAfterHours: (periodSeconds(this.config.period) + this.config.settleSeconds + this.config.scheduleIntervalSeconds) / 3600,
      });
    }
  }

  /** The page's markers and empty records for a window, unless the window is known to have none. */
  private async doneIn(state: RunState, page: Group[], window: Window): Promise<Listed> {
    const skipDone = state.reexport || (await this.cleanWindows(state)).includes(window.start);
    return skipDone ? { markers: new Map(), recorded: new Map() } : this.deps.store.markers(page, window);
  }

  /**
   * Which groups of the page are done for the window, how long each one's export of the window
   * before took, and the stored bytes that export recorded: one listing per page and window for
   * the window before, and one for the window itself unless it is known to have no markers.
   */
  private async marks(state: RunState, page: Group[], window: Window): Promise<PageMarks> {
    const listed = await this.doneIn(state, page, window);
    const before = await this.deps.store.markers(page, this.deps.before(window), true);
    // Each group's markers of the window before, newest first.
    const latest = page.map((g) => markersOf(before, g.name).reverse());
    return {
      marks: {
        done: page.flatMap((g, i) => (isDone(listed, g) ? [i] : [])),
        expectedMs: latest.map((ms) => ms[0]?.durationMs ?? 0),
      },
      listed,
      bytesBefore: latest.map((ms) => ms.find((m) => m.storedBytes !== undefined)?.storedBytes),
    };
  }

  /** The run's windows that have no done-marker, listed once per lease taken (one request per window). */
  private async cleanWindows(state: RunState): Promise<number[]> {
    if (!state.clean) {
      const clean: number[] = [];
      for (const start of state.windows) {
        if (!(await this.deps.store.anyMarker(this.deps.window(start)))) clean.push(start);
      }
      state.clean = clean;
    }
    return state.clean;
  }
}
