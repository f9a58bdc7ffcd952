// The Sessions view as plain data (src/ui/session-tree-model.ts, session-text.ts,
// status-bar-text.ts), under Node without VS Code: grouping, ordering, row text, icons, click
// actions, parents, tooltips from one "now", the status bar's words.
// Every clock time below is read in a fixed zone (UTC+05:30, no daylight saving).
process.env.TZ = 'Asia/Kolkata';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeLiveness } from '../../src/core/liveness';
import type { SessionInfo, SessionState } from '../../src/core/session-store';
import type { DirSnapshot, ModelSnapshot } from '../../src/ui/sessions-model';
import { describeSession, judgedAt } from '../../src/ui/session-text';
import { childNodes, dayNodes, parentOf, rootNodes, rowOf, RUN_EXAMPLE, type SessionNode, type TreeInput } from '../../src/ui/session-tree-model';
import { statusBarView } from '../../src/ui/status-bar-text';
import { localTime } from '../../src/ui/relative-time';
import { sessionInfo } from '../helpers/session-info';

const T0 = Date.parse('2025-01-01T00:00:00.000Z');

function dir(sessions: SessionInfo[], over: Partial<DirSnapshot> = {}): DirSnapshot {
  return { dir: '/s', sessions, archiveDays: [], error: null, problem: null, exists: true, ...over };
}

function input(main: DirSnapshot, selfId?: string, extras: DirSnapshot[] = []): TreeInput {
  return { snapshot: { main, extras, takenAt: T0 + 20_000 }, selfId, localHost: 'laptop' };
}

/** Every node of the tree (days with the sessions given per day), depth first, with its parent. */
function walk(tree: TreeInput, days: Record<string, SessionInfo[]> = {}): { node: SessionNode; parent: SessionNode | undefined }[] {
  const out: { node: SessionNode; parent: SessionNode | undefined }[] = [];
  const visit = (nodes: SessionNode[], parent: SessionNode | undefined): void => {
    for (const node of nodes) {
      out.push({ node, parent });
      visit(node.kind === 'day' ? dayNodes(node, days[node.day] ?? [], tree) : childNodes(node, tree), node);
    }
  };
  visit(rootNodes(tree), undefined);
  return out;
}

const labels = (nodes: SessionNode[]): string[] => nodes.map((n) => rowOf(n).label);

