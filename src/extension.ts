// Wires the VS Code parts together. activate() only connects objects (no file access, no
// awaiting): registration, listing and watching start right after it returns, so the window's
// start-up never waits for Session Keeper.
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { SessionKeeperApi } from './ui/api';
import { registerCommands } from './ui/commands';
import { SessionContextKeys } from './ui/context-keys';
import { JSONL_SELECTOR, JsonlRepairCodeActions } from './ui/jsonl-code-actions';
import { JsonlDiagnostics } from './ui/jsonl-diagnostics';
import { registerHelpCommands } from './ui/help-commands';
import { WarningMutes } from './ui/warning-mutes';
import { RuntimeConfig } from './ui/runtime-config';
import { SettingsChanges } from './ui/settings-changes';
import { SessionsModel } from './ui/sessions-model';
import { SessionTreeProvider } from './ui/session-tree-provider';
import { StaleNotifier } from './ui/stale-notifier';
import { SessionStatusBar, VIEW_ID } from './ui/status-bar';
import { registerPasswordCommand, REGISTRY_PASSWORD_KEY } from './ui/registry-password';
import { RegistryWatch } from './ui/registry-watch';
import type { Stores } from './ui/store-factory';
import { DEFAULT_TIMINGS, TreeRefresher } from './ui/tree-refresh';
import { routineChangesOf } from './ui/watch-events';
import { useTranslator } from './ui/l10n';
import { windowIdentity } from './ui/window-identity';
import { WindowSession } from './ui/window-session';

let windowSession: WindowSession | undefined;

export function activate(context: vscode.ExtensionContext): SessionKeeperApi {
  const started = performance.now();
  // The UI's pure modules word their text through ui/l10n.ts; here it is the display language's.
  useTranslator(vscode.l10n.t);
  const log = vscode.window.createOutputChannel('Session Keeper', { log: true });
  const config = new RuntimeConfig(log, () => context.secrets.get(REGISTRY_PASSWORD_KEY));
  const stores = (): Stores => config.stores;

  const model = new SessionsModel(stores, log);
  const refresher = new TreeRefresher(() => model.reload(), log, DEFAULT_TIMINGS, routineChangesOf(model));
  // Created after activate() returns, with the settings it needs.
  let session: WindowSession | undefined;
  const provider = new SessionTreeProvider(model, () => session?.sessionId);
  const view = vscode.window.createTreeView(VIEW_ID, { treeDataProvider: provider, showCollapseAll: true });
  const statusBar = new SessionStatusBar(model);
  const notifier = new StaleNotifier(model, () => config.settings.notifyOnStale);
  const mutes = new WarningMutes(context.globalState);
  const diagnostics = new JsonlDiagnostics(log, mutes);
  const contextKeys = new SessionContextKeys();
  const watchedDirs = (): string[] => {
    const { main, extras } = stores();
    // A registry on Redis announces its changes by pub/sub instead (watchRegistry).
    const own = main.store.kind === 'directory' ? [main.dir, path.join(main.dir, 'archive')] : [];
    return [...own, ...extras.map((e) => e.dir)];
  };
  // Changes on other machines reach this tree through the registry's notifications, if it has them.
  const registryWatch = new RegistryWatch(() => stores().main, () => refresher.poke(), log);
  const settingsChanges = new SettingsChanges(config, log, () => session, refresher, watchedDirs, () => registryWatch.restart());

  context.subscriptions.push(
    log,
    model,
    refresher,
    provider,
    view,
    statusBar,
    notifier,
    diagnostics,
    vscode.languages.registerCodeActionsProvider(JSONL_SELECTOR, new JsonlRepairCodeActions(), JsonlRepairCodeActions.metadata),
    view.onDidChangeVisibility((e) => refresher.setVisible(e.visible)),
    // No view.message for an unreadable registry: VS Code hides a view's welcome content while
    // it has a message, and the welcome is where that state is explained (with its buttons).
    model.onDidChange((snap) => contextKeys.update(snap)),
    registerPasswordCommand(context.secrets, () => settingsChanges.apply(true)),
    registryWatch,
    ...registerCommands({
      model,
      log,
      storeFor: (dir) => stores().extras.find((e) => e.dir === dir)?.store ?? stores().main.store,
      mainDir: () => stores().main.dir,
      selfId: () => session?.sessionId,
      refresh: () => model.reload(),
      afterRepair: () => refresher.now(),
    }),
    ...registerHelpCommands(log, mutes, () => stores().main.dir),
    settingsChanges,
  );

  // Everything that reads settings or touches the disk happens after activate() has returned.
  const ready = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
    const { main } = stores();
    session = new WindowSession(main.store, main.dir, config.settings.heartbeatIntervalMs, windowIdentity, log, () => refresher.now(), () => ({
      unresponsiveAfterMs: config.settings.unresponsiveAfterMs ?? null,
      expireAfterMs: config.settings.expireAfterMs,
    }));
    windowSession = session;
    refresher.watch(watchedDirs());
    registryWatch.restart();
    refresher.setVisible(view.visible);
    diagnostics.start();
    // The first listing starts at once, so the view fills without waiting for the registration;
    // `ready` also waits for a listing that started after the registration, the first to show
    // this window (the registration's onChange asks for it too; reload() lets the two share it).
    await Promise.all([model.reload(), session.start().then(() => model.reload())]);
  });

  const activateMs = performance.now() - started;
  log.info(`activate took ${activateMs.toFixed(2)} ms`);
  return {
    activateMs,
    ready,
    sessionsDir: () => stores().main.dir,
    sessionId: () => session?.sessionId,
    refresh: () => model.reload(),
    snapshot: () => provider.describe(),
    sessionNode: (id) => provider.findSession(id),
    statusBarText: () => statusBar.text,
  };
}

/** VS Code waits (a few seconds at most) for the returned promise: the session gets closed. */
export function deactivate(): Promise<void> | undefined {
  return windowSession?.stop();
}
