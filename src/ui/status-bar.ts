import * as vscode from 'vscode';
import type { ModelSnapshot, SessionsModel } from './sessions-model';
import { statusBarView } from './status-bar-text';

export const VIEW_ID = 'sessionKeeper.sessions';

/**
 * "$(pulse) 3 sessions" in the status bar (words and colour decided in status-bar-text.ts); a
 * click opens the view. Shown only after the first listing so it never flashes a wrong "0".
 */
export class SessionStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly subscription: { dispose(): void };

  constructor(private readonly model: SessionsModel) {
    this.item = vscode.window.createStatusBarItem('sessionKeeper.status', vscode.StatusBarAlignment.Left, 10);
    this.item.name = vscode.l10n.t('Session Keeper');
    this.item.command = { command: `${VIEW_ID}.focus`, title: vscode.l10n.t('Show Sessions') };
    this.subscription = model.onDidChange((snap) => this.update(snap));
  }

  get text(): string {
    return this.item.text;
  }

  update(snapshot: ModelSnapshot = this.model.snapshot): void {
    const view = statusBarView(snapshot);
    this.item.text = view.text;
    this.item.backgroundColor = view.warning ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    const md = new vscode.MarkdownString(view.tooltip);
    md.isTrusted = false;
    this.item.tooltip = md;
    this.item.accessibilityInformation = { label: view.ariaLabel };
    this.item.show();
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
