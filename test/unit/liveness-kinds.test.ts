// The kinds of liveness mistakes a break-test found (issue 9 item 6, second round): a process
// whose main thread exited, contradictory thresholds, PID spaces across platforms, /proc of
// another PID namespace, fractional settings, the grace clock, future and previous-boot
// heartbeats, and option values that are negative numbers. Real processes and files throughout.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { judgeLiveness, thresholdsOf } from '../../src/core/liveness';
import { currentPidSpace, hasLiveThread, ProcessProbe, procIsOwn } from '../../src/core/process-info';
import { checkSessionRecord, describeValue, thresholdOrderProblem, type SessionRecord } from '../../src/core/session-record';
import { SessionStore } from '../../src/core/session-store';
import { timingSettings } from '../../src/ui/timing-settings';
import { cleanupTracked, cli, CLI, killed, liveChild, tempDir as tempFolder, tempSessionsDir, trackChild } from '../helpers/processes';
import { sessionRecord } from '../helpers/records';

const linux = process.platform === 'linux';

afterEach(cleanupTracked);

const tempDir = (): string => tempSessionsDir('kinds');

function rewrite(dir: string, id: string, change: Partial<SessionRecord>): void {
  const file = path.join(dir, `${id}.json`);
  fs.writeFileSync(file, JSON.stringify({ ...(JSON.parse(fs.readFileSync(file, 'utf8')) as SessionRecord), ...change }));
}

function readRecord(dir: string, id: string): SessionRecord {
  return JSON.parse(fs.readFileSync(path.join(dir, `${id}.json`), 'utf8')) as SessionRecord;
}

// A process whose main thread has exited while another thread runs: `ps` shows it as Zl.
const MAIN_EXITS_C = `
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
static void *keep(void *arg) { (void)arg; for (;;) pause(); return 0; }
int main(void) {
  pthread_t t;
  if (pthread_create(&t, 0, keep, 0) != 0) return 1;
  printf("%d\\n", getpid());
  fflush(stdout);
  pthread_exit(0);
}
`;

function compileMainExits(): string | null {
  if (!linux) return null;
  const dir = tempFolder('zl');
  fs.writeFileSync(path.join(dir, 'main-exits.c'), MAIN_EXITS_C);
  const r = spawnSync('cc', ['-O0', '-pthread', '-o', path.join(dir, 'main-exits'), path.join(dir, 'main-exits.c')], { stdio: 'ignore' });
  return r.status === 0 ? path.join(dir, 'main-exits') : null;
}

const mainExits = compileMainExits();

