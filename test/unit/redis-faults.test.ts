// Faults of a registry on Redis, each its own message and none leaking the password: a server
// that is down (CLI exit 2, recovery by itself), wrong or missing credentials, a failed TLS
// handshake, a restart in the middle of heartbeats, and a server that may evict or lose data.
import { after, afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openRegistry, RegistryAuthError, RegistryPasswordFileError, RegistryTlsError, RegistryUnavailableError } from '../../src/lib/index';
import type { Registry } from '../../src/core/registry';
import { CLI, cleanupTracked, cli, trackChild, trackDir } from '../helpers/processes';
import { freePort, haveRedisServer, startRedis, stopAllRedis } from '../helpers/redis-server';

const skip = haveRedisServer() ? false : 'redis-server is not installed (.ci/run installs it)';
const PASSWORD = 'pw-7c1f0e9a-not-to-be-printed';
/** The environment of CLI runs: no config file or registry of this machine. */
const isolated = (): NodeJS.ProcessEnv => ({ SESSION_KEEPER_CONFIG: path.join(os.tmpdir(), 'sk-no-config.json'), SESSION_KEEPER_REGISTRY: '' });

function passwordFile(text: string, mode = 0o600): string {
  const dir = trackDir(fs.mkdtempSync(path.join(os.tmpdir(), 'sk-pw-')));
  const file = path.join(dir, 'password');
  fs.writeFileSync(file, text, { mode });
  fs.chmodSync(file, mode);
  return file;
}

