// Inside a real VS Code: the opened workspace's .vscode/settings.json tries to point the
// extension at directories of its choosing. Machine-scoped settings must ignore it.
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import * as vscode from 'vscode';
import type { SessionKeeperApi } from '../../../src/ui/api';
import { until } from '../../integration/session-fixtures';

const EXTENSION_ID = 'session-keeper.session-keeper';

suite('reliability: a workspace cannot redirect the sessions directory', () => {
  let sk: SessionKeeperApi;
  const evil = process.env.SK_REL_EVIL_DIR ?? '';
  const evilExtra = process.env.SK_REL_EVIL_EXTRA ?? '';

  suiteSetup(async () => {
    assert.ok(evil && evilExtra, 'the runner passes the directories the workspace names');
    const ext = vscode.extensions.getExtension<SessionKeeperApi>(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is loaded`);
    sk = await ext.activate();
    await sk.ready;
  });

  test('VS Code loaded the workspace settings file but does not apply its machine-scoped values', () => {
    const config = vscode.workspace.getConfiguration('sessionKeeper');
    // Control: a window-scoped setting from the same file does apply, so the file was read.
    assert.equal(config.inspect<boolean>('notifyOnStale')?.workspaceValue, true, 'the workspace settings file was loaded');
    assert.notEqual(config.get('sessionsDirectory'), evil);
    assert.equal(config.inspect<string>('sessionsDirectory')?.workspaceValue, undefined);
    assert.notDeepEqual(config.get('extraDirectories'), [evilExtra]);
  });

  test('the extension keeps using the user-level directory and writes nothing where the workspace points', async () => {
    assert.equal(sk.sessionsDir(), resolve(process.env.SESSION_KEEPER_DIR ?? ''));
    const id = sk.sessionId();
    assert.ok(id, 'this window registered');
    // Waited for: the test before this one deletes the sessions folder, and the window registers
    // again at its next heartbeat.
    await until(() => existsSync(resolve(sk.sessionsDir(), `${id}.json`)), 'this window\'s record in the user-level directory');
    assert.equal(existsSync(evil), false, 'the directory named by the workspace was not even created');
  });

  test('extra directories named by the workspace are not read', async () => {
    await sk.refresh();
    const rows = await sk.snapshot();
    const text = JSON.stringify(rows);
    assert.ok(!text.includes(evilExtra), 'no tree row mentions the workspace-named extra directory');
    assert.ok(!text.includes('planted by the workspace'), 'the session planted there is not shown');
  });
});
