// Several processes find the same stale lock (its holder was killed) at the same moment. Exactly
// one may take it over; the others must wait for it. Two "winners" would mean two writers at
// once: for a repair (which replaces the file) and an append, an acknowledged record lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, statSync, utimesSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fixture, startChild } from './lib/proc';
import { defaultMaxWaitMs, LOCK_DEFAULTS, MTIME_ROUNDING_MS, resolveLockOptions } from '../../src/core/lock';
import { scanJsonl } from '../../src/core/jsonl-reader';
import { tempDir } from './lib/tmp';
import { scale, budgetMs } from './lib/scale';
import { recordFigures } from './lib/figures';

test('a stale lock found by several processes at once is taken over by exactly one', { timeout: budgetMs(120_000, 600_000) }, async () => {
  const tmp = tempDir('lock-takeover');
  const contenders = 4;
  const children = Array.from({ length: contenders }, () =>
    spawn(process.execPath, [fixture('reliability-lock-contender'), join(tmp.dir, 'target'), join(tmp.dir, 'log')], { stdio: ['pipe', 'pipe', 'inherit'] }),
  );
  try {
    const queues = children.map((c) => {
      const lines: string[] = [];
      const waiters: Array<() => void> = [];
      createInterface({ input: c.stdout }).on('line', (l) => {
        lines.push(l);
        waiters.splice(0).forEach((w) => w());
      });
      return {
        next: async (): Promise<string> => {
          while (lines.length === 0) await new Promise<void>((r) => waiters.push(r));
          return lines.shift() as string;
        },
      };
    });
    for (const q of queues) assert.equal(await q.next(), 'ready');
    const rounds = scale(150, 1000);
    let overlaps = 0;
    let errors = 0;
    const old = new Date(Date.now() - 600_000);
    for (let round = 0; round < rounds; round++) {
      writeFileSync(join(tmp.dir, 'log'), '');
      // A lock left by a killed holder ten minutes ago.
      mkdirSync(join(tmp.dir, 'target.lock'));
      utimesSync(join(tmp.dir, 'target.lock'), old, old);
      for (const c of children) c.stdin.write('go\n');
      for (const q of queues) if ((await q.next()) !== 'done') errors++;
      const log = readFileSync(join(tmp.dir, 'log'), 'utf8').trim().split('\n');
      for (let i = 0; i + 1 < log.length; i += 2) {
        const [a, b] = [log[i] ?? '', log[i + 1] ?? ''];
        if (!(a.startsWith('enter ') && b === a.replace('enter', 'exit'))) {
          overlaps++;
          break;
        }
      }
    }
    recordFigures({ test: 'lock-stale-takeover', injects: `${contenders} processes finding the same stale lock at once, ${rounds} rounds`, figures: { rounds, roundsWithTwoHolders: overlaps, errors } });
    assert.equal(errors, 0);
    assert.equal(overlaps, 0, `in ${overlaps} of ${rounds} rounds two processes held the lock at once`);
  } finally {
    for (const c of children) c.kill('SIGKILL');
    tmp.dispose();
  }
});

