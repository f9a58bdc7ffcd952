// A session's journal `<id>.jsonl`: one JSON object per lifecycle event, appended under the
// journal's lock. Other tools may append their own objects; readers must ignore unknown events.
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
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

/** Appends one event; creates the journal owner-only (0600) when it does not exist yet. */
export async function appendSessionEvent(journal: string, event: SessionEvent, lock?: LockOptions): Promise<void> {
  await ensurePrivateFile(journal);
  await appendJsonl(journal, event, lock ? { lock } : {});
}

async function ensurePrivateFile(file: string): Promise<void> {
  let handle: fs.FileHandle;
  try {
    // 'wx' only creates; an existing journal (maybe another tool's) is left as it is.
    handle = await fs.open(file, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw err;
  }
  try {
    if (process.platform !== 'win32') await handle.chmod(0o600);
  } finally {
    await handle.close();
  }
}
