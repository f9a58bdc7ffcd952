// `list [--json] [--all]`. With --all the archive is streamed one day at a time, so memory stays
// the same however many sessions a year of use has archived.
import type { SessionInfo, SessionProblem } from '../../core/session-store';
import { noPositionals, parseCommand } from '../args';
import { EXIT_OK, printWarning, type CommandContext } from '../context';
import { sessionJson, sessionsTable, sessionsTableRows } from '../format';
import { withStore } from './store';

/** More than this many skipped entries are summarised instead of listed one by one. */
const MAX_PROBLEMS_SHOWN = 10;

export async function listCommand(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand('list', args, { json: { type: 'boolean' }, all: { type: 'boolean' } });
  noPositionals('list', positionals);
  let problemCount = 0;
  const onProblem = (p: SessionProblem): void => {
    if (++problemCount <= MAX_PROBLEMS_SHOWN) printWarning(ctx, `skipped ${p.kind}: ${p.message}`);
  };
  // One pass over the archive: caching days would only hold what was already printed.
  await withStore(
    ctx,
    async (registry) => {
      const live = await registry.list({ onProblem });
      if (values.all) {
        const out = values.json ? jsonArrayWriter(ctx) : tableWriter(ctx, registry.location);
        await out.write(live);
        for (const day of await registry.listArchiveDays()) {
          const { sessions, problems } = await registry.listArchivedOn(day);
          problems.forEach(onProblem);
          await out.write(sessions);
        }
        out.end();
      } else if (values.json) {
        ctx.stdout(`${JSON.stringify(live.map(sessionJson), null, 2)}\n`);
      } else if (live.length === 0) {
        ctx.stdout(`No sessions in ${registry.location}\n`);
      } else {
        ctx.stdout(sessionsTable(live, false));
      }
    },
    { archiveCacheDays: 0 },
  );
  if (problemCount > MAX_PROBLEMS_SHOWN) printWarning(ctx, `… and ${problemCount - MAX_PROBLEMS_SHOWN} more skipped entries`);
  return EXIT_OK;
}

interface ChunkWriter {
  /** Writes the next sessions, then waits until stdout has taken them. */
  write(sessions: SessionInfo[]): Promise<void>;
  end(): void;
}

/** One JSON array written element by element: the same bytes as JSON.stringify(all, null, 2). */
function jsonArrayWriter(ctx: CommandContext): ChunkWriter {
  let count = 0;
  return {
    async write(sessions) {
      if (sessions.length === 0) return;
      const items = sessions.map((s) => `  ${JSON.stringify(sessionJson(s), null, 2).replace(/\n/g, '\n  ')}`);
      ctx.stdout(`${count === 0 ? '[\n' : ',\n'}${items.join(',\n')}`);
      count += sessions.length;
      await ctx.drained?.();
    },
    end() {
      ctx.stdout(count === 0 ? '[]\n' : '\n]\n');
    },
  };
}

/** The table with fixed column widths, so rows can be written before all are known. */
function tableWriter(ctx: CommandContext, location: string): ChunkWriter {
  let count = 0;
  return {
    async write(sessions) {
      if (sessions.length === 0) return;
      ctx.stdout(sessionsTableRows(sessions, true, count === 0));
      count += sessions.length;
      await ctx.drained?.();
    },
    end() {
      if (count === 0) ctx.stdout(`No sessions in ${location}\n`);
    },
  };
}
