// Real SIGKILLs of processes heartbeating, closing and archiving sessions, with a reader that
// validates every record file the whole time. What must hold: no record is ever half-written,
// every acknowledged session ends up in exactly one place (live or archived, never both, never
// twice), locks are taken over once stale, and the temp files killed writers leave behind are
// removed by cleanup without touching any data. Lanes (one sessions directory each) run side by
// side so the full run's kills fit in minutes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SessionStore } from '../../src/core/session-store';
import { checkSessionRecord, isSessionId } from '../../src/core/session-record';
import { parseArchivedName } from '../../src/core/archive-files';
import { isTempName } from '../../src/core/write-atomic';
import { withLock } from '../../src/core/lock';
import { fixture } from './lib/proc';
import { killLoop, type KillLoopResult } from './lib/kill-loop';
import { startPoller } from './lib/poller';
import { inTempDir } from './lib/tmp';
import { runLanes, type Lanes } from './lib/lanes';
import { noteError, writerErrors, type WriterErrors } from './lib/writer-errors';
import { scale, budgetMs } from './lib/scale';
import { recordFigures } from './lib/figures';

const worker = fixture('reliability-session-worker');
const STALE_MS = 2000;
const MAX_WAIT_MS = STALE_MS + 6000;
const lock = { staleMs: STALE_MS, maxWaitMs: MAX_WAIT_MS };

/** Every directory that may hold records: the sessions dir and each archive day. */
function recordDirs(dir: string): string[] {
  const dirs = [dir];
  const archive = join(dir, 'archive');
  if (existsSync(archive)) for (const day of readdirSync(archive)) dirs.push(join(archive, day));
  return dirs;
}

/**
 * Reads every record file as a concurrent reader would and throws if one does not parse and
 * validate: atomic replacement means a reader sees the old or the new record, never a mix.
 */
function validateAllRecords(dir: string): number {
  let n = 0;
  for (const d of recordDirs(dir)) {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      continue; // an archive day being created or the dir being read while renamed
    }
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      let text: string;
      try {
        text = readFileSync(join(d, name), 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // archived between readdir and read
        throw err;
      }
      const check = checkSessionRecord(JSON.parse(text));
      if (!check.ok) throw new Error(`${d}/${name} is not a valid record: ${check.error}`);
      n++;
    }
  }
  return n;
}

/** Where each session's record and journal files are, across the live dir and the archive. */
function locate(dir: string): Map<string, { records: string[]; journals: string[] }> {
  const where = new Map<string, { records: string[]; journals: string[] }>();
  for (const d of recordDirs(dir)) {
    for (const name of readdirSync(d)) {
      const parsed = parseArchivedName(name);
      if (!parsed) continue;
      let entry = where.get(parsed.id);
      if (!entry) where.set(parsed.id, (entry = { records: [], journals: [] }));
      (parsed.kind === 'record' ? entry.records : entry.journals).push(join(d, name));
    }
  }
  return where;
}

function tempFiles(dir: string): string[] {
  return recordDirs(dir).flatMap((d) => readdirSync(d).filter(isTempName).map((n) => join(d, n)));
}

/** Counts kills that left a temp file of the killed process (its pid is in the name): the kill landed inside an atomic write. */
function newTempCounter(dir: string): { afterKill: (pid: number) => void; count: () => number } {
  let n = 0;
  return {
    afterKill: (pid) => {
      if (existsSync(dir) && tempFiles(dir).some((t) => t.includes(`.${pid}.`))) n++;
    },
    count: () => n,
  };
}

test('the checks themselves notice a half-written record and a session in two places', async () => {
  await inTempDir('crash-sessions-selftest', (tmp) => {
    const dir = join(tmp, 'sessions');
    const id = '01890a5d-ac96-774b-bcce-b302099a8057';
    mkdirSync(join(dir, 'archive', '2026-01-01'), { recursive: true });
    writeFileSync(join(dir, `${id}.json`), '{"version":1,"id":"01890a5d-ac96-77');
    assert.throws(() => validateAllRecords(dir), /not a valid record|JSON/);
    writeFileSync(join(dir, 'archive', '2026-01-01', `${id}.json`), '{}');
    assert.equal(locate(dir).get(id)?.records.length, 2);
  });
});

