// startSession(): the calling process (or the one it stands for) as a session, for the lifetime
// of the process: register, heartbeat on an unref'd timer, close on the way out. The library's
// one-call entry point; the MCP server uses it for the agent that launched it.
import { spawnSync } from 'node:child_process';
import { isMainThread } from 'node:worker_threads';
import { SessionKeeperError } from './errors';
import { HeartbeatLoop } from './heartbeat-loop';
import { releaseKeptLocks } from './lock-keep';
import { defaultSessionsDir } from './paths';
import { DEFAULT_HEARTBEAT_INTERVAL_MS, type SessionRecord } from './session-record';
import { SessionStore, type SessionUpdate, type StoreOptions } from './session-store';
import { DirectoryRegistry } from './directory-registry';
import type { Registry } from './registry';

// Re-exported so the exit fallback below can load the store from this very module file
// (out/src/core/start-session.js, or a bundle that re-exports it).
export { SessionStore } from './session-store';

/** Signals after which the session is closed. */
export const CLOSE_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** How long a signal waits for the session to close before the default action is re-raised. */
const SIGNAL_CLOSE_DEADLINE_MS = 3000;
/** Bound on the synchronous close at `process.exit()`. */
const EXIT_CLOSE_TIMEOUT_MS = 5000;

export interface StartSessionOptions {
  /** What people see (≤ 1000 chars, may be empty). Change it later with `handle.update()`. */
  label: string;
  /** Sessions directory; default `defaultSessionsDir()` ($SESSION_KEEPER_DIR, else the platform state dir). */
  dir?: string;
  /** Absolute folders the session works in (≤ 256). */
  workspaceFolders?: string[];
  /** What registered the session; default `"node"`. */
  tool?: string;
  /** Heartbeat period in ms (100 … 86 400 000); default 10 000. Others judge liveness by it. */
  heartbeatIntervalMs?: number;
  /**
   * The process the session stands for; default this process. Another pid (the MCP server uses
   * its parent, the agent) must be alive on this host; the session still closes when *this*
   * process ends.
   */
  pid?: number;
  /** Close on SIGINT/SIGTERM/SIGHUP and at exit; default true. */
  handleExit?: boolean;
  /**
   * Failures of background work (heartbeats, cleanup), with what was being done. Default: one
   * `process.emitWarning` per distinct message; a library never prints on its own otherwise.
   */
  onError?(error: unknown, context: string): void;
  /** Extra options of the underlying SessionStore (lock timing, clocks in tests). */
  store?: Omit<StoreOptions, 'onError' | 'heartbeatIntervalMs' | 'tool'>;
  /**
   * An open registry to register in instead of `dir` (e.g. one on Redis, from openRegistry).
   * The caller keeps it and disposes of it after close(). At `process.exit()` only a directory
   * registry can still be closed (synchronously); a session on Redis is then left to turn
   * unresponsive and, after its expiry, stale.
   */
  registry?: Registry;
}

/** A running session. All methods are safe to call after close (they then do nothing or throw SessionClosedError). */
export interface SessionHandle {
  /** The session id (lowercase UUID v7). */
  readonly id: string;
  /** The sessions directory (absolute), or the registry's location (a Redis URL without password). */
  readonly dir: string;
  /** The record as last written by this handle. */
  readonly record: SessionRecord;
  /** True once close() was called or the process is on its way out. */
  readonly closed: boolean;
  /**
   * Changes the label and/or status line others see. Rejects with InvalidRecordError for text
   * over the limits (label 1000, status 500 characters; no NUL), SessionClosedError after close.
   */
  update(change: SessionUpdate): Promise<SessionRecord>;
  /** Heartbeats now (the timer does it every interval anyway). */
  heartbeat(): Promise<void>;
  /** Stops the heartbeat and closes the session. Idempotent; resolves once the record says closed. */
  close(): Promise<void>;
}

