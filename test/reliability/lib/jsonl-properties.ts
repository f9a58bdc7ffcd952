// Property runs over the JSONL reader, executed in a worker thread by jsonl-property.test.ts
// (so a hang is detected and the thread terminated). Each function throws fast-check's report,
// with seed and shrunk counterexample, when a property fails.
import fc from 'fast-check';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { cleanDoc, anyJsonlBytes } from './jsonl-arbitraries';
import { oracleDoc, checkNoInventedRecords, tornNestedDoc, checkTornNested, type OracleCounts } from './jsonl-oracle';
import { parseInChunks, parseInRanges, withoutValues, checkPartition, checkSpans, checkStats, diffParsed, checkOracle, checkRepair, damage, recordSpans, type Parsed } from './jsonl-checks';
import { DEFAULT_MAX_LINE_BYTES, scanJsonl } from '../../../src/core/jsonl-reader';
import { repairJsonl, SHORT_NUL_RUNS_REFUSED } from '../../../src/core/jsonl-repair';

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
// Where the parallel scan's ranges are cut (fractions of the file; each moves to the next line start).
const rangeCuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 4 });

/**
 * The byte-validation path (values: false) and the parallel scan's ranges merged in order give
 * the same records, problems, offsets and statistics as the value-building reader on one range.
 */
function leanAndRanges(bytes: Buffer, whole: Parsed, chunks: readonly number[], cuts: readonly number[], maxLineBytes: number): string[] {
  const lean = withoutValues(whole);
  const ranges = parseInRanges(bytes, cuts, chunks, maxLineBytes);
  return [
    ...diffParsed(lean, parseInChunks(bytes, chunks, maxLineBytes, false), 'values: false'),
    ...(ranges === null ? [] : diffParsed(lean, ranges, `ranges cut at ${cuts.join(', ')}`)),
  ];
}

function fail(violations: string[]): void {
  if (violations.length > 0) throw new Error(violations.join('\n'));
}

