// The session of the agent that launched the MCP server: who it is (from the client's
// `initialize`), where it works (its roots, else the working directory), and how it ends.
import { readFileSync } from 'node:fs';
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

/**
 * Whether the process `pid` (the server's parent, the agent) has ended: gone, a zombie, or
 * this process already re-parented away from it.
 */
export function parentGone(pid: number): boolean {
  if (process.ppid !== pid) return true;
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
