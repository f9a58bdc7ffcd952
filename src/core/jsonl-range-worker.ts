/**
 * Worker-thread entry of the parallel scan (jsonl-parallel.ts): parses one byte range of a file
 * through the descriptor the main thread opened (threads share descriptors), posting progress
 * and then its RangeResult. Loaded only as a worker; imported on the main thread it does nothing.
 * esbuild bundles it to dist/jsonl-range-worker.js next to the CLI (see esbuild.js).
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { parseRangeSync, type ByteRange } from './jsonl-ranges';

/** What the main thread sends a range worker (as workerData). */
export interface RangeJob {
  fd: number;
  range: ByteRange;
  maxLineBytes?: number;
  maxProblems: number;
  chunkBytes: number;
}

/** Messages from a range worker: progress in bytes of its range, then the result or an error. */
export type RangeMessage =
  | { type: 'progress'; bytes: number }
  | { type: 'done'; result: import('./jsonl-ranges').RangeResult }
  | { type: 'error'; message: string; code?: string };

const job = (workerData as { sessionKeeperRange?: RangeJob } | null)?.sessionKeeperRange;
if (!isMainThread && parentPort && job) {
  const port = parentPort;
  try {
    const result = parseRangeSync(job.fd, job.range, {
      maxProblems: job.maxProblems,
      chunkBytes: job.chunkBytes,
      ...(job.maxLineBytes !== undefined ? { maxLineBytes: job.maxLineBytes } : {}),
      onChunk: (bytes) => port.postMessage({ type: 'progress', bytes } satisfies RangeMessage),
    });
    port.postMessage({ type: 'done', result } satisfies RangeMessage);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    port.postMessage({ type: 'error', message: e.message, ...(e.code ? { code: e.code } : {}) } satisfies RangeMessage);
  }
}
