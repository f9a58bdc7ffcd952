// Two "machines" on one Redis: the second runs in its own user, PID, UTS and mount namespaces
// (unshare) with another host name, so its pids mean nothing here and it is judged by heartbeat
// age on the server's clock alone, as a real other machine would be.
import { after, afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import * as os from 'node:os';
import * as path from 'node:path';
import { openRegistry } from '../../src/lib/index';
import type { Registry } from '../../src/core/registry';
import type { SessionInfo } from '../../src/core/session-store';
import { CLI, cleanupTracked, liveChild, trackChild } from '../helpers/processes';
import { haveRedisServer, startRedis, stopAllRedis } from '../helpers/redis-server';

const UNSHARE = ['unshare', '--user', '--map-root-user', '--pid', '--uts', '--mount-proc', '--fork', '--kill-child'];

function canUnshare(): boolean {
  const r = spawnSync(UNSHARE[0] as string, [...UNSHARE.slice(1), 'sh', '-c', 'hostname machine-probe && hostname'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() === 'machine-probe';
}

const skip = !haveRedisServer()
  ? 'redis-server is not installed (.ci/run installs it)'
  : process.platform !== 'linux' || !canUnshare()
    ? 'unshare with user, PID and UTS namespaces is not available here'
    : false;

/** Runs `args` of the CLI on machine `host` (its own namespaces); the child is tracked. */
function onMachine(host: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const script = `hostname ${host} && exec "$0" "$@"`;
  return trackChild(
    spawn(UNSHARE[0] as string, [...UNSHARE.slice(1), 'sh', '-c', script, process.execPath, CLI, ...args], {
      env: { ...process.env, SESSION_KEEPER_DIR: '', SESSION_KEEPER_HOSTNAME: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
}

async function output(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

describe('two machines on one Redis', { skip }, () => {
  const open: Registry[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((r) => r.dispose()));
    cleanupTracked();
  });
  after(stopAllRedis);

  test('each sees the other; a killed session on the other machine turns unresponsive, then stale', async () => {
    const redis = await startRedis();
    const env = { SESSION_KEEPER_CONFIG: path.join(os.tmpdir(), 'sk-no-config.json'), SESSION_KEEPER_REGISTRY: redis.url };
    const here = await openRegistry(redis.url, { cleanupOnCreate: false });
    open.push(here);
    const mine = await here.create({ label: 'on this machine', pid: (await liveChild()).pid });

    // Machine B runs a session: `run` heartbeats every 200 ms for `sleep`.
    const b = onMachine('machine-b', ['run', '--label', 'on machine b', '--interval', '200', '--unresponsive-after', '600', '--expire-after', '1500', '--', 'sleep', '1000'], env);
    const stderr: string[] = [];
    b.stderr?.setEncoding('utf8').on('data', (d: string) => stderr.push(d));
    let theirs: SessionInfo | undefined;
    const deadline = Date.now() + 20_000;
    while (!theirs && Date.now() < deadline) {
      theirs = (await here.list()).find((s) => s.record.hostname === 'machine-b');
      if (!theirs) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(theirs, `machine b's session appears here (${stderr.join('')})`);
    assert.equal(theirs.state, 'active');
    assert.equal(theirs.record.label, 'on machine b');

    // Machine B sees this machine's session too.
    const listed = await output(onMachine('machine-b', ['list', '--json'], env));
    assert.equal(listed.code, 0, listed.stderr);
    const seen = JSON.parse(listed.stdout) as Array<{ id: string; hostname: string; state: string; reason: string }>;
    const mineThere = seen.find((s) => s.id === mine.id);
    assert.equal(mineThere?.hostname, os.hostname());
    assert.equal(mineThere?.state, 'active');
    assert.match(mineThere?.reason ?? '', /heartbeat .* ago/);

    // Machine B dies at once (SIGKILL of its PID namespace): no close, no more heartbeats.
    b.kill('SIGKILL');
    await once(b, 'close');
    const states: string[] = [];
    const until = Date.now() + 20_000;
    while (Date.now() < until) {
      const now = (await here.list()).find((s) => s.record.id === theirs?.record.id);
      if (now && states.at(-1) !== now.state) states.push(now.state);
      if (now?.state === 'stale') {
        assert.match(now.reason, /no heartbeat for .* \(expires after 1 s\)/);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.deepEqual(states, ['active', 'unresponsive', 'stale'].slice(states[0] === 'active' ? 0 : 1));
    assert.ok(states.includes('unresponsive'), `unresponsive before stale: ${states.join(' -> ')}`);
    // Its pid was never checked here: the record's host name is not ours.
    assert.notEqual(theirs.record.hostname, os.hostname());
  });
});
