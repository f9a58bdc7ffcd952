import * as vscode from 'vscode';
import { DIAGNOSTIC_SOURCE } from './jsonl-diagnostics';

/** "Repair file" as a Quick Fix on Session Keeper's JSONL diagnostics. */
export class JsonlRepairCodeActions implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] };

  provideCodeActions(doc: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const ours = context.diagnostics.filter((d) => d.source === DIAGNOSTIC_SOURCE && d.code !== 'truncated');
    if (ours.length === 0) return [];
    const title = vscode.l10n.t('Repair file');
    const action = new vscode.CodeAction(title, vscode.CodeActionKind.QuickFix);
    action.diagnostics = ours;
    action.isPreferred = true;
    action.command = { command: 'sessionKeeper.repairJsonlFile', title, arguments: [doc.uri] };
    return [action];
  }
}

/** Where the Quick Fix applies: JSONL files on disk, by extension or by VS Code's `jsonl` language. */
export const JSONL_SELECTOR: vscode.DocumentSelector = [
  { scheme: 'file', language: 'jsonl' },
  { scheme: 'file', pattern: '**/*.{jsonl,ndjson,JSONL,NDJSON}' },
];
