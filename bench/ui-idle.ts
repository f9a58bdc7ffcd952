// How much CPU an idle VS Code window spends on Session Keeper's view (issue 11: under 1 % of one
// core with the view visible and 100 live sessions, whatever the archive holds). Runs the
// extension's own objects outside VS Code — SessionsModel, TreeRefresher (real fs.watch, the
// default timings, view visible), WindowSession heartbeating every 10 s, and on each listing the
// work the tree provider and status bar do (treeSignature, statusBarView) — against a real
// sessions folder where a child process heartbeats `--live` agent sessions every 10 s and the
// archive holds `--archived` sessions over 365 days. VS Code's own rendering is not included.
//
//   npm run compile && node out/bench/ui-idle.js [--seconds 60] [--live 100] [--archived 0,20000] [--warmup 10]
//
// Prints, per archive size: CPU % of one core over the measured window (user+system of this
// process, from process.cpuUsage), listings done, mean listing time, re-renders, and the
// 1-minute load average at the start and end (a loaded machine inflates the figures).
// Figure 7 of `npm run bench` runs it as a worker (`--worker`: one measurement, the result sent
// to the parent as { type: 'result' }).
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { v7 as uuidv7 } from 'uuid';
import { SessionStore } from '../src/core/session-store';
import type { Log } from '../src/ui/log';
import { SessionsModel } from '../src/ui/sessions-model';
import { treeSignature } from '../src/ui/session-tree-model';
import { statusBarView } from '../src/ui/status-bar-text';
import { DEFAULT_TIMINGS, TreeRefresher } from '../src/ui/tree-refresh';
import { WindowSession } from '../src/ui/window-session';
import { routineChangesOf } from '../src/ui/watch-events';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const quiet: Log = { info: () => undefined, warn: () => undefined, error: (m) => console.error(m), show: () => undefined };

/** `count` archived sessions spread over 365 day folders, copied from a record the real store wrote. */
async function seedArchive(dir: string, count: number): Promise<void> {
  if (count === 0) return;
  const store = new SessionStore(dir);
  const template = await store.create({ label: 'template' });
  await store.close(template.id);
  const record = JSON.parse(fs.readFileSync(path.join(dir, `${template.id}.json`), 'utf8')) as Record<string, unknown>;
  fs.rmSync(path.join(dir, `${template.id}.json`));
  fs.rmSync(path.join(dir, `${template.id}.jsonl`), { force: true });
  const day0 = Date.now() - 366 * 86_400_000;
  for (let i = 0; i < count; i++) {
    const day = new Date(day0 + (i % 365) * 86_400_000).toISOString().slice(0, 10);
    const folder = path.join(dir, 'archive', day);
    if (i < 365) fs.mkdirSync(folder, { recursive: true });
    const id = uuidv7();
    fs.writeFileSync(path.join(folder, `${id}.json`), JSON.stringify({ ...record, id, label: `archived ${i}` }));
  }
}

/** One measurement: CPU (% of one core), listings and re-renders over `seconds`, and the load around it. */
export interface IdleResult {
  live: number;
  archived: number;
  cpuPercent: number;
  seconds: number;
  listings: number;
  meanListingMs: number;
  renders: number;
  load1m: [number, number];
  cores: number;
}

async function measure(live: number, archived: number, seconds: number, warmupSeconds: number): Promise<IdleResult> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sk-ui-idle-'));
  const dir = path.join(work, 'sessions');
  fs.mkdirSync(dir, { recursive: true });
  const agents = spawn(process.execPath, [path.join(__dirname, 'ui-idle-agents.js'), dir, String(live), '10000'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    // In a child: 20,000 file writes here would leave this process's heap to be shrunk by V8's
    // memory reducer (two full GCs) half a minute later, inside the measured window.
    if (archived > 0) {
      const seeded = spawnSync(process.execPath, [__filename, '--seed', dir, String(archived)], { stdio: ['ignore', 'ignore', 'inherit'] });
      if (seeded.status !== 0) throw new Error(`seeding the archive failed (exit ${String(seeded.status)})`);
    }
    await once(agents.stdout, 'data');

    const store = new SessionStore(dir, { heartbeatIntervalMs: 10_000 });
    let listings = 0;
    let listingMs = 0;
    const list = store.list.bind(store);
    store.list = async (options) => {
      const t = performance.now();
      try {
        return await list(options);
      } finally {
        listings++;
        listingMs += performance.now() - t;
      }
    };
    const model = new SessionsModel(() => ({ main: { dir, store }, extras: [] }), quiet);
    let shown = '';
    let renders = 0;
    model.onDidChange((snapshot) => {
      statusBarView(snapshot);
      const signature = treeSignature({ snapshot, selfId: session.sessionId, localHost: os.hostname() });
      if (signature !== shown) {
        shown = signature;
        renders++;
      }
    });
    const refresher = new TreeRefresher(() => model.reload(), quiet, DEFAULT_TIMINGS, routineChangesOf(model));
    const session = new WindowSession(store, dir, 10_000, () => ({ label: 'bench window', workspaceFolders: ['/work/repo-0'], tool: 'vscode', pid: process.pid }), quiet, () => refresher.now());
    refresher.watch([dir, path.join(dir, 'archive')]);
    refresher.setVisible(true);
    await session.start();
    await sleep(warmupSeconds * 1000); // warm-up: JIT, first listings, every agent heartbeating
    const load0 = os.loadavg()[0] ?? 0;
    const l0 = listings;
    const ms0 = listingMs;
    const r0 = renders;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const cpu = process.cpuUsage(cpu0);
    const elapsed = performance.now() - t0;
    const load1 = os.loadavg()[0] ?? 0;
    refresher.dispose();
    await session.stop();
    model.dispose();
    const n = listings - l0;
    return {
      live,
      archived,
      cpuPercent: ((cpu.user + cpu.system) / 1000 / elapsed) * 100,
      seconds: elapsed / 1000,
      listings: n,
      meanListingMs: n ? (listingMs - ms0) / n : 0,
      renders: renders - r0,
      load1m: [load0, load1],
      cores: os.cpus().length,
    };
  } finally {
    agents.kill('SIGKILL');
    fs.rmSync(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const seed = process.argv.indexOf('--seed');
  if (seed >= 0) return seedArchive(process.argv[seed + 1] as string, Number(process.argv[seed + 2]));
  const seconds = Number(arg('seconds', '60'));
  const live = Number(arg('live', '100'));
  for (const archived of arg('archived', '0,20000').split(',').map(Number)) {
    const r = await measure(live, archived, seconds, Number(arg('warmup', '10')));
    if (process.argv.includes('--worker')) {
      process.send?.({ type: 'result', value: r });
      continue;
    }
    console.log(
      `live ${live}, archived ${archived}: CPU ${r.cpuPercent.toFixed(2)} % of one core over ${r.seconds.toFixed(0)} s; ` +
        `${r.listings} listings (mean ${r.meanListingMs.toFixed(1)} ms), ${r.renders} re-renders; load1 ${r.load1m[0].toFixed(2)} → ${r.load1m[1].toFixed(2)} on ${r.cores} cores`,
    );
  }
}

if (require.main === module) {
  void main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
