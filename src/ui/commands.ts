import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { Registry } from '../core/registry';
import type { SessionInfo } from '../core/session-store';
import { checkJsonlFile } from './check-command';
import { describeError, type Log } from './log';
import { repairJsonlFile } from './repair-command';
import { revealPath } from './reveal';
import { describeSession, sessionLabel, stateTitle } from './session-text';
import { RUN_EXAMPLE, type SessionNode } from './session-tree-model';
import type { SessionsModel } from './sessions-model';
import { formatAge } from './relative-time';

export interface CommandServices {
  model: SessionsModel;
  log: Log;
  /** The registry of a place shown (main or extra folder). */
  storeFor(dir: string): Pick<Registry, 'archive' | 'kind' | 'readJournal'>;
  mainDir(): string;
  selfId(): string | undefined;
  refresh(): Promise<void>;
  /** Called after a repair so the editor's diagnostics follow the file on disk. */
  afterRepair(uri: vscode.Uri): void;
}

interface Picked {
  dir: string;
  info: SessionInfo;
}

function fromNode(arg: unknown): Picked | undefined {
  const node = arg as SessionNode | undefined;
  return node && typeof node === 'object' && node.kind === 'session' ? { dir: node.dir, info: node.info } : undefined;
}

/** From the palette there is no tree node: let the person pick a session. */
async function pickSession(s: CommandServices, placeHolder: string, filter: (i: SessionInfo) => boolean): Promise<Picked | undefined> {
  const snap = s.model.snapshot;
  const all = [snap.main, ...snap.extras].flatMap((d) => d.sessions.filter((i) => !i.archivedOn && filter(i)).map((info) => ({ dir: d.dir, info })));
  if (all.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('Session Keeper: no matching sessions.'));
    return undefined;
  }
  const items = all.map((p) => ({
    label: sessionLabel(p.info),
    // The row's own words (session-text.ts), after the state the tree shows as its group.
    description: `${stateTitle(p.info.state)} · ${describeSession(p.info, { self: p.info.record.id === s.selfId() }).description}`,
    detail: p.info.record.id,
    session: p,
  }));
  return (await vscode.window.showQuickPick(items, { placeHolder, matchOnDetail: true }))?.session;
}

async function archiveOne(s: CommandServices, p: Picked): Promise<boolean> {
  try {
    await s.storeFor(p.dir).archive(p.info.record.id);
    s.log.info(`Archived session ${p.info.record.id} ("${sessionLabel(p.info)}", ${p.info.state}) from ${p.dir}`);
    return true;
  } catch (err) {
    s.log.error(`Could not archive session ${p.info.record.id}: ${describeError(err)}`);
    void vscode.window.showErrorMessage(vscode.l10n.t('Could not archive "{0}": {1}', sessionLabel(p.info), describeError(err)));
    return false;
  }
}

