// Property-based tests of the JSONL reader over clean, damaged and random inputs: it never
// throws or hangs, accounts for every byte, and chunk boundaries change nothing; and of repair:
// lossless to the byte and idempotent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runInWorker } from './lib/in-worker';
import type { RunSummary, RepairSummary, OracleSummary, TornNestedSummary } from './lib/jsonl-properties';
import { scale, budgetMs } from './lib/scale';
import { recordFigures } from './lib/figures';

const properties = join(__dirname, 'lib', 'jsonl-properties.js');
// A fixed seed in the quick run keeps CI reproducible; the full run explores new cases each time
// (fast-check prints the seed of any failure so it can be replayed).
const seed = Number(process.env.SK_RELIABILITY_SEED ?? scale(20261125, Date.now() % 2 ** 31));
const STALL_MS = 60_000;

test('reader: clean files read back exactly as written, in any chunking', { timeout: budgetMs(120_000, 900_000) }, async () => {
  const numRuns = scale(400, 15_000);
  const s = await runInWorker<RunSummary>(properties, 'readerClean', { numRuns, seed }, STALL_MS);
  assert.equal(s.cases, numRuns);
  recordFigures({
    test: 'property-reader-clean',
    injects: 'random JSON values as JSONL with CRLF, BOM, blank lines, padding; random chunk boundaries',
    figures: { cases: s.cases, records: s.records, seed },
  });
});

test('reader: damaged and random bytes never throw or hang, and every byte is accounted for', { timeout: budgetMs(120_000, 900_000) }, async () => {
  const numRuns = scale(1600, 85_000);
  const s = await runInWorker<RunSummary>(properties, 'readerDamaged', { numRuns, seed: seed + 1 }, STALL_MS);
  assert.equal(s.cases, numRuns);
  recordFigures({
    test: 'property-reader-damaged',
    injects: 'NULs, truncation, fused lines, invalid UTF-8, CRLF, BOMs, over-long lines, random bytes, flips, duplicated and cut segments',
    figures: { cases: s.cases, records: s.records, problems: s.problems, ...Object.fromEntries(Object.entries(s.byKind).map(([k, v]) => [`problems.${k}`, v])), seed: seed + 1 },
  });
});

test('reader: from damaged files of known records, nothing is kept that nobody wrote', { timeout: budgetMs(120_000, 900_000) }, async () => {
  const numRuns = scale(1000, 40_000);
  const s = await runInWorker<OracleSummary>(properties, 'readerOracle', { numRuns, seed: seed + 3 }, STALL_MS);
  assert.equal(s.cases, numRuns);
  // The generator must reach both outcomes, or the oracle proves little.
  assert.ok(s.original > numRuns, `records read back: ${s.original}`);
  assert.ok(s.notUtf8 > 0, 'some files re-encoded as UTF-16/32 were recognised');
  recordFigures({
    test: 'property-reader-oracle',
    injects: 'known records, then truncation, torn records spliced onto the next, NUL holes, raw newlines in strings, pretty-printing, fused lines, CR-only or UTF-16/UTF-32 re-encoding (either byte order, BOM or not, Latin or Japanese first key)',
    figures: { cases: s.cases, recordsKeptThatWereWritten: s.original, suffixValuesKept: s.suffixValues, damageLeftValidJson: s.damageLeftValidJson, inventedRecords: 0, notUtf8Files: s.notUtf8, problems: s.problems, seed: seed + 3 },
  });
});

test('reader: records with nested values torn anywhere, then a newline or the next record: nothing kept that nobody wrote', { timeout: budgetMs(120_000, 900_000) }, async () => {
  const numRuns = scale(1000, 40_000);
  const s = await runInWorker<TornNestedSummary>(properties, 'readerTornNested', { numRuns, seed: seed + 4 }, STALL_MS);
  assert.equal(s.cases, numRuns);
  assert.ok(s.tears > numRuns / 2 && s.appended > numRuns / 10, `tears ${s.tears}, appended ${s.appended}`);
  recordFigures({
    test: 'property-reader-torn-nested',
    injects: 'records of nested objects/arrays (strings with JSON in them), each torn at a random byte or not, followed by a newline or directly by the next record',
    figures: { cases: s.cases, tornRecords: s.tears, tornThenAppended: s.appended, recordsKept: s.kept, wholeRecordsNotKept: s.notKept, inventedRecords: 0, seed: seed + 4 },
  });
});

test('repair: lossless to the byte (kept + quarantined + formatting = original) and idempotent', { timeout: budgetMs(120_000, 900_000) }, async () => {
  const numRuns = scale(400, 20_000);
  const s = await runInWorker<RepairSummary>(properties, 'repairProperties', { numRuns, seed: seed + 2 }, STALL_MS);
  assert.equal(s.cases, numRuns);
  recordFigures({
    test: 'property-repair',
    injects: 'the same damaged and random inputs, repaired twice on real files',
    figures: { cases: s.cases, changed: s.changed, kept: s.kept, quarantined: s.quarantined, quarantinedBytes: s.quarantinedBytes, formattingBytesDropped: s.formattingBytes, refusedNotUtf8: s.refusedNotUtf8, refusedInterleavedNul: s.refusedInterleavedNul, bytesLost: 0, seed: seed + 2 },
  });
});
