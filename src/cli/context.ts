// What every command gets, and the exit-code contract scripts rely on.
import { oneLine } from '../core/one-line';
import type { StoreOptions } from '../core/session-store';

export const EXIT_OK = 0;
/** The command ran and found a problem (e.g. `check` found corruption). */
export const EXIT_PROBLEM = 1;
/** Usage error, or an I/O error that stopped the command. */
export const EXIT_ERROR = 2;

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Resolves when what stdout() was given has been taken by the reader (a streaming command waits between chunks). */
  drained?(): Promise<void>;
}

export interface CommandContext extends CliIo {
  /** The sessions directory (--dir, else $SESSION_KEEPER_DIR, else the platform default). */
  dir: string;
  /** Whether --dir was given (it then wins over the environment and the config file). */
  dirGiven?: boolean;
  /** --registry URL (after the command, else before it). */
  registry?: string;
  /** --registry-password-file FILE. */
  registryPasswordFile?: string;
  /** Extra store options (tests). */
  storeOptions?: StoreOptions;
}

/** Bad command line: reported as one line on stderr with exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Writes "session-keeper: <message>" as one line. */
export function printError(io: Pick<CliIo, 'stderr'>, message: string): void {
  io.stderr(`session-keeper: ${oneLine(message, 2000)}\n`);
}

export function printWarning(io: Pick<CliIo, 'stderr'>, message: string): void {
  io.stderr(`session-keeper: warning: ${oneLine(message, 2000)}\n`);
}
