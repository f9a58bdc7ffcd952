/**
 * Streaming, self-healing JSONL reader: reads files through the push parser (jsonl-parser.ts,
 * whose header says how every byte is classified) with bounded memory, two read buffers so the
 * next read overlaps parsing, progress, abort, and refusal of anything but a regular file.
 *
 * The reader does not take the file's lock: it reads up to the size the file had when opened,
 * and a record being appended at that instant may show as a torn tail.
 */
import { promises as fsp, constants as fsConstants, readSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { NotRegularFileError } from './file-errors';
import {
  JsonlParser,
  emptyStats,
  DEFAULT_CHUNK_BYTES,
  DEFAULT_MAX_PROBLEMS,
  type JsonlProblem,
  type JsonlRecord,
  type JsonlStats,
} from './jsonl-parser';
import { scanInParallel } from './jsonl-parallel';
import { releaseScanBuffer, scanBuffer } from './byte-search';

// Everything about records, problems and statistics is the parser's; importers use this module.
export * from './jsonl-parser';

export interface ReadOptions {
  /**
   * Lines longer than this are never held in memory: they are validated by streaming, and are
   * an oversized record when valid, else a 'too-long' problem. Default 16 MiB.
   */
  maxLineBytes?: number;
  /** Read size. Default 1 MiB. */
  chunkBytes?: number;
  signal?: AbortSignal;
  onProgress?(bytesDone: number, total: number): void;
}

/** Where a valid record longer than maxLineBytes is; its value is not read. */
export interface OversizedRecord {
  line: number;
  offset: number;
  length: number;
}

export interface ScanOptions extends ReadOptions {
  onRecord?(record: JsonlRecord): void;
  onOversizedRecord?(record: OversizedRecord): void;
  onProblem?(problem: JsonlProblem): void;
  /** Cap of the returned problem list (counts stay exact). Default 1000. */
  maxProblems?: number;
  /**
   * Threads to scan with (this one plus worker threads, taking pieces split at line ends,
   * merged in order: the same result as one thread; see jsonl-parallel.ts). Only used without
   * onRecord, onProblem and onOversizedRecord, on a UTF-8 file of at least `minBytesPerThread`
   * per thread. Default 1.
   */
  threads?: number;
  /** Least bytes per thread for `threads` to apply (a worker's start-up must pay off). Default 128 MiB. */
  minBytesPerThread?: number;
}

/** JSONL lives in regular files; FIFOs and devices would block or never end. */
export function notRegularFile(file: string): NotRegularFileError {
  return new NotRegularFileError(file);
}

function checkChunkBytes(n: number | undefined): number {
  const size = n ?? DEFAULT_CHUNK_BYTES;
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`chunkBytes must be a positive integer, got ${size}`);
  return size;
}

/** The longest a scan runs without giving the event loop a turn, in ms. */
const EVENT_LOOP_TURN_MS = 8;

/**
 * Reads `file` chunk by chunk and feeds the parser, yielding after each chunk (and giving the
 * event loop a turn every EVENT_LOOP_TURN_MS); returns the parser's final statistics.
 */
