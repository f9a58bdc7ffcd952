// A session's journal `<id>.jsonl`: one JSON object per lifecycle event, appended under the
// journal's lock. Other tools may append their own objects; readers must ignore unknown events.
import type { Stats } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import { SessionKeeperError } from './errors';
import { appendJsonl } from './jsonl-append';
import type { LockOptions } from './lock';

export type SessionEventName = 'created' | 'closed' | 'archived' | 're-registered';

export interface SessionEvent {
  event: SessionEventName;
  /** ISO 8601. */
  at: string;
  sessionId: string;
  /** The process that wrote the event (not necessarily the session's pid). */
  writerPid: number;
  hostname: string;
  /** Free text: why (e.g. the liveness reason at archiving). */
  reason?: string;
}

export function sessionEvent(
  event: SessionEventName,
  sessionId: string,
  at: number,
  hostname: string = os.hostname(),
  reason?: string,
): SessionEvent {
  const e: SessionEvent = { event, at: new Date(at).toISOString(), sessionId, writerPid: process.pid, hostname };
  if (reason !== undefined) e.reason = reason;
  return e;
}

/** The journal's name holds a symlink, FIFO or other non-regular file. Code `EJOURNALNOTREGULAR`. */
export class JournalNotRegularError extends SessionKeeperError {
  constructor(readonly file: string) {
    super('EJOURNALNOTREGULAR', `journal ${file} is not a regular file (symlink, FIFO, ...); event not recorded`);
  }
}

/**
 * Appends one event. The journal is created owner-only (0600) when missing, unless
 * `onlyIfExists` (then nothing is written: used at archiving, where a missing journal means an
 * earlier, interrupted archiving already moved it). A journal that is not a regular file is
 * never written through: JournalNotRegularError.
 * Returns whether the event was appended.
 */
export async function appendSessionEvent(
  journal: string,
  event: SessionEvent,
  options: { lock?: LockOptions; onlyIfExists?: boolean } = {},
): Promise<boolean> {
  let st: Stats | null = null;
  try {
    st = await fs.lstat(journal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (st === null) {
    if (options.onlyIfExists) return false;
    await ensurePrivateFile(journal);
  } else if (!st.isFile()) {
    throw new JournalNotRegularError(journal);
  }
  await appendJsonl(journal, event, options.lock ? { lock: options.lock } : {});
  return true;
}

async function ensurePrivateFile(file: string): Promise<void> {
  let handle: fs.FileHandle;
  try {
    // 'wx' only creates (and, being O_EXCL, never follows a symlink).
    handle = await fs.open(file, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw err;
  }
  try {
    // umask may have cleared bits; the mode must be exactly 0600.
    if (process.platform !== 'win32') await handle.chmod(0o600);
  } finally {
    await handle.close();
  }
}
