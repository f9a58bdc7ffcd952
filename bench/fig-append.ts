import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AppendMode, AppendRun, AppendWorkerResult } from './append-worker';
import { startWorker } from './child';
import type { BenchContext } from './context';
import { hasCore } from './core';
import { fmt } from './report';
import { atLeast, lessThan, ratio, check, type FigureResult, type Row } from './results';
import { median, percentile } from './stats';

/**
 * Figure 3: many processes appending to one file through the lock, beside unlocked O_APPEND
 * writes (the ceiling) and proper-lockfile driven as the original design did. Every run is
 * checked afterwards for lost and interleaved records.
 */

interface Integrity {
  lines: number;
  lost: number; // successes reported by writers but missing from the file (negative: extra lines)
  interleaved: number; // lines that do not parse, or break a writer's seq order
}

/** One timed run of one mode at one level. */
interface Run {
  mode: AppendMode;
  processes: number;
  round: number;
  opsPerS: number;
  ok: number;
  failed: Record<string, number>;
  waits: number[];
  ops: number[];
  waitExact: boolean;
  integrity: Integrity;
  load1m: number; // the machine's 1-minute load average when the run started
}

/** All rounds of one mode at one level. */
interface RunSummary {
  mode: AppendMode;
  processes: number;
  /** Median over rounds of successful appends per second. */
  opsPerS: number | null;
  ok: number;
  failed: Record<string, number>;
  waitP50: number | null;
  waitP99: number | null;
  waitMax: number | null;
  opP99: number | null;
  waitExact: boolean;
  integrity: Integrity;
  load1m: number[];
}

/** Reads the file back: every line must parse and each writer's seqs must strictly increase. */
export function verifyAppends(file: string, expectedOk: number): Integrity {
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const lastSeq = new Map<number, number>();
  let interleaved = 0;
  for (const line of lines) {
    let rec: { w?: unknown; seq?: unknown };
    try {
      rec = JSON.parse(line) as { w?: unknown; seq?: unknown };
    } catch {
      interleaved++;
      continue;
    }
    if (typeof rec.w !== 'number' || typeof rec.seq !== 'number') {
      interleaved++;
      continue;
    }
    const prev = lastSeq.get(rec.w);
    if (prev !== undefined && rec.seq <= prev) interleaved++;
    lastSeq.set(rec.w, rec.seq);
  }
  return { lines: lines.length, lost: expectedOk - lines.length, interleaved };
}

type Worker = ReturnType<typeof startWorker<AppendWorkerResult>>;

