import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  withLock,
  lockTargetFor,
  resolveLockOptions,
  defaultMaxWaitMs,
  LockCompromisedError,
  LockTimeoutError,
  MTIME_ROUNDING_MS,
} from '../../src/core/lock';
import { writeFileAtomic } from '../../src/core/write-atomic';
import { moveIntoArchive } from '../../src/core/archive-files';
import { repairJsonl } from '../../src/core/jsonl-repair';
import { stallUntilTakenOver, startFixture, tempDir, waitForExit, waitForLine } from '../fixtures/lock-helpers';

/** A tree with every kind of path to data/real.jsonl; returns the variants (name -> path). */
async function pathZoo(): Promise<{ dir: string; real: string; variants: Record<string, string> }> {
  const dir = fs.realpathSync(await tempDir('lock-id'));
  const data = path.join(dir, 'data');
  fs.mkdirSync(path.join(data, 'sub'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'other'));
  const real = path.join(data, 'real.jsonl');
  fs.writeFileSync(real, '');
  fs.symlinkSync(real, path.join(dir, 'link.jsonl'));
  fs.symlinkSync('link.jsonl', path.join(dir, 'link2.jsonl')); // a chain, relative target
  fs.symlinkSync(data, path.join(dir, 'dirlink'));
  fs.symlinkSync(path.join(data, 'sub'), path.join(dir, 'other', 'sublink'));
  fs.symlinkSync('../../dirlink/real.jsonl', path.join(data, 'sub', 'up.jsonl')); // link through a dir link
  return {
    dir,
    real,
    variants: {
      real,
      symlink: path.join(dir, 'link.jsonl'),
      chain: path.join(dir, 'link2.jsonl'),
      'symlinked parent': path.join(dir, 'dirlink', 'real.jsonl'),
      'dot segments': `${data}/./sub/../real.jsonl`,
      '.. after a symlinked dir': `${dir}/other/sublink/../real.jsonl`,
      'link via a dir link': path.join(data, 'sub', 'up.jsonl'),
      relative: path.relative(process.cwd(), real),
      'relative through links': path.relative(process.cwd(), path.join(dir, 'dirlink', 'sub', '..', 'real.jsonl')),
    },
  };
}

