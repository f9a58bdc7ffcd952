import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { v4 as uuidv4, version as uuidVersion } from 'uuid';
import { withLock } from '../../src/core/lock';
import { isSessionId } from '../../src/core/session-record';
import {
  ProcessNotRunningError,
  SessionClosedError,
  SessionNotFoundError,
  SessionStore,
  UnsafeDirectoryError,
  type SessionProblem,
  type StoreOptions,
} from '../../src/core/session-store';
import { cleanupTracked, tempSessionsDir } from '../helpers/processes';

const posix = process.platform !== 'win32';
afterEach(cleanupTracked);

/** A fresh sessions directory path (not created: the store creates it). */
function sessionsDir(): string {
  return tempSessionsDir('store');
}

function store(dir: string, options: StoreOptions = {}): SessionStore {
  return new SessionStore(dir, { cleanupOnCreate: false, ...options });
}

function mode(p: string): number {
  return fs.statSync(p).mode & 0o777;
}

function events(journal: string): Array<Record<string, unknown>> {
  return fs
    .readFileSync(journal, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function liveChild(): Promise<{ pid: number; kill: () => Promise<void> }> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await once(child, 'spawn');
  return {
    pid: child.pid as number,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await once(child, 'exit');
      }
    },
  };
}

describe('create', () => {
  test('writes a complete version-1 record and a journal, private modes', async () => {
    const dir = sessionsDir();
    const s = store(dir, { hostname: 'h1', user: 'ada' });
    const r = await s.create({ label: 'window', workspaceFolders: ['/w/a', '/w/b'], tool: 'vscode' });
    assert.ok(isSessionId(r.id));
    assert.equal(uuidVersion(r.id), 7);
    assert.equal(r.version, 1);
    assert.equal(r.pid, process.pid);
    assert.equal(r.hostname, 'h1');
    assert.equal(r.user, 'ada');
    assert.equal(r.label, 'window');
    assert.deepEqual(r.workspaceFolders, ['/w/a', '/w/b']);
    assert.equal(r.tool, 'vscode');
    assert.equal(r.heartbeatIntervalMs, 10_000);
    assert.equal(r.closedAt, null);
    assert.equal(r.createdAt, r.heartbeatAt);
    assert.equal(new Date(r.createdAt).toISOString(), r.createdAt);
    if (posix) assert.notEqual(r.processStartedAt, null);
    const file = path.join(dir, `${r.id}.json`);
    assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), r);
    const journal = path.join(dir, `${r.id}.jsonl`);
    assert.deepEqual(events(journal).map((e) => [e.event, e.sessionId]), [['created', r.id]]);
    if (posix) {
      assert.equal(mode(dir), 0o700);
      assert.equal(mode(file), 0o600);
      assert.equal(mode(journal), 0o600);
    }
  });

  test('an existing directory keeps its mode (only a directory we create is chmodded)', { skip: !posix }, async () => {
    const dir = sessionsDir();
    fs.mkdirSync(dir, { mode: 0o750 });
    fs.chmodSync(dir, 0o750);
    await store(dir).create({ label: 'x' });
    assert.equal(mode(dir), 0o750);
  });

  test('for another live process; refused for a dead pid', async () => {
    const dir = sessionsDir();
    const child = await liveChild();
    const r = await store(dir).create({ label: 'child', pid: child.pid });
    assert.equal(r.pid, child.pid);
    await child.kill();
    await assert.rejects(store(dir).create({ label: 'dead', pid: child.pid }), ProcessNotRunningError);
  });

  test('bad input is refused before anything is written', async () => {
    const dir = sessionsDir();
    const s = store(dir);
    await assert.rejects(s.create({ label: 'x'.repeat(1001) }), /"label" is 1001 characters long/);
    await assert.rejects(s.create({ label: 'ok', workspaceFolders: ['a\u0000'] }), /workspaceFolders\[0\]/);
    await assert.rejects(s.create({ label: 'ok', pid: 0 }), /invalid pid 0/);
    await assert.rejects(s.create({ label: 'ok', heartbeatIntervalMs: 5 }), /heartbeat interval 5 is out of range/);
    assert.equal(fs.existsSync(dir), false);
  });
});

