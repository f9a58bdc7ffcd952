/**
 * Appends one JSON value as one line to a JSONL file, under the file's lock.
 *
 * Why the lock although O_APPEND writes are atomic-ish: the torn-tail check below (read the last
 * byte, maybe prefix a newline) is a read-then-write that must not race another appender, and
 * repair replaces the file by rename, which must not lose an append made meanwhile.
 */
import { closeSync, constants as fsConstants, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { FileReplacedError } from './file-errors';
import { notRegularFile } from './jsonl-reader';
import { LockCompromisedError, withLock, type LockOptions } from './lock';

export interface AppendOptions {
  lock?: LockOptions;
  /** fsync the file after the write (durable against power loss; slower). Default false. */
  fsync?: boolean;
  /**
   * The file that was checked (fs.Stats dev and ino): the append refuses, writing nothing, when
   * the path now opens a different file (swapped for a symlink or another file since the check).
   */
  expectFile?: { dev: number; ino: number };
}

const NEWLINE = 0x0a;
const NEWLINE_BUFFER = Buffer.from('\n');

/** Serialises a record to one JSON line, rejecting what JSON cannot represent. */
export function serialiseRecord(record: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(record);
  } catch (err) {
    // Cycles and BigInt end up here.
    throw new TypeError(`Record is not JSON-serialisable: ${(err as Error).message}`, { cause: err });
  }
  if (text === undefined) {
    // undefined, functions and symbols serialise to nothing.
    throw new TypeError(`Record is not JSON-serialisable: ${typeof record} has no JSON representation`);
  }
  return text;
}

// A lone surrogate cannot be encoded as UTF-8; writing it would silently turn it into U+FFFD.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Validates already-serialised JSON text (e.g. from the command line) as exactly one JSON value
 * and returns it as one line. Line breaks can only be insignificant whitespace in valid JSON
 * (strings cannot contain raw control characters), so they are replaced by spaces: the value is
 * unchanged and the text stays on one line.
 */
export function validateJsonLine(jsonText: string): string {
  if (typeof jsonText !== 'string') throw new TypeError('JSON text must be a string');
  try {
    JSON.parse(jsonText);
  } catch (err) {
    throw new SyntaxError(`Not a single valid JSON value: ${(err as Error).message}`, { cause: err });
  }
  if (LONE_SURROGATE.test(jsonText)) {
    throw new SyntaxError('JSON text contains a lone UTF-16 surrogate, which cannot be stored as UTF-8');
  }
  return jsonText.includes('\n') || jsonText.includes('\r') ? jsonText.replace(/[\r\n]/g, ' ') : jsonText;
}

// 'a+' (not 'a') so we can pread the last byte; writes still go to the end (O_APPEND).
// O_NONBLOCK: a FIFO must not block us (it is refused below anyway).
const APPEND_FLAGS =
  fsConstants.O_RDWR | fsConstants.O_APPEND | fsConstants.O_CREAT | (fsConstants.O_NONBLOCK ?? 0);

/**
 * The write under the lock; returns the file's size before it (where the record went, unless a
 * writer that bypasses the lock appended in between). Synchronous on purpose: it is a handful of syscalls on one small
 * local write, and doing them in one event-loop turn (instead of as many thread-pool round
 * trips) is what keeps the lock's hold time, and so every other writer's wait, short.
 */
function appendLocked(file: string, data: Buffer, fsync: boolean, expect?: { dev: number; ino: number }): number {
  // A checked file (expect) already exists: never create one, so a path re-pointed meanwhile
  // cannot leave an empty file where it now leads.
  const flags = expect ? (APPEND_FLAGS & ~fsConstants.O_CREAT) | (fsConstants.O_NOFOLLOW ?? 0) : APPEND_FLAGS;
  const fd = openSync(file, flags, 0o600);
  try {
    const st = fstatSync(fd);
    // A FIFO or a device would take the record and keep nothing: an acknowledged record lost.
    if (!st.isFile()) throw notRegularFile(file);
    if (expect && (st.dev !== expect.dev || st.ino !== expect.ino)) {
      throw new FileReplacedError(file);
    }
    const size = st.size;
    if (size > 0) {
      const last = Buffer.alloc(1);
      readSync(fd, last, 0, 1, size - 1);
      // A torn tail (crash mid-write) must not swallow this record into its line.
      if (last[0] !== NEWLINE) data = Buffer.concat([NEWLINE_BUFFER, data]);
    }
    try {
      let written = 0;
      // One write call; the loop only matters for the (rare) short write.
      while (written < data.length) written += writeSync(fd, data, written, data.length - written);
      if (fsync) fsyncSync(fd);
      return size;
    } catch (err) {
      // ENOSPC, EFBIG...: take back the part that did get written, so that the failure leaves the
      // file as it was instead of a torn line. We hold the lock, so nobody appended after us.
      try {
        ftruncateSync(fd, size);
      } catch {
        // Nothing more we can do; the reader and repair cope with a torn line.
      }
      throw err;
    }
  } finally {
    closeSync(fd);
  }
}

async function appendLine(file: string, line: string, options: AppendOptions): Promise<void> {
  const data = Buffer.from(line + '\n', 'utf8');
  // The lease's target is the canonical path the lock is named after: writing to it (not to a
  // symlink that might be re-pointed meanwhile) keeps the lock and the written file the same.
  // No assertHeld() here: acquiring and writing happen in one synchronous turn.
  let wroteAt: number | null = null;
  try {
    await withLock(file, (_signal, lease) => {
      wroteAt = appendLocked(lease.target, data, options.fsync === true, options.expectFile);
      // All synchronous: the lock can be kept for this process's next append (lock-keep.ts).
      // Not in a worker thread: Worker.terminate() ends a thread without running any more of its
      // code, so a lock it kept would stay behind until stale (and block writers meanwhile).
    }, options.lock, isMainThread);
  } catch (err) {
    // The write completed, and only then was the lock found lost (this process was stopped or
    // starved past the stale threshold during it): say what is known, so that nobody retries
    // blindly and writes the record twice.
    if (wroteAt !== null && err instanceof LockCompromisedError) {
      throw new LockCompromisedError(
        err.file,
        err.reason,
        { cause: err },
        `the record (${data.length} bytes) WAS written completely, at offset ${wroteAt} as the file was when writing began; ` +
          'another writer may have written to the file at the same time, so check the file before retrying (a retry may duplicate the record)',
      );
    }
    throw err;
  }
}

/**
 * Appends `record` as one JSON line to `file` (created with mode 0600 if missing).
 * Throws TypeError, and writes nothing, if the record has no JSON representation.
 */
export async function appendJsonl(file: string, record: unknown, options: AppendOptions = {}): Promise<void> {
  await appendLine(file, serialiseRecord(record), options);
}

/**
 * Appends already-serialised JSON text as one line. Throws SyntaxError, and writes nothing,
 * unless the text is exactly one valid JSON value.
 */
export async function appendJsonlLine(file: string, jsonText: string, options: AppendOptions = {}): Promise<void> {
  await appendLine(file, validateJsonLine(jsonText), options);
}
