import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { finishWorker } from './child';
import { loadCore, type StoreModule } from './core';

/**
 * Child process for the archive figure; one measurement per process, so its peak RSS is that
 * measurement's alone. Usage:
 *   archive-worker refresh <dir> <reps>  the live refresh the tree does: list() + listArchiveDays(),
 *                                        one store kept across refreshes, as the extension keeps it
 *   archive-worker full <dir> <reps>     the old refresh: list({ includeArchived: true }), a new
 *                                        store each time (every record read, as before the day API)
 *   archive-worker cli <dir>             `session-keeper list --all --json` run in this process
 *                                        (stdout counted, not kept); the parent times the process
 */

export interface ArchiveWorkerResult {
  /** Per-rep times (ms) after one warm-up; for `cli`, one run. */
  ms: number[];
  /** Sessions the last run returned (live for refresh, all for full and cli: JSON elements). */
  sessions: number;
  /** Archive days listed (refresh). */
  days: number;
  /** Bytes written to stdout (cli). */
  bytes: number;
  /** Peak resident set size of this process, MB. */
  peakRssMb: number;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function main(): Promise<ArchiveWorkerResult> {
  const [mode, dir, repsArg] = process.argv.slice(2) as [string, string, string | undefined];
  const reps = Number(repsArg ?? '1');
  const result: ArchiveWorkerResult = { ms: [], sessions: 0, days: 0, bytes: 0, peakRssMb: 0 };
  if (mode === 'cli') {
    // The compiled CLI's main(); its `require.main === module` block does not run when required.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { main: cliMain } = require(path.join(__dirname, '..', 'src', 'cli', 'main.js')) as typeof import('../src/cli/main');
    let elements = 0;
    const t = await time(async () => {
      const code = await cliMain(['list', '--all', '--json', '--dir', dir], {
        stdout: (text) => {
          result.bytes += Buffer.byteLength(text);
          // Elements start with `\n  {`; nested objects are indented deeper.
          elements += text.split('\n  {').length - 1;
        },
        stderr: () => undefined,
        env: { ...process.env, SESSION_KEEPER_DIR: '' },
        cwd: process.cwd(),
      });
      if (code !== 0) throw new Error(`list --all exited ${code}`);
    });
    result.ms.push(t);
    result.sessions = elements;
  } else {
    const { SessionStore } = loadCore<StoreModule>('session-store');
    const kept = new SessionStore(dir, { cleanupOnCreate: false });
    const once = async (): Promise<void> => {
      if (mode === 'refresh') {
        const [live, days] = await Promise.all([kept.list(), kept.listArchiveDays()]);
        result.sessions = live.length;
        result.days = days.length;
      } else {
        result.sessions = (await new SessionStore(dir, { cleanupOnCreate: false }).list({ includeArchived: true })).length;
      }
    };
    await once(); // warm-up
    for (let i = 0; i < reps; i++) result.ms.push(await time(once));
  }
  result.peakRssMb = Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
  return result;
}

finishWorker(main);
