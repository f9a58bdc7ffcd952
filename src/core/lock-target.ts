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
import { SessionKeeperError } from './errors';

/** Linux's own limit of symlinks followed in one path lookup (MAXSYMLINKS). */
const MAX_LINK_HOPS = 40;

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

/**
 * A path whose lock target cannot be resolved. Shaped like the error an fs call gives: `code` is
 * what open(2) would fail with (ENOENT, ENOTDIR, EACCES, EPERM, ELOOP) and `path` the file.
 */
export class LockTargetError extends SessionKeeperError {
  constructor(
    code: string,
    readonly path: string,
    why: string,
  ) {
    super(code, `${code}: ${why}: ${path}`);
  }
}

function pathError(code: string, file: string, why: string): LockTargetError {
  return new LockTargetError(code, file, why);
}

/**
 * The physical directory `dir` names. `..` is applied after the symlinks before it, as the
 * kernel does when opening a path (the native realpath(3), not Node's lexical one). Throws what
 * open(2) would give for a file in it (ENOENT, ENOTDIR, EACCES, ELOOP), naming `file`.
 */
function realDir(dir: string, file: string): string {
  try {
    return realpathSync.native(dir);
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ENOENT') throw pathError(code, file, 'no such file or directory (its directory, resolved as open(2) resolves it, does not exist)');
    if (code === 'ENOTDIR') throw pathError(code, file, 'not a directory (a component of its directory is not a directory)');
    if (code === 'EACCES' || code === 'EPERM') throw pathError(code, file, 'permission denied resolving its directory');
    throw err;
  }
}

/** True when `p` ends in a path separator (`x/`), so open(2) takes it as a directory. */
function endsInSeparator(p: string): boolean {
  return p.endsWith('/') || (path.sep === '\\' && p.endsWith('\\'));
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
 * the same file, and always the file open(2) opens for `file` (the locked operation works on
 * this path). Symlinks are followed as open(2) would follow them: those of every parent
 * directory, and a chain of links at the file itself; relative paths are taken against the
 * current directory and `..` after a symlinked directory goes up from where the link points.
 * A dangling link (or a chain ending in one) gives the path it points to, which is the file an
 * append through the link would create. `file` need not exist, its directory must. Synchronous:
 * a handful of metadata syscalls.
 *
 * With `followLink: false` a symlink at the file itself is not followed (its directories still
 * are): for operations on the name that never go through a link there (the session store's
 * records and journals, replaced by rename, archived by link(2)), so that a link planted in
 * their place cannot make us create a lock directory where it points.
 *
 * Never guesses: where open(2) would fail, this throws an error with the code open(2) gives
 * (`code`, `path` = `file`): ENOENT when the directory does not exist (as resolved by the
 * kernel, e.g. `selfdir/../x` with `selfdir -> .`), ENOTDIR, EACCES, ELOOP for a cycle of links
 * (or more than 40 hops), EISDIR for a path that names a directory (ends in a separator, `.`
 * or `..`, also at the end of a link's target).
 */
export function lockTargetFor(file: string, options: { followLink?: boolean } = {}): string {
  // Not path.resolve(): it would collapse `link/..` lexically, which is not what open(2) does.
  let current = joinAsOpened(process.cwd(), file);
  const followLink = options.followLink ?? true;
  for (let hops = 0; ; hops++) {
    const base = path.basename(current);
    if (endsInSeparator(current) || base === '' || base === '.' || base === '..') {
      // open(2) with O_CREAT says EISDIR for these once the path up to them resolves (else the
      // error of that, e.g. ENOTDIR for `file.jsonl/..`).
      realDir(base === '.' || base === '..' ? current : path.dirname(current), file);
      throw pathError('EISDIR', file, 'names a directory, not a file (the path ends in a separator, `.` or `..`)');
    }
    const dir = realDir(path.dirname(current), file);
    const joined = path.join(dir, base);
    let isLink: boolean;
    try {
      isLink = lstatSync(joined).isSymbolicLink();
    } catch (err) {
      // Missing: the file an append creates. Anything else (EACCES...) is open(2)'s error too.
      if (errorCode(err) === 'ENOENT') return joined;
      throw err;
    }
    if (!isLink || !followLink) return joined;
    if (hops >= MAX_LINK_HOPS) {
      throw pathError('ELOOP', file, 'too many levels of symbolic links');
    }
    const link = readlinkSync(joined);
    current = joinAsOpened(dir, link);
  }
}

/**
 * The absolute path of `file` as open(2) reaches it, without following a symlink at the name
 * itself (lockTargetFor with followLink: false): for commands that report and work on the file
 * the user named (`check`, `repair`). Throws as lockTargetFor does.
 */
export function fileAsOpened(file: string, cwd: string = process.cwd()): string {
  return lockTargetFor(joinAsOpened(cwd, file), { followLink: false });
}

/**
 * The absolute path of the directory `dir` as open(2) reaches it, with no `.` or `..` left:
 * each `..` goes up from where the path so far physically is (its symlinks followed), as the
 * kernel does; other names are kept as given (a symlink at the end is not resolved). `dir` and
 * its parents need not exist, except before a `..` (ENOENT then, as open(2) would give). For
 * directories resolved once and used for a long time (the session store's folder), so that
 * every path built from it names what the user's path names. On Windows, where the system
 * itself collapses `..` textually, this is path.resolve().
 */
export function dirAsOpened(dir: string, cwd: string = process.cwd()): string {
  if (process.platform === 'win32') return path.resolve(cwd, dir);
  const full = joinAsOpened(cwd, dir);
  let current = path.parse(full).root;
  for (const part of full.split(path.sep)) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      current = path.dirname(realDir(current, dir));
      continue;
    }
    current = path.join(current, part);
  }
  return current;
}
