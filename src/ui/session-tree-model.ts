// The Sessions view as plain data: which nodes exist (grouping, ordering), what each row shows
// (label, description, tooltip, icon as a theme-icon id and colour id, menus' context value, the
// click action) and each node's parent. No vscode import: unit-tested under Node.
// session-tree-items.ts turns a Row into a vscode.TreeItem and does nothing else; the words of a
// session row come from session-text.ts.
import * as path from 'node:path';
import type { SessionInfo, SessionState } from '../core/session-store';
import { folderNeighbours } from '../core/shared-folders';
import type { DirSnapshot, ModelSnapshot } from './sessions-model';
import * as l10n from './l10n';
import { describeSession, stateTitle } from './session-text';
import { sanitizeText } from './text-safety';

/** A codicon id ("pass", "archive") and an optional theme colour id ("testing.iconPassed"). */
export interface IconSpec {
  id: string;
  color?: string;
}

/** A command a row runs when clicked; `withNode` passes the row's node as the one argument. */
export interface CommandSpec {
  command: string;
  title: string;
  withNode: boolean;
}

/** The command line the view suggests for wrapping an agent or tool (copied on click). */
export const RUN_EXAMPLE = 'session-keeper run --label my-agent -- <command>';

/** The nodes of the Sessions tree. Plain data; rowOf() says what each shows. */
export type SessionNode =
  | { kind: 'group'; dir: string; group: SessionState; sessions: SessionInfo[]; selfId: string | undefined; extra: boolean }
  /** The collapsed Archived group: its day folders only, no records read. */
  | { kind: 'archived'; dir: string; days: string[]; extra: boolean }
  /** One archive day; its sessions are read when it is expanded. `count` once they were. */
  | { kind: 'day'; dir: string; day: string; extra: boolean; count?: number }
  | { kind: 'extraDir'; dir: string; sessions: SessionInfo[]; archiveDays: string[]; error: string | null }
  | { kind: 'message'; id: string; text: string; detail: string; icon: IconSpec; tooltip?: string; command?: CommandSpec }
  | {
      kind: 'session';
      dir: string;
      info: SessionInfo;
      self: boolean;
      extra: boolean;
      /** When the listing was taken (ms since the epoch): see session-text's judgedAt. */
      now: number;
      /** This machine's host name: rows leave it out. */
      localHost: string;
      /** On this window's row: running sessions sharing a folder with it. */
      neighbours: number;
      /** On another row: whether this session shares a folder with this window. */
      sharesFolder: boolean;
    };

export type SessionRowNode = Extract<SessionNode, { kind: 'session' }>;

/** What the tree is built from. */
export interface TreeInput {
  snapshot: ModelSnapshot;
  /** This window's session id; undefined until it registered. */
  selfId: string | undefined;
  /** os.hostname() in the extension host. */
  localHost: string;
}

/** One row as VS Code will show it. */
export interface Row {
  /** Unique and stable across refreshes, so expansion and selection survive them. */
  id: string;
  label: string;
  description: string;
  /** Plain-text tooltip; a session row's Markdown tooltip is built when hovered (sessionTooltip). */
  tooltip?: string;
  icon?: IconSpec;
  /** For `when` clauses of menus: `group.<state>`, `session.<state>[.self][.extra]`, … */
  contextValue: string;
  collapsible: 'none' | 'collapsed' | 'expanded';
  accessibilityLabel?: string;
  command?: CommandSpec;
  /** A folder the row stands for (extra folders): lets VS Code theme it as one. */
  resourcePath?: string;
}

/** The order of the state groups, top to bottom. */
export const GROUP_ORDER: readonly SessionState[] = ['active', 'unresponsive', 'stale', 'closed'];

const STATE_COLORS: Record<SessionState, string> = {
  active: 'testing.iconPassed',
  unresponsive: 'list.warningForeground',
  stale: 'errorForeground',
  closed: 'disabledForeground',
};

const STATE_ICONS: Record<SessionState, string> = {
  active: 'pass',
  unresponsive: 'warning',
  stale: 'error',
  closed: 'circle-slash',
};

/**
 * The root rows: the main folder's state groups (Active, Unresponsive, Stale, Closed; empty ones
 * hidden) and its Archived group, a hint when this window is the only session, then one node per
 * extra folder that exists. An empty list lets the view's welcome message show.
 */
