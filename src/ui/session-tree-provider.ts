import * as os from 'node:os';
import * as vscode from 'vscode';
import type { SessionsModel } from './sessions-model';
import { sessionTooltipMarkdown, toTreeItem } from './session-tree-items';
import { childNodes, dayNodes, parentOf, rootNodes, treeSignature, type SessionNode, type TreeInput } from './session-tree-model';

/** One row as a test (or a person) sees it: for the API's `snapshot()`. */
export interface TreeRow {
  label: string;
  description: string;
  contextValue: string;
  tooltip: string;
  children: TreeRow[];
}

/**
 * The Sessions view's data provider: asks session-tree-model.ts for the nodes and their rows and
 * hands VS Code TreeItems. An archive day's sessions are read only when the day is expanded.
 */
export class SessionTreeProvider implements vscode.TreeDataProvider<SessionNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<SessionNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: { dispose(): void };
  private readonly localHost = os.hostname();
  private shown = '';

  constructor(
    private readonly model: SessionsModel,
    private readonly selfId: () => string | undefined,
  ) {
    this.subscription = model.onDidChange(() => this.rerender());
  }

  private input(): TreeInput {
    return { snapshot: this.model.snapshot, selfId: this.selfId(), localHost: this.localHost };
  }

  /**
   * Re-renders when what the rows show changed. Polling every few seconds must not re-render an
   * unchanged tree: that costs work and closes any tooltip the person is reading. Archive days
   * count by their names: their records are not read for this.
   */
  rerender(): void {
    const signature = treeSignature(this.input());
    if (signature === this.shown) return;
    this.shown = signature;
    this.changed.fire(undefined);
  }

  getTreeItem(node: SessionNode): vscode.TreeItem {
    return toTreeItem(node);
  }

  resolveTreeItem(item: vscode.TreeItem, node: SessionNode): vscode.TreeItem {
    if (node.kind === 'session') item.tooltip = sessionTooltipMarkdown(node);
    return item;
  }

  getChildren(node?: SessionNode): SessionNode[] | Promise<SessionNode[]> {
    const input = this.input();
    if (!node) return rootNodes(input);
    if (node.kind === 'day') return this.model.archivedOn(node.dir, node.day).then((sessions) => dayNodes(node, sessions, input));
    return childNodes(node, input);
  }

  /** For reveal(): each node's parent, from the same model. */
  getParent(node: SessionNode): SessionNode | undefined {
    return parentOf(node, this.input());
  }

  /** The tree node of a live session (what the tree passes to its commands). */
  findSession(id: string): SessionNode | undefined {
    const input = this.input();
    const search = (nodes: SessionNode[]): SessionNode | undefined => {
      for (const n of nodes) {
        const hit = n.kind === 'session' ? (n.info.record.id === id ? n : undefined) : search(childNodes(n, input));
        if (hit) return hit;
      }
      return undefined;
    };
    return search(rootNodes(input));
  }

  /** The whole tree, every group and archive day expanded, as text: what the integration tests compare. */
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
            children: await walk(await this.getChildren(n)),
          };
        }),
      );
    return walk(await this.getChildren());
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
