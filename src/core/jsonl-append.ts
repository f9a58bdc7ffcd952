/**
 * Appends one JSON value as one line to a JSONL file, under the file's lock.
 *
 * Why the lock although O_APPEND writes are atomic-ish: the torn-tail check below (read the last
 * byte, maybe prefix a newline) is a read-then-write that must not race another appender, and
 * repair replaces the file by rename, which must not lose an append made meanwhile.
 */
import { promises as fsp } from 'node:fs';
import { withLock, type LockOptions } from './lock';

export interface AppendOptions {
  lock?: LockOptions;
  /** fsync the file after the write (durable against power loss; slower). Default false. */
  fsync?: boolean;
}

const NEWLINE = 0x0a;

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

async function appendLine(file: string, line: string, options: AppendOptions): Promise<void> {
  const body = Buffer.from(line + '\n', 'utf8');
  await withLock(
    file,
    async () => {
      // 'a+' (not 'a') so we can pread the last byte; writes still go to the end (O_APPEND).
      const fh = await fsp.open(file, 'a+', 0o600);
      try {
        const { size } = await fh.stat();
        let data = body;
        if (size > 0) {
          const last = Buffer.alloc(1);
          await fh.read(last, 0, 1, size - 1);
          // A torn tail (crash mid-write) must not swallow this record into its line.
          if (last[0] !== NEWLINE) data = Buffer.concat([Buffer.from('\n'), body]);
        }
        let written = 0;
        // One write call; the loop only matters for the (rare) short write.
        while (written < data.length) {
          const { bytesWritten } = await fh.write(data, written, data.length - written);
          written += bytesWritten;
        }
        if (options.fsync) await fh.sync();
      } finally {
        await fh.close();
      }
    },
    options.lock,
  );
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
