import * as vscode from 'vscode';

/** What this window writes into its session record. */
export interface WindowIdentity {
  label: string;
  workspaceFolders: string[];
  tool: string;
  pid: number;
}

/** This window's identity: the workspace's name and every folder of a multi-root workspace. */
export function windowIdentity(): WindowIdentity {
  const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => (f.uri.scheme === 'file' ? f.uri.fsPath : f.uri.toString()));
  return {
    label: vscode.workspace.name ?? (folders.length === 0 ? 'Empty window' : 'VS Code window'),
    workspaceFolders: folders,
    tool: 'vscode',
    // The extension host is the process that lives exactly as long as this window's session.
    pid: process.pid,
  };
}
