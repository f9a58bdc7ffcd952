// `archive ID... [--json]`, `archive --stale [--json]`, and the opt-in retention
// `archive --prune-older-than DAYS` (alone or with either). Pruning lives here, not in a command
// of its own, because this is the one command that changes the archive, and `--stale
// --prune-older-than N` is the whole maintenance (what the extension's cleanup does) in one call.
import { assertSessionId } from '../../core/session-record';
import { errorText } from '../../core/error-text';
import { isRetentionDays, MAX_RETENTION_DAYS, type ArchiveResult, type PrunedDay } from '../../core/session-store';
import { parseCommand } from '../args';
import { EXIT_ERROR, EXIT_OK, printError, UsageError, type CommandContext } from '../context';
import { withStore } from './store';

export async function archiveCommand(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand('archive', args, {
    stale: { type: 'boolean' },
    json: { type: 'boolean' },
    'prune-older-than': { type: 'string' },
  });
  const prune = values['prune-older-than'] === undefined ? undefined : retentionDays(String(values['prune-older-than']));
  if (values.stale && positionals.length > 0) throw new UsageError('archive: give session ids or --stale, not both', 'archive');
  if (!values.stale && positionals.length === 0 && prune === undefined) {
    throw new UsageError('archive: expected session ids, --stale or --prune-older-than DAYS', 'archive');
  }
  for (const id of positionals) assertSessionId(id);

  let failed = false;
  const fail = (message: string): void => {
    failed = true;
    printError(ctx, message);
  };
  const results: ArchiveResult[] = [];
  let pruned: PrunedDay[] = [];
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
            fail(`archive ${id}: ${errorText(err)}`);
          }
        }
      }
      if (prune !== undefined) {
        try {
          pruned = await store.pruneArchive(prune);
        } catch (err) {
          fail(`archive --prune-older-than: ${errorText(err)}`);
        }
      }
    },
    { onError: (err, context) => fail(`${context}: ${errorText(err)}`) },
  );
  if (values.json) {
    // The array of archived sessions as before; pruning alone prints {pruned}, both print both.
    const json = prune === undefined ? results : values.stale || positionals.length > 0 ? { archived: results, pruned } : { pruned };
    ctx.stdout(`${JSON.stringify(json, null, 2)}\n`);
  } else {
    for (const r of results) {
      const to = r.moved.map((m) => m.to).join(', ') || 'nothing to move';
      ctx.stdout(`archived ${r.id} (${r.state ?? 'invalid record'}) -> ${to}\n`);
    }
    if (values.stale && results.length === 0 && !failed) ctx.stdout('no stale or closed sessions\n');
    for (const p of pruned) ctx.stdout(`deleted archive day ${p.day} (${p.files} files) ${p.dir}\n`);
    if (prune !== undefined && pruned.length === 0 && !failed) ctx.stdout(`no archive days older than ${prune} days\n`);
  }
  return failed ? EXIT_ERROR : EXIT_OK;
}

/** The value of --prune-older-than: whole days, at least 1 (0 would delete all but today, surely not meant). */
function retentionDays(text: string): number {
  const days = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!isRetentionDays(days)) {
    throw new UsageError(`archive: --prune-older-than expects whole days from 1 to ${MAX_RETENTION_DAYS}, got ${JSON.stringify(text)}`, 'archive');
  }
  return days;
}
