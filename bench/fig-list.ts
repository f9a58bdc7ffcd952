import * as path from 'node:path';
import { runWorker } from './child';
import type { BenchContext } from './context';
import { hasCore } from './core';
import type { ListWorkerResult } from './list-worker';
import { fmt } from './report';
import { atMost, ratio, type FigureResult, type Row } from './results';
import { templateRecord, writeSessions, type SessionsMix } from './sessions-data';
import { median } from './stats';

/** Figure 4: SessionStore.list() with state judgement against raw reads of the same files. */


export async function figureList(ctx: BenchContext): Promise<FigureResult> {
  const quick = ctx.options.quick;
  const sizes = quick ? [10, 100, 1000] : [10, 100, 1000, 10000];
  const title = 'Listing sessions with states';
  if (!hasCore('session-store')) {
    return {
      id: 4,
      title,
      params: { sizes },
      rows: [{ name: 'SessionStore.list()', value: null, unit: 'ms', note: 'src/core/session-store is not built yet' }],
      notes: [],
    };
  }
  const template = await templateRecord(ctx.options.tmpDir, 'list');

  const rows: Row[] = [];
  const tableRows: string[][] = [];
  const details: Record<string, unknown> = {};
  for (const n of sizes) {
    const dir = path.join(ctx.options.tmpDir, `list-${n}`);
    ctx.log(`figure 4: ${n} sessions`);
    const mix: SessionsMix = writeSessions(dir, n, template);
    const reps = n >= 10000 ? (quick ? 3 : 7) : n >= 1000 ? (quick ? 5 : 15) : quick ? 10 : 30;
    const r = await runWorker<ListWorkerResult>('list-worker', [dir, String(reps)]);
    const list = median(r.listMs);
    const rawPromises = median(r.rawMs);
    const rawCb = median(r.rawCbMs);
    const rawSync = median(r.rawSyncMs);
    // The baseline is the faster of the two asynchronous raw readers.
    const raw = rawPromises === null || rawCb === null ? null : Math.min(rawPromises, rawCb);
    const judged = n >= 1000;
    rows.push({
      name: `list() of ${n.toLocaleString('en-US')} sessions`,
      value: list,
      unit: 'ms',
      baseline: { name: 'raw readdir+readFile+parse (async)', value: raw },
      ratio: ratio(list, raw),
      ...(judged ? { target: atMost('<= 1.5x raw', ratio(list, raw), 1.5) } : {}),
      ...(r.sessions === n ? {} : { note: `listed ${r.sessions} of ${n}` }),
    });
    tableRows.push([
      n.toLocaleString('en-US'),
      fmt(list),
      fmt(rawPromises),
      fmt(rawCb),
      fmt(rawSync),
      `${fmt(ratio(list, raw))}x`,
      Object.entries(r.states).map(([k, v]) => `${k} ${v}`).join(', '),
      String(reps),
    ]);
    details[String(n)] = { mix, ...r };
  }
  return {
    id: 4,
    title,
    params: { sizes },
    rows,
    notes: [
      'Sessions are written from a record the real SessionStore.create() made, then varied: 25 % this host with ' +
        'our live pid, 5 % this host with an old heartbeat, 20 % this host with a dead pid, 35 % other hosts, ' +
        '10 % closed, 5 % expired two days ago; each has a journal beside its record (so the directory holds 2N files).',
      'The raw baseline is the faster of two asynchronous readers of the *.json files, fs.promises.readFile and ' +
        'callback fs.readFile, each at the store\'s own read concurrency (32). A synchronous readFileSync loop is ' +
        'shown for reference only: it is faster still, but an extension host must not block on 10 000 reads. ' +
        'Medians of alternating runs in one child process, after a warm-up.',
    ],
    tables: [
      {
        title: 'All sizes (ms, medians)',
        headers: ['sessions', 'list()', 'raw fs.promises.readFile', 'raw fs.readFile (callback)', 'raw readFileSync', 'list/raw', 'states', 'runs'],
        rows: tableRows,
      },
    ],
    details,
  };
}
