// The "Session Keeper" log as the rest of the UI sees it: four methods, no vscode import, so
// the classes that log (SessionsModel, TreeRefresher, WindowSession) run under plain Node.
// extension.ts creates the real one (a vscode.LogOutputChannel has these methods).
import { errorText } from '../core/error-text';

/**
 * The log. One clear line per thing the extension did or failed to do; routine successes (each
 * heartbeat) stay out so the log is worth reading.
 */
export interface Log {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** Opens the log where the person can read it. */
  show(): void;
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
