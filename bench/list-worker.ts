import * as fs from 'node:fs';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { finishWorker } from './child';
import { loadCore, type StoreModule } from './core';

/**
 * Child process for figure 4: times SessionStore.list() (with state judgement) against a raw
 * readdir + readFile + JSON.parse of the same record files, alternating, after one warm-up.
 * Usage: list-worker <dir> <reps>
 */

export interface ListWorkerResult {
  sessions: number;
  states: Record<string, number>;
  listMs: number[];
  /** fs.promises.readFile at the store's concurrency. */
  rawMs: number[];
  /** fs.readFile (callback; its read loop runs in C++) at the same concurrency. */
  rawCbMs: number[];
  rawSyncMs: number[];
}


const CONCURRENCY = 32; // the store's default read concurrency, so both sides do the same I/O

function readFileCb(file: string): Promise<string> {
  return new Promise((resolve, reject) => fs.readFile(file, 'utf8', (err, text) => (err ? reject(err) : resolve(text))));
}

async function rawAsync(dir: string, read: (file: string) => Promise<string> = (f) => fsp.readFile(f, 'utf8')): Promise<number> {
  const names = (await fsp.readdir(dir)).filter((n) => n.endsWith('.json'));
  let next = 0;
  let parsed = 0;
  const worker = async (): Promise<void> => {
    while (next < names.length) {
      const name = names[next++] as string;
      JSON.parse(await read(path.join(dir, name)));
      parsed++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, names.length) }, worker));
  return parsed;
}

function rawSync(dir: string): number {
  let parsed = 0;
  for (const name of fs.readdirSync(dir)) {
    if (!name.endsWith('.json')) continue;
    JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
    parsed++;
  }
  return parsed;
}

async function time(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function main(): Promise<ListWorkerResult> {
  const [dir, repsArg] = process.argv.slice(2) as [string, string];
  const reps = Number(repsArg);
  const { SessionStore } = loadCore<StoreModule>('session-store');
  const store = new SessionStore(dir, { cleanupOnCreate: false });
  const result: ListWorkerResult = { sessions: 0, states: {}, listMs: [], rawMs: [], rawCbMs: [], rawSyncMs: [] };
  const first = await store.list(); // warm-up, and the state mix for the report
  result.sessions = first.length;
  for (const s of first) result.states[s.state] = (result.states[s.state] ?? 0) + 1;
  await rawAsync(dir);
  await rawAsync(dir, readFileCb);
  for (let i = 0; i < reps; i++) {
    // Alternate the order so neither side always runs right after a GC-heavy one.
    if (i % 2 === 0) {
      result.rawMs.push(await time(() => rawAsync(dir)));
      result.listMs.push(await time(() => store.list()));
    } else {
      result.listMs.push(await time(() => store.list()));
      result.rawMs.push(await time(() => rawAsync(dir)));
    }
    result.rawCbMs.push(await time(() => rawAsync(dir, readFileCb)));
    result.rawSyncMs.push(await time(() => rawSync(dir)));
  }
  return result;
}

finishWorker(main);
