// `check FILE [--json] [--max-line-bytes N] [--threads N]`
import { availableParallelism } from 'node:os';
import { promises as fsp } from 'node:fs';
import { fileAsOpened } from '../../core/lock-target';
import type { JsonlProblem } from '../../core/jsonl-reader';
import { scanJsonl } from '../../core/jsonl-reader';
import { parseCommand, pathArgument } from '../args';
import { EXIT_OK, EXIT_PROBLEM, UsageError, type CommandContext } from '../context';
import { oneLine } from '../../core/one-line';
import { maxLineBytesOption } from './max-line-bytes';
import { formatCount, formatPercent } from '../../core/number-format';
import { describeProblem } from '../../core/problem-text';

/** At most this many threads by default: reading from the page cache stops scaling about there. */
const DEFAULT_MAX_THREADS = 4;
const MAX_THREADS = 64;
/**
 * With --threads given, threads are used from this many bytes per thread: the user asked, and
 * below it a worker cannot pay off on any machine. Without it, the library's default applies
 * (DEFAULT_MIN_BYTES_PER_THREAD, 128 MiB: where a worker paid off on the benchmark machine).
 */
const ASKED_MIN_BYTES_PER_THREAD = 16 * 1024 * 1024;

/** The --threads value (default: the cores, at most 4); a UsageError unless a whole number 1..64. */
function threadsOption(value: string | boolean | string[] | undefined): number {
  if (value === undefined) return Math.max(1, Math.min(DEFAULT_MAX_THREADS, availableParallelism()));
  const text = typeof value === 'string' ? value : '';
  const n = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= MAX_THREADS)) {
    throw new UsageError(`check: --threads must be a whole number from 1 to ${MAX_THREADS}, got ${JSON.stringify(text)}`, 'check');
  }
  return n;
}

/**
 * Exit 0 only when FILE is strict JSON Lines: every line one JSON value in UTF-8, '\n' or '\r\n'
 * endings, no BOM. Any problem, damage or format, exits 1; valid lines over the limit are
 * records (validated by streaming) and do not.
 */
export async function checkCommand(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand('check', args, {
    json: { type: 'boolean' },
    'max-line-bytes': { type: 'string' },
    threads: { type: 'string' },
  });
  if (positionals.length !== 1) throw new UsageError('check: expected exactly one FILE', 'check');
  const maxLineBytes = maxLineBytesOption('check', values['max-line-bytes']);
  const threads = threadsOption(values.threads);
  const file = fileAsOpened(pathArgument('check', 'FILE', positionals[0] as string), ctx.cwd);
  const asked = values.threads !== undefined ? { minBytesPerThread: ASKED_MIN_BYTES_PER_THREAD } : {};
  const result = await scanJsonl(file, { maxLineBytes, threads, ...asked });
  if (values.json) {
    ctx.stdout(`${JSON.stringify({ file, ...result }, null, 2)}\n`);
  } else {
    const n = formatCount;
    const oversized = result.oversized > 0 ? `, ${n(result.oversized)} over ${n(maxLineBytes)} bytes validated unread` : '';
    ctx.stdout(
      `${oneLine(file)}: ${n(result.records)} records (${n(result.recovered)} recovered${oversized}), ` +
        `${n(result.corrupted)} corrupted of ${n(result.lines - result.blank)} lines (${formatPercent(result.corruptionRatio)})\n`,
    );
    // The kind stays in each line for scripts that grep for it; the sentence is for people.
    const spans = await problemSpans(file, result.problems);
    for (const [i, p] of result.problems.entries()) {
      ctx.stdout(`  line ${n(p.line)}, byte ${n(p.offset)}: ${p.kind}: ${oneLine(describeProblem(p, spans[i]))}\n`);
    }
    if (result.problemCount > result.problems.length) {
      ctx.stdout(`  … and ${n(result.problemCount - result.problems.length)} more problems\n`);
    }
    if (result.problemCount > 0 && result.corrupted === 0 && result.problemsByKind['not-utf8'] === 0) {
      ctx.stdout('  not strict JSON Lines, but nothing is damaged: repair rewrites it without loss\n');
    }
    if (result.warn) ctx.stdout('  warning: more than 10% of the lines are corrupted\n');
  }
  return result.problemCount > 0 ? EXIT_PROBLEM : EXIT_OK;
}

/** Damaged spans up to this size are read back to say what is wrong with them. */
const SPAN_READ_BYTES = 64 * 1024;

/**
 * The bytes of each shown invalid-json / invalid-utf8 problem (the streaming scan keeps none),
 * so its sentence can say why (an open string, a cut-off record, the bad byte). Best effort: a
 * file that changed or cannot be read again leaves the plain sentence.
 */
async function problemSpans(file: string, problems: readonly JsonlProblem[]): Promise<(Buffer | undefined)[]> {
  const spans: (Buffer | undefined)[] = problems.map(() => undefined);
  if (!problems.some((p) => p.kind === 'invalid-json' || p.kind === 'invalid-utf8')) return spans;
  const fh = await fsp.open(file, 'r').catch(() => undefined);
  if (!fh) return spans;
  try {
    for (const [i, p] of problems.entries()) {
      if ((p.kind !== 'invalid-json' && p.kind !== 'invalid-utf8') || p.length > SPAN_READ_BYTES) continue;
      const buf = Buffer.alloc(p.length);
      const { bytesRead } = await fh.read(buf, 0, p.length, p.offset);
      if (bytesRead === p.length) spans[i] = buf;
    }
  } finally {
    await fh.close();
  }
  return spans;
}
