import * as fs from 'node:fs';
import * as path from 'node:path';
import { runWorker } from './child';
import type { BenchContext } from './context';
import { hasCore } from './core';
import { jsonlParams } from './fig-jsonl-read';
import { ensureJsonlData } from './jsonl-data';
import type { JsonlWorkerResult } from './jsonl-worker';
import { atMost, ratio, type FigureResult } from './results';
import { median } from './stats';

/** Figure 2: repairing the figure-1 file (a fresh copy each run) against reading it. */

export async function figureJsonlRepair(ctx: BenchContext): Promise<FigureResult> {
  const { quick, dataDir, tmpDir } = ctx.options;
  const runs = quick ? 2 : 3;
  const params = jsonlParams(quick);
  const title = 'JSONL repair';
  const base = { id: 2, title, params: { fileMB: params.bytes / 1e6, runs } };
  if (!hasCore('jsonl-repair') || !hasCore('jsonl-reader')) {
    return {
      ...base,
      rows: [{ name: 'repairJsonl', value: null, unit: 's', target: atMost('<= 2x read', null, 2), note: 'src/core/jsonl-repair (or jsonl-reader) is not built yet' }],
      notes: [],
    };
  }
  const { file } = ensureJsonlData(dataDir, params);
  const reads: JsonlWorkerResult[] = [];
  const repairs: JsonlWorkerResult[] = [];
  for (let run = 0; run < runs; run++) {
    ctx.log(`figure 2: run ${run + 1}/${runs}`);
    reads.push(await runWorker<JsonlWorkerResult>('jsonl-worker', ['scanJsonl', file]));
    const scratchDir = path.join(tmpDir, `repair-${run}`);
    fs.rmSync(scratchDir, { recursive: true, force: true });
    fs.mkdirSync(scratchDir, { recursive: true });
    try {
      repairs.push(await runWorker<JsonlWorkerResult>('jsonl-worker', ['repair', file, path.join(scratchDir, 'copy.jsonl')]));
    } finally {
      fs.rmSync(scratchDir, { recursive: true, force: true });
    }
  }
  const failed = repairs.find((r) => !r.ok);
  const repairS = failed ? null : median(repairs.map((r) => r.ms / 1000));
  const readS = median(reads.map((r) => r.ms / 1000));
  const first = repairs[0];
  return {
    ...base,
    rows: [
      {
        name: `repairJsonl of the ${params.bytes / 1e6} MB file (a copy)`,
        value: repairS,
        unit: 's',
        baseline: { name: 'scanJsonl of it', value: readS },
        ratio: ratio(repairS, readS),
        target: atMost('<= 2x read', ratio(repairS, readS), 2),
        ...(failed ? { note: `repair failed: ${failed.error}` } : {}),
      },
      { name: 'peak RSS, repairJsonl', value: median(repairs.map((r) => r.peakRssMB)), unit: 'MB' },
    ],
    notes: [
      'Each run copies the data file (untimed, fsynced) and repairs the copy in a fresh child; the read it is ' +
        'compared with is scanJsonl of the same file in the same round.',
      first ? `Repair result: ${first.records} lines kept, ${first.recovered} recovered, ${first.bad} quarantined.` : '',
    ].filter((n) => n !== ''),
    details: { reads, repairs },
  };
}
