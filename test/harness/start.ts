// `npm start`: the packaged extension in a local code-server (VS Code in the browser), for a
// person to try. Fresh profile (settings, extensions, code-server's config and logs in a temp
// folder, removed on exit). Sessions go to a sandbox folder by default, so trying the extension
// never leaves sessions behind in the real registry; `--real-sessions` uses the default sessions
// folder, and SESSION_KEEPER_DIR a folder of the caller's choice. Ctrl-C closes the windows'
// sessions, then stops the server and everything it started. PORT picks the port.
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultSessionsDir } from '../../src/core/paths';
import { SessionStore } from '../../src/core/session-store';
import { extensionHostPids, startCodeServer, type CodeServer } from './code-server';
import { CODE_SERVER_VERSION, VSCODE_TEST_DIR, VSIX_PATH } from './harness-paths';
import { ensureCodeServer } from './install-code-server';

const USAGE = 'usage: npm start [-- --real-sessions]   (PORT=N picks the port; SESSION_KEEPER_DIR=DIR the sessions folder)';

/** Where the windows register, and how to say so. */
function chooseSessionsDir(argv: string[]): { dir: string; why: string } {
  for (const arg of argv) {
    if (arg !== '--real-sessions') throw new Error(`unknown argument ${JSON.stringify(arg)}\n${USAGE}`);
  }
  if (process.env.SESSION_KEEPER_DIR) return { dir: path.resolve(process.env.SESSION_KEEPER_DIR), why: 'from SESSION_KEEPER_DIR' };
  if (argv.includes('--real-sessions')) {
    const env = { ...process.env };
    delete env.SESSION_KEEPER_DIR;
    return { dir: defaultSessionsDir(env), why: 'the default folder, as asked with --real-sessions' };
  }
  return {
    dir: path.join(VSCODE_TEST_DIR, 'sandbox-sessions'),
    why: 'a sandbox kept between runs; `npm start -- --real-sessions` uses your real one',
  };
}

/**
 * Closes the sessions of this server's windows. Stopping the server kills the extension hosts
 * before they can close their own sessions, which would leave them behind as stale.
 */
async function closeWindowSessions(dir: string, hostPids: number[]): Promise<number> {
  if (hostPids.length === 0) return 0;
  const store = new SessionStore(dir);
  const host = os.hostname().toLowerCase();
  let closed = 0;
  for (const info of await store.list()) {
    const r = info.record;
    if (r.closedAt !== null || r.hostname.toLowerCase() !== host || !hostPids.includes(r.pid)) continue;
    await store.close(r.id);
    closed++;
  }
  return closed;
}

async function main(): Promise<void> {
  if (process.env.PORT && !/^\d+$/.test(process.env.PORT)) throw new Error(`PORT must be a port number, not ${JSON.stringify(process.env.PORT)}`);
  const sessions = chooseSessionsDir(process.argv.slice(2));
  const install = ensureCodeServer();
  const folder = path.resolve(process.env.INIT_CWD || process.cwd());
  // Signals may arrive while the server is still starting.
  const running: { server?: CodeServer } = {};
  let stopping = false;
  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nStopping: closing the windows\' sessions…\n');
    const server = running.server;
    const hostPids = server ? extensionHostPids(server) : [];
    try {
      const closed = await closeWindowSessions(sessions.dir, hostPids);
      process.stdout.write(`Closed ${closed} ${closed === 1 ? 'session' : 'sessions'} in ${sessions.dir}.\n`);
    } catch (err) {
      process.stderr.write(`Could not close the windows' sessions: ${(err as Error).message}\n`);
    }
    process.stdout.write('Stopping code-server…\n');
    await server?.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  process.on('SIGHUP', () => void stop(0));

  running.server = await startCodeServer({
    install,
    vsixFiles: [VSIX_PATH],
    port: process.env.PORT ? Number(process.env.PORT) : undefined,
    isolateHome: false,
    offline: false,
    env: { SESSION_KEEPER_DIR: sessions.dir },
    settings: { 'workbench.startupEditor': 'none', 'telemetry.telemetryLevel': 'off', 'update.mode': 'none' },
  });
  const started = running.server;
  void started.exited.then(() => {
    if (stopping) return;
    process.stderr.write(`code-server exited unexpectedly:\n${started.outputTail()}\n`);
    void stop(1);
  });
  process.stdout.write(
    [
      '',
      `Session Keeper (${path.basename(VSIX_PATH)}) is running in code-server ${CODE_SERVER_VERSION} (VS Code in the browser).`,
      '',
      `  Open:      ${started.url}?folder=${encodeURIComponent(folder)}`,
      `  Sessions:  ${sessions.dir} (${sessions.why})`,
      `  Profile:   ${started.profileDir} (fresh; removed when you stop)`,
      '',
      'Each browser tab on that address is one VS Code window, and so one session.',
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
}

main().catch((err: Error) => {
  process.stderr.write(`npm start failed: ${err.message}\n`);
  process.exit(1);
});
