// Same host name, separate PID spaces: a process in its own PID namespace (what a container run
// with the host's name is) shares the sessions folder with this one. Each side sees the other's
// pids as numbers of its own space. What must hold: neither side judges the other's sessions by
// pid (no "gone", no archiving of live, heartbeating sessions); heartbeats alone decide.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { currentPidSpace } from '../../src/core/process-info';
import { SessionStore } from '../../src/core/session-store';
import { canRun, exitWithin, fixture, runChildJson, startChild, type Child } from './lib/proc';
import { inTempDir, tempDir } from './lib/tmp';
import { recordFigures } from './lib/figures';

const op = fixture('reliability-store-op');
const isRoot = process.getuid?.() === 0;
const inNewPidSpace = ['unshare', '--pid', '--fork', '--mount-proc', '--kill-child'];
const canUnsharePid = process.platform === 'linux' && isRoot && canRun([...inNewPidSpace, 'true']);

interface Listed {
  id: string;
  state: string;
  reason: string;
}

interface Created {
  record: { id: string; pid: number; hostname: string; bootId?: string; pidNamespace?: string; processStartTicks?: number };
}

function archived(dir: string): string[] {
  const a = join(dir, 'archive');
  return existsSync(a) ? readdirSync(a).flatMap((d) => readdirSync(join(a, d))) : [];
}

describe('a real second PID space (PID namespace, same host name)', { skip: !canUnsharePid && 'needs Linux, root and unshare --pid --fork --mount-proc' }, () => {
  test('the inner side does not archive the outer side\u2019s live session, and the outer side does not judge the inner one by pid', async () => {
    const tmp = tempDir('pid-spaces');
    let inner: Child | undefined;
    try {
      const dir = join(tmp.dir, 'sessions');
      const outerStore = new SessionStore(dir, { cleanupOnCreate: false });
      // This process's pid means nothing in the new namespace (pids start again at 1 there).
      const outer = await outerStore.create({ label: 'outer', heartbeatIntervalMs: 1000 });
      assert.equal(outer.pidNamespace, currentPidSpace().pidNamespace);
      assert.equal(typeof outer.processStartTicks, 'number');

      inner = startChild(op, ['create-beat', JSON.stringify({ dir, intervalMs: 200 })], { wrapper: inNewPidSpace });
      const innerRecord = (JSON.parse(await inner.waitForLine((l) => l.startsWith('{'), 30_000)) as Created).record;
      assert.equal(innerRecord.hostname, outer.hostname, 'same host name on both sides');
      assert.equal(innerRecord.bootId, outer.bootId, 'same kernel, same boot');
      assert.notEqual(innerRecord.pidNamespace, outer.pidNamespace, 'the record names its own PID namespace');
      assert.ok(innerRecord.pid < 10, `pid ${innerRecord.pid} is numbered in the new namespace`);

      // The inner side runs the cleanup every new session runs, without a grace period.
      const { result } = await runChildJson<{ sessions: Listed[]; archived: string[] }>(op, ['cleanup', JSON.stringify({ dir, graceMs: 0 })], { wrapper: inNewPidSpace });
      const seenInside = result.sessions.find((s) => s.id === outer.id);
      assert.equal(seenInside?.state, 'active', `outer session seen from inside: ${seenInside?.reason}`);
      assert.match(seenInside?.reason ?? '', /other PID namespace, process not checked/);
      assert.deepEqual(result.archived, [], 'the inner side archived nothing');

      // Outside: the inner session is judged by its heartbeat, whatever our pid of that number is.
      const seenOutside = (await outerStore.list()).find((s) => s.record.id === innerRecord.id);
      assert.equal(seenOutside?.state, 'active', seenOutside?.reason);
      assert.match(seenOutside?.reason ?? '', /other PID namespace, process not checked/);

      // The inner process dies: outside, it goes unresponsive by its heartbeat, never "gone" by a pid.
      inner.proc.kill('SIGKILL');
      await exitWithin(inner, 10_000);
      const later = new SessionStore(dir, { cleanupOnCreate: false, now: () => Date.now() + 60_000 });
      const quiet = (await later.list()).find((s) => s.record.id === innerRecord.id);
      assert.equal(quiet?.state, 'unresponsive', quiet?.reason);
      assert.match(quiet?.reason ?? '', /other PID namespace, process not checked/);
      assert.deepEqual((await later.cleanup({ staleGraceMs: 0 })).map((a) => a.id).filter((id) => id === innerRecord.id), []);
      assert.equal(archived(dir).some((n) => n.startsWith(innerRecord.id)), false);
      recordFigures({
        test: 'pid-namespaces',
        injects: 'unshare --pid --fork --mount-proc child sharing the sessions folder and host name',
        figures: { outerSeenInside: String(seenInside?.state), innerSeenOutside: String(seenOutside?.state), archivedByInner: result.archived.length },
      });
    } finally {
      if (inner) {
        inner.proc.kill('SIGKILL');
        await exitWithin(inner, 10_000).catch(() => undefined);
      }
      tmp.dispose();
    }
  });
});

const inNewTimeSpace = ['unshare', '--time', '--boottime', '100000', '--monotonic', '100000', '--fork'];
const canUnshareTime = process.platform === 'linux' && isRoot && canRun([...inNewTimeSpace, 'true']);

describe('a reader in its own time namespace (boottime offset)', { skip: !canUnshareTime && 'needs Linux, root and unshare --time' }, () => {
  test('judges a live session of the same boot as the same process (start ticks normalised), and archives nothing', async () => {
    await inTempDir('time-ns', async (tmp) => {
      const dir = join(tmp, 'sessions');
      const store = new SessionStore(dir, { cleanupOnCreate: false });
      const outer = await store.create({ label: 'outer', heartbeatIntervalMs: 1000 });
      // Inside, /proc/<pid>/stat shows start ticks 100 000 s later; without normalising them the
      // live session looked like a reused pid, and the cleanup archived it.
      const { result } = await runChildJson<{ sessions: Listed[]; archived: string[] }>(op, ['cleanup', JSON.stringify({ dir, graceMs: 0 })], { wrapper: inNewTimeSpace });
      const seen = result.sessions.find((s) => s.id === outer.id);
      assert.equal(seen?.state, 'active', `seen from a time namespace: ${seen?.reason}`);
      assert.deepEqual(result.archived, [], 'nothing archived');
      recordFigures({
        test: 'time-namespace',
        injects: 'unshare --time --boottime 100000 reader of the same boot and PID namespace',
        figures: { stateSeenInside: seen?.state ?? 'missing', archived: result.archived.length },
      });
    });
  });
});
