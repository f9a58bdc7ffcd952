import * as fs from 'node:fs';
import * as path from 'node:path';
import { startWorker } from './child';
import type { BenchContext } from './context';
import { hasCore } from './core';
import { fmt } from './report';
import { check, lessThan, type FigureResult, type Row } from './results';
import type { MemorySample, ScaleWorkerResult } from './scale-worker';
import { percentile, slope } from './stats';

/**
 * Figure 5: 100 sessions heartbeating every second from several processes while another lists
 * the directory every second: lock timeouts, latencies and memory over time.
 */

interface Memory {
  start: number | null;
  end: number | null;
  slopeMBPerMin: number | null;
  heapStart: number | null;
  heapEnd: number | null;
  heapSlopeMBPerMin: number | null;
}

function memory(samples: MemorySample[]): Memory {
  const first = samples[0];
  const last = samples[samples.length - 1];
  return {
    start: first?.rssMB ?? null,
    end: last?.rssMB ?? null,
    slopeMBPerMin: slope(samples.map((p) => ({ x: p.tS / 60, y: p.rssMB }))),
    heapStart: first?.heapMB ?? null,
    heapEnd: last?.heapMB ?? null,
    heapSlopeMBPerMin: slope(samples.map((p) => ({ x: p.tS / 60, y: p.heapMB }))),
  };
}

