import * as vscode from 'vscode';
import { DeferredRegistry } from '../core/deferred-registry';
import { DirectoryRegistry } from '../core/directory-registry';
import { openChosenRegistry } from '../core/open-registry';
import { RedisRegistry } from '../core/redis-registry';
import { oneLine } from '../core/one-line';
import type { Registry } from '../core/registry';
import { chooseRegistry, type RegistryChoice } from '../core/registry-config';
import { describeLocation } from '../core/registry-location';
import type { ArchiveResult } from '../core/session-store';
import * as os from 'node:os';
import { describeError, type Log } from './log';
import { expandHome, resolveExtraDirectory, type Settings } from './settings';
import type { StoreRef } from './sessions-model';

export interface Stores {
  main: StoreRef & { store: Registry };
  extras: (StoreRef & { store: Registry })[];
}

/** Reads the registry password the user stored in VS Code's SecretStorage (undefined = none). */
export type SecretReader = () => Thenable<string | undefined>;

/**
 * The registry in use: the sessionKeeper.registry setting, else sessionKeeper.sessionsDirectory,
 * else $SESSION_KEEPER_REGISTRY, $SESSION_KEEPER_DIR, the machine's config file, and the core's
 * default directory (src/core/registry-config.ts). Throws for a malformed setting or config file.
 */
export function chooseSettingsRegistry(settings: Settings): RegistryChoice {
  return chooseRegistry({
    ...(settings.registry ? { registry: expandHome(settings.registry) } : {}),
    ...(settings.sessionsDirectory ? { dir: expandHome(settings.sessionsDirectory) } : {}),
  });
}

/** The registry's location as shown (a folder, or a Redis URL without password). */
export function sessionsDir(settings: Settings): string {
  try {
    return describeLocation(chooseSettingsRegistry(settings).location);
  } catch (err) {
    return `invalid registry setting: ${describeError(err)}`;
  }
}

/**
 * Tells the user what the automatic cleanup moved: every session in the log, and crashed (stale)
 * ones in a notification too — closed sessions ending up in the archive is what everyone expects.
 */
export function reportCleanup(archived: readonly ArchiveResult[], dir: string, log: Log): void {
  for (const a of archived) {
    log.info(`Cleanup archived session ${a.id} ("${oneLine(a.label ?? '')}", ${a.state ?? 'invalid record'}: ${oneLine(a.reason)}) from ${dir}`);
  }
  const stale = archived.filter((a) => a.state === 'stale');
  const first = stale[0];
  if (!first) return;
  const text =
    stale.length === 1
      ? vscode.l10n.t('Session Keeper archived the stale session "{0}" ({1}).', oneLine(first.label ?? first.id, 80), oneLine(first.reason, 120))
      : vscode.l10n.t('Session Keeper archived {0} stale sessions, "{1}" among them.', stale.length, oneLine(first.label ?? first.id, 80));
  const showLog = vscode.l10n.t('Show Log');
  void vscode.window.showInformationMessage(text, showLog).then((choice) => {
    if (choice === showLog) void vscode.commands.executeCommand('sessionKeeper.showLog');
  });
}

/**
 * Whether two readings of the settings choose the same registry (sessionKeeper.registry and
 * sessionKeeper.sessionsDirectory as configured): when they do, a settings change keeps the
 * Redis connection (the password is another trigger: see RuntimeConfig.reload).
 */
export function sameRegistrySettings(a: Settings, b: Settings): boolean {
  return a.registry === b.registry && a.sessionsDirectory === b.sessionsDirectory;
}

/**
 * One registry per place shown, configured from the settings. A directory registry touches no
 * files when built; a Redis one starts connecting (in the background, reconnecting by itself
 * with bounded backoff) and every call waits for that. With `connectedAs`, the main registry of
 * the previous settings (which chose the same registry), a Redis registry reuses its
 * connection with the new options instead of connecting again.
 */
export function buildStores(settings: Settings, log: Log, secret: SecretReader = () => Promise.resolve(undefined), connectedAs?: Registry): Stores {
  const onError = (err: unknown, context: string): void => log.warn(`${context}: ${describeError(err)}`);
  // Thresholds go into the records this window creates; every session is judged by its own.
  const common = {
    heartbeatIntervalMs: settings.heartbeatIntervalMs,
    unresponsiveAfterMs: settings.unresponsiveAfterMs,
    expireAfterMs: settings.expireAfterMs,
    staleGraceMs: settings.staleGraceMs,
    tool: 'vscode',
    onError,
  };
  let main: Registry;
  // Whether the new main took over `connectedAs` (and disposes of it); else it is retired here.
  let handedOver = false;
  try {
    const choice = chooseSettingsRegistry(settings);
    const location = describeLocation(choice.location);
    const options = {
      ...common,
      cleanupOnCreate: settings.autoCleanupOnStart,
      // Opt-in; 0 leaves the option out, so nothing is ever deleted.
      ...(settings.archiveRetentionDays > 0 ? { archiveRetentionDays: settings.archiveRetentionDays } : {}),
      onCleanupAfterCreate: (archived: ArchiveResult[]) => reportCleanup(archived, location, log),
    };
    if (choice.location.kind === 'directory') {
      main = new DirectoryRegistry(choice.location.dir, options);
    } else {
      handedOver = true;
      main = new DeferredRegistry('redis', location, process.env.SESSION_KEEPER_HOSTNAME || os.hostname(), async () => {
        // The previous main is this one's to retire, and only once its connection is shared.
        const previous = await connectedRedis(connectedAs);
        const next = previous?.withOptions(options);
        void connectedAs?.dispose();
        if (next) return next;
        const password = await secret();
        return openChosenRegistry(choice, {
          ...options,
          persistent: true,
          ...(password ? { password } : {}),
          onWarning: (message) => log.warn(message),
          onStatus: (problem) =>
            problem ? log.error(`Registry ${location} lost: ${describeError(problem)}; reconnecting`) : log.info(`Registry ${location} reachable again`),
        });
      });
    }
  } catch (err) {
    // A malformed setting or config file: the view shows the error (every call fails with it).
    const message = describeError(err);
    main = new DeferredRegistry('directory', `invalid registry setting`, os.hostname(), () => Promise.reject(err instanceof Error ? err : new Error(message)));
  }
  if (!handedOver) void connectedAs?.dispose();
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
  const extraDirs = [...new Set(settings.extraDirectories.flatMap((entry) => resolveExtraDirectory(entry, folders)))].filter(
    (d) => d !== main.location,
  );
  return {
    main: { dir: main.location, store: main },
    // Extra folders belong to other tools: shown and archivable, never cleaned up behind their back.
    extras: extraDirs.map((d) => {
      const store = new DirectoryRegistry(d, { ...common, cleanupOnCreate: false });
      return { dir: store.location, store };
    }),
  };
}

/** The open Redis registry behind `registry` (a DeferredRegistry whose open succeeded), else undefined. */
async function connectedRedis(registry: Registry | undefined): Promise<RedisRegistry | undefined> {
  if (!(registry instanceof DeferredRegistry)) return undefined;
  try {
    const open = await registry.ready();
    return open instanceof RedisRegistry ? open : undefined;
  } catch {
    // Its open failed: connect afresh.
    return undefined;
  }
}
