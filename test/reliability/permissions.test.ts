// Loose permissions are refused the way ssh refuses a loose ~/.ssh: anyone who can write the
// sessions directory can plant records, symlinks and lock directories for us to act on. And what
// we create is private, whatever the umask says.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, chmodSync, chownSync, statSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SessionStore } from '../../src/core/session-store';
import { appendJsonl } from '../../src/core/jsonl-append';
import { repairJsonl } from '../../src/core/jsonl-repair';
import { inTempDir, tempDir } from './lib/tmp';
import { runChildJson, fixture, asNobody, NOBODY_UID, NOBODY_GID } from './lib/proc';
import { recordFigures } from './lib/figures';

const isRoot = process.getuid?.() === 0;

function mode(p: string): number {
  return statSync(p).mode & 0o7777;
}

describe('sessions directory permissions', () => {
  test('a world-writable directory is refused with a clear error, also with the sticky bit', async () => {
    await inTempDir('perm-world', async (tmp) => {
      for (const bits of [0o777, 0o1777, 0o703]) {
        const dir = join(tmp, `s${bits.toString(8)}`);
        mkdirSync(dir);
        chmodSync(dir, bits);
        const store = new SessionStore(dir, { cleanupOnCreate: false });
        await assert.rejects(store.create({ label: 'x' }), /world-writable/i, `mode ${bits.toString(8)}: create`);
        await assert.rejects(store.list(), /world-writable/i, `mode ${bits.toString(8)}: list`);
        await assert.rejects(store.cleanup(), /world-writable/i, `mode ${bits.toString(8)}: cleanup`);
        assert.deepEqual(readdirSync(dir), [], 'nothing may be written into a refused directory');
      }
    });
  });

  test('a directory owned by another user is refused, even for root', { skip: !isRoot && 'needs root to chown' }, async () => {
    await inTempDir('perm-owner', async (tmp) => {
      const dir = join(tmp, 'sessions');
      mkdirSync(dir, { mode: 0o700 });
      chownSync(dir, NOBODY_UID, NOBODY_GID);
      const store = new SessionStore(dir, { cleanupOnCreate: false });
      await assert.rejects(store.create({ label: 'x' }), /owned by/i);
      await assert.rejects(store.list(), /owned by/i);
      assert.deepEqual(readdirSync(dir), []);
    });
  });

  test('the owner (here: nobody, really running as nobody) may use its own private directory', { skip: !isRoot && 'needs root to switch user' }, async () => {
    await inTempDir('perm-own', async (tmp) => {
      chmodSync(tmp, 0o755);
      const dir = join(tmp, 'sessions');
      mkdirSync(dir, { mode: 0o700 });
      chownSync(dir, NOBODY_UID, NOBODY_GID);
      const { result } = await runChildJson<{ ok: boolean; error?: string; listed?: number }>(
        fixture('reliability-store-op'),
        ['create-list', JSON.stringify({ dir })],
        { wrapper: asNobody },
      );
      assert.deepEqual(result, { ok: true, listed: 1 });
    });
  });
});

describe('modes of what we create do not depend on the umask', () => {
  for (const umask of [0o000, 0o022, 0o002]) {
    test(`umask ${umask.toString(8).padStart(3, '0')}: directories 0700, files 0600`, async () => {
      const tmp = tempDir('perm-umask');
      const old = process.umask(umask);
      try {
        const dir = join(tmp.dir, 'deep', 'sessions');
        const store = new SessionStore(dir, { cleanupOnCreate: false });
        const r = await store.create({ label: 'modes' });
        await store.heartbeat(r.id);
        const file = join(dir, `${r.id}.json`);
        const journal = join(dir, `${r.id}.jsonl`);
        const seen = { dir: mode(dir), record: mode(file), journal: mode(journal) };
        assert.equal(seen.dir, 0o700, 'sessions dir');
        assert.equal(seen.record, 0o600, 'record');
        assert.equal(seen.journal, 0o600, 'journal');
        await store.close(r.id);
        const a = await store.archive(r.id);
        const day = join(dir, 'archive', a.archivedOn);
        assert.equal(mode(join(dir, 'archive')), 0o700, 'archive dir');
        assert.equal(mode(day), 0o700, 'archive day dir');
        for (const m of a.moved) assert.equal(mode(m.to), 0o600, m.to);
        const plain = join(tmp.dir, 'plain.jsonl');
        await appendJsonl(plain, { a: 1 });
        assert.equal(mode(plain), 0o600, 'a JSONL file created by appendJsonl');
        // Repair keeps the file's mode and creates its quarantine owner-only.
        writeFileSync(plain, '{"a":1}\n{"torn\n', { mode: 0o600 });
        const repaired = await repairJsonl(plain);
        assert.equal(mode(plain), 0o600, 'a repaired file keeps its mode');
        assert.equal(mode(repaired.quarantinePath ?? ''), 0o600, 'the quarantine file');
        recordFigures({
          test: `modes-umask-${umask.toString(8)}`,
          injects: `umask ${umask.toString(8)}`,
          figures: { dir: seen.dir.toString(8), record: seen.record.toString(8), journal: seen.journal.toString(8) },
        });
      } finally {
        process.umask(old);
        tmp.dispose();
      }
    });
  }
});
