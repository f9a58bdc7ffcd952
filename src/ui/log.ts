// The "Session Keeper" log as the rest of the UI sees it: four methods, no vscode import, so
// the classes that log (SessionsModel, TreeRefresher, WindowSession) run under plain Node.
// extension.ts creates the real one (a vscode.LogOutputChannel has these methods).

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

/** The message of anything thrown, with its code when Node gave one (ENOENT, EACCES …). */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
