// The registry a command works on, with background errors printed as warnings. Chosen by
// --registry, then --dir, then $SESSION_KEEPER_REGISTRY, $SESSION_KEEPER_DIR, the config file,
// and the default sessions directory (src/core/registry-config.ts).
import { oneLine } from '../../core/one-line';
import { openChosenRegistry } from '../../core/open-registry';
import type { Registry } from '../../core/registry';
import { chooseRegistry } from '../../core/registry-config';
import type { ArchiveResult, StoreOptions } from '../../core/session-store';
import { printWarning, type CommandContext } from '../context';

export interface OpenOptions {
  /**
   * Keep a Redis connection alive through outages (reconnecting with bounded backoff) instead
   * of failing at once: for `run`, which outlives many server restarts.
   */
  persistent?: boolean;
}

/** Opens the command's registry; the caller disposes of it. Rejects like openChosenRegistry. */
export async function openStore(ctx: CommandContext, options: StoreOptions = {}, open: OpenOptions = {}): Promise<Registry> {
  // register and run tell what their automatic cleanup archived: one line each on stderr.
  const onCleanupAfterCreate = (archived: ArchiveResult[]): void => {
    for (const a of archived) {
      ctx.stderr(`session-keeper: cleanup archived ${a.id} (${oneLine(a.label ?? '', 200) || 'no label'}; ${a.state ?? 'invalid record'}: ${oneLine(a.reason, 500)})\n`);
    }
  };
  const choice = chooseRegistry({
    ...(ctx.registry !== undefined ? { registry: ctx.registry } : {}),
    ...(ctx.dirGiven ? { dir: ctx.dir } : {}),
    ...(ctx.registryPasswordFile !== undefined ? { passwordFile: ctx.registryPasswordFile } : {}),
    env: ctx.env,
    cwd: ctx.cwd,
  });
  return openChosenRegistry(choice, {
    onError: (err, context) => printWarning(ctx, `${context}: ${(err as Error)?.message ?? String(err)}`),
    onCleanupAfterCreate,
    onWarning: (message) => printWarning(ctx, message),
    onStatus: (problem) =>
      printWarning(ctx, problem ? `${problem.message}; reconnecting` : `registry ${choice.location.kind === 'redis' ? choice.location.display : ''} is reachable again`),
    ...(open.persistent ? { persistent: true } : {}),
    ...ctx.storeOptions,
    ...options,
  });
}

/** Runs `fn` on the command's registry and disposes of it afterwards. */
export async function withStore<T>(ctx: CommandContext, fn: (registry: Registry) => Promise<T>, options: StoreOptions = {}): Promise<T> {
  const registry = await openStore(ctx, options);
  try {
    return await fn(registry);
  } finally {
    await registry.dispose();
  }
}
