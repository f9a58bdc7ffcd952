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
  const uri = await pickJsonlFile(arg, 'Check JSONL File');
  if (!uri) return undefined;
  const file = uri.fsPath;
  const name = path.basename(file);
  try {
    const stats = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: `Checking ${name}` },
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
      const encoding = (await scanJsonl(file, { maxProblems: 1 })).problems[0]?.encoding ?? 'not UTF-8';
      void vscode.window.showErrorMessage(`${name} is ${encoding}, not UTF-8: convert it (e.g. iconv -f ${encoding} -t UTF-8); Repair leaves it untouched.`);
      return summary;
    }
    if (stats.problemCount === 0) {
      void vscode.window.showInformationMessage(`${name} is intact: ${stats.records} records.`);
      return summary;
    }
    const repair = 'Repair';
    if (stats.corrupted === 0) {
      // Nothing damaged, but not strict JSON Lines (what a line-by-line JSON reader accepts).
      void vscode.window
        .showInformationMessage(
          `${name}: ${stats.records} records, nothing damaged, but not strict JSON Lines (${stats.problemCount} format problem${stats.problemCount === 1 ? '' : 's'}: fused values, CR-only line ends, a BOM or blank lines). Repair rewrites it without loss.`,
          repair,
        )
        .then(async (choice) => {
          if (choice === repair) await vscode.commands.executeCommand('sessionKeeper.repairJsonlFile', uri);
        });
      return summary;
    }
    const pct = (stats.corruptionRatio * 100).toFixed(stats.corruptionRatio < 0.01 ? 2 : 0);
    const show = 'Show Problems';
    void vscode.window
      .showWarningMessage(`${name}: ${stats.corrupted} corrupted line${stats.corrupted === 1 ? '' : 's'} (${pct} %) and ${stats.records} good records.`, repair, show)
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
    void vscode.window.showErrorMessage(`Could not check ${name}: ${describeError(err)}`);
    return undefined;
  }
}
