// One file, one lock, whatever path reaches it. A large data/real.jsonl (first line damaged) is
// repaired over and over by one process while others append to it in a loop through a symlink
// to the file, a symlinked parent directory, a relative path with `..`, and `..` after a
// symlinked directory, plus `session-keeper append link.jsonl` run again and again. Before the
// fix each path had its own lock directory, and most appends made during a repair were lost.
// What must hold: every acknowledged append is in the file exactly once, nothing twice, and
// every record that was there before is still there once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scanJsonl } from '../../src/core/jsonl-reader';
import { repairJsonl } from '../../src/core/jsonl-repair';
import { withLock } from '../../src/core/lock';
import { fixture, startChild, exitWithin, type Child } from './lib/proc';
import { tempDir } from './lib/tmp';
import { scale, budgetMs } from './lib/scale';
import { recordFigures } from './lib/figures';

const worker = fixture('reliability-jsonl-worker');
const cli = join(__dirname, '..', '..', 'src', 'cli', 'main.js');
const lock = { staleMs: 2000, maxWaitMs: 30_000 };

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

test('appends through symlinks, a symlinked directory, relative and .. paths are serialised with repair of the real file', { timeout: budgetMs(240_000, 600_000) }, async () => {
  const tmp = tempDir('lock-identity');
  const children: Child[] = [];
  try {
    const data = join(tmp.dir, 'data');
    mkdirSync(join(data, 'sub'), { recursive: true });
    mkdirSync(join(tmp.dir, 'other'));
    const real = join(data, 'real.jsonl');
    symlinkSync(real, join(tmp.dir, 'link.jsonl'));
    symlinkSync(data, join(tmp.dir, 'dirlink'));
    symlinkSync(join(data, 'sub'), join(tmp.dir, 'other', 'sublink'));
    const pre = scale(20_000, 60_000);
    const lines = ['{"damaged": \u0001'];
    for (let i = 0; i < pre; i++) lines.push(JSON.stringify({ tag: 'pre', seq: i, pad: 'p'.repeat(i % 100) }));
    writeFileSync(real, lines.join('\n') + '\n', { mode: 0o600 });

    const variants: Array<{ name: string; file: string; cwd?: string }> = [
      { name: 'symlink', file: join(tmp.dir, 'link.jsonl') },
      { name: 'dirlink', file: join(tmp.dir, 'dirlink', 'real.jsonl') },
      { name: 'relative', file: '../real.jsonl', cwd: join(data, 'sub') },
      // Lexically this is other/real.jsonl; open(2) goes up from data/sub, to data/real.jsonl.
      // (Not join(), which would collapse the `..` lexically itself.)
      { name: 'dotdot', file: `${join(tmp.dir, 'other', 'sublink')}/../real.jsonl` },
    ];
    const acked = new Map<string, Set<number>>();
    const errors: string[] = [];
    const ack = (tag: string, seq: number): void => {
      let set = acked.get(tag);
      if (!set) acked.set(tag, (set = new Set()));
      set.add(seq);
    };
    for (const v of variants) {
      children.push(
        startChild(worker, ['append', JSON.stringify({ file: v.file, tag: v.name, staleMs: lock.staleMs, maxWaitMs: lock.maxWaitMs })], {
          ...(v.cwd ? { cwd: v.cwd } : {}),
          onLine: (l) => {
            if (l.startsWith('ack ')) ack(v.name, Number(l.slice(4)));
            else if (l.startsWith('error ')) errors.push(`${v.name}: ${l}`);
          },
        }),
      );
    }
    let repairs = 0;
    let rewrites = 0;
    children.push(
      startChild(worker, ['repair', JSON.stringify({ file: real, staleMs: lock.staleMs, maxWaitMs: lock.maxWaitMs })], {
        onLine: (l) => {
          if (l.startsWith('repaired ')) {
            repairs++;
            if ((JSON.parse(l.slice(9)) as { changed: boolean }).changed) rewrites++;
          } else if (l.startsWith('error ')) errors.push(`repair: ${l}`);
        },
      }),
    );
    // Damage the first line again and again (under the lock, as a well-behaved tool would), so
    // that repairs keep rewriting the whole file while the appends go on.
    let stop = false;
    const damager = (async () => {
      while (!stop) {
        await withLock(real, (_s, lease) => {
          writeFileSync(`${lease.target}.damage`, Buffer.concat([Buffer.from('{"damaged": \u0001\n'), readFileSync(lease.target)]), { mode: 0o600 });
          renameSync(`${lease.target}.damage`, lease.target);
        }, lock);
        await sleep(200);
      }
    })();
    // The issue's own scenario: the command-line tool appending through the symlink.
    const cliAppends = scale(15, 60);
    let cliCode: number | null = 0;
    for (let n = 0; n < cliAppends; n++) {
      const c = startChild(cli, ['append', 'link.jsonl', JSON.stringify({ tag: 'cli', seq: n })], { cwd: tmp.dir });
      const { code } = await exitWithin(c, 60_000);
      if (code === 0) ack('cli', n);
      else cliCode = code;
    }
    const wanted = scale(40, 200);
    const deadline = Date.now() + budgetMs(120_000, 400_000);
    while ((variants.some((v) => (acked.get(v.name)?.size ?? 0) < wanted) || rewrites < 5) && Date.now() < deadline) await sleep(100);
    stop = true;
    await damager;
    for (const c of children) c.proc.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));

    // Locks left by the killed processes are taken over; then a last repair.
    await withLock(real, () => undefined, lock);
    await repairJsonl(real, { lock });
    const counts = new Map<string, number>();
    await scanJsonl(real, {
      onRecord: (r) => {
        const v = r.value as { tag?: unknown; seq?: unknown };
        if (typeof v?.tag === 'string' && typeof v.seq === 'number') counts.set(`${v.tag}#${v.seq}`, (counts.get(`${v.tag}#${v.seq}`) ?? 0) + 1);
      },
    });
    const lost: string[] = [];
    for (const [tag, seqs] of acked) for (const seq of seqs) if (counts.get(`${tag}#${seq}`) !== 1) lost.push(`${tag}#${seq} x${counts.get(`${tag}#${seq}`) ?? 0}`);
    for (let i = 0; i < pre; i++) if (counts.get(`pre#${i}`) !== 1) lost.push(`pre#${i} x${counts.get(`pre#${i}`) ?? 0}`);
    const duplicated = [...counts].filter(([, n]) => n > 1).map(([k, n]) => `${k} x${n}`);
    const acknowledged = [...acked.values()].reduce((s, set) => s + set.size, 0);
    recordFigures({
      test: 'lock-identity',
      injects: `repair loop of a ${Math.round(readFileSync(real).length / 1e6)} MB file re-damaged every 200 ms; appends through a symlink, a symlinked directory, a relative .. path, .. after a symlinked directory, and ${cliAppends} CLI appends through the symlink`,
      figures: { acknowledged, repairs, rewrites, lostOrDuplicated: lost.length + duplicated.length, writerErrors: errors.length },
    });
    assert.equal(cliCode, 0, 'every CLI append exits 0');
    assert.deepEqual(errors, []);
    assert.ok(rewrites >= 5, `repairs rewrote the file ${rewrites} times`);
    for (const v of variants) assert.ok((acked.get(v.name)?.size ?? 0) >= wanted, `${v.name}: ${acked.get(v.name)?.size ?? 0} appends acknowledged`);
    assert.deepEqual(lost, [], 'acknowledged or original records missing');
    assert.deepEqual(duplicated, [], 'records present more than once');
  } finally {
    for (const c of children) c.proc.kill('SIGKILL');
    tmp.dispose();
  }
});
