// Record files on disk: finding the record-like entries of a folder, reading and validating one
// record, writing one atomically, and finding a session's newest archived record.
import type * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { isArchiveDayName, parseArchivedName } from '../archive-files';
import type { LockLease } from '../lock';
import { ARCHIVE_DIR_NAME } from '../paths';
import { readRegularFile, readRegularFileSync, RegularFileReadError } from '../regular-file-read';
import { checkSessionRecord, LIMITS, SESSION_ID_PATTERN, type SessionRecord } from '../session-record';
import { writeFileAtomic } from '../write-atomic';
import { RecordLoadError } from './errors';
import type { SessionProblem } from './types';

/** Longest stretch a listing reads synchronously before yielding to the event loop. */
const LIST_SLICE_MS = 8;

const RECORD_NAME_RE = new RegExp(`^(${SESSION_ID_PATTERN})\\.json$`);

/** A record-like entry of a folder, not yet read. */
export interface Candidate {
  file: string;
  /** Id from the file name. */
  id: string;
  archivedOn: string | null;
}

/** A record read from disk with the raw object (to keep fields of newer writers on rewrite). */
export interface LoadedRecord {
  raw: Record<string, unknown>;
  record: SessionRecord;
}

/** A candidate and the valid record it held. */
export interface ReadRecord {
  c: Candidate;
  record: SessionRecord;
}

export type OnProblem = (p: SessionProblem) => void;

/** Record-like entries of one folder ([] when it is missing); other names (journals, locks, temp files) are not ours to judge. */
export async function candidates(dir: string, archivedOn: string | null, onProblem: OnProblem): Promise<Candidate[]> {
  let entries: fs.Dirent[];
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return candidatesOf(dir, entries, archivedOn, onProblem);
}

/** The candidates among `entries` of `dir`; badly named, symlinked and non-regular `.json` entries go to `onProblem`. */
export function candidatesOf(dir: string, entries: fs.Dirent[], archivedOn: string | null, onProblem: OnProblem): Candidate[] {
  const out: Candidate[] = [];
  for (const e of entries) {
    if (!e.name.endsWith('.json')) continue;
    const file = dir + path.sep + e.name; // path.join per entry shows up in profiles of big directories
    const id = archivedOn === null ? RECORD_NAME_RE.exec(e.name)?.[1] : parseArchivedName(e.name)?.id;
    if (!id) {
      onProblem({ file, kind: 'bad-name', message: `${e.name} is not named <session id>.json` });
    } else if (e.isSymbolicLink()) {
      onProblem({ file, kind: 'symlink', message: `${file} is a symbolic link; not followed` });
    } else if (!e.isFile()) {
      onProblem({ file, kind: 'not-a-file', message: `${file} is not a regular file` });
    } else {
      out.push({ file, id, archivedOn });
    }
  }
  return out;
}

/**
 * Reads candidates in short synchronous slices with a yield to the event loop in between (see
 * readRegularFileSync); the ones that fail go to `onProblem`.
 */
export async function readCandidates(list: Candidate[], onProblem: OnProblem): Promise<ReadRecord[]> {
  const loaded: ReadRecord[] = [];
  const scratch = Buffer.allocUnsafe(64 * 1024);
  let sliceEnd = performance.now() + LIST_SLICE_MS;
  for (const c of list) {
    if (performance.now() > sliceEnd) {
      await new Promise((resolve) => setImmediate(resolve));
      sliceEnd = performance.now() + LIST_SLICE_MS;
    }
    const record = readCandidate(c, scratch, onProblem);
    if (record) loaded.push({ c, record });
  }
  return loaded;
}

function readCandidate(c: Candidate, scratch: Buffer, onProblem: OnProblem): SessionRecord | null {
  try {
    return parseRecord(c.file, c.id, readRegularFileSync(c.file, LIMITS.recordBytes, scratch)).record;
  } catch (err) {
    if (err instanceof RegularFileReadError) {
      // Gone since readdir: archived or closed-and-cleaned by someone else; not a problem.
      if (err.kind !== 'missing') onProblem({ file: c.file, kind: err.kind, message: err.message });
    } else if (err instanceof RecordLoadError) {
      onProblem({ file: c.file, kind: err.kind, message: err.message });
    } else {
      onProblem({ file: c.file, kind: 'unreadable', message: `cannot read ${c.file}: ${(err as Error).message}` });
    }
    return null;
  }
}

/** Reads and validates a record file; null when it does not exist. RegularFileReadError, RecordLoadError. */
export async function loadRecord(file: string, id: string): Promise<LoadedRecord | null> {
  let data: Buffer;
  try {
    data = await readRegularFile(file, LIMITS.recordBytes);
  } catch (err) {
    if (err instanceof RegularFileReadError && err.kind === 'missing') return null;
    throw err;
  }
  return parseRecord(file, id, data.toString('utf8'));
}

/** Parses and validates the text of record file `file`, which must hold session `id`. RecordLoadError. */
export function parseRecord(file: string, id: string, text: string): LoadedRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new RecordLoadError('invalid-json', `${file} is not valid JSON: ${(err as Error).message}`);
  }
  const checked = checkSessionRecord(raw);
  if (!checked.ok) throw new RecordLoadError('invalid-record', `${file}: ${checked.error}`);
  if (checked.record.id !== id) {
    throw new RecordLoadError('id-mismatch', `${file} holds session ${checked.record.id}, not ${id}`);
  }
  return { raw: raw as Record<string, unknown>, record: checked.record };
}

/** Replaces the record atomically (0600, pretty JSON); `lease` is checked right before the rename. */
export function writeRecord(file: string, record: object, lease: LockLease): Promise<void> {
  return writeFileAtomic(file, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600, lease });
}

/** The archive's day folders under sessions directory `dir`, newest first; [] without an archive. */
export async function archiveDays(dir: string): Promise<string[]> {
  try {
    const entries = await fsp.readdir(path.join(dir, ARCHIVE_DIR_NAME), { withFileTypes: true });
    return entries
      .filter((e) => e.isDirectory() && isArchiveDayName(e.name))
      .map((e) => e.name)
      .sort()
      .reverse();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw err;
  }
}

/** The newest archived record of `id` under sessions directory `dir`, if any. */
export async function findArchived(dir: string, id: string): Promise<LoadedRecord | null> {
  for (const day of await archiveDays(dir)) {
    const dayDir = path.join(dir, ARCHIVE_DIR_NAME, day);
    let names: string[];
    try {
      names = await fsp.readdir(dayDir);
    } catch {
      continue;
    }
    const copies = names
      .map((n) => ({ n, parsed: parseArchivedName(n) }))
      .filter((x) => x.parsed?.id === id && x.parsed.kind === 'record')
      .sort((a, b) => (b.parsed?.copy ?? 0) - (a.parsed?.copy ?? 0));
    for (const { n } of copies) {
      const loaded = await loadRecord(path.join(dayDir, n), id).catch(() => null);
      if (loaded) return loaded;
    }
  }
  return null;
}

/** True when anything (even a dangling symlink) has the name `file`. */
export async function pathExists(file: string): Promise<boolean> {
  try {
    await fsp.lstat(file);
    return true;
  } catch {
    return false;
  }
}
