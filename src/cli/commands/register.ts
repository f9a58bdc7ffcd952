// `register [--label L] [--pid PID] [--tool T] [--workspace DIR]... [--interval MS] [--unresponsive-after MS] [--expire-after MS] [--grace MS]`
import * as path from 'node:path';
import { LIMITS } from '../../core/session-record';
import { intOption, noPositionals, parseCommand, stringOption } from '../args';
import { EXIT_OK, type CommandContext } from '../context';
import { TIMING_OPTIONS, timingOptions } from '../timing-options';
import { openStore } from './store';

export async function registerCommand(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand('register', args, {
    label: { type: 'string' },
    pid: { type: 'string' },
    tool: { type: 'string' },
    workspace: { type: 'string', multiple: true },
    ...TIMING_OPTIONS,
  });
  noPositionals('register', positionals);
  const pid = intOption('register', values, 'pid', 1, LIMITS.pid) ?? process.ppid;
  const { staleGraceMs, ...timing } = timingOptions('register', values);
  const workspaces = (values.workspace as string[] | undefined) ?? [];
  const store = await openStore(ctx, staleGraceMs !== undefined ? { staleGraceMs } : {});
  try {
    const record = await store.create({
    label: stringOption(values, 'label') ?? '',
    pid,
    tool: stringOption(values, 'tool') ?? 'session-keeper-cli',
    workspaceFolders: workspaces.map((w) => path.resolve(ctx.cwd, w)),
      ...timing,
    });
    ctx.stdout(`${record.id}\n`);
  } finally {
    // Let the cleanup that create() started finish, so exiting never interrupts an archive move.
    await store.dispose();
  }
  return EXIT_OK;
}
