import * as path from 'node:path';
import * as vscode from 'vscode';
import { repairJsonl, type RepairResult } from '../core/jsonl-repair';
import { describeError, type Log } from './log';
import { pickJsonlFile } from './jsonl-target';


/**
 * Unsaved edits and a repair on disk do not mix: the editor would later overwrite the repaired
 * file (or show a conflict). Asks first; false when the person cancels.
 */
async function settleUnsavedChanges(uri: vscode.Uri): Promise<boolean> {
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (!doc?.isDirty) return true;
  const save = 'Save and Repair';
  const discard = 'Repair File on Disk';
  const choice = await vscode.window.showWarningMessage(
    `${path.basename(uri.fsPath)} has unsaved changes.`,
    { modal: true, detail: 'Repair reads and rewrites the file on disk. Save your changes first, or repair the saved version and keep your edits in the editor.' },
    save,
    discard,
  );
  if (choice === save) return doc.save();
  return choice === discard;
}

/** The sentence the person reads after a repair. */
export function describeRepair(result: RepairResult): string {
  const name = path.basename(result.file);
  if (!result.changed) return `${name} is intact: ${result.kept} records, nothing to repair.`;
  const parts = [`kept ${result.kept} records`];
  if (result.recovered > 0) parts.push(`recovered ${result.recovered}`);
  parts.push(`quarantined ${result.quarantined} line${result.quarantined === 1 ? '' : 's'} (${result.quarantinedBytes} bytes)`);
  if (result.reformatted > 0) parts.push(`fixed ${result.reformatted} format problem${result.reformatted === 1 ? '' : 's'}`);
  const where = result.quarantinePath ? ` Quarantine: ${result.quarantinePath}` : '';
  return `Repaired ${name}: ${parts.join(', ')}.${where}`;
}

/**
 * Repairs a JSONL file with progress in a cancellable notification. Cancelling aborts the core's
 * repair, which leaves the file as it was. Returns the result (for callers and tests), or
 * undefined when nothing was repaired (cancelled, declined, failed).
 */
export async function repairCommand(arg: unknown, log: Log, afterRepair?: (uri: vscode.Uri) => void): Promise<RepairResult | undefined> {
  const uri = await pickJsonlFile(arg, 'Repair JSONL File');
  if (!uri) return undefined;
  if (uri.scheme !== 'file') {
    void vscode.window.showErrorMessage(`Session Keeper repairs files on disk only, not ${uri.scheme}: resources.`);
    return undefined;
  }
  if (!(await settleUnsavedChanges(uri))) return undefined;
  const file = uri.fsPath;
  const name = path.basename(file);
  // The core rejects with the signal's reason when aborted; this flag says it was the person.
  let cancelled = false;
  try {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Repairing ${name}`, cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        const sub = token.onCancellationRequested(() => {
          cancelled = true;
          abort.abort();
        });
        let reported = 0;
        try {
          return await repairJsonl(file, {
            signal: abort.signal,
            onProgress(done, total) {
              if (total <= 0) return;
              const pct = Math.min(100, Math.floor((done / total) * 100));
              if (pct > reported) {
                progress.report({ increment: pct - reported, message: `${pct} %` });
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
      void vscode.window.showInformationMessage(message, 'Open Quarantine').then((choice) => {
        if (choice) void vscode.window.showTextDocument(vscode.Uri.file(quarantine), { preview: true });
      });
    } else {
      void vscode.window.showInformationMessage(message);
    }
    return result;
  } catch (err) {
    if (cancelled) {
      log.info(`Repair of ${file} cancelled; the file is unchanged`);
      void vscode.window.showInformationMessage(`Repair of ${name} cancelled; the file is unchanged.`);
      return undefined;
    }
    log.error(`Repair of ${file} failed: ${describeError(err)}`);
    void vscode.window.showErrorMessage(`Could not repair ${name}: ${describeError(err)}`, 'Show Log').then((choice) => {
      if (choice) log.show();
    });
    return undefined;
  }
}
