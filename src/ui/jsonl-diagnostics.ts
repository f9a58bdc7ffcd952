import * as path from 'node:path';
import * as vscode from 'vscode';
import type { JsonlStats, ProblemKind } from '../core/jsonl-reader';
import { formatCount, formatPercent } from '../core/number-format';
import { scanText } from '../core/jsonl-text-scan';
import { problemSentence } from '../core/problem-text';
import * as l10n from './l10n';
import { oneLine } from '../core/one-line';
import { describeError, type Log } from './log';
import { isJsonlDocument } from './jsonl-target';
import type { WarningMutes } from './warning-mutes';

export const DIAGNOSTIC_SOURCE = 'Session Keeper';

/** Past this size only the beginning of a document is checked (the Check command reads it all). */
const MAX_CHECKED_CHARS = 16 * 1024 * 1024;
/** Problems shown per document; the counts in the warning stay exact. */
const MAX_DIAGNOSTICS = 1000;
const DEBOUNCE_MS = 400;

const SEVERITY: Record<ProblemKind, vscode.DiagnosticSeverity> = {
  'invalid-json': vscode.DiagnosticSeverity.Error,
  'invalid-utf8': vscode.DiagnosticSeverity.Error,
  'nul-bytes': vscode.DiagnosticSeverity.Error,
  'too-long': vscode.DiagnosticSeverity.Warning,
  'torn-tail': vscode.DiagnosticSeverity.Warning,
  'not-utf8': vscode.DiagnosticSeverity.Error,
  // Nothing is lost; the file is just not strict JSON Lines until repaired.
  'fused-values': vscode.DiagnosticSeverity.Warning,
  'cr-line-end': vscode.DiagnosticSeverity.Warning,
  'utf8-bom': vscode.DiagnosticSeverity.Warning,
  // Common in hand-edited files; worth a hint, not a squiggle on every empty line.
  'blank-line': vscode.DiagnosticSeverity.Hint,
};

/**
 * Problems of open JSONL documents in the Problems panel. The document's text is parsed with the
 * core's own JsonlParser, so the editor flags exactly what a repair would quarantine (errors and
 * warnings) or rewrite in strict form (warnings: fused values, CR-only line ends, a BOM; hints: blank lines). Runs
 * debounced after edits, in slices, and only on the first 16 MB of a huge file. Above 10 %
 * corrupted lines a warning offers Repair, once per file per session.
 */
export class JsonlDiagnostics implements vscode.Disposable {
  readonly collection = vscode.languages.createDiagnosticCollection('sessionKeeper.jsonl');
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly generation = new Map<string, number>();
  private readonly warned = new Set<string>();
  private readonly subscriptions: vscode.Disposable[] = [];

