import * as fs from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadCore } from './core';

/**
 * Child process of figure 1: the editor diagnostics' scan (src/core/jsonl-text-scan.ts, what
 * src/ui/jsonl-diagnostics.ts runs in the extension host) over a document of the first N MB of
 * FILE held as a string, with perf_hooks.monitorEventLoopDelay watching the event loop. Prints
 * one JSON line: the longest delay of the loop (ms), the scan's time, what it found.
 * Usage: diagnostics-worker FILE MB
 */

type TextScanModule = typeof import('../src/core/jsonl-text-scan');

async function main(): Promise<void> {
  const [file, mb = '40'] = process.argv.slice(2) as [string, string?];
  const fd = fs.openSync(file, 'r');
  const bytes = Buffer.alloc(Number(mb) * 1e6);
  const got = fs.readSync(fd, bytes, 0, bytes.length, 0);
  fs.closeSync(fd);
  // Cut after the last whole line, as a document would hold it.
  const text = bytes.subarray(0, bytes.lastIndexOf(0x0a, got - 1) + 1).toString('utf8');
  const { scanText } = loadCore<TextScanModule>('jsonl-text-scan');
  const source = { length: text.length, text: (a: number, b: number) => text.slice(a, b) };
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  // A timer keeps the loop's own turns measured while the scan yields with setImmediate.
  const tick = setInterval(() => undefined, 1);
  histogram.enable();
  const start = process.hrtime.bigint();
  const result = await scanText(source, { maxFindings: 1000 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  histogram.disable();
  clearInterval(tick);
  process.stdout.write(
    `${JSON.stringify({ maxDelayMs: histogram.max / 1e6, p99DelayMs: histogram.percentile(99) / 1e6, ms, chars: text.length, findings: result?.findings.length ?? 0, problems: result?.stats.problemCount ?? 0 })}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