async function runMode(ctx: BenchContext, workers: Worker[], mode: AppendMode, durationMs: number, round: number): Promise<Run> {
  const processes = workers.length;
  const dir = path.join(ctx.options.tmpDir, `append-${mode}-${processes}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'shared.jsonl');
  fs.writeFileSync(file, ''); // proper-lockfile resolves the real path, so the file must exist
  const load1m = os.loadavg()[0] ?? 0;
  const run: AppendRun = { mode, file, durationMs, startAt: Date.now() + 100 };
  const results = await Promise.all(
    workers.map((w) => {
      const reply = w.next<AppendWorkerResult>('result');
      w.send({ type: 'run', value: run });
      return reply;
    }),
  );
  const ok = results.reduce((n, r) => n + r.ok, 0);
  const failed: Record<string, number> = {};
  for (const r of results) for (const [k, v] of Object.entries(r.failed)) failed[k] = (failed[k] ?? 0) + v;
  const integrity = verifyAppends(file, ok);
  fs.rmSync(dir, { recursive: true, force: true });
  return {
    mode,
    processes,
    round,
    opsPerS: ok / (durationMs / 1000),
    ok,
    failed,
    waits: results.flatMap((r) => r.waitMs),
    ops: results.flatMap((r) => r.opMs),
    waitExact: results.every((r) => r.waitExact),
    integrity,
    load1m,
  };
}

function summarise(runs: Run[], mode: AppendMode, processes: number): RunSummary | undefined {
  const mine = runs.filter((r) => r.mode === mode && r.processes === processes);
  if (mine.length === 0) return undefined;
  const failed: Record<string, number> = {};
  for (const r of mine) for (const [k, v] of Object.entries(r.failed)) failed[k] = (failed[k] ?? 0) + v;
  const waits = mine.flatMap((r) => r.waits);
  return {
    mode,
    processes,
    opsPerS: median(mine.map((r) => r.opsPerS)),
    ok: mine.reduce((n, r) => n + r.ok, 0),
    failed,
    waitP50: percentile(waits, 50),
    waitP99: percentile(waits, 99),
    waitMax: waits.length ? Math.max(...waits) : null,
    opP99: percentile(mine.flatMap((r) => r.ops), 99),
    waitExact: mine.every((r) => r.waitExact),
    integrity: {
      lines: mine.reduce((n, r) => n + r.integrity.lines, 0),
      lost: mine.reduce((n, r) => n + r.integrity.lost, 0),
      interleaved: mine.reduce((n, r) => n + r.integrity.interleaved, 0),
    },
    load1m: mine.map((r) => Math.round(r.load1m * 10) / 10),
  };
}

function failedCount(s: RunSummary | undefined): number | null {
  return s ? Object.values(s.failed).reduce((a, b) => a + b, 0) : null;
}

export async function figureAppend(ctx: BenchContext): Promise<FigureResult> {
  const quick = ctx.options.quick;
  const levels = quick ? [1, 2, 8] : [1, 2, 4, 8, 16];
  const durationMs = quick ? 400 : 2000;
  const rounds = quick ? 1 : 3;
  const coreReady = hasCore('jsonl-append');
  const modes: AppendMode[] = coreReady ? ['unlocked', 'appendJsonl', 'proper-lockfile'] : ['unlocked', 'proper-lockfile'];
  const all: Run[] = [];
  // Rounds over all levels and modes, so a noisy minute on the shared machine hits every
  // configuration alike; each figure is the median over rounds.
  for (let round = 0; round < rounds; round++) {
    for (const n of levels) {
      const workers = Array.from({ length: n }, (_, i) => startWorker<AppendWorkerResult>('append-worker', [String(i)], { timeoutMs: 600_000 }));
      try {
        await Promise.all(workers.map((w) => w.ready));
        for (const mode of modes) {
          ctx.log(`figure 3: round ${round + 1}/${rounds}, ${mode}, ${n} process${n > 1 ? 'es' : ''}, ${durationMs} ms`);
          all.push(await runMode(ctx, workers, mode, durationMs, round));
        }
      } finally {
        for (const w of workers) if (w.child.connected) w.send({ type: 'exit' });
        await Promise.all(workers.map((w) => w.done));
      }
    }
  }
  const runs = levels.flatMap((n) => modes.map((m) => summarise(all, m, n)).filter((r): r is RunSummary => r !== undefined));
  const get = (mode: AppendMode, n: number): RunSummary | undefined => runs.find((r) => r.mode === mode && r.processes === n);
  const missing = coreReady ? undefined : 'src/core/jsonl-append is not built yet';
  const locked = runs.filter((r) => r.mode === 'appendJsonl');
  const damage = coreReady ? locked.reduce((n, r) => n + Math.abs(r.integrity.lost) + r.integrity.interleaved, 0) : null;
  const one = get('appendJsonl', 1)?.opsPerS ?? null;
  const eight = get('appendJsonl', 8);
  const plEight = get('proper-lockfile', 8);
  const rows: Row[] = [
    {
      name: 'appendJsonl: records lost or interleaved, all levels',
      value: damage,
      unit: 'records',
      target: check('0', damage === null ? null : damage === 0),
      ...(missing ? { note: missing } : {}),
    },
    {
      name: 'appendJsonl ops/s, 1 process',
      value: one,
      unit: 'ops/s',
      baseline: { name: 'unlocked', value: get('unlocked', 1)?.opsPerS ?? null },
      ratio: ratio(one, get('unlocked', 1)?.opsPerS ?? null),
    },
    {
      name: 'appendJsonl ops/s, 8 processes',
      value: eight?.opsPerS ?? null,
      unit: 'ops/s',
      baseline: { name: 'appendJsonl, 1 process', value: one },
      ratio: ratio(eight?.opsPerS ?? null, one),
      target: atLeast('>= 0.5x 1 process', ratio(eight?.opsPerS ?? null, one), 0.5),
    },
    {
      name: 'appendJsonl p99 lock wait, 8 processes',
      value: eight?.waitP99 ?? null,
      unit: 'ms',
      target: lessThan('< 50 ms', eight?.waitP99 ?? null, 50),
      note: eight?.waitExact
        ? 'time from withLock() being called inside appendJsonl to the lock being held'
        : 'measured as the whole appendJsonl call (lock wait + append + release), an upper bound of the wait',
    },
    {
      name: 'proper-lockfile (retries 100/200/400 ms) ops/s, 8 processes',
      value: plEight?.opsPerS ?? null,
      unit: 'ops/s',
      baseline: { name: 'appendJsonl', value: eight?.opsPerS ?? null },
      ratio: ratio(plEight?.opsPerS ?? null, eight?.opsPerS ?? null),
    },
    {
      name: 'proper-lockfile failed ops (ELOCKED after retries), 8 processes',
      value: failedCount(plEight),
      unit: 'ops',
      baseline: { name: 'appendJsonl', value: failedCount(eight) },
    },
  ];
  const table = {
    title: 'All levels (ops/s: median over rounds of successful appends per second; waits in ms, pooled over rounds; load avg: 1-minute load average at the start of each round)',
    headers: ['processes', 'mode', 'ops/s', 'wait p50', 'wait p99', 'wait max', 'op p99', 'failed', 'lines', 'lost', 'interleaved', 'load avg'],
    rows: runs.map((r) => [
      String(r.processes),
      r.mode,
      fmt(r.opsPerS),
      r.mode === 'unlocked' ? '—' : fmt(r.waitP50),
      r.mode === 'unlocked' ? '—' : fmt(r.waitP99),
      r.mode === 'unlocked' ? '—' : fmt(r.waitMax),
      fmt(r.opP99),
      Object.entries(r.failed).map(([k, v]) => `${v} ${k}`).join(', ') || '0',
      String(r.integrity.lines),
      String(r.integrity.lost),
      String(r.integrity.interleaved),
      r.load1m.join(' / '),
    ]),
  };
  const notes = [
    'Each writer is its own process with one append in flight; all start at the same instant. ' +
      '"unlocked" is fs.promises.appendFile per record (O_APPEND, no lock): the ceiling. ' +
      '"proper-lockfile" is lockfile.lock(file, { retries: { retries: 3, minTimeout: 100, factor: 2 } }) + appendFile + release, as the original design did.',
    'After every run the file is read back: lost = successes the writers reported minus lines in the file; ' +
      'interleaved = lines that do not parse or break a writer\'s strictly increasing seq.',
  ];
  return {
    id: 3,
    title: 'Locked appends from many processes',
    params: { levels, durationMs, rounds, recordBytes: 1024 },
    rows,
    notes,
    tables: [table],
    details: all.map(({ waits: _w, ops: _o, ...rest }) => rest),
  };
}