describe('grouping and ordering', () => {
  const self = sessionInfo({ label: 'this window', createdAt: '2025-01-01T00:00:00.000Z' }, { heartbeatAgeMs: 9000 });
  const recent = sessionInfo({ label: 'recent', createdAt: '2025-01-01T00:05:00.000Z' }, { heartbeatAgeMs: 5000 });
  const older = sessionInfo({ label: 'older', createdAt: '2025-01-01T00:01:00.000Z' }, { heartbeatAgeMs: 1000 });
  const slow = sessionInfo({ label: 'slow' }, { state: 'unresponsive', heartbeatAgeMs: 40_000 });
  const dead = sessionInfo({ label: 'dead' }, { state: 'stale' });
  const done = sessionInfo({ label: 'done', closedAt: '2025-01-01T00:00:05.000Z' }, { state: 'closed' });

  test('groups run Active, Unresponsive, Stale, Closed, then Archived; empty groups are hidden', () => {
    const tree = input(dir([done, dead, older, self, recent, slow], { archiveDays: ['2025-01-03', '2024-12-31'] }), self.record.id);
    assert.deepEqual(labels(rootNodes(tree)), ['Active', 'Unresponsive', 'Stale', 'Closed', 'Archived']);
    assert.deepEqual(labels(rootNodes(input(dir([dead]))).slice()), ['Stale']);
  });

  test('this window first, then the newest session, then by id; heartbeats do not reorder rows', () => {
    const tree = input(dir([older, recent, self]), self.record.id);
    const active = rootNodes(tree)[0] as SessionNode;
    assert.deepEqual(labels(childNodes(active, tree)), ['this window', 'recent', 'older']);
    // Every session heartbeats between two polls: same order.
    const later = input(dir([older, recent, self].map((s, i) => ({ ...s, heartbeatAgeMs: [9000, 10, 4000][i] as number }))), self.record.id);
    assert.deepEqual(labels(childNodes(rootNodes(later)[0] as SessionNode, later)), ['this window', 'recent', 'older']);
    const a = sessionInfo({ id: '01890a5d-ac96-774b-bcce-00000000000b', label: 'b-id' });
    const b = sessionInfo({ id: '01890a5d-ac96-774b-bcce-00000000000a', label: 'a-id' });
    const tie = input(dir([a, b]));
    assert.deepEqual(labels(childNodes(rootNodes(tie)[0] as SessionNode, tie)), ['a-id', 'b-id']);
  });

  test('two files claiming one id show once (tree ids must be unique)', () => {
    const copy = { ...recent, file: '/s/copy.json' };
    const tree = input(dir([recent, copy]));
    assert.equal(childNodes(rootNodes(tree)[0] as SessionNode, tree).length, 1);
  });

  test('group rows: the count as description, a tooltip with a proper plural', () => {
    const tree = input(dir([recent, dead, sessionInfo({}, { state: 'stale' })]));
    const [active, stale] = rootNodes(tree).map(rowOf);
    assert.deepEqual([active?.label, active?.description, active?.tooltip, active?.collapsible], ['Active', '1', '1 active session', 'expanded']);
    assert.deepEqual([stale?.label, stale?.description, stale?.tooltip], ['Stale', '2', '2 stale sessions']);
  });

  test('the Archived group lists its days (newest first, as given) collapsed, with no records; a day shows its sessions by recency', () => {
    const tree = input(dir([recent], { archiveDays: ['2025-01-03', '2024-12-31'] }));
    const archived = rootNodes(tree).find((n) => n.kind === 'archived') as SessionNode;
    assert.deepEqual([rowOf(archived).description, rowOf(archived).collapsible], ['2 days', 'collapsed']);
    const days = childNodes(archived, tree);
    assert.deepEqual(labels(days), ['2025-01-03', '2024-12-31']);
    assert.equal(rowOf(days[0] as SessionNode).collapsible, 'collapsed');
    const x = sessionInfo({ label: 'x' }, { archivedOn: '2025-01-03', heartbeatAgeMs: 9e6 });
    const y = sessionInfo({ label: 'y' }, { archivedOn: '2025-01-03', heartbeatAgeMs: 1e6 });
    const rows = dayNodes(days[0] as Extract<SessionNode, { kind: 'day' }>, [x, y], tree).map(rowOf);
    assert.deepEqual(rows.map((r) => r.label), ['y', 'x']);
    assert.deepEqual(rows.map((r) => r.contextValue), ['session.archived', 'session.archived']);
    assert.equal(rowOf(rootNodes(input(dir([], { archiveDays: ['2025-01-03'] })))[0] as SessionNode).description, '1 day');
  });

  test('extra folders: their own node with groups; an unreadable one says so', () => {
    const bot = sessionInfo({ label: 'bot' });
    const tree = input(dir([recent]), undefined, [dir([bot], { dir: '/x/telegram-sessions' }), dir([], { dir: '/x/gone', error: 'EACCES: permission denied' })]);
    const extras = rootNodes(tree).filter((n) => n.kind === 'extraDir');
    assert.deepEqual(extras.map((n) => [rowOf(n).label, rowOf(n).description]), [['telegram-sessions', '1'], ['gone', 'cannot read']]);
    const [group] = childNodes(extras[0] as SessionNode, tree);
    assert.equal(rowOf(childNodes(group as SessionNode, tree)[0] as SessionNode).contextValue, 'session.active.extra');
    assert.deepEqual(childNodes(extras[1] as SessionNode, tree).map((n) => rowOf(n).label), ['Cannot read this folder']);
  });

  test('an unreadable main folder alone gives an empty tree (the welcome view)', () => {
    assert.deepEqual(rootNodes(input(dir([], { error: 'ENOTDIR' }))), []);
  });
});

