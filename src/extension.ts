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
import { createLog } from './ui/log';
import { RuntimeConfig } from './ui/runtime-config';
import { affectsSettings } from './ui/settings';
import { SessionsModel } from './ui/sessions-model';
import { SessionTreeProvider } from './ui/session-tree-provider';
import { StaleNotifier } from './ui/stale-notifier';
import { SessionStatusBar, VIEW_ID } from './ui/status-bar';
import { sessionsDir, type Stores } from './ui/store-factory';
import { TreeRefresher } from './ui/tree-refresh';
import { WindowSession, windowIdentity } from './ui/window-session';

let windowSession: WindowSession | undefined;

export function activate(context: vscode.ExtensionContext): SessionKeeperApi {
  const started = performance.now();
  const log = createLog();
  const config = new RuntimeConfig(log);
  const stores = (): Stores => config.stores;

  const model = new SessionsModel(stores, log);
  const refresher = new TreeRefresher(() => model.reload(), log);
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
    return [main.dir, path.join(main.dir, 'archive'), ...extras.map((e) => e.dir)];
  };

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
    model.onDidChange((snap) => contextKeys.update(snap)),
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
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!affectsSettings(e)) return;
      const { before, after } = config.reload();
      const { main } = stores();
      log.info(`Settings changed; sessions folder ${main.dir}, heartbeat every ${after.heartbeatIntervalMs / 1000} s`);
      if (session) {
        session.setInterval(after.heartbeatIntervalMs);
        if (sessionsDir(after) !== sessionsDir(before)) void session.moveTo(main.store, main.dir);
        else {
          session.setStore(main.store);
          // Write the new interval and thresholds into this window's record now, not one old interval later.
          void session.beat();
        }
      }
      refresher.watch(watchedDirs());
      refresher.now();
    }),
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
    refresher.setVisible(view.visible);
    diagnostics.start();
    await Promise.all([session.start(), model.reload()]);
    await model.reload();
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