describe('heartbeat and close', () => {
  test('heartbeat moves heartbeatAt on and keeps everything else, also fields of newer writers', async () => {
    const dir = sessionsDir();
    let now = Date.parse('2025-05-05T10:00:00Z');
    const s = store(dir, { now: () => now });
    const r = await s.create({ label: 'hb' });
    const file = path.join(dir, `${r.id}.json`);
    fs.writeFileSync(file, JSON.stringify({ ...r, addedByNewerTool: [1, 2] }));
    now += 7000;
    const after = await s.heartbeat(r.id);
    assert.equal(after.heartbeatAt, '2025-05-05T10:00:07.000Z');
    const onDisk = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(onDisk, { ...r, heartbeatAt: '2025-05-05T10:00:07.000Z', addedByNewerTool: [1, 2] });
    assert.deepEqual(events(path.join(dir, `${r.id}.jsonl`)).map((e) => e.event), ['created'], 'heartbeats are not journaled');
    if (posix) assert.equal(mode(file), 0o600);
  });

  test('close sets closedAt, journals it, and the record stays until cleanup', async () => {
    const dir = sessionsDir();
    const s = store(dir);
    const r = await s.create({ label: 'c' });
    await s.close(r.id);
    const [info] = await s.list();
    assert.equal(info?.state, 'closed');
    assert.notEqual(info?.record.closedAt, null);
    assert.ok(fs.existsSync(path.join(dir, `${r.id}.json`)));
    await s.close(r.id); // idempotent
    assert.deepEqual(events(path.join(dir, `${r.id}.jsonl`)).map((e) => e.event), ['created', 'closed']);
    await assert.rejects(s.heartbeat(r.id), SessionClosedError);
  });

  test('unknown ids are errors; hostile ids are refused before touching a path', async () => {
    const dir = sessionsDir();
    const s = store(dir);
    await s.create({ label: 'x' });
    await assert.rejects(s.heartbeat(uuidv4()), SessionNotFoundError);
    await assert.rejects(s.close(uuidv4()), SessionNotFoundError);
    await assert.rejects(s.archive(uuidv4()), SessionNotFoundError);
    for (const evil of ['../x', '/etc/passwd', 'a\u0000', '']) {
      await assert.rejects(s.heartbeat(evil), /invalid session id/);
      await assert.rejects(s.close(evil), /invalid session id/);
      await assert.rejects(s.archive(evil), /invalid session id/);
    }
    assert.equal(fs.existsSync(path.join(path.dirname(dir), 'x.lock')), false);
  });

  test('a heartbeat rewrites its own record when someone damaged it', async () => {
    const dir = sessionsDir();
    const s = store(dir);
    const r = await s.create({ label: 'mine' });
    fs.writeFileSync(path.join(dir, `${r.id}.json`), '{"half": ');
    const after = await s.heartbeat(r.id);
    assert.equal(after.label, 'mine');
    assert.equal((await s.list())[0]?.record.id, r.id);
    // Another store (no memory of the session) refuses rather than guess.
    fs.writeFileSync(path.join(dir, `${r.id}.json`), '{"half": ');
    await assert.rejects(store(dir).heartbeat(r.id), /not valid JSON/);
  });
});

