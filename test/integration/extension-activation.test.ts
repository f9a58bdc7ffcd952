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

  test('runs in the workspace extension host, where the sessions folder is', () => {
    assert.equal(extension().extensionKind, vscode.ExtensionKind.Workspace);
    assert.equal(vscode.env.remoteName !== undefined, true, 'the stand-in runs the extension as in a remote window');
  });

  test('is the development copy of this repository', () => {
    // These tests run from out/test/integration/ of the same checkout.
    assert.equal(path.resolve(extension().extensionPath), path.resolve(__dirname, '..', '..', '..'));
  });
});
