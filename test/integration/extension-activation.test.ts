// The extension under test activates by itself in a real (remote) extension host.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { extension, eventually, EXTENSION_ID } from './extension-under-test';

suite('Session Keeper: activation', () => {
  test('activates on its own once the window has started (activationEvents)', async () => {
    const ext = extension();
    // No activate() call here: onStartupFinished must do it.
    await eventually(() => ext.isActive, `${EXTENSION_ID} to activate`);
  });

  test('runs where the files are: the remote extension host in code-server, the local one on desktop', () => {
    // runTest.ts says which VS Code runs the tests. Without a remote, VS Code reports UI.
    const remote = process.env.SESSION_KEEPER_TEST_HOST !== 'desktop';
    assert.equal(vscode.env.remoteName !== undefined, remote, `remoteName: ${vscode.env.remoteName}`);
    assert.equal(extension().extensionKind, remote ? vscode.ExtensionKind.Workspace : vscode.ExtensionKind.UI);
  });

  test('is the development copy of this repository', () => {
    // These tests run from out/test/integration/ of the same checkout.
    assert.equal(path.resolve(extension().extensionPath), path.resolve(__dirname, '..', '..', '..'));
  });
});
