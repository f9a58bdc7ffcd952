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
import { killLoop } from './lib/kill-loop';
import { startPoller } from './lib/poller';
import { tempDir } from './lib/tmp';
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

test('the checks themselves notice a half-written record and a session in two places', () => {
  const tmp = tempDir('crash-sessions-selftest');
  try {
    const dir = join(tmp.dir, 'sessions');
    const id = '01890a5d-ac96-774b-bcce-b302099a8057';
    mkdirSync(join(dir, 'archive', '2026-01-01'), { recursive: true });
    writeFileSync(join(dir, `${id}.json`), '{"version":1,"id":"01890a5d-ac96-77');
    assert.throws(() => validateAllRecords(dir), /not a valid record|JSON/);
    writeFileSync(join(dir, 'archive', '2026-01-01', `${id}.json`), '{}');
    assert.equal(locate(dir).get(id)?.records.length, 2);
  } finally {
    tmp.dispose();
  }
});

async function heartbeatLane(root: string, lane: number, killsPerSlot: number) {
  const dir = join(root, `lane${lane}`, 'sessions');
  const store = new SessionStore(dir, { lock, cleanupOnCreate: false });
  const ids: string[] = [];
  // The sessions stand for this (live) test process, so nobody may judge them stale.
  for (let i = 0; i < 5; i++) ids.push((await store.create({ label: `hb-${i}`, tool: 'reliability' })).id);
  const errors: string[] = [];
  // LockCompromisedError under CPU starvation is the lock working; counted, see crash-jsonl.test.ts.
  let compromised = 0;
  let acked = 0;
  const temps = newTempCounter(dir);
  const reader = startPoller(async () => {
    validateAllRecords(dir);
    const listed = new Set((await store.list()).map((s) => s.record.id));
    for (const id of ids) if (!listed.has(id)) throw new Error(`session ${id} missing from list() during heartbeats`);
  }, 50);
  const results = await Promise.all(
    [0, 1].map(() =>
      killLoop({
        script: worker,
        args: () => ['heartbeat', JSON.stringify({ dir, ids, staleMs: STALE_MS })],
        kills: killsPerSlot,
        maxDelayMs: 250,
        armOn: (l) => l.startsWith('hb ') || l.startsWith('error '),
        armTimeoutMs: MAX_WAIT_MS + 30_000,
        afterKill: temps.afterKill,
        onLine: (_n, line) => {
          if (line.startsWith('hb ')) acked++;
          else if (line.includes('"name":"LockCompromisedError"')) compromised++;
          else if (line.startsWith('error ')) errors.push(line);
        },
      }),
    ),
  );
  const read = await reader.stop();
  for (const id of ids) await withLock(join(dir, `${id}.json`), () => undefined, lock);
  const tempsLeft = tempFiles(dir).length;
  // Cleanup an hour later (injected clock): killed writers' temp files are abandoned by then.
  await new SessionStore(dir, { lock, now: () => Date.now() + 3600_000 }).cleanup();
  const tempsAfterCleanup = tempFiles(dir);
  const final = await store.list();
  return { ids, errors, compromised, acked, killsLeavingTemp: temps.count(), results, read, tempsLeft, tempsAfterCleanup, final };
}

test('SIGKILL during heartbeat: records are never half-written and never disappear', { timeout: budgetMs(180_000, 900_000) }, async () => {
  const tmp = tempDir('crash-heartbeat');
  try {
    const lanes = await Promise.all(Array.from({ length: scale(1, 3) }, (_, i) => heartbeatLane(tmp.dir, i, scale(10, 35))));
    const sum = (f: (l: (typeof lanes)[number]) => number): number => lanes.reduce((s, l) => s + f(l), 0);
    recordFigures({
      test: 'crash-heartbeat',
      injects: `SIGKILL of heartbeat loops at random moments (${lanes.length} directories x 2 processes x 5 sessions); reader validating every record`,
      figures: {
        kills: sum((l) => l.results.reduce((s, r) => s + r.kills, 0)),
        killsDuringAtomicWrite: sum((l) => l.killsLeavingTemp),
        heartbeatsAcknowledged: sum((l) => l.acked),
        readerPolls: sum((l) => l.read.polls),
        halfWrittenOrMissingRecordsSeen: sum((l) => l.read.failures.length),
        tempFilesLeftByKills: sum((l) => l.tempsLeft),
        tempFilesAfterCleanup: sum((l) => l.tempsAfterCleanup.length),
        writerErrors: sum((l) => l.errors.length),
        lockCompromisedUnderLoad: sum((l) => l.compromised),
      },
    });
    for (const l of lanes) {
      assert.deepEqual(l.results.flatMap((r) => r.unexpectedExits), []);
      assert.deepEqual(l.read.failures, [], 'a reader saw a half-written or missing record');
      assert.deepEqual(l.errors, []);
      assert.deepEqual(l.final.map((s) => s.record.id).sort(), [...l.ids].sort(), 'live sessions must survive cleanup');
      assert.ok(l.final.every((s) => s.state === 'active'));
      assert.deepEqual(l.tempsAfterCleanup, [], 'cleanup must remove temp files of dead writers');
    }
  } finally {
    tmp.dispose();
  }
});

