import * as fs from 'node:fs';
import { peakRssMB } from './child';
import { loadCore, type ReaderModule } from './core';

/**
 * Child process of the JSONL peers (fig-jsonl-peers.ts), one reader per run, started as a whole
 * process (the parent times it from spawn to exit) and printing one JSON line of what it found:
 *   bound FILE          the in-process bound: the file read into memory first (untimed), then
 *                       UTF-8 decode + split + JSON.parse of every line, timed inside (`ms`)
 *   duckdb FILE N       DuckDB `read_json(..., ignore_errors=true)` on N threads (count(*))
 *   ndjson FILE         the `ndjson` stream parser (non-strict: bad lines are skipped)
 *   scan FILE N         scanJsonl without callbacks on N threads, as `check` runs it, for its
 *                       peak RSS (worker threads share the process)
 */

interface PeerOutput {
  records: number;
  bad: number;
  /** Time measured inside the process (bound only), ms. */
  ms: number | null;
  peakRssMB: number;
}

function bound(file: string): PeerOutput {
  const buf = fs.readFileSync(file);
  const start = process.hrtime.bigint();
  let records = 0;
  let bad = 0;
  for (const line of buf.toString('utf8').split('\n')) {
    if (line.length === 0) continue;
    try {
      JSON.parse(line);
      records++;
    } catch {
      bad++;
    }
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  return { records, bad, ms, peakRssMB: peakRssMB() };
}

async function duckdb(file: string, threads: string): Promise<PeerOutput> {
  // A dev dependency, loaded only here.
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:', { threads });
  const connection = await instance.connect();
  const quoted = file.replace(/'/g, "''");
  const reader = await connection.runAndReadAll(`SELECT count(*) AS n FROM read_json('${quoted}', format = 'newline_delimited', ignore_errors = true)`);
  const n = reader.getRows()[0]?.[0];
  connection.closeSync();
  return { records: Number(n), bad: 0, ms: null, peakRssMB: peakRssMB() };
}

async function ndjsonReader(file: string): Promise<PeerOutput> {
  const { default: ndjson } = await import('ndjson');
  let records = 0;
  let bad = 0;
  await new Promise<void>((resolve, reject) => {
    const parser = ndjson.parse({ strict: false });
    parser.on('data', () => void records++);
    parser.on('invalid', () => void bad++);
    parser.on('end', resolve);
    parser.on('error', reject);
    fs.createReadStream(file).on('error', reject).pipe(parser);
  });
  return { records, bad, ms: null, peakRssMB: peakRssMB() };
}

async function scan(file: string, threads: string): Promise<PeerOutput> {
  const { scanJsonl } = loadCore<ReaderModule>('jsonl-reader');
  const s = await scanJsonl(file, { threads: Number(threads) });
  return { records: s.records, bad: s.corrupted, ms: null, peakRssMB: peakRssMB() };
}

async function main(): Promise<void> {
  const [what, file, arg = '1'] = process.argv.slice(2) as [string, string, string?];
  let out: PeerOutput;
  if (what === 'bound') out = bound(file);
  else if (what === 'duckdb') out = await duckdb(file, arg);
  else if (what === 'ndjson') out = await ndjsonReader(file);
  else if (what === 'scan') out = await scan(file, arg);
  else throw new Error(`unknown peer ${what}`);
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