describe('registry on Redis: faults', { skip }, () => {
  const open: Registry[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((r) => r.dispose()));
    cleanupTracked();
  });
  after(stopAllRedis);

  test('down: a clear error, exit 2 from the CLI, and no hanging', async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}/0`;
    await assert.rejects(openRegistry(url), (err: unknown) => {
      assert.ok(err instanceof RegistryUnavailableError);
      assert.equal(err.code, 'EREGISTRYDOWN');
      assert.match(err.message, new RegExp(`registry redis://127.0.0.1:${port}/0 is unreachable: .*ECONNREFUSED`));
      return true;
    });
    for (const command of [['list'], ['register'], ['heartbeat', '01890a5d-ac96-774b-bcce-b302099a8057'], ['archive', '--stale']]) {
      const r = await cli([...command, '--registry', url], isolated());
      assert.equal(r.code, 2, `${command[0]}: ${r.stderr}`);
      assert.match(r.stderr, /^session-keeper: registry redis:\/\/127\.0\.0\.1:\d+\/0 is unreachable/);
    }
  });

  test('wrong password, no password, password file: each its own message, the password never shown', async () => {
    const redis = await startRedis({ password: PASSWORD });
    const withUrlPassword = redis.url.replace('redis://', `redis://:${encodeURIComponent('wrong-' + PASSWORD)}@`);
    await assert.rejects(openRegistry(withUrlPassword), (err: unknown) => {
      assert.ok(err instanceof RegistryAuthError);
      assert.equal(err.code, 'EREGISTRYAUTH');
      assert.match(err.message, /refused the credentials: WRONGPASS/);
      assert.ok(!err.message.includes(PASSWORD));
      return true;
    });
    await assert.rejects(openRegistry(redis.url), (err: unknown) => err instanceof RegistryAuthError && /NOAUTH/.test(err.message));
    const good = await openRegistry(redis.url, { passwordFile: passwordFile(`${PASSWORD}\n`), cleanupOnCreate: false });
    open.push(good);
    const record = await good.create({ label: 'authenticated' });
    await assert.rejects(openRegistry(redis.url, { passwordFile: passwordFile(PASSWORD, 0o644) }), RegistryPasswordFileError);

    // The CLI: the password from a file works, a wrong one in the URL is refused, and neither
    // shows up in any output.
    const file = passwordFile(PASSWORD);
    const listed = await cli(['list', '--json', '--registry', redis.url, '--registry-password-file', file], isolated());
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(JSON.parse(listed.stdout).map((s: { id: string }) => s.id), [record.id]);
    const wrong = await cli(['list', '--registry', withUrlPassword], isolated());
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /refused the credentials/);
    const viaEnv = await cli(['list', '--json'], { ...isolated(), SESSION_KEEPER_REGISTRY: redis.url.replace('redis://', `redis://:${PASSWORD}@`) });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    for (const out of [listed, wrong, viaEnv]) {
      assert.ok(!out.stdout.includes(PASSWORD) && !out.stderr.includes(PASSWORD) && !out.stderr.includes('wrong-'), 'no password in output');
    }
  });

  test('run: the child gets no registry password in its environment', async () => {
    const redis = await startRedis({ password: PASSWORD });
    const env = { ...isolated(), SESSION_KEEPER_REGISTRY: redis.url.replace('redis://', `redis://:${PASSWORD}@`), REDISCLI_AUTH: PASSWORD };
    const r = await cli(['run', '--label', 'env check', '--', process.execPath, '-e', 'process.stdout.write(JSON.stringify(process.env))'], env);
    assert.equal(r.code, 0, r.stderr);
    const childEnv = JSON.parse(r.stdout) as NodeJS.ProcessEnv;
    assert.ok(!JSON.stringify(childEnv).includes(PASSWORD), 'no password in the child environment');
    assert.equal(childEnv.SESSION_KEEPER_REGISTRY, redis.url, 'the child still finds the registry');
    assert.equal(childEnv.REDISCLI_AUTH, undefined);
  });

  test('run started while Redis is down registers its session once Redis is back', async () => {
    const redis = await startRedis();
    await redis.stop();
    const run = trackChild(
      spawn(process.execPath, [CLI, 'run', '--registry', redis.url, '--interval', '200', '--label', 'patient', '--', process.execPath, '-e', 'setTimeout(() => {}, 60000)'], {
        env: { ...process.env, ...isolated(), SESSION_KEEPER_DIR: '' },
        stdio: ['ignore', 'ignore', 'pipe'],
      }),
    );
    let stderr = '';
    run.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    // The command started without a registry: wait for run's warning, then bring Redis back.
    for (const end = Date.now() + 20_000; !stderr.includes('registered when it is back') && Date.now() < end; ) await new Promise((r) => setTimeout(r, 50));
    assert.match(stderr, /is unreachable: .*; the session is registered when it is back/);
    await redis.start();
    const reader = await openRegistry(redis.url, { cleanupOnCreate: false });
    open.push(reader);
    let found = false;
    for (const end = Date.now() + 20_000; !found && Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
      found = (await reader.list()).some((s) => s.record.label === 'patient' && s.state === 'active');
    }
    assert.ok(found, stderr);
    assert.match(stderr, /the registry is back; session [0-9a-f-]{36} registered/);
  });

  test('TLS: an untrusted certificate is a TLS error, not "down"', async () => {
    const redis = await startRedis({ tls: true });
    await assert.rejects(openRegistry(redis.url), (err: unknown) => {
      assert.ok(err instanceof RegistryTlsError, String(err));
      assert.equal(err.code, 'EREGISTRYTLS');
      assert.match(err.message, /^TLS to registry rediss:\/\/127\.0\.0\.1:\d+\/0 failed: .*self-signed/i);
      return true;
    });
    const r = await cli(['list', '--registry', redis.url], isolated());
    assert.equal(r.code, 2);
    assert.match(r.stderr, /TLS to registry .* failed/);
    // Trusting the certificate (NODE_EXTRA_CA_CERTS) is the fix, and then it works.
    const trusted = await cli(['list', '--registry', redis.url.replace('127.0.0.1', 'localhost')], { ...isolated(), NODE_EXTRA_CA_CERTS: redis.certFile });
    assert.equal(trusted.code, 0, trusted.stderr);
  });

  test('a server that may evict or lose sessions gets a warning at connection', async () => {
    const redis = await startRedis({ aof: false, maxmemoryPolicy: 'allkeys-lru' });
    const r = await cli(['list', '--registry', redis.url], isolated());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /maxmemory-policy is allkeys-lru/);
    assert.match(r.stderr, /AOF persistence is off/);
    const safe = await startRedis();
    const quiet = await cli(['list', '--registry', safe.url], isolated());
    assert.equal(quiet.stderr, '');
  });

  test('a Redis restart in the middle of heartbeats: nothing lost, nobody archived, recovery by itself', async () => {
    const redis = await startRedis();
    const statuses: Array<string | null> = [];
    const owner = await openRegistry(redis.url, { persistent: true, cleanupOnCreate: false, onStatus: (p) => statuses.push(p ? p.constructor.name : null) });
    open.push(owner);
    const record = await owner.create({ label: 'survivor', heartbeatIntervalMs: 100, unresponsiveAfterMs: 300, expireAfterMs: 600 });
    let ok = 0;
    const failures = new Set<string>();
    let running = true;
    const beats = (async () => {
      while (running) {
        try {
          await owner.heartbeat(record.id);
          ok++;
        } catch (err) {
          assert.ok(err instanceof RegistryUnavailableError, String(err));
          failures.add((err as Error).constructor.name);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    while (ok < 5) await new Promise((resolve) => setTimeout(resolve, 20));
    await redis.kill(); // SIGKILL: no shutdown save; AOF with fsync always keeps every acknowledged write
    await new Promise((resolve) => setTimeout(resolve, 1500)); // longer than the session's expiry
    await redis.start();
    const okBefore = ok;
    const deadline = Date.now() + 20_000;
    while (ok < okBefore + 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    running = false;
    await beats;
    assert.ok(ok >= okBefore + 3, 'heartbeats resumed by themselves');
    assert.deepEqual([...failures], ['RegistryUnavailableError']);
    assert.deepEqual(statuses.slice(0, 1), ['RegistryUnavailableError']);
    assert.equal(statuses.at(-1), null, 'reported reachable again');
    const reader = await openRegistry(redis.url, { cleanupOnCreate: false });
    open.push(reader);
    const sessions = await reader.list();
    assert.deepEqual(sessions.map((s) => [s.record.id, s.state]), [[record.id, 'active']]);
    assert.deepEqual(await reader.cleanup({ staleGraceMs: 0 }), [], 'nothing to archive');
    const journal = (await reader.readJournal(record.id)) as Array<{ event: string }>;
    assert.deepEqual(journal.map((e) => e.event), ['created'], 'the journal survived the restart');
  });
});
