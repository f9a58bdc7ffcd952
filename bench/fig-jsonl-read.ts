import { runWorker, startWorker } from './child';
import type { BenchContext } from './context';
import { hasCore } from './core';
import { jsonlPeers } from './fig-jsonl-peers';
import { ensureJsonlData, type JsonlDataParams } from './jsonl-data';
import type { JsonlVariant, JsonlWorkerResult } from './jsonl-worker';
import { atLeast, lessThan, ratio, type FigureResult, type Row } from './results';
import { median } from './stats';

/**
 * Figure 1: the self-healing streaming reader against the two ways people usually read JSONL,
 * with plain fs.read as the ceiling, and its memory on a file too big for readFileSync; then
 * `check` and the readers beside DuckDB, ndjson and the in-process bound on three kinds of data
 * (fig-jsonl-peers.ts).
 */

export function jsonlParams(quick: boolean, bytes?: number): JsonlDataParams {
  return { bytes: bytes ?? (quick ? 20e6 : 200e6), recordBytes: 1000, corruptFraction: 0.01, seed: 20250101 };
}

const LABEL: Record<JsonlVariant, string> = {
  'fs-read': 'fs.read 1 MiB chunks, no parsing (ceiling)',
  'readFileSync-split': '(a) readFileSync+split+JSON.parse',
  readline: '(b) readline+JSON.parse',
  scanJsonl: 'scanJsonl (onRecord)',
  readJsonl: 'readJsonl (for await)',
  repair: 'repairJsonl',
};

export function mbPerS(r: JsonlWorkerResult): number {
  return r.bytes / 1e6 / (r.ms / 1000);
}

