import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { finishWorker } from './child';

/**
 * Child process for figure 6: measures the packaged extension inside a real VS Code (code-server
 * driven by headless Chromium, through the test harness). One window is opened on a fresh
 * profile with its own sessions folder; we time how long until its session record is on disk,
 * read the extension's own activate() timing from its log, then watch the sessions folder while
 * the window idles, then open a few more windows for more timing samples.
 * Usage: vscode-probe <vsix> <idleMs> [<extraWindows>]
 */

export interface WindowTiming {
  workbenchMs: number; // navigation start until the workbench is on screen
  sessionOnDiskMs: number | null; // navigation start until the window's record file exists
  activateMs: number | null; // what the extension logged for activate()
  /** Navigation start until VS Code started activating the extension (its extension host log). */
  activationStartMs: number | null;
}

export interface ProbeResult {
  /** The first window (cold server), then further windows opened after the idle measurement. */
  windows: WindowTiming[];
  heartbeatIntervalMs: number | null;
  idleMs: number;
  idle: {
    recordWrites: number; // atomic replacements of the record file (heartbeats)
    lockAcquisitions: number; // creations of the record's lock directory
    journalWrites: number;
    otherFiles: Record<string, number>; // anything else written, by name
  };
  notes: string[];
  /** The start of the extension's log, for reading when something looks slow. */
  log: string[];
}

interface Workbench {
  server: { userDataDir: string };
  openWindow(): Promise<unknown>;
  close(): Promise<void>;
}
interface UiSessionModule {
  startWorkbench(options: { vsix: string; env?: NodeJS.ProcessEnv; settings?: Record<string, unknown> }): Promise<Workbench>;
}

const RECORD_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.json$/;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function findFiles(dir: string, name: string, out: string[] = []): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) findFiles(p, name, out);
    else if (e.name === name) out.push(p);
  }
  return out;
}

function extensionLogs(userDataDir: string): string[] {
  return findFiles(path.join(userDataDir, 'logs'), 'Session Keeper.log').concat(findFiles(path.join(userDataDir, 'logs'), '1-Session Keeper.log'));
}

/**
 * activate()'s own timing, from the "Session Keeper" log channel's file of a window not seen
 * before (each window has its own extension host and log).
 */
async function readActivateMs(userDataDir: string, seen: Set<string>, timeoutMs: number): Promise<number | null> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const file of extensionLogs(userDataDir)) {
      if (seen.has(file)) continue;
      const m = /activate took ([\d.]+) ms/.exec(fs.readFileSync(file, 'utf8'));
      if (m?.[1]) {
        seen.add(file);
        return Number(m[1]);
      }
    }
    await sleep(250);
  }
  return null;
}

/** Parses VS Code's local-time log stamp "2026-11-25 13:18:06.892" to epoch ms. */
function logStamp(line: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d{3})/.exec(line);
  if (!m) return null;
  const [y, mo, d, h, mi, sec, ms] = m.slice(1).map(Number) as [number, number, number, number, number, number, number];
  return new Date(y, mo - 1, d, h, mi, sec, ms).getTime();
}

/** When VS Code began activating the extension in a window's extension host not seen before. */
function activationStart(userDataDir: string, seen: Set<string>): number | null {
  for (const name of ['remoteexthost.log', 'exthost.log']) {
    for (const file of findFiles(path.join(userDataDir, 'logs'), name)) {
      if (seen.has(file)) continue;
      const line = fs.readFileSync(file, 'utf8').split('\n').find((l) => /_doActivateExtension session-keeper\.session-keeper/.test(l));
      if (line) {
        seen.add(file);
        return logStamp(line);
      }
    }
  }
  return null;
}

function recordsIn(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => RECORD_RE.test(n));
}

/** Opens one more window and times it; `known` are the records that existed before. */
async function openAndTime(wb: Workbench, sessionsDir: string, known: Set<string>, seenLogs: Set<string>): Promise<WindowTiming> {
  const t0 = performance.now();
  const wall0 = Date.now();
  let sessionAt: number | null = null;
  const poll = (async () => {
    const deadline = t0 + 120_000;
    while (sessionAt === null && performance.now() < deadline) {
      const fresh = recordsIn(sessionsDir).filter((n) => !known.has(n));
      if (fresh.length > 0) {
        sessionAt = performance.now();
        for (const n of fresh) known.add(n);
      } else await sleep(10);
    }
  })();
  await wb.openWindow();
  const workbenchMs = performance.now() - t0;
  await poll;
  const activateMs = await readActivateMs(wb.server.userDataDir, seenLogs, 30_000);
  const activatedAt = activationStart(wb.server.userDataDir, seenLogs);
  return {
    workbenchMs,
    sessionOnDiskMs: sessionAt === null ? null : sessionAt - t0,
    activateMs,
    activationStartMs: activatedAt === null ? null : activatedAt - wall0,
  };
}

