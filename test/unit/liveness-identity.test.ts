// Which process a record's pid is, and whether it still runs: zombies, PID spaces (boot id, PID
// namespace) and pid reuse told by start ticks rather than by the wall clock (issue 9, item 6).
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { judgeLiveness, needsProcessCheck, pidCheckScope } from '../../src/core/liveness';
import { currentPidSpace, isDeadState, parseProcStat, ProcessProbe, type ProcessFacts } from '../../src/core/process-info';
import { checkSessionRecord, type SessionRecord } from '../../src/core/session-record';
import { ProcessNotRunningError, SessionStore } from '../../src/core/session-store';
import { cleanupTracked, killed, liveChild, tempDir } from '../helpers/processes';
import { LIVENESS_HOST as HOST, LIVENESS_NOW as NOW, livenessRecord } from '../helpers/records';

const linux = process.platform === 'linux';
const posix = process.platform !== 'win32';
const BOOT = '056cc078-f4b9-47d3-9668-e846041b590a';
const NS = 'pid:[4026531836]';
const SPACE = { bootId: BOOT, pidNamespace: NS };

/** A record judged at NOW on HOST, last heartbeat 2 s before NOW. */
const rec = (overrides: Partial<SessionRecord> = {}): SessionRecord => livenessRecord(2000, overrides);

const tmp = (): string => tempDir('identity');
afterEach(cleanupTracked);

/**
 * A real zombie: `sh` starts a background sleep, prints its pid, then becomes `sleep` itself —
 * a process that never waits for children. Killing the background sleep leaves it a zombie
 * until the parent goes (then init reaps it).
 */
