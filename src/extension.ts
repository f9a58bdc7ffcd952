import * as vscode from 'vscode';

// Placeholder wiring; replaced by the real extension (issue 4).
export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(vscode.commands.registerCommand('sessionKeeper.refresh', () => undefined));
}

export function deactivate(): void {
  // nothing yet
}
