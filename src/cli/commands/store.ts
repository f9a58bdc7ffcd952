// The store a command works on, with background errors printed as warnings.
import { oneLine } from '../../core/one-line';
import { SessionStore, type ArchiveResult, type StoreOptions } from '../../core/session-store';
import { printWarning, type CommandContext } from '../context';

export function openStore(ctx: CommandContext, options: StoreOptions = {}): SessionStore {
  // register and run tell what their automatic cleanup archived: one line each on stderr.
  const onCleanupAfterCreate = (archived: ArchiveResult[]): void => {
    for (const a of archived) {
      ctx.stderr(`session-keeper: cleanup archived ${a.id} (${oneLine(a.label ?? '', 200) || 'no label'}; ${a.state ?? 'invalid record'}: ${oneLine(a.reason, 500)})\n`);
    }
  };
  return new SessionStore(ctx.dir, {
    onError: (err, context) => printWarning(ctx, `${context}: ${(err as Error)?.message ?? String(err)}`),
    onCleanupAfterCreate,
    ...ctx.storeOptions,
    ...options,
  });
}
