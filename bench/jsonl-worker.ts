import * as fs from 'node:fs';
import * as readline from 'node:readline';
import { finishWorker, peakRssMB } from './child';
import { loadCore, type ReaderModule, type RepairModule } from './core';

/**
 * Child process for figures 1 and 2: reads (or repairs) one JSONL file one way and reports
 * elapsed time, counts and its own peak RSS. Usage: jsonl-worker <variant> <file> [<scratch>]
 */

export type JsonlVariant = 'fs-read' | 'readFileSync-split' | 'readline' | 'scanJsonl' | 'readJsonl' | 'repair';

export interface JsonlWorkerResult {
  variant: JsonlVariant;
  ok: boolean;
  error: string | null;
  bytes: number;
  records: number;
  bad: number;
  recovered: number;
  ms: number;
  peakRssMB: number;
}

const CHUNK = 2 ** 20;

function fsRead(file: string): { records: number; bad: number } {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(CHUNK);
  try {
    while (fs.readSync(fd, buf, 0, CHUNK, null) > 0) {
      // the ceiling: bytes only, no parsing
    }
  } finally {
    fs.closeSync(fd);
  }
  return { records: 0, bad: 0 };
}

function parseLine(line: string, counts: { records: number; bad: number }): void {
  if (line.length === 0) return;
  try {
    JSON.parse(line);
    counts.records++;
  } catch {
    counts.bad++;
  }
}

function readFileSyncSplit(file: string): { records: number; bad: number } {
  const counts = { records: 0, bad: 0 };
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) parseLine(line, counts);
  return counts;
}

async function readlineReader(file: string): Promise<{ records: number; bad: number }> {
  const counts = { records: 0, bad: 0 };
  const rl = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  for await (const line of rl) parseLine(line, counts);
  return counts;
}

async function scan(file: string): Promise<{ records: number; bad: number; recovered: number }> {
  const { scanJsonl } = loadCore<ReaderModule>('jsonl-reader');
  let records = 0;
  const stats = await scanJsonl(file, { onRecord: () => void records++, maxProblems: 100 });
  return { records, bad: stats.corrupted, recovered: stats.recovered };
}

async function iterate(file: string): Promise<{ records: number; bad: number; recovered: number }> {
  const { readJsonl } = loadCore<ReaderModule>('jsonl-reader');
  const it = readJsonl(file);
  let records = 0;
  for (;;) {
    const step = await it.next();
    if (step.done) return { records, bad: step.value.corrupted, recovered: step.value.recovered };
    records++;
  }
}

async function repair(file: string): Promise<{ records: number; bad: number; recovered: number }> {
  const { repairJsonl } = loadCore<RepairModule>('jsonl-repair');
  const r = await repairJsonl(file);
  return { records: r.kept, bad: r.quarantined, recovered: r.recovered };
}

async function main(): Promise<JsonlWorkerResult> {
  const [variant, file, scratch = ''] = process.argv.slice(2) as [JsonlVariant, string, string?];
  const bytes = fs.statSync(file).size;
  let target = file;
  if (variant === 'repair') {
    // Repair works on a copy; flush it to disk first so write-back of the copy does not
    // compete with the repair's own writes.
    fs.copyFileSync(file, scratch);
    const fd = fs.openSync(scratch, 'r+');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    target = scratch;
  }
  // Load the reader before the clock starts: the in-process bound it is compared with
  // (fig-jsonl-peers.ts) times only the work, not loading code.
  if (variant === 'scanJsonl' || variant === 'readJsonl') loadCore<ReaderModule>('jsonl-reader');
  if (variant === 'repair') loadCore<RepairModule>('jsonl-repair');
  const start = process.hrtime.bigint();
  let counts: { records: number; bad: number; recovered?: number };
  try {
    switch (variant) {
      case 'fs-read':
        counts = fsRead(target);
        break;
      case 'readFileSync-split':
        counts = readFileSyncSplit(target);
        break;
      case 'readline':
        counts = await readlineReader(target);
        break;
      case 'scanJsonl':
        counts = await scan(target);
        break;
      case 'readJsonl':
        counts = await iterate(target);
        break;
      case 'repair':
        counts = await repair(target);
        break;
      default:
        throw new Error(`unknown variant ${String(variant)}`);
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return {
      variant,
      ok: false,
      error: `${e.code ?? e.name}: ${e.message}`,
      bytes,
      records: 0,
      bad: 0,
      recovered: 0,
      ms: Number(process.hrtime.bigint() - start) / 1e6,
      peakRssMB: peakRssMB(),
    };
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  return { variant, ok: true, error: null, bytes, ...counts, recovered: counts.recovered ?? 0, ms, peakRssMB: peakRssMB() };
}

finishWorker(main);