async function zombieMaker(): Promise<{ parent: ChildProcess; pid: number; kill: () => Promise<void> }> {
  const parent = spawn('sh', ['-c', 'sleep 600 & echo $!; exec sleep 600'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const [chunk] = (await once(parent.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
  const pid = Number(chunk.toString().trim());
  assert.ok(Number.isInteger(pid) && pid > 1, `pid of the background sleep: ${chunk.toString()}`);
  return {
    parent,
    pid,
    kill: async () => {
      if (parent.exitCode === null && parent.signalCode === null) {
        await killed(parent);
      }
    },
  };
}

/** The kernel's state letter for `pid`, read without the code under test: /proc on Linux, ps elsewhere. */
function stateOf(pid: number): string {
  if (linux) return fs.readFileSync(`/proc/${pid}/stat`, 'latin1').split(')').at(-1)?.trim().split(/\s+/)[0] ?? '';
  return execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).trim();
}

/** Waits (up to 20 s) until `pid` shows state Z: the kernel turns a killed child into a zombie asynchronously. */
async function untilZombie(pid: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!stateOf(pid).startsWith('Z')) {
    if (Date.now() > deadline) throw new Error(`pid ${pid} did not become a zombie: state ${stateOf(pid)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('zombies: killed but not reaped counts as dead', () => {
  test('a session whose process is a zombie is stale, with a reason naming the zombie (/proc and ps)', { skip: !posix, timeout: 60_000 }, async () => {
    const dir = tmp();
    const z = await zombieMaker();
    try {
      const store = new SessionStore(dir, { cleanupOnCreate: false });
      const r = await store.create({ label: 'soon a zombie', pid: z.pid });
      assert.equal((await store.list())[0]?.state, 'active');
      process.kill(z.pid, 'SIGKILL');
      await untilZombie(z.pid);
      // The pid still exists: kill(pid, 0) succeeds, which is what made it look alive.
      assert.doesNotThrow(() => process.kill(z.pid, 0));
      assert.deepEqual(await new ProcessProbe().facts(z.pid), { alive: false, zombie: true, startedAt: null });
      const methods = linux ? (['proc', 'ps'] as const) : (['ps'] as const);
      for (const method of methods) {
        const [info] = await new SessionStore(dir, { cleanupOnCreate: false, startTimeMethod: method }).list();
        assert.equal(info?.record.id, r.id);
        assert.equal(info?.state, 'stale', `${method}: ${info?.reason}`);
        assert.equal(info?.reason, `process ${z.pid} is a zombie (exited, not yet reaped by its parent)`, method);
      }
      // A zombie cannot be registered either: it will never heartbeat.
      await assert.rejects(store.create({ label: 'z', pid: z.pid }), ProcessNotRunningError);
      const archived = await store.cleanup({ staleGraceMs: 0 });
      assert.deepEqual(archived.map((a) => a.id), [r.id]);
    } finally {
      await z.kill();
    }
  });

  test('/proc/<pid>/stat state and start ticks parse for any command name', () => {
    const comm = fc.string({ maxLength: 16 }).map((s) => s.replace(/\n/g, ' '));
    fc.assert(
      fc.property(comm, fc.constantFrom('R', 'S', 'D', 'Z', 'X', 'T', 't', 'I'), fc.nat(), (name, state, ticks) => {
        // Fields 3..22 after the comm; field 22 (index 19 after ')') is starttime.
        const rest = [state, ...Array.from({ length: 18 }, (_, i) => String(i + 1)), String(ticks), '100', '200'];
        const parsed = parseProcStat(`1234 (${name}) ${rest.join(' ')}`);
        assert.deepEqual(parsed, { state, startTicks: ticks });
        assert.equal(isDeadState(state), state === 'Z' || state === 'X');
      }),
    );
    assert.equal(parseProcStat('no parenthesis here'), null);
  });
});

describe('PID spaces: a pid is checked only where it means the same process', () => {
  const dead: ProcessFacts = { alive: false, startedAt: null };
  const values = [undefined, null, 'same', 'other'] as const;
  const pick = (v: (typeof values)[number], same: string): string | null | undefined => (v === 'same' ? same : v === 'other' ? `${same}-elsewhere` : v);

  test('sweep: every combination of record and reader boot id and PID namespace', () => {
    for (const recBoot of values) {
      for (const recNs of values) {
        for (const readerKnows of [true, false]) {
          const r = rec({ bootId: pick(recBoot, BOOT), pidNamespace: pick(recNs, NS) });
          const ctx = { now: NOW, hostname: HOST, pidSpace: readerKnows ? SPACE : { bootId: null, pidNamespace: null }, process: dead };
          // Records of older writers (neither field) are judged on the host name alone; records
          // with a PID space are checked only by a reader with the same one (a missing namespace
          // on either side is another space).
          const legacy = (recBoot === undefined || recBoot === null) && (recNs === undefined || recNs === null);
          const differs = !legacy && !(readerKnows && recBoot !== 'other' && recNs === 'same');
          const l = judgeLiveness(r, ctx);
          const what = `record boot ${String(recBoot)}, ns ${String(recNs)}, reader knows ${readerKnows}`;
          assert.equal(pidCheckScope(r, ctx).checkable, !differs, what);
          assert.equal(needsProcessCheck(r, ctx), !differs, what);
          // A dead pid makes the session stale only where the pid is ours to check.
          assert.equal(l.state, differs ? 'active' : 'stale', `${what}: ${l.reason}`);
          if (differs) {
            const why = !readerKnows ? /other PID space \(none known here\)/ : recBoot === 'other' ? /other boot of this host name \(boot id differs\)/ : recNs === 'other' ? /other PID namespace/ : /other PID space \(none recorded vs pid:\[4026531836\]\)/;
            assert.match(l.reason, new RegExp(`${why.source}, process not checked$`), what);
          }
        }
      }
    }
  });

  test('another PID space is judged by its heartbeat alone: unresponsive, then stale at expiry', () => {
    const ctx = { now: NOW, hostname: HOST, pidSpace: SPACE, process: dead };
    const foreign = (ageMs: number): SessionRecord => rec({ pidNamespace: 'pid:[4026532178]', heartbeatAt: new Date(NOW - ageMs).toISOString() });
    assert.equal(judgeLiveness(foreign(1000), ctx).reason, 'heartbeat 1 s ago; other PID namespace, process not checked');
    assert.equal(judgeLiveness(foreign(120_000), ctx).reason, 'no heartbeat for 2 min; other PID namespace, process not checked');
    assert.equal(judgeLiveness(foreign(120_000), ctx).state, 'unresponsive');
    assert.equal(judgeLiveness(foreign(25 * 3600_000), ctx).state, 'stale');
  });

  test('records from another PID space with a dead pid here stay active through list() and cleanup()', async () => {
    const dir = tmp();
    const child = await liveChild();
    const store = new SessionStore(dir, { cleanupOnCreate: false });
    const r = await store.create({ label: 'container', pid: child.pid as number });
    await killed(child);
    const file = path.join(dir, `${r.id}.json`);
    const variants: Array<[string, Partial<SessionRecord>, string]> = [
      ['other PID namespace', { pidNamespace: 'pid:[4026532999]' }, 'active'],
      ['other boot id', { bootId: '00000000-0000-4000-8000-000000000000' }, 'active'],
      ['no PID space fields (an older writer): judged as before', { bootId: undefined, pidNamespace: undefined, processStartTicks: undefined }, 'stale'],
      ['same PID space', {}, 'stale'],
    ];
    for (const [what, change, expected] of variants) {
      fs.writeFileSync(file, JSON.stringify({ ...r, heartbeatAt: new Date().toISOString(), ...change }));
      const [info] = await store.list();
      assert.equal(info?.state, expected, `${what}: ${info?.reason}`);
      if (expected === 'active') assert.deepEqual(await store.cleanup({ staleGraceMs: 0 }), [], what);
    }
  });

  test('a reader in another PID space never judges this space\u2019s pids, and says so', async () => {
    const dir = tmp();
    const child = await liveChild();
    const r = await new SessionStore(dir, { cleanupOnCreate: false }).create({ label: 'here', pid: child.pid as number });
    await killed(child);
    const elsewhere = new SessionStore(dir, { cleanupOnCreate: false, pidSpace: { bootId: r.bootId ?? null, pidNamespace: 'pid:[1]' } });
    const [info] = await elsewhere.list();
    assert.equal(info?.state, r.pidNamespace ? 'active' : 'stale', info?.reason);
    if (r.pidNamespace) {
      assert.match(info?.reason ?? '', /^heartbeat \d+ s ago; other PID namespace, process not checked$/);
      assert.deepEqual(await elsewhere.cleanup({ staleGraceMs: 0 }), []);
    }
    assert.equal((await new SessionStore(dir, { cleanupOnCreate: false }).list())[0]?.state, 'stale', 'judged in its own space: gone');
  });

  test('create() records this process\u2019s PID space and the start ticks of the pid it registers', { skip: !linux }, async () => {
    const dir = tmp();
    const child = await liveChild(); // killed by cleanupTracked
    const store = new SessionStore(dir, { cleanupOnCreate: false });
    const own = await store.create({ label: 'me' });
    const other = await store.create({ label: 'child', pid: child.pid as number });
    const space = currentPidSpace();
    assert.equal(own.bootId, fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
    assert.equal(own.pidNamespace, fs.readlinkSync('/proc/self/ns/pid'));
    assert.match(own.pidNamespace ?? '', /^pid:\[\d+\]$/);
    assert.deepEqual({ bootId: other.bootId, pidNamespace: other.pidNamespace }, space);
    const ticksOf = (pid: number): number => Number(fs.readFileSync(`/proc/${pid}/stat`, 'latin1').split(')').at(-1)?.trim().split(/\s+/)[19]);
    assert.equal(own.processStartTicks, ticksOf(process.pid));
    assert.equal(other.processStartTicks, ticksOf(child.pid as number));
    assert.notEqual(own.processStartTicks, other.processStartTicks);
    // The records validate, and the fields survive a heartbeat.
    assert.equal(checkSessionRecord(JSON.parse(fs.readFileSync(path.join(dir, `${own.id}.json`), 'utf8'))).ok, true);
    const beaten = await store.heartbeat(own.id);
    assert.deepEqual([beaten.bootId, beaten.pidNamespace, beaten.processStartTicks], [own.bootId, own.pidNamespace, own.processStartTicks]);
  });
});

describe('clock steps: pid reuse is told by start ticks, not by the wall clock', () => {
  const live = (ticks: number | null, startedAt: number): ProcessFacts => ({ alive: true, startedAt, startTicks: ticks });
  const recorded = Date.parse('2025-03-01T08:00:00.000Z');

  test('sweep: same boot, equal ticks is the same process whatever the wall-clock step; other ticks is reuse', () => {
    for (const stepMs of [-86_400_000, -3600_000, -60_000, -3001, 0, 3001, 60_000, 3600_000, 86_400_000]) {
      for (const tickDelta of [0, 1, -1, 100, 123_456]) {
        const r = rec({ bootId: BOOT, pidNamespace: NS, processStartTicks: 500_000 });
        const l = judgeLiveness(r, { now: NOW, hostname: HOST, pidSpace: SPACE, process: live(500_000 + tickDelta, recorded + stepMs) });
        assert.equal(l.state, tickDelta === 0 ? 'active' : 'stale', `step ${stepMs} ms, ticks ${tickDelta}: ${l.reason}`);
        if (tickDelta !== 0) assert.equal(l.reason, 'pid 4242 now belongs to another process');
      }
    }
  });

  test('without ticks on either side, or under another boot id, the wall-clock start and its 3 s tolerance decide', () => {
    const judge = (r: SessionRecord, facts: ProcessFacts): string => judgeLiveness(r, { now: NOW, hostname: HOST, pidSpace: SPACE, process: facts }).state;
    const old = rec({ processStartTicks: undefined, bootId: undefined });
    assert.equal(judge(old, live(null, recorded + 60_000)), 'stale', 'a record of an older writer: 60 s off is reuse');
    assert.equal(judge(old, live(null, recorded + 2999)), 'active');
    assert.equal(judge(rec({ ...SPACE, processStartTicks: 500_000 }), live(null, recorded + 60_000)), 'stale', 'ticks unknown to the reader');
    assert.equal(judge(rec({ ...SPACE, processStartTicks: 500_000 }), live(null, recorded + 1000)), 'active');
  });

  test('a real record whose wall-clock start is off by 60 s (a clock step) but whose ticks match stays active', { skip: !linux }, async () => {
    const dir = tmp();
    const store = new SessionStore(dir, { cleanupOnCreate: false });
    const r = await store.create({ label: 'me' });
    assert.equal(typeof r.processStartTicks, 'number');
    const file = path.join(dir, `${r.id}.json`);
    const stepped = new Date(Date.parse(r.processStartedAt as string) + 60_000).toISOString();
    const cases: Array<[string, Partial<SessionRecord>, string]> = [
      ['ticks match, wall clock 60 s off', { processStartedAt: stepped }, 'active'],
      ['ticks differ (pid reused)', { processStartTicks: (r.processStartTicks as number) + 1 }, 'stale'],
      ['no ticks, wall clock 60 s off (an older writer)', { processStartedAt: stepped, processStartTicks: undefined }, 'stale'],
    ];
    for (const [what, change, expected] of cases) {
      fs.writeFileSync(file, JSON.stringify({ ...r, ...change }));
      const [info] = await store.list();
      assert.equal(info?.state, expected, `${what}: ${info?.reason}`);
    }
    // Nothing of a live session is archived by a cleanup after a clock step.
    fs.writeFileSync(file, JSON.stringify({ ...r, processStartedAt: stepped }));
    assert.deepEqual(await store.cleanup({ staleGraceMs: 0 }), []);
  });
});

describe('record validation of the optional fields', () => {
  const base = (): Record<string, unknown> => ({ ...rec() });

  test('records without them, or with null, are valid; well-formed values are valid', () => {
    assert.equal(checkSessionRecord(base()).ok, true);
    const all = { bootId: null, pidNamespace: null, processStartTicks: null, unresponsiveAfterMs: null, expireAfterMs: null };
    assert.equal(checkSessionRecord({ ...base(), ...all }).ok, true);
    const good = { bootId: BOOT, pidNamespace: NS, processStartTicks: 0, unresponsiveAfterMs: 100, expireAfterMs: 365 * 24 * 3600_000 };
    assert.equal(checkSessionRecord({ ...base(), ...good }).ok, true);
  });

  test('malformed values are rejected with the field named', () => {
    const bad: Array<[string, unknown]> = [
      ['bootId', ''],
      ['bootId', 42],
      ['bootId', 'has space'],
      ['bootId', 'x'.repeat(129)],
      ['pidNamespace', 'pid:[1]\n'],
      ['pidNamespace', {}],
      ['processStartTicks', -1],
      ['processStartTicks', 1.5],
      ['processStartTicks', '12'],
      ['processStartTicks', 2 ** 60],
      ['unresponsiveAfterMs', 99],
      ['unresponsiveAfterMs', 1e12],
      ['unresponsiveAfterMs', '30000'],
      ['expireAfterMs', 0],
      ['expireAfterMs', 1.5],
    ];
    for (const [key, value] of bad) {
      const result = checkSessionRecord({ ...base(), [key]: value });
      assert.equal(result.ok, false, `${key} = ${JSON.stringify(value)}`);
      if (!result.ok) assert.match(result.error, new RegExp(`^"${key}" is `), `${key}: ${result.error}`);
    }
  });
});
