import * as path from 'node:path';
import * as vscode from 'vscode';

/** Whether a document or file is JSON Lines: by extension, or by a language id VS Code or an extension gave it. */
export function isJsonlPath(fsPath: string): boolean {
  const ext = path.extname(fsPath).toLowerCase();
  return ext === '.jsonl' || ext === '.ndjson';
}

export function isJsonlDocument(doc: vscode.TextDocument): boolean {
  if (doc.uri.scheme !== 'file') return false;
  return isJsonlPath(doc.uri.fsPath) || doc.languageId === 'jsonl' || doc.languageId === 'json-lines' || doc.languageId === 'jsonlines';
}

/** A URI from a command argument: a Uri, or a tree node carrying a session's journal path. */
function uriFromArgument(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (typeof arg === 'string' && arg !== '') return vscode.Uri.file(arg);
  if (arg && typeof arg === 'object') {
    const info = (arg as { info?: { journal?: unknown } }).info;
    if (info && typeof info.journal === 'string') return vscode.Uri.file(info.journal);
  }
  return undefined;
}

/**
 * The JSONL file a command should work on: its argument (explorer, tree, Quick Fix), else the
 * active editor's JSONL file, else one the person picks. Undefined when they cancel.
 */
export async function pickJsonlFile(arg: unknown, title: string): Promise<vscode.Uri | undefined> {
  const given = uriFromArgument(arg);
  if (given) return given;
  const active = vscode.window.activeTextEditor?.document;
  if (active && isJsonlDocument(active)) return active.uri;
  const picked = await vscode.window.showOpenDialog({
    title,
    canSelectMany: false,
    canSelectFolders: false,
    openLabel: vscode.l10n.t('Select'),
    filters: { [vscode.l10n.t('JSON Lines')]: ['jsonl', 'ndjson'], [vscode.l10n.t('All files')]: ['*'] },
  });
  return picked?.[0];
}