describe('lockTargetFor: one lock per file', () => {
  test('every path to the same file maps to the same canonical path', async () => {
    const { real, variants } = await pathZoo();
    for (const [name, p] of Object.entries(variants)) assert.equal(lockTargetFor(p), real, name);
  });

  test('followLink: false locks a symlink by its own name (directories still resolved)', async () => {
    const { dir, real, variants } = await pathZoo();
    assert.equal(lockTargetFor(variants.symlink as string, { followLink: false }), path.join(dir, 'link.jsonl'));
    assert.equal(lockTargetFor(variants['symlinked parent'] as string, { followLink: false }), real);
  });

  test('dangling links lock beside the file they point to (the one an append creates); cycles are ELOOP', async () => {
    const dir = fs.realpathSync(await tempDir('lock-id'));
    fs.symlinkSync('missing.jsonl', path.join(dir, 'dangling'));
    fs.symlinkSync('dangling', path.join(dir, 'dangling2'));
    assert.equal(lockTargetFor(path.join(dir, 'dangling')), path.join(dir, 'missing.jsonl'));
    assert.equal(lockTargetFor(path.join(dir, 'dangling2')), path.join(dir, 'missing.jsonl'));
    assert.equal(lockTargetFor(path.join(dir, 'absent.jsonl')), path.join(dir, 'absent.jsonl'));
    fs.symlinkSync('b', path.join(dir, 'a'));
    fs.symlinkSync('a', path.join(dir, 'b'));
    assert.throws(() => lockTargetFor(path.join(dir, 'a')), { code: 'ELOOP' });
    // A missing parent: ENOENT, as open(2) gives, never the lexical guess `dir/x`.
    assert.throws(() => lockTargetFor(`${dir}/no/../x`), { code: 'ENOENT' });
  });

  // The oracle is the kernel: for each path, what open(O_RDWR|O_APPEND|O_CREAT) (an append)
  // opens, read back from /proc/self/fd, or the error it gives. lockTargetFor must name exactly
  // that file, or throw exactly that error code; a lexical guess instead once lost appends
  // (`selfdir/../data/link.jsonl` with `selfdir -> .` was locked as data/link.jsonl.lock while
  // open(2) went elsewhere).
  test('names the very file open(2) opens, or throws the error open(2) gives (path sweep, kernel as oracle)', { skip: process.platform !== 'linux' }, async () => {
    const root = fs.realpathSync(await tempDir('lock-oracle'));
    const build = (sb: string): void => {
      fs.mkdirSync(path.join(sb, 'data', 'sub'), { recursive: true });
      fs.mkdirSync(path.join(sb, 'other'));
      fs.mkdirSync(path.join(sb, 'real', 'sub'), { recursive: true });
      fs.writeFileSync(path.join(sb, 'data', 'real.jsonl'), '{}\n');
      fs.writeFileSync(path.join(sb, 'real', 'data.jsonl'), '{}\n');
      fs.writeFileSync(path.join(sb, 'data', 'we ird\nname\\x.jsonl'), '{}\n');
      const links: Array<[string, string]> = [
        ['data/real.jsonl', 'link.jsonl'], ['link.jsonl', 'link2.jsonl'], ['data', 'dirlink'], ['../data/sub', 'other/sublink'],
        ['loopa', 'loopb'], ['loopb', 'loopa'], ['missing.jsonl', 'dangling.jsonl'], ['data/new.jsonl', 'dangling2.jsonl'],
        ['real/sub', 'dl2'], ['../data.jsonl', 'real/sub/rel.jsonl'], ['we ird\nname\\x.jsonl', 'data/odd-link'],
        ['real.jsonl/', 'data/slashlink.jsonl'], ['dangdir/x.jsonl', 'dangdirlink.jsonl'], ['nodir', 'dangdir'],
        ['../../data/real.jsonl', 'data/sub/up.jsonl'], ['.', 'selfdir'], ['real.jsonl', 'data/link.jsonl'],
        ['data/real.jsonl', 'abs-rel.jsonl'], ['data/real.jsonl/..', 'filedotdot.jsonl'],
      ];
      for (const [target, name] of links) fs.symlinkSync(target, path.join(sb, name));
    };
    const variants = [
      'data/real.jsonl', './data/real.jsonl', 'data/./real.jsonl', 'data//real.jsonl', './/data///real.jsonl', 'data/real.jsonl/',
      'data/new.jsonl/', 'link.jsonl', 'link2.jsonl', 'link.jsonl/', 'dirlink/real.jsonl', 'dirlink/sub/../real.jsonl',
      'other/sublink/../real.jsonl', 'data/sub/../real.jsonl', 'dl2/rel.jsonl', 'dl2/../data.jsonl', 'loopa', 'dangling.jsonl',
      'dangling2.jsonl', 'data/odd-link', 'data/we ird\nname\\x.jsonl', 'data/slashlink.jsonl', 'dangdirlink.jsonl',
      'data/sub/up.jsonl', 'selfdir/selfdir/link.jsonl', 'dirlink/', 'dirlink/.', 'data/..', 'selfdir/../data/real.jsonl',
      'selfdir/../data/link.jsonl', 'selfdir/../sb/data/link.jsonl', 'dl2/../../data/real.jsonl', 'data/real.jsonl/../x',
      'nodir/../data/real.jsonl', 'filedotdot.jsonl', 'nodir/x.jsonl/', 'data/real.jsonl/x', 'data/real.jsonl/..', 'abs-rel.jsonl', 'data/new.jsonl', 'new-dir/new.jsonl',
    ];
    const cwd = process.cwd();
    let i = 0;
    try {
      for (const v of variants) {
        const sb = path.join(root, String(i++), 'sb');
        build(sb);
        process.chdir(sb);
        let expected: { path: string } | { code: string };
        try {
          const fd = fs.openSync(v, fs.constants.O_RDWR | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o600);
          expected = { path: fs.readlinkSync(`/proc/self/fd/${fd}`) };
          fs.closeSync(fd);
        } catch (err) {
          expected = { code: (err as NodeJS.ErrnoException).code ?? '?' };
        }
        fs.rmSync(sb, { recursive: true });
        build(sb); // the tree as it was before the open created anything
        process.chdir(sb); // the old cwd was removed with it
        let actual: { path: string } | { code: string };
        try {
          actual = { path: lockTargetFor(v) };
        } catch (err) {
          actual = { code: (err as NodeJS.ErrnoException).code ?? '?' };
        }
        assert.deepEqual(actual, expected, JSON.stringify(v));
      }
    } finally {
      process.chdir(cwd);
    }
  });

  test('withLock through any variant uses the one lock directory, in this process and across processes', async () => {
    const { real, variants } = await pathZoo();
    for (const [name, p] of Object.entries(variants)) {
      await withLock(p, (_signal, lease) => {
        assert.equal(lease.target, real, name);
        assert.ok(fs.existsSync(`${real}.lock`), `${name}: lock directory beside the real file`);
      });
    }
    // In-process: the variants queue behind each other (never two holders).
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      Object.values(variants).map((p) =>
        withLock(p, async () => {
          maxInside = Math.max(maxInside, ++inside);
          await new Promise((r) => setTimeout(r, 2));
          inside--;
        }),
      ),
    );
    assert.equal(maxInside, 1);
    // Another process holding the real file's lock blocks every variant here.
    const holder = startFixture('lock-holder', [real, '10000']);
    try {
      await waitForLine(holder, (l) => l === 'locked');
      for (const [name, p] of Object.entries(variants)) {
        await assert.rejects(withLock(p, () => 'never', { maxWaitMs: 50 }), LockTimeoutError, name);
      }
    } finally {
      holder.kill('SIGKILL');
      await waitForExit(holder);
    }
  });
});

