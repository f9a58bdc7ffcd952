// `append FILE JSON`
import { joinAsOpened } from '../../core/lock-target';
import { appendJsonlLine } from '../../core/jsonl-append';
import { parseCommand, pathArgument } from '../args';
import { EXIT_OK, UsageError, type CommandContext } from '../context';

export async function appendCommand(ctx: CommandContext, args: string[]): Promise<number> {
  const { positionals } = parseCommand('append', args, {});
  if (positionals.length !== 2) throw new UsageError('append: expected FILE and one JSON argument', 'append');
  const [file, json] = positionals as [string, string];
  try {
    await appendJsonlLine(joinAsOpened(ctx.cwd, pathArgument('append', 'FILE', file)), json);
  } catch (err) {
    // The only SyntaxError here is our own validation: bad input is a usage error.
    if (err instanceof SyntaxError) throw new UsageError(`append: invalid JSON: ${err.message}`, 'append');
    throw err;
  }
  return EXIT_OK;
}
