// The session of the agent that launched the MCP server: who it is (from the client's
// `initialize`), where it works (its roots, else the working directory), and how it ends.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { oneLine } from '../core/one-line';
import { isProcessAlive } from '../core/process-info';
import { LIMITS } from '../core/session-record';

/** What the client said about itself in `initialize` (untrusted text). */
export interface ClientIdentity {
  name?: string;
  title?: string;
  version?: string;
}

/** The session label: the client's title or name, one printable line. */
export function agentLabel(client: ClientIdentity | undefined): string {
  const name = client?.title || client?.name || 'MCP client';
  return oneLine(name, 200);
}

/** The session's `tool` field: `mcp:<client name>`. */
export function agentTool(client: ClientIdentity | undefined): string {
  return `mcp:${oneLine(client?.name || 'unknown', LIMITS.tool - 4)}`;
}

/** Local paths of `file://` root URIs; others (and malformed ones) are skipped. */
export function rootPaths(roots: Array<{ uri: string }>): string[] {
  const out: string[] = [];
  for (const r of roots) {
    if (typeof r?.uri !== 'string' || !r.uri.startsWith('file:')) continue;
    try {
      out.push(fileURLToPath(r.uri));
    } catch {
      // Not a local file URL (e.g. file://otherhost/...): not a folder on this machine.
    }
  }
  return out;
}

/** Shells that run a `-c` command line and wait for it: launchers, not the agent. */
const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ash', 'ksh', 'busybox']);

/** argv of process `pid` from /proc (Linux), or null. */
function cmdlineOf(pid: number): string[] | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
  } catch {
    return null;
  }
}

function parentOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) && ppid > 1 ? ppid : null;
  } catch {
    return null;
  }
}

/**
 * Whether argv is a launcher that only starts the server and waits: `sh -c …` (and other
 * shells), `npx …`, `npm exec …` (npm renames its process to "npm exec …"), or node running
 * npm's/npx's own CLI script.
 */
export function isWrapper(argv: string[]): boolean {
  const first = argv[0] ?? '';
  const base = path.basename(first.split(' ')[0] ?? '');
  if (SHELLS.has(base) && argv.includes('-c')) return true;
  if (base === 'npx' || base === 'npm' || first.startsWith('npm exec') || first.startsWith('npx ')) return true;
  if (/^node(js)?(\.exe)?$/.test(base) && /(npm|npx)-cli\.js$/.test(argv[1] ?? '')) return true;
  return false;
}

/**
 * The agent's pid: the server's parent, or, past launchers (isWrapper) between them, the first
 * ancestor that is not one (at most 4 levels, Linux only; elsewhere the parent). A session that
 * stood for `sh -c` would outlive a killed agent: the shell still runs when stdin closes.
 */
export function agentPid(parent: number = process.ppid): number {
  if (process.platform !== 'linux') return parent;
  let pid = parent;
  for (let i = 0; i < 4; i++) {
    const argv = cmdlineOf(pid);
    if (argv === null || !isWrapper(argv)) return pid;
    const up = parentOf(pid);
    if (up === null) return pid;
    pid = up;
  }
  return pid;
}

/**
 * Whether the agent `pid` (the server's parent, or its ancestor past launchers) has ended: gone
 * or a zombie. When it is the direct parent, being re-parented away from it also counts.
 */
export function parentGone(pid: number, directParent: number = process.ppid): boolean {
  if (pid === directParent && process.ppid !== pid) return true;
  if (!isProcessAlive(pid)) return true;
  if (process.platform === 'linux') {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Field 3 (state) follows the last ')' of the command name.
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state === 'Z' || state === 'X') return true;
    } catch {
      return true;
    }
  }
  return false;
}
