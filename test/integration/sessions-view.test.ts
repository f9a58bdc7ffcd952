// The window as a session and the Sessions view, inside a real VS Code extension host: real
// session files in the run's sessions folder ($SESSION_KEEPER_DIR), real child processes
// registered by the real CLI, real kills.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SessionKeeperApi } from '../../src/ui/api';
import { api, cli, flatten, kill, readRecord, recordsIn, registerOther, rowOf, spawnSleeper, tempDirIn, until } from './session-fixtures';

const config = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('sessionKeeper');

suite('Session Keeper: this window as a session', () => {
  let sk: SessionKeeperApi;

  suiteSetup(async () => {
    sk = await api();
  });

  test('activation registered a session carrying this extension host’s pid', async () => {
    const id = await until(() => sk.sessionId(), 'this window to register');
    const record = readRecord(path.join(sk.sessionsDir(), `${id}.json`));
    assert.ok(record, `a record file for ${id} in ${sk.sessionsDir()}`);
    assert.equal(record.pid, process.pid);
    assert.equal(record.tool, 'vscode');
    assert.equal(record.closedAt, null);
    assert.equal(record.label, vscode.workspace.name);
    const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    assert.deepEqual(record.workspaceFolders, folders);
    // The sessions folder is the run's own, from $SESSION_KEEPER_DIR via the core's default.
    assert.equal(sk.sessionsDir(), path.resolve(process.env.SESSION_KEEPER_DIR ?? ''));
  });

  test('activate() only wires things up and logs how long it took', () => {
    assert.ok(Number.isFinite(sk.activateMs) && sk.activateMs >= 0);
    // A measurement for the report, not an assertion: timings belong in benchmarks.
    console.log(`activate took ${sk.activateMs.toFixed(2)} ms`);
  });

  test('heartbeats advance the record (interval set to 1 s in user settings, no reload)', async () => {
    const id = await until(() => sk.sessionId(), 'this window to register');
    const file = path.join(sk.sessionsDir(), `${id}.json`);
    await config().update('heartbeatIntervalSeconds', 1, vscode.ConfigurationTarget.Global);
    const first = readRecord(file)?.heartbeatAt ?? '';
    const second = await until(() => {
      const at = readRecord(file)?.heartbeatAt;
      return at && at > first ? at : undefined;
    }, 'a heartbeat after the first', 15_000);
    const third = await until(() => {
      const at = readRecord(file)?.heartbeatAt;
      return at && at > second ? at : undefined;
    }, 'another heartbeat', 15_000);
    assert.ok(Date.parse(third) > Date.parse(first));
  });

  test('the tree shows this window as an active session, marked as this window', async () => {
    const id = await until(() => sk.sessionId(), 'this window to register');
    const row = await until(() => rowOf(sk, id), 'this window in the tree');
    assert.deepEqual(row.path, ['Active']);
    assert.equal(row.contextValue, 'session.active.self');
    // The age first (a narrow side bar cuts the end), no host: it is this machine.
    assert.match(row.description, new RegExp(`^(just now|\\d+ s ago) · this window · pid ${process.pid}( · |$)`));
    assert.doesNotMatch(row.description, new RegExp(escapeRe(os.hostname())));
    assert.match(sk.statusBarText(), /^\$\(pulse\) \d+ sessions?( · \d+ stale)?$/);
  });

  test('an archived record of this window is re-registered by the next heartbeat', async () => {
    const id = await until(() => sk.sessionId(), 'this window to register');
    const file = path.join(sk.sessionsDir(), `${id}.json`);
    // Someone else (another window's clean-up, a CLI `archive`) moves our record away.
    const archived = await vscode.commands.executeCommand<boolean>('sessionKeeper.archiveSession', sk.sessionNode(id));
    assert.equal(archived, false, 'the view refuses to archive this window itself');
    const day = path.join(sk.sessionsDir(), 'archive', 'manual-test');
    fs.mkdirSync(day, { recursive: true });
    fs.renameSync(file, path.join(day, `${id}.json`));
    const back = await until(() => readRecord(file), 'the record to come back', 15_000);
    assert.equal(back.id, id);
    assert.equal(back.pid, process.pid);
    fs.rmSync(day, { recursive: true, force: true });
  });
});

