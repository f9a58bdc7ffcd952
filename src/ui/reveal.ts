import * as path from 'node:path';
import * as vscode from 'vscode';

/**
 * Whether the OS file manager runs where the files are. In a remote or web window (code-server,
 * SSH, containers) "Reveal in OS" would open the file manager of the person's own machine, which
 * does not have these files.
 */
export function canRevealInOS(): boolean {
  return vscode.env.remoteName === undefined && vscode.env.uiKind === vscode.UIKind.Desktop;
}

function insideWorkspace(fsPath: string): boolean {
  return (vscode.workspace.workspaceFolders ?? []).some((f) => {
    if (f.uri.scheme !== 'file') return false;
    const rel = path.relative(f.uri.fsPath, fsPath);
    return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
  });
}

/**
 * Shows a file or folder: the OS file manager on a desktop window; otherwise the Explorer when
 * the path is in the workspace, else the file in an editor or (for a folder) an offer to open it.
 * Returns what it did, for the log and the tests.
 */
export async function revealPath(fsPath: string, isFolder: boolean): Promise<'os' | 'explorer' | 'editor' | 'offered'> {
  const uri = vscode.Uri.file(fsPath);
  if (canRevealInOS()) {
    await vscode.commands.executeCommand('revealFileInOS', uri);
    return 'os';
  }
  if (insideWorkspace(fsPath)) {
    await vscode.commands.executeCommand('revealInExplorer', uri);
    return 'explorer';
  }
  if (!isFolder) {
    await vscode.window.showTextDocument(uri, { preview: true });
    return 'editor';
  }
  const open = vscode.l10n.t('Open in New Window');
  const copy = vscode.l10n.t('Copy Path');
  void vscode.window
    .showInformationMessage(vscode.l10n.t('The folder is on the machine this window is connected to: {0}', fsPath), open, copy)
    .then(async (choice) => {
      if (choice === open) await vscode.commands.executeCommand('vscode.openFolder', uri, { forceNewWindow: true });
      else if (choice === copy) await vscode.env.clipboard.writeText(fsPath);
    });
  return 'offered';
}
