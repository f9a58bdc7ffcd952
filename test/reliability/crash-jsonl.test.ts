// Real SIGKILLs of processes appending to and repairing JSONL files, with a reader polling the
// whole time. What must hold: every append that returned is in the file exactly once (also after
// repair), nothing is ever there twice, the file never vanishes or breaks the reader, and no lock
// outlives its stale threshold.
//
// A lane is one file with its own writers; lanes run side by side so the full run's 1 000+ kills
// fit in minutes although each kill inside the lock costs a stale wait (2 s, proper-lockfile's
// minimum) for that file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, existsSync, readdirSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { scanJsonl } from '../../src/core/jsonl-reader';
import { repairJsonl } from '../../src/core/jsonl-repair';
import { withLock } from '../../src/core/lock';
import { SessionStore } from '../../src/core/session-store';
import { fixture } from './lib/proc';
import { killLoop } from './lib/kill-loop';
import { startPoller } from './lib/poller';
import { inTempDir } from './lib/tmp';
import { runLanes } from './lib/lanes';
import { noteError, writerErrors, type WriterErrors } from './lib/writer-errors';
import { scale, budgetMs } from './lib/scale';
import { recordFigures } from './lib/figures';

const worker = fixture('reliability-jsonl-worker');
const STALE_MS = 2000;
// A lock left by a killed holder is taken over after STALE_MS; this margin absorbs scheduling
// delays on a loaded machine. A LockTimeoutError with this budget means a lock outlived stale.
const MAX_WAIT_MS = STALE_MS + 6000;
const lock = { staleMs: STALE_MS, maxWaitMs: MAX_WAIT_MS };
const firstAck = (l: string): boolean => l.startsWith('ack ') || l.startsWith('repaired ') || l.startsWith('error ');

/** What the writers acknowledged, by tag, and their error lines (compromises counted apart, see writer-errors.ts). */
interface Tally extends WriterErrors {
  acked: Map<string, Set<number>>;
}

function track(tally: Tally, tag: string, line: string): void {
  if (line.startsWith('ack ')) {
    let set = tally.acked.get(tag);
    if (!set) tally.acked.set(tag, (set = new Set()));
    set.add(Number(line.slice(4)));
  } else {
    noteError(tally, line, tag);
  }
}