describe('1: a process whose main thread exited is alive while another thread runs', () => {
  test('probe, register --pid, list and cleanup see it alive; killed, it is gone', { skip: mainExits ? false : 'needs Linux and a C compiler (cc)' }, async () => {
    const child = spawn(mainExits as string, [], { stdio: ['ignore', 'pipe', 'ignore'] });
    trackChild(child);
    const [line] = (await once(child.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
    const pid = Number(line.toString().trim());
    // Wait until the leader really is in state Z (pthread_exit done), so the test tests that.
    const deadline = Date.now() + 10_000;
    while (!/\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'latin1'))) {
      assert.ok(Date.now() < deadline, 'the main thread never exited');
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(hasLiveThread(pid), true);
    const facts = await new ProcessProbe().facts(pid);
    assert.deepEqual([facts.alive, facts.zombie], [true, undefined]);
    const dir = tempDir();
    const reg = await cli(['register', '--dir', dir, '--pid', String(pid), '--label', 'main thread gone']);
    assert.equal(reg.code, 0, reg.stderr);
    const id = reg.stdout.trim();
    const store = new SessionStore(dir, { cleanupOnCreate: false });
    assert.equal((await store.list())[0]?.state, 'active');
    assert.deepEqual(await store.cleanup({ staleGraceMs: 0 }), []);
    await killed(child);
    const [after] = await store.list();
    assert.deepEqual([after?.record.id, after?.state, after?.reason], [id, 'stale', `process ${pid} is gone`]);
  });
});

describe('2: contradictory thresholds', () => {
  test('the CLI rejects them with a usage error naming both values; nothing is registered', async () => {
    const dir = tempDir();
    const cases: Array<[string[], RegExp]> = [
      [['--interval', '10000', '--expire-after', '1000'], /expiry 1000 ms is shorter than the unresponsive threshold 30000 ms \(3 × the heartbeat interval\)/],
      [['--unresponsive-after', '3600000', '--expire-after', '2000'], /expiry 2000 ms is shorter than the unresponsive threshold 3600000 ms/],
      [['--interval', '10000', '--unresponsive-after', '5000'], /unresponsive threshold 5000 ms is shorter than the heartbeat interval 10000 ms/],
      [['--expire-after', '20000'], /expiry 20000 ms is shorter than the unresponsive threshold 30000 ms/],
    ];
    for (const [args, message] of cases) {
      for (const command of ['register', 'run']) {
        const r = await cli([command, '--dir', dir, ...args, ...(command === 'run' ? ['--', process.execPath, '-e', '0'] : [])]);
        assert.equal(r.code, 2, `${command} ${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, message);
        assert.match(r.stderr, /--interval ≤ --unresponsive-after ≤ --expire-after/);
      }
    }
    assert.equal(fs.existsSync(dir), false);
    const ok = await cli(['register', '--dir', dir, '--interval', '1000', '--unresponsive-after', '1000', '--expire-after', '1000']);
    assert.equal(ok.code, 0, 'equal values are consistent');
  });

  test('readers clamp a record that holds them: never unresponsive within one interval, never stale before unresponsive', () => {
    const now = Date.parse('2025-03-01T12:00:00Z');
    const ms = fc.integer({ min: 100, max: 48 * 3600_000 });
    fc.assert(
      fc.property(ms, fc.option(ms, { nil: undefined }), fc.option(ms, { nil: undefined }), fc.integer({ min: 0, max: 1000 }), (interval, unresponsive, expire, permille) => {
        const r = { hostname: 'elsewhere', heartbeatIntervalMs: interval, unresponsiveAfterMs: unresponsive, expireAfterMs: expire, closedAt: null } as SessionRecord;
        const t = thresholdsOf(r);
        assert.ok(interval <= t.unresponsiveAfterMs && t.unresponsiveAfterMs <= t.expireAfterMs);
        // A session silent for at most one interval is active, whatever it wrote.
        const age = Math.floor((interval * permille) / 1000);
        assert.equal(judgeLiveness({ ...r, heartbeatAt: new Date(now - age).toISOString() }, { now, hostname: 'here' }).state, 'active');
        // Consistent values written by the CLI are used as they are.
        if (thresholdOrderProblem(r) === null) {
          assert.equal(t.unresponsiveAfterMs, unresponsive ?? 3 * interval);
          if (expire !== undefined) assert.equal(t.expireAfterMs, expire);
        }
      }),
    );
  });

  test('a live, heartbeating session with such a record is not archived by cleanup (real process)', async () => {
    const dir = tempDir();
    const child = await liveChild();
    const store = new SessionStore(dir, { cleanupOnCreate: false, hostname: 'writer' });
    const r = await store.create({ label: 'x', pid: child.pid, heartbeatIntervalMs: 10_000 });
    rewrite(dir, r.id, { unresponsiveAfterMs: 3600_000, expireAfterMs: 2000, heartbeatAt: new Date(Date.now() - 5000).toISOString() });
    // Read from another host name: heartbeat alone decides.
    const reader = new SessionStore(dir, { cleanupOnCreate: false, hostname: 'reader' });
    assert.equal((await reader.list())[0]?.state, 'active');
    assert.deepEqual(await reader.cleanup({ staleGraceMs: 0 }), []);
  });
});

describe('3: every platform writes a PID space; different ones never check each other’s pids', () => {
  test('platforms without /proc get an os: value that never equals a Linux namespace', () => {
    for (const platform of ['win32', 'darwin', 'freebsd'] as const) {
      assert.deepEqual(currentPidSpace(platform), { bootId: null, pidNamespace: `os:${platform}` });
    }
    if (linux) assert.match(currentPidSpace().pidNamespace ?? '', /^pid:\[\d+\]$/);
  });

  test('Windows writer, WSL reader with the same host name (and the reverse): a dead pid is not checked', async () => {
    const dir = tempDir();
    const child = await liveChild();
    const space = currentPidSpace();
    const windows = new SessionStore(dir, { cleanupOnCreate: false, hostname: 'DESKTOP-1', pidSpace: currentPidSpace('win32') });
    const linuxSide = new SessionStore(dir, { cleanupOnCreate: false, hostname: 'desktop-1', pidSpace: space });
    const fromWindows = await windows.create({ label: 'windows window', pid: child.pid });
    const fromLinux = await linuxSide.create({ label: 'wsl window', pid: child.pid });
    assert.deepEqual([fromWindows.bootId, fromWindows.pidNamespace], [undefined, 'os:win32']);
    await killed(child); // the pid is dead here; neither side may conclude anything from that
    for (const [reader, foreign] of [[linuxSide, fromWindows], [windows, fromLinux]] as const) {
      const info = (await reader.list()).find((s) => s.record.id === foreign.id);
      assert.equal(info?.state, 'active', info?.reason);
      assert.match(info?.reason ?? '', /other PID namespace, process not checked$/);
    }
    // Each side still sees its own dead pid, and its cleanup takes only that one.
    assert.equal((await linuxSide.list()).find((s) => s.record.id === fromLinux.id)?.state, 'stale');
    assert.deepEqual((await windows.cleanup({ staleGraceMs: 0 })).map((a) => a.id), [fromWindows.id]);
    assert.deepEqual((await linuxSide.cleanup({ staleGraceMs: 0 })).map((a) => a.id), [fromLinux.id]);
  });

  test('a reader that knows no PID space does not check records that have one; records without fields are judged as before', () => {
    const now = Date.parse('2025-03-01T12:00:00Z');
    const base: SessionRecord = sessionRecord({ pid: 4242, hostname: 'h', createdAt: new Date(now - 5000).toISOString(), heartbeatAt: new Date(now - 1000).toISOString() });
    const dead = { alive: false, startedAt: null };
    const none = { bootId: null, pidNamespace: null };
    assert.equal(judgeLiveness({ ...base, pidNamespace: 'pid:[4026531836]', bootId: 'b' }, { now, hostname: 'h', pidSpace: none, process: dead }).state, 'active');
    assert.equal(judgeLiveness(base, { now, hostname: 'h', pidSpace: none, process: dead }).state, 'stale');
    assert.equal(judgeLiveness(base, { now, hostname: 'h', pidSpace: { bootId: 'b', pidNamespace: 'os:win32' }, process: dead }).state, 'stale');
  });
});

function unshareWorks(): boolean {
  if (!linux) return false;
  return spawnSync('unshare', ['--pid', '--fork', 'true'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
}
const canUnshare = unshareWorks();

describe('4: a PID namespace whose /proc is the parent’s (unshare --pid --fork without --mount-proc)', () => {
  test('this process’s own /proc is its own', { skip: !linux }, () => {
    assert.equal(procIsOwn(), true);
  });

  test('register --pid of a live process and run both register; no fact is read from the foreign /proc', { skip: canUnshare ? false : 'needs unshare --pid (root or user namespaces)' }, async () => {
    const dir = tempDir();
    // Inside: a sleep, registered by pid, and a command under `run`; then list from inside.
    const script = [
      'set -e',
      `node=${JSON.stringify(process.execPath)}; cli=${JSON.stringify(CLI)}; dir=${JSON.stringify(dir)}`,
      'test "$(readlink /proc/self)" != "$$" || { echo "proc is own" >&2; exit 3; }',
      'sleep 60 & P=$!',
      '"$node" "$cli" --dir "$dir" register --pid $P --label inner-sleep >/dev/null',
      '"$node" "$cli" --dir "$dir" run --label inner-run -- "$node" -e "setTimeout(() => {}, 3000)" &',
      'R=$!',
      'for i in $(seq 1 100); do n=$(ls "$dir" 2>/dev/null | grep -c "\\.json$" || true); test "$n" -ge 2 && break; sleep 0.1; done',
      '"$node" "$cli" --dir "$dir" list --json',
      'wait $R; kill $P',
    ].join('\n');
    const r = spawnSync('unshare', ['--pid', '--fork', 'sh', '-c', script], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, SESSION_KEEPER_DIR: '' } });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '', 'run said nothing because it registered');
    const listed = JSON.parse(r.stdout) as Array<{ label: string; state: string; reason: string; processStartTicks: number | null }>;
    assert.deepEqual(listed.map((s) => [s.label, s.state]).sort(), [['inner-run', 'active'], ['inner-sleep', 'active']]);
    // /proc facts (ticks) would be another process's: none are recorded.
    assert.deepEqual(listed.map((s) => s.processStartTicks), [null, null]);
    // From outside (the parent namespace) those pids are another space's: heartbeat only.
    const outside = (await new SessionStore(dir, { cleanupOnCreate: false }).list()).filter((s) => s.state !== 'closed');
    assert.deepEqual(outside.map((s) => s.record.label), ['inner-sleep']);
    assert.match(outside[0]?.reason ?? '', /other PID namespace, process not checked$/);
  });

  test('run warns on stderr when it cannot register, and the command still runs', async () => {
    const parent = tempDir();
    fs.mkdirSync(path.dirname(parent), { recursive: true });
    fs.writeFileSync(parent, 'not a directory');
    const r = await cli(['run', '--dir', parent, '--', process.execPath, '-e', 'process.stdout.write("ran")']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'ran');
    assert.match(r.stderr, /run: could not register the session \(the command keeps running without one\): /);
  });
});

describe('5: timing settings of the extension become whole milliseconds', () => {
  test('1.001 s is 1001 ms, and the store accepts it at heartbeat and create', async () => {
    const t = timingSettings({ heartbeatIntervalSeconds: 1.001, unresponsiveAfterSeconds: 30, expireAfterHours: 24, staleGraceMinutes: 10 });
    assert.equal(t.heartbeatIntervalMs, 1001);
    const dir = tempDir();
    const store = new SessionStore(dir, { cleanupOnCreate: false });
    const r = await store.create({ label: 'window', heartbeatIntervalMs: t.heartbeatIntervalMs });
    const beat = await store.heartbeat(r.id, { heartbeatIntervalMs: t.heartbeatIntervalMs, unresponsiveAfterMs: t.unresponsiveAfterMs ?? null, expireAfterMs: t.expireAfterMs });
    assert.equal(beat.heartbeatIntervalMs, 1001);
  });

  test('any settings give values a record holds, in the order every reader judges them', () => {
    const anyValue = fc.oneof(fc.double({ noNaN: false }), fc.integer(), fc.constant(undefined), fc.string());
    fc.assert(
      fc.property(anyValue, anyValue, anyValue, anyValue, (h, s, e, g) => {
        const t = timingSettings({ heartbeatIntervalSeconds: h, unresponsiveAfterSeconds: s, expireAfterHours: e, staleGraceMinutes: g });
        const record = { ...sessionRecord(), heartbeatIntervalMs: t.heartbeatIntervalMs, unresponsiveAfterMs: t.unresponsiveAfterMs ?? null, expireAfterMs: t.expireAfterMs };
        assert.equal(checkSessionRecord(record).ok, true, JSON.stringify(t));
        assert.equal(thresholdOrderProblem(record), null);
        assert.ok(Number.isInteger(t.staleGraceMs) && t.staleGraceMs >= 0);
      }),
    );
  });

  test('the validator and the store say "not a whole number" when that is the problem', async () => {
    const check = checkSessionRecord({ ...sessionRecord(), heartbeatIntervalMs: 1000.9999999999999 });
    assert.equal(check.ok, false);
    assert.match(check.ok ? '' : check.error, /"heartbeatIntervalMs" is 1000\.9999999999999 \(not a whole number\)/);
    const dir = tempDir();
    const store = new SessionStore(dir, { cleanupOnCreate: false });
    const r = await store.create({ label: 'x' });
    await assert.rejects(store.heartbeat(r.id, { heartbeatIntervalMs: 1000.5 }), /heartbeat interval 1000\.5 is not a whole number of ms/);
    await assert.rejects(store.create({ label: 'y', expireAfterMs: 3600_000.25 }), /expireAfterMs 3600000\.25 is not a whole number of ms/);
  });
});


describe('6: the grace period runs from when a cleanup first saw the session stale', () => {
  test('unresponsive for 20 min, then killed: the first automatic cleanup keeps it and marks it; archived only after the grace', async () => {
    const dir = tempDir();
    const child = await liveChild();
    const store = new SessionStore(dir, { cleanupOnCreate: false });
    const r = await store.create({ label: 'quiet, then crashed', pid: child.pid });
    rewrite(dir, r.id, { heartbeatAt: new Date(Date.now() - 20 * 60_000).toISOString() });
    assert.equal((await store.list())[0]?.state, 'unresponsive');
    await killed(child);
    const before = Date.now();
    assert.deepEqual(await store.cleanup(), [], 'just seen dead: stays visible');
    const since = Date.parse(readRecord(dir, r.id).staleSince ?? '');
    assert.ok(since >= before && since <= Date.now(), 'staleSince is when the cleanup saw it');
    assert.deepEqual(await store.cleanup(), [], 'a second cleanup within the grace keeps it, and keeps the mark');
    assert.equal(Date.parse(readRecord(dir, r.id).staleSince ?? ''), since);
    const later = new SessionStore(dir, { cleanupOnCreate: false, now: () => Date.now() + 10 * 60_000 + 1000 });
    assert.deepEqual((await later.cleanup()).map((a) => a.id), [r.id]);
  });

  test('a heartbeat of the owner removes the mark; explicit archive and --stale ignore the grace', async () => {
    const dir = tempDir();
    const store = new SessionStore(dir, { cleanupOnCreate: false });
    const mine = await store.create({ label: 'me' });
    rewrite(dir, mine.id, { staleSince: new Date(Date.now() - 3600_000).toISOString() });
    const beat = await store.heartbeat(mine.id);
    assert.equal('staleSince' in beat, false);
    assert.equal('staleSince' in readRecord(dir, mine.id), false);
    const child = await liveChild();
    const crashed = await store.create({ label: 'crashed', pid: child.pid });
    await killed(child);
    assert.equal((await store.archive(crashed.id)).state, 'stale');
    const other = await liveChild();
    const second = await store.create({ label: 'crashed too', pid: other.pid });
    await killed(other);
    const r = await cli(['archive', '--stale', '--json', '--dir', dir]);
    assert.deepEqual((JSON.parse(r.stdout) as Array<{ id: string }>).map((a) => a.id), [second.id]);
  });

  test('a malformed staleSince is rejected by the validator', () => {
    const check = checkSessionRecord({ ...sessionRecord(), staleSince: 'yesterday' });
    assert.equal(check.ok ? '' : check.error, '"staleSince" is "yesterday", expected null or an ISO 8601 time');
  });
});

describe('7 and 8: heartbeats from the future and from a previous boot', () => {
  test('another host’s heartbeat a year ahead is stale, naming the clock; automatic cleanup archives it after the grace', async () => {
    const dir = tempDir();
    const writer = new SessionStore(dir, { cleanupOnCreate: false, hostname: 'far-host' });
    const r = await writer.create({ label: 'wrong clock' });
    rewrite(dir, r.id, { heartbeatAt: new Date(Date.now() + 366 * 24 * 3600_000).toISOString() });
    const reader = new SessionStore(dir, { cleanupOnCreate: false });
    const [info] = await reader.list();
    assert.equal(info?.state, 'stale');
    assert.match(info?.reason ?? '', /^heartbeat 36[56] d in the future: the writer's clock is wrong/);
    assert.deepEqual(await reader.cleanup(), []);
    const later = new SessionStore(dir, { cleanupOnCreate: false, now: () => Date.now() + 11 * 60_000 });
    assert.deepEqual((await later.cleanup()).map((a) => a.id), [r.id]);
  });

  test('same host name, other boot id, last heartbeat before this boot: stale; after it: judged by heartbeat', async () => {
    const dir = tempDir();
    const bootTimeMs = Date.now() - 3600_000;
    const writer = new SessionStore(dir, { cleanupOnCreate: false, pidSpace: { bootId: 'previous-boot', pidNamespace: 'pid:[4026531836]' } });
    const r = await writer.create({ label: 'before reboot' });
    const reader = new SessionStore(dir, { cleanupOnCreate: false, bootTimeMs, pidSpace: { bootId: 'this-boot', pidNamespace: 'pid:[4026531836]' } });
    const state = async (heartbeatAgo: number): Promise<[string | undefined, string | undefined]> => {
      rewrite(dir, r.id, { heartbeatAt: new Date(Date.now() - heartbeatAgo).toISOString() });
      const [info] = await reader.list();
      return [info?.state, info?.reason];
    };
    assert.deepEqual(await state(3600_000 + 60_000), ['stale', 'from a previous boot of this host (boot id differs, last heartbeat before this boot)']);
    assert.equal((await state(3600_000 + 6000))[0], 'stale', 'beyond the 5 s tolerance');
    assert.equal((await state(3600_000 - 60_000))[0], 'unresponsive', 'heartbeat after our boot: another machine of this name, maybe alive');
    assert.equal((await state(1000))[0], 'active');
    // The real boot time is used by default: this process's own boot is not a previous one.
    const real = new SessionStore(dir, { cleanupOnCreate: false, pidSpace: { bootId: 'this-boot', pidNamespace: 'pid:[4026531836]' } });
    rewrite(dir, r.id, { heartbeatAt: new Date(Date.now() - 1000).toISOString() });
    assert.equal((await real.list())[0]?.state, 'active');
    rewrite(dir, r.id, { heartbeatAt: new Date(Date.now() - os.uptime() * 1000 - 60_000).toISOString() });
    assert.equal((await real.list())[0]?.state, 'stale');
  });
});

describe('10: small things', () => {
  test('describeValue uses the right article', () => {
    assert.deepEqual([describeValue({}), describeValue([]), describeValue(undefined), describeValue(() => 0)], ['an object', 'an array', 'missing', 'a function']);
    const check = checkSessionRecord({ ...sessionRecord(), heartbeatIntervalMs: { ms: 1 } });
    assert.match(check.ok ? '' : check.error, /"heartbeatIntervalMs" is an object,/);
  });

  test('negative numbers after an option give its range error, not "ambiguous"', async () => {
    const dir = tempDir();
    const cases: Array<[string[], RegExp]> = [
      [['register', '--pid', '-5'], /register: --pid must be an integer from 1 to 2147483647, got "-5"/],
      [['register', '--grace', '-1'], /register: --grace must be an integer from 0 to \d+, got "-1"/],
      [['run', '--interval', '-100', '--', 'true'], /run: --interval must be an integer from 100 to \d+, got "-100"/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(['--dir', dir, ...args]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /ambiguous/);
    }
  });

  test('processStartTicks above 2^53−1 is rejected, saying the range', () => {
    const check = checkSessionRecord({ ...sessionRecord(), processStartTicks: 2 ** 53 });
    assert.match(check.ok ? '' : check.error, /"processStartTicks" is 9007199254740992, expected null or an integer from 0 to 9007199254740991/);
  });
});
