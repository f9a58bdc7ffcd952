// Which files the MCP server's file tools may touch. An agent names a path; only a regular
// .jsonl/.ndjson file inside one of the client's workspace roots passes, reached without any
// symbolic link, outside `.git/` and outside the sessions directory. The file is then opened
// without following links and the opened file compared with the one checked, so a swap between
// check and open is caught rather than followed.
import { constants as fsConstants, lstatSync, promises as fsp, realpathSync, type Stats } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The path is not one the file tools may touch; the message says why. */
export class FileRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FileRefusedError';
  }
}

/** A path that passed the checks, with the identity of the file checked (null: does not exist yet). */
export interface CheckedFile {
  /** Canonical absolute path: the real root joined with components that are not links. */
  path: string;
  root: string;
  identity: { dev: number; ino: number } | null;
  /** The directory the file is in, as checked (dev/ino). */
  dirIdentity: { dev: number; ino: number };
}

const EXTENSIONS = new Set(['.jsonl', '.ndjson']);

/** A root the tools will not use, and why (for the agent's error and the server log). */
export interface RefusedRoot {
  root: string;
  why: string;
}

/**
 * Sorts candidate roots into usable ones (real, symlink-free absolute directories) and refused
 * ones with the reason. Refused: relative or missing paths, non-directories, `/`, the home
 * directory and any ancestor of it (a scope holding ~/.ssh or ~/.claude is no scope), and
 * anything inside a `.git` directory (compared case-insensitively: `.GIT` is `.git` on
 * case-insensitive filesystems).
 */
export async function screenRoots(candidates: string[], home: string = os.homedir()): Promise<{ usable: string[]; refused: RefusedRoot[] }> {
  const homes = new Set([path.resolve(home)]);
  const realHome = await fsp.realpath(home).catch(() => null);
  if (realHome) homes.add(realHome);
  const usable: string[] = [];
  const refused: RefusedRoot[] = [];
  for (const c of candidates) {
    if (!path.isAbsolute(c)) {
      refused.push({ root: c, why: 'not an absolute path' });
      continue;
    }
    const real = await fsp.realpath(c).catch(() => null);
    if (real === null) {
      refused.push({ root: c, why: 'does not exist' });
      continue;
    }
    const why = rootProblem(path.resolve(c), homes) ?? rootProblem(real, homes);
    if (why !== null) {
      refused.push({ root: c, why });
      continue;
    }
    const st = await fsp.stat(real).catch(() => null);
    if (!st?.isDirectory()) refused.push({ root: c, why: 'not a directory' });
    else if (!usable.includes(real)) usable.push(real);
  }
  return { usable, refused };
}

function rootProblem(p: string, homes: Set<string>): string | null {
  if (p === path.parse(p).root) return 'it is the filesystem root';
  for (const h of homes) {
    if (p === h) return 'it is the home directory';
    if (inside(p, h)) return `it contains the home directory ${h}`;
  }
  if (p.split(path.sep).some((part) => part.toLowerCase() === '.git')) return 'it is inside a .git directory';
  return null;
}

/** The usable roots of screenRoots(). */
export async function usableRoots(candidates: string[], home: string = os.homedir()): Promise<string[]> {
  return (await screenRoots(candidates, home)).usable;
}

function inside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel !== '' && !rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel);
}

/**
 * Checks `requested` (absolute, or relative to the first root) for a file tool.
 * `mayCreate`: a missing file is accepted (its folder must pass the checks); otherwise it is refused.
 * Throws FileRefusedError with the reason; never follows a link to find out.
 */
