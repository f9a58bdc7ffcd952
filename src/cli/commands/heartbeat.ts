// `heartbeat ID` and `close ID`
import { assertSessionId } from '../../core/session-record';
import { parseCommand } from '../args';
import { EXIT_OK, UsageError, type CommandContext } from '../context';
import { openStore } from './store';

function oneId(command: string, args: string[]): string {
  const { positionals } = parseCommand(command, args, {});
  if (positionals.length !== 1) throw new UsageError(`${command}: expected exactly one session id`, command);
  const id = positionals[0] as string;
  assertSessionId(id);
  return id;
}

export async function heartbeatCommand(ctx: CommandContext, args: string[]): Promise<number> {
  await openStore(ctx).heartbeat(oneId('heartbeat', args));
  return EXIT_OK;
}

export async function closeCommand(ctx: CommandContext, args: string[]): Promise<number> {
  await openStore(ctx).close(oneId('close', args));
  return EXIT_OK;
}
