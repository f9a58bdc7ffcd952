import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

/**
 * Runs bench workers in child processes: each measurement gets a fresh heap and its own
 * peak RSS, and many processes can contend for one file as separate programs would.
 */

export interface ChildOutcome<T> {
  result: T | null; // the worker's { type: 'result' } message, if it sent one
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

export interface WorkerHandle<T> {
  child: ChildProcess;
  /** Resolves once the worker has sent { type: 'ready' }. */
  ready: Promise<void>;
  done: Promise<ChildOutcome<T>>;
  send(message: unknown): void;
  /** The next message of this type from the worker; rejects if the worker exits first. */
  next<V>(type: string): Promise<V>;
}

export function workerPath(name: string): string {
  return path.join(__dirname, `${name}.js`);
}

/** Starts a worker; `execArgv` are extra node flags (e.g. a heap cap, --expose-gc). */
export function startWorker<T>(
  name: string,
  args: readonly string[],
  options: { execArgv?: string[]; timeoutMs?: number } = {},
): WorkerHandle<T> {
  const child = fork(workerPath(name), [...args], {
    execArgv: options.execArgv ?? [],
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => {
    // Keep the tail only: a crashing child can print a lot.
    stderr = (stderr + d).slice(-4000);
  });
  let result: T | null = null;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.on('message', (m: { type?: string; value?: T }) => {
    if (m.type === 'ready') markReady();
    if (m.type === 'result') result = m.value ?? null;
  });
  const done = new Promise<ChildOutcome<T>>((resolve) => {
    const timer =
      options.timeoutMs === undefined ? null : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('exit', (exitCode, signal) => {
      if (timer) clearTimeout(timer);
      markReady(); // a child that died before it was ready must not hang the caller
      resolve({ result, exitCode, signal, stderr });
    });
  });
  const next = <V>(type: string): Promise<V> =>
    new Promise<V>((resolve, reject) => {
      const onMessage = (m: { type?: string; value?: V }): void => {
        if (m.type !== type) return;
        cleanup();
        resolve(m.value as V);
      };
      const onExit = (code: number | null, signal: string | null): void => {
        cleanup();
        reject(new Error(`bench worker ${name} exited (${code ?? signal}) before sending "${type}": ${stderr.trim().slice(-1500)}`));
      };
      const cleanup = (): void => {
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      child.on('message', onMessage);
      child.on('exit', onExit);
    });
  return { child, ready, done, send: (message) => child.send(message as object), next };
}

/** Runs one worker to completion and returns its result, or throws with its stderr. */
export async function runWorker<T>(
  name: string,
  args: readonly string[],
  options: { execArgv?: string[]; timeoutMs?: number } = {},
): Promise<T> {
  const outcome = await startWorker<T>(name, args, options).done;
  if (outcome.result === null) {
    throw new Error(
      `bench worker ${name} ${args.join(' ')} ended without a result ` +
        `(exit ${outcome.exitCode}, signal ${outcome.signal}): ${outcome.stderr.trim().slice(-1500)}`,
    );
  }
  return outcome.result;
}

/** For workers: send the result to the parent and let the process end. */
export function sendResult(value: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) {
      process.stdout.write(JSON.stringify(value) + '\n');
      resolve();
      return;
    }
    process.send({ type: 'result', value }, (err: Error | null) => (err ? reject(err) : resolve()));
  });
}

export function sendReady(): void {
  process.send?.({ type: 'ready' });
}

/** For workers serving several requests: a message to the parent. */
export function sendMessage(type: string, value: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) throw new Error('not a forked worker');
    process.send({ type, value }, (err: Error | null) => (err ? reject(err) : resolve()));
  });
}

/** For workers: the next message of this type from the parent. */
export function nextMessage<T>(type: string): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (m: { type?: string; value?: T }): void => {
      if (m.type !== type) return;
      process.off('message', onMessage);
      resolve(m.value as T);
    };
    process.on('message', onMessage);
  });
}

/** Peak resident set size of this process so far, in MB (10^6 bytes, as the targets are). */
export function peakRssMB(): number {
  return (process.resourceUsage().maxRSS * 1024) / 1e6;
}

/** Ends a worker cleanly after reporting, so an open handle cannot keep it alive. */
export function finishWorker(work: () => Promise<unknown>): void {
  work()
    .then(sendResult)
    .then(() => process.disconnect?.())
    .catch((err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
      process.disconnect?.();
    });
}
