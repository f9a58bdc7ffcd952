// Which files the MCP server's file tools may touch. An agent names a path; only a regular
// .jsonl/.ndjson file inside one of the client's workspace roots passes, reached without any
// symbolic link, outside `.git/` and outside the sessions directory. The file is then opened
// without following links and the opened file compared with the one checked, so a swap between
// check and open is caught rather than followed.
import { constants as fsConstants, promises as fsp, type Stats } from 'node:fs';
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
  path: string;
  root: string;
  identity: { dev: number; ino: number } | null;
}

const EXTENSIONS = new Set(['.jsonl', '.ndjson']);

/**
 * Workspace roots the tools may use: each real (symlink-free) absolute directory, never the
 * home directory or the filesystem root (a tool with a whole home directory as its scope has
 * no scope).
 */
export async function usableRoots(candidates: string[], home: string = os.homedir()): Promise<string[]> {
  const refused = new Set([path.parse(path.resolve('/')).root, path.resolve(home)]);
  const realHome = await fsp.realpath(home).catch(() => null);
  if (realHome) refused.add(realHome);
  const out: string[] = [];
  for (const c of candidates) {
    if (!path.isAbsolute(c)) continue;
    const real = await fsp.realpath(c).catch(() => null);
    if (real === null || refused.has(real) || refused.has(path.resolve(c))) continue;
    const st = await fsp.stat(real).catch(() => null);
    if (st?.isDirectory() && !out.includes(real)) out.push(real);
  }
  return out;
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
  if (roots.length === 0) {
    throw new FileRefusedError(
      'no workspace to work in: the client sent no roots and the working directory is the home directory or /',
    );
  }
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
  for (let i = 0; i < parts.length; i++) {
    const name = parts[i] as string;
    if (name === '.git') throw new FileRefusedError(`${absolute} is inside a .git directory: refused`);
    current = path.join(current, name);
    let st: Stats;
    try {
      st = await fsp.lstat(current);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && i === parts.length - 1 && mayCreate) return { path: absolute, root, identity: null };
      if (code === 'ENOENT') throw new FileRefusedError(`${current} does not exist`);
      throw new FileRefusedError(`cannot inspect ${current}: ${(err as Error).message}`);
    }
    if (st.isSymbolicLink()) throw new FileRefusedError(`${current} is a symbolic link: links are not followed`);
    if (i < parts.length - 1 && !st.isDirectory()) throw new FileRefusedError(`${current} is not a directory`);
    last = st;
  }
  if (!last?.isFile()) throw new FileRefusedError(`${absolute} is not a regular file`);
  return { path: absolute, root, identity: await openedIdentity(absolute, last) };
}

/** Opens without following links and compares the opened file with the one lstat saw. */
async function openedIdentity(file: string, checked: Stats): Promise<{ dev: number; ino: number }> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(file, fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0) | (fsConstants.O_NONBLOCK ?? 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new FileRefusedError(`${file} became a symbolic link: links are not followed`);
    throw new FileRefusedError(`cannot open ${file}: ${(err as Error).message}`);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile() || st.dev !== checked.dev || st.ino !== checked.ino) {
      throw new FileRefusedError(`${file} changed while it was being checked: refused`);
    }
    return { dev: st.dev, ino: st.ino };
  } finally {
    await handle.close();
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