// The example: with the default options, a holder SIGKILLed shortly after taking the lock
// (just after a whole second, where the mtime is rounded up the most: ~1 s into the future), and
// five `session-keeper append` processes already waiting. The lock can be taken over 10 s after
// its mtime, ~11 s after it was taken; the old default wait (10 s) gave up just before that and
// all five exited 2. The default wait must outlast the takeover: all five exit 0.
test('with the default options, writers waiting on a SIGKILLed holder all succeed', { timeout: budgetMs(120_000, 120_000) }, async () => {
  const o = resolveLockOptions();
  assert.equal(o.staleMs, LOCK_DEFAULTS.staleMs);
  assert.ok(o.maxWaitMs >= o.staleMs + MTIME_ROUNDING_MS + 2000, `default wait ${o.maxWaitMs} ms must outlast stale ${o.staleMs} ms + mtime rounding + a margin`);
  assert.equal(o.maxWaitMs, defaultMaxWaitMs(o.staleMs));
  const tmp = tempDir('lock-default-wait');
  const file = join(tmp.dir, 'agent.jsonl');
  // The writers: the command-line tool's `append`, loaded in advance and started on a "go".
  const writers = Array.from({ length: 5 }, (_, i) => {
    const w = spawn(process.execPath, [fixture('cli-on-go'), 'append', file, JSON.stringify({ x: i })], { cwd: tmp.dir, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    w.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const ready = new Promise<void>((resolve) => createInterface({ input: w.stdout }).once('line', () => resolve()));
    const exited = new Promise<number | null>((resolve) => w.on('exit', (code) => resolve(code)));
    return { w, ready, exited, stderr: () => stderr };
  });
  const holder = startChild(fixture('lock-holder'), [file, 'default', 'forever', 'align']);
  try {
    await Promise.all(writers.map((w) => w.ready));
    await holder.waitForLine((l) => l === 'locked', 30_000);
    const lockedAt = Date.now();
    for (const w of writers) w.w.stdin.end('go\n');
    // Shortly after it took the lock, with the five waiting: its lock stays behind.
    await new Promise((r) => setTimeout(r, 500));
    holder.proc.kill('SIGKILL');
    await holder.exited;
    const timeout = setTimeout(() => writers.forEach((w) => w.w.kill('SIGKILL')), 60_000);
    const exits = await Promise.all(writers.map((w) => w.exited));
    clearTimeout(timeout);
    const slowestMs = Date.now() - lockedAt;
    recordFigures({
      test: 'lock-default-wait',
      injects: 'holder with default options SIGKILLed 0.5 s after taking the lock (just after a whole second), 5 CLI appends waiting',
      figures: { writers: 5, exitedZero: exits.filter((code) => code === 0).length, lastDoneAfterLockMs: slowestMs, defaultMaxWaitMs: o.maxWaitMs },
    });
    assert.deepEqual(
      exits.map((code, i) => `${code} ${writers[i]?.stderr().trim() ?? ''}`.trim()),
      ['0', '0', '0', '0', '0'],
    );
    const values: number[] = [];
    await scanJsonl(file, { onRecord: (r) => values.push((r.value as { x: number }).x) });
    assert.deepEqual(values.sort(), [0, 1, 2, 3, 4]);
  } finally {
    holder.proc.kill('SIGKILL');
    for (const w of writers) w.w.kill('SIGKILL');
    tmp.dispose();
  }
});

// The break-test's case: the default wait counts from the waiter's start, but a dead holder's
// lock can be taken over only staleMs after its LAST refresh. A holder (default options)
// SIGKILLed 10.3 s or 14.8 s into its hold, with `session-keeper append` waiting since 0.5 s,
// last refreshed ~10 s in: takeover ~20-21 s in, after the 15 s the waiters had. They exited 2
// ("last refreshed 5710 ms ago"). What must hold: a dead holder never makes a waiter fail; a
// live holder (refreshing) still makes it give up, soon after its deadline.
test('with the default options, a holder that dies late in the waiters\' wait makes none fail; a live one still times them out', { timeout: budgetMs(150_000, 150_000) }, async () => {
  const tmp = tempDir('lock-dead-late');
  const o = resolveLockOptions();
  const cases = [
    { name: 'killed at 10.3 s', killAtMs: 10_300 },
    { name: 'killed at 14.8 s', killAtMs: 14_800 },
    { name: 'alive', killAtMs: null },
  ];
  const holders: Array<ReturnType<typeof startChild>> = [];
  const writers: Array<ReturnType<typeof spawn>> = [];
  try {
    const results = await Promise.all(
      cases.map(async (c) => {
        const file = join(tmp.dir, `${c.name.replace(/[^a-z0-9]/g, '-')}.jsonl`);
        const holder = startChild(fixture('lock-holder'), [file, 'default', 'forever']);
        holders.push(holder);
        await holder.waitForLine((l) => l === 'locked', 30_000);
        const lockedAt = Date.now();
        await new Promise((r) => setTimeout(r, 500));
        const started = Date.now();
        const w = spawn(process.execPath, [join(__dirname, '..', '..', 'src', 'cli', 'main.js'), 'append', file, '{"x":1}'], { stdio: ['ignore', 'pipe', 'pipe'] });
        writers.push(w);
        let stderr = '';
        w.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
        const exited = new Promise<number | null>((resolve) => w.on('exit', (code) => resolve(code)));
        if (c.killAtMs !== null) {
          await new Promise((r) => setTimeout(r, Math.max(0, lockedAt + c.killAtMs - Date.now())));
          holder.proc.kill('SIGKILL');
        }
        const code = await exited;
        const tookMs = Date.now() - started;
        holder.proc.kill('SIGKILL');
        const text = readFileSync(file, { encoding: 'utf8', flag: 'a+' });
        return { name: c.name, code, tookMs, stderr: stderr.trim(), written: text === '{"x":1}\n' };
      }),
    );
    recordFigures({
      test: 'lock-dead-late',
      injects: 'holders with default options SIGKILLed 10.3 s and 14.8 s into their hold (one left alive), a CLI append waiting since 0.5 s',
      figures: Object.fromEntries(results.map((r) => [r.name, `exit ${r.code} after ${r.tookMs} ms`])),
    });
    for (const r of results.filter((x) => x.name !== 'alive')) {
      assert.equal(r.code, 0, `${r.name}: ${r.stderr}`);
      assert.ok(r.written, `${r.name}: record written`);
    }
    const alive = results.find((x) => x.name === 'alive');
    assert.equal(alive?.code, 2, 'a live holder still times the waiter out');
    assert.match(alive?.stderr ?? '', /Timed out/);
    assert.ok((alive?.tookMs ?? 0) >= o.maxWaitMs - 100, `gave up after ${alive?.tookMs} ms`);
    // It gives up once it has seen the live holder refresh (every updateMs), not at the hard cap.
    assert.ok((alive?.tookMs ?? Infinity) <= o.maxWaitMs + o.updateMs + 3000, `gave up after ${alive?.tookMs} ms`);
  } finally {
    for (const h of holders) h.proc.kill('SIGKILL');
    for (const w of writers) w.kill('SIGKILL');
    tmp.dispose();
  }
});

// An append stopped (SIGSTOP) in the middle of writing a large record, past the stale threshold;
// another `session-keeper append` takes the lock over and exits 0; then it continues. Its write
// completes and only then is the lock found lost. The error must say precisely that the record
// was written (so a caller does not retry blindly and write it twice), and both records be there.
test('an append whose write completed before its lock was found lost says the record was written', { timeout: budgetMs(120_000, 120_000), skip: process.platform === 'win32' }, async () => {
  const tmp = tempDir('append-stopped');
  const file = join(tmp.dir, 'f.jsonl');
  writeFileSync(file, '');
  const child = startChild(fixture('big-append'), [file]);
  try {
    // Stop it as soon as its write has begun (the file grows).
    const until = Date.now() + 60_000;
    while (statSync(file).size === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 1));
    process.kill(child.pid, 'SIGSTOP');
    const second = spawnSync(process.execPath, [join(__dirname, '..', '..', 'src', 'cli', 'main.js'), 'append', file, '{"second":1}'], { encoding: 'utf8', timeout: 60_000 });
    process.kill(child.pid, 'SIGCONT');
    await child.exited;
    assert.equal(second.status, 0, second.stderr);
    const outcome = child.lines.find((l) => l.startsWith('APPEND ')) ?? '';
    // (The reader's default line limit is below 100 MB: compare the lines themselves.)
    const lines = readFileSync(file, 'latin1').split('\n');
    assert.deepEqual(lines.map((l) => (l.length > 100 ? `${l.slice(0, 9)}…(${l.length})` : l)).sort(), ['', `{"big":"z…(${100 * 1024 * 1024 + 10})`, '{"second":1}']);
    assert.match(outcome, /^APPEND error LockCompromisedError: .*WAS written completely, at offset 0\b.*check the file before retrying/);
  } finally {
    child.proc.kill('SIGKILL');
    tmp.dispose();
  }
});