suite('Session Keeper: sessions of other processes', () => {
  let sk: SessionKeeperApi;

  suiteSetup(async () => {
    sk = await api();
  });

  test('a session registered by another process shows as active, goes stale when it dies, and Archive All Stale archives it', async () => {
    const dir = sk.sessionsDir();
    const child = spawnSleeper();
    try {
      const id = await registerOther(dir, 'other', child.pid as number);
      const active = await until(async () => {
        const row = await rowOf(sk, id);
        return row?.path[0] === 'Active' ? row : undefined;
      }, 'the other session under Active');
      assert.equal(active.label, 'other');
      assert.equal(active.contextValue, 'session.active');
      assert.match(active.description, new RegExp(`^(just now|\\d+ s ago) · pid ${child.pid}( · |$)`));

      await kill(child);
      const stale = await until(async () => {
        const row = await rowOf(sk, id);
        return row?.path[0] === 'Stale' ? row : undefined;
      }, 'the other session under Stale');
      assert.equal(stale.contextValue, 'session.stale');
      assert.match(sk.statusBarText(), /· \d+ stale$/);

      const count = await vscode.commands.executeCommand<number>('sessionKeeper.archiveAllStale');
      assert.ok(count >= 1, `archived ${count}`);
      assert.equal(fs.existsSync(path.join(dir, `${id}.json`)), false, 'the record left the sessions folder');
      const days = fs.readdirSync(path.join(dir, 'archive')).filter((d) => /^\d{4}-\d{2}-\d{2}$/.test(d));
      const holding = days.filter((d) => fs.existsSync(path.join(dir, 'archive', d, `${id}.json`)));
      assert.equal(holding.length, 1, `the record is in one archive/YYYY-MM-DD/ folder (${days.join(', ')})`);
      assert.ok(fs.existsSync(path.join(dir, 'archive', holding[0] as string, `${id}.jsonl`)), 'its journal went along');

      const archivedRow = await rowOf(sk, id);
      assert.ok(archivedRow, 'still in the tree');
      assert.deepEqual(archivedRow.path, ['Archived', holding[0]]);
      assert.equal(archivedRow.contextValue, 'session.archived');
    } finally {
      await kill(child);
    }
  });

  test('one rule for every reader: registered with --interval 2000 and silent for 8 s is Unresponsive in the tree and in `list`', async () => {
    const dir = sk.sessionsDir();
    const child = spawnSleeper();
    try {
      const id = cli(['--dir', dir, 'register', '--label', 'fast beats', '--pid', String(child.pid), '--interval', '2000']).trim();
      const file = path.join(dir, `${id}.json`);
      // Silent for 8 s: more than 3 of its own 2 s intervals, less than this window's 30 s setting.
      const record = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
      fs.writeFileSync(file, JSON.stringify({ ...record, heartbeatAt: new Date(Date.now() - 8000).toISOString() }));
      const row = await until(async () => {
        const r = await rowOf(sk, id);
        return r?.path[0] === 'Unresponsive' ? r : undefined;
      }, 'the silent session under Unresponsive');
      assert.equal(row.contextValue, 'session.unresponsive');
      const listed = (JSON.parse(cli(['--dir', dir, 'list', '--json'])) as Array<{ id: string; state: string }>).find((s) => s.id === id);
      assert.equal(listed?.state, 'unresponsive');
      // This window's setting went into its own record, where every reader finds it.
      const own = readRecord(path.join(dir, `${await until(() => sk.sessionId(), 'this window to register')}.json`)) as unknown as { unresponsiveAfterMs?: number };
      assert.equal(own.unresponsiveAfterMs, (config().get<number>('staleAfterSeconds') ?? 30) * 1000);
    } finally {
      await kill(child);
    }
  });

  test('labels from files are shown sanitized and escaped (markdown, HTML, controls, bidi overrides)', async () => {
    const child = spawnSleeper();
    try {
      const hostile = '\u202eevil\u202c <img src=x onerror=alert(1)> **bold** [run](command:workbench.action.quit)\u0007';
      const id = await registerOther(sk.sessionsDir(), hostile, child.pid as number);
      const row = await until(() => rowOf(sk, id), 'the hostile session in the tree');
      // eslint-disable-next-line no-control-regex
      assert.doesNotMatch(row.label, /[\u0000-\u001f\u202a-\u202e\u2066-\u2069]/);
      assert.ok(row.label.startsWith('evil'), row.label);
      // In the Markdown tooltip every special character is escaped: nothing renders as HTML or a link.
      assert.ok(row.tooltip.includes('\\<img src\\=x onerror\\=alert\\(1\\)\\>'), row.tooltip);
      assert.ok(row.tooltip.includes('\\[run\\]\\(command\\:workbench\\.action\\.quit\\)'), row.tooltip);
      // eslint-disable-next-line no-control-regex
      assert.doesNotMatch(row.tooltip, /\u202e|\u0007/);
    } finally {
      await kill(child);
    }
  });

  test('Archive Session archives one stale session; Open Journal opens its journal', async () => {
    const child = spawnSleeper();
    const id = await registerOther(sk.sessionsDir(), 'one to archive', child.pid as number);
    await kill(child);
    const node = await until(async () => {
      await sk.refresh();
      const n = sk.sessionNode(id);
      return n?.kind === 'session' && n.info.state === 'stale' ? n : undefined;
    }, 'the session to be stale');
    await vscode.commands.executeCommand('sessionKeeper.openJournal', node);
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, path.join(sk.sessionsDir(), `${id}.jsonl`));
    assert.match(vscode.window.activeTextEditor?.document.getText() ?? '', /"created"/);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    assert.equal(await vscode.commands.executeCommand<boolean>('sessionKeeper.archiveSession', node), true);
    assert.equal(fs.existsSync(path.join(sk.sessionsDir(), `${id}.json`)), false);
    const row = await rowOf(sk, id);
    assert.equal(row?.path[0], 'Archived');
  });

  test('Reveal in a remote window: a session file outside the workspace opens in an editor', async () => {
    const id = await until(() => sk.sessionId(), 'this window to register');
    assert.ok(vscode.env.remoteName, 'this runs as a remote window (code-server)');
    const how = await vscode.commands.executeCommand<string>('sessionKeeper.revealSession', sk.sessionNode(id));
    assert.equal(how, 'editor');
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, path.join(sk.sessionsDir(), `${id}.json`));
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    // The folder itself cannot be shown in the person's own file manager: an offer instead.
    assert.equal(await vscode.commands.executeCommand<string>('sessionKeeper.revealSessionsFolder'), 'offered');
  });

  test('Copy Session Id puts the id on the clipboard', async () => {
    const id = await until(() => sk.sessionId(), 'this window to register');
    await sk.refresh();
    const copied = await vscode.commands.executeCommand<string>('sessionKeeper.copySessionId', sk.sessionNode(id));
    assert.equal(copied, id);
    assert.equal(await vscode.env.clipboard.readText(), id);
  });
});