describe('session rows', () => {
  test('at the default width the age comes first: "20 s ago · pid 4242"; the host only when it is another machine', () => {
    // 22 s after a heartbeat due every 10 s: late (see shownHeartbeatAge), so the age shows.
    const here = sessionInfo({ hostname: 'laptop', label: 'agent: nightly refactor' }, { heartbeatAgeMs: 22_000 });
    const there = sessionInfo({ hostname: 'build-01', label: 'agent: nightly refactor' }, { heartbeatAgeMs: 22_000 });
    const tree = input(dir([here, there]));
    const rows = childNodes(rootNodes(tree)[0] as SessionNode, tree).map(rowOf);
    assert.deepEqual(rows.map((r) => r.description), ['20 s ago · pid 4242', '20 s ago · pid 4242 · build-01']);
    // What a default-width side bar (~300 px, about 40 characters after the icon) shows of a
    // row: the label, then the description from its start. The age is in it.
    for (const row of rows) assert.match(`${row.label}  ${row.description}`.slice(0, 40), /20 s ago/);
  });

  test('every state: its icon (theme icon and colour ids) and context value; this window has its own glyph', () => {
    const expected: Record<SessionState, [string, string]> = {
      active: ['pass', 'testing.iconPassed'],
      unresponsive: ['warning', 'list.warningForeground'],
      stale: ['error', 'errorForeground'],
      closed: ['circle-slash', 'disabledForeground'],
    };
    for (const [state, [icon, color]] of Object.entries(expected) as [SessionState, [string, string]][]) {
      const s = sessionInfo({}, { state });
      const tree = input(dir([s]));
      const row = rowOf(childNodes(rootNodes(tree)[0] as SessionNode, tree)[0] as SessionNode);
      assert.deepEqual(row.icon, { id: icon, color }, state);
      assert.equal(row.contextValue, `session.${state}`);
      assert.match(row.accessibilityLabel ?? '', new RegExp(`, ${state}, `));
    }
    const self = sessionInfo({ hostname: 'laptop' }, { heartbeatAgeMs: 22_000 });
    const tree = input(dir([self]), self.record.id);
    const row = rowOf(childNodes(rootNodes(tree)[0] as SessionNode, tree)[0] as SessionNode);
    assert.deepEqual(row.icon, { id: 'window', color: 'testing.iconPassed' });
    assert.equal(row.contextValue, 'session.active.self');
    assert.equal(row.description, '20 s ago · this window · pid 4242');
  });

  test('a click opens the journal of a session and reveals the record of an archived one (the node is the argument)', () => {
    const live = sessionInfo();
    const tree = input(dir([live], { archiveDays: ['2025-01-02'] }));
    const liveRow = rowOf(childNodes(rootNodes(tree)[0] as SessionNode, tree)[0] as SessionNode);
    assert.deepEqual(liveRow.command, { command: 'sessionKeeper.openJournal', title: 'Open Journal', withNode: true });
    const day = childNodes(rootNodes(tree)[1] as SessionNode, tree)[0] as Extract<SessionNode, { kind: 'day' }>;
    const archivedRow = rowOf(dayNodes(day, [sessionInfo({}, { archivedOn: '2025-01-02' })], tree)[0] as SessionNode);
    assert.deepEqual(archivedRow.command, { command: 'sessionKeeper.revealSession', title: 'Reveal Session Record', withNode: true });
    assert.deepEqual(archivedRow.icon, { id: 'archive', color: 'disabledForeground' });
  });

  test('when this window is the only session the view says how to add agents, with a copyable command line', () => {
    const self = sessionInfo();
    const alone = rootNodes(input(dir([self]), self.record.id));
    const hint = alone.at(-1) as SessionNode;
    const row = rowOf(hint);
    assert.equal(row.description, 'session-keeper run --label my-agent -- <command>');
    assert.equal(row.description, RUN_EXAMPLE);
    assert.deepEqual(row.command, { command: 'sessionKeeper.copyRunExample', title: 'Copy the command', withNode: false });
    for (const others of [[self, sessionInfo()], [self, sessionInfo({}, { state: 'closed' })]]) {
      assert.ok(!rootNodes(input(dir(others), self.record.id)).some((n) => n.kind === 'message'), 'no hint once another session is there');
    }
    assert.ok(!rootNodes(input(dir([self]))).some((n) => n.kind === 'message'), 'no hint before this window registered');
  });
});