describe('default wait outlasts the stale takeover', () => {
  test('for every stale threshold the default total wait exceeds stale + mtime rounding + a margin', () => {
    assert.equal(resolveLockOptions().maxWaitMs, 15_000);
    for (const staleMs of [2000, 3000, 5000, 10_000, 30_000, 600_000]) {
      const o = resolveLockOptions({ staleMs });
      assert.equal(o.maxWaitMs, defaultMaxWaitMs(o.staleMs));
      assert.ok(o.maxWaitMs >= o.staleMs + MTIME_ROUNDING_MS + 2000, `staleMs ${staleMs}`);
    }
    // Clamped stale thresholds count with their real value; an explicit wait is kept.
    assert.equal(resolveLockOptions({ staleMs: 10 }).maxWaitMs, defaultMaxWaitMs(2000));
    assert.equal(resolveLockOptions({ maxWaitMs: 0 }).maxWaitMs, 0);
  });
});

describe('LockLease.assertHeld', () => {
  test('passes while held and renews the lock (a fresh mtime)', async () => {
    const dir = await tempDir('lease');
    const target = path.join(dir, 'f');
    await withLock(target, async (_signal, lease) => {
      const old = new Date(Date.now() - 1000);
      fs.utimesSync(`${target}.lock`, old, old);
      // Our own refresher would now see a foreign mtime; assertHeld must see it is not ours.
      assert.throws(() => lease.assertHeld(), LockCompromisedError);
    }).then(
      () => assert.fail('withLock must reject after a failed assertHeld'),
      (err: unknown) => assert.ok(err instanceof LockCompromisedError),
    );
    await withLock(target, async (_signal, lease) => {
      const before = fs.statSync(`${target}.lock`).mtimeMs;
      await new Promise((r) => setTimeout(r, 20));
      lease.assertHeld();
      assert.ok(fs.statSync(`${target}.lock`).mtimeMs > before, 'renewed');
      lease.assertHeld();
    });
  });

  test('a removed lock directory: throws, aborts the signal, withLock rejects', async () => {
    const dir = await tempDir('lease');
    const target = path.join(dir, 'f');
    await assert.rejects(
      withLock(target, (signal, lease) => {
        fs.rmdirSync(`${target}.lock`);
        assert.throws(() => lease.assertHeld(), /removed/);
        assert.ok(signal.aborted && signal.reason instanceof LockCompromisedError);
      }),
      LockCompromisedError,
    );
  });

  test('stalled past the stale threshold and taken over by another process: throws before the commit', async () => {
    const dir = await tempDir('lease');
    const target = path.join(dir, 'f');
    const takers: ChildProcess[] = [];
    try {
      await assert.rejects(
        withLock(
          target,
          async (_signal, lease) => {
            await stallUntilTakenOver(target, takers);
            assert.throws(() => lease.assertHeld(), /taken over|removed/);
          },
          { staleMs: 2000 },
        ),
        LockCompromisedError,
      );
    } finally {
      for (const t of takers) t.kill('SIGKILL');
    }
  });
});

