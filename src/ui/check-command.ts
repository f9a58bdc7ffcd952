import * as path from 'node:path';
import * as vscode from 'vscode';
import { scanJsonl } from '../core/jsonl-reader';
import { describeError, type Log } from './log';
import { pickJsonlFile } from './jsonl-target';

export interface CheckSummary {
  file: string;
  records: number;
  recovered: number;
  corrupted: number;
  corruptionRatio: number;
  /** All problems, format ones (fused values, CR-only line ends, BOM, blank lines) included. */
  problemCount: number;
}

/**
 * Reads a JSONL file on disk with the core's reader and says what it found; offers Repair when
 * lines are corrupted or the file is not strict JSON Lines, and opens the file so its problems
 * show in the Problems panel. A UTF-16 or UTF-32 file gets an error naming its encoding (Repair
 * refuses it).
 */
export async function checkJsonlFile(arg: unknown, log: Log): Promise<CheckSummary | undefined> {
  const uri = await pickJsonlFile(arg, vscode.l10n.t('Check JSONL File'));
  if (!uri) return undefined;
  const file = uri.fsPath;
  const name = path.basename(file);
  try {
    const stats = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: vscode.l10n.t('Checking {0}', name) },
      () => scanJsonl(file, { maxProblems: 0 }),
    );
    const summary: CheckSummary = {
      file,
      records: stats.records,
      recovered: stats.recovered,
      corrupted: stats.corrupted,
      corruptionRatio: stats.corruptionRatio,
      problemCount: stats.problemCount,
    };
    log.info(`Checked ${file}: ${stats.records} records, ${stats.recovered} recovered, ${stats.corrupted} corrupted lines`);
    if (stats.problemsByKind['not-utf8'] > 0) {
      // The scan above kept no problems; a file in another encoding is not parsed, so this is cheap.
      const encoding = (await scanJsonl(file, { maxProblems: 1 })).problems[0]?.encoding ?? vscode.l10n.t('not UTF-8');
      void vscode.window.showErrorMessage(vscode.l10n.t('{0} is {1}, not UTF-8: convert it (e.g. {2}); Repair leaves it untouched.', name, encoding, `iconv -f ${encoding} -t UTF-8`));
      return summary;
    }
    if (stats.problemCount === 0) {
      void vscode.window.showInformationMessage(vscode.l10n.t('{0} is intact: {1} records.', name, stats.records));
      return summary;
    }
    const repair = vscode.l10n.t('Repair');
    if (stats.corrupted === 0) {
      // Nothing damaged, but not strict JSON Lines (what a line-by-line JSON reader accepts).
      void vscode.window
        .showInformationMessage(
          stats.problemCount === 1
            ? vscode.l10n.t('{0}: {1} records, nothing damaged, but not strict JSON Lines (1 format problem: fused values, CR-only line ends, a BOM or blank lines). Repair rewrites it without loss.', name, stats.records)
            : vscode.l10n.t(
                '{0}: {1} records, nothing damaged, but not strict JSON Lines ({2} format problems: fused values, CR-only line ends, a BOM or blank lines). Repair rewrites it without loss.',
                name,
                stats.records,
                stats.problemCount,
              ),
          repair,
        )
        .then(async (choice) => {
          if (choice === repair) await vscode.commands.executeCommand('sessionKeeper.repairJsonlFile', uri);
        });
      return summary;
    }
    const pct = (stats.corruptionRatio * 100).toFixed(stats.corruptionRatio < 0.01 ? 2 : 0);
    const show = vscode.l10n.t('Show Problems');
    void vscode.window
      .showWarningMessage(
        stats.corrupted === 1
          ? vscode.l10n.t('{0}: 1 corrupted line ({1} %) and {2} good records.', name, pct, stats.records)
          : vscode.l10n.t('{0}: {1} corrupted lines ({2} %) and {3} good records.', name, stats.corrupted, pct, stats.records),
        repair,
        show,
      )
      .then(async (choice) => {
        if (choice === repair) await vscode.commands.executeCommand('sessionKeeper.repairJsonlFile', uri);
        else if (choice === show) {
          await vscode.window.showTextDocument(uri, { preview: true });
          await vscode.commands.executeCommand('workbench.actions.view.problems');
        }
      });
    return summary;
  } catch (err) {
    log.error(`Check of ${file} failed: ${describeError(err)}`);
    void vscode.window.showErrorMessage(vscode.l10n.t('Could not check {0}: {1}', name, describeError(err)));
    return undefined;
  }
}
