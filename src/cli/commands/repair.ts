// `repair FILE [--json]`
import { joinAsOpened } from '../../core/lock-target';
import { repairJsonl } from '../../core/jsonl-repair';
import { oneLine } from '../../core/one-line';
import { parseCommand } from '../args';
import { EXIT_OK, UsageError, type CommandContext } from '../context';

export async function repairCommand(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand('repair', args, { json: { type: 'boolean' } });
  if (positionals.length !== 1) throw new UsageError('repair: expected exactly one FILE', 'repair');
  const result = await repairJsonl(joinAsOpened(ctx.cwd, positionals[0] as string));
  if (values.json) {
    ctx.stdout(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    ctx.stdout(
      `${oneLine(result.file)}: kept ${result.kept}, recovered ${result.recovered}, quarantined ${result.quarantined} ` +
        `(${result.quarantinedBytes} bytes)${result.changed ? '' : '; file unchanged'}\n`,
    );
    if (result.quarantinePath) ctx.stdout(`quarantine: ${oneLine(result.quarantinePath)}\n`);
  }
  return EXIT_OK;
}
