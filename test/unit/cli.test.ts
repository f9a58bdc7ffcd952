// End-to-end tests of the `session-keeper` command: each runs the compiled CLI
// (out/src/cli/main.js, built by `npm run compile` before the unit tests) as a real process.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { v4 as uuidv4 } from 'uuid';
import { SessionStore } from '../../src/core/session-store';
import { CLI, cleanupTracked, tempDir as tempDirIn } from '../helpers/processes';

const CHILD = path.join(__dirname, '..', 'fixtures', 'cli-child.js');
const UUID_LINE = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}\n$/;
const posix = process.platform !== 'win32';

afterEach(cleanupTracked);

const tempDir = (): string => tempDirIn('cli');

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function start(args: string[], env: NodeJS.ProcessEnv = {}): { proc: ChildProcess; done: Promise<Result> } {
  const proc = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, SESSION_KEEPER_DIR: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = once(proc, 'close').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null, stdout, stderr }));
  return { proc, done };
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  return start(args, env).done;
}

/** A usage or I/O error: exit 2, one line on stderr (plus an optional "Try:" hint), no stack trace. */
function assertCleanError(r: Result, message: RegExp): void {
  assert.equal(r.code, 2, `exit code; stderr: ${r.stderr}`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.match(lines[0] ?? '', /^session-keeper: /);
  assert.match(lines[0] ?? '', message);
  assert.ok(lines.length === 1 || (lines.length === 2 && lines[1]?.startsWith('Try: ')), r.stderr);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

interface ListedJson {
  id: string;
  state: string;
  reason: string;
  pid: number;
  hostname: string;
  label: string;
  heartbeatAt: string;
  workspaceFolders: string[];
  tool: string;
  archivedOn: string | null;
  closedAt: string | null;
}

async function listJson(dir: string, ...extra: string[]): Promise<ListedJson[]> {
  const r = await cli(['list', '--json', '--dir', dir, ...extra]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as ListedJson[];
}

/** Waits for text on a process's stdout (the test's own timeout bounds the wait). */
function lineFrom(proc: ChildProcess, match: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer | string): void => {
      seen += chunk.toString();
      const m = match.exec(seen);
      if (m) {
        proc.stdout?.off('data', onData);
        resolve(m);
      }
    };
    proc.stdout?.on('data', onData);
    proc.once('exit', () => reject(new Error(`exited without printing ${match}: ${seen}`)));
  });
}

/** Polls the directory until a session of `pid` is listed (registration runs after spawn). */
async function sessionOf(dir: string, pid: number): Promise<void> {
  const store = new SessionStore(dir, { cleanupOnCreate: false });
  while (!(await store.list()).some((s) => s.record.pid === pid)) await new Promise((r) => setTimeout(r, 20));
}

describe('help and usage errors', () => {
  test('--help, help COMMAND and COMMAND --help print usage and exit 0', async () => {
    const global = await cli(['--help']);
    assert.equal(global.code, 0);
    assert.match(global.stdout, /^Usage: session-keeper/);
    for (const command of ['list', 'register', 'heartbeat', 'close', 'run', 'archive', 'append', 'check', 'repair']) {
      const a = await cli(['help', command]);
      assert.equal(a.code, 0);
      assert.match(a.stdout, new RegExp(`^Usage: session-keeper ${command}`));
      const b = await cli([command, '--help']);
      assert.equal(b.stdout, a.stdout);
    }
  });

  test('no command, unknown command, unknown or malformed option: exit 2 with one clear line', async () => {
    assertCleanError(await cli([]), /expected a command/);
    assertCleanError(await cli(['frobnicate']), /unknown command "frobnicate"/);
    assertCleanError(await cli(['--bogus', 'list']), /unknown option --bogus/);
    assertCleanError(await cli(['list', '--bogus']), /list: Unknown option '--bogus'/);
    assertCleanError(await cli(['register', '--pid', 'abc']), /--pid must be an integer/);
    assertCleanError(await cli(['register', '--label']), /argument missing/);
    assertCleanError(await cli(['heartbeat']), /expected exactly one session id/);
    assertCleanError(await cli(['archive']), /expected session ids, --stale or --prune-older-than DAYS/);
    assertCleanError(await cli(['archive', '--stale', uuidv4()]), /not both/);
    assertCleanError(await cli(['run', '--label', 'x']), /expected a command after --/);
  });
});