function worst(values: (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length ? Math.max(...known) : null;
}

export async function figureScale(ctx: BenchContext): Promise<FigureResult> {
  const quick = ctx.options.quick;
  const processes = 4;
  const perProcess = 25;
  const warmupMs = quick ? 1000 : 20_000;
  const durationMs = warmupMs + (quick ? 4000 : 60_000);
  const sampleMs = quick ? 1000 : 5000;
  const title = 'Scale: 100 sessions heartbeating every second while listing';
  const params = {
    sessions: processes * perProcess,
    heartbeatProcesses: processes,
    warmupS: warmupMs / 1000,
    measuredS: (durationMs - warmupMs) / 1000,
    memorySampleS: sampleMs / 1000,
  };
  if (!hasCore('session-store')) {
    return { id: 5, title, params, rows: [{ name: 'lock timeouts', value: null, unit: '', note: 'src/core/session-store is not built yet' }], notes: [] };
  }
  const dir = path.join(ctx.options.tmpDir, 'scale');
  fs.rmSync(dir, { recursive: true, force: true });
  const common = [dir];
  ctx.log(`figure 5: starting ${processes} heartbeat processes (${perProcess} sessions each) and a lister for ${durationMs / 1000} s`);
  const heartbeaters = Array.from({ length: processes }, () =>
    startWorker<ScaleWorkerResult>('scale-worker', ['heartbeat', ...common, String(perProcess), String(durationMs), String(sampleMs), String(warmupMs)], {
      execArgv: ['--expose-gc'],
      timeoutMs: durationMs + 120_000,
    }),
  );
  await Promise.all(heartbeaters.map((w) => w.ready));
  const lister = startWorker<ScaleWorkerResult>('scale-worker', ['lister', ...common, String(processes * perProcess), String(durationMs), String(sampleMs), String(warmupMs)], {
    execArgv: ['--expose-gc'],
    timeoutMs: durationMs + 120_000,
  });
  await lister.ready;
  const startAt = Date.now() + 200;
  for (const w of [...heartbeaters, lister]) w.send({ type: 'go', value: startAt });
  const outcomes = await Promise.all([...heartbeaters, lister].map((w) => w.done));
  fs.rmSync(dir, { recursive: true, force: true });
  const results: ScaleWorkerResult[] = outcomes.map((o) => {
    if (!o.result) throw new Error(`scale worker died: exit ${o.exitCode} ${o.signal ?? ''} ${o.stderr.slice(-800)}`);
    return o.result;
  });
  const hb = results.filter((r) => r.role === 'heartbeat');
  const ls = results.find((r) => r.role === 'lister');
  const errors: Record<string, number> = {};
  for (const r of results) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
  const timeouts = errors.LockTimeoutError ?? 0;
  const otherErrors = Object.entries(errors).filter(([k]) => k !== 'LockTimeoutError');
  const hbLatency = hb.flatMap((r) => r.latencyMs);
  const expectedBeats = processes * perProcess * Math.floor(durationMs / 1000);
  const listerMem = memory(ls?.samples ?? []);
  const hbMem = hb.map((r) => memory(r.samples));
  // A few seconds of samples cannot tell a leak from warm-up: quick mode reports, does not judge.
  const judge = (v: number | null): number | null => (quick ? null : v);
  const quickNote = quick ? ' (quick mode: too short to judge)' : '';
  const rows: Row[] = [
    { name: 'lock timeouts (all processes)', value: timeouts, unit: '', target: check('0', timeouts === 0) },
    {
      name: 'heartbeats done',
      value: hb.reduce((n, r) => n + r.ops, 0),
      unit: '',
      baseline: { name: 'scheduled', value: expectedBeats },
      ...(otherErrors.length ? { note: `errors: ${otherErrors.map(([k, v]) => `${v} ${k}`).join(', ')}` } : {}),
    },
    { name: 'heartbeat latency p99', value: percentile(hbLatency, 99), unit: 'ms', note: `p50 ${fmt(percentile(hbLatency, 50))} ms` },
    {
      name: `list() of ${processes * perProcess} sessions under load, p99`,
      value: percentile(ls?.latencyMs ?? [], 99),
      unit: 'ms',
      note: `p50 ${fmt(percentile(ls?.latencyMs ?? [], 50))} ms; ${ls?.ops ?? 0} listings, ${ls?.listingsShort ?? '—'} showed fewer than ${processes * perProcess} active (min ${ls?.minActive ?? '—'})`,
    },
    {
      name: 'lister RSS slope after GC',
      value: listerMem.slopeMBPerMin,
      unit: 'MB/min',
      note: `RSS ${fmt(listerMem.start)} → ${fmt(listerMem.end)} MB; heap used ${fmt(listerMem.heapStart)} → ${fmt(listerMem.heapEnd)} MB${quickNote}`,
    },
    {
      name: 'heartbeater RSS slope after GC (worst of 4)',
      value: worst(hbMem.map((m) => m.slopeMBPerMin)),
      unit: 'MB/min',
      note: `RSS start → end: ${hbMem.map((m) => `${fmt(m.start)} → ${fmt(m.end)}`).join(', ')} MB${quickNote}`,
    },
    {
      name: 'heap used after GC, slope (worst of all 5 processes)',
      value: worst([listerMem, ...hbMem].map((m) => m.heapSlopeMBPerMin)),
      unit: 'MB/min',
      target: lessThan('< 0.5 MB/min', judge(worst([listerMem, ...hbMem].map((m) => m.heapSlopeMBPerMin))), 0.5),
      note:
        `heap start → end: ${[listerMem, ...hbMem].map((m) => `${fmt(m.heapStart)} → ${fmt(m.heapEnd)}`).join(', ')} MB ` +
        `(lister first)${quickNote}`,
    },
  ];
  return {
    id: 5,
    title,
    params,
    rows,
    notes: [
      `${processes} child processes each create ${perProcess} sessions (heartbeat interval 1 s) and heartbeat each ` +
        'once a second at its own random phase through SessionStore.heartbeat; a fifth process runs list() once a second. ' +
        `Counts and latencies cover the whole run; memory is sampled after a forced GC (node --expose-gc) from the end of a ` +
        `${warmupMs / 1000} s warm-up (start-up, JIT) to the end, and the slope is a least-squares fit over those samples.`,
      'Growth is judged on the V8 heap used after GC, where a leak of objects per heartbeat or listing would show as a ' +
        'steady climb. RSS after GC is shown but not judged: on this shared machine it moves by a couple of MB between ' +
        'samples with no trend (allocator and JIT code pages), which a one-minute fit turns into a slope of ±1-2 MB/min.',
    ],
    tables: [
      {
        title: 'Memory samples (RSS MB after GC)',
        headers: ['process', ...results.reduce<MemorySample[]>((a, r) => (r.samples.length > a.length ? r.samples : a), []).map((s) => `${Math.round(s.tS)} s`)],
        rows: results.map((r, i) => [r.role === 'lister' ? 'lister' : `heartbeat ${i + 1}`, ...r.samples.map((s) => fmt(s.rssMB))]),
      },
    ],
    details: results.map((r) => ({ role: r.role, ops: r.ops, errors: r.errors, listingsShort: r.listingsShort, minActive: r.minActive, samples: r.samples })),
  };
}