describe('commits check the lease', () => {
  test('an atomic write under a lost lock does not replace the file and leaves no temp file', async () => {
    const dir = await tempDir('lease');
    const file = path.join(dir, 'r.json');
    fs.writeFileSync(file, 'newer');
    await assert.rejects(
      withLock(file, async (_signal, lease) => {
        fs.rmdirSync(`${file}.lock`);
        await writeFileAtomic(file, 'stale writer', { lease });
      }),
      LockCompromisedError,
    );
    assert.equal(fs.readFileSync(file, 'utf8'), 'newer');
    assert.deepEqual(fs.readdirSync(dir), ['r.json']);
  });

  test('an archive move under a lost lock moves nothing', async () => {
    const dir = await tempDir('lease');
    const id = '01234567-89ab-4def-8123-456789abcdef';
    const files = [path.join(dir, `${id}.jsonl`), path.join(dir, `${id}.json`)];
    for (const f of files) fs.writeFileSync(f, '{}\n');
    const lost = (): void => {
      throw new LockCompromisedError(files[1] as string, 'test: lock lost');
    };
    await assert.rejects(moveIntoArchive(dir, path.join(dir, 'archive', '2025-01-01'), id, files, lost), LockCompromisedError);
    for (const f of files) assert.ok(fs.existsSync(f), `${f} still in place`);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'archive', '2025-01-01')), []);
  });

  test('repair carries bytes that reached the old file late over into the new one', async () => {
    const dir = await tempDir('lease');
    const file = path.join(dir, 'a.jsonl');
    fs.writeFileSync(file, '{"damaged": \u0001\n{"a":1}\n{"a":2}\n');
    const phases: string[] = [];
    const result = await repairJsonl(file, {
      onPhase: (p) => {
        phases.push(p);
        // A writer that ignores the lock (or kept the old file open) appends during the commit.
        if (p === 'temp-synced') fs.appendFileSync(file, '{"late":1}\n');
      },
    });
    assert.equal(result.changed, true);
    assert.equal(fs.readFileSync(file, 'utf8'), '{"a":1}\n{"a":2}\n{"late":1}\n');
    assert.ok(fs.readFileSync(`${file}.quarantine`, 'latin1').includes('{"damaged": \u0001'));
    assert.deepEqual(phases.slice(-3), ['renamed', 'tail-copied', 'committed']);
  });

  // A writer that bypasses the lock truncates the file and writes it again, longer than what
  // repair read, so that the size alone does not show it (the break-test's truncate-child).
  test('repair refuses to replace a file truncated and rewritten longer meanwhile (head or tail changed)', async () => {
    const dir = await tempDir('lease');
    const lines = ['{"damaged": \u0001'];
    for (let i = 0; i < 400; i++) lines.push(JSON.stringify({ a: i, pad: 'p'.repeat(20) }));
    const original = lines.join('\n') + '\n';
    assert.ok(original.length > 3 * 4096);
    const rewrites: Record<string, string> = {
      head: 'x'.repeat(original.length + 100) + '\n',
      // Same first 8 KiB, different from there on, and longer.
      tail: original.slice(0, 8192) + '{"rewritten":1}\n'.repeat(Math.ceil(original.length / 16)),
    };
    for (const phase of ['temp-synced', 'before-rename'] as const) {
      for (const [name, rewrite] of Object.entries(rewrites)) {
        const file = path.join(dir, `${phase}-${name}.jsonl`);
        fs.writeFileSync(file, original);
        await assert.rejects(
          repairJsonl(file, {
            onPhase: (p) => {
              if (p === phase) fs.writeFileSync(file, rewrite); // O_TRUNC: the same inode
            },
          }),
          { name: 'FileChangedError' },
          `${phase} ${name}`,
        );
        assert.equal(fs.readFileSync(file, 'utf8'), rewrite, 'left as the other writer made it');
      }
    }
  });

  test('repair refuses to replace a file that was truncated or replaced meanwhile', async () => {
    const dir = await tempDir('lease');
    for (const change of ['truncate', 'replace'] as const) {
      const file = path.join(dir, `${change}.jsonl`);
      const original = '{"damaged": \u0001\n{"a":1}\n';
      fs.writeFileSync(file, original);
      await assert.rejects(
        repairJsonl(file, {
          onPhase: (p) => {
            if (p !== 'temp-synced') return;
            if (change === 'truncate') fs.truncateSync(file, 3);
            else {
              fs.writeFileSync(`${file}.new`, 'someone else\n');
              fs.renameSync(`${file}.new`, file);
            }
          },
        }),
        { name: 'FileChangedError' },
      );
      assert.equal(fs.readFileSync(file, 'utf8'), change === 'truncate' ? original.slice(0, 3) : 'someone else\n', 'left as the other writer made it');
      assert.equal(fs.existsSync(`${file}.quarantine`), false, 'nothing quarantined');
    }
    assert.deepEqual(fs.readdirSync(dir).filter((n) => n.endsWith('.tmp')), []);
  });
});

