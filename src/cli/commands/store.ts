// The store a command works on, with background errors printed as warnings.
import { SessionStore, type StoreOptions } from '../../core/session-store';
import { printWarning, type CommandContext } from '../context';

export function openStore(ctx: CommandContext, options: StoreOptions = {}): SessionStore {
  return new SessionStore(ctx.dir, {
    onError: (err, context) => printWarning(ctx, `${context}: ${(err as Error)?.message ?? String(err)}`),
    ...ctx.storeOptions,
    ...options,
  });
}
