// `archive ID... [--json]` and `archive --stale [--json]`
import { assertSessionId } from '../../core/session-record';
import type { ArchiveResult } from '../../core/session-store';
import { parseCommand } from '../args';
import { EXIT_ERROR, EXIT_OK, printError, UsageError, type CommandContext } from '../context';
import { withStore } from './store';

export async function archiveCommand(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand('archive', args, { stale: { type: 'boolean' }, json: { type: 'boolean' } });
  if (values.stale && positionals.length > 0) throw new UsageError('archive: give session ids or --stale, not both', 'archive');
  if (!values.stale && positionals.length === 0) throw new UsageError('archive: expected session ids or --stale', 'archive');
  for (const id of positionals) assertSessionId(id);

  let failed = false;
  const fail = (message: string): void => {
    failed = true;
    printError(ctx, message);
  };
  const results: ArchiveResult[] = [];
  await withStore(
    ctx,
    async (store) => {
      if (values.stale) {
        // An explicit request: no grace period, every stale session goes now.
        results.push(...(await store.cleanup({ staleGraceMs: 0 })));
      } else {
        for (const id of positionals) {
          try {
            results.push(await store.archive(id));
          } catch (err) {
            fail(`archive ${id}: ${(err as Error).message}`);
          }
        }
      }
    },
    { onError: (err, context) => fail(`${context}: ${(err as Error)?.message ?? String(err)}`) },
  );
  if (values.json) {
    ctx.stdout(`${JSON.stringify(results, null, 2)}\n`);
  } else {
    for (const r of results) {
      const to = r.moved.map((m) => m.to).join(', ') || 'nothing to move';
      ctx.stdout(`archived ${r.id} (${r.state ?? 'invalid record'}) -> ${to}\n`);
    }
    if (values.stale && results.length === 0 && !failed) ctx.stdout('no stale or closed sessions\n');
  }
  return failed ? EXIT_ERROR : EXIT_OK;
}
