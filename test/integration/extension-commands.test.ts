// Every command the extension declares is really registered, and Refresh runs.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activated, contributedCommands } from './extension-under-test';

suite('Session Keeper: commands', () => {
  suiteSetup(async () => {
    await activated();
  });

  test('every command declared in package.json has a handler', async () => {
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributedCommands()
      .map((c) => c.command)
      .filter((id) => !registered.has(id));
    assert.deepEqual(missing, []);
  });

  test('all declared commands are in the sessionKeeper namespace', () => {
    const foreign = contributedCommands()
      .map((c) => c.command)
      .filter((id) => !id.startsWith('sessionKeeper.'));
    assert.deepEqual(foreign, []);
  });

  test('Session Keeper: Refresh runs without error', async () => {
    await vscode.commands.executeCommand('sessionKeeper.refresh');
  });
});
