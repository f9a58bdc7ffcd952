// `repair FILE [--json] [--max-line-bytes N]`
import { joinAsOpened } from '../../core/lock-target';
import { repairJsonl } from '../../core/jsonl-repair';
import { oneLine } from '../../core/one-line';
import { parseCommand, pathArgument } from '../args';
import { EXIT_OK, UsageError, type CommandContext } from '../context';
import { maxLineBytesOption } from './max-line-bytes';

/** Exit 0 when repaired (or already clean); errors, a file not in UTF-8 included, exit 2 with the file untouched. */
export async function repairCommand(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand('repair', args, { json: { type: 'boolean' }, 'max-line-bytes': { type: 'string' } });
  if (positionals.length !== 1) throw new UsageError('repair: expected exactly one FILE', 'repair');
  const maxLineBytes = maxLineBytesOption('repair', values['max-line-bytes']);
  const result = await repairJsonl(joinAsOpened(ctx.cwd, pathArgument('repair', 'FILE', positionals[0] as string)), { maxLineBytes });
  if (values.json) {
    ctx.stdout(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    ctx.stdout(
      `${oneLine(result.file)}: kept ${result.kept}, recovered ${result.recovered}, quarantined ${result.quarantined} ` +
        `(${result.quarantinedBytes} bytes), reformatted ${result.reformatted}` +
        `${result.crlfEndings > 0 ? `, ${result.crlfEndings} CRLF line endings made LF` : ''}` +
        `${result.finalNewlineAdded ? ', final newline added' : ''}${result.changed ? '' : '; file unchanged'}\n`,
    );
    if (result.quarantinePath) ctx.stdout(`quarantine: ${oneLine(result.quarantinePath)}\n`);
    if (result.kept === 0 && result.changed) ctx.stdout('no record kept: the file is now empty; its bytes are in the quarantine\n');
  }
  return EXIT_OK;
}
