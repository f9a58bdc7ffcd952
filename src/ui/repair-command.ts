import * as path from 'node:path';
import * as vscode from 'vscode';
import { hasErrorCode } from '../core/errors';
import { repairJsonl, type RepairResult } from '../core/jsonl-repair';
import { repairJsonlWith } from '../core/jsonl-repair-apply';
import { formatCount, formatPercent } from '../core/number-format';
import { describeError, type Log } from './log';
import { pickJsonlFile } from './jsonl-target';

/**
 * Repairs the file of an open, saved document through the editor: the repaired text replaces the
 * document's text as one edit, which is saved, all under the file's lock with the quarantine
 * written first (core/jsonl-repair-apply.ts). Undo then brings the damaged text back like any
 * edit (the document turns unsaved), and the buffer never differs from the disk unannounced.
 * Returns undefined when the document cannot stand for the file byte for byte (a BOM or another
 * encoding, CRLF or mixed line endings the editor normalised): the caller repairs on disk then.
 */
async function repairThroughEditor(doc: vscode.TextDocument, log: Log, signal: AbortSignal): Promise<RepairResult | undefined> {
  // Inserted text takes the document's line ending; the repaired text is LF only.
  if (doc.eol !== vscode.EndOfLine.LF) return undefined;
  const expected = Buffer.from(doc.getText(), 'utf8');
  try {
    return await repairJsonlWith(
      doc.uri.fsPath,
      async (repaired) => {
        const edit = new vscode.WorkspaceEdit();
        const all = new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length));
        edit.replace(doc.uri, all, repaired.toString('utf8'));
        if (!(await vscode.workspace.applyEdit(edit))) throw new Error('the editor refused the edit');
        if (!(await doc.save())) throw new Error('the editor did not save the file');
      },
      { expected, signal },
    );
  } catch (err) {
    if (hasErrorCode(err, 'EREPAIRMISMATCH') || hasErrorCode(err, 'EREPAIRTOOLARGE')) {
      log.info(`Repairing ${doc.uri.fsPath} on disk: ${describeError(err)}`);
      return undefined;
    }
    throw err;
  }
}


/**
 * Unsaved edits and a repair on disk do not mix: the editor would later overwrite the repaired
 * file (or show a conflict). Asks first; false when the person cancels.
 */
async function settleUnsavedChanges(uri: vscode.Uri): Promise<boolean> {
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (!doc?.isDirty) return true;
  const save = vscode.l10n.t('Save and Repair');
  const discard = vscode.l10n.t('Repair File on Disk');
  const choice = await vscode.window.showWarningMessage(
    vscode.l10n.t('{0} has unsaved changes.', path.basename(uri.fsPath)),
    {
      modal: true,
      detail: vscode.l10n.t('Repair reads and rewrites the file on disk. Save your changes first, or repair the saved version and keep your edits in the editor.'),
    },
    save,
    discard,
  );
  if (choice === save) return doc.save();
  return choice === discard;
}

/** The sentence the person reads after a repair. */
export function describeRepair(result: RepairResult): string {
  const name = path.basename(result.file);
  const t = vscode.l10n.t;
  const n = formatCount;
  if (!result.changed) {
    return result.kept === 1 ? t('{0} is intact: 1 record, nothing to repair.', name) : t('{0} is intact: {1} records, nothing to repair.', name, n(result.kept));
  }
  const parts = [result.kept === 1 ? t('kept 1 record') : t('kept {0} records', n(result.kept))];
  if (result.recovered > 0) parts.push(t('recovered {0}', n(result.recovered)));
  if (result.quarantined > 0) {
    const bytes = result.quarantinedBytes === 1 ? t('1 byte') : t('{0} bytes', n(result.quarantinedBytes));
    parts.push(result.quarantined === 1 ? t('quarantined 1 line ({0})', bytes) : t('quarantined {0} lines ({1})', n(result.quarantined), bytes));
  }
  if (result.reformatted > 0) parts.push(result.reformatted === 1 ? t('fixed 1 format problem') : t('fixed {0} format problems', n(result.reformatted)));
  const summary = t('Repaired {0}: {1}.', name, parts.join(t(', ')));
  return result.quarantinePath ? `${summary} ${t('Quarantine: {0}', result.quarantinePath)}` : summary;
}

/**
 * Repairs a JSONL file with progress in a cancellable notification. Cancelling aborts the core's
 * repair, which leaves the file as it was. Returns the result (for callers and tests), or
 * undefined when nothing was repaired (cancelled, declined, failed).
 */
export async function repairJsonlFile(arg: unknown, log: Log, afterRepair?: (uri: vscode.Uri) => void): Promise<RepairResult | undefined> {
  const uri = await pickJsonlFile(arg, vscode.l10n.t('Repair JSONL File'));
  if (!uri) return undefined;
  if (uri.scheme !== 'file') {
    void vscode.window.showErrorMessage(vscode.l10n.t('Session Keeper repairs files on disk only, not {0}: resources.', uri.scheme));
    return undefined;
  }
  if (!(await settleUnsavedChanges(uri))) return undefined;
  const file = uri.fsPath;
  const name = path.basename(file);
  // The core rejects with the signal's reason when aborted; this flag says it was the person.
  let cancelled = false;
  try {
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString() && !d.isDirty);
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Repairing {0}', name), cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        const sub = token.onCancellationRequested(() => {
          cancelled = true;
          abort.abort();
        });
        let reported = 0;
        try {
          const inEditor = open ? await repairThroughEditor(open, log, abort.signal) : undefined;
          if (inEditor) return inEditor;
          return await repairJsonl(file, {
            signal: abort.signal,
            onProgress(done, total) {
              if (total <= 0) return;
              const pct = Math.min(100, Math.floor((done / total) * 100));
              if (pct > reported) {
                progress.report({ increment: pct - reported, message: formatPercent(done / total) });
                reported = pct;
              }
            },
          });
        } finally {
          sub.dispose();
        }
      },
    );
    log.info(
      `Repaired ${file}: kept ${result.kept}, recovered ${result.recovered}, quarantined ${result.quarantined} (${result.quarantinedBytes} bytes)` +
        (result.quarantinePath ? ` to ${result.quarantinePath}` : '') +
        (result.changed ? '' : '; nothing to repair'),
    );
    afterRepair?.(uri);
    const message = describeRepair(result);
    const quarantine = result.quarantinePath;
    if (quarantine) {
      void vscode.window.showInformationMessage(message, vscode.l10n.t('Open Quarantine')).then((choice) => {
        if (choice) void vscode.window.showTextDocument(vscode.Uri.file(quarantine), { preview: true });
      });
    } else {
      void vscode.window.showInformationMessage(message);
    }
    return result;
  } catch (err) {
    if (cancelled) {
      log.info(`Repair of ${file} cancelled; the file is unchanged`);
      void vscode.window.showInformationMessage(vscode.l10n.t('Repair of {0} cancelled; the file is unchanged.', name));
      return undefined;
    }
    log.error(`Repair of ${file} failed: ${describeError(err)}`);
    void vscode.window.showErrorMessage(vscode.l10n.t('Could not repair {0}: {1}', name, describeError(err)), vscode.l10n.t('Show Log')).then((choice) => {
      if (choice) log.show();
    });
    return undefined;
  }
}
