// `npm start`: the packaged extension in a local code-server (VS Code in the browser), for a
// person to try. Fresh profile (settings, extensions, code-server's config and logs in a temp
// folder, removed on exit), but the user's real HOME and XDG_STATE_HOME, so the extension
// uses the real default sessions folder and sees the sessions of everything else running.
// Ctrl-C stops the server and everything it started. PORT picks the port (default: a free one).
import * as path from 'node:path';
import { defaultSessionsDir } from '../../src/core/paths';
import { startCodeServer, type CodeServer } from './code-server';
import { CODE_SERVER_VERSION, VSIX_PATH } from './harness-paths';
import { ensureCodeServer } from './install-code-server';

async function main(): Promise<void> {
  if (process.env.PORT && !/^\d+$/.test(process.env.PORT)) throw new Error(`PORT must be a port number, not ${JSON.stringify(process.env.PORT)}`);
  const install = ensureCodeServer();
  const folder = path.resolve(process.env.INIT_CWD || process.cwd());
  // Signals may arrive while the server is still starting.
  const running: { server?: CodeServer } = {};
  let stopping = false;
  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nStopping code-server…\n');
    await running.server?.stop();
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
    settings: { 'workbench.startupEditor': 'none', 'telemetry.telemetryLevel': 'off', 'update.mode': 'none' },
  });
  const started = running.server;
  void started.exited.then(() => {
    if (stopping) return;
    process.stderr.write(`code-server exited unexpectedly:\n${started.outputTail()}\n`);
    void stop(1);
  });
  const sessions = defaultSessionsDir();
  process.stdout.write(
    [
      '',
      `Session Keeper (${path.basename(VSIX_PATH)}) is running in code-server ${CODE_SERVER_VERSION} (VS Code in the browser).`,
      '',
      `  Open:      ${started.url}?folder=${encodeURIComponent(folder)}`,
      `  Sessions:  ${sessions}${process.env.SESSION_KEEPER_DIR ? ' (from SESSION_KEEPER_DIR)' : ' (the default folder)'}`,
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
