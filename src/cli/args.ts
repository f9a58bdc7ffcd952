// Command-line parsing: global options, then the command and its own options (node:util
// parseArgs, strict). Every mistake becomes a UsageError with one clear line.
import { parseArgs } from 'node:util';
import { UsageError } from './context';
import { didYouMean } from './suggest';

export interface GlobalArgs {
  dir: string | undefined;
  registry: string | undefined;
  registryPasswordFile: string | undefined;
  help: boolean;
  version: boolean;
  command: string | undefined;
  rest: string[];
}

/**
 * A FILE or DIR argument of `command` as given, refusing the empty string: joined to the working
 * folder it would silently name that folder (`check ''` read as the current folder).
 */
export function pathArgument(command: string | undefined, what: string, value: string): string {
  if (value === '') throw new UsageError(`${command ? `${command}: ` : ''}${what} is empty; give a path`, command);
  return value;
}

const OPTION_FLAGS = { registry: '--registry', registryPasswordFile: '--registry-password-file' } as const;

/** Options before the command: --dir DIR, --registry URL, --registry-password-file FILE, --help/-h, --version. */
export function parseGlobal(argv: string[]): GlobalArgs {
  const out: GlobalArgs = { dir: undefined, registry: undefined, registryPasswordFile: undefined, help: false, version: false, command: undefined, rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const registryOption = (['registry', 'registryPasswordFile'] as const).find((k) => a === OPTION_FLAGS[k] || a.startsWith(`${OPTION_FLAGS[k]}=`));
    if (registryOption !== undefined) {
      const flag = OPTION_FLAGS[registryOption];
      const value = a === flag ? argv[++i] : a.slice(flag.length + 1);
      if (!value) throw new UsageError(`option ${flag} needs a value`);
      out[registryOption] = value;
    } else if (a === '--dir') {
      const value = argv[i + 1];
      if (value === undefined) throw new UsageError('option --dir needs a directory');
      out.dir = value;
      i++;
    } else if (a.startsWith('--dir=')) {
      out.dir = a.slice('--dir='.length);
    } else if (a === '--help' || a === '-h') {
      out.help = true;
    } else if (a === '--version' || a === '-V') {
      out.version = true;
    } else if (a === '--') {
      // The end of the options, as everywhere: what follows is the command and its arguments.
      out.command = argv[i + 1];
      out.rest = argv.slice(i + 2);
      break;
    } else if (a.startsWith('-')) {
      const name = a.split('=')[0] as string;
      const hint = didYouMean(name, ['--dir', '--help', '--version', '--registry', '--registry-password-file', '-h', '-V']);
      throw new UsageError(`unknown option ${a}${hint || ' (options of a command go after the command name)'}`);
    } else {
      out.command = a;
      out.rest = argv.slice(i + 1);
      break;
    }
  }
  if (out.dir === '') throw new UsageError('option --dir needs a non-empty directory');
  return out;
}

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>;

export interface ParsedCommand {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** Parses a command's arguments; --dir, --registry, --registry-password-file and --help are accepted by every command. */
export function parseCommand(command: string, args: string[], options: OptionSpec): ParsedCommand {
  try {
    const { values, positionals } = parseArgs({
      args: joinNegativeValues(args, options),
      options: {
        ...options,
        dir: { type: 'string' },
        registry: { type: 'string' },
        'registry-password-file': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as ParsedCommand['values'], positionals };
  } catch (err) {
    // parseArgs' messages are clear but long; keep the first sentence.
    const message = /^[^\n]*?\.(?=\s|$)/.exec((err as Error).message)?.[0] ?? (err as Error).message;
    const unknown = /^Unknown option '(-[^']*)'/.exec(message)?.[1];
    const known = [...Object.keys(options), 'dir', 'help'].map((o) => `--${o}`);
    const hint = unknown === undefined ? '' : didYouMean(unknown.split('=')[0] as string, known);
    throw new UsageError(`${command}: ${hint ? `${message.replace(/\.$/, '')}${hint}` : message}`, command);
  }
}

/**
 * `--pid -5` → `--pid=-5`: parseArgs takes a value that starts with '-' for a mistyped option
 * ("argument is ambiguous"); a negative number after an option that takes a value is its value,
 * so the option's own check can say what range it wants.
 */
function joinNegativeValues(args: string[], options: OptionSpec): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--') return out.concat(args.slice(i));
    const next = args[i + 1];
    const name = a.startsWith('--') ? a.slice(2) : null;
    if (name !== null && (options[name]?.type === 'string' || name === 'dir' || name === 'registry' || name === 'registry-password-file') && next !== undefined && /^-\d/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else {
      out.push(a);
    }
  }
  return out;
}

/** For `run`: splits "[options] -- CMD ARGS…" (the `--` may be left out before CMD). */
export function splitRunArgs(args: string[], valueOptions: Set<string>): { options: string[]; command: string[] } {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--') return { options: args.slice(0, i), command: args.slice(i + 1) };
    if (!a.startsWith('-')) return { options: args.slice(0, i), command: args.slice(i) };
    if (valueOptions.has(a)) i++; // its value may look like anything
  }
  return { options: args, command: [] };
}

export function stringOption(values: ParsedCommand['values'], name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A positive integer option within [min, max]. */
export function intOption(command: string, values: ParsedCommand['values'], name: string, min: number, max: number): number | undefined {
  const raw = stringOption(values, name);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new UsageError(`${command}: --${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`, command);
  }
  return Number(raw);
}

export function noPositionals(command: string, positionals: string[]): void {
  if (positionals.length > 0) throw new UsageError(`${command}: unexpected argument ${JSON.stringify(positionals[0])}`, command);
}
