// `npm start` as a newcomer runs it: the packaged extension in code-server, its windows
// registered in a sandbox sessions folder (never the real one), and Ctrl-C closing those
// sessions instead of leaving them behind as stale.
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, type Browser } from '../harness/browser';
import { freePort } from '../harness/code-server';
import { REPO_ROOT, VSCODE_TEST_DIR, VSIX_PATH } from '../harness/harness-paths';
import { ensureTestPrerequisites } from '../harness/install-code-server';
import { removeDir } from '../harness/process-cleanup';
import { waitForWorkbench } from '../harness/workbench';

const SANDBOX = path.join(VSCODE_TEST_DIR, 'sandbox-sessions');

interface RecordOnDisk {
  id: string;
  pid: number;
  closedAt: string | null;
}

function sandboxRecords(): RecordOnDisk[] {
  if (!fs.existsSync(SANDBOX)) return [];
  return fs
    .readdirSync(SANDBOX)
    .filter((name) => name.endsWith('.json'))
    .map((name) => {
      try {
        return JSON.parse(fs.readFileSync(path.join(SANDBOX, name), 'utf8')) as RecordOnDisk;
      } catch {
        return undefined; // being replaced at this instant
      }
    })
    .filter((r): r is RecordOnDisk => r !== undefined);
}

async function until<T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('npm start', { timeout: 180_000 }, () => {
  let tmp: string;
  let start: ChildProcess | undefined;
  let browser: Browser | undefined;
  let output = '';
  let exited: Promise<number | null>;

  before(async () => {
    assert.ok(fs.existsSync(VSIX_PATH), `no ${path.basename(VSIX_PATH)}: run \`npm run package\` first (npm run test:ui does)`);
    ensureTestPrerequisites();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sk-npm-start-'));
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(await freePort()), XDG_STATE_HOME: path.join(tmp, 'state') };
    delete env.SESSION_KEEPER_DIR;
    start = spawn(process.execPath, [path.join(REPO_ROOT, 'out', 'test', 'harness', 'start.js')], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    start.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    start.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    exited = new Promise((resolve) => start?.on('exit', (code) => resolve(code)));
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    if (start && start.exitCode === null) {
      start.kill('SIGINT');
      await exited;
    }
    if (tmp) removeDir(tmp);
  });

  test('prints the URL and the sandbox sessions folder, and the window registers there, not in the real folder', async () => {
    const url = await until('the Open: line', 90_000, () => /Open:\s+(\S+)/.exec(output)?.[1]);
    assert.match(output, new RegExp(`Sessions:\\s+${SANDBOX.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(a sandbox`));
    const before = new Set(sandboxRecords().map((r) => r.id));
    browser = await launchBrowser(tmp, process.env);
    const page = await browser.newPage();
    await page.goto(url);
    await waitForWorkbench(page);
    const mine = await until('the window\'s session in the sandbox', 60_000, () =>
      sandboxRecords().find((r) => !before.has(r.id) && r.closedAt === null),
    );
    assert.equal(fs.existsSync(path.join(tmp, 'state', 'session-keeper')), false, 'the real default sessions folder was used');

    start?.kill('SIGINT');
    assert.equal(await exited, 0, output);
    const after = sandboxRecords().find((r) => r.id === mine.id);
    assert.ok(after, 'the session record is gone');
    assert.notEqual(after.closedAt, null, `Ctrl-C left the session open:\n${output}`);
    assert.match(output, /Closed 1 session in /);
  });
});