/**
 * Registers a session and keeps it alive until the process ends or `close()` is called.
 *
 * - Heartbeats every `heartbeatIntervalMs` on an unref'd timer: it never keeps the process alive.
 * - Closes the session when the event loop empties (normal end), at `process.exit()` (a short
 *   synchronous child process does the locked write, since 'exit' listeners cannot wait), on
 *   SIGINT/SIGTERM/SIGHUP, and on `handle.close()`.
 * - On a signal: when the host program has no listener of its own for it, the session is closed
 *   and the signal re-raised with its default action (the process ends as it would have); when
 *   the host listens, the session is closed and what happens next is the host's decision.
 *
 * Rejects like SessionStore.create(): InvalidRecordError (bad label/folders/tool), RangeError
 * (interval or pid out of range), ProcessNotRunningError, UnsafeDirectoryError, LockTimeoutError.
 */
export async function startSession(options: StartSessionOptions): Promise<SessionHandle> {
  const handleExit = options.handleExit ?? true;
  if (handleExit && !isMainThread) {
    // A worker's end fires none of the process's signals or 'exit': the session would be left
    // open with a heartbeat, then turn stale, looking like a crash.
    throw new SessionKeeperError(
      'ENOTMAINTHREAD',
      'startSession must be called on the main thread; in a worker pass handleExit: false and call close() before the worker ends',
    );
  }
  const dir = options.dir ?? defaultSessionsDir();
  const warned = new Set<string>();
  const onError =
    options.onError ??
    ((error: unknown, context: string): void => {
      const message = `session-keeper: ${context}: ${(error as Error)?.message ?? String(error)}`;
      if (warned.has(message)) return;
      warned.add(message);
      process.emitWarning(message);
    });
  const interval = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
  const store: Registry = options.registry ?? new DirectoryRegistry(dir, { ...options.store, onError });
  let record = await store.create({
    label: options.label,
    workspaceFolders: options.workspaceFolders ?? [],
    tool: options.tool ?? 'node',
    heartbeatIntervalMs: interval,
    ...(options.pid !== undefined ? { pid: options.pid } : {}),
  });
  const id = record.id;

  let closing: Promise<void> | null = null;
  /** The close has finished (written or failed): nothing left for the exit fallback. */
  let settled = false;
  // Heartbeats and updates run one at a time, so close() can wait for the last one.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn);
    queue = run.catch(() => undefined);
    return run;
  };
  const beat = (): Promise<void> =>
    serial(async () => {
      if (closing) return;
      record = await store.heartbeat(id);
    });
  const heartbeats = new HeartbeatLoop({ intervalMs: interval, beat, unref: true, onError: (err) => onError(err, `heartbeat of session ${id}`) });
  heartbeats.start();

  // Decided now, not at exit: the file holding this code may be a host's bundle, which must
  // never be loaded again (that would run the host program a second time).
  const exitModule = exitCloseModule();
  const onSignal = (signal: NodeJS.Signals): void => {
    // Ours is one listener, and each loaded copy of signal-exit has one; any other is the host's.
    const hostListens = process.listenerCount(signal) - 1 - signalExitListenerCount() > 0;
    const done = close();
    if (hostListens) return;
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, SIGNAL_CLOSE_DEADLINE_MS).unref());
    void Promise.race([done.catch(() => undefined), deadline]).then(() => {
      process.off(signal, onSignal);
      // Nobody else handles it: end the process the way the signal would have.
      process.kill(process.pid, signal);
    });
  };
  const onBeforeExit = (): void => {
    // The event loop emptied: the program is done. The close keeps it alive until written.
    void close().catch((err: unknown) => onError(err, `closing session ${id}`));
  };
  const onExit = (): void => {
    // process.exit() before close() finished: 'exit' listeners run synchronously, so a short
    // child process does the locked close with the same store code.
    if (closing && settled) return;
    if (store.kind !== 'directory') {
      onError(new SessionKeeperError('ECLOSEATEXIT', 'a registry on Redis cannot be written synchronously at exit; it will turn unresponsive, then stale'), `closing session ${id} at exit`);
      return;
    }
    if (exitModule === null) {
      onError(new SessionKeeperError('ECLOSEATEXIT', 'no standalone copy of the library to close it with; it will turn stale'), `closing session ${id} at exit`);
      return;
    }
    // The journal's lock may still be kept from this process's last append (lock-keep.ts): the
    // child would wait for it while this process is blocked and cannot let it go.
    releaseKeptLocks();
    closeInChildProcess(exitModule, store.location, id, onError);
  };
  if (handleExit) {
    for (const s of CLOSE_SIGNALS) process.on(s, onSignal);
    process.on('beforeExit', onBeforeExit);
    // First in line: a host 'exit' listener that calls process.exit() again would end the
    // listeners run before ours.
    process.prependListener('exit', onExit);
  }

  const detach = (): void => {
    void heartbeats.stop(); // close() waits for the queue, which holds the beat in flight
    for (const s of CLOSE_SIGNALS) process.off(s, onSignal);
    process.off('beforeExit', onBeforeExit);
  };

  function close(): Promise<void> {
    closing ??= (async () => {
      detach();
      try {
        await queue;
        await store.close(id);
        record = { ...record, closedAt: new Date().toISOString() };
      } finally {
        await store.idle();
        settled = true;
        process.off('exit', onExit);
      }
    })();
    return closing;
  }

  return {
    id,
    dir: store.location,
    get record() {
      return record;
    },
    get closed() {
      return closing !== null;
    },
    update: (change) =>
      serial(async () => {
        record = await store.update(id, change);
        return record;
      }),
    heartbeat: () => beat(),
    close,
  };
}