// Something at X.lock that no lock holder made (the break-test's lockdir-symlink): a 15 s wait
// then a raw ENOTDIR, or a wait for nothing. It must be a clear error at once, and left alone.
describe('a lock path that is not a lock directory', () => {
  test('dangling symlink, symlink to an old directory, regular file: ForeignLockPathError within a second, untouched', async () => {
    const dir = fs.realpathSync(await tempDir('lock-foreign'));
    const old = path.join(dir, 'old');
    fs.mkdirSync(old);
    const hourAgo = new Date(Date.now() - 3_600_000);
    fs.utimesSync(old, hourAgo, hourAgo);
    fs.symlinkSync('nowhere', path.join(dir, 'a.jsonl.lock'));
    fs.symlinkSync('old', path.join(dir, 'b.jsonl.lock'));
    fs.writeFileSync(path.join(dir, 'c.jsonl.lock'), '');
    fs.utimesSync(path.join(dir, 'c.jsonl.lock'), hourAgo, hourAgo);
    const cases: Array<[string, RegExp]> = [
      ['a.jsonl', /symbolic link \(dangling\)/],
      ['b.jsonl', /symbolic link \(to a directory\)/],
      ['c.jsonl', /regular file/],
    ];
    for (const [name, what] of cases) {
      const started = Date.now();
      await assert.rejects(
        withLock(path.join(dir, name), () => assert.fail('must not run')),
        (err: Error & { code?: string }) => err.name === 'ForeignLockPathError' && err.code === 'ELOCKFOREIGN' && what.test(err.message),
      );
      assert.ok(Date.now() - started < 1000, `${name}: refused after ${Date.now() - started} ms`);
      assert.equal(fs.existsSync(path.join(dir, name)), false, 'nothing written');
    }
    assert.equal(fs.readlinkSync(path.join(dir, 'a.jsonl.lock')), 'nowhere');
    assert.equal(fs.readlinkSync(path.join(dir, 'b.jsonl.lock')), 'old');
    assert.ok(fs.statSync(old).isDirectory());
    assert.ok(fs.lstatSync(path.join(dir, 'c.jsonl.lock')).isFile());
  });
});
