// Starts code-server on 127.0.0.1 in a temp profile of its own, detached in its own process
// group, and stops it with everything it started.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { harnessTempParent } from './harness-paths';
import type { CodeServerInstall } from './install-code-server';
import { killRun, markedProcesses, removeDir, RUN_MARKER_ENV } from './process-cleanup';

export interface CodeServerOptions {
  install: CodeServerInstall;
  /** Default: a folder in the temp profile (removed on stop). */
  userDataDir?: string;
  /** Default: a folder in the temp profile (removed on stop). */
  extensionsDir?: string;
  /** VSIX files installed with `--install-extension` before the server starts. */
  vsixFiles?: string[];
  /** Default: a free port. */
  port?: number;
  /** Added to the environment of the server and so of its extension hosts. */
  env?: NodeJS.ProcessEnv;
  /**
   * true (default): HOME, TMPDIR and XDG_* point into the temp profile, so nothing is written
   * to the real home. false: keep the user's HOME and XDG_STATE_HOME/XDG_CONFIG_HOME/
   * XDG_CACHE_HOME (the extension then sees the user's real default directories); only
   * TMPDIR, XDG_RUNTIME_DIR and XDG_DATA_HOME (code-server's logs and heartbeat) move.
   */
  isolateHome?: boolean;
  /** User settings written before start when the profile has none. */
  settings?: Record<string, unknown>;
  /** Turns off the extension gallery (open-vsx), which is unreachable offline. Default true. */
  offline?: boolean;
  /** Receives code-server's own output lines. Default: kept for error messages only. */
  onOutput?: (line: string) => void;
  /** Aborting during start-up stops the server and rejects. */
  signal?: AbortSignal;
  /**
   * Display language passed as `--locale` (e.g. "de"). VS Code takes it only once an extension
   * that contributes that language is installed from a window (see language-pack.ts); until then
   * it stays English.
   */
  locale?: string;
}

/** User settings for test windows: no welcome page, tips, telemetry or update checks. */
export const TEST_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
};

export interface CodeServer {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly pid: number;
  /** The run's temp profile: HOME, TMPDIR, config; removed by stop(). */
  readonly profileDir: string;
  readonly userDataDir: string;
  readonly extensionsDir: string;
  /** The environment the server (and its extension hosts) run with. */
  readonly env: NodeJS.ProcessEnv;
  /** A `vscode-remote://` URI for a path on this server, as the workbench's payload wants. */
  remoteUri(absolutePath: string): string;
  /** The last lines code-server printed, for error messages. */
  outputTail(): string;
  /** Resolves when the server process exits (for whatever reason). */
  readonly exited: Promise<number | null>;
  /** Kills the server's process group and everything marked as this run's; removes the profile. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function healthy(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(`${url}healthz`, { timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

function encodePath(absolutePath: string): string {
  return absolutePath.split('/').map(encodeURIComponent).join('/');
}

function profileEnv(profileDir: string, isolateHome: boolean): NodeJS.ProcessEnv {
  const dirs = {
    home: path.join(profileDir, 'home'),
    // Short names: socket paths inside must stay under the 107-byte limit of Unix sockets.
    tmp: path.join(profileDir, 't'),
    runtime: path.join(profileDir, 'r'),
    data: path.join(profileDir, 'xdg-data'),
    config: path.join(profileDir, 'xdg-config'),
    cache: path.join(profileDir, 'xdg-cache'),
    state: path.join(profileDir, 'xdg-state'),
  };
  for (const dir of Object.values(dirs)) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Sockets (vscode-ipc-*.sock, vscode-git-*.sock) go to XDG_RUNTIME_DIR or TMPDIR, so both
  // move into the profile and vanish with it.
  const env: NodeJS.ProcessEnv = { TMPDIR: dirs.tmp, XDG_RUNTIME_DIR: dirs.runtime, XDG_DATA_HOME: dirs.data };
  if (isolateHome) {
    Object.assign(env, { HOME: dirs.home, XDG_CONFIG_HOME: dirs.config, XDG_CACHE_HOME: dirs.cache, XDG_STATE_HOME: dirs.state });
  }
  return env;
}

function writeSettingsIfAbsent(userDataDir: string, settings: Record<string, unknown> | undefined): void {
  if (!settings) return;
  const file = path.join(userDataDir, 'User', 'settings.json');
  if (fs.existsSync(file)) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(settings, null, 2));
}

function baseArgs(configFile: string, userDataDir: string, extensionsDir: string): string[] {
  return ['--config', configFile, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];
}

function installVsix(install: CodeServerInstall, args: string[], env: NodeJS.ProcessEnv, vsix: string): void {
  if (!fs.existsSync(vsix)) throw new Error(`no VSIX at ${vsix}; build it with \`npm run package\``);
  const result = spawnSync(process.execPath, [install.entry, ...args, '--install-extension', vsix, '--force'], {
    env,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (result.status !== 0) {
    throw new Error(`code-server --install-extension ${vsix} failed (${result.status ?? result.error?.message}):\n${result.stdout}${result.stderr}`);
  }
}

/** Cleans up after the server should this process die without calling stop(). */
function startWatchdog(serverPid: number, profileDir: string, env: NodeJS.ProcessEnv): void {
  // Marked like the server, so stop() ends the watchdog along with the rest of the run.
  const watchdog = spawn(process.execPath, [path.join(__dirname, 'code-server-watchdog.js'), String(process.pid), String(serverPid), profileDir], {
    env,
    detached: true,
    stdio: 'ignore',
  });
  watchdog.unref();
}

export async function startCodeServer(options: CodeServerOptions): Promise<CodeServer> {
  const profileDir = fs.mkdtempSync(path.join(harnessTempParent(), 'sk-code-server-'));
  const userDataDir = options.userDataDir ?? path.join(profileDir, 'user-data');
  const extensionsDir = options.extensionsDir ?? path.join(profileDir, 'extensions');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...options.env,
    ...profileEnv(profileDir, options.isolateHome ?? true),
    [RUN_MARKER_ENV]: profileDir,
  };
  if (options.offline ?? true) env.EXTENSIONS_GALLERY = '{}';
  // Variables of an outer VS Code or code-server would confuse the one started here.
  for (const key of Object.keys(env)) if (/^(VSCODE_|CODE_SERVER_)/.test(key)) delete env[key];