async function lifecycleLane(root: string, lane: number, killsPerSlot: number) {
  const dir = join(root, `lane${lane}`, 'sessions');
  const created = new Set<string>();
  const errors: string[] = [];
  let compromised = 0;
  const temps = newTempCounter(dir);
  const reader = startPoller(async () => {
    validateAllRecords(dir);
  }, 50);
  const results = await Promise.all(
    [0, 1].map((slot) =>
      killLoop({
        script: worker,
        args: (n) => ['lifecycle', JSON.stringify({ dir, tag: `l${lane}s${slot}n${n}`, staleMs: STALE_MS })],
        kills: killsPerSlot,
        maxDelayMs: 300,
        armOn: (l) => l.startsWith('created ') || l.startsWith('error '),
        armTimeoutMs: MAX_WAIT_MS + 30_000,
        afterKill: temps.afterKill,
        onLine: (_n, line) => {
          if (line.startsWith('created ')) created.add(line.slice(8));
          else if (line.includes('"name":"LockCompromisedError"')) compromised++;
          else if (line.startsWith('error ')) errors.push(line);
        },
      }),
    ),
  );
  const read = await reader.stop();
  const tempsLeft = tempFiles(dir).length;
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
  return { created, errors, compromised, results, read, tempsLeft, killsLeavingTemp: temps.count(), problems, lost, live, tempsAfterCleanup };
}

test('SIGKILL during create/close/archive: every session ends up in exactly one place', { timeout: budgetMs(180_000, 900_000) }, async () => {
  const tmp = tempDir('crash-archive');
  try {
    const lanes = await Promise.all(Array.from({ length: scale(1, 3) }, (_, i) => lifecycleLane(tmp.dir, i, scale(10, 40))));
    const sum = (f: (l: (typeof lanes)[number]) => number): number => lanes.reduce((s, l) => s + f(l), 0);
    recordFigures({
      test: 'crash-archive',
      injects: `SIGKILL of create/close/cleanup loops at random moments (${lanes.length} directories x 2 processes); reader validating every record`,
      figures: {
        kills: sum((l) => l.results.reduce((s, r) => s + r.kills, 0)),
        killsDuringAtomicWrite: sum((l) => l.killsLeavingTemp),
        sessionsAcknowledged: sum((l) => l.created.size),
        sessionsLost: sum((l) => l.lost.length),
        sessionsInTwoPlaces: sum((l) => l.problems.length),
        liveRecordsLeftAfterCleanup: sum((l) => l.live.length),
        halfWrittenRecordsSeen: sum((l) => l.read.failures.length),
        tempFilesLeftByKills: sum((l) => l.tempsLeft),
        tempFilesAfterCleanup: sum((l) => l.tempsAfterCleanup.length),
        writerErrors: sum((l) => l.errors.length),
        lockCompromisedUnderLoad: sum((l) => l.compromised),
      },
    });
    for (const l of lanes) {
      assert.deepEqual(l.results.flatMap((r) => r.unexpectedExits), []);
      assert.deepEqual(l.read.failures, [], 'a reader saw a half-written record');
      assert.deepEqual(l.errors, []);
      assert.ok(l.created.size > 0);
      assert.deepEqual(l.lost, [], 'acknowledged sessions whose record is not in exactly one place');
      assert.deepEqual(l.problems, [], 'a session is in more than one place');
      assert.deepEqual(l.live, [], 'cleanup archives every dead or closed session');
      assert.deepEqual(l.tempsAfterCleanup, [], 'cleanup must remove temp files of dead writers');
    }
  } finally {
    tmp.dispose();
  }
});
