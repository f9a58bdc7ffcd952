/**
 * The parallel scan: statistics and problems of a large JSONL file from several threads. The
 * file is split into byte ranges at line boundaries (jsonl-ranges.ts); this thread parses the
 * first range while worker threads (jsonl-range-worker.ts) parse the others through the same
 * open descriptor, and the results are merged in file order, identical to one pass (records,
 * problems with their lines and offsets, statistics). Values are never built on this path.
 *
 * Used by scanJsonl when asked for `threads` > 1 and no per-record or per-problem callback is
 * given (the result is the statistics and the first problems), the file is at least
 * `minBytesPerThread` per thread, its start is UTF-8 (UTF-16/32 files take the one-thread path,
 * which reports them), and the worker script is next to this module (dist/ bundles other than
 * the CLI's fall back to one thread).
 */
import { existsSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { SessionKeeperError } from './errors';
import { DEFAULT_CHUNK_BYTES, type JsonlProblem, type JsonlStats } from './jsonl-problems';
import { mergeRanges, rangeParser, splitAtLines, type ByteRange, type RangeResult } from './jsonl-ranges';
import type { RangeJob, RangeMessage } from './jsonl-range-worker';
import { detectEncoding } from './text-encoding';

/** Below this many bytes per thread a worker costs more (start-up, about 30 ms) than it saves. */
export const DEFAULT_MIN_BYTES_PER_THREAD = 16 * 1024 * 1024;

/** A worker thread of the parallel scan failed (its read failed, or it died). `code` is the read's errno code when there was one. */
export class ScanWorkerError extends SessionKeeperError {
  constructor(code: string, message: string) {
    super(code, message);
  }
}

let workerScript: string | null | undefined;

/** Where the worker script is (next to this module, or next to the bundle that holds it), or null. */
function findWorkerScript(): string | null {
  if (workerScript !== undefined) return workerScript;
  const candidates = [path.join(__dirname, 'jsonl-range-worker.js'), path.join(__dirname, '..', 'jsonl-range-worker.js')];
  workerScript = candidates.find((c) => existsSync(c)) ?? null;
  return workerScript;
}

export interface ParallelScanOptions {
  threads: number;
  minBytesPerThread?: number;
  maxLineBytes?: number;
  chunkBytes?: number;
  maxProblems: number;
  signal?: AbortSignal;
  onProgress?(bytesDone: number, total: number): void;
}

/**
 * Scans the open regular file `fh` of `size` bytes in parallel, or returns null when the file is
 * too small for the threads asked, not UTF-8 at its start, or workers are unavailable (the caller
 * then reads it on one thread). Rejects with the signal's reason when aborted, or with a
 * ScanWorkerError; every worker is stopped before it settles.
 */
export async function scanInParallel(
  fh: FileHandle,
  size: number,
  options: ParallelScanOptions,
): Promise<(JsonlStats & { problems: JsonlProblem[] }) | null> {
  const minBytes = options.minBytesPerThread ?? DEFAULT_MIN_BYTES_PER_THREAD;
  const threads = Math.min(Math.floor(options.threads), Math.floor(size / Math.max(1, minBytes)));
  if (threads < 2) return null;
  const script = findWorkerScript();
  if (script === null) return null;
  const head = Buffer.alloc(128);
  const { bytesRead } = await fh.read(head, 0, head.length, 0);
  if (detectEncoding(head, bytesRead) !== null) return null;
  const ranges = splitAtLines(fh.fd, size, threads);
  if (ranges.length < 2) return null;

  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const done = new Array<number>(ranges.length).fill(0);
  const progress = (i: number, bytes: number): void => {
    done[i] = bytes;
    options.onProgress?.(
      done.reduce((a, b) => a + b, 0),
      size,
    );
  };
  const workers: Worker[] = [];
  try {
    const results = await Promise.all([
      parseRangeHere(fh, ranges[0] as ByteRange, options, chunkBytes, (b) => progress(0, b)),
      ...ranges.slice(1).map((range, k) => runWorker(script, { fd: fh.fd, range, maxProblems: options.maxProblems, chunkBytes, ...(options.maxLineBytes !== undefined ? { maxLineBytes: options.maxLineBytes } : {}) }, workers, options.signal, (b) => progress(k + 1, b))),
    ]);
    return mergeRanges(results, options.maxProblems);
  } finally {
    // Before the caller closes the descriptor the workers read through.
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** This thread's range, read asynchronously so the event loop keeps turning between chunks. */
async function parseRangeHere(
  fh: FileHandle,
  range: ByteRange,
  options: ParallelScanOptions,
  chunkBytes: number,
  onChunk: (bytes: number) => void,
): Promise<RangeResult> {
  const { parser, problems } = rangeParser(range, options.maxLineBytes, options.maxProblems);
  const buf = Buffer.allocUnsafe(chunkBytes);
  let pos = range.start;
  while (pos < range.end) {
    options.signal?.throwIfAborted();
    const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, range.end - pos), pos);
    if (bytesRead <= 0) break;
    parser.push(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead));
    pos += bytesRead;
    onChunk(pos - range.start);
  }
  return { stats: parser.end(), problems };
}

function runWorker(script: string, job: RangeJob, workers: Worker[], signal: AbortSignal | undefined, onProgress: (bytes: number) => void): Promise<RangeResult> {
  return new Promise<RangeResult>((resolve, reject) => {
    signal?.throwIfAborted();
    const worker = new Worker(script, { workerData: { sessionKeeperRange: job } });
    workers.push(worker);
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = (): void => settle(() => reject(signal?.reason));
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (m: RangeMessage) => {
      if (m.type === 'progress') onProgress(m.bytes);
      else if (m.type === 'done') settle(() => resolve(m.result));
      else settle(() => reject(new ScanWorkerError(m.code ?? 'ESCANWORKER', m.message)));
    });
    worker.on('error', (err) => settle(() => reject(new ScanWorkerError('ESCANWORKER', `scan worker failed: ${err.message}`))));
    worker.on('exit', (code) => settle(() => reject(new ScanWorkerError('ESCANWORKER', `scan worker exited (${code}) before its result`))));
  });
}
