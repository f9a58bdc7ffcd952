// The ACL template of docs/redis.md on a real redis-server: a user confined to its prefix can do
// all a registry needs there (every operation, live updates), and nothing under another prefix.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openRegistry, RegistryAuthError } from '../../src/lib/index';
import { haveRedisServer, startRedis, stopAllRedis } from '../helpers/redis-server';

const skip = haveRedisServer() ? false : 'redis-server is not installed (.ci/run installs it)';

/** The template of docs/redis.md, for user and prefix `team-a` (Redis 7.0 knows no CLIENT SETINFO). */
const TEMPLATE = ['on', '>pw-of-team-a', 'resetkeys', '~team-a:*', 'resetchannels', '&team-a:events', '-@all', '+@read', '+@write', '+@scripting', '+@pubsub', '+time', '+info', '+ping', '+hello', '+auth', '+client|setname'];

describe('the ACL template of docs/redis.md', { skip }, () => {
  after(stopAllRedis);

  test('confines a user to its prefix and allows every registry operation there', async () => {
    const redis = await startRedis();
    const admin = await openRegistry(redis.url, { cleanupOnCreate: false });
    const conn = (admin as unknown as { conn: { command(a: string[]): Promise<unknown> } }).conn;
    assert.equal(await conn.command(['ACL', 'SETUSER', 'team-a', ...TEMPLATE]), 'OK');
    await admin.dispose();

    const base = redis.url.replace('redis://', 'redis://team-a@');
    const reg = await openRegistry(`${base}?prefix=team-a`, { password: 'pw-of-team-a', cleanupOnCreate: false });
    let changes = 0;
    const stop = await reg.watch(() => changes++);
    const record = await reg.create({ label: 'team a' });
    await reg.heartbeat(record.id, { heartbeatIntervalMs: 2000 });
    await reg.update(record.id, { status: 'working' });
    await reg.appendJournal(record.id, { event: 'note' });
    await reg.close(record.id);
    assert.deepEqual((await reg.cleanup()).map((a) => a.id), [record.id]);
    assert.equal((await reg.list({ includeArchived: true })).length, 1);
    assert.deepEqual(((await reg.readJournal(record.id)) as Array<{ event: string }>).map((e) => e.event), ['created', 'note', 'closed', 'archived']);
    for (const end = Date.now() + 10_000; changes === 0 && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
    assert.ok(changes > 0, 'live updates reach the confined user');
    await stop?.();
    await reg.dispose();

    const other = await openRegistry(`${base}?prefix=team-b`, { password: 'pw-of-team-a', cleanupOnCreate: false });
    try {
      await assert.rejects(other.list(), (err: unknown) => err instanceof RegistryAuthError && /NOPERM/.test(err.message));
      await assert.rejects(other.create({ label: 'intruder' }), RegistryAuthError);
    } finally {
      await other.dispose();
    }
  });
});
