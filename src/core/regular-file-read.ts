// Reads a small file that must be a regular file, without following symlinks and without ever
// blocking on a FIFO or device. Used for session records, which anyone can drop into the
// sessions directory. Callback fs is used because it is markedly faster than FileHandle when
// thousands of records are read per listing.
import * as fs from 'node:fs';
import { SessionKeeperError } from './errors';

const { O_RDONLY, O_NOFOLLOW = 0, O_NONBLOCK = 0 } = fs.constants;
const OPEN_FLAGS = O_RDONLY | O_NOFOLLOW | O_NONBLOCK;

export type ReadFailureKind = 'missing' | 'symlink' | 'not-a-file' | 'too-large' | 'unreadable';

/**
 * A file that could not be read as a small regular file; `kind` says why. Like an fs error,
 * `code` is the system's code when a system call failed (ENOENT, ELOOP, EACCES…, also in
 * `errno`); otherwise `ENOTREGULAR` (not a regular file) or `EFILETOOLARGE` (over the limit).
 */
export class RegularFileReadError extends SessionKeeperError {
  constructor(
    readonly kind: ReadFailureKind,
    readonly file: string,
    message: string,
    readonly errno?: string,
  ) {
    super(errno ?? (kind === 'too-large' ? 'EFILETOOLARGE' : kind === 'not-a-file' ? 'ENOTREGULAR' : 'EFILEREAD'), message);
  }
}

/** Reads `file` whole if it is a regular file of at most `maxBytes`. */
export function readRegularFile(file: string, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    fs.open(file, OPEN_FLAGS, (openErr, fd) => {
      if (openErr) return reject(classifyOpenError(file, openErr));
      const finish = (err: RegularFileReadError | null, data?: Buffer): void => {
        fs.close(fd, () => (err ? reject(err) : resolve(data as Buffer)));
      };
      fs.fstat(fd, (statErr, st) => {
        if (statErr) return finish(unreadable(file, statErr));
        // Re-check after open: the name may have been swapped since the caller's readdir/lstat.
        if (!st.isFile()) return finish(new RegularFileReadError('not-a-file', file, `${file} is not a regular file`));
        if (st.size > maxBytes) {
          return finish(new RegularFileReadError('too-large', file, `${file} is ${st.size} bytes, the limit is ${maxBytes}`));
        }
        // Exactly the size fstat saw: record files are replaced by rename, never grown in place.
        const buf = Buffer.allocUnsafe(st.size);
        let filled = 0;
        const readMore = (): void => {
          if (filled === buf.length) return finish(null, buf);
          fs.read(fd, buf, filled, buf.length - filled, null, (readErr, n) => {
            if (readErr) return finish(unreadable(file, readErr));
            if (n === 0) return finish(null, buf.subarray(0, filled));
            filled += n;
            readMore();
          });
        };
        readMore();
      });
    });
  });
}

function classifyOpenError(file: string, err: NodeJS.ErrnoException): RegularFileReadError {
  switch (err.code) {
    case 'ENOENT':
      return new RegularFileReadError('missing', file, `${file} does not exist`, err.code);
    case 'ELOOP': // O_NOFOLLOW on a symlink
    case 'EMLINK': // the same, on FreeBSD
      return new RegularFileReadError('symlink', file, `${file} is a symbolic link; not followed`, err.code);
    case 'EISDIR':
    case 'ENXIO': // a socket, or a FIFO with no writer on some systems
      return new RegularFileReadError('not-a-file', file, `${file} is not a regular file`, err.code);
    default:
      return unreadable(file, err);
  }
}

function unreadable(file: string, err: NodeJS.ErrnoException): RegularFileReadError {
  return new RegularFileReadError('unreadable', file, `cannot read ${file}: ${err.code ?? err.message}`, err.code);
}

/**
 * Synchronous variant for listings. Reading thousands of records asynchronously spends most of
 * the time on thread-pool round trips; short synchronous slices (callers yield in between) are
 * several times faster. It skips fstat as well: the caller has already seen a regular file in
 * readdir, O_NOFOLLOW refuses a symlink swapped in since, O_NONBLOCK keeps a FIFO from
 * blocking, and reading stops after `maxBytes` whatever the name now points to.
 * `scratch` (reused across calls) avoids an allocation per file; the result is a fresh string.
 */
export function readRegularFileSync(file: string, maxBytes: number, scratch: Buffer = Buffer.allocUnsafe(64 * 1024)): string {
  let fd: number;
  try {
    fd = fs.openSync(file, OPEN_FLAGS);
  } catch (err) {
    throw classifyOpenError(file, err as NodeJS.ErrnoException);
  }
  try {
    let buf = scratch;
    let filled = 0;
    for (;;) {
      let n: number;
      try {
        n = fs.readSync(fd, buf, filled, buf.length - filled, null);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EISDIR' || code === 'EAGAIN') {
          throw new RegularFileReadError('not-a-file', file, `${file} is not a regular file`, code);
        }
        throw unreadable(file, err as NodeJS.ErrnoException);
      }
      filled += n;
      if (filled > maxBytes) throw new RegularFileReadError('too-large', file, `${file} is larger than the limit of ${maxBytes} bytes`);
      // A short read of a regular file means end of file; a full buffer may have more behind it.
      if (n === 0 || filled < buf.length) return buf.toString('utf8', 0, filled);
      const bigger = Buffer.allocUnsafe(Math.min(buf.length * 4, maxBytes + 1));
      buf.copy(bigger, 0, 0, filled);
      buf = bigger;
    }
  } finally {
    fs.closeSync(fd);
  }
}
