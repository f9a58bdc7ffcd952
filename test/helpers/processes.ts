// Shared by unit tests that run the real CLI, real child processes and real folders: temp folders and
// children are tracked and removed/killed by cleanupTracked(), which a test file registers with
// afterEach(cleanupTracked).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The compiled CLI entry (out/src/cli/main.js). */
export const CLI = path.join(__dirname, '..', '..', 'src', 'cli', 'main.js');

const dirs: string[] = [];
const children: ChildProcess[] = [];

/** Kills every tracked child and removes every tracked folder. */
export function cleanupTracked(): void {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** Tracks a folder for removal, and returns it. */
export function trackDir(dir: string): string {
  dirs.push(dir);
  return dir;
}

/** Tracks a child for killing, and returns it. */
export function trackChild<T extends ChildProcess>(child: T): T {
  children.push(child);
  return child;
}

/** A new, empty temp folder `sk-<prefix>-XXXXXX`, removed by cleanupTracked(). */
export function tempDir(prefix: string): string {
  return trackDir(fs.mkdtempSync(path.join(os.tmpdir(), `sk-${prefix}-`)));
}

/** A new file `name` holding `content`, alone in a new tracked temp folder `sk-<prefix>-XXXXXX`. */
export function tempFile(prefix: string, content: Buffer | string, name = 'data.jsonl'): string {
  const file = path.join(tempDir(prefix), name);
  fs.writeFileSync(file, content);
  return file;
}

/** A fresh (not yet created) sessions folder inside a new tracked temp folder. */
export function tempSessionsDir(prefix: string): string {
  return path.join(tempDir(prefix), 'sessions');
}

/** What a finished CLI run gave: its exit code (null when a signal ended it) and its whole output. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI as a real process (SESSION_KEEPER_DIR cleared, `env` added); resolves with its
 * exit code and output.
 */
export async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const proc = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, SESSION_KEEPER_DIR: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const [code] = (await once(proc, 'close')) as [number | null];
  return { code, stdout, stderr };
}

/** A tracked node child that idles until killed. */
export async function liveChild(): Promise<ChildProcess & { pid: number }> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await once(child, 'spawn');
  return trackChild(child) as ChildProcess & { pid: number };
}

/** SIGKILLs `child` and waits until it has exited. */
export async function killed(child: ChildProcess): Promise<void> {
  child.kill('SIGKILL');
  if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
}
