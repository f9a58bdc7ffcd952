// Installs the pinned code-server into .vscode-test/code-server/ on demand, so `npm ci` of the
// project stays fast and a second run reuses the install. Run directly to install:
//   node out/test/harness/install-code-server.js
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CODE_SERVER_DIR, CODE_SERVER_VERSION, REPO_ROOT, VSCODE_TEST_DIR } from './harness-paths';
import { removeDir } from './process-cleanup';

export interface CodeServerInstall {
  dir: string;
  version: string;
  /** code-server's entry script; start it with process.execPath (code-server needs Node 20). */
  entry: string;
}

const MARKER = '.session-keeper-install';

/** Packages whose install scripts must run: code-server's postinstall builds VS Code's modules. */
const ALLOW_SCRIPTS = { 'code-server': true, argon2: true };

/**
 * @vscode/ripgrep's postinstall downloads rg from GitHub; it first looks in this cache (the
 * name belongs to the @vscode/ripgrep that code-server 4.100.3 pins), so a tarball with
 * Debian's rg there stands in for the download.
 */
const RIPGREP_CACHE = 'vscode-ripgrep-cache-1.15.11';
const RIPGREP_TARGETS: Record<string, string> = {
  x64: 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz',
  arm64: 'ripgrep-v13.0.0-10-aarch64-unknown-linux-musl.tar.gz',
};

/** Files that exist only when every native module was built and the postinstall completed. */
const REQUIRED_FILES = [
  'node_modules/code-server/out/node/entry.js',
  'node_modules/code-server/lib/vscode/node_modules.asar',
  'node_modules/code-server/lib/vscode/node_modules/node-pty/build/Release/pty.node',
  'node_modules/code-server/lib/vscode/node_modules/@vscode/spdlog/build/Release/spdlog.node',
  'node_modules/code-server/lib/vscode/node_modules/kerberos/build/Release/kerberos.node',
  'node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin/rg',
  'node_modules/argon2/lib/binding/napi-v3/argon2.node',
];

function installOf(dir: string): CodeServerInstall {
  return { dir, version: CODE_SERVER_VERSION, entry: path.join(dir, 'node_modules/code-server/out/node/entry.js') };
}

function installedVersion(dir: string): string | undefined {
  try {
    return fs.readFileSync(path.join(dir, MARKER), 'utf8').trim();
  } catch {
    return undefined;
  }
}

function log(message: string): void {
  process.stderr.write(`[code-server install] ${message}\n`);
}

/**
 * Runs the blocking `fn` while a small child process prints how long it has been running, every
 * 10 s: npm prints nothing for minutes while native modules compile, which looks like a hang.
 */
function whileTicking(what: string, fn: () => void): void {
  log(`${what}…`);
  // It ends itself when this process is gone (a SIGKILL gives no chance to kill it).
  const script =
    'const t0 = Date.now(), parent = Number(process.argv[1]); setInterval(() => {' +
    ' try { process.kill(parent, 0); } catch { process.exit(0); }' +
    ' process.stderr.write(`[code-server install] still working: ${Math.round((Date.now() - t0) / 1000)} s\\n`); }, 10000);';
  const ticker = spawn(process.execPath, ['-e', script, String(process.pid)], { stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    fn();
  } finally {
    ticker.kill();
  }
}

/**
 * Installs missing Debian packages (apt-get as root, else a message saying what to install).
 * `packages` defaults to everything the browser tests need.
 */
export function ensureDebianPackages(packages: string[] = []): void {
  const script = path.join(REPO_ROOT, 'test', 'harness', 'install-debian-packages.sh');
  const result = spawnSync('bash', [script, ...packages], { stdio: 'inherit' });
  if (result.status !== 0) {
    throw new Error(`missing system packages (see the message above); ${script} exited with ${result.status}`);
  }
}

function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv }): void {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
}

/** The environment for npm: scripts must run, and nothing may leak in from an outer `npm run`. */
function npmEnv(tmp: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^npm_(package|lifecycle)_/.test(key) || key === 'npm_config_local_prefix') delete env[key];
  }
  Object.assign(env, {
    CI: 'true',
    TMPDIR: tmp,
    // code-server's postinstall refuses to run as root unless it sees this (npm 11 itself
    // ignores it and warns about it).
    npm_config_unsafe_perm: 'true',
    // node-pty's install runs `npx node-gyp`, which must not ask before downloading it.
    npm_config_yes: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  });
  // node-gyp would download Node's headers from nodejs.org; use the installed ones if any.
  const headers = nodeHeadersDir();
  if (!env.npm_config_nodedir && headers) env.npm_config_nodedir = headers;
  return env;
}

function nodeHeadersDir(): string | undefined {
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  return fs.existsSync(path.join(prefix, 'include', 'node', 'node.h')) ? prefix : undefined;
}

