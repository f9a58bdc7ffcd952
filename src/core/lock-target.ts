/**
 * The canonical identity of a locked file: one path per file, whatever path reaches it.
 *
 * A lock is the directory `<canonical path>.lock`. If two paths to the same file (a symlink and
 * its target, a symlinked parent directory, a relative path, `..` segments) gave two lock
 * directories, two writers could hold "the" lock at once: an append through a link while repair
 * replaces the real file loses the append. So every lock goes through lockTargetFor(), and the
 * locked operation itself works on the path it returns.
 */
import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import * as path from 'node:path';

/** Linux's own limit of symlinks followed in one path lookup (MAXSYMLINKS). */
const MAX_LINK_HOPS = 40;

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

/**
 * Errors for which the path cannot be resolved any further; the lexical path is then as good as
 * any (the lock directory's mkdir, or the operation, fails on it with the same error).
 */
const UNRESOLVABLE = new Set(['ENOENT', 'ENOTDIR', 'EACCES', 'EPERM']);

/**
 * The physical directory `dir` names. `..` is applied after the symlinks before it, as the
 * kernel does when opening a path (the native realpath(3), not Node's lexical one).
 */
function realDir(dir: string): string | null {
  try {
    return realpathSync.native(dir);
  } catch (err) {
    if (UNRESOLVABLE.has(errorCode(err) ?? '')) return null;
    throw err;
  }
}

/**
 * `file` taken against the directory `cwd` as open(2) takes a relative path: `cwd` + `/` +
 * `file`, with nothing collapsed. (path.resolve() would turn `link/../x` into `x`, which is not
 * the file the kernel opens when `link` is a symlinked directory.) Absolute paths are returned
 * unchanged.
 */
export function joinAsOpened(cwd: string, file: string): string {
  return path.isAbsolute(file) ? file : `${cwd}${path.sep}${file}`;
}

/**
 * The canonical absolute path of `file` for locking: the same string for every path that opens
 * the same file. Symlinks are followed as open(2) would follow them: those of every parent
 * directory, and a chain of links at the file itself; relative paths are taken against the
 * current directory and `..` after a symlinked directory goes up from where the link points.
 * A dangling link (or a chain ending in one) gives the path it points to, which is the file an
 * append through the link would create. `file` need not exist. Synchronous: a handful of
 * metadata syscalls.
 *
 * With `followLink: false` a symlink at the file itself is not followed (its directories still
 * are): for operations on the name that never go through a link there (the session store's
 * records and journals, replaced by rename, archived by link(2)), so that a link planted in
 * their place cannot make us create a lock directory where it points.
 *
 * Throws an ELOOP error for a cycle of links (or more than 40 hops). When a parent directory is
 * missing or unreadable, returns the lexically resolved path (locking it then fails with the
 * file system's error, as opening it would).
 */
export function lockTargetFor(file: string, options: { followLink?: boolean } = {}): string {
  // Not path.resolve(): it would collapse `link/..` lexically, which is not what open(2) does.
  let current = joinAsOpened(process.cwd(), file);
  const followLink = options.followLink ?? true;
  for (let hops = 0; ; hops++) {
    const base = path.basename(current);
    if (base === '' || base === '.' || base === '..') {
      // Names a directory, never a lockable file; canonical all the same.
      return realDir(current) ?? path.resolve(current);
    }
    const dir = realDir(path.dirname(current));
    if (dir === null) return path.resolve(current);
    const joined = path.join(dir, base);
    let isLink: boolean;
    try {
      isLink = lstatSync(joined).isSymbolicLink();
    } catch (err) {
      if (UNRESOLVABLE.has(errorCode(err) ?? '')) return joined;
      throw err;
    }
    if (!isLink || !followLink) return joined;
    if (hops >= MAX_LINK_HOPS) {
      throw Object.assign(new Error(`Too many levels of symbolic links resolving ${file}`), { code: 'ELOOP', path: file });
    }
    const link = readlinkSync(joined);
    current = joinAsOpened(dir, link);
  }
}
