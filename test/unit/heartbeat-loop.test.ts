// The one heartbeat loop (window, `run`, startSession): real timers, real child process for unref.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HeartbeatLoop } from '../../src/core/heartbeat-loop';

/** Resolves when `cond` holds, checking every 5 ms; rejects after `ms`. */
async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(5);
  }
}

describe('HeartbeatLoop', () => {
  test('beats every interval once started, never before, and not after stop()', async () => {
    let beats = 0;
    const loop = new HeartbeatLoop({ intervalMs: 20, beat: async () => void beats++ });
    await sleep(60);
    assert.equal(beats, 0, 'not started: no beat');
    loop.start();
    assert.equal(loop.running, true);
    await until(() => beats >= 3);
    await loop.stop();
    assert.equal(loop.running, false);
    const after = beats;
    await sleep(80);
    assert.equal(beats, after, 'stopped: no beat');
  });

  test('a tick while a beat runs is skipped: beats never overlap or pile up', async () => {
    let running = 0;
    let maxRunning = 0;
    let beats = 0;
    let release!: () => void;
    const loop = new HeartbeatLoop({
      intervalMs: 10,
      beat: async () => {
        beats++;
        maxRunning = Math.max(maxRunning, ++running);
        await new Promise<void>((r) => (release = r));
        running--;
      },
    });
    loop.start();
    await until(() => beats === 1);
    await sleep(100); // ten ticks pass while the first beat hangs
    assert.equal(beats, 1);
    release();
    await until(() => beats === 2);
    release();
    await loop.stop();
    assert.equal(maxRunning, 1);
  });

  test('stop() resolves only after the beat in flight has ended', async () => {
    const order: string[] = [];
    let release!: () => void;
    const loop = new HeartbeatLoop({
      intervalMs: 10,
      beat: async () => {
        order.push('beat started');
        await new Promise<void>((r) => (release = r));
        order.push('beat ended');
      },
    });
    loop.start();
    await until(() => order.length === 1);
    const stopped = loop.stop().then(() => order.push('stopped'));
    await sleep(30);
    assert.deepEqual(order, ['beat started']);
    release();
    await stopped;
    assert.deepEqual(order, ['beat started', 'beat ended', 'stopped']);
  });

  test('a failing beat goes to onError and the loop goes on; beatNow never rejects', async () => {
    const errors: unknown[] = [];
    let beats = 0;
    const loop = new HeartbeatLoop({
      intervalMs: 15,
      beat: async () => {
        beats++;
        throw new Error(`beat ${beats}`);
      },
      onError: (err) => errors.push(err),
    });
    loop.start();
    await until(() => errors.length >= 2);
    await loop.stop();
    assert.match((errors[0] as Error).message, /^beat 1$/);
    await loop.beatNow(); // resolves although the beat throws
    assert.equal(errors.length, beats);
  });

  test('setInterval takes effect while running', async () => {
    let beats = 0;
    const loop = new HeartbeatLoop({ intervalMs: 60_000, beat: async () => void beats++ });
    loop.start();
    await sleep(50);
    assert.equal(beats, 0);
    loop.setInterval(10);
    await until(() => beats >= 2);
    await loop.stop();
  });

  test('unref: a loop alone does not keep the process alive; without unref it does', () => {
    const mod = path.join(__dirname, '..', '..', 'src', 'core', 'heartbeat-loop.js');
    const script = (unref: boolean): string =>
      `const { HeartbeatLoop } = require(${JSON.stringify(mod)}); new HeartbeatLoop({ intervalMs: 50, unref: ${unref}, beat: async () => {} }).start();`;
    const quick = spawnSync(process.execPath, ['-e', script(true)], { timeout: 20_000 });
    assert.equal(quick.status, 0, 'exits on its own');
    const held = spawnSync(process.execPath, ['-e', script(false)], { timeout: 1500, killSignal: 'SIGKILL' });
    assert.equal(held.signal, 'SIGKILL', 'still running when killed after 1.5 s');
  });
});