function seedRipgrepCache(tmp: string): void {
  const target = RIPGREP_TARGETS[process.arch];
  const rg = spawnSync('sh', ['-c', 'command -v rg'], { encoding: 'utf8' }).stdout.trim();
  if (!target || !rg) {
    log(`no ripgrep to seed for ${process.arch}; @vscode/ripgrep will try to download it`);
    return;
  }
  const binary = fs.realpathSync(rg);
  if (path.basename(binary) !== 'rg') throw new Error(`ripgrep at ${rg} resolves to ${binary}, not to a file named rg`);
  const cache = path.join(tmp, RIPGREP_CACHE);
  fs.mkdirSync(cache, { recursive: true });
  // The tarball holds the `rg` binary at its root, as the GitHub release does.
  run('tar', ['-czf', path.join(cache, target), '-C', path.dirname(binary), 'rg'], {});
}

function verify(dir: string): void {
  const missing = REQUIRED_FILES.filter((file) => !fs.existsSync(path.join(dir, file)));
  if (missing.length > 0) {
    throw new Error(
      `code-server installed incompletely (did its install scripts run?); missing:\n  ${missing.join('\n  ')}`,
    );
  }
  // Its own HOME: even --version writes logs under ~/.local/share/code-server.
  const home = path.join(dir, 'tmp', 'home');
  fs.mkdirSync(home, { recursive: true });
  const env = { ...process.env, HOME: home, XDG_DATA_HOME: home, XDG_CONFIG_HOME: home, XDG_CACHE_HOME: home };
  const version = spawnSync(process.execPath, [installOf(dir).entry, '--version'], { encoding: 'utf8', env });
  if (!new RegExp(`^${CODE_SERVER_VERSION.replace(/\./g, '\\.')} `, 'm').test(version.stdout)) {
    throw new Error(`code-server --version printed ${JSON.stringify(version.stdout + version.stderr)}`);
  }
}

/**
 * Returns the pinned code-server, installing it first if needed (about a minute on 2 cores).
 * Installs into a staging folder and renames it into place, so an interrupted install is
 * never mistaken for a finished one.
 */
export function ensureCodeServer(): CodeServerInstall {
  if (installedVersion(CODE_SERVER_DIR) === CODE_SERVER_VERSION) return installOf(CODE_SERVER_DIR);
  const started = Date.now();
  log(`installing code-server@${CODE_SERVER_VERSION} into ${path.relative(REPO_ROOT, CODE_SERVER_DIR)}/`);
  ensureDebianPackages(['ripgrep', 'libkrb5-dev', 'python3', 'make', 'g++']);
  fs.mkdirSync(VSCODE_TEST_DIR, { recursive: true });
  const staging = fs.mkdtempSync(path.join(VSCODE_TEST_DIR, 'code-server.staging-'));
  try {
    const tmp = path.join(staging, 'tmp');
    fs.mkdirSync(tmp);
    fs.writeFileSync(
      path.join(staging, 'package.json'),
      JSON.stringify({ private: true, description: 'code-server for Session Keeper tests', allowScripts: ALLOW_SCRIPTS }, null, 2),
    );
    seedRipgrepCache(tmp);
    const npmCli = process.env.npm_execpath;
    const [command, prefixArgs] = npmCli && /npm-cli\.js$/.test(npmCli) ? [process.execPath, [npmCli]] : ['npm', []];
    whileTicking('downloading code-server and compiling its native modules (about 1-2 min on 2 cores)', () =>
      run(command, [...prefixArgs, 'install', `code-server@${CODE_SERVER_VERSION}`, '--prefix', staging, '--no-save'], {
        cwd: staging,
        env: npmEnv(tmp),
      }),
    );
    verify(staging);
    removeDir(tmp);
    fs.writeFileSync(path.join(staging, MARKER), `${CODE_SERVER_VERSION}\n`);
    if (installedVersion(CODE_SERVER_DIR) === CODE_SERVER_VERSION) {
      log('another run finished installing first; using its install');
    } else {
      removeDir(CODE_SERVER_DIR);
      fs.renameSync(staging, CODE_SERVER_DIR);
    }
  } finally {
    removeDir(staging);
  }
  log(`code-server@${CODE_SERVER_VERSION} installed in ${Math.round((Date.now() - started) / 1000)} s`);
  return installOf(CODE_SERVER_DIR);
}

/** Everything the browser-based tests need: Debian packages (with Chromium) and code-server. */
export function ensureTestPrerequisites(): CodeServerInstall {
  ensureDebianPackages();
  return ensureCodeServer();
}

if (require.main === module) {
  try {
    const install = ensureTestPrerequisites();
    log(`ready: ${path.relative(REPO_ROOT, install.dir)} (code-server ${install.version})`);
  } catch (err) {
    log(`failed: ${(err as Error).message}`);
    process.exit(1);
  }
}