export async function* parseFileChunks(
  file: string,
  parser: JsonlParser,
  options: ReadOptions,
  /**
   * The most bytes fed to the parser between two yields (default: a whole chunk). The record
   * iterator feeds less, so fewer records wait in its batch at a time (see RecordIterator).
   */
  pieceBytes = Infinity,
): AsyncGenerator<void, JsonlStats> {
  const chunkBytes = checkChunkBytes(options.chunkBytes);
  const { signal, onProgress } = options;
  signal?.throwIfAborted();
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, forever.
  const fh = await fsp.open(file, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw notRegularFile(file);
    const total = st.size;
    // From the fast byte searches' memory when there is room (byte-search.ts); given back below.
    const buffer = scanBuffer(chunkBytes);
    let position = 0;
    let turned = performance.now();
    try {
      while (position < total) {
        // Synchronous: a read from the page cache takes a fraction of the time its chunk's parse
        // does, and the thread pool's round trip (and its wait for a free core) cost more than
        // the read itself (measured: about 15 % of a scan on the benchmark machine).
        const got = readSync(fh.fd, buffer, 0, Math.min(buffer.length, total - position), position);
        if (got === 0) break;
        position += got;
        const chunk = got === buffer.length ? buffer : buffer.subarray(0, got);
        if (got <= pieceBytes) {
          parser.push(chunk);
          onProgress?.(position, total);
          yield;
        } else {
          for (let from = 0; from < got; from += pieceBytes) {
            parser.push(chunk.subarray(from, Math.min(got, from + pieceBytes)));
            onProgress?.(position - got + Math.min(got, from + pieceBytes), total);
            yield;
          }
        }
        // A yield only reaches the consumer (microtasks); the event loop itself gets a turn every
        // few milliseconds, so that a long scan in the extension host never blocks it for long.
        if (performance.now() - turned > EVENT_LOOP_TURN_MS) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          turned = performance.now();
        }
        signal?.throwIfAborted();
      }
      return parser.end();
    } finally {
      releaseScanBuffer(buffer);
    }
  } finally {
    await fh.close();
  }
}

/**
 * How much of a chunk the record iterator parses at a time. Its batch holds the records of one
 * piece until the caller takes them: with whole 1 MiB chunks that was about a thousand records
 * alive at every young-generation collection, copied and promoted, which cost about 5 MB of peak
 * RSS on a 1 GB file (docs/benchmarks.md, figure 1); reads stay one chunk each.
 */
const ITERATOR_PIECE_BYTES = 128 * 1024;

/**
 * The iterator behind readJsonl. Hand-written rather than an async generator function: records
 * arrive in batches (one per chunk), and serving a buffered record straight from the batch costs
 * a fraction of an async generator's resume-and-await per `yield`, which matters at ~1M records/s.
 */
class RecordIterator implements AsyncGenerator<JsonlRecord, JsonlStats> {
  // Served slots are cleared so records the caller dropped can be collected young (peak RSS).
  private readonly batch: (JsonlRecord | undefined)[] = [];
  private index = 0;
  private finished: JsonlStats | null = null;
  /** Set while a call that needs I/O runs; later calls queue behind it to keep order. */
  private busy: Promise<unknown> | null = null;
  private readonly chunks: AsyncGenerator<void, JsonlStats>;

