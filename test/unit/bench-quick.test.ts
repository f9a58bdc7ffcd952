import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { verifyAppends } from '../../bench/fig-append';
import { ensureJsonlData } from '../../bench/jsonl-data';
import { parseOptions } from '../../bench/options';
import type { BenchResults } from '../../bench/results';
import { cleanupTracked, tempDir as tempFolder } from '../helpers/processes';

// Runs `npm run bench -- --quick` once into a temp dir and checks what it wrote is well-formed.
// Timings are not checked: numbers belong in the benchmark report, not in pass/fail tests.

const MAIN = path.resolve(__dirname, '..', '..', 'bench', 'main.js');
const COMMITTED = path.resolve(__dirname, '..', '..', '..', 'bench', 'results.json');

const tempDir = (): string => tempFolder('bench-test');
afterEach(cleanupTracked);

describe('bench quick mode', () => {
  test('without --out, a quick run writes to a new temporary folder, never the published bench/ and docs/ files', () => {
    const root = path.resolve(__dirname, '..', '..', '..');
    const quick = parseOptions(['--quick'], root);
    try {
      assert.ok(quick.outDir, 'a quick run must have an output folder of its own');
      assert.ok(quick.outDir.startsWith(os.tmpdir()), quick.outDir);
      assert.ok(fs.statSync(quick.outDir).isDirectory());
      const other = parseOptions(['--quick'], root).outDir;
      if (other) fs.rmSync(other, { recursive: true, force: true });
      assert.notEqual(other, quick.outDir, 'each quick run gets its own folder');
      assert.equal(parseOptions([], root).outDir, null, 'a full run writes the published files');
      assert.equal(parseOptions(['--quick', '--out', '/tmp/x'], root).outDir, '/tmp/x');
    } finally {
      if (quick.outDir) fs.rmSync(quick.outDir, { recursive: true, force: true });
    }
  });

  test('writes well-formed results.json and benchmarks.md to --out, not the committed files', { timeout: 180_000 }, async () => {
    const dir = tempDir();
    const committedBefore = fs.existsSync(COMMITTED) ? fs.readFileSync(COMMITTED, 'utf8') : null;
    try {
      const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) => {
        execFile(
          process.execPath,
          [MAIN, '--quick', '--out', dir, '--data', path.join(dir, 'data')],
          { maxBuffer: 16 * 1024 * 1024 },
          (err, out, errOut) => (err ? reject(new Error(`${err.message}\n${errOut.slice(-3000)}`)) : resolve({ stdout: out })),
        );
      });
      assert.match(stdout, /Measure/);
      const results = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8')) as BenchResults;
      assert.equal(results.schemaVersion, 1);
      assert.equal(results.mode, 'quick');
      assert.equal(typeof results.machine.cpuModel, 'string');
      assert.ok(results.machine.cores >= 1);
      assert.ok(results.machine.ramGiB > 0);
      assert.match(results.machine.node, /^v\d+/);
      assert.ok(!Number.isNaN(Date.parse(results.machine.date)));
      assert.deepEqual(
        results.figures.map((f) => f.id),
        [1, 2, 3, 4, 5, 6, 7, 8],
      );
      let targets = 0;
      for (const f of results.figures) {
        assert.ok(f.rows.length > 0, `figure ${f.id} has rows`);
        for (const r of f.rows) {
          assert.notEqual(r.name, 'figure failed', `figure ${f.id} failed: ${r.note ?? ''}`);
          assert.equal(typeof r.name, 'string');
          assert.equal(typeof r.unit, 'string');
          assert.ok(r.value === null || Number.isFinite(r.value), `${r.name}: value ${r.value}`);
          if (r.value === null) assert.ok(r.note, `${r.name}: a missing value is explained`);
          if (r.ratio !== undefined && r.ratio !== null) {
            assert.ok(r.baseline && r.baseline.value !== null && r.value !== null);
            assert.ok(Math.abs(r.ratio - r.value / r.baseline.value) < 1e-9 * Math.max(1, r.ratio), `${r.name}: ratio is value/baseline`);
          }
          if (r.target) {
            targets++;
            assert.ok(r.target.pass === null || typeof r.target.pass === 'boolean');
          }
        }
      }
      const s = results.summary;
      assert.equal(s.targets, targets);
      assert.equal(s.passed + s.failed + s.notMeasured, s.targets);
      const md = fs.readFileSync(path.join(dir, 'benchmarks.md'), 'utf8');
      assert.match(md, /^# Benchmarks/);
      assert.match(md, /\| # \| Measure \| Value \| Baseline \| Ratio \| Target \| Result \|/);
      assert.ok(md.includes(results.machine.cpuModel));
      // The quick run must not overwrite the committed full-run results.
      assert.equal(fs.existsSync(COMMITTED) ? fs.readFileSync(COMMITTED, 'utf8') : null, committedBefore);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('bench checkers', () => {
  test('verifyAppends checks every acknowledged record is present exactly once, whole and in order', () => {
    const dir = tempDir();
    try {
      const file = path.join(dir, 'a.jsonl');
      const line = (w: number, seq: number): string => JSON.stringify({ w, seq, pad: 'x' }) + '\n';
      const two: { writer: number; attempted: number; failedSeqs: number[] }[] = [
        { writer: 0, attempted: 2, failedSeqs: [] },
        { writer: 1, attempted: 2, failedSeqs: [] },
      ];
      const clean = { lines: 4, lost: 0, duplicated: 0, torn: 0, outOfOrder: 0, unacknowledged: 0 };
      fs.writeFileSync(file, line(0, 0) + line(1, 0) + line(0, 1) + line(1, 1));
      assert.deepEqual(verifyAppends(file, two), clean);
      // One kind of damage at a time, each counted as itself.
      const cases: { text: string; writers?: typeof two; want: Partial<typeof clean> }[] = [
        { text: line(0, 0) + line(1, 0) + line(0, 1), want: { lines: 3, lost: 1 } },
        { text: line(0, 0) + line(1, 0) + line(0, 1) + line(1, 1) + line(1, 1), want: { lines: 5, duplicated: 1, outOfOrder: 1 } },
        // Two writes mixed into one line: both records are lost and the line is torn.
        { text: line(0, 0) + '{"w":1,"se{"w":0,"seq":1}\n' + line(1, 1), want: { lines: 3, lost: 2, torn: 1 } },
        // A cut write that still parses, and a record of a writer that does not exist.
        { text: line(0, 0) + line(1, 0) + line(0, 1) + '{"w":1}\n' + line(7, 0), want: { lines: 5, lost: 1, torn: 2 } },
        { text: line(0, 0) + line(1, 1) + line(0, 1) + line(1, 0), want: { lines: 4, outOfOrder: 1 } },
        // A record whose append reported failure (written, then the lock was found lost).
        {
          text: line(0, 0) + line(1, 0) + line(0, 1) + line(1, 1),
          writers: [two[0]!, { writer: 1, attempted: 2, failedSeqs: [1] }],
          want: { unacknowledged: 1 },
        },
        { text: line(0, 0) + line(1, 0) + line(0, 1), writers: [two[0]!, { writer: 1, attempted: 2, failedSeqs: [1] }], want: { lines: 3 } },
      ];
      for (const c of cases) {
        fs.writeFileSync(file, c.text);
        assert.deepEqual(verifyAppends(file, c.writers ?? two), { ...clean, ...c.want }, c.text);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('generated JSONL data is deterministic and has the requested corruption', () => {
    const a = tempDir();
    const b = tempDir();
    try {
      const params = { bytes: 300_000, recordBytes: 1000, corruptFraction: 0.05, seed: 42 };
      const one = ensureJsonlData(a, params);
      const two = ensureJsonlData(b, params);
      assert.ok(fs.readFileSync(one.file).equals(fs.readFileSync(two.file)));
      assert.equal(one.meta.bytes, fs.statSync(one.file).size);
      assert.ok(one.meta.bytes >= params.bytes);
      let parsed = 0;
      for (const l of fs.readFileSync(one.file, 'utf8').split('\n')) {
        if (l === '') continue;
        try {
          JSON.parse(l);
          parsed++;
        } catch {
          // corrupted on purpose
        }
      }
      assert.ok(one.meta.corruptLines > 0);
      // Lines damaged only by invalid UTF-8 may still parse once decoded to U+FFFD.
      assert.ok(parsed >= one.meta.goodLines && parsed < one.meta.lines, `${parsed} of ${one.meta.lines} parse`);
      // A second call reuses the cached file.
      const mtime = fs.statSync(one.file).mtimeMs;
      assert.equal(fs.statSync(ensureJsonlData(a, params).file).mtimeMs, mtime);
    } finally {
      fs.rmSync(a, { recursive: true, force: true });
      fs.rmSync(b, { recursive: true, force: true });
    }
  });
});
