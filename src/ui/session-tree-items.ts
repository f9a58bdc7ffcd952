import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SessionInfo, SessionState } from '../core/session-store';
import { describeSession } from './session-text';
import { sanitizeText } from './text-safety';

/** The nodes of the Sessions tree. Plain data; `toTreeItem` turns one into what VS Code shows. */
export type GroupKind = SessionState;

export type SessionNode =
  | { kind: 'group'; dir: string; group: GroupKind; sessions: SessionInfo[]; selfId: string | undefined; extra: boolean }
  | { kind: 'archived'; dir: string; days: [string, SessionInfo[]][]; selfId: string | undefined; extra: boolean }
  | { kind: 'day'; dir: string; day: string; sessions: SessionInfo[]; selfId: string | undefined; extra: boolean }
  | { kind: 'extraDir'; dir: string; sessions: SessionInfo[]; error: string | null }
  | { kind: 'message'; id: string; text: string; detail: string; icon: vscode.ThemeIcon }
  | {
      kind: 'session';
      dir: string;
      info: SessionInfo;
      self: boolean;
      extra: boolean;
      now: number;
      /** On this window's row: running sessions sharing a folder with it. Elsewhere: whether this one does. */
      neighbours?: number;
      sharesFolder?: boolean;
    };

const GROUP_TITLES: Record<GroupKind, string> = {
  active: 'Active',
  unresponsive: 'Unresponsive',
  stale: 'Stale',
  closed: 'Closed',
};

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

export function groupTitle(group: GroupKind): string {
  return GROUP_TITLES[group];
}

/** Context value for menus: `session.<state>[.self][.extra]` or `session.archived[.extra]`. */
export function sessionContextValue(info: SessionInfo, self: boolean, extra: boolean): string {
  const base = info.archivedOn ? 'session.archived' : `session.${info.state}${self ? '.self' : ''}`;
  return extra ? `${base}.extra` : base;
}

function stateIcon(info: SessionInfo, self: boolean): vscode.ThemeIcon {
  if (info.archivedOn) return new vscode.ThemeIcon('archive', new vscode.ThemeColor('disabledForeground'));
  const color = new vscode.ThemeColor(STATE_COLORS[info.state] ?? 'disabledForeground');
  // This window gets its own glyph so it stands out among many active sessions.
  return new vscode.ThemeIcon(self ? 'window' : (STATE_ICONS[info.state] ?? 'question'), color);
}

/** The Markdown tooltip of a session row. */
export function sessionTooltip(node: Extract<SessionNode, { kind: 'session' }>, now = Date.now()): vscode.MarkdownString {
  const tooltip = new vscode.MarkdownString(describeSession(node.info, { ...sharing(node), self: node.self, now }).tooltip);
  // The text came from files other processes wrote: no command links, no HTML, no icons.
  tooltip.isTrusted = false;
  tooltip.supportHtml = false;
  tooltip.supportThemeIcons = false;
  return tooltip;
}

function sharing(node: Extract<SessionNode, { kind: 'session' }>): { neighbours?: number; sharesFolder?: boolean } {
  return { neighbours: node.neighbours ?? 0, sharesFolder: node.sharesFolder ?? false };
}

/** What a row looks like, for deciding whether the tree needs re-rendering. */
export function rowSignature(item: vscode.TreeItem): string {
  const label = typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
  const icon = item.iconPath instanceof vscode.ThemeIcon ? `${item.iconPath.id}/${item.iconPath.color?.id ?? ''}` : '';
  return `${item.id}|${label}|${String(item.description ?? '')}|${item.contextValue ?? ''}|${icon}|${item.collapsibleState ?? ''}`;
}

export function toTreeItem(node: SessionNode): vscode.TreeItem {
  switch (node.kind) {
    case 'group': {
      const item = new vscode.TreeItem(GROUP_TITLES[node.group], vscode.TreeItemCollapsibleState.Expanded);
      item.id = `group:${node.dir}:${node.group}`;
      item.description = String(node.sessions.length);
      item.contextValue = `group.${node.group}`;
      item.tooltip = `${node.sessions.length} ${GROUP_TITLES[node.group].toLowerCase()} session${node.sessions.length === 1 ? '' : 's'}`;
      return item;
    }
    case 'archived': {
      const count = node.days.reduce((n, [, s]) => n + s.length, 0);
      const item = new vscode.TreeItem('Archived', vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `archived:${node.dir}`;
      item.description = String(count);
      item.contextValue = 'group.archived';
      item.iconPath = new vscode.ThemeIcon('archive');
      item.tooltip = `${count} archived session${count === 1 ? '' : 's'} on ${node.days.length} day${node.days.length === 1 ? '' : 's'}`;
      return item;
    }
    case 'day': {
      const item = new vscode.TreeItem(node.day, vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `day:${node.dir}:${node.day}`;
      item.description = String(node.sessions.length);
      item.contextValue = 'archiveDay';
      item.iconPath = new vscode.ThemeIcon('calendar');
      return item;
    }
    case 'extraDir': {
      const item = new vscode.TreeItem(sanitizeText(path.basename(node.dir), 60) || node.dir, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `extra:${node.dir}`;
      const live = node.sessions.filter((s) => !s.archivedOn).length;
      item.description = node.error ? 'cannot read' : String(live);
      item.tooltip = node.error ? `${node.dir}\n${node.error}` : node.dir;
      item.contextValue = 'extraDirectory';
      item.iconPath = new vscode.ThemeIcon(node.error ? 'warning' : 'folder');
      item.resourceUri = vscode.Uri.file(node.dir);
      return item;
    }
    case 'message': {
      const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
      item.id = node.id;
      item.description = node.detail;
      item.tooltip = `${node.text}\n${node.detail}`;
      item.iconPath = node.icon;
      item.contextValue = 'message';
      return item;
    }
    case 'session': {
      const text = describeSession(node.info, { ...sharing(node), self: node.self, now: node.now });
      const item = new vscode.TreeItem(text.label, vscode.TreeItemCollapsibleState.None);
      item.id = `session:${node.dir}:${node.info.archivedOn ?? 'live'}:${node.info.record.id}`;
      item.description = text.description;
      // No tooltip here: resolveTreeItem builds it when hovered (always current, and a row
      // whose text did not change needs no re-render, which would close an open hover).
      item.iconPath = stateIcon(node.info, node.self);
      item.contextValue = sessionContextValue(node.info, node.self, node.extra);
      item.accessibilityInformation = { label: `${text.label}, ${node.info.archivedOn ? 'archived' : node.info.state}, ${text.description}` };
      return item;
    }
  }
}
