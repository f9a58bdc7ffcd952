// The registry on a real redis-server: the same operations and rules as the sessions directory,
// atomic writes (no lost field between racing writers), the server's clock, archive days that
// never delete, journals as Streams, and pub/sub change notifications.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openRegistry } from '../../src/lib/index';
import type { Registry } from '../../src/core/registry';
import { LIMITS } from '../../src/core/session-record';
import { RedisRegistry } from '../../src/core/redis-registry';
import { parseRegistryLocation, type RedisLocation } from '../../src/core/registry-location';
import type { CreateInput } from '../../src/core/session-store';
import { SessionClosedError, SessionNotFoundError } from '../../src/core/session-store';
import { cleanupTracked, cli, killed, liveChild } from '../helpers/processes';
import { haveRedisServer, startRedis, stopAllRedis, type TestRedis } from '../helpers/redis-server';

const skip = haveRedisServer() ? false : 'redis-server is not installed (.ci/run installs it)';

describe('registry on Redis', { skip }, () => {
  let redis: TestRedis;
  let prefixN = 0;
  const open: Registry[] = [];
  /** A registry on the shared test server under a fresh key prefix (one registry per test). */
  let prefix = '';
  const registry = async (options: Parameters<typeof openRegistry>[1] = {}): Promise<Registry> => {
    const r = await openRegistry(`${redis.url}?prefix=${prefix}`, { cleanupOnCreate: false, ...options });
    open.push(r);
    return r;
  };
  const raw = async (...args: string[]): Promise<unknown> => {
    const r = open[0] ?? (await registry());
    // The connection is private; a second registry's list or journal is the public way, but some
    // checks need a key as it is stored: reach it through the library's own client.
    return (r as unknown as { conn: { command(a: string[]): Promise<unknown> } }).conn.command(args);
  };

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await stopAllRedis();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((r) => r.dispose()));
    cleanupTracked();
    prefixN++;
  });
  const fresh = (): void => {
    prefix = `t${process.pid}-${prefixN}`;
  };

  test('create, heartbeat, update, close, list, cleanup: timestamps from the server clock, the journal a Stream', async () => {
    fresh();
    const reg = await registry();
    assert.equal(reg.kind, 'redis');
    const child = await liveChild();
    const before = Date.now();
    const record = await reg.create({ label: 'window', pid: child.pid, workspaceFolders: ['/w'], heartbeatIntervalMs: 1000 });
    const serverNow = Number(((await raw('TIME')) as string[])[0]) * 1000;
    // The record's times are the server's: within a second of its TIME, whatever our clock says.
    assert.ok(Math.abs(Date.parse(record.createdAt) - serverNow) < 2000, `${record.createdAt} vs server ${serverNow}`);
    assert.ok(Math.abs(Date.parse(record.createdAt) - before) < 5000);
    assert.equal(record.heartbeatAt, record.createdAt);
    assert.deepEqual(record.workspaceFolders, ['/w']);

    const beat = await reg.heartbeat(record.id, { heartbeatIntervalMs: 2000, expireAfterMs: 60_000 });
    assert.equal(beat.heartbeatIntervalMs, 2000);
    assert.equal(beat.expireAfterMs, 60_000);
    assert.ok(beat.heartbeatAt >= record.heartbeatAt);
    const updated = await reg.update(record.id, { status: 'busy', label: 'renamed' });
    assert.equal(updated.status, 'busy');
    assert.equal(updated.label, 'renamed');
    assert.equal(updated.expireAfterMs, 60_000, 'an update keeps the fields it does not touch');

    const [info] = await reg.list();
    assert.equal(info?.state, 'active');
    assert.equal(info?.file, `${prefix}:session:${record.id}`);
    assert.equal(info?.journal, `${prefix}:journal:${record.id}`);

    await killed(child);
    const [dead] = await reg.list();
    assert.equal(dead?.state, 'stale', 'a pid of this host and PID space is checked, as in a directory');

    await reg.close(record.id);
    await reg.close(record.id); // closing twice does nothing
    await assert.rejects(reg.heartbeat(record.id), SessionClosedError);
    await assert.rejects(reg.update(record.id, { status: 'x' }), SessionClosedError);
    const archived = await reg.cleanup();
    assert.deepEqual(archived.map((a) => [a.id, a.state]), [[record.id, 'closed']]);
    assert.deepEqual(await reg.list(), []);
    const all = await reg.list({ includeArchived: true });
    assert.equal(all.length, 1);
    assert.equal(all[0]?.archivedOn, archived[0]?.archivedOn);
    assert.equal(all[0]?.archivedOn, new Date(Date.parse(all[0]?.record.closedAt ?? '')).toISOString().slice(0, 10));
    const events = (await reg.readJournal(record.id)) as Array<{ event: string; sessionId: string }>;
    assert.deepEqual(events.map((e) => e.event), ['created', 'closed', 'archived']);
    assert.ok(events.every((e) => e.sessionId === record.id));
    assert.equal(await raw('TYPE', all[0]?.journal ?? ''), 'stream');
  });

  test('archive days: listed without reading records, one day read on request, opt-in retention deletes only old days', async () => {
    fresh();
    const reg = await registry();
    const live = await reg.create({ label: 'stays live' });
    const a = await reg.create({ label: 'a' });
    const b = await reg.create({ label: 'b' });
    const today = (await reg.archive(a.id)).archivedOn;
    await reg.archive(b.id);
    assert.deepEqual(await reg.listArchiveDays(), [today]);
    const day = await reg.listArchivedOn(today);
    assert.deepEqual(day.sessions.map((s) => s.record.id).sort(), [a.id, b.id].sort());
    assert.deepEqual(day.problems, []);
    await assert.rejects(reg.listArchivedOn('../x'), (err: Error & { code?: string }) => err.code === 'EINVALIDDAY');

    // Move b's copy to a day long past, as if archived then.
    const old = '2000-01-01';
    const entry = day.sessions.find((s) => s.record.id === b.id);
    assert.ok(entry);
    const name = entry.file.slice(entry.file.lastIndexOf(':') + 1);
    await raw('RENAME', entry.file, `${prefix}:archive:${old}:session:${name}`);
    await raw('RENAME', entry.journal, `${prefix}:archive:${old}:journal:${name}`);
    await raw('SREM', `${prefix}:archive:${today}`, name);
    await raw('SADD', `${prefix}:archive:${old}`, name);
    await raw('SADD', `${prefix}:archive-days`, old);
    await raw('HSET', `${prefix}:archived`, b.id, `${old}/${name}`);
    assert.deepEqual(await reg.listArchiveDays(), [today, old]);
    assert.deepEqual((await reg.listArchivedOn(old)).sessions.map((s) => s.record.id), [b.id]);

    // The CLI streams list --all day by day from Redis: the same sessions as one list().
    const whole = await reg.list({ includeArchived: true });
    const cliOut = await cli(['list', '--all', '--json', '--registry', `${redis.url}?prefix=${prefix}`]);
    assert.equal(cliOut.code, 0, cliOut.stderr);
    assert.deepEqual((JSON.parse(cliOut.stdout) as Array<{ id: string }>).map((s) => s.id).sort(), whole.map((s) => s.record.id).sort());

    const pruned = await reg.pruneArchive(30);
    assert.deepEqual(pruned.map((p) => [p.day, p.files]), [[old, 1]]);
    assert.deepEqual(await reg.listArchiveDays(), [today]);
    assert.equal(await raw('EXISTS', `${prefix}:archive:${old}:session:${name}`, `${prefix}:archive:${old}:journal:${name}`, `${prefix}:archive:${old}`), 0);
    assert.equal(await raw('HEXISTS', `${prefix}:archived`, b.id), 0);
    // Today's archive and the live session are untouched.
    assert.deepEqual((await reg.listArchivedOn(today)).sessions.map((s) => s.record.id), [a.id]);
    assert.deepEqual((await reg.list()).map((s) => s.record.id), [live.id]);
    await assert.rejects(reg.pruneArchive(0), RangeError);
  });

  test('archive never deletes: a session archived twice in a day keeps both copies; no key expires', async () => {
    fresh();
    const reg = await registry();
    const record = await reg.create({ label: 'twice' });
    const first = await reg.archive(record.id);
    assert.equal(first.state, 'active');
    // Its owner heartbeats: it comes back (from what the owner knows), then is archived again.
    const back = await reg.heartbeat(record.id);
    assert.equal(back.id, record.id);
    const second = await reg.archive(record.id);
    assert.equal(second.archivedOn, first.archivedOn);
    assert.notDeepEqual(second.moved, first.moved);
    const copies = await reg.list({ includeArchived: true });
    assert.equal(copies.length, 2);
    for (const c of copies) {
      assert.equal(await raw('TTL', c.file), -1, `${c.file} never expires`);
      assert.equal(await raw('TTL', c.journal), -1, `${c.journal} never expires`);
    }
    const journal = (await reg.readJournal(record.id)) as Array<{ event: string }>;
    assert.deepEqual(journal.map((e) => e.event), ['re-registered', 'archived']);
    await assert.rejects(reg.archive(record.id), SessionNotFoundError);
  });

  test('a session closed and then archived does not come back at its owner heartbeat', async () => {
    fresh();
    const reg = await registry();
    const record = await reg.create({ label: 'done' });
    const other = await registry();
    await other.close(record.id);
    await other.archive(record.id);
    await assert.rejects(reg.heartbeat(record.id), SessionClosedError);
    await assert.rejects(other.heartbeat(record.id), SessionClosedError);
  });

  test('concurrent writers on one record lose no field', async () => {
    fresh();
    const a = await registry();
    const b = await registry();
    const c = await registry();
    const record = await a.create({ label: 'shared' });
    const rounds = 60;
    // Three writers, each changing its own field in order, all at once: the last value of each
    // must survive, whatever the interleaving.
    await Promise.all([
      (async () => {
        for (let i = 1; i <= rounds; i++) await a.update(record.id, { label: `label ${i}` });
      })(),
      (async () => {
        for (let i = 1; i <= rounds; i++) await b.update(record.id, { status: `status ${i}` });
      })(),
      (async () => {
        for (let i = 1; i <= rounds; i++) await c.heartbeat(record.id, { heartbeatIntervalMs: 1000 + i });
      })(),
      (async () => {
        for (let i = 1; i <= rounds; i++) await a.update(record.id, { workspaceFolders: [`/w/${i}`] });
      })(),
    ]);
    const [info] = await c.list();
    assert.equal(info?.record.label, `label ${rounds}`);
    assert.equal(info?.record.status, `status ${rounds}`);
    assert.equal(info?.record.heartbeatIntervalMs, 1000 + rounds);
    assert.deepEqual(info?.record.workspaceFolders, [`/w/${rounds}`]);
  });

  test('a cleanup that judged a session stale does not archive it once it heartbeats again', async () => {
    fresh();
    const reg = await registry();
    const child = await liveChild();
    const record = await reg.create({ label: 'revives', pid: child.pid });
    await killed(child);
    // The cleanup marks it stale (grace running); the owner heartbeats (staleSince goes); a
    // zero-grace cleanup then judges the live record again and, its pid still dead, archives it
    // — but only because the record it judged is the one it moves.
    assert.deepEqual(await reg.cleanup({ staleGraceMs: 60_000 }), []);
    const [marked] = await reg.list();
    assert.ok(marked?.record.staleSince, 'the first cleanup marks it');
    await reg.heartbeat(record.id);
    const [revived] = await reg.list();
    assert.equal(revived?.record.staleSince, undefined, 'a heartbeat removes the mark');
    assert.deepEqual(await reg.cleanup({ staleGraceMs: 60_000 }), [], 'the grace starts again');
  });

  test('watch() reports a change made by another registry', async () => {
    fresh();
    const watcher = await registry();
    const writer = await registry();
    let changes = 0;
    let notify: () => void = () => undefined;
    const seen = new Promise<void>((resolve) => (notify = resolve));
    const stop = await watcher.watch(() => {
      changes++;
      notify();
    });
    assert.ok(stop);
    await writer.create({ label: 'appears' });
    await seen;
    assert.ok(changes >= 1);
    await stop();
  });

  test('appendJournal adds objects other tools can read; a non-object is refused', async () => {
    fresh();
    const reg = await registry();
    const record = await reg.create({ label: 'j' });
    await reg.appendJournal(record.id, { event: 'note', text: 'hello' });
    await assert.rejects(reg.appendJournal(record.id, [1, 2] as unknown as Record<string, unknown>), TypeError);
    const journal = (await reg.readJournal(record.id)) as Array<Record<string, unknown>>;
    assert.deepEqual(journal.map((e) => e.event), ['created', 'note']);
    assert.equal(journal[1]?.text, 'hello');
  });

  test('records written by another tool with plain SET are read; invalid ones are reported, not listed', async () => {
    fresh();
    const reg = await registry();
    const id = '01890a5d-ac96-774b-bcce-b302099a8057';
    const at = new Date().toISOString();
    const fields: Record<string, unknown> = {
      version: 1, id, pid: 4242, processStartedAt: null, hostname: 'elsewhere', user: 'u', label: 'from python',
      workspaceFolders: [], tool: 'py', createdAt: at, heartbeatAt: at, heartbeatIntervalMs: 10000, closedAt: null, extra: { kept: true },
    };
    // Pretty-printed, as another language's JSON writer may well do.
    await raw('SET', `${prefix}:session:${id}`, JSON.stringify(fields, null, 2));
    const bad = '01890a5d-ac96-774b-bcce-b302099a8058';
    await raw('SET', `${prefix}:session:${bad}`, '{"version": 1, "label": not json}');
    const hash = '01890a5d-ac96-774b-bcce-b302099a8059';
    await raw('HSET', `${prefix}:session:${hash}`, 'version', '1');
    const thief = '01890a5d-ac96-774b-bcce-b302099a805a';
    await raw('SET', `${prefix}:session:${thief}`, JSON.stringify(fields));
    // A member whose key is gone (archived between SMEMBERS and MGET) is no problem at all.
    const gone = '01890a5d-ac96-774b-bcce-b302099a805b';
    await raw('SADD', `${prefix}:sessions`, id, bad, hash, thief, gone, 'not-an-id');
    const problems: Array<[string, string]> = [];
    const sessions = await reg.list({ onProblem: (p) => problems.push([p.kind, p.file]) });
    assert.deepEqual(sessions.map((s) => [s.record.id, s.state, s.record.hostname]), [[id, 'active', 'elsewhere']]);
    assert.match(sessions[0]?.reason ?? '', /heartbeat/);
    assert.deepEqual(problems.sort(), [
      ['bad-name', `${prefix}:sessions`],
      ['id-mismatch', `${prefix}:session:${thief}`],
      ['invalid-json', `${prefix}:session:${bad}`],
      ['not-a-file', `${prefix}:session:${hash}`],
    ]);
    // An update by us keeps the other tool's field; the record stays one JSON object.
    await reg.update(id, { status: 'seen' });
    const stored = JSON.parse(String(await raw('GET', `${prefix}:session:${id}`))) as Record<string, unknown>;
    assert.deepEqual(stored.extra, { kept: true });
    assert.equal(stored.status, 'seen');
    // A write to a record that is not JSON is refused with the record error; nothing is changed.
    await assert.rejects(reg.heartbeat(bad), (err: Error & { code?: string }) => err.code === 'EINVALIDRECORD' && err.message.includes(`${prefix}:session:${bad}`));
    assert.equal(await raw('GET', `${prefix}:session:${bad}`), '{"version": 1, "label": not json}');
  });

  test('every write keeps the fields other tools added, exactly (property)', async () => {
    fresh();
    const reg = await registry();
    const base = await reg.create({ label: 'shared', workspaceFolders: [] });
    const known = new Set(Object.keys(base).concat(['status', 'staleSince', 'unresponsiveAfterMs', 'expireAfterMs']));
    // Characters that end, escape or nest JSON text, beside ordinary ones: a scanner that
    // misreads any of them loses or garbles the fields after it.
    const unit = fc.oneof(fc.constantFrom('"', '\\', '{', '}', '[', ']', ',', ':', ' ', '\n', '/', '\u2028', '\u00e9', '\u{1f600}'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }));
    const extraName = fc.string({ unit, minLength: 1, maxLength: 12 }).filter((n) => !known.has(n) && n !== '__proto__');
    const extras = fc.dictionary(extraName, fc.jsonValue({ maxDepth: 3, stringUnit: unit }), { minKeys: 1, maxKeys: 5 });
    const layout = fc.constantFrom<string | number | undefined>(undefined, 1, '\t', ' \n ');
    let n = 0;
    await fc.assert(
      fc.asyncProperty(extras, layout, async (extra, indent) => {
        n++;
        const key = `${prefix}:session:${base.id}`;
        const written = { ...base, closedAt: null, ...extra };
        await raw('SET', key, JSON.stringify(written, null, indent));
        const read = async (): Promise<Record<string, unknown>> => JSON.parse(String(await raw('GET', key))) as Record<string, unknown>;
        const check = async (what: string, changed: Record<string, unknown>): Promise<void> => {
          const now = await read();
          // Same fields in the same order (new ones after), the other tool's values untouched.
          assert.deepEqual(Object.keys(now).slice(0, Object.keys(written).length), Object.keys(written), what);
          // (As JSON carries them: -0 comes back as 0 from any JSON text.)
          for (const [k, v] of Object.entries(extra)) assert.deepEqual(now[k], JSON.parse(JSON.stringify(v)), `${what}: ${JSON.stringify(k)}`);
          for (const [k, v] of Object.entries(changed)) assert.deepEqual(now[k], v, `${what}: ${k}`);
        };
        await reg.update(base.id, { label: `label ${n}`, workspaceFolders: [] });
        await check('update', { label: `label ${n}`, workspaceFolders: [] });
        await reg.heartbeat(base.id, { heartbeatIntervalMs: 2000 + n });
        await check('heartbeat', { heartbeatIntervalMs: 2000 + n, closedAt: null });
        await reg.close(base.id);
        const closed = await read();
        assert.equal(typeof closed.closedAt, 'string');
        await check('close', {});
      }),
      { numRuns: 40 },
    );
  });

  test('both registries refuse the same bad registrations with the same error (sweep)', async () => {
    fresh();
    const redisReg = await registry();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sk-create-'));
    const dirReg = await openRegistry(dir, { cleanupOnCreate: false });
    open.push(dirReg);
    const long = (n: number): string => 'x'.repeat(n);
    const bad: Array<[string, CreateInput]> = [
      ['label not a string', { label: 42 as unknown as string }],
      ['label too long', { label: long(LIMITS.label + 1) }],
      ['tool too long', { label: 'l', tool: long(LIMITS.tool + 1) }],
      ['folder not a string', { label: 'l', workspaceFolders: [42 as unknown as string] }],
      ['folder too long', { label: 'l', workspaceFolders: [`/${long(LIMITS.workspaceFolder)}`] }],
      ['too many folders', { label: 'l', workspaceFolders: Array.from({ length: LIMITS.workspaceFolders + 1 }, (_, i) => `/w/${i}`) }],
      ['interval too short', { label: 'l', heartbeatIntervalMs: LIMITS.minHeartbeatIntervalMs - 1 }],
      ['interval not whole', { label: 'l', heartbeatIntervalMs: 1000.5 }],
      ['interval NaN', { label: 'l', heartbeatIntervalMs: Number.NaN }],
      ['unresponsive too long', { label: 'l', unresponsiveAfterMs: LIMITS.maxThresholdMs + 1 }],
      ['expiry too short', { label: 'l', expireAfterMs: 1 }],
      ['pid zero', { label: 'l', pid: 0 }],
      ['pid too large', { label: 'l', pid: LIMITS.pid + 1 }],
      ['pid not whole', { label: 'l', pid: 1.5 }],
    ];
    try {
      for (const [what, input] of bad) {
        const [d, r] = await Promise.allSettled([dirReg.create(input), redisReg.create(input)]);
        assert.equal(d.status, 'rejected', `${what}: directory`);
        assert.equal(r.status, 'rejected', `${what}: redis`);
        const de = (d as PromiseRejectedResult).reason as Error & { code?: string };
        const re = (r as PromiseRejectedResult).reason as Error & { code?: string };
        assert.equal(re.constructor, de.constructor, what);
        assert.equal(re.code, de.code, what);
        assert.equal(re.message, de.message, what);
      }
      // Nothing was registered by any of them.
      assert.deepEqual(await redisReg.list(), []);
      assert.deepEqual(await dirReg.list(), []);
      // The store's defaults apply the same way where the input leaves a value out.
      const opts = { cleanupOnCreate: false, heartbeatIntervalMs: 2500, unresponsiveAfterMs: 9000 };
      const [a, b] = [await openRegistry(dir, opts), await openRegistry(`${redis.url}?prefix=${prefix}`, opts)];
      open.push(a, b);
      for (const reg of [a, b]) {
        const rec = await reg.create({ label: 'defaults', expireAfterMs: 60_000 });
        assert.deepEqual([rec.heartbeatIntervalMs, rec.unresponsiveAfterMs, rec.expireAfterMs, rec.pid], [2500, 9000, 60_000, process.pid], reg.kind);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('withOptions() shares the connection: new options apply, and it closes with its last user', async () => {
    fresh();
    const observer = await registry();
    const clients = async (): Promise<number> => String(await raw('CLIENT', 'LIST')).trim().split('\n').length;
    const before = await clients();
    const first = (await RedisRegistry.open(parseRegistryLocation(`${redis.url}?prefix=${prefix}`) as RedisLocation, { cleanupOnCreate: false, heartbeatIntervalMs: 1000 }));
    assert.equal(await clients(), before + 1);
    const second = first.withOptions({ cleanupOnCreate: false, heartbeatIntervalMs: 3000 });
    assert.equal(await clients(), before + 1, 'no second connection');
    const a = await first.create({ label: 'first' });
    const b = await second.create({ label: 'second' });
    assert.deepEqual([a.heartbeatIntervalMs, b.heartbeatIntervalMs], [1000, 3000]);
    await first.dispose();
    // Still open for the second user, whose session (created by the first) it can heartbeat.
    assert.equal((await second.heartbeat(a.id)).id, a.id);
    assert.equal(await clients(), before + 1);
    await second.dispose();
    // The server drops a closed client a moment later: wait for it (deterministic end state).
    const deadline = Date.now() + 10_000;
    while ((await clients()) !== before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await clients(), before, 'closed with its last user');
    assert.deepEqual((await observer.list()).map((s) => s.record.label).sort(), ['first', 'second']);
  });
});
