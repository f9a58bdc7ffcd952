/**
 * The parallel scan: statistics and problems of a large JSONL file from several threads. The
 * file is cut into line-aligned pieces (jsonl-ranges.ts) on a shared queue (jsonl-piece-queue.ts);
 * this thread and the worker threads (jsonl-range-worker.ts) take piece after piece, all reading
 * through the same open descriptor, and the pieces' results are merged in file order, identical
 * to one pass (records, problems with their lines and offsets, statistics). Values are never
 * built on this path.
 *
 * Why pieces rather than one range per thread: a worker starts tens of milliseconds after this
 * thread (its own start-up), and threads are slowed unevenly on a shared machine; with many
 * pieces each thread does what it can and they finish together. The workers are started first,
 * so their start-up overlaps the split.
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
import { PieceQueue } from './jsonl-piece-queue';
import { releaseScanBuffer, scanBuffer } from './byte-search';
import { mergeRanges, parseRangeSync, splitAtLines, type RangeResult } from './jsonl-ranges';
import type { RangeJob, RangeMessage } from './jsonl-range-worker';
import { detectEncoding } from './text-encoding';

/**
 * Below this many bytes per thread a worker costs more than it saves: it starts and warms up for
 * about 60-100 ms before it parses at full speed (measured on the benchmark machine, where one
 * thread parses about 4 MB in 5 ms), and two threads then run at 1.2-1.9x one depending on the
 * machine's cores. Measured: 200 MB files were as fast or slower with 2 threads than with 1,
 * 1 GB files 1.5x faster.
 */
export const DEFAULT_MIN_BYTES_PER_THREAD = 128 * 1024 * 1024;

/** Pieces are a quarter of minBytesPerThread (4 MiB by default), and at most this many. */
const MAX_PIECES = 64;

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
  const minBytes = Math.max(1, options.minBytesPerThread ?? DEFAULT_MIN_BYTES_PER_THREAD);
  const threads = Math.min(Math.floor(options.threads), Math.floor(size / minBytes));
  if (threads < 2) return null;
  const script = findWorkerScript();
  if (script === null) return null;
  options.signal?.throwIfAborted();

  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const maxPieces = Math.max(threads, Math.min(MAX_PIECES, Math.floor(size / Math.max(1, Math.floor(minBytes / 4)))));
  const queue = PieceQueue.create(maxPieces);
  const done: number[] = [];
  const progress = (piece: number, bytes: number): void => {
    done[piece] = bytes;
    if (options.onProgress) options.onProgress(done.reduce((a, b) => a + (b ?? 0), 0), size);
  };
  const workers: Worker[] = [];
  const job: RangeJob = { fd: fh.fd, queue: queue.memory, maxProblems: options.maxProblems, chunkBytes, ...(options.maxLineBytes !== undefined ? { maxLineBytes: options.maxLineBytes } : {}) };
  // Started before the split, so that their start-up overlaps it; they wait on the queue.
  const running = Array.from({ length: threads - 1 }, () => runWorker(script, job, workers, options.signal, progress));
  // Settled below whatever happens; until then a rejection must not count as unhandled.
  for (const r of running) r.catch(() => undefined);
  try {
    const head = Buffer.alloc(128);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    const pieces = detectEncoding(head, bytesRead) === null ? splitAtLines(fh.fd, size, maxPieces) : [];
    if (pieces.length < 2) {
      queue.cancel();
      return null;
    }
    queue.publish(pieces);
    const [here, ...there] = await Promise.all([parsePiecesHere(fh, queue, options, chunkBytes, progress), ...running]);
    const byPiece = new Array<RangeResult>(pieces.length);
    for (const { piece, result } of [here ?? [], ...there].flat()) byPiece[piece] = result;
    // A piece that came up short met the end of a file cut short meanwhile (it is read without
    // its lock). The pieces are read in no set order, so a later one may hold bytes read before
    // the cut: keep what a read in order would have, the pieces up to the first short one.
    const short = pieces.findIndex((p, i) => (byPiece[i] as RangeResult).stats.bytes < p.end - p.start);
    return mergeRanges(short < 0 ? byPiece : byPiece.slice(0, short + 1), options.maxProblems);
  } finally {
    queue.cancel();
    // Before the caller closes the descriptor the workers read through.
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/**
 * This thread's share: piece after piece from the queue. Reads are synchronous: while the
 * workers keep the cores busy, a read handed to the thread pool waits for a core of its own, and
 * this thread sat idle meanwhile (measured: about 15 % of its time). A 1 MiB read from the page
 * cache takes a fraction of a millisecond, less than parsing the chunk it brings; the event loop
 * still turns between chunks (progress, the workers' messages, an abort).
 */
async function parsePiecesHere(
  fh: FileHandle,
  queue: PieceQueue,
  options: ParallelScanOptions,
  chunkBytes: number,
  onChunk: (piece: number, bytes: number) => void,
): Promise<{ piece: number; result: RangeResult }[]> {
  const buffer = scanBuffer(chunkBytes);
  const results: { piece: number; result: RangeResult }[] = [];
  try {
    for (let next = queue.take(); next !== null; next = queue.take()) {
      const piece = next.index;
      const result = parseRangeSync(fh.fd, next.range, {
        maxProblems: options.maxProblems,
        chunkBytes,
        buffer,
        ...(options.maxLineBytes !== undefined ? { maxLineBytes: options.maxLineBytes } : {}),
        onChunk: (bytes) => onChunk(piece, bytes),
      });
      results.push({ piece, result });
      options.signal?.throwIfAborted();
      await new Promise<void>((resolve) => setImmediate(resolve));
      options.signal?.throwIfAborted();
    }
  } finally {
    releaseScanBuffer(buffer);
  }
  return results;
}

function runWorker(
  script: string,
  job: RangeJob,
  workers: Worker[],
  signal: AbortSignal | undefined,
  onProgress: (piece: number, bytes: number) => void,
): Promise<{ piece: number; result: RangeResult }[]> {
  return new Promise((resolve, reject) => {
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
      if (m.type === 'progress') {
        // Thrown here it would escape from an event handler and end the process; the caller's
        // onProgress may throw (to stop, say), and on one thread that rejects the scan.
        try {
          onProgress(m.piece, m.bytes);
        } catch (err) {
          settle(() => reject(err));
        }
      } else if (m.type === 'done') settle(() => resolve(m.results));
      else settle(() => reject(new ScanWorkerError(m.code ?? 'ESCANWORKER', m.message)));
    });
    worker.on('error', (err) => settle(() => reject(new ScanWorkerError('ESCANWORKER', `scan worker failed: ${err.message}`))));
    worker.on('exit', (code) => settle(() => reject(new ScanWorkerError('ESCANWORKER', `scan worker exited (${code}) before its result`))));
  });
}
