// Which registry a tool on this machine uses, and with which password: command-line options,
// then the environment, then one machine-wide config file, then the default sessions directory.
// Shared by the CLI, the library, the MCP server and the extension so that they all agree.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { joinAsOpened } from './lock-target';
import { defaultSessionsDir } from './paths';
import { RegistryConfigError, RegistryPasswordFileError } from './registry-errors';
import { parseRegistryLocation, type RegistryLocation } from './registry-location';

const APP = 'session-keeper';
/** Password files and config files are tiny; a bigger one is a mistake, not a secret. */
const MAX_SMALL_FILE_BYTES = 64 * 1024;

/** The machine-wide config file's fields (all optional; unknown fields are ignored for newer versions). */
export interface RegistryConfig {
  /** A registry location: directory path, file: URL or Redis URL (see parseRegistryLocation). */
  registry?: string;
  /** File holding the Redis password (one line), used with `registry` of this file. */
  registryPasswordFile?: string;
}

/**
 * The config file: `$XDG_CONFIG_HOME/session-keeper/config.json` (absolute XDG_CONFIG_HOME, else
 * ~/.config) on Linux and other Unixes, `~/Library/Application Support/session-keeper/config.json`
 * on macOS, `%APPDATA%\session-keeper\config.json` on Windows. `$SESSION_KEEPER_CONFIG` overrides.
 */
export function configFilePath(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
): string {
  const p = platform === 'win32' ? path.win32 : path.posix;
  if (env.SESSION_KEEPER_CONFIG) return p.resolve(env.SESSION_KEEPER_CONFIG);
  if (platform === 'win32') {
    const roaming = env.APPDATA && p.isAbsolute(env.APPDATA) ? env.APPDATA : p.join(home, 'AppData', 'Roaming');
    return p.join(roaming, APP, 'config.json');
  }
  if (platform === 'darwin') return p.join(home, 'Library', 'Application Support', APP, 'config.json');
  const config = env.XDG_CONFIG_HOME && p.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : p.join(home, '.config');
  return p.join(config, APP, 'config.json');
}

/**
 * Reads the config file; null when it does not exist. RegistryConfigError when it is not a JSON
 * object, or `registry`/`registryPasswordFile` are not non-empty strings. A relative
 * `registryPasswordFile` or directory `registry` is taken relative to the file's folder.
 */
