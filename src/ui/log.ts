import * as vscode from 'vscode';

/**
 * The "Session Keeper" log. One clear line per thing the extension did or failed to do; routine
 * successes (each heartbeat) stay out so the log is worth reading.
 */
export type Log = vscode.LogOutputChannel;

export function createLog(): Log {
  return vscode.window.createOutputChannel('Session Keeper', { log: true });
}

/** The message of anything thrown, with its code when Node gave one (ENOENT, EACCES …). */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
