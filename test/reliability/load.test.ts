// Load: 50 sessions in 5 processes heartbeating every second, 50 appends a second to one shared
// JSONL file, and a lister twice a second. What must hold: no errors, no lock timeouts, no live
// session ever judged stale, every acknowledged append present once, and memory that stays flat
// (the RSS and heap slopes are reported, the heap measured after a full GC; the full run also
// bounds the heap slope).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SessionStore } from '../../src/core/session-store';
import { scanJsonl } from '../../src/core/jsonl-reader';
import { startChild, exitWithin, fixture, type Child } from './lib/proc';
import { startPoller } from './lib/poller';
import { tempDir } from './lib/tmp';
import { scale, full, budgetMs } from './lib/scale';
import { recordFigures } from './lib/figures';

const worker = fixture('reliability-load-worker');
const PROCESSES = 5;
const SESSIONS_EACH = 10;

interface Stat {
  t: number;
  rss: number;
  heap: number;
}

/** Least-squares slope of y over t, in units of y per minute. */
function slopePerMinute(points: Array<{ t: number; y: number }>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mt = points.reduce((s, p) => s + p.t, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.t - mt) * (p.y - my);
    den += (p.t - mt) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 60_000;
}

test('50 sessions heartbeating every second, concurrent appends and a lister', { timeout: budgetMs(120_000, 900_000) }, async () => {
  const tmp = tempDir('load');
  const children: Child[] = [];
  try {
    const dir = join(tmp.dir, 'sessions');
    const shared = join(tmp.dir, 'shared.jsonl');
    const durationMs = scale(10_000, 180_000);
    const stats = new Map<string, Stat[]>();
    const acked = new Map<string, Set<number>>();
    // Set when the first worker starts closing its sessions at the end: from then on fewer are live.
    let closing = false;
    for (let p = 0; p < PROCESSES; p++) {
      const tag = `w${p}`;
      stats.set(tag, []);
      acked.set(tag, new Set());
      children.push(
        startChild(worker, [JSON.stringify({ dir, shared, tag, sessions: SESSIONS_EACH, durationMs, appendsPerSec: 10 })], {
          env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --expose-gc`.trim() },
          onLine: (line) => {
            if (line === 'closing') closing = true;
            else if (line.startsWith('stat ')) stats.get(tag)?.push(JSON.parse(line.slice(5)) as Stat);
            else if (line.startsWith('ack ')) acked.get(tag)?.add(Number(line.slice(4)));
          },
        }),
      );
    }
    await Promise.all(children.map((c) => c.waitForLine((l) => l.startsWith('ready '), 60_000)));
    const store = new SessionStore(dir, { cleanupOnCreate: false });
    let lists = 0;
    let unresponsiveSightings = 0;
    const parentMem: Array<{ t: number; y: number }> = [];
    const lister = startPoller(async () => {
      const sessions = await store.list();
      if (closing) return;
      lists++;
      const live = sessions.filter((s) => s.record.closedAt === null);
      if (live.length !== PROCESSES * SESSIONS_EACH) throw new Error(`listed ${live.length} live sessions, expected ${PROCESSES * SESSIONS_EACH}`);
      const stale = live.filter((s) => s.state === 'stale');
      if (stale.length > 0) throw new Error(`live sessions judged stale: ${stale.map((s) => s.reason).join('; ')}`);
      unresponsiveSightings += live.filter((s) => s.state === 'unresponsive').length;
      parentMem.push({ t: Date.now(), y: process.memoryUsage().heapUsed });
    }, 500);
    const done = await Promise.all(
      children.map(async (c) => {
        const line = await c.waitForLine((l) => l.startsWith('done '), durationMs + 120_000);
        await exitWithin(c, 30_000);
        return JSON.parse(line.slice(5)) as { heartbeats: number; heartbeatErrors: number; appends: number; appendErrors: number; lockTimeouts: number; errors: string[]; crashed?: string };
      }),
    );
    const read = await lister.stop();

    // Every acknowledged append is in the shared file exactly once.
    const counts = new Map<string, number>();
    const scan = await scanJsonl(shared, {
      onRecord: (r) => {
        const v = r.value as { tag: string; seq: number };
        counts.set(`${v.tag}#${v.seq}`, (counts.get(`${v.tag}#${v.seq}`) ?? 0) + 1);
      },
    });
    const lost: string[] = [];
    for (const [tag, seqs] of acked) for (const s of seqs) if (counts.get(`${tag}#${s}`) !== 1) lost.push(`${tag}#${s}`);

    // Memory after the first quarter (start-up and JIT warm-up excluded).
    const cut = (points: Array<{ t: number; y: number }>): Array<{ t: number; y: number }> => points.slice(Math.floor(points.length / 4));
    const rssSlopes = [...stats.values()].map((s) => slopePerMinute(cut(s.map((x) => ({ t: x.t, y: x.rss / 2 ** 20 })))));
    const heapSlopes = [...stats.values()].map((s) => slopePerMinute(cut(s.map((x) => ({ t: x.t, y: x.heap / 2 ** 20 })))));
    const listerHeapSlope = slopePerMinute(cut(parentMem.map((p) => ({ t: p.t, y: p.y / 2 ** 20 }))));
    const total = (k: 'heartbeats' | 'heartbeatErrors' | 'appends' | 'appendErrors' | 'lockTimeouts'): number => done.reduce((s, d) => s + (d[k] ?? 0), 0);
    const round = (x: number): number => Math.round(x * 100) / 100;

    recordFigures({
      test: 'load',
      injects: `${PROCESSES * SESSIONS_EACH} sessions in ${PROCESSES} processes heartbeating every 1 s, ${PROCESSES * 10} appends/s to one file, list() every 500 ms, for ${durationMs / 1000} s`,
      figures: {
        seconds: durationMs / 1000,
        heartbeats: total('heartbeats'),
        heartbeatErrors: total('heartbeatErrors'),
        appends: total('appends'),
        appendErrors: total('appendErrors'),
        lockTimeouts: total('lockTimeouts'),
        lists,
        listerFailures: read.failures.length,
        unresponsiveSightings,
        recordsLost: lost.length,
        corruptLines: scan.corrupted,
        maxWorkerRssSlopeMiBPerMin: round(Math.max(...rssSlopes)),
        maxWorkerHeapSlopeMiBPerMin: round(Math.max(...heapSlopes)),
        listerHeapSlopeMiBPerMin: round(listerHeapSlope),
      },
    });
    assert.deepEqual(done.map((d) => d.crashed).filter(Boolean), []);
    assert.deepEqual(read.failures, [], 'the lister failed or saw a live session judged stale');
    assert.equal(total('lockTimeouts'), 0, 'lock timeouts under load');
    assert.deepEqual(done.flatMap((d) => d.errors), [], 'errors under load');
    assert.deepEqual(lost, [], 'acknowledged appends lost or duplicated');
    assert.equal(scan.corrupted, 0);
    assert.ok(total('heartbeats') > 0 && total('appends') > 0);
    if (full) {
      // A leak of one small object per operation (~300 operations a second) shows as several MiB a minute.
      for (const s of heapSlopes) assert.ok(s < 2, `worker heap grows ${round(s)} MiB/min`);
    }
  } finally {
    for (const c of children) c.proc.kill('SIGKILL');
    await Promise.all(children.map((c) => exitWithin(c, 10_000).catch(() => undefined)));
    tmp.dispose();
  }
});
