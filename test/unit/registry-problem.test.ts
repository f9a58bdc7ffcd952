// The welcome view explains a registry failure by its kind: each kind from a real failure.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openRegistry } from '../../src/lib/index';
import { SessionStore } from '../../src/core/session-store';
import { registryProblemOf } from '../../src/ui/registry-problem';
import { cleanupTracked, tempDir } from '../helpers/processes';
import { freePort, haveRedisServer, startRedis, stopAllRedis } from '../helpers/redis-server';

const skipRedis = haveRedisServer() ? false : 'redis-server is not installed (.ci/run installs it)';

async function failureOf(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (err) {
    return err;
  }
  assert.fail('expected a failure');
}

describe('registryProblemOf', () => {
  after(async () => {
    await stopAllRedis();
    cleanupTracked();
  });

  test('a file where the sessions folder should be is "unsafe"', async () => {
    const dir = path.join(tempDir('problem'), 'sessions');
    fs.writeFileSync(dir, 'not a folder\n');
    assert.equal(registryProblemOf(await failureOf(() => new SessionStore(dir).list())), 'unsafe');
  });

  test('a folder this user may not read is "permission"', { skip: process.getuid?.() === 0 ? 'root reads every folder' : false }, async () => {
    const dir = path.join(tempDir('problem'), 'sessions');
    fs.mkdirSync(dir, { mode: 0o700 });
    fs.chmodSync(dir, 0o000);
    try {
      assert.equal(registryProblemOf(await failureOf(() => new SessionStore(dir).list())), 'permission');
    } finally {
      fs.chmodSync(dir, 0o700);
    }
  });

  test('a registry location nothing supports is "configuration"', async () => {
    assert.equal(registryProblemOf(await failureOf(() => openRegistry('ftp://example.invalid/sessions'))), 'configuration');
  });

  test('Redis down is "unreachable", a wrong password "credentials", an untrusted certificate "tls"', { skip: skipRedis }, async () => {
    const port = await freePort();
    assert.equal(registryProblemOf(await failureOf(() => openRegistry(`redis://127.0.0.1:${port}/0`))), 'unreachable');
    const locked = await startRedis({ password: 'right-password' });
    const wrong = locked.url.replace('redis://', 'redis://:wrong-password@');
    assert.equal(registryProblemOf(await failureOf(() => openRegistry(wrong))), 'credentials');
    const tls = await startRedis({ tls: true });
    assert.equal(registryProblemOf(await failureOf(() => openRegistry(tls.url))), 'tls');
  });

  test('anything else is "other"', () => {
    assert.equal(registryProblemOf(new Error('something new')), 'other');
    assert.equal(registryProblemOf('a string'), 'other');
    assert.equal(registryProblemOf(undefined), 'other');
  });
});
