import * as vscode from 'vscode';

// Placeholder wiring, replaced by the real extension (issue 4): just enough (a view, a command,
// a status bar item) for the test harness to drive.
export function activate(context: vscode.ExtensionContext): void {
  const changed = new vscode.EventEmitter<void>();
  const tree: vscode.TreeDataProvider<string> = {
    onDidChangeTreeData: changed.event,
    getChildren: (element) => (element ? [] : ['This window']),
    getTreeItem: (label) => Object.assign(new vscode.TreeItem(label), { description: `pid ${process.pid}` }),
  };
  const status = vscode.window.createStatusBarItem('sessionKeeper.status', vscode.StatusBarAlignment.Left, 10);
  status.name = 'Session Keeper';
  status.text = '$(pulse) 1';
  status.tooltip = 'Session Keeper';
  status.command = 'workbench.view.extension.sessionKeeper';
  status.show();
  context.subscriptions.push(
    changed,
    status,
    vscode.window.registerTreeDataProvider('sessionKeeper.sessions', tree),
    vscode.commands.registerCommand('sessionKeeper.refresh', () => changed.fire()),
  );
}

export function deactivate(): void {
  // nothing to release beyond the subscriptions
}