export async function checkToolPath(
  requested: unknown,
  roots: string[],
  sessionsDir: string,
  mayCreate: boolean,
): Promise<CheckedFile> {
  if (typeof requested !== 'string' || requested.length === 0) throw new FileRefusedError('path must be a non-empty string');
  if (requested.includes('\0')) throw new FileRefusedError('path contains a NUL character');
  if (roots.length === 0) throw new FileRefusedError('no workspace to work in: there is no usable root');
  if (requested.split(/[\\/]/).includes('..')) throw new FileRefusedError(`path ${JSON.stringify(requested)} contains "..": refused`);
  const ext = path.extname(requested).toLowerCase();
  if (!EXTENSIONS.has(ext)) throw new FileRefusedError(`only .jsonl and .ndjson files are allowed, not ${JSON.stringify(path.basename(requested))}`);

  const first = roots[0] as string;
  const absolute = path.resolve(first, requested);
  // Roots are real paths; a path given through a symlinked spelling of a root is not accepted.
  const root = roots.find((r) => inside(r, absolute));
  if (root === undefined) throw new FileRefusedError(`${absolute} is outside the workspace roots (${roots.join(', ')})`);

  const sessionsReal = await fsp.realpath(sessionsDir).catch(() => path.resolve(sessionsDir));
  for (const s of new Set([path.resolve(sessionsDir), sessionsReal])) {
    if (absolute === s || inside(s, absolute)) throw new FileRefusedError(`${absolute} is in the sessions directory: refused`);
  }

  // Walk from the root down, looking at each component without following it.
  const parts = path.relative(root, absolute).split(path.sep);
  let current = root;
  let last: Stats | null = null;
  let dir: Stats = await fsp.lstat(root).catch((err: Error) => {
    throw new FileRefusedError(`cannot inspect the root ${root}: ${err.message}`);
  });
  for (let i = 0; i < parts.length; i++) {
    const name = parts[i] as string;
    if (name.toLowerCase() === '.git') throw new FileRefusedError(`${absolute} is inside a .git directory: refused`);
    current = path.join(current, name);
    let st: Stats;
    try {
      st = await fsp.lstat(current);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && i === parts.length - 1 && mayCreate) return { path: absolute, root, identity: null, dirIdentity: idOf(dir) };
      if (code === 'ENOENT') throw new FileRefusedError(`${current} does not exist`);
      throw new FileRefusedError(`cannot inspect ${current}: ${(err as Error).message}`);
    }
    if (st.isSymbolicLink()) throw new FileRefusedError(`${current} is a symbolic link: links are not followed`);
    if (i < parts.length - 1 && !st.isDirectory()) throw new FileRefusedError(`${current} is not a directory`);
    if (i < parts.length - 1) dir = st;
    last = st;
  }
  if (!last?.isFile()) throw new FileRefusedError(`${absolute} is not a regular file`);
  refuseHardLinks(absolute, last);
  const opened = await openedIdentity(absolute, last);
  return { path: absolute, root, identity: opened.file, dirIdentity: opened.dir ?? idOf(dir) };
}

/**
 * Opens the directory `dirPath` (canonical: no links, no `..`) and proves it is that directory:
 * on Linux the kernel's own name for the opened directory (/proc/self/fd/N) must equal
 * `dirPath`, so a parent component swapped for a link during the walk is caught. Paths under
 * /proc/self/fd/N then stay in that directory whatever is renamed meanwhile. Returns null off
 * Linux (callers fall back to path checks).
 */
async function openVerifiedDir(dirPath: string): Promise<fsp.FileHandle | null> {
  if (process.platform !== 'linux') return null;
  let dirHandle: fsp.FileHandle;
  try {
    dirHandle = await fsp.open(dirPath, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY | (fsConstants.O_NOFOLLOW ?? 0));
  } catch (err) {
    throw new FileRefusedError(`${dirPath} changed while it was being checked (${(err as NodeJS.ErrnoException).code ?? 'error'}): refused`);
  }
  const actual = await fsp.readlink(`/proc/self/fd/${dirHandle.fd}`).catch(() => null);
  if (actual !== dirPath) {
    await dirHandle.close();
    throw new FileRefusedError(`${dirPath} was swapped for a link or moved while it was being checked: refused`);
  }
  return dirHandle;
}

/**
 * Opens the file without following links, inside the verified directory, and compares the
 * opened file with the one lstat saw. Returns the identities of the file and its directory.
 */
async function openedIdentity(
  file: string,
  checked: Stats,
): Promise<{ file: { dev: number; ino: number }; dir: { dev: number; ino: number } | null }> {
  const dirHandle = await openVerifiedDir(path.dirname(file));
  try {
    const via = dirHandle ? `/proc/self/fd/${dirHandle.fd}/${path.basename(file)}` : file;
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(via, fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0) | (fsConstants.O_NONBLOCK ?? 0));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ELOOP' || code === 'EMLINK') throw new FileRefusedError(`${file} became a symbolic link: links are not followed`);
      if (code === 'ENOENT') throw new FileRefusedError(`${file} disappeared while it was being checked`);
      throw new FileRefusedError(`cannot open ${file}: ${(err as Error).message}`);
    }
    try {
      const st = await handle.stat();
      if (!st.isFile() || st.dev !== checked.dev || st.ino !== checked.ino) {
        throw new FileRefusedError(`${file} changed while it was being checked: refused`);
      }
      refuseHardLinks(file, st);
      return { file: idOf(st), dir: dirHandle ? idOf(await dirHandle.stat()) : null };
    } finally {
      await handle.close();
    }
  } finally {
    await dirHandle?.close();
  }
}

function idOf(st: Stats): { dev: number; ino: number } {
  return { dev: st.dev, ino: st.ino };
}

/**
 * A file with more than one name may be the same file as one outside the workspace (a hard
 * link made by anyone who can write in the workspace), and nothing about the name shows it.
 */
function refuseHardLinks(file: string, st: Stats): void {
  if (st.nlink > 1) {
    throw new FileRefusedError(
      `${file} has ${st.nlink} hard links: it may be the same file as one outside the workspace, so the file tools refuse it`,
    );
  }
}

/**
 * Synchronous re-check during an operation (e.g. at each phase of a repair): the file's
 * directory still resolves to the checked canonical directory (no component swapped for a
 * link), that directory and the file are still the ones checked, and the file has one name.
 * Throws FileRefusedError otherwise. This narrows, but cannot close, the window in which a
 * process that can rename directories inside the root redirects a path-based operation; see
 * docs/agents.md.
 */
