// A stand-in for a desktop VS Code executable, for @vscode/test-electron's runTests():
// takes the Electron-style arguments, runs the extension tests in code-server's workbench in
// headless Chromium, prints the extension host's console and exits with the tests' code.
// Entry point: test/harness/code-server-electron-shim.js (executable).
//
// Exit codes: the tests' own (0 passed, 1 failed); 2 the harness itself failed;
// 124 timed out (SESSION_KEEPER_VSCODE_TIMEOUT_MS); 130/143 interrupted.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import { launchBrowser, type Browser } from './browser';
import { startCodeServer, TEST_SETTINGS, type CodeServer } from './code-server';
import { ensureCodeServer } from './install-code-server';

export const EXIT_HARNESS_FAILED = 2;
export const EXIT_TIMEOUT = 124;
const DEFAULT_TIMEOUT_MS = 5 * 60_000;

export interface ShimArgs {
  extensionDevelopmentPaths: string[];
  extensionTestsPath: string | undefined;
  userDataDir: string | undefined;
  extensionsDir: string | undefined;
  logsPath: string | undefined;
  folder: string | undefined;
  ignored: string[];
}

/** Flags that take a value, as `--flag=value` or `--flag value`. */
const VALUE_FLAGS = new Set(['extensionDevelopmentPath', 'extensionTestsPath', 'user-data-dir', 'extensions-dir', 'logsPath']);
/** Desktop-only flags runTests() passes; code-server has no use for them (or gets its own). */
const SILENT_FLAGS = new Set([
  'no-sandbox',
  'disable-gpu-sandbox',
  'disable-updates',
  'skip-welcome',
  'skip-release-notes',
  'disable-workspace-trust',
  'disable-extensions', // a fresh extensions folder holds no other extensions anyway
  'disable-telemetry',
  'new-window',
]);

export function parseShimArgs(argv: string[]): ShimArgs {
  const out: ShimArgs = {
    extensionDevelopmentPaths: [],
    extensionTestsPath: undefined,
    userDataDir: undefined,
    extensionsDir: undefined,
    logsPath: undefined,
    folder: undefined,
    ignored: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--')) {
      if (out.folder === undefined) out.folder = path.resolve(arg);
      else out.ignored.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (VALUE_FLAGS.has(name)) {
      const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined) throw new Error(`${arg} needs a value`);
      const abs = path.resolve(value);
      if (name === 'extensionDevelopmentPath') out.extensionDevelopmentPaths.push(abs);
      else if (name === 'extensionTestsPath') out.extensionTestsPath = abs;
      else if (name === 'user-data-dir') out.userDataDir = abs;
      else if (name === 'extensions-dir') out.extensionsDir = abs;
      else out.logsPath = abs;
    } else if (!SILENT_FLAGS.has(name)) {
      out.ignored.push(arg);
    }
  }
  return out;
}

/** The workbench URL that opens `folder` and runs the tests (code-server refuses these flags). */
export function testUrl(server: CodeServer, args: ShimArgs): string {
  const payload: [string, string][] = args.extensionDevelopmentPaths.map((p) => ['extensionDevelopmentPath', server.remoteUri(p)]);
  if (args.extensionTestsPath) payload.push(['extensionTestsPath', server.remoteUri(testsModule(args.extensionTestsPath))]);
  const query = [`payload=${encodeURIComponent(JSON.stringify(payload))}`];
  if (args.folder) {
    query.unshift(`${args.folder.endsWith('.code-workspace') ? 'workspace' : 'folder'}=${encodeURIComponent(args.folder)}`);
  } else {
    query.unshift('ew=true');
  }
  return `${server.url}?${query.join('&')}`;
}

/** Desktop VS Code accepts a folder with an index.js as the tests path; the workbench wants the file. */
function testsModule(testsPath: string): string {
  return fs.existsSync(testsPath) && fs.statSync(testsPath).isDirectory() ? path.join(testsPath, 'index.js') : testsPath;
}

/** Workbench lines about its own plumbing; shown only with SESSION_KEEPER_TEST_VERBOSE=1. */
const NOISE = [
  /^Resolving connection token/,
  /^Resolved connection token/,
  /^Creating a socket/,
  /^\[Service Worker\]/,
  /^Updating additional builtin extensions cache/,
  /^ChatSessionStore:/,
  /^\[driver\]/,
  /^Started local extension host/,
  /^Ignoring fetching additional builtin extensions from gallery/,
];

function printLog(level: string, args: unknown): void {
  // The extension host's console arguments arrive unformatted (mocha prints with '%s' and '%d').
  const text = Array.isArray(args) ? format(...(args as unknown[])) : String(args);
  if (!process.env.SESSION_KEEPER_TEST_VERBOSE && NOISE.some((re) => re.test(text))) return;
  // One stream keeps mocha's lines in order, whatever their level.
  void level;
  process.stdout.write(`${text}\n`);
}