  constructor(file: string, options: ReadOptions) {
    const batch = this.batch;
    const parser = new JsonlParser(
      {
        record(value, line, offset, length, recovered) {
          batch.push({ value, line, offset, length, recovered });
        },
        problem() {},
      },
      options,
    );
    this.chunks = parseFileChunks(file, parser, options, ITERATOR_PIECE_BYTES);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<JsonlRecord, JsonlStats>> {
    if (this.busy === null && this.index < this.batch.length) {
      return Promise.resolve({ value: this.take(), done: false });
    }
    return this.serialise(() => this.fill());
  }

  return(value?: JsonlStats | PromiseLike<JsonlStats>): Promise<IteratorResult<JsonlRecord, JsonlStats>> {
    return this.serialise(async () => {
      this.batch.length = 0;
      this.index = 0;
      await this.chunks.return(undefined as unknown as JsonlStats);
      const stats = (await value) ?? this.finished ?? this.partialStatsUnavailable();
      this.finished = stats;
      return { value: stats, done: true };
    });
  }

  throw(err: unknown): Promise<IteratorResult<JsonlRecord, JsonlStats>> {
    return this.serialise(async () => {
      this.batch.length = 0;
      this.index = 0;
      await this.chunks.return(undefined as unknown as JsonlStats);
      this.finished ??= this.partialStatsUnavailable();
      throw err;
    });
  }

  private partialStatsUnavailable(): JsonlStats {
    // Stopped early: there are no final statistics for an unread file.
    return emptyStats();
  }

  private serialise<R>(op: () => Promise<R>): Promise<R> {
    const prev = this.busy;
    const run = prev ? prev.then(op, op) : op();
    this.busy = run;
    const clear = (): void => {
      if (this.busy === run) this.busy = null;
    };
    run.then(clear, clear);
    return run;
  }

  private take(): JsonlRecord {
    const value = this.batch[this.index] as JsonlRecord;
    this.batch[this.index++] = undefined;
    return value;
  }

  private async fill(): Promise<IteratorResult<JsonlRecord, JsonlStats>> {
    for (;;) {
      if (this.index < this.batch.length) return { value: this.take(), done: false };
      if (this.finished) return { value: this.finished, done: true };
      this.batch.length = 0;
      this.index = 0;
      const step = await this.chunks.next();
      if (step.done) this.finished = step.value ?? this.partialStatsUnavailable();
    }
  }
}

/**
 * Yields the file's records in order; the iterator's return value is the statistics.
 * Problems are skipped here; use scanJsonl to see them. Oversized records (valid lines longer
 * than maxLineBytes) are not yielded, since their values are never read: `stats.oversized`
 * counts them, and scanJsonl's onOversizedRecord says where they are. Breaking out of a for-await loop closes
 * the file.
 */
export function readJsonl(file: string, options: ReadOptions = {}): AsyncGenerator<JsonlRecord, JsonlStats> {
  return new RecordIterator(file, options);
}

/**
 * Reads the whole file through callbacks and returns statistics plus the first problems.
 * Record values are only built when onRecord is given (otherwise lines are checked on their
 * bytes: the same records, problems and offsets). Rejects with ENOENT and the like, with
 * ENOTREGULAR for anything but a regular file, with the signal's reason when aborted.
 */
export async function scanJsonl(
  file: string,
  options: ScanOptions = {},
): Promise<JsonlStats & { problems: JsonlProblem[] }> {
  const { onRecord, onProblem, onOversizedRecord } = options;
  const maxProblems = options.maxProblems ?? DEFAULT_MAX_PROBLEMS;
  // Checked here, not only by the one-thread read: the parallel scan would read nothing with it.
  checkChunkBytes(options.chunkBytes);
  if ((options.threads ?? 1) > 1 && !onRecord && !onProblem && !onOversizedRecord) {
    const parallel = await tryParallel(file, options, maxProblems);
    if (parallel) return parallel;
  }
  const problems: JsonlProblem[] = [];
  const parser = new JsonlParser(
    {
      record: onRecord
        ? (value, line, offset, length, recovered) => onRecord({ value, line, offset, length, recovered })
        : () => undefined,
      problem(p) {
        if (problems.length < maxProblems) problems.push(p);
        onProblem?.(p);
      },
      ...(onOversizedRecord ? { oversizedRecord: (line: number, offset: number, length: number) => onOversizedRecord({ line, offset, length }) } : {}),
    },
    { ...(options.maxLineBytes !== undefined ? { maxLineBytes: options.maxLineBytes } : {}), values: onRecord !== undefined },
  );
  const chunks = parseFileChunks(file, parser, options);
  for (;;) {
    const step = await chunks.next();
    if (step.done) return { ...step.value, problems };
  }
}

/** The parallel scan of `file`, or null when it does not apply (see jsonl-parallel.ts). */
async function tryParallel(file: string, options: ScanOptions, maxProblems: number): Promise<(JsonlStats & { problems: JsonlProblem[] }) | null> {
  options.signal?.throwIfAborted();
  const fh = await fsp.open(file, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw notRegularFile(file);
    return await scanInParallel(fh, st.size, {
      threads: options.threads ?? 1,
      maxProblems,
      ...(options.minBytesPerThread !== undefined ? { minBytesPerThread: options.minBytesPerThread } : {}),
      ...(options.maxLineBytes !== undefined ? { maxLineBytes: options.maxLineBytes } : {}),
      ...(options.chunkBytes !== undefined ? { chunkBytes: options.chunkBytes } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
  } finally {
    await fh.close();
  }
}
