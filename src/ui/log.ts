import * as vscode from 'vscode';
import { errorText } from '../core/error-text';

/**
 * The "Session Keeper" log. One clear line per thing the extension did or failed to do; routine
 * successes (each heartbeat) stay out so the log is worth reading.
 */
export type Log = vscode.LogOutputChannel;

export function createLog(): Log {
  return vscode.window.createOutputChannel('Session Keeper', { log: true });
}

/**
 * One line for anything thrown: system errors in words with their code (core/error-text.ts, as
 * the CLI says them), else the message, with its code when it has one the message lacks.
 */
export function describeError(err: unknown): string {
  const text = errorText(err);
  const code = err instanceof Error ? (err as NodeJS.ErrnoException).code : undefined;
  return code && !text.includes(code) ? `${code}: ${text}` : text;
}
