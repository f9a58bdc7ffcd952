import * as vscode from 'vscode';
import { defaultSessionsDir } from '../core/paths';
import type { Log } from './log';
import type { WarningMutes } from './warning-mutes';

/** The extension's id, as the Settings editor's `@ext:` filter takes it. */
export const EXTENSION_ID = 'session-keeper.session-keeper';

/**
 * Where this extension's settings apply. All but one are machine-scoped, so in a window connected
 * to another machine (SSH, containers, code-server in a browser) they live in the Remote tab, and
 * the User tab would show them greyed out or not at all.
 */
export function settingsTarget(): 'remote' | 'user' {
  return vscode.env.remoteName !== undefined || vscode.env.uiKind === vscode.UIKind.Web ? 'remote' : 'user';
}

/**
 * Opens the Settings editor on this extension's settings (or on `setting`), in the tab where
 * they apply (settingsTarget). Falls back to the User tab when the workbench has no Remote
 * settings (a web window without a server). Returns the tab it opened, for the log and the tests.
 */
export async function openExtensionSettings(setting?: string, log?: Log): Promise<'remote' | 'user'> {
  const query = setting ?? `@ext:${EXTENSION_ID}`;
  if (settingsTarget() === 'remote') {
    try {
      await vscode.commands.executeCommand('workbench.action.openRemoteSettings', { query });
      return 'remote';
    } catch (err) {
      log?.info(`No Remote settings in this window (${String(err)}); opening the User settings`);
    }
  }
  await vscode.commands.executeCommand('workbench.action.openSettings', { query });
  return 'user';
}

/**
 * Commands that help people find their way: the settings gear, the sessions folder in use, the
 * session record (in an editor, where no file manager runs), "Reset Warnings".
 */
export function registerHelpCommands(log: Log, mutes: WarningMutes, sessionsDir: () => string): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('sessionKeeper.openSettings', (setting?: unknown) =>
      openExtensionSettings(typeof setting === 'string' ? setting : undefined, log),
    ),
    vscode.commands.registerCommand('sessionKeeper.showSessionsFolder', async () => {
      const dir = sessionsDir();
      const fallback = defaultSessionsDir();
      const copy = vscode.l10n.t('Copy Path');
      const change = vscode.l10n.t('Change…');
      const text =
        dir === fallback
          ? vscode.l10n.t('Sessions folder: {0} (the default on this machine).', dir)
          : vscode.l10n.t('Sessions folder: {0} (the default here would be {1}).', dir, fallback);
      const choice = await vscode.window.showInformationMessage(text, copy, change);
      if (choice === copy) await vscode.env.clipboard.writeText(dir);
      else if (choice === change) await openExtensionSettings('sessionKeeper.sessionsDirectory', log);
      return dir;
    }),
    // The tree's "Open Session Record" where no file manager runs (web and remote windows):
    // the same action as Reveal, which opens the record in an editor there (reveal.ts).
    vscode.commands.registerCommand('sessionKeeper.openSessionRecord', (arg: unknown) => vscode.commands.executeCommand('sessionKeeper.revealSession', arg)),
    vscode.commands.registerCommand('sessionKeeper.resetWarnings', async () => {
      const count = await mutes.reset();
      log.info(`Reset ${count} muted corruption warning${count === 1 ? '' : 's'}`);
      void vscode.window.showInformationMessage(
        count === 0 ? vscode.l10n.t('No warnings were muted.') : vscode.l10n.t('Corruption warnings will show again for every file.'),
      );
      return count;
    }),
  ];
}
