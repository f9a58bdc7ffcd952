import * as path from 'node:path';
import * as vscode from 'vscode';
import { JsonlParser, type JsonlProblem, type JsonlStats, type ProblemKind } from '../core/jsonl-reader';
import { oneLine } from '../core/one-line';
import { describeError, type Log } from './log';
import { isJsonlDocument } from './jsonl-target';

export const DIAGNOSTIC_SOURCE = 'Session Keeper';

/** Past this size only the beginning of a document is checked (the Check command reads it all). */
const MAX_CHECKED_CHARS = 16 * 1024 * 1024;
/** Problems shown per document; the counts in the warning stay exact. */
const MAX_DIAGNOSTICS = 1000;
/** Parsing runs in slices of this many bytes with a yield in between, so typing stays smooth. */
const SLICE_BYTES = 1024 * 1024;
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

interface Found {
  kind: ProblemKind | 'recovered';
  offset: number;
  length: number;
  message: string;
}

/** Converts byte offsets into the UTF-8 encoding of `text` to character offsets, walking forward only. */
class OffsetMapper {
  private byte = 0;
  private char = 0;
  constructor(private readonly bytes: Buffer) {}
  charAt(byteOffset: number): number {
    if (byteOffset < this.byte) {
      this.byte = 0;
      this.char = 0;
    }
    this.char += this.bytes.toString('utf8', this.byte, byteOffset).length;
    this.byte = byteOffset;
    return this.char;
  }
}

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

  constructor(private readonly log: Log) {
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
    const full = doc.getText();
    const truncated = full.length > MAX_CHECKED_CHARS;
    // Cut at a line end so the cut does not show as a torn last line.
    const text = truncated ? full.slice(0, full.lastIndexOf('\n', MAX_CHECKED_CHARS) + 1) : full;
    const bytes = Buffer.from(text, 'utf8');
    const found: Found[] = [];
    const parser = new JsonlParser({
      record(_value, _line, offset, length, recovered) {
        if (recovered && found.length < MAX_DIAGNOSTICS) {
          found.push({ kind: 'recovered', offset, length, message: 'Record recovered from a damaged line; Repair rewrites it on a line of its own' });
        }
      },
      problem(p: JsonlProblem) {
        if (found.length < MAX_DIAGNOSTICS) found.push({ kind: p.kind, offset: p.offset, length: p.length, message: p.message });
      },
    });
    for (let at = 0; at < bytes.length; at += SLICE_BYTES) {
      parser.push(bytes.subarray(at, Math.min(bytes.length, at + SLICE_BYTES)));
      if (at + SLICE_BYTES < bytes.length) {
        await new Promise((resolve) => setImmediate(resolve));
        if (this.generation.get(key) !== gen || doc.isClosed) return undefined;
      }
    }
    const stats = parser.end();
    if (this.generation.get(key) !== gen || doc.isClosed) return undefined;

    const mapper = new OffsetMapper(bytes);
    const diagnostics = found
      .sort((a, b) => a.offset - b.offset)
      .map((f) => {
        const start = doc.positionAt(mapper.charAt(f.offset));
        const end = doc.positionAt(mapper.charAt(f.offset + f.length));
        // An empty span still marks its whole line, so the squiggle is visible.
        const range = start.isEqual(end) ? doc.lineAt(start.line).range : new vscode.Range(start, end);
        const d = new vscode.Diagnostic(
          range,
          capitalize(f.message),
          f.kind === 'recovered' ? vscode.DiagnosticSeverity.Information : SEVERITY[f.kind],
        );
        d.source = DIAGNOSTIC_SOURCE;
        d.code = f.kind;
        return d;
      });
    if (truncated) {
      const d = new vscode.Diagnostic(
        doc.lineAt(0).range,
        `Only the first ${MAX_CHECKED_CHARS / 1024 / 1024} MB are checked in the editor; "Session Keeper: Check JSONL File…" reads the whole file`,
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
    const pct = Math.round(stats.corruptionRatio * 100);
    this.log.warn(`${oneLine(uri.fsPath)}: ${stats.corrupted} of ${stats.lines - stats.blank} lines corrupted (${pct} %)`);
    void vscode.window
      .showWarningMessage(`${name}: ${pct} % of its lines are corrupted (${stats.corrupted} of ${stats.lines - stats.blank}).`, 'Repair', 'Show Problems')
      .then(async (choice) => {
        if (choice === 'Repair') await vscode.commands.executeCommand('sessionKeeper.repairJsonlFile', uri);
        else if (choice === 'Show Problems') await vscode.commands.executeCommand('workbench.actions.view.problems');
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
