import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { v7 as uuidv7 } from 'uuid';
import type { ArchiveWorkerResult } from './archive-worker';
import { runWorker } from './child';
import type { BenchContext } from './context';
import { hasCore, loadCore } from './core';
import { Prng } from './prng';
import { fmt } from './report';
import { atMost, lessThan, ratio, type FigureResult, type Row } from './results';
import type { IdleResult } from './ui-idle';
import { templateRecord, writeSessions } from './sessions-data';
import { median } from './stats';

/**
 * Figure 7: the archive (issue 11, "a tree whose cost does not grow with history"). A year of
 * use leaves ~55 archived sessions a day; the tree's live refresh must cost the same whatever
 * the archive holds, and `list --all` must stream in constant memory.
 */

const ID = 7;
const LIVE_SESSIONS = 100;
const ARCHIVED_PER_DAY = 55;
const DAY_MS = 86_400_000;

/** Writes `count` closed sessions into archive day folders, ARCHIVED_PER_DAY a day, going back from yesterday. */
export function writeArchive(dir: string, count: number, template: Record<string, unknown>): number {
  const rng = new Prng(11);
  const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
  let days = 0;
  for (let i = 0; i < count; i++) {
    const dayStart = today - (Math.floor(i / ARCHIVED_PER_DAY) + 1) * DAY_MS;
    const dayDir = path.join(dir, 'archive', new Date(dayStart).toISOString().slice(0, 10));
    if (i % ARCHIVED_PER_DAY === 0) {
      fs.mkdirSync(dayDir, { recursive: true, mode: 0o700 });
      days++;
    }
    const created = dayStart + rng.int(0, DAY_MS - 3_600_000);
    const id = uuidv7({ msecs: created });
    const closed = new Date(created + rng.int(60_000, 3_600_000)).toISOString();
    const record = {
      ...template,
      id,
      label: `agent run ${i} — project-${rng.int(1, 50)}`,
      workspaceFolders: [`/home/dev/src/project-${rng.int(1, 50)}`],
      createdAt: new Date(created).toISOString(),
      heartbeatAt: closed,
      closedAt: closed,
      pid: rng.int(1000, 60000),
    };
    fs.writeFileSync(path.join(dayDir, `${id}.json`), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
    const events = ['created', 'closed', 'archived'].map((event) => JSON.stringify({ event, at: closed, sessionId: id, writerPid: record.pid, hostname: template.hostname }));
    fs.writeFileSync(path.join(dayDir, `${id}.jsonl`), `${events.join('\n')}\n`, { mode: 0o600 });
  }
  return days;
}

/**
 * Waits until the archive folder's timestamps are older than the store's racy window: until then
 * every listing reads its day names again (src/core/store/archive-day-list.ts). A real archive
 * folder changes when a day folder is added (once a day) or pruned; a refresh measured right
 * after writing the archive would measure that moment, not the steady state.
 */
async function waitUntilSettled(archiveDir: string): Promise<void> {
  const { ARCHIVE_LIST_RACY_MS } = loadCore<typeof import('../src/core/store/archive-day-list')>('store/archive-day-list');
  let st: fs.Stats;
  try {
    st = fs.statSync(archiveDir);
  } catch {
    return; // no archive
  }
  const settledAt = Math.max(st.mtimeMs, st.ctimeMs) + ARCHIVE_LIST_RACY_MS + 100;
  if (settledAt > Date.now()) await sleep(settledAt - Date.now());
}

export async function figureArchive(ctx: BenchContext): Promise<FigureResult> {
  const quick = ctx.options.quick;
  // --quick keeps to its time budget with smaller archives; the target is at 20,000.
  const sizes = quick ? [0, 500, 2000] : [0, 2000, 20000];
  const largest = sizes[sizes.length - 1] as number;
  const title = 'The archive: live refresh and list --all';
  if (!hasCore('session-store')) {
    return { id: ID, title, params: { sizes }, rows: [{ name: 'archive', value: null, unit: 'ms', note: 'src/core/session-store is not built yet' }], notes: [] };
  }
  const template = await templateRecord(ctx.options.tmpDir, 'archive');

  const rows: Row[] = [];
  const table: string[][] = [];
  const details: Record<string, unknown> = {};
  let emptyRefresh: number | null = null;
  let previous: { n: number; rss: number | null } | null = null;
  for (const n of sizes) {
    const dir = path.join(ctx.options.tmpDir, `archive-${n}`);
    writeSessions(dir, LIVE_SESSIONS, template);
    const days = writeArchive(dir, n, template);
    await waitUntilSettled(path.join(dir, 'archive'));
    const load = os.loadavg()[0] ?? 0;
    ctx.log(`figure ${ID}: ${LIVE_SESSIONS} live + ${n} archived in ${days} days (load ${load.toFixed(2)})`);
    // Each refresh is a few ms: many of them, so that the median of each size is steady enough for a 1.2x verdict.
    const refreshReps = quick ? 10 : 150;
    const refresh = await runWorker<ArchiveWorkerResult>('archive-worker', ['refresh', dir, String(refreshReps)]);
    const fullReps = n >= 20000 ? (quick ? 2 : 5) : quick ? 5 : 10;
    const full = await runWorker<ArchiveWorkerResult>('archive-worker', ['full', dir, String(fullReps)]);
    const cliRuns: { ms: number; r: ArchiveWorkerResult }[] = [];
    for (let i = 0; i < (quick ? 1 : 3); i++) {
      const t0 = performance.now();
      const r = await runWorker<ArchiveWorkerResult>('archive-worker', ['cli', dir]);
      cliRuns.push({ ms: performance.now() - t0, r });
    }
    const refreshMs = median(refresh.ms);
    const fullMs = median(full.ms);
    const cliMs = median(cliRuns.map((c) => c.ms));
    const cliRss = median(cliRuns.map((c) => c.r.peakRssMb));
    if (n === 0) emptyRefresh = refreshMs;
    const before = previous ?? { n, rss: cliRss };
    previous = { n, rss: cliRss };
    const label = n.toLocaleString('en-US');
    rows.push({
      name: `live refresh (list + archive days), ${label} archived`,
      value: refreshMs,
      unit: 'ms',
      baseline: { name: 'the same with an empty archive', value: emptyRefresh },
      ratio: ratio(refreshMs, emptyRefresh),
      ...(n === largest ? { target: atMost('<= 1.2x an empty archive', ratio(refreshMs, emptyRefresh), 1.2) } : {}),
      note: `load ${load.toFixed(2)}; before the day API every refresh read all: ${fmt(fullMs)} ms`,
    });
    rows.push({
      name: `list --all --json peak RSS, ${label} archived`,
      value: cliRss,
      unit: 'MB',
      baseline: { name: `the same with ${before.n.toLocaleString('en-US')} archived`, value: before.rss },
      ratio: ratio(cliRss, before.rss),
      ...(n === largest ? { target: atMost(`<= 1.5x with ${(n / before.n).toFixed(0)}x fewer archived (constant memory)`, ratio(cliRss, before.rss), 1.5) } : {}),
      note: `whole process ${fmt(cliMs)} ms, ${cliRuns[0]?.r.sessions ?? 0} sessions, ${fmt((cliRuns[0]?.r.bytes ?? 0) / 1e6)} MB of JSON`,
    });
    table.push([
      label,
      String(days),
      fmt(refreshMs),
      fmt(refresh.peakRssMb),
      fmt(fullMs),
      fmt(full.peakRssMb),
      fmt(cliMs),
      fmt(cliRss),
      load.toFixed(2),
    ]);
    details[String(n)] = { days, refresh, full, cli: cliRuns, load1m: load };
    fs.rmSync(dir, { recursive: true, force: true });
  }
  // The idle window (bench/ui-idle.ts): the extension's own view objects, with the view visible,
  // against a folder where 100 agents heartbeat, for a minute, with an empty and a full archive.
  const idleSeconds = quick ? 3 : 60;
  for (const archived of quick ? [0] : [0, largest]) {
    ctx.log(`figure ${ID}: idle window, ${LIVE_SESSIONS} live + ${archived} archived, ${idleSeconds} s (load ${(os.loadavg()[0] ?? 0).toFixed(2)})`);
    const idle = await runWorker<IdleResult>('ui-idle', ['--worker', '--seconds', String(idleSeconds), '--warmup', quick ? '1' : '10', '--live', String(LIVE_SESSIONS), '--archived', String(archived)]);
    rows.push({
      name: `idle window, view visible, ${LIVE_SESSIONS} live sessions, ${archived.toLocaleString('en-US')} archived: CPU`,
      value: idle.cpuPercent,
      unit: '% of one core',
      target: lessThan('< 1 %', idle.cpuPercent, 1),
      note: `${idle.listings} listings (mean ${fmt(idle.meanListingMs)} ms) and ${idle.renders} re-renders in ${fmt(idle.seconds)} s; load ${idle.load1m[0].toFixed(2)} -> ${idle.load1m[1].toFixed(2)}`,
    });
    details[`idle-${archived}`] = idle;
  }
  return {
    id: ID,
    title,
    params: { sizes, liveSessions: LIVE_SESSIONS, archivedPerDay: ARCHIVED_PER_DAY },
    rows,
    notes: [
      `${LIVE_SESSIONS} live sessions (the figure 4 mix) plus N closed sessions archived ${ARCHIVED_PER_DAY} a day going back ` +
        'from yesterday, each with its record and a 3-event journal (a year of heavy use is ~20,000).',
      'Live refresh: what the tree does every few seconds, SessionStore.list() and listArchiveDays() (the collapsed ' +
        'Archived group) on one store kept across refreshes; median of the reps after a warm-up, in its own process. ' +
        '"Before" is list({ includeArchived: true }) on a new store, which every refresh did until the day API.',
      'The archive folder is left to settle (2 s, the racy window of the kept day names) before the refresh is timed, as a ' +
        'real archive folder is but for a moment a day.',
      'Where the archive-dependent time of the live refresh went (node --cpu-prof of 3,000 refreshes in the worker, ' +
        '20,000 archived against none): about 0.2 ms more a refresh, half of it listArchiveDays (turning a readdir of 364 ' +
        'day folders into Dirent objects, 0.07 ms; filtering and sorting them), the rest waiting for that readdir on the ' +
        'thread pool, which competes with the listing for the 2 cores (more so on a loaded machine). The day names are now kept ' +
        'between refreshes (src/core/store/archive-day-list.ts: one stat of the archive folder while its device, inode, ' +
        'mtime and ctime are unchanged and were over 2 s old when looked at), so a refresh costs the same with 20,000 ' +
        'archived as with none (which pays one failed stat).',
      'Idle window: re-renders count listings whose tree signature changed. Rows of sessions beating every 10 s used to ' +
        'flip between "just now" and "10 s ago" when a poll fell after a beat was due and before it was written (12 ' +
        're-renders in 12 listings in one run); a beat due up to half an interval ago now reads as on time ' +
        '(shownHeartbeatAge, src/ui/session-text.ts). The rest of the gap with an archive (node --cpu-prof of the idle ' +
        'window) was the signature itself building the 364 collapsed day rows, with their tooltips, at every listing; the ' +
        'day names now stand for them (treeSignature, src/ui/session-tree-model.ts); and the idle process wrote the 20,000 ' +
        'archived files itself, so V8\'s memory reducer ran two full GCs inside the measured window (--trace-gc): a child ' +
        'process writes them now. The idle agents beat first at their own phase, as independent agents do, not one ' +
        'interval later.',
      'list --all --json: the real CLI main() in a fresh process each run, stdout counted and dropped; time is the ' +
        'whole process (start-up included); peak RSS is that process\'s maxRSS.',
      'Memory is judged against the next smaller archive (10x fewer sessions in a full run): a listing that held the ' +
        'archive would grow with it. What growth remains is V8 sizing its young generation to the allocation rate, ' +
        'not data kept: the JS heap in use peaks at ~13 MB at 20,000 (process.memoryUsage() sampled every 20 ms), and ' +
        'with --max-semi-space-size=1 the same run peaks at ~70 MB RSS instead of ~85 MB.',
      'Each figure line shows the 1-minute load average at its start; on 2 cores, above 2 means contention.',
    ],
    tables: [
      {
        title: 'Archive sizes',
        headers: ['archived', 'days', 'refresh ms', 'refresh RSS MB', 'full read (before) ms', 'full read RSS MB', 'list --all ms', 'list --all RSS MB', 'load 1m'],
        rows: table,
      },
    ],
    details,
  };
}
