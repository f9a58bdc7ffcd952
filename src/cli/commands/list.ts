// `list [--json] [--all]`
import type { SessionProblem } from '../../core/session-store';
import { noPositionals, parseCommand } from '../args';
import { EXIT_OK, printWarning, type CommandContext } from '../context';
import { sessionJson, sessionsTable } from '../format';
import { withStore } from './store';

/** More than this many skipped entries are summarised instead of listed one by one. */
const MAX_PROBLEMS_SHOWN = 10;

export async function listCommand(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand('list', args, { json: { type: 'boolean' }, all: { type: 'boolean' } });
  noPositionals('list', positionals);
  const problems: SessionProblem[] = [];
  const { sessions, location } = await withStore(ctx, async (registry) => ({
    sessions: await registry.list({ includeArchived: values.all === true, onProblem: (p) => problems.push(p) }),
    location: registry.location,
  }));
  for (const p of problems.slice(0, MAX_PROBLEMS_SHOWN)) printWarning(ctx, `skipped ${p.kind}: ${p.message}`);
  if (problems.length > MAX_PROBLEMS_SHOWN) printWarning(ctx, `… and ${problems.length - MAX_PROBLEMS_SHOWN} more skipped entries`);
  if (values.json) {
    ctx.stdout(`${JSON.stringify(sessions.map(sessionJson), null, 2)}\n`);
  } else if (sessions.length === 0) {
    ctx.stdout(`No sessions in ${location}\n`);
  } else {
    ctx.stdout(sessionsTable(sessions, values.all === true));
  }
  return EXIT_OK;
}
