/**
 * Which (log group, window) comes next. A run goes through the selected log groups a page (at
 * most 50 groups) at a time, and through each page window by window; the position lives in
 * the run state's cursor, so the state stays a few KB whatever the number of groups, and each
 * group costs O(1) calls: groups are listed once per run, done-markers once per page and window.
 */
import { CloudWatchLogsClient, DescribeLogGroupsCommand, DescribeLogGroupsCommandOutput } from '@aws-sdk/client-cloudwatch-logs';
import { ExporterConfig, Source } from './config';
import { Marker, markerName, markerNames } from './layout';
import { CursorState, Group, Marks, RunState } from './run-state';
import { StateStore } from './state-store';
import { log } from './telemetry';
import { Window } from './windows';

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
  const retained = group.retentionDays ? now - group.retentionDays * 86_400_000 + 3_600_000 : -Infinity;
  const from = Math.max(window.start, retained, notBefore);
  return from <= to ? { from, to } : undefined;
}

function isRefusedToken(e: unknown): boolean {
  return ['InvalidParameterException', 'ValidationException'].includes((e as { name?: string })?.name ?? '');
}

type Listed = Pick<DescribeLogGroupsCommandOutput, 'logGroups' | 'nextToken'>;

/** DescribeLogGroups a page at a time, for one source of groups. */
export class GroupListing {
  constructor(private readonly logs: CloudWatchLogsClient, private readonly config: ExporterConfig) {}

  /** Loads the cursor's next page of the source and moves the cursor to its start. */
  async load(c: CursorState, source: Source): Promise<void> {
    let res: Listed;
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
    const { excludePrefixes, excludeNames } = this.config;
    c.page = groups
      .filter((g) => !source.exact || g.logGroupName === source.prefix)
      .filter((g) => !excludeNames.includes(g.logGroupName!) && !excludePrefixes.some((p) => g.logGroupName!.startsWith(p)))
      .map((g) => ({ name: g.logGroupName!, created: g.creationTime ?? 0, ...(g.retentionInDays ? { retentionDays: g.retentionInDays } : {}) }))
      .sort((a, b) => (markerName(a.name) < markerName(b.name) ? -1 : 1));
    // Names come sorted, so an exact name is on the first page of its prefix.
    c.token = source.exact ? undefined : res.nextToken;
    c.listedUpTo = groups[groups.length - 1]?.logGroupName ?? c.listedUpTo;
    c.window = 0;
    c.group = 0;
  }

  /** Whether a log group exists (one call). */
  async exists(name: string): Promise<boolean> {
    const res = await this.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name, limit: 1 }));
    return res.logGroups?.[0]?.logGroupName === name;
  }

  private describe(source: Source, nextToken?: string): Promise<DescribeLogGroupsCommandOutput> {
    return this.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: source.prefix, nextToken }));
  }

  /** The first page of the source's groups named after `name` (groups come sorted by name). */
  private async after(source: Source, name: string): Promise<Listed> {
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
  /** Told of a log group named exactly (a backfill's `logGroupNames`, a selection by names) that the listing did not return. */
  readonly missing: (state: RunState, name: string) => void;
  readonly store: StateStore;
  /** The window starting at an instant (memoised by the caller). */
  readonly window: (start: number) => Window;
  /** The window before a window. */
  readonly before: (w: Window) => Window;
  readonly now: () => number;
}

/**
 * The selection's sources without repeats: an exact name given twice, or a prefix inside
 * another, would visit a group twice (names known only at deploy time are compared here).
 */
export function distinctSources(sources: Source[]): Source[] {
  if (sources.some((s) => s.prefix === undefined)) return [{}];
  const exact = [...new Set(sources.filter((s) => s.exact).map((s) => s.prefix!))].map((prefix) => ({ prefix, exact: true }));
  const prefixes = [...new Set(sources.filter((s) => !s.exact).map((s) => s.prefix!))];
  const outer = prefixes.filter((p) => !prefixes.some((q) => q !== p && p.startsWith(q)));
  return [...exact, ...outer.map((prefix) => ({ prefix }))].sort((a, b) => (a.prefix < b.prefix ? -1 : 1));
}

export class Cursor {
  private readonly sourcesOfConfig: Source[];

  constructor(config: ExporterConfig, private readonly deps: CursorDeps) {
    this.sourcesOfConfig = distinctSources(config.sources);
  }

  /** The next (group, window) of the run that is not done and has something to export, at the cursor. */
  async next(state: RunState): Promise<Item | undefined> {
    if (state.windows.length === 0) return undefined;
    const sources = this.sources(state);
    const c = state.cursor;
    while (true) {
      if (!c.page) {
        if (c.source >= sources.length) return undefined;
        const source = sources[c.source];
        await this.deps.listing.load(c, source);
        if (source.exact && c.page!.length === 0) this.deps.missing(state, source.prefix!);
        state.marks = undefined;
        continue;
      }
      if (c.window >= state.windows.length) {
        c.page = undefined;
        state.marks = undefined;
        if (c.token === undefined) {
          c.source += 1;
          c.listedUpTo = undefined;
        }
        continue;
      }
      if (c.group >= c.page.length) {
        c.window += 1;
        c.group = 0;
        state.marks = undefined;
        continue;
      }
      const window = this.deps.window(state.windows[c.window]);
      if (!state.marks) state.marks = await this.marks(state, c.page, window);
      if (state.marks.done.includes(c.group)) {
        c.group += 1;
        continue;
      }
      const group = c.page[c.group];
      const range = exportRange(group, window, this.deps.now(), state.notBefore);
      if (!range) {
        state.stats.skipped += 1;
        c.group += 1;
        continue;
      }
      return { group, window, range, expectedMs: state.marks.expectedMs[c.group] || undefined };
    }
  }

  /** Whether the item at the cursor is this (group, window). */
  isAt(state: RunState, group: string, window: number): boolean {
    return state.cursor.page?.[state.cursor.group]?.name === group && state.windows[state.cursor.window] === window;
  }

  private sources(state: RunState): Source[] {
    return state.names ? state.names.map((n) => ({ prefix: n, exact: true })) : this.sourcesOfConfig;
  }

  /**
   * Which groups of the page are done for the window, and how long each one's export of the
   * window before took: one listing per page and window for the window before, and one for the
   * window itself unless it is known to have no markers.
   */
  private async marks(state: RunState, page: Group[], window: Window): Promise<Marks> {
    const { store } = this.deps;
    const skipDone = state.reexport || (await this.cleanWindows(state)).includes(window.start);
    const done = skipDone ? new Map<string, Marker[]>() : await store.markers(page, window);
    const before = await store.markers(page, this.deps.before(window));
    const of = (listed: Map<string, Marker[]>, g: Group) => markerNames(g.name).flatMap((n) => listed.get(n) ?? []);
    const lastDuration = (g: Group) => [...of(before, g)].reverse().find((m) => m.durationMs !== undefined)?.durationMs ?? 0;
    return {
      done: page.flatMap((g, i) => (of(done, g).length > 0 ? [i] : [])),
      expectedMs: page.map(lastDuration),
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