describe('sessions from the command line', () => {
  test('register, list, heartbeat, close, archive --stale, list --all', async () => {
    const base = tempDir();
    const dir = path.join(base, 'sessions');
    const child = spawn(process.execPath, [CHILD, 'wait'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await lineFrom(child, /ready/);
      const reg = await cli(['register', '--dir', dir, '--label', 'from a shell', '--pid', String(child.pid), '--tool', 'bash', '--workspace', base, '--workspace', 'rel']);
      assert.equal(reg.code, 0, reg.stderr);
      assert.match(reg.stdout, UUID_LINE, 'prints only the id');
      const id = reg.stdout.trim();
      if (posix) assert.equal(fs.statSync(dir).mode & 0o777, 0o700);

      let [s] = await listJson(dir);
      assert.equal(s?.id, id);
      assert.equal(s?.state, 'active');
      assert.equal(s?.pid, child.pid);
      assert.equal(s?.label, 'from a shell');
      assert.equal(s?.tool, 'bash');
      assert.equal(s?.hostname, os.hostname());
      assert.deepEqual(s?.workspaceFolders, [base, path.resolve('rel')]);
      assert.equal(s?.archivedOn, null);
      assert.equal(new Date(s?.heartbeatAt ?? '').toISOString(), s?.heartbeatAt);
      assert.equal(typeof s?.reason, 'string');

      const before = s?.heartbeatAt ?? '';
      assert.equal((await cli(['heartbeat', id, '--dir', dir])).code, 0);
      [s] = await listJson(dir);
      assert.ok((s?.heartbeatAt ?? '') >= before);

      const table = await cli(['list', '--dir', dir]);
      assert.match(table.stdout, /^ID\s+STATE\s+PID\s+HOST\s+HEARTBEAT\s+LABEL\n/);
      assert.match(table.stdout, new RegExp(`${id}\\s+active\\s+${child.pid}\\s+.*from a shell`));

      assert.equal((await cli(['close', id, '--dir', dir])).code, 0);
      [s] = await listJson(dir);
      assert.equal(s?.state, 'closed');
      assert.notEqual(s?.closedAt, null);

      const archived = await cli(['archive', '--stale', '--json', '--dir', dir]);
      assert.equal(archived.code, 0, archived.stderr);
      const moved = JSON.parse(archived.stdout) as Array<{ id: string; archivedOn: string; moved: Array<{ from: string; to: string }> }>;
      assert.equal(moved.length, 1);
      assert.equal(moved[0]?.id, id);
      assert.deepEqual(moved[0]?.moved.map((m) => path.basename(m.to)).sort(), [`${id}.json`, `${id}.jsonl`]);
      assert.deepEqual(await listJson(dir), []);
      const all = await listJson(dir, '--all');
      assert.equal(all[0]?.archivedOn, moved[0]?.archivedOn);
      assert.match(all[0]?.archivedOn ?? '', /^\d{4}-\d{2}-\d{2}$/);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('a registered process that dies is listed stale; archive --stale moves it', async () => {
    const dir = path.join(tempDir(), 's');
    const child = spawn(process.execPath, [CHILD, 'wait'], { stdio: ['ignore', 'pipe', 'ignore'] });
    await lineFrom(child, /ready/);
    const id = (await cli(['register', '--pid', String(child.pid)], { SESSION_KEEPER_DIR: dir })).stdout.trim();
    child.kill('SIGKILL');
    await once(child, 'exit');
    const [s] = await listJson(dir);
    assert.equal(s?.id, id);
    assert.equal(s?.state, 'stale');
    assert.equal(s?.reason, `process ${child.pid} is gone`);
    const r = await cli(['archive', '--stale', '--dir', dir]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, new RegExp(`^archived ${id} \\(stale\\) -> `));
  });

  test('register without --pid stands for the calling process', async () => {
    const dir = path.join(tempDir(), 's');
    const id = (await cli(['register', '--dir', dir])).stdout.trim();
    const [s] = await listJson(dir);
    assert.equal(s?.id, id);
    assert.equal(s?.pid, process.pid);
    assert.equal(s?.state, 'active');
  });

  test('SESSION_KEEPER_HOSTNAME records another host name', async () => {
    const dir = path.join(tempDir(), 's');
    await cli(['register', '--dir', dir], { SESSION_KEEPER_HOSTNAME: 'elsewhere' });
    const [s] = await listJson(dir);
    assert.equal(s?.hostname, 'elsewhere');
  });

  test('--dir before the command, and the env default, select the directory', async () => {
    const a = path.join(tempDir(), 'a');
    const b = path.join(tempDir(), 'b');
    const id = (await cli(['--dir', a, 'register'], { SESSION_KEEPER_DIR: b })).stdout.trim();
    assert.ok(fs.existsSync(path.join(a, `${id}.json`)));
    const id2 = (await cli(['register'], { SESSION_KEEPER_DIR: b })).stdout.trim();
    assert.ok(fs.existsSync(path.join(b, `${id2}.json`)));
  });

  test('errors: unknown and hostile ids, dead pid, unusable directory', async () => {
    const base = tempDir();
    const dir = path.join(base, 's');
    await cli(['register', '--dir', dir]);
    const unknown = uuidv4();
    assertCleanError(await cli(['heartbeat', unknown, '--dir', dir]), new RegExp(`no session ${unknown}`));
    assertCleanError(await cli(['close', unknown, '--dir', dir]), /no session/);
    assertCleanError(await cli(['archive', unknown, '--dir', dir]), /no session/);
    assertCleanError(await cli(['heartbeat', '../../etc/passwd', '--dir', dir]), /invalid session id "..\/..\/etc\/passwd"/);
    assertCleanError(await cli(['close', 'A/B', '--dir', dir]), /invalid session id/);
    const exited = spawn(process.execPath, ['-e', '0']);
    await once(exited, 'exit');
    assertCleanError(await cli(['register', '--pid', String(exited.pid), '--dir', dir]), /process \d+ is not running/);
    const file = path.join(base, 'plain-file');
    fs.writeFileSync(file, 'x');
    assertCleanError(await cli(['list', '--dir', file]), /is not a directory/);
  });

  test('junk in the directory: list warns on stderr, still lists, exits 0', async () => {
    const dir = path.join(tempDir(), 's');
    const id = (await cli(['register', '--dir', dir, '--label', 'red \u001b[31m label'])).stdout.trim();
    fs.writeFileSync(path.join(dir, `${uuidv4()}.json`), '{broken');
    const r = await cli(['list', '--dir', dir]);
    assert.equal(r.code, 0);
    assert.match(r.stderr, /^session-keeper: warning: skipped invalid-json: /);
    assert.match(r.stdout, new RegExp(id));
    assert.ok(!r.stdout.includes('\u001b'), 'control characters from records are escaped');
    assert.match(r.stdout, /red \\u001b\[31m label/);
  });

  test('archive ID... --json moves exactly those sessions', async () => {
    const dir = path.join(tempDir(), 's');
    const a = (await cli(['register', '--dir', dir])).stdout.trim();
    const b = (await cli(['register', '--dir', dir])).stdout.trim();
    const c = (await cli(['register', '--dir', dir])).stdout.trim();
    const r = await cli(['archive', a, b, '--json', '--dir', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as Array<{ id: string }>).map((x) => x.id), [a, b]);
    assert.deepEqual((await listJson(dir)).map((s) => s.id), [c]);
    // One bad id among good ones: the good ones move, exit 2.
    const r2 = await cli(['archive', c, uuidv4(), '--dir', dir]);
    assert.equal(r2.code, 2);
    assert.match(r2.stdout, new RegExp(`archived ${c}`));
    assert.deepEqual(await listJson(dir), []);
  });
});

describe('run', () => {
  test('propagates the exit code and closes the session', async () => {
    const dir = path.join(tempDir(), 's');
    const r = await cli(['run', '--dir', dir, '--label', 'job', '--', process.execPath, CHILD, 'exit', '3']);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stderr, '');
    // A child this short-lived may exit before it is registered (then it gets no session);
    // registration itself is shown by the next test. A session that exists is closed.
    const all = await listJson(dir);
    assert.ok(all.length <= 1);
    for (const s of all) {
      assert.equal(s.state, 'closed');
      assert.equal(s.label, 'job');
      assert.equal(s.tool, 'session-keeper-run');
    }
    assert.equal((await cli(['run', '--dir', dir, '--', process.execPath, CHILD, 'exit', '0'])).code, 0);
  });

  test('registers the child (its pid) while it runs; forwards SIGTERM; exits with the child\u2019s code', { skip: !posix }, async () => {
    const dir = path.join(tempDir(), 's');
    const { proc, done } = start(['run', '--dir', dir, '--label', 'trapper', '--', process.execPath, CHILD, 'trap']);
    const [, pid] = await lineFrom(proc, /ready (\d+)/);
    await sessionOf(dir, Number(pid));
    const [live] = await listJson(dir);
    assert.equal(live?.state, 'active');
    assert.equal(live?.pid, Number(pid));
    assert.equal(live?.label, 'trapper');
    assert.equal(live?.tool, 'session-keeper-run');
    proc.kill('SIGTERM');
    const r = await done;
    assert.equal(r.code, 42, `the child saw SIGTERM and chose 42; stderr: ${r.stderr}`);
    assert.equal((await listJson(dir))[0]?.state, 'closed');
  });

  test('a child killed by a forwarded signal: exit 128+signal', { skip: !posix }, async () => {
    const dir = path.join(tempDir(), 's');
    for (const [signal, code] of [['SIGINT', 130], ['SIGHUP', 129]] as const) {
      const { proc, done } = start(['run', '--dir', dir, '--', process.execPath, CHILD, 'wait']);
      const [, pid] = await lineFrom(proc, /ready (\d+)/);
      await sessionOf(dir, Number(pid));
      proc.kill(signal);
      assert.equal((await done).code, code, signal);
    }
  });

  test('a command that cannot start: exit 2 with one line', async () => {
    const dir = path.join(tempDir(), 's');
    assertCleanError(await cli(['run', '--dir', dir, '--', 'no-such-command-for-session-keeper']), /cannot start "no-such-command-for-session-keeper": command not found/);
  });
});

describe('JSONL commands', () => {
  test('append writes one line under the lock; invalid JSON: exit 2 and nothing written', async () => {
    const file = path.join(tempDir(), 'log.jsonl');
    assert.equal((await cli(['append', file, '{"a":1}'])).code, 0);
    assert.equal((await cli(['append', file, '[1,\n 2]'])).code, 0);
    assert.equal(fs.readFileSync(file, 'utf8'), '{"a":1}\n[1,  2]\n');
    assertCleanError(await cli(['append', file, '{"a":']), /invalid JSON/);
    assertCleanError(await cli(['append', file]), /expected FILE and one JSON argument/);
    assert.equal(fs.readFileSync(file, 'utf8'), '{"a":1}\n[1,  2]\n');
    if (posix) assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  });

  test('check: counts, problems with line and byte offset, exit 1 on corruption', async () => {
    const dir = tempDir();
    const clean = path.join(dir, 'clean.jsonl');
    fs.writeFileSync(clean, '{"a":1}\n{"b":2}\n');
    const ok = await cli(['check', clean, '--json']);
    assert.equal(ok.code, 0);
    const okJson = JSON.parse(ok.stdout) as { records: number; corrupted: number; problems: unknown[] };
    assert.equal(okJson.records, 2);
    assert.equal(okJson.corrupted, 0);

    const bad = path.join(dir, 'bad.jsonl');
    fs.writeFileSync(bad, '{"a":1}\n{oops\n{"c":3}\n');
    const r = await cli(['check', bad, '--json']);
    assert.equal(r.code, 1);
    const j = JSON.parse(r.stdout) as { records: number; corrupted: number; corruptionRatio: number; problems: Array<{ line: number; offset: number; kind: string }> };
    assert.equal(j.records, 2);
    assert.equal(j.corrupted, 1);
    assert.ok(Math.abs(j.corruptionRatio - 1 / 3) < 1e-9);
    assert.deepEqual(j.problems.map((p) => [p.line, p.offset, p.kind]), [[2, 8, 'invalid-json']]);
    const human = await cli(['check', bad]);
    assert.equal(human.code, 1);
    // The percentage as the extension writes it (core/number-format.ts).
    assert.match(human.stdout, /2 records .*1 corrupted of 3 lines \(33%\)/);
    assert.match(human.stdout, /line 2, byte 8: invalid-json/);
    assertCleanError(await cli(['check', path.join(dir, 'missing.jsonl')]), /ENOENT|no such file|not exist/i);
  });

  test('repair: kept, recovered, quarantined and the quarantine path; then check passes', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'r.jsonl');
    fs.writeFileSync(file, '{"a":1}\nnot json at all\n{"b":2}\n');
    const r = await cli(['repair', file, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { kept: number; recovered: number; quarantined: number; quarantinePath: string | null };
    assert.equal(j.kept, 2);
    assert.equal(j.quarantined, 1);
    assert.equal(typeof j.recovered, 'number');
    assert.ok(j.quarantinePath && fs.readFileSync(j.quarantinePath, 'utf8').includes('not json at all'));
    assert.equal((await cli(['check', file])).code, 0);
    const again = JSON.parse((await cli(['repair', file, '--json'])).stdout) as { quarantinePath: string | null; quarantined: number };
    assert.equal(again.quarantined, 0);
    assert.equal(again.quarantinePath, null);
  });
});