describe('archive and re-registration', () => {
  test('archive moves record and journal to archive/<UTC day>/, list --all shows it', async () => {
    const dir = sessionsDir();
    const now = Date.parse('2025-06-30T23:59:59.500Z');
    const s = store(dir, { now: () => now });
    const r = await s.create({ label: 'a' });
    const result = await s.archive(r.id);
    assert.equal(result.archivedOn, '2025-06-30');
    assert.equal(result.state, 'active');
    const day = path.join(dir, 'archive', '2025-06-30');
    assert.deepEqual(result.moved.map((m) => m.to).sort(), [path.join(day, `${r.id}.json`), path.join(day, `${r.id}.jsonl`)]);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['archive']);
    assert.deepEqual(await s.list(), []);
    const [info] = await s.list({ includeArchived: true });
    assert.equal(info?.archivedOn, '2025-06-30');
    assert.equal(info?.file, path.join(day, `${r.id}.json`));
    assert.deepEqual(events(path.join(day, `${r.id}.jsonl`)).map((e) => e.event), ['created', 'archived']);
    if (posix) {
      assert.equal(mode(path.join(dir, 'archive')), 0o700);
      assert.equal(mode(day), 0o700);
    }
  });

  test('a same-named file in the archive is never overwritten', async () => {
    const dir = sessionsDir();
    const now = Date.parse('2025-07-01T08:00:00Z');
    const s = store(dir, { now: () => now });
    const r = await s.create({ label: 'b' });
    const day = path.join(dir, 'archive', '2025-07-01');
    fs.mkdirSync(day, { recursive: true });
    fs.writeFileSync(path.join(day, `${r.id}.json`), 'precious');
    const result = await s.archive(r.id);
    assert.equal(fs.readFileSync(path.join(day, `${r.id}.json`), 'utf8'), 'precious');
    assert.deepEqual(result.moved.map((m) => path.basename(m.to)).sort(), [`${r.id}.2.json`, `${r.id}.2.jsonl`]);
  });

  test('a live session whose record was archived registers again at its next heartbeat', async () => {
    const dir = sessionsDir();
    const s = store(dir);
    const r = await s.create({ label: 'back' });
    await s.archive(r.id);
    const again = await s.heartbeat(r.id);
    assert.equal(again.id, r.id);
    assert.equal(again.label, 'back');
    assert.equal(again.createdAt, r.createdAt);
    const live = await s.list();
    assert.deepEqual(live.map((i) => [i.record.id, i.state]), [[r.id, 'active']]);
    assert.deepEqual(events(path.join(dir, `${r.id}.jsonl`)).map((e) => e.event), ['re-registered']);
  });

  test('re-registration also works from a store with no memory of the session (CLI heartbeat)', async () => {
    const dir = sessionsDir();
    const r = await store(dir).create({ label: 'cli' });
    await store(dir).archive(r.id);
    assert.equal((await store(dir).heartbeat(r.id)).id, r.id);
    assert.ok(fs.existsSync(path.join(dir, `${r.id}.json`)));
  });

  test('a record that went missing is registered again from memory', async () => {
    const dir = sessionsDir();
    const s = store(dir);
    const r = await s.create({ label: 'gone' });
    fs.unlinkSync(path.join(dir, `${r.id}.json`));
    assert.equal((await s.heartbeat(r.id)).label, 'gone');
    assert.equal((await s.list()).length, 1);
  });

  test('a closed and archived session does not come back, even to the store that created it', async () => {
    const dir = sessionsDir();
    const owner = store(dir);
    const r = await owner.create({ label: 'done' });
    await store(dir).close(r.id); // closed by someone else (e.g. the CLI)
    await store(dir).archive(r.id);
    await assert.rejects(store(dir).heartbeat(r.id), SessionClosedError);
    await assert.rejects(owner.heartbeat(r.id), SessionClosedError);
    assert.equal(fs.existsSync(path.join(dir, `${r.id}.json`)), false);
    await store(dir).close(r.id); // closing an archived session does nothing
  });

  test('an archive move interrupted between link and unlink is finished, not duplicated', { skip: !posix }, async () => {
    const dir = sessionsDir();
    const now = Date.parse('2025-08-01T00:00:00Z');
    const s = store(dir, { now: () => now });
    const r = await s.create({ label: 'half-moved' });
    await s.close(r.id);
    // What a crash right after link() leaves: the record under both names.
    const day = path.join(dir, 'archive', '2025-08-01');
    fs.mkdirSync(day, { recursive: true });
    fs.linkSync(path.join(dir, `${r.id}.json`), path.join(day, `${r.id}.json`));
    const [result] = await s.cleanup();
    assert.equal(result?.id, r.id);
    assert.deepEqual(fs.readdirSync(day).sort(), [`${r.id}.json`, `${r.id}.jsonl`]);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['archive']);
  });
});