function writeLogs(dir: string, logs: unknown): void {
  if (!Array.isArray(logs)) return;
  for (const entry of logs as { relativePath?: unknown; contents?: unknown }[]) {
    if (typeof entry.relativePath !== 'string' || typeof entry.contents !== 'string') continue;
    const file = path.resolve(dir, entry.relativePath);
    if (!file.startsWith(path.resolve(dir) + path.sep)) continue; // stay inside the logs folder
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, entry.contents);
  }
}

export async function runShim(argv: string[]): Promise<number> {
  const args = parseShimArgs(argv);
  for (const arg of args.ignored) process.stderr.write(`[vscode stand-in] ignoring argument ${arg}\n`);
  if (!args.extensionTestsPath) {
    process.stderr.write('[vscode stand-in] --extensionTestsPath is required: this stand-in only runs extension tests\n');
    return EXIT_HARNESS_FAILED;
  }
  const timeoutMs = Number(process.env.SESSION_KEEPER_VSCODE_TIMEOUT_MS || DEFAULT_TIMEOUT_MS);
  if (!(timeoutMs > 0)) {
    process.stderr.write(`[vscode stand-in] SESSION_KEEPER_VSCODE_TIMEOUT_MS must be a positive number of milliseconds\n`);
    return EXIT_HARNESS_FAILED;
  }
  const install = ensureCodeServer();

  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  let settle: (code: number) => void = () => undefined;
  const result = new Promise<number>((resolve) => (settle = resolve));
  const stopping = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    process.stderr.write(`[vscode stand-in] ${signal}: stopping code-server\n`);
    settle(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const pageErrors: string[] = [];
  const timer = setTimeout(() => {
    process.stderr.write(
      `[vscode stand-in] VS Code (code-server) did not finish the tests within ${timeoutMs / 1000} s; ` +
        `killing it and everything it started. Raise the limit with SESSION_KEEPER_VSCODE_TIMEOUT_MS=<ms>.\n` +
        (pageErrors.length ? `Last page errors:\n${pageErrors.slice(-5).join('\n')}\n` : '') +
        (server ? `Last code-server output:\n${server.outputTail()}\n` : ''),
    );
    settle(EXIT_TIMEOUT);
  }, timeoutMs);

  const starting = (async () => {
    server = await startCodeServer({
      install,
      userDataDir: args.userDataDir,
      extensionsDir: args.extensionsDir,
      settings: TEST_SETTINGS,
      signal: stopping.signal,
    });
    const started = server;
    void started.exited.then((code) => {
      if (stopping.signal.aborted) return;
      process.stderr.write(`[vscode stand-in] code-server exited unexpectedly (${code}):\n${started.outputTail()}\n`);
      settle(EXIT_HARNESS_FAILED);
    });
    if (stopping.signal.aborted) return;
    browser = await launchBrowser(started.profileDir, started.env);
    if (stopping.signal.aborted) return;
    const page = await browser.newPage();
    page.on('pageerror', (err) => pageErrors.push(String(err)));
    page.on('crash', () => {
      process.stderr.write('[vscode stand-in] the browser page crashed\n');
      settle(EXIT_HARNESS_FAILED);
    });
    await page.exposeFunction('codeAutomationLog', (level: string, logArgs: unknown) => printLog(level, logArgs));
    await page.exposeFunction('codeAutomationExit', (code: number, logs: unknown) => {
      if (args.logsPath) writeLogs(args.logsPath, logs);
      settle(typeof code === 'number' ? code : EXIT_HARNESS_FAILED);
    });
    await page.goto(testUrl(started, args), { timeout: timeoutMs });
  })();
  starting.catch((err: Error) => {
    if (stopping.signal.aborted) return;
    process.stderr.write(`[vscode stand-in] could not start VS Code: ${err.stack ?? err.message}\n`);
    settle(EXIT_HARNESS_FAILED);
  });

  // Once the outcome is decided, tearing the browser down under a start-up still in flight can
  // make Playwright throw from its connection's dispatch (no caller to catch it, e.g. "Cannot find
  // parent object page@…"). That must not replace the decided exit code with a crash.
  const duringTeardown = (err: Error): void => {
    process.stderr.write(`[vscode stand-in] ignored during shutdown: ${err.message}\n`);
  };
  try {
    return await result;
  } finally {
    process.on('uncaughtException', duringTeardown);
    clearTimeout(timer);
    stopping.abort();
    // Closing the browser first lets the window say goodbye and ends a pending page.goto();
    // a start-up still under way notices the abort; stop() then kills whatever is left.
    await (browser as Browser | undefined)?.close().catch(() => undefined);
    await starting.catch(() => undefined);
    await (browser as Browser | undefined)?.close().catch(() => undefined);
    await (server as CodeServer | undefined)?.stop();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    // Left installed: the caller exits right after, and late dispatches may still arrive.
  }
}
