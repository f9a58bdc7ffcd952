import * as vscode from 'vscode';
import type { SessionsModel } from './sessions-model';
import { sessionLabel, sessionReason } from './session-text';
import { VIEW_ID } from './status-bar';

/**
 * Optional (sessionKeeper.notifyOnStale, off by default: people run many windows) notice when a
 * session seen alive goes stale. One message per transition, never one per poll.
 */
export class StaleNotifier implements vscode.Disposable {
  private readonly subscription: vscode.Disposable;

  constructor(model: SessionsModel, enabled: () => boolean) {
    this.subscription = model.onDidBecomeStale((sessions) => {
      if (!enabled()) return;
      const first = sessions[0];
      if (!first) return;
      const text =
        sessions.length === 1
          ? vscode.l10n.t('Session "{0}" went stale: {1}.', sessionLabel(first), sessionReason(first))
          : vscode.l10n.t('{0} sessions went stale, "{1}" among them.', sessions.length, sessionLabel(first));
      const archiveAll = vscode.l10n.t('Archive All Stale');
      const show = vscode.l10n.t('Show Sessions');
      void vscode.window.showWarningMessage(text, archiveAll, show).then((choice) => {
        if (choice === archiveAll) void vscode.commands.executeCommand('sessionKeeper.archiveAllStale');
        else if (choice === show) void vscode.commands.executeCommand(`${VIEW_ID}.focus`);
      });
    });
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
