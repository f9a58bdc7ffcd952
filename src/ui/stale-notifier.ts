import * as vscode from 'vscode';
import type { SessionsModel } from './sessions-model';
import { sessionLabel } from './session-text';
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
          ? `Session "${sessionLabel(first)}" went stale: ${first.reason}.`
          : `${sessions.length} sessions went stale, "${sessionLabel(first)}" among them.`;
      void vscode.window.showWarningMessage(text, 'Archive All Stale', 'Show Sessions').then((choice) => {
        if (choice === 'Archive All Stale') void vscode.commands.executeCommand('sessionKeeper.archiveAllStale');
        else if (choice === 'Show Sessions') void vscode.commands.executeCommand(`${VIEW_ID}.focus`);
      });
    });
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
