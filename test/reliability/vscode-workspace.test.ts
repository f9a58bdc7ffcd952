// Runs test/reliability/vscode/*.vscode-test.ts inside a real VS Code (the project's code-server
// stand-in for runTests(), see test/harness) with a workspace whose .vscode/settings.json tries
// to redirect the sessions directory and add extra directories.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { runTests } from '@vscode/test-electron';
import { v4 as uuidv4 } from 'uuid';
import { REPO_ROOT, VSCODE_STAND_IN } from '../harness/harness-paths';
import { ensureTestPrerequisites } from '../harness/install-code-server';
import { FORMAT_VERSION } from '../../src/core/session-record';
import { tempDir, snapshotTree } from './lib/tmp';
import { recordFigures } from './lib/figures';

test('in a real VS Code, a workspace cannot redirect the sessions directory', { timeout: 600_000 }, async () => {
  assert.ok(existsSync(join(REPO_ROOT, 'dist', 'extension.js')), 'the extension is built (npm run build)');
  const tmp = tempDir('vscode-ws');
  try {
    const workspace = join(tmp.dir, 'workspace');
    const sessions = join(tmp.dir, 'sessions');
    const evil = join(tmp.dir, 'workspace-chosen-sessions');
    const evilExtra = join(tmp.dir, 'workspace-chosen-extra');
    mkdirSync(join(workspace, '.vscode'), { recursive: true });
    mkdirSync(sessions, { mode: 0o700 });
    mkdirSync(evilExtra, { mode: 0o700 });
    const id = uuidv4();
    const now = new Date().toISOString();
    writeFileSync(
      join(evilExtra, `${id}.json`),
      JSON.stringify({ version: FORMAT_VERSION, id, pid: process.pid, processStartedAt: null, hostname: 'h', user: 'u', label: 'planted by the workspace', workspaceFolders: [], tool: 't', createdAt: now, heartbeatAt: now, heartbeatIntervalMs: 10000, closedAt: null }),
      { mode: 0o600 },
    );
    writeFileSync(
      join(workspace, '.vscode', 'settings.json'),
      // notifyOnStale is window-scoped: the control that shows the file is read at all.
      JSON.stringify({ 'sessionKeeper.sessionsDirectory': evil, 'sessionKeeper.extraDirectories': [evilExtra], 'sessionKeeper.notifyOnStale': true }, null, 2),
    );
    const extraBefore = snapshotTree(evilExtra);
    await runTests({
      vscodeExecutablePath: (ensureTestPrerequisites(), VSCODE_STAND_IN),
      extensionDevelopmentPath: REPO_ROOT,
      extensionTestsPath: join(__dirname, 'vscode', 'index.js'),
      launchArgs: [workspace, '--disable-extensions', `--user-data-dir=${join(tmp.dir, 'user-data')}`, `--extensions-dir=${join(tmp.dir, 'extensions')}`],
      extensionTestsEnv: { SESSION_KEEPER_DIR: sessions, SK_REL_EVIL_DIR: evil, SK_REL_EVIL_EXTRA: evilExtra },
    });
    assert.equal(existsSync(evil), false);
    assert.equal(snapshotTree(evilExtra), extraBefore, 'the workspace-named extra directory was not touched');
    recordFigures({ test: 'vscode-workspace-settings', injects: 'workspace .vscode/settings.json naming sessionsDirectory and extraDirectories, in a real VS Code (code-server)', figures: { redirected: false, extraDirectoryRead: false } });
  } finally {
    tmp.dispose();
  }
});
