// The Redis registry's password in VS Code's SecretStorage (the OS keychain where there is one),
// so it is in no settings file, URL or environment. Set with "Session Keeper: Set Registry Password…".
import * as vscode from 'vscode';

/** The SecretStorage key of the registry password. */
export const REGISTRY_PASSWORD_KEY = 'sessionKeeper.registryPassword';

/**
 * Registers the command that asks for the password (hidden input) and stores it; an empty
 * answer removes it. `changed` runs after a change, to reconnect with it.
 */
export function registerPasswordCommand(secrets: vscode.SecretStorage, changed: () => void): vscode.Disposable {
  return vscode.commands.registerCommand('sessionKeeper.setRegistryPassword', async () => {
    const value = await vscode.window.showInputBox({
      title: vscode.l10n.t('Session Keeper: Registry Password'),
      prompt: vscode.l10n.t("The password of the Redis registry ({0}). Stored in VS Code's secret storage. Leave empty to remove it.", 'sessionKeeper.registry'),
      password: true,
      ignoreFocusOut: true,
    });
    if (value === undefined) return false;
    if (value === '') await secrets.delete(REGISTRY_PASSWORD_KEY);
    else await secrets.store(REGISTRY_PASSWORD_KEY, value);
    changed();
    return true;
  });
}
