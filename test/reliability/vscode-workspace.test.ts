// Runs test/reliability/vscode/*.in-vscode.ts inside a real VS Code (the project's code-server
// stand-in for runTests(), see test/harness) with a workspace whose .vscode/settings.json tries
// to redirect the sessions directory and add extra directories.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runTests } from '@vscode/test-electron';
import { v4 as uuidv4 } from 'uuid';
import { REPO_ROOT, VSCODE_STAND_IN } from '../harness/harness-paths';
import { ensureTestPrerequisites } from '../harness/install-code-server';
import { FORMAT_VERSION } from '../../src/core/session-record';
import { inTempDir, snapshotTree } from './lib/tmp';
import { recordFigures } from './lib/figures';

/** Every file under `dir` whose content contains `marker`. */
function filesContaining(dir: string, marker: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const p = join(dir, name);
    try {
      if (statSync(p).isFile() && statSync(p).size < 10_000_000 && readFileSync(p, 'utf8').includes(marker)) out.push(p);
    } catch {
      // vanished or unreadable
    }
  }
  return out;
}

test('in a real VS Code: a workspace cannot redirect the sessions directory; hostile names make one clean log line each; a deleted sessions folder comes back', { timeout: 600_000 }, async (t) => {
  assert.ok(existsSync(join(REPO_ROOT, 'dist', 'extension.js')), 'the extension is built (npm run build)');
  await inTempDir('vscode-ws', async (tmp) => {
    const workspace = join(tmp, 'workspace');
    const sessions = join(tmp, 'sessions');
    const evil = join(tmp, 'workspace-chosen-sessions');
    const evilExtra = join(tmp, 'workspace-chosen-extra');
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
    // Junk in the real sessions folder whose names try to forge log lines and recolour the log.
    writeFileSync(join(sessions, 'junk-one\nFORGED: all sessions archived.json'), '{}');
    writeFileSync(join(sessions, 'junk-two\u001b[31m\u202Edetacer.json'), '{}');
    const extraBefore = snapshotTree(evilExtra);
    await runTests({
      vscodeExecutablePath: (ensureTestPrerequisites(), VSCODE_STAND_IN),
      extensionDevelopmentPath: REPO_ROOT,
      extensionTestsPath: join(__dirname, 'vscode', 'index.js'),
      launchArgs: [workspace, '--disable-extensions', `--user-data-dir=${join(tmp, 'user-data')}`, `--extensions-dir=${join(tmp, 'extensions')}`],
      extensionTestsEnv: { SESSION_KEEPER_DIR: sessions, SK_REL_EVIL_DIR: evil, SK_REL_EVIL_EXTRA: evilExtra },
    });
    await t.test('nothing was written where the workspace pointed, and its extra directory was not touched', () => {
      assert.equal(existsSync(evil), false);
      assert.equal(snapshotTree(evilExtra), extraBefore);
    });
    recordFigures({ test: 'vscode-workspace-settings', injects: 'workspace .vscode/settings.json naming sessionsDirectory and extraDirectories, in a real VS Code (code-server)', figures: { redirected: existsSync(evil), extraDirectoryTouched: snapshotTree(evilExtra) !== extraBefore } });
    await t.test('each junk entry is one log line, without control or bidi characters', () => {
      // The extension's log ("Session Keeper" output channel) as the extension host wrote it.
      const logs = filesContaining(join(tmp, 'user-data'), 'junk-one');
      assert.ok(logs.length > 0, 'found the Session Keeper log');
      for (const log of logs) {
        const lines = readFileSync(log, 'utf8').split('\n');
        const shown = JSON.stringify(lines.filter((l) => /junk|FORGED/.test(l)));
        assert.equal(lines.filter((l) => l.includes('junk-one')).length, 1, `one line for the first junk entry: ${shown}`);
        assert.equal(lines.filter((l) => l.includes('junk-two')).length, 1, `one line for the second junk entry: ${shown}`);
        assert.ok(!lines.some((l) => l.startsWith('FORGED')), `a file name forged a log line: ${shown}`);
        // eslint-disable-next-line no-control-regex
        assert.ok(!lines.some((l) => /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(l)), `control or bidi characters: ${shown}`);
      }
    });
  });
});