/**
 * Listeners per signal that belong to the signal-exit package (proper-lockfile, our lock, loads
 * it): one per loaded copy, counted on its process-wide emitter. Such a listener re-raises the
 * signal only when it is the last one, so it must not count as the host's own handling, or each
 * would wait for the other and the signal would be swallowed. Counted, not recognised by
 * function name: bundlers rename functions.
 */
function signalExitListenerCount(): number {
  const emitter = (process as { __signal_exit_emitter__?: { count?: unknown } }).__signal_exit_emitter__;
  return typeof emitter?.count === 'number' && emitter.count > 0 ? emitter.count : 0;
}

/**
 * The module file the exit fallback's child process may load to get SessionStore: this file
 * when it is the library's own (its exports hold this very SessionStore: out/, dist/lib,
 * dist/mcp), else the installed package's entry point, else null. Never a file whose exports
 * lack it: that is a host program bundled with the library, and loading it re-runs the host.
 */
function exitCloseModule(): string | null {
  try {
    if (require.cache[__filename]?.exports?.SessionStore === SessionStore) return __filename;
  } catch {
    // No CommonJS module cache (an ESM bundle): fall through.
  }
  try {
    // The package's CommonJS entry (dist/lib/index.js), which exports SessionStore.
    return require.resolve('session-keeper');
  } catch {
    return null;
  }
}

/** Closes session `id` from a synchronous child process that loads SessionStore from `moduleFile`. */
function closeInChildProcess(moduleFile: string, dir: string, id: string, onError: (e: unknown, c: string) => void): void {
  const script =
    'const m=require(process.argv[1]);' +
    'new m.SessionStore(process.argv[2],{cleanupOnCreate:false}).close(process.argv[3])' +
    '.catch(e=>{process.stderr.write(String(e&&e.message||e));process.exitCode=1})';
  const result = spawnSync(process.execPath, ['-e', script, moduleFile, dir, id], {
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: EXIT_CLOSE_TIMEOUT_MS,
    windowsHide: true,
  });
  if (result.status !== 0) {
    onError(new SessionKeeperError('ECLOSEATEXIT', result.stderr?.toString().trim() || `exit status ${String(result.status ?? result.signal)}`), `closing session ${id} at exit`);
  }
}
