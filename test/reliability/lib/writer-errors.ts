// The "error ..." lines crash workers print when an operation fails, sorted into real failures
// and lock compromises.

/** What the writers' error lines said. */
export interface WriterErrors {
  /** Failed operations, each its line (with the writer's tag in front where one was given). */
  errors: string[];
  /** Operations that failed with LockCompromisedError (see isCompromise): counted, not failures. */
  compromised: number;
}

/** A new, empty tally. */
export function writerErrors(): WriterErrors {
  return { errors: [], compromised: 0 };
}

/**
 * A holder starved of CPU for longer than half the stale time (2 s in the crash tests, with two
 * cores and the full run's load) misses its lock refresh, and a waiter takes the lock over. That
 * is the lock working: the holder's operation fails with LockCompromisedError (its own test is in
 * clock-hosts.test.ts). It is counted and reported; the data checks must hold regardless.
 */
export function isCompromise(line: string): boolean {
  return line.startsWith('error ') && line.includes('"name":"LockCompromisedError"');
}

/** Counts `line` into `tally` if it is an error line (prefixed with `tag: ` when a tag is given). */
export function noteError(tally: WriterErrors, line: string, tag?: string): void {
  if (isCompromise(line)) tally.compromised++;
  else if (line.startsWith('error ')) tally.errors.push(tag === undefined ? line : `${tag}: ${line}`);
}
