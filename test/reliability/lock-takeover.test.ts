// Several processes find the same stale lock (its holder was killed) at the same moment. Exactly
// one may take it over; the others must wait for it. Two "winners" would mean two writers at
// once: for a repair (which replaces the file) and an append, an acknowledged record lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, utimesSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fixture } from './lib/proc';
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