/** Counts occurrences of each {tag, seq} record in the file. */
async function occurrences(file: string): Promise<{ counts: Map<string, number>; corrupted: number }> {
  const counts = new Map<string, number>();
  const stats = await scanJsonl(file, {
    onRecord: (r) => {
      const v = r.value as { tag?: unknown; seq?: unknown };
      if (typeof v?.tag === 'string' && typeof v.seq === 'number') {
        const key = `${v.tag}#${v.seq}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    },
  });
  return { counts, corrupted: stats.corrupted };
}

function checkExactlyOnce(tally: Tally, counts: Map<string, number>): { acked: number; lost: string[]; duplicated: string[] } {
  const lost: string[] = [];
  let acked = 0;
  for (const [tag, seqs] of tally.acked) {
    for (const seq of seqs) {
      acked++;
      if ((counts.get(`${tag}#${seq}`) ?? 0) !== 1) lost.push(`${tag}#${seq} x${counts.get(`${tag}#${seq}`) ?? 0}`);
    }
  }
  const duplicated = [...counts].filter(([, n]) => n > 1).map(([k, n]) => `${k} x${n}`);
  return { acked, lost, duplicated };
}

async function appendLane(dir: string, lane: number, killsPerSlot: number) {
  const file = join(dir, `lane${lane}.jsonl`);
  const tally: Tally = { acked: new Map(), ...writerErrors() };
  let killsLeavingLock = 0;
  const reader = startPoller(async () => {
    if (existsSync(file)) await scanJsonl(file); // must never throw, whatever the killed writers left
  }, 50);
  const results = await Promise.all(
    [0, 1].map((slot) =>
      killLoop({
        script: worker,
        args: (n) => ['append', JSON.stringify({ file, tag: `l${lane}s${slot}n${n}`, staleMs: STALE_MS, maxWaitMs: MAX_WAIT_MS })],
        kills: killsPerSlot,
        maxDelayMs: 250,
        armOn: firstAck,
        armTimeoutMs: MAX_WAIT_MS + 30_000,
        afterKill: () => {
          if (existsSync(`${file}.lock`)) killsLeavingLock++;
        },
        onLine: (n, line) => track(tally, `l${lane}s${slot}n${n}`, line),
      }),
    ),
  );
  const read = await reader.stop();
  // A lock left behind by the last kill must be taken over once stale.
  await withLock(file, () => undefined, lock);
  const before = await occurrences(file);
  const b = checkExactlyOnce(tally, before.counts);
  const repair = await repairJsonl(file, { lock });
  const after = await occurrences(file);
  const a = checkExactlyOnce(tally, after.counts);
  return { results, read, tally, before, b, a, repair, killsLeavingLock };
}

test('the harness itself notices lost and duplicated records (a deliberately broken writer)', { timeout: 60_000 }, async () => {
  await inTempDir('crash-selftest', async (tmp) => {
    const file = join(tmp, 'faulty.jsonl');
    const tally: Tally = { acked: new Map(), ...writerErrors() };
    await killLoop({
      script: worker,
      args: (n) => ['faulty', JSON.stringify({ file, tag: `f${n}`, staleMs: STALE_MS, maxWaitMs: MAX_WAIT_MS })],
      kills: 3,
      maxDelayMs: 100,
      armOn: firstAck,
      onLine: (n, line) => track(tally, `f${n}`, line),
    });
    const { counts } = await occurrences(file);
    const r = checkExactlyOnce(tally, counts);
    assert.ok(r.lost.length > 0, 'acknowledged-but-unwritten records are reported');
    assert.ok(r.duplicated.length > 0, 'records written twice are reported');
  });
});

test('SIGKILL during append: acknowledged records survive exactly once', { timeout: budgetMs(180_000, 900_000) }, async () => {
  await inTempDir('crash-append', async (tmp) => {
    const { lanes, sum } = await runLanes(scale(1, 4), (i) => appendLane(tmp, i, scale(10, 40)));
    recordFigures({
      test: 'crash-append',
      injects: `SIGKILL of appenders at random moments (${lanes.length} files x 2 concurrent writers); reader polling`,
      figures: {
        kills: sum((l) => l.results.reduce((s, r) => s + r.kills, 0)),
        killsLeavingLockBehind: sum((l) => l.killsLeavingLock),
        acknowledged: sum((l) => l.b.acked),
        lostOrDuplicatedBeforeRepair: sum((l) => l.b.lost.length + l.b.duplicated.length),
        lostOrDuplicatedAfterRepair: sum((l) => l.a.lost.length + l.a.duplicated.length),
        corruptLinesLeftByKills: sum((l) => l.before.corrupted),
        quarantinedByRepair: sum((l) => l.repair.quarantined),
        readerPolls: sum((l) => l.read.polls),
        readerFailures: sum((l) => l.read.failures.length),
        writerErrors: sum((l) => l.tally.errors.length),
        lockCompromisedUnderLoad: sum((l) => l.tally.compromised),
      },
    });
    for (const l of lanes) {
      assert.deepEqual(l.results.flatMap((r) => r.unexpectedExits), []);
      assert.deepEqual(l.read.failures, [], 'the reader must never throw');
      assert.deepEqual(l.tally.errors, [], 'no writer may fail (a LockTimeoutError means a lock outlived its stale time)');
      assert.ok(l.b.acked > 0, 'some appends must have been acknowledged');
      assert.deepEqual(l.b.lost, [], 'acknowledged records missing or duplicated before repair');
      assert.deepEqual(l.b.duplicated, [], 'records present more than once');
      assert.deepEqual(l.a.lost, [], 'acknowledged records missing or duplicated after repair');
      assert.deepEqual(l.a.duplicated, []);
    }
  });
});

async function repairLane(root: string, lane: number, repairKills: number) {
  // The file is a session's journal, so the store's cleanup is what removes killed repairs' temps.
  const dir = join(root, `lane${lane}`, 'sessions');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const session = await new SessionStore(dir, { cleanupOnCreate: false, lock }).create({ label: 'repaired', tool: 'reliability' });
  const file = join(dir, `${session.id}.jsonl`);
  // A large file, so a repair takes long enough to be killed half-way through its rewrite.
  const preCount = scale(2000, 8000);
  const lines: string[] = [];
  for (let i = 0; i < preCount; i++) {
    lines.push(JSON.stringify({ tag: 'pre', seq: i, pad: 'p'.repeat(i % 200) }));
    if (i % 500 === 250) lines.push('{"broken": tru'); // something for repair to quarantine
  }
  writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600 });
  const tally: Tally = { acked: new Map(), ...writerErrors() };
  tally.acked.set('pre', new Set(Array.from({ length: preCount }, (_, i) => i)));
  let repairsCompleted = 0;
  let killsMidRewrite = 0;
  let repairerDone = false;
  const reader = startPoller(async () => {
    // Repair replaces the file by rename: it must exist at every moment.
    if (!existsSync(file)) throw new Error('the journal vanished during repair');
    await scanJsonl(file);
  }, 50);
  const repairer = killLoop({
    script: worker,
    args: () => ['repair', JSON.stringify({ file, staleMs: STALE_MS, maxWaitMs: MAX_WAIT_MS })],
    kills: repairKills,
    maxDelayMs: 300,
    afterKill: async (pid) => {
      // A repair temp file of the killed process: the kill hit a repair mid-rewrite.
      if (readdirSync(dir).some((n) => n.includes(`.repair-${pid}-`) && n.endsWith('.tmp'))) killsMidRewrite++;
      // Damage the start of the file again (under its lock, as a well-behaved third-party tool
      // would), so the next repair rewrites the whole file and a kill can land inside that.
      await withLock(file, () => {
        const tmpFile = `${file}.damage`;
        writeFileSync(tmpFile, Buffer.concat([Buffer.from('{"damaged": \u0000\n'), readFileSync(file)]), { mode: 0o600 });
        renameSync(tmpFile, file);
      }, lock);
    },
    onLine: (n, line) => {
      if (line.startsWith('repaired ')) repairsCompleted++;
      else track(tally, `r${n}`, line);
    },
  }).finally(() => (repairerDone = true));
  const appender = killLoop({
    script: worker,
    args: (n) => ['append', JSON.stringify({ file, tag: `a${n}`, staleMs: STALE_MS, maxWaitMs: MAX_WAIT_MS, garbageEvery: 3 })],
    kills: Number.MAX_SAFE_INTEGER,
    maxDelayMs: 400,
    armOn: firstAck,
    armTimeoutMs: MAX_WAIT_MS + 30_000,
    onLine: (n, line) => track(tally, `a${n}`, line),
    stop: () => repairerDone,
  });
  const [rr, ar] = await Promise.all([repairer, appender]);
  const read = await reader.stop();

  const final = await repairJsonl(file, { lock });
  const again = await repairJsonl(file, { lock });
  const after = await occurrences(file);
  const a = checkExactlyOnce(tally, after.counts);
  const tempsLeftByKills = readdirSync(dir).filter((n) => n.endsWith('.tmp')).length;
  // An hour later (injected clock) the killed repairers' temp files are abandoned for sure.
  await new SessionStore(dir, { lock, now: () => Date.now() + 3600_000 }).cleanup();
  const leftovers = readdirSync(dir).filter((n) => n.endsWith('.tmp') || n.endsWith('.lock'));
  const sessionKept = existsSync(join(dir, `${session.id}.json`));
  return { rr, ar, read, tally, final, again, after, a, tempsLeftByKills, leftovers, sessionKept, repairsCompleted, killsMidRewrite, preCount };
}