describe('cleanup', () => {
  test('archives stale and closed sessions, never active or unresponsive ones', async () => {
    const dir = sessionsDir();
    const s = store(dir);
    const active = await s.create({ label: 'active' });
    const closed = await s.create({ label: 'closed' });
    await s.close(closed.id);
    const child = await liveChild();
    const dead = await s.create({ label: 'dead', pid: child.pid });
    await child.kill();
    const quiet = await s.create({ label: 'quiet', heartbeatIntervalMs: 1000 });
    const later = store(dir, { now: () => Date.now() + 10_000 });
    // Heartbeat the active one "10 s later" so only `quiet` is unresponsive then.
    await later.heartbeat(active.id);
    const states = new Map((await later.list()).map((i) => [i.record.id, i.state]));
    assert.deepEqual(
      [states.get(active.id), states.get(closed.id), states.get(dead.id), states.get(quiet.id)],
      ['active', 'closed', 'stale', 'unresponsive'],
    );
    const archived = await later.cleanup({ staleGraceMs: 0 });
    assert.deepEqual(archived.map((a) => a.id).sort(), [closed.id, dead.id].sort());
    assert.deepEqual((await later.list()).map((i) => i.record.id).sort(), [active.id, quiet.id].sort());
    const reasons = new Map(archived.map((a) => [a.id, a.reason]));
    assert.equal(reasons.get(dead.id), `process ${child.pid} is gone`);
  });

  test('runs after create without create waiting for it or failing because of it', async () => {
    const dir = sessionsDir();
    const child = await liveChild();
    const dead = await store(dir).create({ label: 'dead', pid: child.pid });
    await child.kill();
    const errors: Array<[unknown, string]> = [];
    const s = new SessionStore(dir, { lock: { maxWaitMs: 200 }, staleGraceMs: 0, onError: (err, context) => errors.push([err, context]) });
    // Hold the dead session's record lock: cleanup can neither archive it nor finish early.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked: () => void = () => undefined;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holder = withLock(path.join(dir, `${dead.id}.json`), () => {
      locked();
      return held;
    });
    await isLocked;
    const created = await s.create({ label: 'new' }); // resolves although cleanup is stuck
    assert.ok(isSessionId(created.id));
    await s.idle(); // cleanup gave up on the held lock and reported it
    release();
    await holder;
    assert.equal(errors.length, 1);
    assert.match(errors[0]?.[1] ?? '', new RegExp(`cleanup: archiving session ${dead.id}`));
    assert.match(String((errors[0]?.[0] as Error).message), /Timed out/);
    assert.ok(fs.existsSync(path.join(dir, `${dead.id}.json`)), 'not archived while locked');
    // Next time it works.
    await s.create({ label: 'again' });
    await s.idle();
    assert.equal(fs.existsSync(path.join(dir, `${dead.id}.json`)), false);
  });

  test('removes temp files left by killed writers, and nothing else', async () => {
    const dir = sessionsDir();
    const s = store(dir);
    const r = await s.create({ label: 'x' });
    const temp = path.join(dir, `.${r.id}.json.999999.abcdef.tmp`);
    fs.writeFileSync(temp, '{"partial":');
    await s.cleanup();
    assert.ok(fs.existsSync(temp), 'a fresh temp file may belong to a writer still running');
    await store(dir, { now: () => Date.now() + 3600_000 }).cleanup();
    assert.equal(fs.existsSync(temp), false);
    assert.ok(fs.existsSync(path.join(dir, `${r.id}.json`)));
  });
});

