// The `session-keeper` command. main() is the testable core; the bottom of this file runs it
// when this module is the program (dist/cli.js or out/src/cli/main.js).
import { joinAsOpened } from '../core/lock-target';
import { defaultSessionsDir } from '../core/paths';
import { parseGlobal, pathArgument } from './args';
import { EXIT_ERROR, EXIT_OK, printError, UsageError, type CliIo, type CommandContext } from './context';
import { commandHelp, globalHelp } from './help';
import { packageVersion } from './version';
import { didYouMean } from './suggest';
import { errorText } from '../core/error-text';

type Command = (ctx: CommandContext, args: string[]) => Promise<number>;

/**
 * Each command is loaded when it runs: a command's start-up then pays only for its own modules
 * (check loads no child_process, crypto or lock code), which is most of the CLI's start-up time
 * after Node's own. In the bundle (dist/cli.js) the code is there already; what is saved is
 * running the modules' top levels and the built-in modules they require.
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  list: async () => (await import('./commands/list')).listCommand,
  register: async () => (await import('./commands/register')).registerCommand,
  heartbeat: async () => (await import('./commands/heartbeat')).heartbeatCommand,
  close: async () => (await import('./commands/heartbeat')).closeCommand,
  run: async () => (await import('./commands/run')).runCommand,
  archive: async () => (await import('./commands/archive')).archiveCommand,
  append: async () => (await import('./commands/append')).appendCommand,
  check: async () => (await import('./commands/check')).checkCommand,
  repair: async () => (await import('./commands/repair')).repairCommand,
  // The MCP server and its SDK are a separate bundle (dist/mcp.js).
  mcp: async () => (await loadMcp()).mcpCommand,
};

async function loadMcp(): Promise<typeof import('../mcp/command')> {
  try {
    return await import('../mcp/command');
  } catch (err) {
    // The VS Code extension ships the CLI without the MCP bundle.
    if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw err;
    throw new Error('the mcp command is not part of this copy of the CLI; install the npm package (npm install -g session-keeper)', { cause: err });
  }
}

export async function main(argv: string[], io: CliIo, extra: Pick<CommandContext, 'storeOptions'> = {}): Promise<number> {
  try {
    const global = parseGlobal(argv);
    if (global.version) {
      io.stdout(`${packageVersion()}\n`);
      return EXIT_OK;
    }
    let { command } = global;
    let rest = global.rest;
    if (command === 'help') {
      command = rest[0];
      rest = ['--help'];
    }
    if (command === undefined) {
      if (global.help) {
        io.stdout(globalHelp());
        return EXIT_OK;
      }
      throw new UsageError('expected a command; see session-keeper --help');
    }
    const load = Object.prototype.hasOwnProperty.call(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (!load) throw new UsageError(`unknown command ${JSON.stringify(command)}${didYouMean(command, [...Object.keys(COMMANDS), 'help'])}; see session-keeper --help`);
    if (global.help || wantsHelp(command, rest)) {
      io.stdout(commandHelp(command) ?? globalHelp());
      return EXIT_OK;
    }
    const given = commandOption(rest, '--dir');
    const dir = given !== undefined ? pathArgument(command, '--dir', given) : global.dir;
    const registry = commandOption(rest, '--registry') ?? global.registry;
    const registryPasswordFile = commandOption(rest, '--registry-password-file') ?? global.registryPasswordFile;
    const ctx: CommandContext = {
      ...io,
      ...extra,
      dir: dir !== undefined ? joinAsOpened(io.cwd, dir) : defaultSessionsDir(io.env),
      dirGiven: dir !== undefined,
      ...(registry !== undefined ? { registry } : {}),
      ...(registryPasswordFile !== undefined ? { registryPasswordFile } : {}),
    };
    const run = await load();
    return await run(ctx, rest);
  } catch (err) {
    if (err instanceof UsageError) {
      printError(io, err.message);
      if (err.command) io.stderr(`Try: session-keeper ${err.command} --help\n`);
      return EXIT_ERROR;
    }
    // Errors are expected here (missing files, locks held, bad ids): one line, no stack.
    printError(io, errorText(err));
    return EXIT_ERROR;
  }
}

/** --help/-h among a command's own options (for `run`, only before the child's command). */
function wantsHelp(command: string, args: string[]): boolean {
  for (const a of args) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
    if (command === 'run' && !a.startsWith('-')) return false;
  }
  return false;
}

/** An option (--dir, --registry, …) given after the command wins over one given before it. */
function commandOption(args: string[], flag: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--') break;
    if (a === flag) value = args[++i];
    else if (a.startsWith(`${flag}=`)) value = a.slice(flag.length + 1);
  }
  return value;
}

/** Exit status of a process stopped by SIGPIPE, as shells report it (128 + 13). */
export const EXIT_BROKEN_PIPE = 141;

if (require.main === module) {
  // The reader of our output went away (`check big.jsonl | head -1`): stop quietly, as a
  // program killed by SIGPIPE would, instead of dying with an unhandled 'error' event.
  const onStreamError = (err: NodeJS.ErrnoException): void => {
    if (err.code === 'EPIPE') process.exit(EXIT_BROKEN_PIPE);
    throw err;
  };
  process.stdout.on('error', onStreamError);
  process.stderr.on('error', onStreamError);
  const io: CliIo = {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    // A slow reader of a pipe (async on macOS and Windows) must not make us buffer all of `list --all`.
    drained: () => (process.stdout.writableNeedDrain ? new Promise((resolve) => process.stdout.once('drain', resolve)) : Promise.resolve()),
  };
  main(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`session-keeper: ${String(err)}\n`);
      process.exitCode = 2;
    },
  );
}