suite('Session Keeper: settings apply without a reload', () => {
  let sk: SessionKeeperApi;

  suiteSetup(async () => {
    sk = await api();
  });

  teardown(async () => {
    await config().update('sessionsDirectory', undefined, vscode.ConfigurationTarget.Global);
    await config().update('extraDirectories', undefined, vscode.ConfigurationTarget.Global);
  });

  test('a new sessions folder: the window closes its old session and registers in the new folder', async () => {
    const oldDir = sk.sessionsDir();
    const oldId = await until(() => sk.sessionId(), 'this window to register');
    const newDir = tempDirIn(path.join(os.tmpdir(), 'sk-it'), 'moved-');
    await config().update('sessionsDirectory', newDir, vscode.ConfigurationTarget.Global);
    const moved = await until(() => recordsIn(newDir).find((r) => r.pid === process.pid), 'a record of this window in the new folder');
    assert.notEqual(moved.id, oldId);
    assert.equal(sk.sessionsDir(), path.resolve(newDir));
    const old = await until(() => {
      const r = readRecord(path.join(oldDir, `${oldId}.json`));
      return r?.closedAt ? r : undefined;
    }, 'the old session to be closed');
    assert.ok(old.closedAt);

    await config().update('sessionsDirectory', undefined, vscode.ConfigurationTarget.Global);
    await until(() => (sk.sessionsDir() === oldDir ? recordsIn(oldDir).find((r) => r.pid === process.pid && r.closedAt === null) : undefined), 'this window back in the first folder');
    fs.rmSync(newDir, { recursive: true, force: true });
  });

  test('a file where the sessions folder should be gives an empty tree (the welcome view) and "folder unsafe" in the status bar, never an error', async () => {
    const notADir = path.join(tempDirIn(path.join(os.tmpdir(), 'sk-it'), 'file-'), 'sessions');
    fs.writeFileSync(notADir, 'this is a file, not a folder\n');
    await config().update('sessionsDirectory', notADir, vscode.ConfigurationTarget.Global);
    await until(async () => {
      await sk.refresh();
      return sk.statusBarText() === '$(pulse) folder unsafe';
    }, 'the status bar to show the error');
    assert.deepEqual(await sk.snapshot(), []);
  });

  test('extra directories show as their own groups', async () => {
    const extra = tempDirIn(path.join(os.tmpdir(), 'sk-it'), 'telegram-sessions-');
    const child = spawnSleeper();
    try {
      const id = await registerOther(extra, 'bot', child.pid as number);
      await config().update('extraDirectories', [extra], vscode.ConfigurationTarget.Global);
      const row = await until(async () => {
        const r = await rowOf(sk, id);
        return r?.path[0] === path.basename(extra) ? r : undefined;
      }, 'the extra folder group');
      assert.deepEqual(row.path, [path.basename(extra), 'Active']);
      assert.equal(row.contextValue, 'session.active.extra');
      const all = flatten(await sk.snapshot());
      assert.ok(all.some((r) => r.label === 'Active' && r.path.length === 0), 'the main folder keeps its groups');
    } finally {
      await kill(child);
      fs.rmSync(extra, { recursive: true, force: true });
    }
  });
});

function escapeRe(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
