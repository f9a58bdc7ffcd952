// Which file events in a watched sessions folder must reach the tree within a second, and which
// are routine. With many sessions the folder never falls quiet (every heartbeat rewrites a
// record), so routine events wait for the debounce or the periodic refresh; a new session, an
// archived one or anything unknown is shown within TreeRefresher's maxWaitMs. No vscode import.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A lock directory or waiting room (lock-waiters.ts), or anything in them. */
const LOCK_PATH = /\.lock(-waiters)?([\\/]|$)/;
const RECORD = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.json$/i;

/**
 * True when an event on `filename` in `dir` cannot change what the tree shows beyond ages: a
 * temp file of an atomic write (hidden, `.name…tmp`), a lock (`….lock`, and files in it) or its
 * waiting room (`….lock-waiters`, and the tickets in it), a
 * journal append (`….jsonl`), or a rewrite of the record of a session the tree already lists
 * (`knownIds`) that is still there — a heartbeat, most likely. A record that appears or goes, a
 * new archive day, or an event without a name is not routine.
 */
export function isRoutineChange(dir: string, filename: string | null, knownIds: ReadonlySet<string>): boolean {
  if (!filename) return false;
  const name = path.basename(filename);
  if (name.startsWith('.') || name.endsWith('.jsonl') || LOCK_PATH.test(filename)) return true;
  const id = RECORD.exec(name)?.[1];
  if (id === undefined || !knownIds.has(id.toLowerCase())) return false;
  return fs.existsSync(path.join(dir, filename));
}

/** isRoutineChange against the sessions a model listed last: what TreeRefresher takes. */
export function routineChangesOf(model: { knownIds(dir: string): ReadonlySet<string> }): (dir: string, filename: string | null) => boolean {
  return (dir, filename) => isRoutineChange(dir, filename, model.knownIds(dir));
}