export function rootNodes(input: TreeInput): SessionNode[] {
  const { main, extras } = input.snapshot;
  const roots: SessionNode[] = [];
  if (main.error) {
    // Alone, an unreadable folder is the welcome view's job (context key sessionKeeper.dirError).
    if (!extras.some((e) => e.exists)) return [];
    roots.push({ kind: 'message', id: `error:${main.dir}`, text: l10n.t('Cannot read the sessions folder'), detail: main.error, icon: { id: 'warning' } });
  } else {
    roots.push(...groupNodes(main, input.selfId, false));
    if (input.selfId !== undefined && main.sessions.length === 1 && main.sessions[0]?.record.id === input.selfId) roots.push(addAgentsHint());
  }
  for (const extra of extras.filter((e) => e.exists)) {
    roots.push({ kind: 'extraDir', dir: extra.dir, sessions: extra.sessions, archiveDays: extra.archiveDays, error: extra.error });
  }
  return roots;
}

function addAgentsHint(): SessionNode {
  return {
    kind: 'message',
    id: 'hint:add-agents',
    text: l10n.t('Add an agent or tool:'),
    detail: RUN_EXAMPLE,
    icon: { id: 'lightbulb' },
    tooltip: l10n.t(
      'Only this window is registered. Wrap an agent or any command so it shows up here while it runs:\n{0}\n(or add "{1}" as an MCP server). Click to copy the command.',
      RUN_EXAMPLE,
      'session-keeper mcp',
    ),
    command: { command: 'sessionKeeper.copyRunExample', title: l10n.t('Copy the command'), withNode: false },
  };
}

/** A directory's state groups and, when it has archive days, its Archived group. */
export function groupNodes(snap: DirSnapshot, selfId: string | undefined, extra: boolean): SessionNode[] {
  // Tree ids must be unique; two files claiming one id (a copy, say) show once.
  const unique = uniqueSessions(snap.sessions);
  const nodes: SessionNode[] = [];
  for (const group of GROUP_ORDER) {
    const sessions = unique.filter((s) => s.state === group).sort(byStart(selfId));
    if (sessions.length > 0) nodes.push({ kind: 'group', dir: snap.dir, group, sessions, selfId, extra });
  }
  if (snap.archiveDays.length > 0) nodes.push({ kind: 'archived', dir: snap.dir, days: snap.archiveDays, extra });
  return nodes;
}

function uniqueSessions(sessions: SessionInfo[]): SessionInfo[] {
  const seen = new Set<string>();
  return sessions.filter((s) => (seen.has(s.record.id) ? false : (seen.add(s.record.id), true)));
}

/**
 * The order within a state group: this window first, then the newest session (its createdAt),
 * then by id. Not by heartbeat: sessions heartbeat all the time, and rows that swap places on
 * every poll are hard to read and get clicked by mistake.
 */
export function byStart(selfId: string | undefined): (a: SessionInfo, b: SessionInfo) => number {
  const started = (s: SessionInfo): number => Date.parse(s.record.createdAt) || 0;
  return (a, b) => {
    if (selfId) {
      if (a.record.id === selfId) return -1;
      if (b.record.id === selfId) return 1;
    }
    return started(b) - started(a) || a.record.id.localeCompare(b.record.id);
  };
}

/** The order within an archive day: the most recent last heartbeat first, then by id (archived records do not change). */
export function byRecency(a: SessionInfo, b: SessionInfo): number {
  return a.heartbeatAgeMs - b.heartbeatAgeMs || a.record.id.localeCompare(b.record.id);
}

/**
 * The children of a node that need no further reading. A day's sessions are read on demand:
 * call dayNodes() with them.
 */
export function childNodes(node: SessionNode, input: TreeInput): SessionNode[] {
  switch (node.kind) {
    case 'group': {
      // Folder sharing is judged against this window's record, which lives in the main folder.
      const near = node.extra ? null : folderNeighbours(input.snapshot.main.sessions, node.selfId);
      return node.sessions.map((info) => {
        const self = info.record.id === node.selfId;
        return sessionNode(node.dir, info, self, node.extra, input, self && near ? near.ids.size : 0, !self && near !== null && near.ids.has(info.record.id));
      });
    }
    case 'archived':
      return node.days.map((day) => ({ kind: 'day', dir: node.dir, day, extra: node.extra }));
    case 'extraDir':
      if (node.error) return [{ kind: 'message', id: `error:${node.dir}`, text: l10n.t('Cannot read this folder'), detail: node.error, icon: { id: 'warning' } }];
      return groupNodes({ dir: node.dir, sessions: node.sessions, archiveDays: node.archiveDays, error: null, problem: null, exists: true }, undefined, true);
    default:
      return [];
  }
}

