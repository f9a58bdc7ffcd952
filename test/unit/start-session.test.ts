// startSession() and SessionStore.update(): real processes, real signals, a real sessions dir.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { tempDir, waitForLine } from '../fixtures/lock-helpers';
import {
  InvalidRecordError,
  openRegistry,
  SessionClosedError,
  SessionStore,
  startSession,
  UnsupportedRegistryError,
} from '../../src/lib/index';
import { LIMITS } from '../../src/core/session-record';

const CHILD = path.join(__dirname, '..', 'fixtures', 'start-session-child.js');
const posix = process.platform !== 'win32';

function startChild(dir: string, mode: string): ChildProcess {
  return spawn(process.execPath, [CHILD, dir, mode], { stdio: ['pipe', 'pipe', 'pipe'] });
}

async function joined(child: ChildProcess): Promise<string> {
  const line = await waitForLine(child, (l) => l.startsWith('{'));
  return (JSON.parse(line) as { id: string }).id;
}

async function stateOf(dir: string, id: string): Promise<string | undefined> {
  const all = await new SessionStore(dir, { cleanupOnCreate: false }).list();
  return all.find((s) => s.record.id === id)?.state;
}

describe('startSession', { timeout: 60_000 }, () => {
  test('registers, heartbeats on an unref\'d timer, and closes when the program ends normally', async () => {
    const dir = await tempDir('start');
    const child = startChild(dir, 'end');
    const id = await joined(child);
    const before = await new SessionStore(dir).list();
    const mine = before.find((s) => s.record.id === id);
    assert.equal(mine?.state, 'active');
    assert.equal(mine?.record.pid, child.pid);
    assert.equal(mine?.record.tool, 'fixture');
    // A heartbeat arrives (interval 200 ms) while the child runs.
    const first = mine?.record.heartbeatAt;
    for (let i = 0; i < 100; i++) {
      const now = (await new SessionStore(dir).list()).find((s) => s.record.id === id);
      if (now && now.record.heartbeatAt !== first) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.notEqual((await new SessionStore(dir).list()).find((s) => s.record.id === id)?.record.heartbeatAt, first);
    // Closing stdin is all the program waits for: the heartbeat timer must not keep it alive.
    child.stdin?.end();
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 0);
    assert.equal(await stateOf(dir, id), 'closed');
  });

  test('closes the session at process.exit()', async () => {
    const dir = await tempDir('start');
    const child = startChild(dir, 'exit');
    const id = await joined(child);
    child.stdin?.end();
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 3);
    assert.equal(await stateOf(dir, id), 'closed');
  });

  test('closes the session at process.exit() even when a host exit listener registered earlier calls process.exit()', async () => {
    const dir = await tempDir('start');
    const child = startChild(dir, 'host-exit');
    const id = await joined(child);
    child.stdin?.end();
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 5);
    assert.equal(await stateOf(dir, id), 'closed');
  });

  test('in a worker thread it refuses with a clear error unless exit handling is off', async () => {
    const dir = await tempDir('start');
    const lib = path.join(__dirname, '..', '..', 'src', 'lib', 'index.js');
    const script =
      `const { parentPort, workerData } = require('node:worker_threads');` +
      `const lib = require(${JSON.stringify(lib)});` +
      `lib.startSession({ label: 'w', dir: workerData }).then(` +
      `  () => parentPort.postMessage('started'),` +
      `  (e) => lib.startSession({ label: 'w2', dir: workerData, handleExit: false }).then(async (h) => { await h.close(); parentPort.postMessage('refused: ' + e.message + ' | then ' + h.id); }));`;
    const { Worker } = await import('node:worker_threads');
    const worker = new Worker(script, { eval: true, workerData: dir });
    const [message] = (await once(worker, 'message')) as [string];
    await worker.terminate();
    assert.match(message, /^refused: startSession must be called on the main thread; in a worker pass handleExit: false/);
    const id = message.split(' | then ')[1] as string;
    assert.equal(await stateOf(dir, id), 'closed');
  });

  test('a program bundled with the library is never run a second time at process.exit()', { timeout: 60_000 }, async () => {
    const dir = await tempDir('start');
    const work = await tempDir('bundle');
    const entry = path.join(work, 'app.ts');
    const lib = path.join(__dirname, '..', '..', '..', 'src', 'lib', 'index.ts');
    fs.writeFileSync(
      entry,
      `import * as fs from 'node:fs';\nimport { startSession } from ${JSON.stringify(lib)};\n` +
        // Paths from the environment, which a re-run (a child process) inherits, unlike argv.
        `const env = process.env as Record<string, string>;\n` +
        `fs.appendFileSync(env.SK_RUNS, 'run\\n');\n` +
        `void startSession({ label: 'bundled', dir: env.SK_DIR, onError: () => undefined }).then((h) => { fs.writeFileSync(env.SK_ID, h.id); process.exit(0); });\n`,
    );
    const esbuild = await import('esbuild');
    await esbuild.build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', outfile: path.join(work, 'app.js'), logLevel: 'silent' });
    const runs = path.join(work, 'runs');
    const idFile = path.join(work, 'id');
    const child = spawn(process.execPath, [path.join(work, 'app.js')], {
      stdio: 'ignore',
      env: { ...process.env, SK_RUNS: runs, SK_DIR: dir, SK_ID: idFile },
    });
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 0);
    assert.equal(fs.readFileSync(runs, 'utf8'), 'run\n', 'the host program ran exactly once');
    // No standalone copy of the library to close it with: left to turn stale, not active forever.
    const state = await stateOf(dir, fs.readFileSync(idFile, 'utf8'));
    assert.ok(state === 'stale' || state === 'closed', String(state));
  });

  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    test(`on ${signal} with no listener of the host: closes, then ends by the signal`, { skip: !posix }, async () => {
      const dir = await tempDir('start');
      const child = startChild(dir, 'signal');
      const id = await joined(child);
      assert.equal(await stateOf(dir, id), 'active');
      child.kill(signal);
      const [code, sig] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
      assert.equal(code, null);
      assert.equal(sig, signal, 'the default action of the signal was re-raised');
      assert.equal(await stateOf(dir, id), 'closed');
    });
  }

  test('on SIGTERM with a host listener: closes and leaves the decision to the host', { skip: !posix }, async () => {
    const dir = await tempDir('start');
    const child = startChild(dir, 'host-signal');
    const id = await joined(child);
    const saw = waitForLine(child, (l) => l === 'host saw SIGTERM');
    child.kill('SIGTERM');
    await saw;
    const [code, sig] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    assert.equal(sig, null, 'not killed by the re-raised signal');
    assert.equal(code, 7);
    assert.equal(await stateOf(dir, id), 'closed');
  });

  test('a SIGKILLed program leaves a stale session', { skip: !posix }, async () => {
    const dir = await tempDir('start');
    const child = startChild(dir, 'signal');
    const id = await joined(child);
    child.kill('SIGKILL');
    await once(child, 'exit');
    assert.equal(await stateOf(dir, id), 'stale');
  });

  test('handle.update() changes label and status; close() is idempotent; update after close fails', async () => {
    const dir = await tempDir('start');
    const handle = await startSession({ label: 'worker', dir, handleExit: false });
    try {
      await handle.update({ status: 'reviewing PR 12' });
      await handle.update({ label: 'worker 2' });
      const seen = (await new SessionStore(dir).list()).find((s) => s.record.id === handle.id);
      assert.equal(seen?.record.label, 'worker 2');
      assert.equal(seen?.record.status, 'reviewing PR 12');
      assert.equal(handle.record.status, 'reviewing PR 12');
      await assert.rejects(handle.update({ status: 'x'.repeat(LIMITS.status + 1) }), InvalidRecordError);
      await assert.rejects(handle.update({ status: 'a\0b' }), InvalidRecordError);
      // Nothing was written by the refused updates.
      const after = (await new SessionStore(dir).list()).find((s) => s.record.id === handle.id);
      assert.equal(after?.record.status, 'reviewing PR 12');
    } finally {
      await handle.close();
      await handle.close();
    }
    assert.equal(handle.closed, true);
    assert.equal(await stateOf(dir, handle.id), 'closed');
    await assert.rejects(new SessionStore(dir).update(handle.id, { status: 'late' }), SessionClosedError);
  });

  test('the signal and exit listeners are removed by close()', async () => {
    const dir = await tempDir('start');
    const counts = (): number[] => ['SIGINT', 'SIGTERM', 'SIGHUP', 'beforeExit', 'exit'].map((e) => process.listenerCount(e));
    const before = counts();
    const handle = await startSession({ label: 'x', dir });
    assert.deepEqual(
      counts(),
      before.map((n) => n + 1),
    );
    await handle.close();
    assert.deepEqual(counts(), before);
  });

  test('bad input is refused before anything is written', async () => {
    const dir = await tempDir('start');
    await assert.rejects(startSession({ label: 'x'.repeat(LIMITS.label + 1), dir }), InvalidRecordError);
    await assert.rejects(startSession({ label: 'x', dir, heartbeatIntervalMs: 5 }), RangeError);
    assert.deepEqual(fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith('.json')) : [], []);
  });
});

describe('openRegistry', () => {
  test('opens a directory path and a file: URL to the same registry; refuses other schemes and malformed Redis URLs', async () => {
    const dir = await tempDir('registry');
    const a = await openRegistry(dir);
    const b = await openRegistry(pathToFileURL(dir));
    const c = await openRegistry(pathToFileURL(dir).href);
    assert.equal(a.kind, 'directory');
    assert.equal(a.location, b.location);
    assert.equal(a.location, c.location);
    const record = await a.create({ label: 'via a' });
    assert.deepEqual(
      (await b.list()).map((s) => s.record.id),
      [record.id],
    );
    await a.close(record.id);
    await a.idle();
    // redis:// is supported now (test/unit/redis-registry.test.ts); malformed ones are not.
    await assert.rejects(openRegistry('redis://localhost:6379/notadb'), UnsupportedRegistryError);
    await assert.rejects(openRegistry(new URL('https://example.invalid/x')), UnsupportedRegistryError);
  });
});
