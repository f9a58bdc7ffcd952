// Moves a session's files into `archive/YYYY-MM-DD/` without ever overwriting or deleting data.
// A hard link is the no-overwrite "rename": link() fails with EEXIST instead of replacing, and
// only after the new name exists is the old one removed.
import { linkSync, unlinkSync, type Stats } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { SessionKeeperError } from './errors';
import { ARCHIVE_DIR_NAME, safeJoin } from './paths';
import { isSessionId, SESSION_ID_PATTERN } from './session-record';

export interface MovedFile {
  from: string;
  to: string;
}

/** `<id>.json`, `<id>.jsonl`, and on name clashes `<id>.2.json`, `<id>.2.jsonl`, … */
const ARCHIVED_NAME_RE = new RegExp(`^(${SESSION_ID_PATTERN})(?:\\.(\\d+))?\\.(json|jsonl)$`);
const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

export function parseArchivedName(name: string): { id: string; copy: number; kind: 'record' | 'journal' } | null {
  const m = ARCHIVED_NAME_RE.exec(name);
  if (!m?.[1] || !isSessionId(m[1])) return null;
  return { id: m[1], copy: m[2] ? Number(m[2]) : 1, kind: m[3] === 'json' ? 'record' : 'journal' };
}

export function isArchiveDayName(name: string): boolean {
  return DAY_RE.test(name);
}

/** Creates `dir` owner-only when missing; returns true if it was created here. */
export async function ensurePrivateDir(dir: string): Promise<boolean> {
  const created = await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  // mkdir's mode passes through umask; set it exactly, but only on a directory we made.
  if (created !== undefined && process.platform !== 'win32') await fs.chmod(dir, 0o700);
  return created !== undefined;
}

/**
 * Called synchronously right before each link and unlink of a move; throws (LockCompromisedError)
 * when the locks the move is made under are no longer held. See LockLease.assertHeld.
 */
export type BeforeCommit = () => void;

/**
 * Moves the existing ones of `files` (same session, same stem) into `dayDir` under names that
 * are free there for all of them, keeping their stems paired. A file that is already linked
 * into the archive (a move interrupted between link and unlink) only loses its old name.
 * `beforeCommit` (the lease checks of the locks held) runs right before every link and unlink.
 */
export async function moveIntoArchive(
  sessionsDir: string,
  dayDir: string,
  id: string,
  files: string[],
  beforeCommit: BeforeCommit = () => undefined,
): Promise<MovedFile[]> {
  const archiveRoot = path.join(sessionsDir, ARCHIVE_DIR_NAME);
  await ensurePrivateDir(archiveRoot);
  await ensurePrivateDir(dayDir);
  const moved: MovedFile[] = [];
  const present: string[] = [];
  for (const from of files) {
    const st = await lstatOrNull(from);
    if (!st) continue;
    const earlier = st.nlink > 1 ? await findLinkInArchive(archiveRoot, id, st) : null;
    if (earlier) {
      beforeCommit();
      unlinkSync(from);
      moved.push({ from, to: earlier });
    } else {
      present.push(from);
    }
  }
  return [...moved, ...(await moveFresh(dayDir, id, present, beforeCommit))];
}

async function moveFresh(dayDir: string, id: string, present: string[], beforeCommit: BeforeCommit): Promise<MovedFile[]> {
  if (present.length === 0) return [];
  for (let copy = 1; copy < 10_000; copy++) {
    const targets = present.map((f) => safeJoin(dayDir, archivedName(id, copy, path.extname(f))));
    if ((await Promise.all(targets.map(lstatOrNull))).some((st) => st !== null)) continue;
    const moved: MovedFile[] = [];
    for (let i = 0; i < present.length; i++) {
      const from = present[i] as string;
      const to = targets[i] as string;
      if (!(await linkNoOverwrite(from, to, beforeCommit))) {
        // Someone took the name since we looked: what moved stays, the rest gets a fresh number.
        return [...moved, ...(await moveFresh(dayDir, id, present.slice(i), beforeCommit))];
      }
      beforeCommit();
      unlinkSync(from);
      moved.push({ from, to });
    }
    return moved;
  }
  throw new ArchiveMoveError(`no free archive name for session ${id} in ${dayDir}`);
}

/** Moving a session's files into the archive failed for a reason of the archive itself. Code `EARCHIVEMOVE`. */
export class ArchiveMoveError extends SessionKeeperError {
  constructor(message: string) {
    super('EARCHIVEMOVE', message);
  }
}

/** An archived name of session `id` that is the same file as `st` (same device and inode). */
async function findLinkInArchive(archiveRoot: string, id: string, st: Stats): Promise<string | null> {
  let days: string[];
  try {
    days = (await fs.readdir(archiveRoot)).filter(isArchiveDayName).sort().reverse();
  } catch {
    return null;
  }
  for (const day of days) {
    let names: string[];
    try {
      names = await fs.readdir(path.join(archiveRoot, day));
    } catch {
      continue;
    }
    for (const name of names) {
      if (parseArchivedName(name)?.id !== id) continue;
      const candidate = path.join(archiveRoot, day, name);
      const other = await lstatOrNull(candidate);
      if (other && other.ino === st.ino && other.dev === st.dev) return candidate;
    }
  }
  return null;
}

function archivedName(id: string, copy: number, ext: string): string {
  return copy === 1 ? `${id}${ext}` : `${id}.${copy}${ext}`;
}

/** Creates `to` as `from`'s content without replacing anything; false if `to` exists. */
async function linkNoOverwrite(from: string, to: string, beforeCommit: BeforeCommit): Promise<boolean> {
  try {
    // Check and link in one synchronous turn (see BeforeCommit).
    beforeCommit();
    linkSync(from, to);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // Some file systems (FAT, some network shares) have no hard links: copy exclusively instead.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS' || code === 'EXDEV' || code === 'EOPNOTSUPP') {
      // Never copy a FIFO or device: opening one could block or read forever.
      const st = await fs.lstat(from);
      if (!st.isFile()) throw new ArchiveMoveError(`cannot archive ${from}: not a regular file, and this file system refuses hard links (${code})`);
      try {
        beforeCommit();
        await fs.copyFile(from, to, fs.constants.COPYFILE_EXCL);
        return true;
      } catch (copyErr) {
        if ((copyErr as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw copyErr;
      }
    }
    throw err;
  }
}

async function lstatOrNull(file: string): Promise<Stats | null> {
  try {
    return await fs.lstat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