/** The rows of one archive day, given its sessions (read when the day was expanded). */
export function dayNodes(day: Extract<SessionNode, { kind: 'day' }>, sessions: SessionInfo[], input: TreeInput): SessionNode[] {
  return uniqueSessions(sessions)
    .sort(byRecency)
    .map((info) => sessionNode(day.dir, info, false, day.extra, input, 0, false));
}

function sessionNode(dir: string, info: SessionInfo, self: boolean, extra: boolean, input: TreeInput, neighbours: number, sharesFolder: boolean): SessionRowNode {
  return { kind: 'session', dir, info, self, extra, now: input.snapshot.takenAt, localHost: input.localHost, neighbours, sharesFolder };
}

/**
 * The parent of a node, for the view's reveal(): a session's state group (or archive day), a
 * group's extra folder, a day's Archived group. Undefined for root nodes.
 */
export function parentOf(node: SessionNode, input: TreeInput): SessionNode | undefined {
  const dirSnap = (dir: string): DirSnapshot | undefined => [input.snapshot.main, ...input.snapshot.extras].find((d) => d.dir === dir);
  const extraDirNode = (dir: string): SessionNode | undefined => {
    const d = dirSnap(dir);
    return d ? { kind: 'extraDir', dir, sessions: d.sessions, archiveDays: d.archiveDays, error: d.error } : undefined;
  };
  switch (node.kind) {
    case 'session': {
      if (node.info.archivedOn) return { kind: 'day', dir: node.dir, day: node.info.archivedOn, extra: node.extra };
      const d = dirSnap(node.dir);
      if (!d) return undefined;
      return groupNodes(d, node.extra ? undefined : input.selfId, node.extra).find((g) => g.kind === 'group' && g.group === node.info.state);
    }
    case 'day': {
      const d = dirSnap(node.dir);
      return { kind: 'archived', dir: node.dir, days: d?.archiveDays ?? [node.day], extra: node.extra };
    }
    case 'group':
    case 'archived':
      return node.extra ? extraDirNode(node.dir) : undefined;
    case 'message':
      return node.id.startsWith('error:') && node.id !== `error:${input.snapshot.main.dir}` ? extraDirNode(node.id.slice('error:'.length)) : undefined;
    default:
      return undefined;
  }
}

/** Context value for menus: `session.<state>[.self][.extra]` or `session.archived[.extra]`. */
export function sessionContextValue(info: SessionInfo, self: boolean, extra: boolean): string {
  const base = info.archivedOn ? 'session.archived' : `session.${info.state}${self ? '.self' : ''}`;
  return extra ? `${base}.extra` : base;
}

/** A session's icon: its state's glyph and colour; this window's own glyph; archived ones greyed. */
export function sessionIcon(info: SessionInfo, self: boolean): IconSpec {
  if (info.archivedOn) return { id: 'archive', color: 'disabledForeground' };
  // This window gets its own glyph so it stands out among many active sessions.
  return { id: self ? 'window' : (STATE_ICONS[info.state] ?? 'question'), color: STATE_COLORS[info.state] ?? 'disabledForeground' };
}

/** The Markdown source of a session row's tooltip (every text from the file escaped). */
export function sessionTooltip(node: SessionRowNode): string {
  return describeSession(node.info, describeOptions(node)).tooltip;
}

function describeOptions(node: SessionRowNode): Parameters<typeof describeSession>[1] {
  return { self: node.self, now: node.now, neighbours: node.neighbours, sharesFolder: node.sharesFolder, localHost: node.localHost };
}