test('SIGKILL during repair with a concurrent appender: nothing acknowledged is lost', { timeout: budgetMs(180_000, 900_000) }, async () => {
  await inTempDir('crash-repair', async (tmp) => {
    const { lanes, sum } = await runLanes(scale(1, 3), (i) => repairLane(tmp, i, scale(8, 70)));
    recordFigures({
      test: 'crash-repair',
      injects: `SIGKILL of a repair loop and of a concurrent appender that also writes junk (${lanes.length} journals); reader polling`,
      figures: {
        kills: sum((l) => l.rr.kills),
        appenderKills: sum((l) => l.ar.kills),
        killsMidRewrite: sum((l) => l.killsMidRewrite),
        repairsCompletedBetweenKills: sum((l) => l.repairsCompleted),
        acknowledged: sum((l) => l.a.acked),
        lost: sum((l) => l.a.lost.length),
        duplicated: sum((l) => l.a.duplicated.length),
        corruptAfterFinalRepair: sum((l) => l.after.corrupted),
        readerPolls: sum((l) => l.read.polls),
        readerFailures: sum((l) => l.read.failures.length),
        tempFilesLeftByKills: sum((l) => l.tempsLeftByKills),
        tempFilesAfterCleanup: sum((l) => l.leftovers.length),
        writerErrors: sum((l) => l.tally.errors.length),
        lockCompromisedUnderLoad: sum((l) => l.tally.compromised),
      },
    });
    for (const l of lanes) {
      assert.deepEqual([...l.rr.unexpectedExits, ...l.ar.unexpectedExits], []);
      assert.deepEqual(l.read.failures, []);
      assert.deepEqual(l.tally.errors, []);
      assert.deepEqual(l.a.lost, [], 'acknowledged records lost by an interrupted repair');
      assert.deepEqual(l.a.duplicated, []);
      assert.equal(l.after.corrupted, 0, 'after a completed repair no corrupt line remains');
      assert.equal(l.again.changed, false, 'a second repair changes nothing');
      assert.ok(l.final.kept >= l.preCount);
      assert.ok(l.sessionKept, 'cleanup must not touch the live session');
      assert.deepEqual(l.leftovers, [], 'the store cleanup removes temp files of killed repairs');
    }
  });
});
