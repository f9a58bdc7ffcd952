// What cleanup may delete: temp files (copies of content never acknowledged) whose writer is
// gone. Never a temp file whose writer still runs, never a fresh one, never anything that is not
// a plain file, never a record or journal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync, symlinkSync, readdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { SessionStore } from '../../src/core/session-store';
import { tempDir } from './lib/tmp';
import { recordFigures } from './lib/figures';

/** A pid that surely belongs to no process: one that just exited (and is not reused this soon). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

test('cleanup removes abandoned temp files only: old, writer gone, a plain file', async () => {
  const tmp = tempDir('temp-cleanup');
  try {
    const dir = join(tmp.dir, 'sessions');
    const store = new SessionStore(dir, { cleanupOnCreate: false });
    const s = await store.create({ label: 'kept' });
    const dead = deadPid();
    const names = {
      liveWriter: `.${s.id}.json.${process.pid}.aaaaaaaaaaaa.tmp`,
      deadWriter: `.${s.id}.json.${dead}.bbbbbbbbbbbb.tmp`,
      deadRepair: `.${s.id}.jsonl.repair-${dead}-cccccccc.tmp`,
      deadQuarantine: `.${s.id}.jsonl.quarantine-${dead}-dddddddd.tmp`,
      noPid: '.something-else.tmp',
      directory: `.${s.id}.json.${dead}.eeeeeeeeeeee.tmp`,
      symlink: `.${s.id}.json.${dead}.ffffffffffff.tmp`,
    };
    for (const [k, n] of Object.entries(names)) {
      if (k === 'directory') mkdirSync(join(dir, n));
      else if (k === 'symlink') symlinkSync(join(dir, `${s.id}.json`), join(dir, n));
      else writeFileSync(join(dir, n), 'partial copy');
    }
    const record = readFileSync(join(dir, `${s.id}.json`), 'utf8');
    // Now: everything is fresh, nothing may go.
    await store.cleanup();
    assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.tmp')).sort(), Object.values(names).sort(), 'fresh temp files stay');
    // An hour later (injected clock): abandoned ones go.
    await new SessionStore(dir, { cleanupOnCreate: false, now: () => Date.now() + 3600_000 }).cleanup();
    const left = readdirSync(dir).filter((n) => n.endsWith('.tmp')).sort();
    assert.deepEqual(left, [names.liveWriter, names.directory, names.symlink].sort());
    assert.equal(readFileSync(join(dir, `${s.id}.json`), 'utf8'), record, 'the record is untouched');
    assert.ok(readdirSync(dir).includes(`${s.id}.jsonl`), 'the journal is untouched');
    recordFigures({ test: 'temp-cleanup', injects: 'temp files of live and dead writers, fresh and old, plus a directory and a symlink named like temp files', figures: { removed: Object.keys(names).length - left.length, kept: left.length } });
  } finally {
    tmp.dispose();
  }
});