export function readerClean(args: RunArgs, progress: (n: number) => void): RunSummary {
  const summary: RunSummary = { cases: 0, records: 0, problems: 0, byKind: {} };
  fc.assert(
    fc.property(cleanDoc, chunking, rangeCuts, (doc, chunks, cuts) => {
      const whole = parseInChunks(doc.bytes, [1 << 30], DEFAULT_MAX_LINE_BYTES);
      const pieces = parseInChunks(doc.bytes, chunks, DEFAULT_MAX_LINE_BYTES);
      fail([
        ...checkOracle(doc.values, whole),
        ...checkPartition(doc.bytes, whole),
        ...checkSpans(doc.bytes, whole),
        ...checkStats(doc.bytes, whole),
        ...diffParsed(whole, pieces),
        ...leanAndRanges(doc.bytes, whole, chunks, cuts, DEFAULT_MAX_LINE_BYTES),
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
    fc.property(anyJsonlBytes, chunking, maxLine, rangeCuts, (bytes, chunks, maxLineBytes, cuts) => {
      const whole = parseInChunks(bytes, [1 << 30], maxLineBytes);
      const pieces = parseInChunks(bytes, chunks, maxLineBytes);
      fail([
        ...checkPartition(bytes, whole),
        ...checkSpans(bytes, whole),
        ...checkStats(bytes, whole),
        ...diffParsed(whole, pieces),
        ...leanAndRanges(bytes, whole, chunks, cuts, maxLineBytes),
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

export interface OracleSummary extends OracleCounts {
  cases: number;
  notUtf8: number;
  problems: number;
}

/**
 * The no-invented-record oracle (jsonl-oracle.ts) over files made from known records and then
 * damaged, read whole and in random chunks, plus the usual accounting.
 */
export function readerOracle(args: RunArgs, progress: (n: number) => void): OracleSummary {
  const summary: OracleSummary = { cases: 0, original: 0, suffixValues: 0, damageLeftValidJson: 0, notUtf8: 0, problems: 0 };
  fc.assert(
    fc.property(oracleDoc, chunking, (doc, chunks) => {
      const whole = parseInChunks(doc.bytes, [1 << 30], DEFAULT_MAX_LINE_BYTES);
      const pieces = parseInChunks(doc.bytes, chunks, DEFAULT_MAX_LINE_BYTES);
      const counts: OracleCounts = { original: 0, suffixValues: 0, damageLeftValidJson: 0 };
      fail([
        ...checkNoInventedRecords(doc, whole, counts),
        ...checkPartition(doc.bytes, whole),
        ...checkSpans(doc.bytes, whole),
        ...checkStats(doc.bytes, whole),
        ...diffParsed(whole, pieces),
      ]);
      summary.original += counts.original;
      summary.suffixValues += counts.suffixValues;
      summary.damageLeftValidJson += counts.damageLeftValidJson;
      summary.problems += whole.problems.length;
      if (whole.problems.some((p) => p.kind === 'not-utf8')) summary.notUtf8++;
      if (++summary.cases % 500 === 0) progress(summary.cases);
    }),
    { numRuns: args.numRuns, seed: args.seed },
  );
  return summary;
}

export interface TornNestedSummary {
  cases: number;
  /** Records torn, and of those followed directly by the next record. */
  tears: number;
  appended: number;
  /** Records read back (all written ones: checked). */
  kept: number;
  /** Records written whole that were not read back (quarantined with a torn one before them). */
  notKept: number;
}

/**
 * Records full of nested objects and arrays, torn at random positions and followed by '\n' or
 * by the next record: nothing but records written may be read back (break-test F2 kind).
 */
export function readerTornNested(args: RunArgs, progress: (n: number) => void): TornNestedSummary {
  const summary: TornNestedSummary = { cases: 0, tears: 0, appended: 0, kept: 0, notKept: 0 };
  fc.assert(
    fc.property(tornNestedDoc, chunking, (doc, chunks) => {
      const whole = parseInChunks(doc.bytes, [1 << 30], DEFAULT_MAX_LINE_BYTES);
      const pieces = parseInChunks(doc.bytes, chunks, DEFAULT_MAX_LINE_BYTES);
      fail([...checkTornNested(doc, whole), ...checkPartition(doc.bytes, whole), ...checkSpans(doc.bytes, whole), ...diffParsed(whole, pieces)]);
      summary.tears += doc.tears;
      summary.appended += doc.appended;
      summary.kept += whole.records.length;
      summary.notKept += doc.originals.size - doc.tears - whole.records.length;
      if (++summary.cases % 500 === 0) progress(summary.cases);
    }),
    { numRuns: args.numRuns, seed: args.seed },
  );
  return summary;
}

export interface RepairSummary {
  cases: number;
  changed: number;
  kept: number;
  quarantined: number;
  quarantinedBytes: number;
  formattingBytes: number;
  /** Refused as UTF-16/32. */
  refusedNotUtf8: number;
  /** Refused: no record, NUL bytes interleaved with text (SHORT_NUL_RUNS_REFUSED). */
  refusedInterleavedNul: number;
}

/**
 * Repair on real files: lossless (kept records + quarantine + formatting = every original byte,
 * checked against the parser and by a byte histogram that does not trust it) and idempotent.
 * Files live in /dev/shm when there is one: fsync there is free, and durability is not the
 * point of this test (the crash tests cover it).
 */
export async function repairProperties(args: RunArgs, progress: (n: number) => void): Promise<RepairSummary> {
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dir = mkdtempSync(join(base, 'sk-rel-repair-'));
  const summary: RepairSummary = { cases: 0, changed: 0, kept: 0, quarantined: 0, quarantinedBytes: 0, formattingBytes: 0, refusedNotUtf8: 0, refusedInterleavedNul: 0 };
  try {
    await fc.assert(
      fc.asyncProperty(anyJsonlBytes, fc.constantFrom(100, 4096, DEFAULT_MAX_LINE_BYTES), async (bytes, maxLineBytes) => {
        const file = join(dir, `case-${summary.cases}.jsonl`);
        writeFileSync(file, bytes);
        try {
          const expected = parseInChunks(bytes, [1 << 30], maxLineBytes);
          const notUtf8 = expected.problems.some((p) => p.kind === 'not-utf8');
          const shortNulRuns = expected.problems.filter((p) => p.kind === 'nul-bytes' && p.length <= 3).length;
          if (notUtf8 || (expected.records.length + expected.oversized.length === 0 && shortNulRuns >= SHORT_NUL_RUNS_REFUSED)) {
            // Refused, and the file left exactly as it was.
            const refused = await repairJsonl(file, { maxLineBytes }).then(
              () => 'repaired',
              (err: { code?: string }) => err.code ?? 'no code',
            );
            if (refused !== 'EJSONLENCODING') throw new Error(`repair of a file that is not UTF-8 JSONL: ${refused}`);
            if (!readFileSync(file).equals(bytes)) throw new Error('a refused repair changed the file');
            if (existsSync(`${file}.quarantine`)) throw new Error('a refused repair wrote a quarantine');
            if (notUtf8) summary.refusedNotUtf8++;
            else summary.refusedInterleavedNul++;
            return;
          }
          const first = await repairJsonl(file, { maxLineBytes });
          const after = readFileSync(file);
          const qPath = `${file}.quarantine`;
          const quarantine = existsSync(qPath) ? readFileSync(qPath) : Buffer.alloc(0);
          const violations = checkRepair(bytes, expected, after, quarantine, first);
          const second = await repairJsonl(file, { maxLineBytes });
          if (second.changed) violations.push('a second repair changed the file again');
          if (!readFileSync(file).equals(after)) violations.push('a second repair altered the bytes');
          const q2 = existsSync(qPath) ? readFileSync(qPath) : Buffer.alloc(0);
          if (!q2.equals(quarantine)) violations.push('a second repair added to the quarantine');
          const rescan = await scanJsonl(file, { maxLineBytes });
          if (rescan.problemCount !== 0) violations.push(`the repaired file still has ${rescan.problemCount} problems`);
          if (rescan.records !== first.kept) violations.push(`repaired file has ${rescan.records} records, repair kept ${first.kept}`);
          const leftovers = readdirSync(dir).filter((n) => n.endsWith('.tmp'));
          if (leftovers.length > 0) violations.push(`temp files left: ${leftovers.join(', ')}`);
          if (violations.length > 0) throw new Error(violations.join('\n'));
          summary.changed += first.changed ? 1 : 0;
          summary.kept += first.kept;
          summary.quarantined += first.quarantined;
          summary.quarantinedBytes += first.quarantinedBytes;
          summary.formattingBytes += bytes.length - recordSpans(expected).reduce((s, r) => s + r.length, 0) - damage(expected).reduce((s, p) => s + p.length, 0);
        } finally {
          rmSync(file, { force: true });
          rmSync(`${file}.quarantine`, { force: true });
          if (++summary.cases % 200 === 0) progress(summary.cases);
        }
      }),
      { numRuns: args.numRuns, seed: args.seed },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return summary;
}
