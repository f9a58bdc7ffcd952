// One file, one lock, whatever path reaches it. A large data/real.jsonl (first line damaged) is
// repaired over and over by one process while others append to it in a loop through a symlink
// to the file, a symlinked parent directory, a relative path with `..`, and `..` after a
// symlinked directory, plus `session-keeper append link.jsonl` run again and again. Before the
// fix each path had its own lock directory, and most appends made during a repair were lost.
// What must hold: every acknowledged append is in the file exactly once, nothing twice, and
// every record that was there before is still there once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { scanJsonl } from '../../src/core/jsonl-reader';
import { repairJsonl } from '../../src/core/jsonl-repair';
import { withLock } from '../../src/core/lock';
import { fixture, startChild, exitWithin, type Child } from './lib/proc';
import { inTempDir, tempDir } from './lib/tmp';
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
    symlinkSync('.', join(tmp.dir, 'selfdir'));
    symlinkSync('real.jsonl', join(data, 'link.jsonl'));
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
      // `..` after a link to `.` goes up from the folder itself; then a link at the file.
      { name: 'selfdir', file: `${tmp.dir}/selfdir/../${basename(tmp.dir)}/data/link.jsonl` },
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

/** Runs the CLI to completion in `cwd`. */
function runCli(cwd: string, args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** What the shell's `>>` does with `file` in `cwd`: null when it opens it, else its message. */
function shellAppendError(cwd: string, file: string): string | null {
  const r = spawnSync('/bin/sh', ['-c', ': >> "$1"', 'sh', file], { cwd, encoding: 'utf8' });
  return r.status === 0 ? null : r.stderr;
}

/** Every file (path relative to `dir`, with content) under `dir`, lock directories included. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    try {
      out.set(name, readFileSync(join(dir, name), 'utf8'));
    } catch {
      out.set(name, '<dir or link>');
    }
  }
  return out;
}

// The break-test's cases: a path whose directory open(2) resolves to a missing folder
// (`selfdir/../data/link.jsonl` with `selfdir -> .`) was locked and written by its lexical
// reading, so its appends bypassed repair's lock and were lost; a trailing slash appended to the
// file; repair and check of `dl2/../data.jsonl` (`dl2 -> real/sub`) worked on ./data.jsonl.
// The shell is the oracle: where `>>` fails, append fails (exit 2, open(2)'s error code, nothing
// written or created); where it opens a file, append, repair and check work on that file.
test('CLI paths are the paths the shell opens: `..` after links, trailing slash, missing folders', { timeout: budgetMs(120_000, 120_000), skip: process.platform === 'win32' }, async () => {
  await inTempDir('cli-paths', (tmp) => {
    const sb = join(tmp, 'sb');
    mkdirSync(join(sb, 'data'), { recursive: true });
    mkdirSync(join(sb, 'real', 'sub'), { recursive: true });
    writeFileSync(join(sb, 'data', 'real.jsonl'), '{"a":1}\n');
    symlinkSync('.', join(sb, 'selfdir'));
    symlinkSync('real.jsonl', join(sb, 'data', 'link.jsonl'));
    symlinkSync('real/sub', join(sb, 'dl2'));
    symlinkSync('real.jsonl/', join(sb, 'data', 'slashlink.jsonl'));
    writeFileSync(join(sb, 'real', 'data.jsonl'), '{"d":1}\nBAD\n');

    const refused: Array<[string, string]> = [
      ['data/real.jsonl/', 'EISDIR'],
      ['data/new.jsonl/', 'EISDIR'],
      ['data/slashlink.jsonl', 'EISDIR'],
      ['selfdir/../data/real.jsonl', 'ENOENT'],
      ['selfdir/../data/link.jsonl', 'ENOENT'],
      ['data/real.jsonl/../x.jsonl', 'ENOTDIR'],
    ];
    for (const [file, code] of refused) {
      assert.notEqual(shellAppendError(sb, file), null, `the shell refuses ${file}`);
      const before = snapshot(sb);
      const r = runCli(sb, ['append', file, '{"x":1}']);
      assert.equal(r.code, 2, `append ${file}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(code), `append ${file}`);
      assert.deepEqual(snapshot(sb), before, `append ${file} wrote or created nothing`);
    }

    // `dl2/../data.jsonl` is real/data.jsonl for open(2); an unrelated ./data.jsonl is a decoy.
    writeFileSync(join(sb, 'data.jsonl'), '{"decoy":1}\n');
    assert.equal(shellAppendError(sb, 'dl2/../data.jsonl'), null);
    const check = runCli(sb, ['check', 'dl2/../data.jsonl']);
    assert.equal(check.code, 1, check.stdout + check.stderr);
    assert.ok(check.stdout.startsWith(`${join(sb, 'real', 'data.jsonl')}:`), check.stdout);
    const repair = runCli(sb, ['repair', 'dl2/../data.jsonl']);
    assert.equal(repair.code, 0, repair.stderr);
    assert.equal(readFileSync(join(sb, 'real', 'data.jsonl'), 'utf8'), '{"d":1}\n');
    assert.equal(readFileSync(join(sb, 'real', 'data.jsonl.quarantine'), 'utf8'), 'BAD\n');
    assert.equal(readFileSync(join(sb, 'data.jsonl'), 'utf8'), '{"decoy":1}\n');
    assert.equal(existsSync(join(sb, 'data.jsonl.quarantine')), false);
    assert.equal(runCli(sb, ['append', 'dl2/../data.jsonl', '{"e":1}']).code, 0);
    assert.equal(readFileSync(join(sb, 'real', 'data.jsonl'), 'utf8'), '{"d":1}\n{"e":1}\n');
  });
});

// --dir with `..` after a symlink: the store used to collapse it as text (one folder) while
// `append` and the shell resolve it physically (another). Both must be the folder `ls` shows.
test('the session store resolves --dir as open(2) does: records and journal appends meet in one folder', { timeout: budgetMs(60_000, 60_000), skip: process.platform === 'win32' }, async () => {
  await inTempDir('dir-dotdot', (tmp) => {
    const root = tmp;
    mkdirSync(join(root, 'elsewhere', 'deep'), { recursive: true });
    mkdirSync(join(root, 'sessions'), { mode: 0o700 });
    mkdirSync(join(root, 'elsewhere', 'sessions'), { mode: 0o700 });
    symlinkSync('elsewhere/deep', join(root, 'link'));
    const reg = runCli(root, ['--dir', 'link/../sessions', 'register', '--label', 't', '--pid', String(process.pid)]);
    assert.equal(reg.code, 0, reg.stderr);
    const id = reg.stdout.trim().split('\n').pop() as string;
    const physical = join(root, 'elsewhere', 'sessions');
    assert.ok(existsSync(join(physical, `${id}.json`)), `record in ${physical}: ${readdirSync(physical).join(' ')}`);
    assert.deepEqual(readdirSync(join(root, 'sessions')), []);
    assert.equal(runCli(root, ['append', `link/../sessions/${id}.jsonl`, '{"event":"custom"}']).code, 0);
    assert.equal(runCli(root, ['--dir', 'link/../sessions', 'close', id]).code, 0);
    const journal = readFileSync(join(physical, `${id}.jsonl`), 'utf8').trim().split('\n');
    assert.equal(journal.length, 3, journal.join('\n'));
    assert.deepEqual(readdirSync(join(root, 'sessions')), []);
  });
});

// Hard links: two names, one file, two locks (a lock is named after a path, and nothing in a
// path tells one name of a file from another). Repair's rename would give the repaired copy to
// one name only; appends through the other then went to the old file. Repair refuses such a
// file (exit 2, nothing changed); a name made during the repair stops it before the rename.
test('repair refuses a hard-linked file: nothing changed, a clear error', { timeout: budgetMs(60_000, 60_000), skip: process.platform === 'win32' }, async () => {
  await inTempDir('hardlink', async (tmp) => {
    const real = join(tmp, 'real.jsonl');
    const content = '{"damaged": \u0001\n{"a":1}\n';
    writeFileSync(real, content);
    linkSync(real, join(tmp, 'hard.jsonl'));
    const ino = statSync(real).ino;
    for (const name of ['real.jsonl', 'hard.jsonl']) {
      const r = runCli(tmp, ['repair', name]);
      assert.equal(r.code, 2, r.stdout);
      assert.match(r.stderr, /2 hard links.*refuses/);
    }
    assert.equal(readFileSync(real, 'utf8'), content);
    assert.equal(statSync(join(tmp, 'hard.jsonl')).ino, ino);
    assert.deepEqual(readdirSync(tmp).sort(), ['hard.jsonl', 'real.jsonl']);

    // A second name made while the repair runs: refused before the rename.
    const solo = join(tmp, 'solo.jsonl');
    writeFileSync(solo, content);
    await assert.rejects(
      repairJsonl(solo, { onPhase: (p) => p === 'temp-synced' && linkSync(solo, join(tmp, 'late-name.jsonl')) }),
      { name: 'HardLinkedFileError' },
    );
    assert.equal(readFileSync(solo, 'utf8'), content);
    assert.equal(statSync(join(tmp, 'late-name.jsonl')).ino, statSync(solo).ino);
  });
});
