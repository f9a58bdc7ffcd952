// Finding and ending every process a harness run started, including ones that left the
// process group (VS Code's terminals call setsid) or were re-parented to init.
import * as fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Every process a run starts inherits this variable (value: the run's temp folder), so cleanup
 * can find them all by their environment.
 */
export const RUN_MARKER_ENV = 'SESSION_KEEPER_HARNESS_RUN';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface ProcStat {
  pid: number;
  state: string;
  pgrp: number;
}

function readStat(pid: string): ProcStat | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name is in parentheses and may itself contain spaces or parentheses.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { pid: Number(pid), state: fields[0] ?? '', pgrp: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

function procPids(): string[] {
  try {
    return fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
}

/**
 * Whether the group still has a live (non-zombie) member. Zombies count as gone: in a
 * container whose PID 1 reaps nothing they would otherwise seem to live for ever.
 */
function groupAlive(pgid: number): boolean {
  const pids = procPids();
  if (pids.length > 0) {
    return pids.some((pid) => {
      const stat = readStat(pid);
      return stat !== undefined && stat.pgrp === pgid && stat.state !== 'Z';
    });
  }
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Pids (other than ours) whose environment or command line contains one of `needles`. Linux only;
 * elsewhere none. The command line matters for Chromium's helpers, which start with a
 * trimmed environment but carry the profile folder in --user-data-dir.
 */
export function processesMentioning(...needles: string[]): number[] {
  const found: number[] = [];
  for (const entry of procPids()) {
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      const stat = readStat(entry);
      if (!stat || stat.state === 'Z') continue;
      const text = fs.readFileSync(`/proc/${entry}/environ`, 'latin1') + '\0' + fs.readFileSync(`/proc/${entry}/cmdline`, 'latin1');
      if (needles.some((needle) => text.includes(needle))) found.push(pid);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

/** The processes of the run whose marker (temp folder) is `marker`. */
export function markedProcesses(marker: string): number[] {
  return processesMentioning(`${RUN_MARKER_ENV}=${marker}\0`, `${marker}/`);
}

function signal(target: number, sig: NodeJS.Signals): void {
  try {
    process.kill(target, sig);
  } catch {
    // already gone
  }
}

/**
 * SIGTERM to the process group `pgid` and to every process carrying `marker`; after `graceMs`
 * SIGKILL whatever is left. Resolves when none is left (or after a final SIGKILL round).
 */
export async function killRun(pgid: number | undefined, marker: string | undefined, graceMs = 3000): Promise<void> {
  const remaining = (): number[] => (marker ? markedProcesses(marker) : []);
  const anyAlive = (): boolean => (pgid !== undefined && groupAlive(pgid)) || remaining().length > 0;
  if (pgid !== undefined) signal(-pgid, 'SIGTERM');
  for (const pid of remaining()) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (anyAlive() && Date.now() < deadline) await sleep(100);
  for (let round = 0; round < 20 && anyAlive(); round++) {
    if (pgid !== undefined) signal(-pgid, 'SIGKILL');
    for (const pid of remaining()) signal(pid, 'SIGKILL');
    await sleep(100);
  }
}

/** Removes a folder tree; retries because a dying process may still be writing into it. */
export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
}
