import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { buildSync } from 'esbuild';

/** Absolute path of a compiled helper script in out/test/fixtures. */
export function fixture(name: string): string {
  return join(__dirname, '..', '..', 'fixtures', `${name}.js`);
}

export interface ChildOptions {
  /** Program and arguments placed before `node script ...` (setpriv, unshare, sh -c ...). */
  wrapper?: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Called for each complete stdout line, in order. */
  onLine?: (line: string) => void;
}

export interface Child {
  proc: ChildProcess;
  pid: number;
  /** Lines received so far on stdout. */
  lines: string[];
  stderr: () => string;
  /** Resolves when the process has exited and its stdout is fully read. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first stdout line that satisfies `match`, rejects after `timeoutMs`. */
  waitForLine: (match: (line: string) => boolean, timeoutMs: number) => Promise<string>;
}

/**
 * Starts `node <script> ...args` as a real child process. Its stdout is read line by line:
 * helpers report each acknowledged operation on a line of its own. Writes to a pipe are
 * synchronous on Linux, so a line the child wrote before SIGKILL still reaches us.
 */
export function startChild(script: string, args: string[], options: ChildOptions = {}): Child {
  const foreign = options.wrapper === asNobody;
  const runnable = foreign ? bundledForOtherUsers(script) : script;
  const argv = [...(options.wrapper ?? []), process.execPath, runnable, ...args];
  const [command, ...rest] = argv as [string, ...string[]];
  const proc = spawn(command, rest, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.env ?? process.env,
    // Another user may not be able to enter the checkout (a clone in a 0700 folder).
    cwd: options.cwd ?? (foreign ? dirnameOf(runnable) : undefined),
  });
  const lines: string[] = [];
  const waiters: Array<{ match: (l: string) => boolean; resolve: (l: string) => void }> = [];
  let partial = '';
  let err = '';
  const deliver = (line: string): void => {
    lines.push(line);
    options.onLine?.(line);
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i];
      if (w && w.match(line)) {
        waiters.splice(i, 1);
        w.resolve(line);
      }
    }
  };
  proc.stdout?.setEncoding('utf8');
  proc.stdout?.on('data', (chunk: string) => {
    partial += chunk;
    let nl = partial.indexOf('\n');
    while (nl >= 0) {
      deliver(partial.slice(0, nl));
      partial = partial.slice(nl + 1);
      nl = partial.indexOf('\n');
    }
  });
  proc.stderr?.setEncoding('utf8');
  proc.stderr?.on('data', (chunk: string) => {
    // Keep the tail only: a child looping on an error must not fill our memory.
    err = (err + chunk).slice(-20000);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    proc.on('error', reject);
    // 'close' comes after stdout has ended, so every line is delivered by then.
    proc.on('close', (code, signal) => {
      if (partial) deliver(partial);
      partial = '';
      resolve({ code, signal });
    });
  });
  const waitForLine = (match: (l: string) => boolean, timeoutMs: number): Promise<string> => {
    const seen = lines.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`child ${script} printed no matching line in ${timeoutMs} ms; stderr: ${err.slice(-2000)}`));
      }, timeoutMs);
      const entry = {
        match,
        resolve: (l: string) => {
          clearTimeout(timer);
          resolve(l);
        },
      };
      waiters.push(entry);
      void exited.then(() => {
        const i = waiters.indexOf(entry);
        if (i >= 0) {
          waiters.splice(i, 1);
          clearTimeout(timer);
          reject(new Error(`child ${script} exited before the expected line; stderr: ${err.slice(-2000)}`));
        }
      });
    });
  };
  if (proc.pid === undefined) throw new Error(`could not start ${command}`);
  return { proc, pid: proc.pid, lines, stderr: () => err, exited, waitForLine };
}

/** Waits for a child to exit; kills it with SIGKILL and fails if it takes longer than `ms`. */
export async function exitWithin(child: Child, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      child.proc.kill('SIGKILL');
      reject(new Error(`child did not exit within ${ms} ms (hung); stderr: ${child.stderr().slice(-2000)}`));
    }, ms);
  });
  try {
    return await Promise.race([child.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs a helper to completion and parses the JSON it prints as its last stdout line. */
export async function runChildJson<T>(script: string, args: string[], options: ChildOptions & { timeoutMs?: number } = {}): Promise<{ result: T; code: number | null; stderr: string }> {
  const child = startChild(script, args, options);
  const { code } = await exitWithin(child, options.timeoutMs ?? 60000);
  const last = [...child.lines].reverse().find((l) => l.startsWith('{'));
  if (last === undefined) throw new Error(`helper printed no JSON (exit ${code}); stderr: ${child.stderr().slice(-3000)}`);
  return { result: JSON.parse(last) as T, code, stderr: child.stderr() };
}

/** True when `argv` runs successfully here (used to find out whether unshare etc. are allowed). */
export function canRun(argv: string[]): boolean {
  const [command, ...rest] = argv as [string, ...string[]];
  const r = spawnSync(command, rest, { stdio: 'ignore', timeout: 10000 });
  return r.status === 0;
}

const bundled = new Map<string, string>();
let bundleDir: string | undefined;

function dirnameOf(file: string): string {
  return join(file, '..');
}

/**
 * The helper bundled into one file in a world-readable temp folder: the checkout (and its
 * node_modules) may sit in a folder that only its owner can enter, as `mktemp -d` makes them.
 */
function bundledForOtherUsers(script: string): string {
  const known = bundled.get(script);
  if (known !== undefined) return known;
  if (bundleDir === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'sk-rel-bundle-'));
    chmodSync(dir, 0o755);
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    bundleDir = dir;
  }
  const out = join(bundleDir, basename(script));
  buildSync({ entryPoints: [script], outfile: out, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'error' });
  chmodSync(out, 0o644);
  bundled.set(script, out);
  return out;
}

/** Wrapper that runs the child as the unprivileged user `nobody` (root ignores permission bits). */
export const asNobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
export const NOBODY_UID = 65534;
export const NOBODY_GID = 65534;

/** A random delay in [0, maxMs). */
export function randomDelay(maxMs: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * maxMs)));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
