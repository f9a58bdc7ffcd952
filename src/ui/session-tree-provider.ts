import * as vscode from 'vscode';
import type { SessionInfo } from '../core/session-store';
import type { DirSnapshot, SessionsModel } from './sessions-model';
import { rowSignature, sessionTooltip, toTreeItem, type GroupKind, type SessionNode } from './session-tree-items';
import { folderNeighbours } from './shared-folders';

const GROUP_ORDER: GroupKind[] = ['active', 'unresponsive', 'stale', 'closed'];

/** One row as a test (or a person) sees it: for the API's `snapshot()`. */
export interface TreeRow {
  label: string;
  description: string;
  contextValue: string;
  tooltip: string;
  children: TreeRow[];
}

/**
 * The Sessions view's data: groups by state (Active, Unresponsive, Stale, Closed — empty ones
 * hidden), a collapsed Archived group by day, then one node per extra directory. An empty list
 * at the root lets the view's welcome message show.
 */
export class SessionTreeProvider implements vscode.TreeDataProvider<SessionNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<SessionNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: vscode.Disposable;
  private shown = '';

  constructor(
    private readonly model: SessionsModel,
    private readonly selfId: () => string | undefined,
  ) {
    this.subscription = model.onDidChange(() => this.rerender());
  }

  /**
   * Re-renders when what the rows show changed. Polling every few seconds must not re-render an
   * unchanged tree: that costs work and closes any tooltip the person is reading.
   */
  rerender(): void {
    const signature = this.signature(this.getChildren());
    if (signature === this.shown) return;
    this.shown = signature;
    this.changed.fire(undefined);
  }

  private signature(nodes: SessionNode[]): string {
    return nodes.map((n) => `${rowSignature(toTreeItem(n))}[${this.signature(this.getChildren(n))}]`).join(',');
  }

  getTreeItem(node: SessionNode): vscode.TreeItem {
    return toTreeItem(node);
  }

  resolveTreeItem(item: vscode.TreeItem, node: SessionNode): vscode.TreeItem {
    if (node.kind === 'session') item.tooltip = sessionTooltip(node);
    return item;
  }

  getChildren(node?: SessionNode): SessionNode[] {
    const now = Date.now();
    if (!node) return this.roots();
    switch (node.kind) {
      case 'group':
      case 'day': {
        // Folder sharing is judged against this window's record, which lives in the main folder.
        const near = node.extra || node.kind === 'day' ? null : folderNeighbours(this.model.snapshot.main.sessions, node.selfId);
        return node.sessions.map((info): SessionNode => {
          const self = info.record.id === node.selfId;
          return {
            kind: 'session',
            dir: node.dir,
            info,
            self,
            extra: node.extra,
            now,
            neighbours: self && near ? near.ids.size : 0,
            sharesFolder: !self && near !== null && near.ids.has(info.record.id),
          };
        });
      }
      case 'archived':
        return node.days.map(([day, sessions]) => ({ kind: 'day', dir: node.dir, day, sessions, selfId: node.selfId, extra: node.extra }));
      case 'extraDir':
        if (node.error) {
          return [{ kind: 'message', id: `error:${node.dir}`, text: 'Cannot read this folder', detail: node.error, icon: new vscode.ThemeIcon('warning') }];
        }
        return groupNodes({ dir: node.dir, sessions: node.sessions, error: null, exists: true }, undefined, true);
      default:
        return [];
    }
  }

  private roots(): SessionNode[] {
    const snap = this.model.snapshot;
    const roots: SessionNode[] = [];
    if (snap.main.error) {
      // Alone, an unreadable folder is the welcome view's job (context key sessionKeeper.dirError).
      if (!snap.extras.some((e) => e.exists)) return [];
      roots.push({ kind: 'message', id: `error:${snap.main.dir}`, text: 'Cannot read the sessions folder', detail: snap.main.error, icon: new vscode.ThemeIcon('warning') });
    } else {
      roots.push(...groupNodes(snap.main, this.selfId(), false));
    }
    for (const extra of snap.extras.filter((e) => e.exists)) roots.push({ kind: 'extraDir', dir: extra.dir, sessions: extra.sessions, error: extra.error });
    return roots;
  }

  /** The tree node of a session (what the tree passes to its commands), searching every group. */
  findSession(id: string): SessionNode | undefined {
    const search = (nodes: SessionNode[]): SessionNode | undefined => {
      for (const n of nodes) {
        if (n.kind === 'session') {
          if (n.info.record.id === id) return n;
        } else {
          const hit = search(this.getChildren(n));
          if (hit) return hit;
        }
      }
      return undefined;
    };
    return search(this.getChildren());
  }

  /** The whole tree, every group expanded, as text: what the integration tests compare. */
  async describe(): Promise<TreeRow[]> {
    const walk = async (nodes: SessionNode[]): Promise<TreeRow[]> =>
      Promise.all(
        nodes.map(async (n) => {
          const item = this.resolveTreeItem(this.getTreeItem(n), n);
          const label = typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
          const tooltip = item.tooltip instanceof vscode.MarkdownString ? item.tooltip.value : (item.tooltip ?? '');
          return {
            label,
            description: typeof item.description === 'string' ? item.description : '',
            contextValue: item.contextValue ?? '',
            tooltip,
            children: await walk(this.getChildren(n)),
          };
        }),
      );
    return walk(this.getChildren());
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}

/** Sorts a directory's sessions into the state groups and the archive. */
function groupNodes(snap: DirSnapshot, selfId: string | undefined, extra: boolean): SessionNode[] {
  // Tree ids must be unique; two files claiming one id (a copy, say) show once.
  const seen = new Set<string>();
  const unique = snap.sessions.filter((s) => {
    const key = `${s.archivedOn ?? ''}/${s.record.id}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
  const live = unique.filter((s) => !s.archivedOn);
  const archived = unique.filter((s) => s.archivedOn);
  const nodes: SessionNode[] = [];
  for (const group of GROUP_ORDER) {
    const sessions = live.filter((s) => s.state === group).sort(byRecency(selfId));
    if (sessions.length > 0) nodes.push({ kind: 'group', dir: snap.dir, group, sessions, selfId, extra });
  }
  if (archived.length > 0) {
    const byDay = new Map<string, SessionInfo[]>();
    for (const s of archived) {
      const day = s.archivedOn ?? '';
      byDay.set(day, [...(byDay.get(day) ?? []), s]);
    }
    const days = [...byDay.entries()].sort(([a], [b]) => (a < b ? 1 : a > b ? -1 : 0));
    for (const [, sessions] of days) sessions.sort(byRecency(undefined));
    nodes.push({ kind: 'archived', dir: snap.dir, days, selfId, extra });
  }
  return nodes;
}

function byRecency(selfId: string | undefined): (a: SessionInfo, b: SessionInfo) => number {
  return (a, b) => {
    if (selfId) {
      if (a.record.id === selfId) return -1;
      if (b.record.id === selfId) return 1;
    }
    return a.heartbeatAgeMs - b.heartbeatAgeMs || a.record.id.localeCompare(b.record.id);
  };
}
