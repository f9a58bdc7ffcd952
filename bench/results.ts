import type { MachineInfo } from './machine';

/** The shape of bench/results.json. */

export interface Target {
  text: string; // e.g. ">= 0.9x readFileSync+split"
  pass: boolean | null; // null: not measured
  /** Why this verdict cannot be trusted (e.g. the machine was loaded above its core count). */
  unreliable?: string;
}

export interface Row {
  name: string;
  value: number | null; // null: not measured (see note)
  unit: string;
  baseline?: { name: string; value: number | null };
  /** value / baseline.value; for times lower is better, for rates higher is better. */
  ratio?: number | null;
  target?: Target;
  note?: string;
}

export interface FigureResult {
  id: number;
  title: string;
  params: Record<string, unknown>;
  rows: Row[];
  notes: string[];
  /** The machine's 1-minute load average when the figure started and ended (2 cores: above 2 is contention). */
  load1m?: [number, number];
  /** Detail tables for docs/benchmarks.md (the console shows only the rows). */
  tables?: DetailTable[];
  /** Per-run raw numbers, for anyone who wants more than the medians. */
  details?: unknown;
}

export interface DetailTable {
  title: string;
  headers: string[];
  rows: string[][];
}

export interface BenchResults {
  schemaVersion: 1;
  mode: 'full' | 'quick';
  commit: string;
  machine: MachineInfo;
  durationS: number;
  figures: FigureResult[];
  summary: { targets: number; passed: number; failed: number; notMeasured: number };
}

export function ratio(value: number | null, baseline: number | null): number | null {
  if (value === null || baseline === null || baseline === 0) return null;
  return value / baseline;
}

export function check(text: string, pass: boolean | null): Target {
  return { text, pass };
}

/** A target that holds when `value` compares as given to `limit`; unmeasured stays null. */
export function atLeast(text: string, value: number | null, limit: number): Target {
  return { text, pass: value === null ? null : value >= limit };
}

export function atMost(text: string, value: number | null, limit: number): Target {
  return { text, pass: value === null ? null : value <= limit };
}

export function lessThan(text: string, value: number | null, limit: number): Target {
  return { text, pass: value === null ? null : value < limit };
}

export function summarize(figures: readonly FigureResult[]): BenchResults['summary'] {
  const summary = { targets: 0, passed: 0, failed: 0, notMeasured: 0 };
  for (const f of figures) {
    for (const r of f.rows) {
      if (!r.target) continue;
      summary.targets++;
      if (r.target.pass === true) summary.passed++;
      else if (r.target.pass === false) summary.failed++;
      else summary.notMeasured++;
    }
  }
  return summary;
}
