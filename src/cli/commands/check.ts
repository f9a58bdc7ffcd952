// `check FILE [--json] [--max-line-bytes N] [--threads N]`
import { availableParallelism } from 'node:os';
import { fileAsOpened } from '../../core/lock-target';
import { scanJsonl } from '../../core/jsonl-reader';
import { parseCommand } from '../args';
import { EXIT_OK, EXIT_PROBLEM, UsageError, type CommandContext } from '../context';
import { oneLine } from '../../core/one-line';
import { maxLineBytesOption } from './max-line-bytes';

/** At most this many threads by default: reading from the page cache stops scaling about there. */
const DEFAULT_MAX_THREADS = 4;
const MAX_THREADS = 64;

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
  const file = fileAsOpened(positionals[0] as string, ctx.cwd);
  const result = await scanJsonl(file, { maxLineBytes, threads });
  if (values.json) {
    ctx.stdout(`${JSON.stringify({ file, ...result }, null, 2)}\n`);
  } else {
    const pct = (result.corruptionRatio * 100).toFixed(1);
    const oversized = result.oversized > 0 ? `, ${result.oversized} over ${maxLineBytes} bytes validated unread` : '';
    ctx.stdout(
      `${oneLine(file)}: ${result.records} records (${result.recovered} recovered${oversized}), ` +
        `${result.corrupted} corrupted of ${result.lines - result.blank} lines (${pct}%)\n`,
    );
    for (const p of result.problems) {
      ctx.stdout(`  line ${p.line}, byte ${p.offset}: ${p.kind}: ${oneLine(p.message)}\n`);
    }
    if (result.problemCount > result.problems.length) {
      ctx.stdout(`  … and ${result.problemCount - result.problems.length} more problems\n`);
    }
    if (result.problemCount > 0 && result.corrupted === 0 && result.problemsByKind['not-utf8'] === 0) {
      ctx.stdout('  not strict JSON Lines, but nothing is damaged: repair rewrites it without loss\n');
    }
    if (result.warn) ctx.stdout('  warning: more than 10% of the lines are corrupted\n');
  }
  return result.problemCount > 0 ? EXIT_PROBLEM : EXIT_OK;
}
