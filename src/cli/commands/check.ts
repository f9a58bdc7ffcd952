// `check FILE [--json]`
import { fileAsOpened } from '../../core/lock-target';
import { scanJsonl } from '../../core/jsonl-reader';
import { parseCommand } from '../args';
import { EXIT_OK, EXIT_PROBLEM, UsageError, type CommandContext } from '../context';
import { oneLine } from '../../core/one-line';

export async function checkCommand(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand('check', args, { json: { type: 'boolean' } });
  if (positionals.length !== 1) throw new UsageError('check: expected exactly one FILE', 'check');
  const file = fileAsOpened(positionals[0] as string, ctx.cwd);
  const result = await scanJsonl(file);
  if (values.json) {
    ctx.stdout(`${JSON.stringify({ file, ...result }, null, 2)}\n`);
  } else {
    const pct = (result.corruptionRatio * 100).toFixed(1);
    ctx.stdout(
      `${oneLine(file)}: ${result.records} records (${result.recovered} recovered), ` +
        `${result.corrupted} corrupted of ${result.lines - result.blank} lines (${pct}%)\n`,
    );
    for (const p of result.problems) {
      ctx.stdout(`  line ${p.line}, byte ${p.offset}: ${p.kind}: ${oneLine(p.message)}\n`);
    }
    if (result.problemCount > result.problems.length) {
      ctx.stdout(`  … and ${result.problemCount - result.problems.length} more problems\n`);
    }
    if (result.warn) ctx.stdout('  warning: more than 10% of the lines are corrupted\n');
  }
  return result.corrupted > 0 ? EXIT_PROBLEM : EXIT_OK;
}
