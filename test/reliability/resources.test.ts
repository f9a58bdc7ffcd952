// Resources taken away from a running session: a read-only directory, a record it may not read,
// the directory deleted, a full disk, a file-size limit. What must hold: a clear error, nothing
// already written is lost, and once the condition clears the next heartbeat works again by itself.
// Root ignores permission bits, so the writer runs as `nobody` where permissions matter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, chmodSync, chownSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { checkSessionRecord } from '../../src/core/session-record';
import { scanJsonl } from '../../src/core/jsonl-reader';
import { startChild, exitWithin, fixture, asNobody, canRun, runChildJson, NOBODY_UID, NOBODY_GID, type Child } from './lib/proc';
import { inTempDir, tempDir } from './lib/tmp';
import { recordFigures } from './lib/figures';

const worker = fixture('reliability-resource-worker');
const isRoot = process.getuid?.() === 0;
const canUnshareMount = isRoot && canRun(['unshare', '-m', 'true']);

/** Waits for the next line after index `from` that matches; returns its index. */
async function nextLine(child: Child, from: number, match: (l: string) => boolean, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const i = child.lines.findIndex((l, idx) => idx >= from && match(l));
    if (i >= 0) return i;
    if (Date.now() > deadline) throw new Error(`no matching line after ${from} within ${timeoutMs} ms; got: ${child.lines.slice(from).slice(-5).join(' | ')}; stderr: ${child.stderr().slice(-1000)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function validRecord(file: string, id: string): void {
  const check = checkSessionRecord(JSON.parse(readFileSync(file, 'utf8')));
  assert.ok(check.ok, `record ${file} must stay valid`);
  assert.equal(check.record.id, id);
}

async function withSession(asUser: boolean, body: (child: Child, dir: string, id: string) => Promise<Record<string, number | string | boolean>>, name: string, injects: string): Promise<void> {
  const tmp = tempDir(name);
  let child: Child | undefined;
  try {
    chmodSync(tmp.dir, 0o755);
    const dir = join(tmp.dir, 'sessions');
    mkdirSync(dir, { mode: 0o700 });
    if (asUser) chownSync(dir, NOBODY_UID, NOBODY_GID);
    child = startChild(worker, ['heartbeat-loop', JSON.stringify({ dir, everyMs: 100 })], asUser ? { wrapper: asNobody } : {});
    const created = await child.waitForLine((l) => l.startsWith('created '), 30_000);
    const id = created.slice(8);
    await nextLine(child, 0, (l) => l.startsWith('ok '));
    const figures = await body(child, dir, id);
    recordFigures({ test: name, injects, figures });
  } finally {
    if (child) {
      child.proc.kill('SIGKILL');
      await exitWithin(child, 10_000).catch(() => undefined);
    }
    tmp.dispose();
  }
}

test('read-only directory: heartbeats fail with EACCES, the record stays, and they resume when writable again', { skip: !isRoot && 'needs root to run the writer as nobody' }, async () => {
  await withSession(true, async (child, dir, id) => {
    chmodSync(dir, 0o500);
    const start = child.lines.length;
    const errAt = await nextLine(child, start, (l) => l.startsWith('err '));
    const err = JSON.parse((child.lines[errAt] as string).slice(4)) as { code?: string; message: string };
    assert.equal(err.code, 'EACCES', err.message);
    assert.ok(err.message.includes(dir), `the error names the path: ${err.message}`);
    validRecord(join(dir, `${id}.json`), id);
    chmodSync(dir, 0o700);
    const okAt = await nextLine(child, errAt, (l) => l.startsWith('ok '));
    validRecord(join(dir, `${id}.json`), id);
    return { failedHeartbeats: child.lines.slice(start, okAt).filter((l) => l.startsWith('err ')).length, recovered: true };
  }, 'resource-read-only-dir', 'sessions directory chmod 0500 under a writer running as nobody');
});

test('a record the writer may not read: heartbeat refuses to overwrite it, and resumes when readable again', { skip: !isRoot && 'needs root to run the writer as nobody' }, async () => {
  await withSession(true, async (child, dir, id) => {
    const file = join(dir, `${id}.json`);
    chownSync(file, 0, 0);
    chmodSync(file, 0o600);
    const before = readFileSync(file, 'utf8');
    const start = child.lines.length;
    const errAt = await nextLine(child, start, (l) => l.startsWith('err '));
    const err = JSON.parse((child.lines[errAt] as string).slice(4)) as { code?: string; message: string };
    assert.equal(err.code, 'EACCES', err.message);
    // Let a few more heartbeats fail: none may replace the record it could not read.
    await nextLine(child, errAt + 3, (l) => l.startsWith('err '));
    assert.equal(readFileSync(file, 'utf8'), before, 'a record we cannot read must not be replaced');
    chownSync(file, NOBODY_UID, NOBODY_GID);
    const okAt = await nextLine(child, errAt, (l) => l.startsWith('ok '));
    validRecord(file, id);
    return { failedHeartbeats: child.lines.slice(start, okAt).filter((l) => l.startsWith('err ')).length, recovered: true };
  }, 'resource-unreadable-record', 'record chown root 0600 under a writer running as nobody');
});

test('sessions directory deleted while running: the next heartbeat re-creates it and re-registers', async () => {
  await withSession(false, async (child, dir, id) => {
    rmSync(dir, { recursive: true, force: true });
    const start = child.lines.length;
    const okAt = await nextLine(child, start, (l) => l.startsWith('ok '), 10_000);
    const failed = child.lines.slice(start, okAt).filter((l) => l.startsWith('err ')).length;
    validRecord(join(dir, `${id}.json`), id);
    const events: string[] = [];
    await scanJsonl(join(dir, `${id}.jsonl`), { onRecord: (r) => events.push(String((r.value as { event?: unknown }).event)) });
    assert.ok(events.includes('re-registered'), `the journal notes the re-registration: ${events.join(', ')}`);
    return { failedHeartbeats: failed, recovered: true };
  }, 'resource-dir-deleted', 'rm -rf of the sessions directory under a running writer');
});

interface DiskFullReport {
  crashed?: unknown;
  whileFull: Record<'heartbeat' | 'append' | 'create' | 'list', { ok: boolean; error?: { code?: string; message: string } }>;
  afterFree: Record<'heartbeat' | 'append' | 'create', { ok: boolean; error?: { code?: string; message: string } }>;
  recordUnchangedWhileFull: boolean;
  journalGrewOnFailedAppend: number;
  tempFilesLeftWhileFull: number;
  acked: number[];
  found: number[];
  readerProblems: string[];
}

test('disk full (a 512 KiB tmpfs in a private mount namespace): clean ENOSPC errors, nothing lost, recovery when space returns', { skip: !canUnshareMount && 'needs root and unshare -m' }, async () => {
  await inTempDir('disk-full', async (tmp) => {
    const dir = join(tmp, 'mnt');
    mkdirSync(dir);
    const wrapper = ['unshare', '-m', 'sh', '-c', 'mount -t tmpfs -o size=512k,mode=0700 tmpfs "$0" && exec "$@"', dir];
    const { result: r } = await runChildJson<DiskFullReport>(worker, ['disk-full', JSON.stringify({ dir })], { wrapper, timeoutMs: 60_000 });
    assert.equal(r.crashed, undefined, JSON.stringify(r.crashed));
    for (const op of ['heartbeat', 'append', 'create'] as const) {
      assert.equal(r.whileFull[op].ok, false, `${op} cannot succeed on a full disk`);
      assert.equal(r.whileFull[op].error?.code, 'ENOSPC', `${op}: ${r.whileFull[op].error?.message}`);
    }
    assert.equal(r.whileFull.list.ok, true, 'listing needs no space');
    assert.equal(r.recordUnchangedWhileFull, true, 'a failed heartbeat leaves the old record intact');
    assert.equal(r.tempFilesLeftWhileFull, 0, 'a failed atomic write removes its temp file');
    for (const op of ['heartbeat', 'append', 'create'] as const) assert.equal(r.afterFree[op].ok, true, `${op} after space returned: ${r.afterFree[op].error?.message}`);
    assert.deepEqual(r.found, r.acked, 'every acknowledged record is there exactly once');
    recordFigures({
      test: 'resource-disk-full',
      injects: 'ENOSPC on a 512 KiB tmpfs (unshare -m), then space freed',
      figures: { acknowledged: r.acked.length, lost: r.acked.filter((s) => !r.found.includes(s)).length, bytesLeftByFailedAppend: r.journalGrewOnFailedAppend, readerProblemsAfter: r.readerProblems.length },
    });
    assert.equal(r.journalGrewOnFailedAppend, 0, 'a failed append must not leave a partial line behind');
    assert.deepEqual(r.readerProblems, [], 'no torn line left behind by the failed append');
  });
});

test('file-size limit (RLIMIT_FSIZE): a clear EFBIG, every acknowledged record intact, no partial line', async () => {
  await inTempDir('fsize', async (tmp) => {
    const file = join(tmp, 'big.jsonl');
    // dash counts ulimit -f in 512-byte blocks: 32 KiB.
    const wrapper = ['sh', '-c', 'ulimit -f 64 && exec "$@"', 'sh'];
    const { result: r } = await runChildJson<{ failure: { code?: string; message: string } | null; acked: number[]; found: number[]; readerProblems: string[]; grewOnFailedAppend: number }>(
      worker,
      ['file-size', JSON.stringify({ file })],
      { wrapper, timeoutMs: 60_000 },
    );
    assert.equal(r.failure?.code, 'EFBIG', JSON.stringify(r.failure));
    assert.deepEqual(r.found, r.acked);
    recordFigures({
      test: 'resource-file-size',
      injects: 'RLIMIT_FSIZE 32 KiB (ulimit -f) while appending',
      figures: { acknowledged: r.acked.length, lost: r.acked.filter((s) => !r.found.includes(s)).length, bytesLeftByFailedAppend: r.grewOnFailedAppend },
    });
    assert.equal(r.grewOnFailedAppend, 0, 'a failed append must not leave a partial line behind');
    assert.deepEqual(r.readerProblems, []);
  });
});