describe('list', () => {
  test('a missing directory lists as empty and is not created', async () => {
    const dir = sessionsDir();
    assert.deepEqual(await store(dir).list(), []);
    assert.equal(fs.existsSync(dir), false);
  });

  test('junk is skipped with one problem each; what is not ours is ignored silently', { skip: !posix }, async () => {
    const dir = sessionsDir();
    const s = store(dir);
    const good = await s.create({ label: 'good' });
    const outside = path.join(path.dirname(dir), 'outside.json');
    fs.writeFileSync(outside, JSON.stringify({ ...good, id: uuidv4() }));
    const expected = new Map<string, string>();
    const put = (kind: string, make: (file: string) => void, name = `${uuidv4()}.json`): void => {
      const file = path.join(dir, name);
      make(file);
      expected.set(file, kind);
    };
    put('invalid-json', (f) => fs.writeFileSync(f, '{not json'));
    put('invalid-json', (f) => fs.writeFileSync(f, ''));
    put('invalid-record', (f) => fs.writeFileSync(f, JSON.stringify({ ...good, id: path.basename(f, '.json'), pid: 'many' })));
    put('invalid-record', (f) => fs.writeFileSync(f, '[]'));
    put('too-large', (f) => fs.writeFileSync(f, JSON.stringify({ ...good, id: path.basename(f, '.json'), label: 'L'.repeat(10 * 1024 * 1024) })));
    put('id-mismatch', (f) => fs.writeFileSync(f, JSON.stringify(good)));
    put('symlink', (f) => fs.symlinkSync(outside, f));
    put('not-a-file', (f) => fs.mkdirSync(f));
    put('not-a-file', (f) => spawnSyncOk('mkfifo', [f]));
    put('bad-name', (f) => fs.writeFileSync(f, '{}'), 'notes.json');
    put('bad-name', (f) => fs.writeFileSync(f, '{}'), `${uuidv4().toUpperCase()}.json`);
    const sock = path.join(dir, `${uuidv4()}.json`);
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    expected.set(sock, 'not-a-file');
    // Not records: left alone without a word.
    fs.writeFileSync(path.join(dir, 'README.txt'), 'hi');
    fs.mkdirSync(path.join(dir, `${good.id}.json.lock`));
    fs.writeFileSync(path.join(dir, `.${good.id}.json.1.ab.tmp`), '{');
    fs.writeFileSync(path.join(dir, `${uuidv4()}.jsonl`), 'x\n');
    spawnSyncOk('mkfifo', [path.join(dir, 'a.fifo')]);
    try {
      const problems: SessionProblem[] = [];
      const listed = await s.list({ onProblem: (p) => problems.push(p) });
      assert.deepEqual(listed.map((i) => i.record.id), [good.id]);
      const got = new Map(problems.map((p) => [p.file, p.kind]));
      assert.equal(problems.length, expected.size, JSON.stringify(problems, null, 1));
      assert.deepEqual(got, expected);
      for (const p of problems) assert.doesNotMatch(p.message, /[\n\r]/);
      // list() without a callback still lists.
      assert.equal((await s.list()).length, 1);
    } finally {
      server.close();
    }
  });

  test('a world-writable or foreign-owned directory is refused before anything is written', { skip: !posix }, async () => {
    const dir = sessionsDir();
    fs.mkdirSync(dir);
    fs.chmodSync(dir, 0o777);
    const s = store(dir);
    await assert.rejects(s.list(), UnsafeDirectoryError);
    await assert.rejects(s.create({ label: 'x' }), /world-writable \(mode 0777\)/);
    await assert.rejects(s.cleanup(), UnsafeDirectoryError);
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  test('sessions come newest first, live before archived', async () => {
    let now = Date.parse('2025-01-01T00:00:00Z');
    const dir = sessionsDir();
    const s = store(dir, { now: () => now });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      now += 1000;
      ids.push((await s.create({ label: `n${i}` })).id);
    }
    await s.archive(ids[2] as string);
    const listed = await s.list({ includeArchived: true });
    assert.deepEqual(listed.map((i) => i.record.id), [ids[1], ids[0], ids[2]]);
  });

  test('many sessions: all listed with states (one probe per pid)', async () => {
    const dir = sessionsDir();
    const s = store(dir);
    const ids = new Set<string>();
    for (let i = 0; i < 200; i++) ids.add((await s.create({ label: `s${i}` })).id);
    const listed = await s.list();
    assert.equal(listed.length, 200);
    assert.deepEqual(new Set(listed.map((i) => i.record.id)), ids);
    assert.ok(listed.every((i) => i.state === 'active'));
  });
});

/** mkfifo has no Node API. */
function spawnSyncOk(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args);
  if (r.status !== 0) throw new Error(`${cmd} failed: ${String(r.stderr)}`);
}
