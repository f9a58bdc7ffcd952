// Wires the VS Code parts together. activate() only connects objects (no file access, no
// awaiting): registration, listing and watching start right after it returns, so the window's
// start-up never waits for Session Keeper.
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { SessionKeeperApi } from './ui/api';
import { registerCommands } from './ui/commands';
import { JSONL_SELECTOR, JsonlRepairCodeActions } from './ui/jsonl-code-actions';
import { JsonlDiagnostics } from './ui/jsonl-diagnostics';
import { createLog } from './ui/log';
import { affectsSettings, readSettings } from './ui/settings';
import { SessionsModel } from './ui/sessions-model';
import { SessionTreeProvider } from './ui/session-tree-provider';
import { StaleNotifier } from './ui/stale-notifier';
import { SessionStatusBar, VIEW_ID, countSessions } from './ui/status-bar';
import { buildStores, sessionsDir } from './ui/store-factory';
import { TreeRefresher } from './ui/tree-refresh';
import { WindowSession, windowIdentity } from './ui/window-session';

let windowSession: WindowSession | undefined;

export function activate(context: vscode.ExtensionContext): SessionKeeperApi {
  const started = performance.now();
  const log = createLog();
  let settings = readSettings();
  let stores = buildStores(settings, log);

  const model = new SessionsModel(() => stores, log);
  const refresher = new TreeRefresher(() => model.reload(), log);
  const session = new WindowSession(stores.main.store, stores.main.dir, settings.heartbeatIntervalMs, windowIdentity, log, () => refresher.now());
  windowSession = session;
  const provider = new SessionTreeProvider(model, () => session.sessionId);
  const view = vscode.window.createTreeView(VIEW_ID, { treeDataProvider: provider, showCollapseAll: true });
  const statusBar = new SessionStatusBar(model);
  const notifier = new StaleNotifier(model, () => settings.notifyOnStale);
  const diagnostics = new JsonlDiagnostics(log);
  const watchedDirs = (): string[] => [stores.main.dir, path.join(stores.main.dir, 'archive'), ...stores.extras.map((e) => e.dir)];

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
    model.onDidChange((snap) => {
      const counts = countSessions(snap);
      void vscode.commands.executeCommand('setContext', 'sessionKeeper.dirError', snap.main.error !== null);
      void vscode.commands.executeCommand('setContext', 'sessionKeeper.hasStale', counts.stale + counts.closed > 0);
    }),
    ...registerCommands({
      model,
      log,
      storeFor: (dir) => stores.extras.find((e) => e.dir === dir)?.store ?? stores.main.store,
      mainDir: () => stores.main.dir,
      selfId: () => session.sessionId,
      refresh: () => model.reload(),
      afterRepair: () => refresher.now(),
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!affectsSettings(e)) return;
      const next = readSettings();
      const moved = sessionsDir(next) !== sessionsDir(settings);
      settings = next;
      stores = buildStores(settings, log);
      log.info(`Settings changed; sessions folder ${stores.main.dir}, heartbeat every ${settings.heartbeatIntervalMs / 1000} s`);
      session.setInterval(settings.heartbeatIntervalMs);
      if (moved) void session.moveTo(stores.main.store, stores.main.dir);
      else session.setStore(stores.main.store);
      refresher.watch(watchedDirs());
      refresher.now();
    }),
  );

  // Everything that touches the disk happens after activate() has returned.
  const ready = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
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
    sessionsDir: () => stores.main.dir,
    sessionId: () => session.sessionId,
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
