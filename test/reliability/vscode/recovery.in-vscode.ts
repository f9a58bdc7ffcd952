// Inside a real VS Code: the sessions folder is deleted under a running window. The window must
// notice nothing but a failed heartbeat or two and register itself again by itself.
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { SessionKeeperApi } from '../../../src/ui/api';

const EXTENSION_ID = 'session-keeper.session-keeper';

async function until<T>(check: () => T | undefined | false, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

suite('reliability: the window recovers by itself', () => {
  test('sessions folder deleted while the window runs: a later heartbeat re-creates it and the window is registered again', async () => {
    const ext = vscode.extensions.getExtension<SessionKeeperApi>(EXTENSION_ID);
    assert.ok(ext);
    const sk = await ext.activate();
    await sk.ready;
    // A settings change also gives the window a fresh store that has not seen its session: the
    // harder case, where the record can only come back as a new registration.
    await vscode.workspace.getConfiguration('sessionKeeper').update('heartbeatIntervalSeconds', 1, vscode.ConfigurationTarget.Global);
    await until(() => sk.sessionId(), 'this window to register', 20_000);
    const dir = sk.sessionsDir();
    // The window keeps writing (a heartbeat a second) while the folder goes: a file made in it
    // mid-removal fails the last rmdir with ENOTEMPTY, which the retries cover.
    rmSync(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 });
    const record = await until(() => {
      const f = join(dir, `${sk.sessionId() ?? 'none'}.json`);
      return existsSync(f) ? f : undefined;
    }, 'this window to be registered again', 20_000);
    const r = JSON.parse(readFileSync(record, 'utf8')) as { id: string; pid: number; closedAt: unknown };
    assert.equal(r.pid, process.pid);
    assert.equal(r.closedAt, null);
    assert.equal(statSync(dir).mode & 0o777, 0o700, 'the re-created folder is private');
    assert.match(readFileSync(join(dir, `${r.id}.jsonl`), 'utf8'), /"(re-registered|created)"/);
  });
});