  /** `mutes`: the person's "Don't show again" choices for the corruption warning (none: always shown). */
  constructor(
    private readonly log: Log,
    private readonly mutes?: WarningMutes,
  ) {
    this.subscriptions.push(
      this.collection,
      vscode.workspace.onDidOpenTextDocument((doc) => this.schedule(doc, 0)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length > 0) this.schedule(e.document, DEBOUNCE_MS);
      }),
      vscode.workspace.onDidCloseTextDocument((doc) => this.forget(doc.uri)),
    );
  }

  /** Checks documents already open when the extension started. */
  start(): void {
    for (const doc of vscode.workspace.textDocuments) this.schedule(doc, 0);
  }

  schedule(doc: vscode.TextDocument, delayMs: number): void {
    if (!isJsonlDocument(doc)) return;
    const key = doc.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.check(doc).catch((err: unknown) => this.log.error(`Checking ${doc.uri.fsPath} failed: ${describeError(err)}`));
      }, delayMs),
    );
  }

  private forget(uri: vscode.Uri): void {
    const key = uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    this.generation.set(key, (this.generation.get(key) ?? 0) + 1);
    this.collection.delete(uri);
  }

  /** Parses the document's current text; a newer edit makes an older run stop and drop its result. */
  async check(doc: vscode.TextDocument): Promise<JsonlStats | undefined> {
    const key = doc.uri.toString();
    const gen = (this.generation.get(key) ?? 0) + 1;
    this.generation.set(key, gen);
    // Fetched, encoded, parsed and mapped back in slices (jsonl-text-scan.ts): a 40 MB document
    // never blocks the extension host for long. Cut at a line start so the cut is no torn line.
    const docLength = doc.offsetAt(doc.lineAt(doc.lineCount - 1).range.end);
    const truncated = docLength > MAX_CHECKED_CHARS;
    const length = truncated ? doc.offsetAt(new vscode.Position(doc.positionAt(MAX_CHECKED_CHARS + 1).line, 0)) : docLength;
    const source = { length, text: (a: number, b: number) => doc.getText(new vscode.Range(doc.positionAt(a), doc.positionAt(b))) };
    const scanned = await scanText(source, { maxFindings: MAX_DIAGNOSTICS, stale: () => this.generation.get(key) !== gen || doc.isClosed });
    if (scanned === undefined || this.generation.get(key) !== gen || doc.isClosed) return undefined;
    const { stats, findings } = scanned;
    const diagnostics = findings.map((f) => {
      const start = doc.positionAt(f.start);
      const end = doc.positionAt(f.end);
      // An empty span still marks its whole line, so the squiggle is visible.
      const range = start.isEqual(end) ? doc.lineAt(start.line).range : new vscode.Range(start, end);
      // Worded here from the core's reason code, in the display language.
      const d = new vscode.Diagnostic(range, capitalize(problemSentence(f.reason, l10n)), f.kind === 'recovered' ? vscode.DiagnosticSeverity.Information : SEVERITY[f.kind]);
      d.source = DIAGNOSTIC_SOURCE;
      d.code = f.kind;
      return d;
    });
    if (truncated) {
      const d = new vscode.Diagnostic(
        doc.lineAt(0).range,
        vscode.l10n.t('Only the first {0} MB are checked in the editor; "Session Keeper: Check JSONL File…" reads the whole file', MAX_CHECKED_CHARS / 1024 / 1024),
        vscode.DiagnosticSeverity.Information,
      );
      d.source = DIAGNOSTIC_SOURCE;
      d.code = 'truncated';
      diagnostics.push(d);
    }
    this.collection.set(doc.uri, diagnostics);
    if (stats.warn) this.warnOnce(doc.uri, stats);
    return stats;
  }

  private warnOnce(uri: vscode.Uri, stats: JsonlStats): void {
    const key = uri.toString();
    if (this.warned.has(key)) return;
    this.warned.add(key);
    const name = path.basename(uri.fsPath);
    const pct = formatPercent(stats.corruptionRatio);
    const counts = `${formatCount(stats.corrupted)} of ${formatCount(stats.lines - stats.blank)}`;
    this.log.warn(`${oneLine(uri.fsPath)}: ${counts} lines corrupted (${pct})${this.mutes?.isMuted(uri) ? '; warning muted' : ''}`);
    if (this.mutes?.isMuted(uri)) return;
    const repair = vscode.l10n.t('Repair');
    const show = vscode.l10n.t('Show Problems');
    // The "Don't show again" buttons (undone by the Reset Warnings command).
    const notForFile = vscode.l10n.t("Don't Warn for This File");
    const never = vscode.l10n.t("Don't Warn Again");
    const actions = [repair, show, ...(this.mutes ? [notForFile, never] : [])];
    const shown = vscode.l10n.t('{0}: {1} of its lines are corrupted ({2} of {3}).', name, pct, formatCount(stats.corrupted), formatCount(stats.lines - stats.blank));
    void vscode.window.showWarningMessage(shown, ...actions).then(async (choice) => {
      if (choice === repair) await vscode.commands.executeCommand('sessionKeeper.repairJsonlFile', uri);
      else if (choice === show) await vscode.commands.executeCommand('workbench.actions.view.problems');
      else if (choice === notForFile) await this.mutes?.muteFile(uri);
      else if (choice === never) await this.mutes?.muteAll();
    });
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const s of this.subscriptions) s.dispose();
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