/** What every lane of this file measures while and after the session worker is killed. */
interface Killed extends WriterErrors {
  results: KillLoopResult[];
  read: { polls: number; failures: string[] };
  /** Kills that landed inside an atomic write (they left the killed process's temp file). */
  killsLeavingTemp: number;
  /** Temp files in the directory once the kills are over. */
  tempsLeft: number;
}

/**
 * Two loops of the session worker side by side in `dir`, each child SIGKILLed at a random moment
 * (up to `maxDelayMs`) once it printed its first line starting with `ack` (or an error), while a
 * reader validates every record file (and runs `poll`) every 50 ms. `onAck` gets every line
 * starting with `ack`; error lines are tallied (a LockCompromisedError under CPU starvation is the
 * lock working: counted apart, see writer-errors.ts).
 */
async function killWorkers(
  dir: string,
  o: { args: (slot: number, n: number) => string[]; kills: number; maxDelayMs: number; ack: string; onAck: (line: string) => void; poll?: () => Promise<void> },
): Promise<Killed> {
  const tally = writerErrors();
  const temps = newTempCounter(dir);
  const reader = startPoller(async () => {
    validateAllRecords(dir);
    await o.poll?.();
  }, 50);
  const results = await Promise.all(
    [0, 1].map((slot) =>
      killLoop({
        script: worker,
        args: (n) => o.args(slot, n),
        kills: o.kills,
        maxDelayMs: o.maxDelayMs,
        armOn: (l) => l.startsWith(o.ack) || l.startsWith('error '),
        armTimeoutMs: MAX_WAIT_MS + 30_000,
        afterKill: temps.afterKill,
        onLine: (_n, line) => {
          if (line.startsWith(o.ack)) o.onAck(line);
          else noteError(tally, line);
        },
      }),
    ),
  );
  const read = await reader.stop();
  return { ...tally, results, read, killsLeavingTemp: temps.count(), tempsLeft: tempFiles(dir).length };
}

/** The figures every lane of this file reports, first the kills ... */
function killFigures(sum: Lanes<Killed>['sum']): Record<string, number> {
  return { kills: sum((l) => l.results.reduce((s, r) => s + r.kills, 0)), killsDuringAtomicWrite: sum((l) => l.killsLeavingTemp) };
}

/** ... and last what the kills left and what the writers said. */
function leftoverFigures(sum: Lanes<Killed & { tempsAfterCleanup: string[] }>['sum']): Record<string, number> {
  return {
    tempFilesLeftByKills: sum((l) => l.tempsLeft),
    tempFilesAfterCleanup: sum((l) => l.tempsAfterCleanup.length),
    writerErrors: sum((l) => l.errors.length),
    lockCompromisedUnderLoad: sum((l) => l.compromised),
  };
}

/** No worker exited by itself, the reader never saw a bad record (`readerSaw` says what), no writer failed. */
function assertWorkersClean(l: Killed, readerSaw: string): void {
  assert.deepEqual(l.results.flatMap((r) => r.unexpectedExits), []);
  assert.deepEqual(l.read.failures, [], readerSaw);
  assert.deepEqual(l.errors, []);
}

async function heartbeatLane(root: string, lane: number, killsPerSlot: number) {
  const dir = join(root, `lane${lane}`, 'sessions');
  const store = new SessionStore(dir, { lock, cleanupOnCreate: false });
  const ids: string[] = [];
  // The sessions stand for this (live) test process, so nobody may judge them stale.
  for (let i = 0; i < 5; i++) ids.push((await store.create({ label: `hb-${i}`, tool: 'reliability' })).id);
  let acked = 0;
  const killed = await killWorkers(dir, {
    args: () => ['heartbeat', JSON.stringify({ dir, ids, staleMs: STALE_MS })],
    kills: killsPerSlot,
    maxDelayMs: 250,
    ack: 'hb ',
    onAck: () => acked++,
    poll: async () => {
      const listed = new Set((await store.list()).map((s) => s.record.id));
      for (const id of ids) if (!listed.has(id)) throw new Error(`session ${id} missing from list() during heartbeats`);
    },
  });
  for (const id of ids) await withLock(join(dir, `${id}.json`), () => undefined, lock);
  // Cleanup an hour later (injected clock): killed writers' temp files are abandoned by then.
  await new SessionStore(dir, { lock, now: () => Date.now() + 3600_000 }).cleanup();
  const tempsAfterCleanup = tempFiles(dir);
  const final = await store.list();
  return { ...killed, ids, acked, tempsAfterCleanup, final };
}

