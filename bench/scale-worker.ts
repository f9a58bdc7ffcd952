import { performance } from 'node:perf_hooks';
import { finishWorker, nextMessage, sendReady } from './child';
import { loadCore, type StoreModule } from './core';

/**
 * Child process for figure 5. Role "heartbeat": creates N sessions and heartbeats each once a
 * second through SessionStore.heartbeat. Role "lister": lists the directory once a second.
 * Both sample their memory after a forced GC. Usage (node --expose-gc):
 *   scale-worker heartbeat <dir> <sessions> <durationMs> <sampleMs> <warmupMs>
 *   scale-worker lister <dir> <expectedSessions> <durationMs> <sampleMs> <warmupMs>
 * Memory is sampled from warmupMs on (start-up and JIT warm-up excluded) until durationMs.
 */

export interface MemorySample {
  tS: number; // seconds since start
  rssMB: number;
  heapMB: number;
}

export interface ScaleWorkerResult {
  role: 'heartbeat' | 'lister';
  ops: number;
  errors: Record<string, number>; // error name -> count
  latencyMs: number[];
  /** Lister only: listings in which fewer than the expected sessions were active. */
  listingsShort: number;
  minActive: number | null;
  samples: MemorySample[];
}


const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

function sample(t0: number): MemorySample {
  gc();
  const m = process.memoryUsage();
  return { tS: (performance.now() - t0) / 1000, rssMB: m.rss / 1e6, heapMB: m.heapUsed / 1e6 };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)));
}

async function main(): Promise<ScaleWorkerResult> {
  const [role, dir, countArg, durationArg, sampleArg, warmupArg] = process.argv.slice(2) as [
    ScaleWorkerResult['role'],
    string,
    string,
    string,
    string,
    string,
  ];
  const count = Number(countArg);
  const durationMs = Number(durationArg);
  const sampleMs = Number(sampleArg);
  const warmupMs = Number(warmupArg);
  const { SessionStore } = loadCore<StoreModule>('session-store');
  const store = new SessionStore(dir, { onError: () => undefined });
  const result: ScaleWorkerResult = { role, ops: 0, errors: {}, latencyMs: [], listingsShort: 0, minActive: null, samples: [] };
  const ids: string[] = [];
  if (role === 'heartbeat') {
    for (let i = 0; i < count; i++) ids.push((await store.create({ label: `scale ${process.pid}/${i}`, heartbeatIntervalMs: 1000 })).id);
    await store.idle();
  }
  sendReady();
  const startAt = await nextMessage<number>('go');
  await sleep(startAt - Date.now());

  const t0 = performance.now();
  const end = t0 + durationMs;
  const count1 = (name: string): void => void (result.errors[name] = (result.errors[name] ?? 0) + 1);
  const timed = async (fn: () => Promise<unknown>): Promise<unknown> => {
    const s = performance.now();
    try {
      const value = await fn();
      result.ops++;
      result.latencyMs.push(performance.now() - s);
      return value;
    } catch (err) {
      count1((err as Error).name || 'Error');
      return null;
    }
  };
  // Each session (or the lister) runs on its own one-second schedule, at a random phase, as
  // independent windows would.
  const loop = async (fn: () => Promise<unknown>): Promise<void> => {
    let next = t0 + Math.random() * 1000;
    while (next < end) {
      await sleep(next - performance.now());
      await fn();
      next += 1000;
    }
  };
  const sampler = (async () => {
    for (let t = t0 + warmupMs; t <= end; t += sampleMs) {
      await sleep(t - performance.now());
      result.samples.push(sample(t0));
    }
  })();
  if (role === 'heartbeat') {
    await Promise.all(ids.map((id) => loop(() => timed(() => store.heartbeat(id)))));
  } else {
    await loop(async () => {
      const listed = (await timed(() => store.list())) as { state: string }[] | null;
      if (!listed) return;
      const active = listed.filter((s) => s.state === 'active').length;
      result.minActive = result.minActive === null ? active : Math.min(result.minActive, active);
      if (active < count) result.listingsShort++;
    });
  }
  await sampler;
  return result;
}

finishWorker(main);
