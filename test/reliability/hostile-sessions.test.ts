// A sessions directory that someone (a buggy tool, another user before the directory was locked
// down, a person) filled with hostile entries. What must hold: list() and cleanup() finish, each
// bad entry is reported once on one line, nothing outside the directory is read, written or
// followed, and every piece of text the tree shows comes out sanitised.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, symlinkSync, readdirSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { v4 as uuidv4 } from 'uuid';
import { SessionStore, type SessionProblem } from '../../src/core/session-store';
import { sanitizeText } from '../../src/ui/text-safety';
import { describeSession } from '../../src/ui/session-text';
import { tempDir, snapshotTree } from './lib/tmp';
import { recordFigures } from './lib/figures';
import { sessionRecord } from '../helpers/records';

/** Fails instead of hanging: a FIFO opened for reading blocks until a writer appears. */
async function within<T>(what: string, ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms (hang)`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function record(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return sessionRecord({ id, hostname: 'elsewhere.example', user: 'someone', label: 'ordinary', workspaceFolders: ['/w'], ...overrides });
}

// Characters that must never reach the screen as such: terminal escapes, C1, bidi overrides and
// isolates ("Trojan Source"), direction marks, NUL-adjacent controls.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const HOSTILE_TEXT = 'fine\u202Eexe.txt\u202C \u001b[31mred\u001b[0m \u2066iso\u2069 tab\there\r\nnext\u0085line\u200F\u0007 [link](command:workbench.action.terminal.new) <img src=x>';

test('a directory full of hostile entries: no crash, no hang, no write outside, one problem per bad entry', { timeout: 120_000 }, async (t) => {
  const tmp = tempDir('hostile');
  let server: Server | undefined;
  try {
    const dir = join(tmp.dir, 'sessions');
    const outside = join(tmp.dir, 'outside');
    mkdirSync(dir, { mode: 0o700 });
    mkdirSync(outside);
    const outsideId = uuidv4();
    writeFileSync(join(outside, `${outsideId}.json`), JSON.stringify(record(outsideId, { closedAt: new Date().toISOString() })));
    writeFileSync(join(outside, 'victim.txt'), 'do not touch\n');
    execFileSync('mkfifo', [join(outside, 'fifo')]);

    const store = new SessionStore(dir, { cleanupOnCreate: false });
    const good = await store.create({ label: 'good', tool: 'test' });

    // Each entry is expected to produce exactly one problem of the given kind.
    const bad = new Map<string, string>();
    const put = (name: string, kind: string, make: (p: string) => void): void => {
      make(join(dir, name));
      bad.set(join(dir, name), kind);
    };
    const id = (): string => uuidv4();
    put(`${id()}.json`, 'invalid-record', (p) => writeFileSync(p, JSON.stringify(record(p.slice(-41, -5), { pid: '123', label: 7 }))));
    put(`${id()}.json`, 'too-large', (p) => writeFileSync(p, JSON.stringify(record(p.slice(-41, -5), { label: 'L'.repeat(10 * 1024 * 1024) }))));
    put(`${id()}.json`, 'invalid-record', (p) => writeFileSync(p, JSON.stringify(record('../outside/victim'))));
    put(`${id()}.json`, 'id-mismatch', (p) => writeFileSync(p, JSON.stringify(record(outsideId))));
    put(`${id()}.json`, 'invalid-record', (p) => writeFileSync(p, JSON.stringify(record(p.slice(-41, -5), { label: 'a\u0000b' }))));
    put(`${id()}.json`, 'invalid-json', (p) => writeFileSync(p, Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x22, 0x0a, 0xc3])));
    put(`${id()}.json`, 'invalid-json', (p) => writeFileSync(p, ''));
    put(`${id()}.json`, 'invalid-record', (p) => writeFileSync(p, JSON.stringify([record(p.slice(-41, -5))])));
    put(`${id()}.json`, 'invalid-record', (p) => writeFileSync(p, JSON.stringify(record(p.slice(-41, -5), { version: 99 }))));
    put(`${id()}.json`, 'symlink', (p) => symlinkSync(join(outside, `${outsideId}.json`), p));
    put(`${id()}.json`, 'symlink', (p) => symlinkSync('/dev/zero', p));
    put(`${id()}.json`, 'symlink', (p) => symlinkSync(join(outside, 'fifo'), p));
    put(`${id()}.json`, 'symlink', (p) => symlinkSync('../outside', p));
    put(`${id()}.json`, 'not-a-file', (p) => execFileSync('mkfifo', [p]));
    put(`${id()}.json`, 'not-a-file', (p) => mkdirSync(p));
    const socketPath = join(dir, `${id()}.json`);
    server = createServer();
    await new Promise<void>((resolve) => server?.listen(socketPath, resolve));
    bad.set(socketPath, 'not-a-file');
    put('not-a-session.json', 'bad-name', (p) => writeFileSync(p, '{}'));
    put('\u001b[2J\u202Eevil\nname.json', 'bad-name', (p) => writeFileSync(p, '{}'));

    // A valid record whose text is hostile: listed, and shown only sanitised.
    const hostileId = id();
    writeFileSync(join(dir, `${hostileId}.json`), JSON.stringify(record(hostileId, {
      label: HOSTILE_TEXT,
      tool: HOSTILE_TEXT.slice(0, 150),
      hostname: 'h\u202Eost\u001b]0;title\u0007',
      user: HOSTILE_TEXT.slice(0, 100),
      workspaceFolders: [`/w/${HOSTILE_TEXT}`],
    })));
    // A closed session whose journal is a symlink to a file outside: archiving it must not
    // append through the link (its 'archived' event would land in victim.txt).
    const linkedId = id();
    writeFileSync(join(dir, `${linkedId}.json`), JSON.stringify(record(linkedId, { hostname: 'elsewhere.example', closedAt: new Date().toISOString() })));
    symlinkSync(join(outside, 'victim.txt'), join(dir, `${linkedId}.jsonl`));
    // Noise that is not ours to judge and must be left alone silently.
    execFileSync('mkfifo', [join(dir, 'stray.fifo')]);
    symlinkSync('/dev/zero', join(dir, `${id()}.jsonl`));

    const before = snapshotTree(outside);

    const problems: SessionProblem[] = [];
    const listed = await within('list()', 15000, store.list({ includeArchived: true, onProblem: (p) => problems.push(p) }));
    const perFile = new Map<string, SessionProblem[]>();
    for (const p of problems) perFile.set(p.file, [...(perFile.get(p.file) ?? []), p]);

    await t.test('every bad entry is reported exactly once, with its kind, on one line', () => {
      for (const [file, kind] of bad) {
        const got = perFile.get(file) ?? [];
        assert.equal(got.length, 1, `${JSON.stringify(file)}: expected one problem, got ${JSON.stringify(got)}`);
        assert.equal(got[0]?.kind, kind, `${JSON.stringify(file)}: ${got[0]?.message}`);
      }
      const unexpected = problems.filter((p) => !bad.has(p.file));
      assert.deepEqual(unexpected, [], 'problems reported for entries that are fine or not ours');
      for (const p of problems) {
        assert.doesNotMatch(p.message, /[\r\n\u0085\u2028\u2029]/, `a problem message must be one line: ${JSON.stringify(p.message)}`);
        assert.ok(p.message.length < 1000, 'a problem message must be short');
      }
    });

    await t.test('valid records are listed, hostile text is sanitised for display', () => {
      const ids = listed.map((s) => s.record.id).sort();
      assert.deepEqual(ids, [good.id, hostileId, linkedId].sort());
      const hostile = listed.find((s) => s.record.id === hostileId);
      assert.ok(hostile);
      const shown = describeSession(hostile, { self: false });
      for (const [what, text] of Object.entries(shown)) {
        assert.doesNotMatch(text.replace(/\n/g, ' '), UNSAFE, `${what} shows unsafe characters: ${JSON.stringify(text)}`);
      }
      assert.doesNotMatch(shown.tooltip, /\]\(command:/, 'a Markdown command link must not survive into the tooltip');
      assert.doesNotMatch(sanitizeText(HOSTILE_TEXT), UNSAFE);
      assert.ok(sanitizeText('L'.repeat(10 * 1024 * 1024)).length <= 200, 'a huge label is cut for display');
    });

    await t.test('ids that try path traversal are refused before any file is touched', async () => {
      for (const evil of ['../outside/victim', '..', '/etc/passwd', `${good.id}/../../outside/x`, `${good.id}\u0000`, '']) {
        await assert.rejects(store.heartbeat(evil), /invalid session id/i);
        await assert.rejects(store.close(evil), /invalid session id/i);
        await assert.rejects(store.archive(evil), /invalid session id/i);
      }
    });

    const archived = await within('cleanup()', 15000, store.cleanup());
    // Explicit archiving of each bad entry: may fail, must not hang or escape the directory.
    for (const file of bad.keys()) {
      const m = /([0-9a-f-]{36})\.json$/.exec(file);
      if (m?.[1]) await within(`archive(${m[1]})`, 15000, store.archive(m[1]).catch(() => undefined));
    }
    await within('list() again', 15000, store.list({ includeArchived: true }));

    await t.test('nothing outside the sessions directory was written, moved or followed', () => {
      assert.equal(snapshotTree(outside), before);
    });

    await t.test('cleanup archived the closed session and left the live one', () => {
      assert.ok(archived.some((a) => a.id === linkedId), 'the closed session is archived');
      assert.ok(existsSync(join(dir, `${good.id}.json`)));
    });

    recordFigures({
      test: 'hostile-directory',
      injects: 'wrong types, 10 MB label, NUL, control and bidi characters, traversal ids, symlinks (outside, /dev/zero, FIFO), FIFOs, a socket, a directory, bad names',
      figures: { badEntries: bad.size, problemsReported: problems.length, outsideChanged: snapshotTree(outside) !== before, entriesLeft: readdirSync(dir).length },
    });
  } finally {
    server?.close();
    tmp.dispose();
  }
});