test('SIGKILL during heartbeat: records are never half-written and never disappear', { timeout: budgetMs(180_000, 900_000) }, async () => {
  await inTempDir('crash-heartbeat', async (tmp) => {
    const { lanes, sum } = await runLanes(scale(1, 3), (i) => heartbeatLane(tmp, i, scale(10, 35)));
    recordFigures({
      test: 'crash-heartbeat',
      injects: `SIGKILL of heartbeat loops at random moments (${lanes.length} directories x 2 processes x 5 sessions); reader validating every record`,
      figures: {
        ...killFigures(sum),
        heartbeatsAcknowledged: sum((l) => l.acked),
        readerPolls: sum((l) => l.read.polls),
        halfWrittenOrMissingRecordsSeen: sum((l) => l.read.failures.length),
        ...leftoverFigures(sum),
      },
    });
    for (const l of lanes) {
      assertWorkersClean(l, 'a reader saw a half-written or missing record');
      assert.deepEqual(l.final.map((s) => s.record.id).sort(), [...l.ids].sort(), 'live sessions must survive cleanup');
      assert.ok(l.final.every((s) => s.state === 'active'));
      assert.deepEqual(l.tempsAfterCleanup, [], 'cleanup must remove temp files of dead writers');
    }
  });
});

async function lifecycleLane(root: string, lane: number, killsPerSlot: number) {
  const dir = join(root, `lane${lane}`, 'sessions');
  const created = new Set<string>();
  const killed = await killWorkers(dir, {
    args: (slot, n) => ['lifecycle', JSON.stringify({ dir, tag: `l${lane}s${slot}n${n}`, staleMs: STALE_MS })],
    kills: killsPerSlot,
    maxDelayMs: 300,
    ack: 'created ',
    onAck: (line) => created.add(line.slice(8)),
  });
  // Finish what the killed workers left: their sessions are dead (pid gone) or closed.
  await new SessionStore(dir, { lock, now: () => Date.now() + 3600_000 }).cleanup({ staleGraceMs: 0 }); // the grace counts from when a cleanup first sees a death; none here
  const where = locate(dir);
  const problems: string[] = [];
  for (const [id, at] of where) {
    if (at.records.length > 1) problems.push(`${id}: ${at.records.length} record files: ${at.records.join(', ')}`);
    if (at.journals.length > 1) problems.push(`${id}: ${at.journals.length} journals: ${at.journals.join(', ')}`);
  }
  const lost = [...created].filter((id) => (where.get(id)?.records.length ?? 0) !== 1);
  const live = readdirSync(dir).filter((n) => n.endsWith('.json') && isSessionId(n.slice(0, -5)));
  const tempsAfterCleanup = tempFiles(dir);
  return { ...killed, created, problems, lost, live, tempsAfterCleanup };
}

test('SIGKILL during create/close/archive: every session ends up in exactly one place', { timeout: budgetMs(180_000, 900_000) }, async () => {
  await inTempDir('crash-archive', async (tmp) => {
    const { lanes, sum } = await runLanes(scale(1, 3), (i) => lifecycleLane(tmp, i, scale(10, 40)));
    recordFigures({
      test: 'crash-archive',
      injects: `SIGKILL of create/close/cleanup loops at random moments (${lanes.length} directories x 2 processes); reader validating every record`,
      figures: {
        ...killFigures(sum),
        sessionsAcknowledged: sum((l) => l.created.size),
        sessionsLost: sum((l) => l.lost.length),
        sessionsInTwoPlaces: sum((l) => l.problems.length),
        liveRecordsLeftAfterCleanup: sum((l) => l.live.length),
        halfWrittenRecordsSeen: sum((l) => l.read.failures.length),
        ...leftoverFigures(sum),
      },
    });
    for (const l of lanes) {
      assertWorkersClean(l, 'a reader saw a half-written record');
      assert.ok(l.created.size > 0);
      assert.deepEqual(l.lost, [], 'acknowledged sessions whose record is not in exactly one place');
      assert.deepEqual(l.problems, [], 'a session is in more than one place');
      assert.deepEqual(l.live, [], 'cleanup archives every dead or closed session');
      assert.deepEqual(l.tempsAfterCleanup, [], 'cleanup must remove temp files of dead writers');
    }
  });
});
