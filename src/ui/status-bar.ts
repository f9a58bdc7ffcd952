import * as vscode from 'vscode';
import type { ModelSnapshot, SessionsModel } from './sessions-model';
import { escapeMarkdown } from './text-safety';

export const VIEW_ID = 'sessionKeeper.sessions';

export interface SessionCounts {
  active: number;
  unresponsive: number;
  stale: number;
  closed: number;
  archived: number;
}

export function countSessions(snapshot: ModelSnapshot): SessionCounts {
  const counts: SessionCounts = { active: 0, unresponsive: 0, stale: 0, closed: 0, archived: 0 };
  for (const s of snapshot.main.sessions) {
    if (s.archivedOn) counts.archived++;
    else if (s.state in counts) counts[s.state]++;
  }
  return counts;
}

/** The status bar text: sessions that are running (or should be), and stale ones when any. */
export function statusText(counts: SessionCounts, error: boolean): string {
  if (error) return '$(pulse) ?';
  const running = counts.active + counts.unresponsive + counts.stale;
  return counts.stale > 0 ? `$(pulse) ${running} · ${counts.stale} stale` : `$(pulse) ${running}`;
}

/**
 * "$(pulse) 3" in the status bar; quiet (no colour) unless something needs a look: stale
 * sessions or an unreadable folder get the warning background. A click opens the view.
 */
export class SessionStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly model: SessionsModel) {
    this.item = vscode.window.createStatusBarItem('sessionKeeper.status', vscode.StatusBarAlignment.Left, 10);
    this.item.name = 'Session Keeper';
    this.item.command = { command: `${VIEW_ID}.focus`, title: 'Show Sessions' };
    this.subscription = model.onDidChange((snap) => this.update(snap));
  }

  get text(): string {
    return this.item.text;
  }

  /** Shown only after the first listing so it never flashes a wrong "0". */
  update(snapshot: ModelSnapshot = this.model.snapshot): void {
    const counts = countSessions(snapshot);
    const error = snapshot.main.error !== null;
    this.item.text = statusText(counts, error);
    this.item.backgroundColor = error || counts.stale > 0 ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    const md = new vscode.MarkdownString(undefined, true);
    md.isTrusted = false;
    md.appendMarkdown('**Session Keeper**\n\n');
    if (error) {
      md.appendMarkdown(`Cannot read ${escapeMarkdown(snapshot.main.dir, 300)}: ${escapeMarkdown(snapshot.main.error, 300)}\n\n`);
    } else {
      md.appendMarkdown(
        `${counts.active} active · ${counts.unresponsive} unresponsive · ${counts.stale} stale · ${counts.closed} closed · ${counts.archived} archived\n\n`,
      );
      md.appendMarkdown(`Folder: ${escapeMarkdown(snapshot.main.dir, 300)}\n\n`);
    }
    md.appendMarkdown('Click to show the sessions.');
    this.item.tooltip = md;
    this.item.accessibilityInformation = { label: `Session Keeper: ${this.item.text.replace('$(pulse) ', '')} sessions` };
    this.item.show();
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
