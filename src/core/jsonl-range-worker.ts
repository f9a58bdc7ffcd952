/**
 * Worker-thread entry of the parallel scan (jsonl-parallel.ts): waits for the file's pieces to be
 * published on the shared queue (jsonl-piece-queue.ts), then parses piece after piece through the
 * descriptor the main thread opened (threads share descriptors), posting progress and, at the
 * end, the RangeResult of every piece it took. Loaded only as a worker; imported on the main
 * thread it does nothing. esbuild bundles it to dist/jsonl-range-worker.js next to the CLI (see
 * esbuild.js).
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { PieceQueue, type PieceQueueMemory } from './jsonl-piece-queue';
import { parseRangeSync, type RangeResult } from './jsonl-ranges';
import { scanBuffer } from './byte-search';

/** What the main thread gives a range worker (as workerData). */
export interface RangeJob {
  fd: number;
  queue: PieceQueueMemory;
  maxLineBytes?: number;
  maxProblems: number;
  chunkBytes: number;
}

/** Messages from a range worker: progress in bytes of a piece, then its pieces' results or an error. */
export type RangeMessage =
  | { type: 'progress'; piece: number; bytes: number }
  | { type: 'done'; results: { piece: number; result: RangeResult }[] }
  | { type: 'error'; message: string; code?: string };

const job = (workerData as { sessionKeeperRange?: RangeJob } | null)?.sessionKeeperRange;
if (!isMainThread && parentPort && job) {
  const port = parentPort;
  try {
    const queue = PieceQueue.attach(job.queue);
    const results: { piece: number; result: RangeResult }[] = [];
    if (queue.waitForPieces()) {
      const buf = scanBuffer(job.chunkBytes);
      for (let next = queue.take(); next !== null; next = queue.take()) {
        const piece = next.index;
        const result = parseRangeSync(job.fd, next.range, {
          maxProblems: job.maxProblems,
          chunkBytes: job.chunkBytes,
          buffer: buf,
          ...(job.maxLineBytes !== undefined ? { maxLineBytes: job.maxLineBytes } : {}),
          onChunk: (bytes) => port.postMessage({ type: 'progress', piece, bytes } satisfies RangeMessage),
        });
        results.push({ piece, result });
      }
    }
    port.postMessage({ type: 'done', results } satisfies RangeMessage);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    port.postMessage({ type: 'error', message: e.message, ...(e.code ? { code: e.code } : {}) } satisfies RangeMessage);
  }
}
