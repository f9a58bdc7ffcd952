// The package as users get it: `npm pack`, installed into a fresh project with its own
// node_modules, then used from ESM, CommonJS, TypeScript (--strict), a child process, npx and
// an MCP client. Needs the build (`npm run test:package` builds first).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { SessionStore } from '../../src/core/session-store';
import { waitForLine } from '../fixtures/lock-helpers';

const run = promisify(execFile);
const REPO = path.resolve(__dirname, '..', '..', '..');
const TSC = path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
const posix = process.platform !== 'win32';

let work: string;
let project: string;
let tarball: string;
let files: string[];

async function npm(args: string[], cwd: string): Promise<string> {
  const { stdout } = await run('npm', args, { cwd, env: { ...process.env, npm_config_update_notifier: 'false' }, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'sk-pack-'));
  // The build is already there (test:package builds); prepack would rebuild it for nothing.
  const packed = JSON.parse(await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], REPO)) as Array<{
    filename: string;
    files: Array<{ path: string }>;
  }>;
  const info = packed[0];
  assert.ok(info);
  tarball = path.join(work, path.basename(info.filename));
  files = info.files.map((f) => f.path);
  project = path.join(work, 'consumer');
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  const install = ['install', '--no-audit', '--no-fund', '--ignore-scripts', tarball];
  try {
    // The dependencies are in npm's cache after `npm ci`; no network needed.
    await npm([...install, '--offline'], project);
  } catch {
    await npm([...install, '--prefer-offline'], project);
  }
});

