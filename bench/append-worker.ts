import { promises as fsp } from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as lockfile from 'proper-lockfile';
import { nextMessage, sendMessage, sendReady } from './child';
import { hasCore, loadCore, type AppendModule, type LockModule, type LockTimingsModule } from './core';
import type { LockPhaseRecord } from '../src/core/lock-timings';

/**
 * Child process for figure 3: on each "run" request, appends ~1 KB records to one shared file
 * for a fixed time, one operation in flight at a time, and reports its successes, failures
 * and latencies. One worker serves every mode of a level, so start-up is paid once.
 * Usage: append-worker <writerId>; then messages { type: 'run', value: AppendRun } and { type: 'exit' }.
 */

export type AppendMode = 'unlocked' | 'appendJsonl' | 'proper-lockfile';

export interface AppendRun {
  mode: AppendMode;
  file: string;
  durationMs: number;
  startAt: number; // epoch ms: every writer starts at this instant
  /** LockOptions passed to appendJsonl (default: none, i.e. the library defaults). */
  lock?: Record<string, number>;
  /** Keep going this long between appends (ms), as an application that does other work would. */
  thinkMs?: number;
  /** Record the lock's per-phase timings (src/core/lock-timings.ts); off for timed runs. */
  timings?: boolean;
}

export interface AppendWorkerResult {
  writer: number;
  ok: number;
  failed: Record<string, number>; // error code -> count
  /** Per successful operation: time to acquire the lock (ms); empty for 'unlocked'. */
  waitMs: number[];
  /** Per successful operation: the whole call (ms). */
  opMs: number[];
  /** Whether waitMs is the exact acquire time (false: the whole call, an upper bound). */
  waitExact: boolean;
  /** Seqs 0..attempted-1 were tried; all but failedSeqs were acknowledged (for the exactly-once check). */
  attempted: number;
  failedSeqs: number[];
  /** The lock's per-phase timings of each appendJsonl, when AppendRun.timings asked for them. */
  phases?: LockPhaseRecord[];
}


const RECORD_BYTES = 1024;

function record(writer: number, seq: number): { w: number; seq: number; pad: string } {
  const base = JSON.stringify({ w: writer, seq, pad: '' }).length + 1; // + newline
  return { w: writer, seq, pad: 'x'.repeat(Math.max(0, RECORD_BYTES - base)) };
}

/**
 * appendJsonl takes its lock through the lock module's exported withLock, which the compiled
 * CommonJS looks up on every call; wrapping that export times the acquisition inside the real
 * appendJsonl without changing it. Returns a reader of the last wait, or null if not wrapped.
 */
function instrumentWithLock(): { lastWait(): number | null } | null {
  if (!hasCore('lock')) return null;
  // The export is replaced in place: a mutable view of the module object.
  const lock = loadCore<{ -readonly [K in keyof LockModule]: LockModule[K] }>('lock');
  const original = lock.withLock;
  let last: number | null = null;
  try {
    type LockedFn<T> = (...args: Parameters<Parameters<LockModule['withLock']>[1]>) => Promise<T> | T;
    type RestOf<P extends unknown[]> = P extends [unknown, unknown, ...infer R] ? R : never;
    lock.withLock = <T>(target: string, fn: LockedFn<T>, ...rest: RestOf<Parameters<LockModule['withLock']>>): Promise<T> => {
      const t0 = performance.now();
      last = null;
      return original(
        target,
        (...args) => {
          last = performance.now() - t0;
          return fn(...args);
        },
        // The options, and whether appendJsonl keeps the lock for its next append (lock-keep.ts).
        ...rest,
      );
    };
  } catch {
    return null; // a frozen export: fall back to whole-call latency
  }
  return { lastWait: () => last };
}

async function runOnce(writer: number, run: AppendRun, append: AppendModule['appendJsonl'] | null, probe: ReturnType<typeof instrumentWithLock>): Promise<AppendWorkerResult> {
  await new Promise((r) => setTimeout(r, Math.max(0, run.startAt - Date.now())));
  const result: AppendWorkerResult = { writer, ok: 0, failed: {}, waitMs: [], opMs: [], waitExact: true, attempted: 0, failedSeqs: [] };
  const timings = run.timings && hasCore('lock-timings') ? loadCore<LockTimingsModule>('lock-timings') : null;
  timings?.startLockTimings();
  const end = performance.now() + run.durationMs;
  for (let seq = 0; performance.now() < end; seq++) {
    result.attempted = seq + 1;
    const rec = record(writer, seq);
    const t0 = performance.now();
    try {
      if (run.mode === 'unlocked') {
        await fsp.appendFile(run.file, JSON.stringify(rec) + '\n');
      } else if (run.mode === 'appendJsonl') {
        if (!append) throw new Error('src/core/jsonl-append is not built');
        await append(run.file, rec, run.lock ? { lock: run.lock } : {});
        const wait = probe?.lastWait() ?? null;
        if (wait === null) result.waitExact = false;
        result.waitMs.push(wait ?? performance.now() - t0);
      } else {
        // The original design: proper-lockfile with 3 retries at 100/200/400 ms.
        const release = await lockfile.lock(run.file, { retries: { retries: 3, minTimeout: 100, factor: 2 } });
        result.waitMs.push(performance.now() - t0);
        try {
          await fsp.appendFile(run.file, JSON.stringify(rec) + '\n');
        } finally {
          await release();
        }
      }
      result.ok++;
      result.opMs.push(performance.now() - t0);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).name;
      result.failed[code] = (result.failed[code] ?? 0) + 1;
      result.failedSeqs.push(seq);
    }
    if (run.thinkMs) await new Promise((r) => setTimeout(r, run.thinkMs));
  }
  if (timings) {
    result.phases = timings.takeLockTimings();
    timings.stopLockTimings();
  }
  return result;
}

async function main(): Promise<void> {
  const writer = Number(process.argv[2]);
  const probe = instrumentWithLock();
  const append = hasCore('jsonl-append') ? loadCore<AppendModule>('jsonl-append').appendJsonl : null;
  process.on('message', (m: { type?: string }) => {
    if (m.type === 'exit') process.disconnect?.();
  });
  sendReady();
  for (;;) {
    const run = await nextMessage<AppendRun>('run');
    await sendMessage('result', await runOnce(writer, run, append, probe));
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