/** Lines of VS Code's own logs that mention the extension (activation time stamps). */
function activationLines(userDataDir: string): string[] {
  const out: string[] = [];
  for (const name of ['exthost.log', 'remoteexthost.log', 'remoteagent.log']) {
    for (const file of findFiles(path.join(userDataDir, 'logs'), name)) {
      for (const line of fs.readFileSync(file, 'utf8').split('\n')) if (/session-keeper/i.test(line)) out.push(`${name}: ${line}`);
    }
  }
  return out.slice(0, 10);
}

async function main(): Promise<ProbeResult> {
  const [vsix, idleArg, extraArg = '2'] = process.argv.slice(2) as [string, string, string?];
  const idleMs = Number(idleArg);
  const extraWindows = Number(extraArg);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startWorkbench } = require(path.resolve(__dirname, '..', 'test', 'harness', 'ui-session.js')) as UiSessionModule;
  const sessionsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sk-bench-sessions-'));
  const notes: string[] = [];
  const wb = await startWorkbench({ vsix, env: { SESSION_KEEPER_DIR: sessionsDir } });
  try {
    // Events in the sessions folder, from the moment the window starts loading.
    const events: { t: number; type: string; name: string }[] = [];
    const watcher = fs.watch(sessionsDir, (type, name) => events.push({ t: performance.now(), type, name: String(name ?? '') }));
    const known = new Set<string>();
    const seenLogs = new Set<string>();
    const t0 = performance.now();
    const first = await openAndTime(wb, sessionsDir, known, seenLogs);
    if (first.activateMs === null) notes.push('the extension log with "activate took … ms" was not found');
    const records = recordsIn(sessionsDir);
    const record = records[0];
    let heartbeatIntervalMs: number | null = null;
    if (record) {
      heartbeatIntervalMs = (JSON.parse(fs.readFileSync(path.join(sessionsDir, record), 'utf8')) as { heartbeatIntervalMs?: number }).heartbeatIntervalMs ?? null;
    }
    if (records.length !== 1) notes.push(`${records.length} session records in the folder (expected 1)`);
    // Let start-up work (first listing, cleanup) settle, then count what an idle window writes.
    await sleep(3000);
    const from = performance.now();
    await sleep(idleMs);
    const to = performance.now();
    watcher.close();
    const log = [
      `probe: first navigation started ${new Date(Date.now() - (performance.now() - t0)).toISOString()}`,
      ...activationLines(wb.server.userDataDir),
      ...extensionLogs(wb.server.userDataDir).flatMap((f) => fs.readFileSync(f, 'utf8').split('\n').slice(0, 6)),
    ];
    // More windows on the now-warm server: more samples of activate() and registration.
    const windows = [first];
    for (let i = 0; i < extraWindows; i++) windows.push(await openAndTime(wb, sessionsDir, known, seenLogs));
    const idleEvents = events.filter((e) => e.t >= from && e.t < to);
    const idle: ProbeResult['idle'] = { recordWrites: 0, lockAcquisitions: 0, journalWrites: 0, otherFiles: {} };
    const created = new Set<string>();
    for (const e of idleEvents) {
      if (record && e.name === record && e.type === 'rename') idle.recordWrites++;
      else if (record && e.name === `${record}.lock` && e.type === 'rename') {
        // rename events come for both mkdir and rmdir; count the creations
        if (!created.has(e.name)) {
          created.add(e.name);
          idle.lockAcquisitions++;
        } else created.delete(e.name);
      } else if (record && e.name === record.replace(/\.json$/, '.jsonl')) idle.journalWrites++;
      else if (e.name.endsWith('.tmp') && record && e.name.startsWith(`.${record}.`)) continue; // the atomic write's temp file
      else if (record && e.name.startsWith(`${record.replace(/\.json$/, '.jsonl')}.lock`)) continue; // journal lock, counted with the journal
      else idle.otherFiles[e.name] = (idle.otherFiles[e.name] ?? 0) + 1;
    }
    return {
      log,
      windows,
      heartbeatIntervalMs,
      idleMs: to - from,
      idle,
      notes,
    };
  } finally {
    await wb.close();
    fs.rmSync(sessionsDir, { recursive: true, force: true });
  }
}

finishWorker(main);