/** What a node's row shows. */
export function rowOf(node: SessionNode): Row {
  switch (node.kind) {
    case 'group': {
      const n = node.sessions.length;
      return {
        id: `group:${node.dir}:${node.group}`,
        label: stateTitle(node.group),
        description: String(n),
        tooltip: groupTooltip(node.group, n),
        contextValue: `group.${node.group}`,
        collapsible: 'expanded',
      };
    }
    case 'archived':
      return {
        id: `archived:${node.dir}`,
        label: l10n.t('Archived'),
        description: node.days.length === 1 ? l10n.t('1 day') : l10n.t('{0} days', node.days.length),
        tooltip:
          node.days.length === 1
            ? l10n.t('Archived sessions on 1 day (UTC days they were archived). Expand a day to read it.')
            : l10n.t('Archived sessions on {0} days (UTC days they were archived). Expand a day to read it.', node.days.length),
        icon: { id: 'archive' },
        contextValue: 'group.archived',
        collapsible: 'collapsed',
      };
    case 'day':
      return {
        id: `day:${node.dir}:${node.day}`,
        label: node.day,
        description: node.count === undefined ? '' : String(node.count),
        tooltip:
          node.count === undefined
            ? l10n.t('Sessions archived on {0} (UTC)', node.day)
            : node.count === 1
              ? l10n.t('1 session archived on {0} (UTC)', node.day)
              : l10n.t('{0} sessions archived on {1} (UTC)', node.count, node.day),
        icon: { id: 'calendar' },
        contextValue: 'archiveDay',
        collapsible: 'collapsed',
      };
    case 'extraDir': {
      const live = node.sessions.length;
      return {
        id: `extra:${node.dir}`,
        label: sanitizeText(path.basename(node.dir), 60) || node.dir,
        description: node.error ? l10n.t('cannot read') : String(live),
        tooltip: node.error ? `${node.dir}\n${node.error}` : node.dir,
        icon: { id: node.error ? 'warning' : 'folder' },
        contextValue: 'extraDirectory',
        collapsible: 'expanded',
        resourcePath: node.dir,
      };
    }
    case 'message':
      return {
        id: node.id,
        label: node.text,
        description: node.detail,
        tooltip: node.tooltip ?? `${node.text}\n${node.detail}`,
        icon: node.icon,
        contextValue: node.id.startsWith('hint:') ? 'hint' : 'message',
        collapsible: 'none',
        ...(node.command ? { command: node.command } : {}),
      };
    case 'session': {
      const text = describeSession(node.info, describeOptions(node));
      const state = node.info.archivedOn ? 'archived' : node.info.state;
      return {
        id: `session:${node.dir}:${node.info.archivedOn ?? 'live'}:${node.info.record.id}`,
        label: text.label,
        description: text.description,
        // No tooltip here: the provider builds it when hovered (a row whose text did not change
        // needs no re-render, which would close an open hover).
        icon: sessionIcon(node.info, node.self),
        contextValue: sessionContextValue(node.info, node.self, node.extra),
        collapsible: 'none',
        accessibilityLabel: l10n.t('{0}, {1}, {2}', text.label, state === 'archived' ? l10n.t('archived') : stateName(state), text.description),
        // The default action, as in first-class trees: a session's journal; an archived record itself.
        command: node.info.archivedOn
          ? { command: 'sessionKeeper.revealSession', title: l10n.t('Reveal Session Record'), withNode: true }
          : { command: 'sessionKeeper.openJournal', title: l10n.t('Open Journal'), withNode: true },
      };
    }
  }
}

/** A state group's tooltip: "1 active session", "3 stale sessions". One message per state and number, so each language words it whole. */
function groupTooltip(state: SessionState, n: number): string {
  const one = n === 1;
  switch (state) {
    case 'active':
      return one ? l10n.t('1 active session') : l10n.t('{0} active sessions', n);
    case 'unresponsive':
      return one ? l10n.t('1 unresponsive session') : l10n.t('{0} unresponsive sessions', n);
    case 'stale':
      return one ? l10n.t('1 stale session') : l10n.t('{0} stale sessions', n);
    case 'closed':
      return one ? l10n.t('1 closed session') : l10n.t('{0} closed sessions', n);
    default:
      return one ? l10n.t('1 session') : l10n.t('{0} sessions', n);
  }
}

/** A state's name inside a sentence (the accessibility label): "active", "stale". */
function stateName(state: SessionState): string {
  switch (state) {
    case 'active':
      return l10n.t('active');
    case 'unresponsive':
      return l10n.t('unresponsive');
    case 'stale':
      return l10n.t('stale');
    case 'closed':
      return l10n.t('closed');
    default:
      return String(state);
  }
}

/** What a row looks like, for deciding whether the tree needs re-rendering. */
export function rowSignature(row: Row): string {
  return `${row.id}|${row.label}|${row.description}|${row.contextValue}|${row.icon?.id ?? ''}/${row.icon?.color ?? ''}|${row.collapsible}`;
}

/**
 * Everything the tree shows without reading an archive day: the provider re-renders only when
 * this changes (a poll of an unchanged folder must not close an open hover), and the idle
 * benchmark pays exactly this per refresh.
 */
export function treeSignature(input: TreeInput): string {
  // An unread day's row is its name (the folder is in the Archived row's id): no year of day rows per poll.
  const walk = (nodes: SessionNode[]): string => nodes.map((n) => `${rowSignature(rowOf(n))}[${n.kind === 'archived' ? n.days.join(',') : walk(childNodes(n, input))}]`).join(',');
  return walk(rootNodes(input));
}
