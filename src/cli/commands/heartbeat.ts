// `heartbeat ID` and `close ID`
import { assertSessionId } from '../../core/session-record';
import { parseCommand } from '../args';
import { EXIT_OK, UsageError, type CommandContext } from '../context';
import { withStore } from './store';

function oneId(command: string, args: string[]): string {
  const { positionals } = parseCommand(command, args, {});
  if (positionals.length !== 1) throw new UsageError(`${command}: expected exactly one session id`, command);
  const id = positionals[0] as string;
  assertSessionId(id);
  return id;
}

export async function heartbeatCommand(ctx: CommandContext, args: string[]): Promise<number> {
  const id = oneId('heartbeat', args);
  await withStore(ctx, (registry) => registry.heartbeat(id));
  return EXIT_OK;
}

export async function closeCommand(ctx: CommandContext, args: string[]): Promise<number> {
  const id = oneId('close', args);
  await withStore(ctx, (registry) => registry.close(id));
  return EXIT_OK;
}
