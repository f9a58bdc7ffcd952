// The extension on a registry on Redis, inside a real extension host: the sessionKeeper.registry
// setting moves this window's session to a real redis-server, and a session registered from
// another "machine" (its own user, PID and UTS namespaces, another host name) shows up in the
// tree through pub/sub, without a refresh call and before the view's next periodic poll.
import * as assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { openRegistry } from '../../src/lib/index';
import type { SessionKeeperApi } from '../../src/ui/api';
import { haveRedisServer, startRedis, type TestRedis } from '../helpers/redis-server';
import { api, cliPath, flatten, until } from './session-fixtures';

const config = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('sessionKeeper');
const UNSHARE = ['--user', '--map-root-user', '--pid', '--uts', '--mount-proc', '--fork', '--kill-child'];

function canUnshare(): boolean {
  const r = spawnSync('unshare', [...UNSHARE, 'sh', '-c', 'hostname probe && hostname'], { encoding: 'utf8' });
  return process.platform === 'linux' && r.status === 0 && r.stdout.trim() === 'probe';
}

suite('Session Keeper: a registry on Redis', () => {
  let sk: SessionKeeperApi;
  let redis: TestRedis | undefined;
  let other: ChildProcess | undefined;

  suiteSetup(async function () {
    if (!haveRedisServer() || !canUnshare()) this.skip();
    sk = await api();
    redis = await startRedis();
  });

  suiteTeardown(async () => {
    other?.kill('SIGKILL');
    await config().update('registry', undefined, vscode.ConfigurationTarget.Global);
    if (redis) {
      // Back on the folder before the server goes, so the window's session closes cleanly.
      await until(() => (sk.sessionsDir() === path.resolve(process.env.SESSION_KEEPER_DIR ?? '') ? true : undefined), 'the window back on its folder');
      await redis.stop();
    }
  });

  test('the window registers on Redis, and a session from another machine appears without a refresh', async () => {
    const url = redis?.url ?? '';
    await config().update('registry', url, vscode.ConfigurationTarget.Global);
    await until(() => (sk.sessionsDir() === url ? true : undefined), 'the registry setting to apply');
    const reader = await openRegistry(url, { cleanupOnCreate: false });
    try {
      const mine = await until(async () => {
        const id = sk.sessionId();
        return id && (await reader.list()).some((s) => s.record.id === id) ? id : undefined;
      }, 'this window registered on Redis');
      assert.ok(mine);
      // Let the tree settle, then register from "machine b".
      await sk.refresh();
      const script = 'hostname machine-b && exec "$0" "$@"';
      other = spawn('unshare', [...UNSHARE, 'sh', '-c', script, process.execPath, cliPath(), 'run', '--registry', url, '--label', 'from machine b', '--', 'sleep', '120'], {
        env: { ...process.env, SESSION_KEEPER_HOSTNAME: '', SESSION_KEEPER_REGISTRY: '' },
        stdio: 'ignore',
      });
      const theirs = await until(async () => (await reader.list()).find((s) => s.record.hostname === 'machine-b'), 'machine b registered');
      const registeredAt = Date.now();
      // No sk.refresh() here: only the pub/sub message can bring it before the 5 s poll.
      const row = await until(
        async () => flatten(await sk.snapshot()).find((r) => r.tooltip.includes(theirs.record.id.replace(/-/g, '\\-'))),
        'machine b in the tree',
        4000,
      );
      console.log(`machine b's session reached the tree ${Date.now() - registeredAt} ms after its registration was listed (load ${os.loadavg()[0]?.toFixed(2)})`);
      assert.equal(row.label, 'from machine b');
    } finally {
      await reader.dispose();
    }
  });

  test('a change of an unrelated setting keeps the Redis connection; a change of the registry reconnects', async () => {
    const url = redis?.url ?? '';
    await config().update('registry', url, vscode.ConfigurationTarget.Global);
    await until(() => (sk.sessionsDir() === url ? true : undefined), 'the registry setting to apply');
    const reader = await openRegistry(url, { cleanupOnCreate: false });
    const command = (reader as unknown as { conn: { command(a: string[]): Promise<unknown> } }).conn.command.bind(
      (reader as unknown as { conn: object }).conn,
    );
    // Client ids only grow: a connection made after `seen` has an id that `seen` lacks.
    const readerId = String(await command(['CLIENT', 'ID']));
    const clientIds = async (): Promise<Set<string>> =>
      new Set([...String(await command(['CLIENT', 'LIST'])).matchAll(/^id=(\d+) /gm)].map((m) => m[1] ?? '').filter((id) => id !== readerId));
    const newIds = async (seen: Set<string>): Promise<string[]> => [...(await clientIds())].filter((id) => !seen.has(id));
    try {
      const mine = await until(async () => {
        const id = sk.sessionId();
        return id && (await reader.list()).some((s) => s.record.id === id) ? id : undefined;
      }, 'this window registered on Redis');
      const seen = await clientIds();
      await config().update('heartbeatIntervalSeconds', 7, vscode.ConfigurationTarget.Global);
      // Applied: the window's record carries the new interval (written at once, on the kept connection).
      await until(async () => ((await reader.list()).find((s) => s.record.id === mine)?.record.heartbeatIntervalMs === 7000 ? true : undefined), 'the new interval in the record');
      await sk.refresh();
      assert.deepEqual(await newIds(seen), [], 'no new connection for a heartbeat setting');

      // The control: a setting that moves the registry (another key prefix) connects anew.
      const moved = `${url}?prefix=moved`;
      await config().update('registry', moved, vscode.ConfigurationTarget.Global);
      await until(() => (sk.sessionsDir() !== url ? true : undefined), 'the moved registry to apply');
      await until(async () => ((await newIds(seen)).length > 0 ? true : undefined), 'a new connection for the moved registry');
    } finally {
      await config().update('heartbeatIntervalSeconds', undefined, vscode.ConfigurationTarget.Global);
      await config().update('registry', url, vscode.ConfigurationTarget.Global);
      await reader.dispose();
    }
  });
});
