// The command-line tool, run as a real process: `run` starts exactly the argv it was given
// (no shell, nothing taken from session files), and `list` never prints raw control or bidi
// characters from hostile records to the terminal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { v4 as uuidv4 } from 'uuid';
import { FORMAT_VERSION } from '../../src/core/session-record';
import { startChild, exitWithin } from './lib/proc';
import { inTempDir } from './lib/tmp';
import { recordFigures } from './lib/figures';

const cli = join(__dirname, '..', '..', 'src', 'cli', 'main.js');
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const SHELL_BAIT = ['$(touch pwned-dollar)', '`touch pwned-backtick`', '; touch pwned-semicolon', '| touch pwned-pipe', '&& touch pwned-and', '> pwned-redirect'];

async function runCli(cwd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = startChild(cli, args, { cwd, env: { ...process.env, SESSION_KEEPER_DIR: join(cwd, 'sessions') } });
  const { code } = await exitWithin(child, 30_000);
  return { code, stdout: child.lines.join('\n'), stderr: child.stderr() };
}

function hostileRecord(id: string, text: string): string {
  const now = new Date().toISOString();
  return JSON.stringify({
    version: FORMAT_VERSION, id, pid: process.pid, processStartedAt: null, hostname: `h${text}`.slice(0, 200), user: text.slice(0, 200),
    label: text, workspaceFolders: [`/w/${text}`], tool: text.slice(0, 150), createdAt: now, heartbeatAt: now, heartbeatIntervalMs: 10000, closedAt: null,
  });
}

test('run passes its argv to the child literally and never through a shell', async () => {
  await inTempDir('cli-run', async (tmp) => {
    const dir = join(tmp, 'sessions');
    mkdirSync(dir, { mode: 0o700 });
    // A session file full of shell syntax: nothing from it may ever be executed.
    const id = uuidv4();
    writeFileSync(join(dir, `${id}.json`), hostileRecord(id, SHELL_BAIT.join(' ')), { mode: 0o600 });
    const r = await runCli(tmp, ['run', '--label', SHELL_BAIT[0] as string, '--', process.execPath, '-e', 'process.stdout.write(JSON.stringify(process.argv.slice(1)))', ...SHELL_BAIT]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout) as string[], SHELL_BAIT, 'the child received exactly the arguments given');
    await runCli(tmp, ['list']);
    const created = readdirSync(tmp).filter((n) => n.startsWith('pwned'));
    assert.deepEqual(created, [], 'a shell ran something');
    recordFigures({ test: 'cli-run-argv', injects: 'shell metacharacters in run argv, in --label and in an existing session file', figures: { shellCommandsExecuted: created.length } });
  });
});

test('list prints hostile labels without control or bidi characters', async () => {
  await inTempDir('cli-list', async (tmp) => {
    const dir = join(tmp, 'sessions');
    mkdirSync(dir, { mode: 0o700 });
    const evil = 'ok\u001b[2J\u001b]0;owned\u0007\u202Egnp.exe\u202C\r\nFAKE LINE\u2066x\u2069\u0085';
    const id = uuidv4();
    writeFileSync(join(dir, `${id}.json`), hostileRecord(id, evil), { mode: 0o600 });
    writeFileSync(join(dir, 'bad\u001b[31mname\n.json'), '{}', { mode: 0o600 });
    const r = await runCli(tmp, ['list', '--all']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(id));
    assert.doesNotMatch(r.stdout, UNSAFE, `stdout: ${JSON.stringify(r.stdout)}`);
    assert.doesNotMatch(r.stderr, UNSAFE, `stderr: ${JSON.stringify(r.stderr)}`);
    assert.ok(!r.stdout.split('\n').some((l) => l.startsWith('FAKE LINE')), 'a label must not be able to forge a line of output');
  });
});
