// Property runs over the JSONL reader, executed in a worker thread by jsonl-property.test.ts
// (so a hang is detected and the thread terminated). Each function throws fast-check's report,
// with seed and shrunk counterexample, when a property fails.
import fc from 'fast-check';
import { cleanDoc, anyJsonlBytes } from './jsonl-arbitraries';
import { parseInChunks, checkPartition, checkSpans, checkStats, diffParsed, checkOracle } from './jsonl-checks';
import { DEFAULT_MAX_LINE_BYTES } from '../../../src/core/jsonl-reader';

export interface RunArgs {
  numRuns: number;
  seed: number;
}

export interface RunSummary {
  cases: number;
  records: number;
  problems: number;
  byKind: Record<string, number>;
}

const chunking = fc.oneof(
  fc.constant([1 << 30]),
  fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 4 }),
  fc.constant([1]),
);
const maxLine = fc.constantFrom(16, 100, 1000, 4096, DEFAULT_MAX_LINE_BYTES);

function fail(violations: string[]): void {
  if (violations.length > 0) throw new Error(violations.join('\n'));
}

export function readerClean(args: RunArgs, progress: (n: number) => void): RunSummary {
  const summary: RunSummary = { cases: 0, records: 0, problems: 0, byKind: {} };
  fc.assert(
    fc.property(cleanDoc, chunking, (doc, chunks) => {
      const whole = parseInChunks(doc.bytes, [1 << 30], DEFAULT_MAX_LINE_BYTES);
      const pieces = parseInChunks(doc.bytes, chunks, DEFAULT_MAX_LINE_BYTES);
      fail([
        ...checkOracle(doc.values, whole),
        ...checkPartition(doc.bytes, whole),
        ...checkSpans(doc.bytes, whole),
        ...checkStats(doc.bytes, whole),
        ...diffParsed(whole, pieces),
      ]);
      summary.records += whole.records.length;
      if (++summary.cases % 500 === 0) progress(summary.cases);
    }),
    { numRuns: args.numRuns, seed: args.seed },
  );
  return summary;
}

export function readerDamaged(args: RunArgs, progress: (n: number) => void): RunSummary {
  const summary: RunSummary = { cases: 0, records: 0, problems: 0, byKind: {} };
  fc.assert(
    fc.property(anyJsonlBytes, chunking, maxLine, (bytes, chunks, maxLineBytes) => {
      const whole = parseInChunks(bytes, [1 << 30], maxLineBytes);
      const pieces = parseInChunks(bytes, chunks, maxLineBytes);
      fail([
        ...checkPartition(bytes, whole),
        ...checkSpans(bytes, whole),
        ...checkStats(bytes, whole),
        ...diffParsed(whole, pieces),
      ]);
      summary.records += whole.records.length;
      summary.problems += whole.problems.length;
      for (const p of whole.problems) summary.byKind[p.kind] = (summary.byKind[p.kind] ?? 0) + 1;
      if (++summary.cases % 500 === 0) progress(summary.cases);
    }),
    { numRuns: args.numRuns, seed: args.seed },
  );
  return summary;
}