export function registerCommands(s: CommandServices): vscode.Disposable[] {
  const reg = (id: string, fn: (...args: unknown[]) => unknown): vscode.Disposable => vscode.commands.registerCommand(id, fn);
  return [
    reg('sessionKeeper.refresh', () => s.refresh()),

    reg('sessionKeeper.archiveSession', async (arg) => {
      const p = fromNode(arg) ?? (await pickSession(s, vscode.l10n.t('Session to archive'), (i) => i.record.id !== s.selfId()));
      if (!p) return false;
      if (p.info.record.id === s.selfId()) {
        void vscode.window.showInformationMessage(vscode.l10n.t('This window is a live session; it is archived when the window closes and the folder is cleaned up.'));
        return false;
      }
      if (p.info.state === 'active' || p.info.state === 'unresponsive') {
        const yes = vscode.l10n.t('Archive');
        const last = formatAge(p.info.heartbeatAgeMs);
        const choice = await vscode.window.showWarningMessage(
          p.info.state === 'active'
            ? vscode.l10n.t('"{0}" is active (last heartbeat {1}).', sessionLabel(p.info), last)
            : vscode.l10n.t('"{0}" is unresponsive (last heartbeat {1}).', sessionLabel(p.info), last),
          { modal: true, detail: vscode.l10n.t('If its process is still running it registers again with its next heartbeat.') },
          yes,
        );
        if (choice !== yes) return false;
      }
      const ok = await archiveOne(s, p);
      await s.refresh();
      return ok;
    }),

    reg('sessionKeeper.archiveAllStale', async () => {
      const snap = s.model.snapshot;
      const targets = [snap.main, ...snap.extras].flatMap((d) =>
        d.sessions.filter((i) => !i.archivedOn && (i.state === 'stale' || i.state === 'closed')).map((info) => ({ dir: d.dir, info })),
      );
      if (targets.length === 0) {
        void vscode.window.showInformationMessage(vscode.l10n.t('Session Keeper: no stale or closed sessions to archive.'));
        return 0;
      }
      let archived = 0;
      for (const p of targets) if (await archiveOne(s, p)) archived++;
      await s.refresh();
      void vscode.window.showInformationMessage(
        archived === 1
          ? vscode.l10n.t('Session Keeper: archived 1 stale or closed session.')
          : vscode.l10n.t('Session Keeper: archived {0} stale or closed sessions.', archived),
      );
      return archived;
    }),

    reg('sessionKeeper.openJournal', async (arg) => {
      const p = fromNode(arg) ?? (await pickSession(s, vscode.l10n.t('Session whose journal to open'), () => true));
      if (!p) return;
      const store = s.storeFor(p.dir);
      if (store.kind !== 'directory') {
        // A journal on Redis is a Stream, not a file: shown as JSON Lines in a read-only-ish new document.
        const entries = await store.readJournal(p.info.record.id);
        const text = entries.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))).join('\n');
        const doc = await vscode.workspace.openTextDocument({ content: text === '' ? '' : `${text}\n`, language: 'jsonl' });
        await vscode.window.showTextDocument(doc, { preview: true });
        return;
      }
      if (!fs.existsSync(p.info.journal)) {
        void vscode.window.showInformationMessage(vscode.l10n.t('"{0}" has no journal yet.', sessionLabel(p.info)));
        return;
      }
      await vscode.window.showTextDocument(vscode.Uri.file(p.info.journal), { preview: true });
    }),

    reg('sessionKeeper.repairSessionJournal', async (arg) => {
      const p = fromNode(arg);
      if (!p) return undefined;
      if (s.storeFor(p.dir).kind !== 'directory') {
        void vscode.window.showInformationMessage(
          vscode.l10n.t('"{0}" keeps its journal on Redis, one whole entry per event: there is nothing to repair.', sessionLabel(p.info)),
        );
        return undefined;
      }
      if (!fs.existsSync(p.info.journal)) {
        void vscode.window.showInformationMessage(vscode.l10n.t('"{0}" has no journal to repair.', sessionLabel(p.info)));
        return undefined;
      }
      return repairJsonlFile(vscode.Uri.file(p.info.journal), s.log, (uri) => s.afterRepair(uri));
    }),

    reg('sessionKeeper.repairJsonlFile', (arg) => repairJsonlFile(arg, s.log, (uri) => s.afterRepair(uri))),
    reg('sessionKeeper.checkJsonlFile', (arg) => checkJsonlFile(arg, s.log)),

    reg('sessionKeeper.revealSession', async (arg) => {
      const p = fromNode(arg);
      if (!p) return undefined;
      if (s.storeFor(p.dir).kind !== 'directory') {
        void vscode.window.showInformationMessage(vscode.l10n.t('"{0}" is on Redis, key {1}: there is no file to reveal.', sessionLabel(p.info), p.info.file));
        return undefined;
      }
      return revealPath(p.info.file, false);
    }),

    reg('sessionKeeper.revealSessionsFolder', async () => {
      const dir = s.mainDir();
      if (s.storeFor(dir).kind !== 'directory') {
        void vscode.window.showInformationMessage(vscode.l10n.t('The registry is on Redis ({0}): there is no sessions folder.', dir));
        return undefined;
      }
      if (!fs.existsSync(dir)) {
        void vscode.window.showInformationMessage(vscode.l10n.t('The sessions folder does not exist yet: {0}', dir));
        return undefined;
      }
      return revealPath(dir, true);
    }),

    reg('sessionKeeper.copySessionId', async (arg) => {
      const p = fromNode(arg) ?? (await pickSession(s, vscode.l10n.t('Session whose id to copy'), () => true));
      if (!p) return undefined;
      await vscode.env.clipboard.writeText(p.info.record.id);
      vscode.window.setStatusBarMessage(vscode.l10n.t('Copied session id {0}', p.info.record.id), 3000);
      return p.info.record.id;
    }),

    // The click action of the view's "Add an agent or tool" hint (not in the palette).
    reg('sessionKeeper.copyRunExample', async () => {
      await vscode.env.clipboard.writeText(RUN_EXAMPLE);
      vscode.window.setStatusBarMessage(vscode.l10n.t('Copied: {0}', RUN_EXAMPLE), 3000);
      return RUN_EXAMPLE;
    }),

    reg('sessionKeeper.showLog', () => s.log.show()),
  ];
}