export async function figureJsonlRead(ctx: BenchContext): Promise<FigureResult> {
  const { quick, dataDir } = ctx.options;
  const runs = quick ? 2 : 5;
  const coreReady = hasCore('jsonl-reader');
  const params = jsonlParams(quick);
  ctx.log(`figure 1: data file ${params.bytes / 1e6} MB (generated once, then cached)`);
  const { file, meta } = ensureJsonlData(dataDir, params);

  const variants: JsonlVariant[] = ['fs-read', 'readFileSync-split', 'readline'];
  if (coreReady) variants.push('scanJsonl', 'readJsonl');
  await runWorker('jsonl-worker', ['fs-read', file]); // warm the page cache: all readers read from memory
  const byVariant = new Map<JsonlVariant, JsonlWorkerResult[]>(variants.map((v) => [v, []]));
  // Round-robin, so slow phases of a shared machine hit every reader alike.
  for (let run = 0; run < runs; run++) {
    for (const v of variants) {
      ctx.log(`figure 1: run ${run + 1}/${runs} ${v}`);
      byVariant.get(v)?.push(await runWorker<JsonlWorkerResult>('jsonl-worker', [v, file]));
    }
  }
  const speed = (v: JsonlVariant): number | null => median((byVariant.get(v) ?? []).filter((r) => r.ok).map(mbPerS));
  const rss = (v: JsonlVariant): number | null => median((byVariant.get(v) ?? []).map((r) => r.peakRssMB));
  const first = (v: JsonlVariant): JsonlWorkerResult | undefined => byVariant.get(v)?.[0];

  const ceiling = speed('fs-read');
  const a = speed('readFileSync-split');
  const b = speed('readline');
  const rows: Row[] = [
    { name: LABEL['fs-read'], value: ceiling, unit: 'MB/s' },
    { name: LABEL['readFileSync-split'], value: a, unit: 'MB/s', baseline: { name: 'ceiling', value: ceiling }, ratio: ratio(a, ceiling) },
    { name: LABEL.readline, value: b, unit: 'MB/s', baseline: { name: 'ceiling', value: ceiling }, ratio: ratio(b, ceiling) },
  ];
  const missing = 'src/core/jsonl-reader is not built yet';
  for (const v of ['scanJsonl', 'readJsonl'] as const) {
    const s = coreReady ? speed(v) : null;
    const note = coreReady ? undefined : missing;
    rows.push(
      {
        name: `${LABEL[v]} vs (a)`,
        value: s,
        unit: 'MB/s',
        baseline: { name: '(a)', value: a },
        ratio: ratio(s, a),
        target: atLeast('>= 0.9x (a)', ratio(s, a), 0.9),
        ...(note ? { note } : {}),
      },
      {
        name: `${LABEL[v]} vs (b)`,
        value: s,
        unit: 'MB/s',
        baseline: { name: '(b)', value: b },
        ratio: ratio(s, b),
        target: atLeast('>= 1.5x (b)', ratio(s, b), 1.5),
      },
    );
  }
  for (const v of variants) rows.push({ name: `peak RSS, ${LABEL[v]}, ${params.bytes / 1e6} MB`, value: rss(v), unit: 'MB' });

  const notes = [
    'scanJsonl is the reader the product uses (the "Check JSONL File" command and `session-keeper check`); ' +
      'readJsonl is the record-by-record iterator of the library API. Both are judged.',
    `Data: ${meta.lines.toLocaleString('en-US')} lines, ${meta.corruptLines.toLocaleString('en-US')} corrupted ` +
      `(${JSON.stringify(meta.corruptByKind)}); seeded PRNG, cached in bench/data/. ` +
      'MB = 10^6 bytes. Each run is a fresh child process reading from the page cache.',
    `Records found: (a) ${first('readFileSync-split')?.records ?? '—'} (${first('readFileSync-split')?.bad ?? '—'} lines failed JSON.parse), ` +
      `(b) ${first('readline')?.records ?? '—'}` +
      (coreReady
        ? `, scanJsonl ${first('scanJsonl')?.records ?? '—'} (${first('scanJsonl')?.recovered ?? '—'} recovered, ${first('scanJsonl')?.bad ?? '—'} corrupted), ` +
          `readJsonl ${first('readJsonl')?.records ?? '—'}. The baselines decode invalid UTF-8 to U+FFFD and so accept some damaged lines as records.`
        : '.'),
  ];
  const details: Record<string, unknown> = { runs: Object.fromEntries(byVariant) };

  if (!quick) {
    const big = jsonlParams(false, 1e9);
    ctx.log('figure 1: 1 GB data file (generated once, then cached)');
    const bigData = ensureJsonlData(dataDir, big);
    await runWorker('jsonl-worker', ['fs-read', bigData.file]);
    // (a) on 1 GB, capped: it fails on the string length limit before it can parse anything.
    ctx.log('figure 1: 1 GB (a), expected to fail');
    const outcome = await startWorker<JsonlWorkerResult>('jsonl-worker', ['readFileSync-split', bigData.file], {
      execArgv: ['--max-old-space-size=1024'],
    }).done;
    const aBig = outcome.result;
    const failure = aBig
      ? aBig.error
      : `crashed (exit ${outcome.exitCode}, signal ${outcome.signal}): ${outcome.stderr.trim().split('\n').slice(-3).join(' ')}`;
    rows.push({
      name: '(a) readFileSync+split on 1 GB (heap cap 1 GB): peak RSS',
      value: aBig?.peakRssMB ?? null,
      unit: 'MB',
      note: failure === null ? 'unexpectedly succeeded' : `failed, as expected: ${failure}`,
    });
    if (coreReady) {
      for (const v of ['scanJsonl', 'readJsonl'] as const) {
        ctx.log(`figure 1: 1 GB ${v}`);
        const r = await runWorker<JsonlWorkerResult>('jsonl-worker', [v, bigData.file]);
        rows.push({
          name: `peak RSS, ${LABEL[v]}, 1 GB`,
          value: r.ok ? r.peakRssMB : null,
          unit: 'MB',
          target: lessThan('< 100 MB', r.ok ? r.peakRssMB : null, 100),
          note: r.ok ? `${Math.round(mbPerS(r))} MB/s, ${r.records} records` : `failed: ${r.error}`,
        });
      }
    } else {
      rows.push({ name: 'peak RSS, scanJsonl, 1 GB', value: null, unit: 'MB', target: lessThan('< 100 MB', null, 100), note: missing });
    }
  } else {
    notes.push('Quick mode: the 1 GB memory check is skipped.');
  }
  let tables: FigureResult['tables'] = [];
  if (coreReady) {
    const peers = await jsonlPeers(ctx);
    rows.push(...peers.rows);
    notes.push(...peers.notes);
    tables = peers.tables;
    details.peers = peers.details;
  }
  return {
    id: 1,
    title: 'JSONL reading',
    params: { fileMB: params.bytes / 1e6, recordBytes: params.recordBytes, corruptFraction: params.corruptFraction, runs },
    rows,
    notes,
    tables,
    details,
  };
}