after(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('the packed package', { timeout: 120_000 }, () => {
  test('contains the CLI, the MCP bundle, the library and its types, and nothing of the extension or the sources', () => {
    for (const f of ['package.json', 'dist/cli.js', 'dist/mcp.js', 'dist/lib/index.js', 'dist/lib/index.mjs', 'dist/types/lib/index.d.ts']) {
      assert.ok(files.includes(f), `${f} is packed`);
    }
    for (const f of files) {
      assert.ok(!/^(src|out|test|node_modules|\.vscode-test)\//.test(f), `${f} must not be packed`);
      assert.ok(f !== 'dist/extension.js' && !f.endsWith('.map') && !f.endsWith('.vsix'), `${f} must not be packed`);
    }
  });

  test('imports from ESM and requires from CommonJS: one copy of the library', async () => {
    fs.writeFileSync(
      path.join(project, 'esm.mjs'),
      [
        "import { createRequire } from 'node:module';",
        "import lib, { startSession, withLock, appendJsonl, readJsonl, scanJsonl, repairJsonl, openRegistry, SessionStore, LockTimeoutError, LockCompromisedError, defaultSessionsDir } from 'session-keeper';",
        "const cjs = createRequire(import.meta.url)('session-keeper');",
        'const fns = { startSession, withLock, appendJsonl, readJsonl, scanJsonl, repairJsonl, openRegistry, SessionStore, LockTimeoutError, LockCompromisedError, defaultSessionsDir };',
        'const types = Object.fromEntries(Object.entries(fns).map(([k, v]) => [k, typeof v]));',
        'const same = Object.entries(fns).every(([k, v]) => cjs[k] === v) && lib === cjs;',
        'console.log(JSON.stringify({ types, same }));',
      ].join('\n'),
    );
    const { stdout } = await run(process.execPath, ['esm.mjs'], { cwd: project });
    const out = JSON.parse(stdout) as { types: Record<string, string>; same: boolean };
    for (const [name, type] of Object.entries(out.types)) assert.equal(type, 'function', name);
    assert.equal(out.same, true, 'the ESM entry re-exports the CommonJS build');

    fs.writeFileSync(
      path.join(project, 'cjs.cjs'),
      [
        "const os = require('node:os'); const path = require('node:path'); const fs = require('node:fs');",
        "const { appendJsonl, readJsonl, withLock } = require('session-keeper');",
        '(async () => {',
        "  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sk-cjs-'));",
        "  const file = path.join(dir, 'q.jsonl');",
        '  await Promise.all([1, 2, 3].map((n) => appendJsonl(file, { n })));',
        "  const inLock = await withLock(file, () => 'held');",
        '  const seen = []; for await (const r of readJsonl(file)) seen.push(r.value.n);',
        '  fs.rmSync(dir, { recursive: true });',
        '  console.log(JSON.stringify({ seen: seen.sort(), inLock }));',
        '})();',
      ].join('\n'),
    );
    const cjs = await run(process.execPath, ['cjs.cjs'], { cwd: project });
    assert.deepEqual(JSON.parse(cjs.stdout), { seen: [1, 2, 3], inLock: 'held' });
  });

  test('type-checks a consumer under tsc --strict, and the types are not any', async () => {
    const good = [
      "import { startSession, openRegistry, withLock, LockTimeoutError, type SessionHandle, type SessionRecord, type SessionState, type JsonlStats } from 'session-keeper';",
      'export async function main(): Promise<void> {',
      "  const handle: SessionHandle = await startSession({ label: 'typed', workspaceFolders: ['/tmp'], heartbeatIntervalMs: 1000 });",
      "  const record: SessionRecord = await handle.update({ status: 'typing' });",
      '  const registry = await openRegistry();',
      '  const states: SessionState[] = (await registry.list()).map((s) => s.state);',
      "  const n: number = await withLock('/tmp/x', () => 1, { maxWaitMs: 10 });",
      '  let stats: JsonlStats | undefined;',
      '  try { /* nothing */ } catch (e) { if (e instanceof LockTimeoutError) console.log(e.file); }',
      '  console.log(record.id, states, n, stats);',
      '  await handle.close();',
      '}',
    ].join('\n');
    fs.writeFileSync(path.join(project, 'good.mts'), good);
    fs.writeFileSync(path.join(project, 'good.cts'), good.replace('export async function', 'export async function'));
    const tscArgs = (file: string): string[] => [
      TSC,
      '--strict',
      '--noEmit',
      '--module',
      'node16',
      '--moduleResolution',
      'node16',
      '--target',
      'es2022',
      '--skipLibCheck',
      '--types',
      'node',
      '--typeRoots',
      path.join(REPO, 'node_modules', '@types'),
      file,
    ];
    await run(process.execPath, [...tscArgs('good.mts'), 'good.cts'], { cwd: project });
    // A wrong use must fail: the declarations carry real types.
    fs.writeFileSync(
      path.join(project, 'bad.mts'),
      "import { startSession } from 'session-keeper';\nconst h = await startSession({ label: 1 });\nconst id: number = h.id;\nexport { id };\n",
    );
    const bad = await run(process.execPath, tscArgs('bad.mts'), { cwd: project }).then(
      () => null,
      (err: { stdout: string }) => err.stdout,
    );
    assert.ok(bad !== null, 'tsc must reject the wrong consumer');
    assert.match(bad, /bad\.mts\(2,.*TS2322/);
    assert.match(bad, /bad\.mts\(3,.*TS2322/);
  });

  for (const ending of ['normal exit', 'SIGTERM'] as const) {
    test(`startSession() in a child process: active while it runs, closed after ${ending}`, { skip: ending === 'SIGTERM' && !posix }, async () => {
      const dir = fs.mkdtempSync(path.join(work, 'sessions-'));
      fs.writeFileSync(
        path.join(project, 'child.cjs'),
        [
          "const { startSession } = require('session-keeper');",
          "startSession({ label: 'packed child', dir: process.argv[2], tool: 'pack-test' }).then((h) => {",
          '  console.log(h.id);',
          "  if (process.argv[3] === 'wait-signal') setInterval(() => {}, 1000);",
          "  else process.stdin.on('data', () => {}).on('end', () => process.stdin.destroy());",
          '});',
        ].join('\n'),
      );
      const child = spawn(process.execPath, ['child.cjs', dir, ending === 'SIGTERM' ? 'wait-signal' : 'wait-stdin'], {
        cwd: project,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const id = await waitForLine(child, (l) => /^[0-9a-f-]{36}$/.test(l));
      const store = new SessionStore(dir, { cleanupOnCreate: false });
      const running = (await store.list()).find((s) => s.record.id === id);
      assert.equal(running?.state, 'active');
      assert.equal(running?.record.pid, child.pid);
      if (ending === 'SIGTERM') child.kill('SIGTERM');
      else child.stdin?.end();
      const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
      if (ending === 'SIGTERM') assert.equal(signal, 'SIGTERM');
      else assert.equal(code, 0);
      assert.equal((await store.list()).find((s) => s.record.id === id)?.state, 'closed');
    });
  }

  test('npx session-keeper --help runs the installed CLI', async () => {
    const { stdout } = await npm(['exec', '--offline', '--', 'session-keeper', '--help'], project).then((o) => ({ stdout: o }));
    assert.match(stdout, /^Usage: session-keeper/);
    assert.match(stdout, /\bmcp\b/);
  });

  test('the installed CLI serves MCP from its own bundle (no SDK in the project)', async () => {
    assert.equal(fs.existsSync(path.join(project, 'node_modules', '@modelcontextprotocol')), false);
    const dir = fs.mkdtempSync(path.join(work, 'sessions-'));
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [path.join(project, 'node_modules', 'session-keeper', 'dist', 'cli.js'), 'mcp', '--dir', dir],
      cwd: project,
      stderr: 'pipe',
    });
    const client = new Client({ name: 'pack-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((t) => t.name).sort(), ['append_jsonl', 'check_jsonl', 'list_sessions', 'repair_jsonl', 'set_session_status']);
      const listed = await client.callTool({ name: 'list_sessions', arguments: {} });
      const sessions = (listed.structuredContent as { sessions: Array<{ self: boolean; tool: string }> }).sessions;
      assert.equal(sessions.filter((s) => s.self).length, 1);
      assert.equal(sessions.find((s) => s.self)?.tool, 'mcp:pack-test');
    } finally {
      await client.close();
    }
  });
});
