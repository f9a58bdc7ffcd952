// `--max-line-bytes N` of check and repair.
import { DEFAULT_MAX_LINE_BYTES } from '../../core/jsonl-reader';
import { UsageError } from '../context';

/**
 * Upper bound of --max-line-bytes: a line up to the limit is decoded into one string, and V8
 * strings stop at about 512 Mi characters; 256 MiB leaves room for any UTF-8.
 */
export const MAX_LINE_BYTES_LIMIT = 256 * 1024 * 1024;

/** The --max-line-bytes value in bytes (default 16 MiB); a UsageError when it is not an integer 1..256 MiB. */
export function maxLineBytesOption(command: string, value: string | boolean | string[] | undefined): number {
  if (value === undefined) return DEFAULT_MAX_LINE_BYTES;
  const text = typeof value === 'string' ? value : '';
  const n = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= MAX_LINE_BYTES_LIMIT)) {
    throw new UsageError(
      `${command}: --max-line-bytes must be a whole number of bytes from 1 to ${MAX_LINE_BYTES_LIMIT}, got ${JSON.stringify(text)}`,
      command,
    );
  }
  return n;
}