  let child: ReturnType<typeof spawn> | undefined;
  const output: string[] = [];
  const stop = async (): Promise<void> => {
    await killRun(child?.pid, profileDir);
    removeDir(profileDir);
  };
  try {
    fs.mkdirSync(userDataDir, { recursive: true });
    fs.mkdirSync(extensionsDir, { recursive: true });
    writeSettingsIfAbsent(userDataDir, options.settings);
    const configFile = path.join(profileDir, 'config.yaml');
    fs.writeFileSync(configFile, 'auth: none\ncert: false\n');
    const args = baseArgs(configFile, userDataDir, extensionsDir);
    for (const vsix of options.vsixFiles ?? []) installVsix(options.install, args, env, vsix);

    const port = options.port ?? (await freePort());
    const url = `http://${HOST}:${port}/`;
    const serverArgs = [
      ...args,
      '--bind-addr', `${HOST}:${port}`,
      '--auth', 'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      ...(options.locale ? ['--locale', options.locale] : []),
    ];
    const spawned = spawn(process.execPath, [options.install.entry, ...serverArgs], {
      env,
      cwd: profileDir,
      detached: true, // own process group: stop() kills all of it at once
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = spawned;
    if (spawned.pid) startWatchdog(spawned.pid, profileDir, env);
    const exited = new Promise<number | null>((resolve) => spawned.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : null))));
    const onData = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        output.push(line);
        if (output.length > 200) output.shift();
        options.onOutput?.(line);
      }
    };
    spawned.stdout?.on('data', onData);
    spawned.stderr?.on('data', onData);
    let gone = false;
    void exited.then(() => (gone = true));

    const deadline = Date.now() + 60_000;
    while (!(await healthy(url))) {
      if (gone) throw new Error(`code-server exited during start-up:\n${output.join('\n')}`);
      if (options.signal?.aborted) throw new Error('start-up of code-server aborted');
      if (Date.now() > deadline) throw new Error(`code-server did not answer ${url}healthz within 60 s:\n${output.join('\n')}`);
      await sleep(100);
    }
    return {
      url,
      host: HOST,
      port,
      pid: spawned.pid ?? -1,
      profileDir,
      userDataDir,
      extensionsDir,
      env,
      remoteUri: (p) => `vscode-remote://${HOST}:${port}${encodePath(p)}`,
      outputTail: () => output.slice(-40).join('\n'),
      exited,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** `code-server --list-extensions --show-versions` for this server's profile, e.g. ["pub.name@1.0.0"]. */
export function listExtensions(install: CodeServerInstall, server: CodeServer): string[] {
  const result = spawnSync(
    process.execPath,
    [install.entry, '--user-data-dir', server.userDataDir, '--extensions-dir', server.extensionsDir, '--list-extensions', '--show-versions'],
    { env: server.env, encoding: 'utf8', timeout: 60_000 },
  );
  if (result.status !== 0) throw new Error(`code-server --list-extensions failed: ${result.stderr}`);
  return result.stdout.split('\n').map((line) => line.trim()).filter((line) => /^[\w-]+\.[\w-]+@/.test(line));
}

/** Pids of the server's extension host processes: one per connected window. */
export function extensionHostPids(server: CodeServer): number[] {
  return markedProcesses(server.profileDir).filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=extensionHost');
    } catch {
      return false;
    }
  });
}