export function assertStillInside(checked: CheckedFile): void {
  const dirPath = path.dirname(checked.path);
  let real: string;
  let dirSt: Stats;
  try {
    real = realpathSync.native(dirPath);
    dirSt = lstatSync(dirPath);
  } catch (err) {
    throw new FileRefusedError(`${dirPath} changed while the tool ran (${(err as NodeJS.ErrnoException).code ?? 'error'}): stopped`);
  }
  if (real !== dirPath || dirSt.dev !== checked.dirIdentity.dev || dirSt.ino !== checked.dirIdentity.ino) {
    throw new FileRefusedError(`${dirPath} was replaced or became a link while the tool ran: stopped`);
  }
  if (checked.identity === null) return;
  const st = lstatSync(checked.path, { throwIfNoEntry: false });
  if (!st || !st.isFile() || st.dev !== checked.identity.dev || st.ino !== checked.identity.ino) {
    throw new FileRefusedError(`${checked.path} was replaced while the tool ran: stopped`);
  }
  refuseHardLinks(checked.path, st);
}

/**
 * An onPhase callback for repairJsonl: assertStillInside() at every phase up to the commit, so a
 * directory swapped for a link meanwhile stops the repair before it writes temporary files or a
 * quarantine, or renames. After the rename nothing is stopped (the repair has committed).
 */
export function repairGuard(checked: CheckedFile): (phase: string) => void {
  let committed = false;
  return (phase) => {
    if (phase === 'renamed') committed = true;
    if (!committed) assertStillInside(checked);
  };
}

/**
 * Creates the missing file `checked.path` (mode 0600) inside the directory that was checked,
 * never through a link: on Linux through /proc/self/fd of the opened directory, whose identity
 * is compared with the checked one, so a directory renamed or swapped meanwhile is not entered;
 * elsewhere by path after a re-check. An existing file (a concurrent creator) is fine.
 */
export async function createChecked(checked: CheckedFile): Promise<void> {
  const dirPath = path.dirname(checked.path);
  const create = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | (fsConstants.O_NOFOLLOW ?? 0);
  const tolerateExisting = (err: NodeJS.ErrnoException): void => {
    if (err.code === 'EEXIST') return;
    if (err.code === 'ELOOP') throw new FileRefusedError(`${checked.path} became a symbolic link: links are not followed`);
    throw new FileRefusedError(`cannot create ${checked.path}: ${err.message}`);
  };
  if (process.platform !== 'linux') {
    assertStillInside(checked);
    await fsp.open(checked.path, create, 0o600).then((h) => h.close(), tolerateExisting);
    return;
  }
  const dirHandle = (await openVerifiedDir(dirPath)) as fsp.FileHandle;
  try {
    const st = await dirHandle.stat();
    if (st.dev !== checked.dirIdentity.dev || st.ino !== checked.dirIdentity.ino) {
      throw new FileRefusedError(`${dirPath} was replaced while the tool ran: nothing created`);
    }
    const inDir = `/proc/self/fd/${dirHandle.fd}/${path.basename(checked.path)}`;
    await fsp.open(inDir, create, 0o600).then((h) => h.close(), tolerateExisting);
  } finally {
    await dirHandle.close();
  }
}

/**
 * Runs `fn` with a path to the checked file that cannot be redirected: on Linux
 * /proc/self/fd/N/NAME of its verified directory (N held open meanwhile), elsewhere the checked
 * path itself. Afterwards the file there must still be the checked one. For reads: a folder
 * swapped for a link during the read does not make it read a file outside.
 */
export async function withPinnedPath<T>(checked: CheckedFile, fn: (pinned: string) => Promise<T>): Promise<T> {
  const dirHandle = await openVerifiedDir(path.dirname(checked.path));
  try {
    if (dirHandle) {
      const st = await dirHandle.stat();
      if (st.dev !== checked.dirIdentity.dev || st.ino !== checked.dirIdentity.ino) {
        throw new FileRefusedError(`${path.dirname(checked.path)} was replaced while the tool ran: stopped`);
      }
    }
    const pinned = dirHandle ? `/proc/self/fd/${dirHandle.fd}/${path.basename(checked.path)}` : checked.path;
    const out = await fn(pinned);
    await assertUnchanged({ ...checked, path: pinned }).catch(() => {
      throw new FileRefusedError(`${checked.path} was replaced while the tool ran: result discarded`);
    });
    return out;
  } finally {
    await dirHandle?.close();
  }
}

/** After an operation: the path still names the file that was checked (else the result is not trusted). */
export async function assertUnchanged(checked: CheckedFile): Promise<void> {
  if (checked.identity === null) return;
  const st = await fsp.lstat(checked.path).catch(() => null);
  if (!st || st.isSymbolicLink() || st.dev !== checked.identity.dev || st.ino !== checked.identity.ino) {
    throw new FileRefusedError(`${checked.path} was replaced while the tool ran: result discarded`);
  }
}