describe('parents (the view’s reveal)', () => {
  test('each node’s parentOf is the node it was listed under, over a whole tree with extra folders and archive days', () => {
    const self = sessionInfo();
    const main = dir([self, sessionInfo({}, { state: 'stale' }), sessionInfo({}, { state: 'closed' })], { archiveDays: ['2025-01-02', '2025-01-01'] });
    const extra = dir([sessionInfo(), sessionInfo({}, { state: 'unresponsive' })], { dir: '/x/bots', archiveDays: ['2025-01-02'] });
    const broken = dir([], { dir: '/x/broken', error: 'EACCES' });
    const tree = input(main, self.record.id, [extra, broken]);
    const days = { '2025-01-02': [sessionInfo({}, { archivedOn: '2025-01-02' })], '2025-01-01': [sessionInfo({}, { archivedOn: '2025-01-01' })] };
    const all = walk(tree, days);
    assert.ok(all.length > 15, `walked ${all.length} nodes`);
    for (const { node, parent } of all) {
      const found = parentOf(node, tree);
      assert.equal(found && rowOf(found).id, parent && rowOf(parent).id, `parent of ${rowOf(node).id}`);
    }
  });
});

describe('tooltips: local time, every age from one now', () => {
  test('times are this machine’s local time, not UTC ISO', () => {
    assert.equal(localTime(T0), '2025-01-01 05:30:00');
    const text = describeSession(sessionInfo({ createdAt: '2025-01-01T00:00:00.000Z' }), { self: false });
    assert.match(text.tooltip, /Created: 2025\\-01\\-01 05\\:30\\:00 \(/);
    assert.doesNotMatch(text.tooltip, /T00\\:00\\:00/);
  });

  test('the state’s reason and the heartbeat line agree for every age, however much later the tree is drawn', () => {
    // Sweep ages across the unit boundaries; the listing is taken up to 59 s after the judging.
    for (const ageMs of [0, 1, 999, 1000, 1001, 9_999, 10_000, 12_345, 59_999, 60_000, 61_000, 3_599_999, 3_600_000, 86_400_000, 172_800_001]) {
      const record = sessionInfo({ heartbeatAt: new Date(T0 - ageMs).toISOString(), heartbeatIntervalMs: 1000 }).record;
      const judged = judgeLiveness(record, { now: T0, hostname: 'elsewhere' });
      const info: SessionInfo = { ...sessionInfo(record), state: judged.state, reason: judged.reason, heartbeatAgeMs: judged.heartbeatAgeMs };
      for (const later of [0, 1, 499, 5_000, 59_000]) {
        const tip = describeSession(info, { self: false, now: T0 + later }).tooltip;
        const heartbeatLine = /Last heartbeat: .* \((.*)\)/.exec(tip)?.[1] ?? '';
        // "heartbeat 12 s ago" or "no heartbeat for 2 min" in the reason: the same duration.
        const inReason = /heartbeat (?:for )?(\d+ \w+)/.exec(judged.reason)?.[1];
        assert.ok(inReason, judged.reason);
        assert.equal(heartbeatLine, `${inReason} ago`, `age ${ageMs}, drawn ${later} ms later: ${judged.reason} vs ${heartbeatLine}`);
        assert.match(tip, new RegExp(`Checked: ${localTime(T0).replace(/[-:]/g, '\\\\$&')}`));
      }
    }
  });

  test('judgedAt is the heartbeat plus the measured age; a future heartbeat falls back to the listing time', () => {
    assert.equal(judgedAt(sessionInfo({}, { heartbeatAgeMs: 12_000 }), 1), T0 + 12_000);
    assert.equal(judgedAt(sessionInfo({}, { heartbeatAgeMs: 0 }), T0 + 5000), T0);
    assert.equal(judgedAt(sessionInfo({}, { heartbeatAgeMs: 0 }), 77), 77, 'a heartbeat after the listing: a clock ahead of ours');
    assert.equal(judgedAt(sessionInfo({ heartbeatAt: 'garbage' }, { heartbeatAgeMs: Infinity }), 77), 77);
  });
});

describe('status bar', () => {
  const snap = (states: SessionState[], error: string | null = null): ModelSnapshot => ({
    main: dir(states.map((state) => sessionInfo({}, { state })), { error }),
    extras: [],
    takenAt: T0,
  });

  test('proper plurals; stale ones counted after the running total', () => {
    assert.equal(statusBarView(snap([])).text, '$(pulse) 0 sessions');
    assert.equal(statusBarView(snap(['active'])).text, '$(pulse) 1 session');
    assert.equal(statusBarView(snap(['active', 'active', 'closed'])).text, '$(pulse) 2 sessions');
    assert.equal(statusBarView(snap(['active', 'active', 'unresponsive', 'stale', 'closed'])).text, '$(pulse) 4 sessions · 1 stale');
  });

  test('"folder unreadable" instead of "?"; a screen reader hears a sentence', () => {
    const bad = statusBarView(snap([], 'ENOTDIR: not a directory'));
    assert.equal(bad.text, '$(pulse) folder unreadable');
    assert.equal(bad.ariaLabel, 'Session Keeper: the sessions folder cannot be read');
    assert.equal(statusBarView(snap(['active'])).ariaLabel, 'Session Keeper: 1 session');
    assert.equal(statusBarView(snap(['active', 'stale'])).ariaLabel, 'Session Keeper: 2 sessions, 1 of them stale');
    assert.match(bad.tooltip, /ENOTDIR/);
  });

  test('the status bar names the kind of registry problem, and never calls a Redis server a folder', () => {
    const view = (over: Partial<DirSnapshot>): string => statusBarView({ main: dir([], { error: 'x', ...over }), extras: [], takenAt: T0 }).text;
    assert.equal(view({ problem: 'unreachable', dir: 'redis://h:6379/0' }), '$(pulse) registry unreachable');
    assert.equal(view({ problem: 'credentials', dir: 'redis://h:6379/0' }), '$(pulse) registry login refused');
    assert.equal(view({ problem: 'tls', dir: 'rediss://h:6379/0' }), '$(pulse) registry TLS failed');
    assert.equal(view({ problem: 'configuration' }), '$(pulse) registry setting invalid');
    assert.equal(view({ problem: 'unsafe' }), '$(pulse) folder unsafe');
    assert.equal(view({ problem: 'permission' }), '$(pulse) folder unreadable');
    assert.equal(view({ problem: 'other', dir: 'redis://h:6379/0' }), '$(pulse) registry unusable');
    assert.equal(view({ problem: 'other', dir: '/home/me/.session-keeper' }), '$(pulse) folder unreadable');
  });

  test('the warning colour only for what needs action: stale sessions or an unreadable folder', () => {
    assert.equal(statusBarView(snap(['active', 'unresponsive', 'closed'])).warning, false);
    assert.equal(statusBarView(snap(['active', 'stale'])).warning, true);
    assert.equal(statusBarView(snap([], 'EACCES')).warning, true);
  });
});