export function readRegistryConfig(file: string): RegistryConfig | null {
  let text: string;
  try {
    text = readSmallFile(file, (reason) => new RegistryConfigError(file, reason));
  } catch (err) {
    if (err instanceof RegistryConfigError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new RegistryConfigError(file, (err as Error).message);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new RegistryConfigError(file, `not valid JSON: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new RegistryConfigError(file, 'expected a JSON object');
  const out: RegistryConfig = {};
  for (const key of ['registry', 'registryPasswordFile'] as const) {
    const value = (raw as Record<string, unknown>)[key];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value === '') throw new RegistryConfigError(file, `"${key}" must be a non-empty string`);
    out[key] = value;
  }
  const base = path.dirname(file);
  if (out.registryPasswordFile !== undefined) out.registryPasswordFile = path.resolve(base, out.registryPasswordFile);
  return out;
}

/** Where a registry choice came from, for messages ("… from $SESSION_KEEPER_REGISTRY"). */
export type RegistrySource =
  | '--registry'
  | '--dir'
  | 'setting'
  | 'SESSION_KEEPER_REGISTRY'
  | 'SESSION_KEEPER_DIR'
  | 'config file'
  | 'default';

export interface RegistryChoice {
  location: RegistryLocation;
  source: RegistrySource;
  /** The password file to use, if any (Redis only). */
  passwordFile?: string;
}

export interface RegistryInputs {
  /** `--registry URL` given after the command. */
  registry?: string;
  /** `--dir DIR`. */
  dir?: string;
  /** `--registry-password-file FILE`. */
  passwordFile?: string;
  /** Another location that wins over the environment and the config file (the extension's setting). */
  setting?: string;
  env?: NodeJS.ProcessEnv;
  /** Base of relative paths given on the command line or in the environment. */
  cwd?: string;
  /** The config file (default configFilePath(env)); null = read none. */
  configFile?: string | null;
}

/**
 * Chooses the registry. Precedence: `--registry`, then `--dir`, then `setting` (the extension),
 * then $SESSION_KEEPER_REGISTRY, then $SESSION_KEEPER_DIR, then the config file's `registry`,
 * then the default sessions directory. The password file: `--registry-password-file`, then
 * $SESSION_KEEPER_REGISTRY_PASSWORD_FILE, then the config file's `registryPasswordFile` (only when
 * the config file's registry is the one chosen: a password is never sent to a server it was not
 * written for). Throws UnsupportedRegistryError, RegistryConfigError.
 */
export function chooseRegistry(inputs: RegistryInputs): RegistryChoice {
  const env = inputs.env ?? process.env;
  const cwd = inputs.cwd ?? process.cwd();
  const pick = (): { location: RegistryLocation; source: RegistrySource; config?: RegistryConfig } => {
    if (inputs.registry !== undefined) return { location: parseRegistryLocation(inputs.registry, cwd), source: '--registry' };
    // As open(2) takes it: `link/../sessions` is beside the link's target (see joinAsOpened).
    if (inputs.dir !== undefined) return { location: { kind: 'directory', dir: joinAsOpened(cwd, inputs.dir) }, source: '--dir' };
    if (inputs.setting) return { location: parseRegistryLocation(inputs.setting, cwd), source: 'setting' };
    if (env.SESSION_KEEPER_REGISTRY) return { location: parseRegistryLocation(env.SESSION_KEEPER_REGISTRY, cwd), source: 'SESSION_KEEPER_REGISTRY' };
    if (env.SESSION_KEEPER_DIR) return { location: { kind: 'directory', dir: defaultSessionsDir(env) }, source: 'SESSION_KEEPER_DIR' };
    const file = inputs.configFile === undefined ? configFilePath(env) : inputs.configFile;
    const config = file === null ? null : readRegistryConfig(file);
    if (file !== null && config?.registry !== undefined) {
      return { location: parseRegistryLocation(config.registry, path.dirname(file)), source: 'config file', config };
    }
    return { location: { kind: 'directory', dir: defaultSessionsDir(env) }, source: 'default' };
  };
  const chosen = pick();
  const passwordFile =
    inputs.passwordFile !== undefined
      ? path.resolve(cwd, inputs.passwordFile)
      : env.SESSION_KEEPER_REGISTRY_PASSWORD_FILE
        ? path.resolve(cwd, env.SESSION_KEEPER_REGISTRY_PASSWORD_FILE)
        : chosen.config?.registryPasswordFile;
  const out: RegistryChoice = { location: chosen.location, source: chosen.source };
  if (passwordFile !== undefined && chosen.location.kind === 'redis') out.passwordFile = passwordFile;
  return out;
}

/**
 * The password in `file`: its text without one trailing line break. RegistryPasswordFileError
 * when it is missing, empty, over 64 KiB, or (POSIX) readable or writable by group or others,
 * as ssh refuses such key files.
 */
export function readPasswordFile(file: string): string {
  let text: string;
  try {
    if (process.platform !== 'win32') {
      const st = fs.statSync(file);
      if (st.mode & 0o077) {
        const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
        throw new RegistryPasswordFileError(file, `other users may read or change it (mode ${mode}); fix: chmod 600 '${file}'`);
      }
    }
    text = readSmallFile(file, (reason) => new RegistryPasswordFileError(file, reason));
  } catch (err) {
    if (err instanceof RegistryPasswordFileError) throw err;
    throw new RegistryPasswordFileError(file, (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message);
  }
  const password = text.replace(/\r?\n$/, '');
  if (password === '') throw new RegistryPasswordFileError(file, 'it is empty');
  if (/[\r\n]/.test(password)) throw new RegistryPasswordFileError(file, 'it holds more than one line');
  return password;
}

/** Reads a small regular file as UTF-8; anything else is refused with `fail(reason)`. */
function readSmallFile(file: string, fail: (reason: string) => Error): string {
  const fd = fs.openSync(file, 'r');
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw fail('not a regular file');
    if (st.size > MAX_SMALL_FILE_BYTES) throw fail(`larger than ${MAX_SMALL_FILE_BYTES} bytes`);
    return fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * A copy of `env` for a child process without registry credentials: the password of a Redis
 * URL in $SESSION_KEEPER_REGISTRY is removed (the rest stays, so the child finds the same
 * registry), and $REDISCLI_AUTH is dropped. Password files are paths, not secrets: kept.
 */
export function envWithoutCredentials(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  delete out.REDISCLI_AUTH;
  const registry = out.SESSION_KEEPER_REGISTRY;
  if (registry) {
    try {
      const loc = parseRegistryLocation(registry);
      if (loc.kind === 'redis') out.SESSION_KEEPER_REGISTRY = loc.display;
    } catch {
      // Unparseable: it may still hold a secret, so the child does not get it at all.
      delete out.SESSION_KEEPER_REGISTRY;
    }
  }
  return out;
}
