// Real things for the Session Keeper integration tests: other processes, CLI registrations,
// records on disk. No stand-ins: sessions are registered by the CLI for real child processes.
import * as assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SessionKeeperApi } from '../../src/ui/api';
import type { TreeRow } from '../../src/ui/session-tree-provider';
import { extension } from './extension-under-test';

export async function api(): Promise<SessionKeeperApi> {
  const ext = extension() as vscode.Extension<SessionKeeperApi>;
  const exports = await ext.activate();
  assert.ok(exports && typeof exports.snapshot === 'function', 'activate() returns the Session Keeper API');
  await exports.ready;
  return exports;
}

/** Polls an async check until it returns a value (not undefined/false); fails after `timeoutMs`. */
export async function until<T>(check: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A long-running child process (a stand-in for an agent or another tool: it only has to exist). */
export function spawnSleeper(): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
  assert.ok(child.pid, 'child process started');
  return child;
}

export async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

export function cliPath(): string {
  return path.join(extension().extensionPath, 'dist', 'cli.js');
}

/** Runs the session-keeper CLI (dist/cli.js) with this host's Node; returns stdout. */
export function cli(args: string[]): string {
  const run = spawnSync(process.execPath, [cliPath(), ...args], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(run.status, 0, `session-keeper ${args.join(' ')} failed (${run.status}): ${run.stderr}`);
  return run.stdout;
}

export interface RecordOnDisk {
  id: string;
  pid: number;
  label: string;
  tool: string;
  workspaceFolders: string[];
  heartbeatAt: string;
  closedAt: string | null;
  heartbeatIntervalMs: number;
}

export function readRecord(file: string): RecordOnDisk | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as RecordOnDisk;
  } catch {
    return undefined;
  }
}

/** The live records in a sessions folder (not the archive). */
export function recordsIn(dir: string): RecordOnDisk[] {
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir).filter((n) => /^[0-9a-f-]{36}\.json$/.test(n));
  } catch {
    return [];
  }
  return names.map((n) => readRecord(path.join(dir, n))).filter((r): r is RecordOnDisk => r !== undefined);
}

/** Registers a session for `pid` with the CLI (as another tool would) and returns its id. */
export async function registerOther(dir: string, label: string, pid: number): Promise<string> {
  const id = cli(['--dir', dir, 'register', '--label', label, '--pid', String(pid)]).trim();
  const record = readRecord(path.join(dir, `${id}.json`));
  assert.equal(record?.pid, pid, `the CLI wrote a record for pid ${pid}`);
  return id;
}

/** Every row of the tree, flattened, with the path of group labels above it. */
export function flatten(rows: TreeRow[], parents: string[] = []): (TreeRow & { path: string[] })[] {
  return rows.flatMap((r) => [{ ...r, path: parents }, ...flatten(r.children, [...parents, r.label])]);
}

/** The tree row of a session, searched by the session id in its tooltip. */
export async function rowOf(sk: SessionKeeperApi, id: string): Promise<(TreeRow & { path: string[] }) | undefined> {
  await sk.refresh();
  return flatten(await sk.snapshot()).find((r) => r.contextValue.startsWith('session.') && r.tooltip.includes(id.replace(/-/g, '\\-')));
}

export function tempDirIn(parent: string, prefix: string): string {
  fs.mkdirSync(parent, { recursive: true });
  return fs.mkdtempSync(path.join(parent, prefix));
}
