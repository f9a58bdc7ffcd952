// JSONL in the editor and repair, inside a real VS Code: diagnostics for corrupted lines of an
// open .jsonl file, the "Repair file" Quick Fix, and Repair Journal from the Sessions tree.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RepairResult } from '../../src/core/jsonl-repair';
import { api, kill, registerOther, spawnSleeper, tempDirIn, until } from './session-fixtures';

const SOURCE = 'Session Keeper';

function ours(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === SOURCE);
}

function good(n: number): string {
  return Array.from({ length: n }, (_, i) => JSON.stringify({ seq: i, msg: `record ${i}` })).join('\n');
}

suite('Session Keeper: JSONL diagnostics and repair', () => {
  let dir: string;

  suiteSetup(async () => {
    await api();
    dir = tempDirIn(path.join(os.tmpdir(), 'sk-it'), 'jsonl-');
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('corrupted lines of an open .jsonl file show in Problems with their line ranges', async () => {
    const file = path.join(dir, 'events.jsonl');
    // Line 3 is not JSON, line 5 holds two records fused together, line 7 is a torn tail.
    const lines = ['{"a":1}', '{"a":2}', 'garbage here', '{"a":4}', '{"a":5}{"a":6}', '{"a":7}', '{"a":8,"b":'];
    fs.writeFileSync(file, lines.join('\n'));
    const doc = await vscode.workspace.openTextDocument(file);
    await vscode.window.showTextDocument(doc);
    const diags = await until(() => (ours(doc.uri).length >= 2 ? ours(doc.uri) : undefined), 'diagnostics');
    const byLine = new Map(diags.map((d) => [d.range.start.line, d]));
    const invalid = byLine.get(2);
    assert.ok(invalid, `a diagnostic on line 3: ${JSON.stringify(diags.map((d) => [d.range.start.line, d.message]))}`);
    assert.equal(invalid.severity, vscode.DiagnosticSeverity.Error);
    assert.equal(invalid.code, 'invalid-json');
    assert.equal(invalid.range.start.character, 0);
    assert.equal(invalid.range.end.character, 'garbage here'.length);
    const torn = byLine.get(6);
    assert.ok(torn, 'a diagnostic on the torn last line');
    assert.equal(torn.code, 'torn-tail');
    // A fused line loses nothing: its records are recovered (information), and the line itself is
    // a fused-values warning (not strict JSON Lines until repaired), never an error.
    const fused = diags.filter((d) => d.range.start.line === 4);
    assert.deepEqual(
      fused.map((d) => [d.code, d.severity]).sort(),
      [
        ['fused-values', vscode.DiagnosticSeverity.Warning],
        ['recovered', vscode.DiagnosticSeverity.Information],
        ['recovered', vscode.DiagnosticSeverity.Information],
      ].sort(),
    );
    assert.equal(diags.some((d) => [0, 1, 3, 5].includes(d.range.start.line)), false, 'good lines have no diagnostics');
  });

  test('an edit that fixes the line clears its diagnostic', async () => {
    const file = path.join(dir, 'edit.jsonl');
    fs.writeFileSync(file, `${good(3)}\n{"broken": \n${good(3)}\n`);
    const doc = await vscode.workspace.openTextDocument(file);
    const editor = await vscode.window.showTextDocument(doc);
    await until(() => ours(doc.uri).length === 1 || undefined, 'the broken line flagged');
    await editor.edit((e) => e.replace(doc.lineAt(3).range, '{"broken": false}'));
    await until(() => ours(doc.uri).length === 0 || undefined, 'the diagnostic to clear after the edit');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  test('the "Repair file" Quick Fix repairs the file on disk and the diagnostics go away', async () => {
    const file = path.join(dir, 'quickfix.jsonl');
    const original = `${good(5)}\nnot json at all\n${good(4)}\n`;
    fs.writeFileSync(file, original);
    const doc = await vscode.workspace.openTextDocument(file);
    await vscode.window.showTextDocument(doc);
    const [diag] = await until(() => (ours(doc.uri).length > 0 ? ours(doc.uri) : undefined), 'diagnostics');
    assert.ok(diag);
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, diag.range, vscode.CodeActionKind.QuickFix.value);
    const fix = actions.find((a) => a.title === 'Repair file');
    assert.ok(fix?.command, `a "Repair file" Quick Fix among ${actions.map((a) => a.title).join(', ')}`);
    assert.equal(fix.kind?.value, vscode.CodeActionKind.QuickFix.value);
    const result = await vscode.commands.executeCommand<RepairResult | undefined>(fix.command.command, ...(fix.command.arguments ?? []));
    assert.ok(result, 'the repair ran');
    assert.equal(result.kept, 9);
    assert.equal(result.quarantined, 1);
    assert.ok(result.quarantinePath && fs.readFileSync(result.quarantinePath, 'utf8').includes('not json at all'), 'the bad line is kept in the quarantine');
    assert.equal(fs.readFileSync(file, 'utf8'), `${good(5)}\n${good(4)}\n`);
    await until(() => ours(doc.uri).length === 0 || undefined, 'the diagnostics to clear once the editor reloads the repaired file');
  });

  test('Repair Journal from the tree fixes a corrupted session journal and writes the quarantine', async () => {
    const sk = await api();
    const child = spawnSleeper();
    try {
      const id = await registerOther(sk.sessionsDir(), 'journal owner', child.pid as number);
      const journal = path.join(sk.sessionsDir(), `${id}.jsonl`);
      // A crash mid-write: NUL bytes and half a record, then the journal goes on.
      fs.appendFileSync(journal, Buffer.concat([Buffer.from('{"event":"half'), Buffer.alloc(16), Buffer.from('\n{"event":"after"}\n')]));
      await sk.refresh();
      const node = await until(() => sk.sessionNode(id), 'the session in the tree');
      const result = await vscode.commands.executeCommand<RepairResult | undefined>('sessionKeeper.repairSessionJournal', node);
      assert.ok(result?.changed, 'the journal was repaired');
      assert.ok(result.quarantined >= 1);
      assert.ok(result.quarantinePath && fs.existsSync(result.quarantinePath), 'quarantine written');
      const repaired = fs.readFileSync(journal, 'utf8').split('\n').filter((l) => l !== '');
      for (const line of repaired) JSON.parse(line);
      assert.ok(repaired.some((l) => l.includes('"after"')), 'records after the damage are kept');
    } finally {
      await kill(child);
    }
  });

  test('Check JSONL File… reports counts of a file on disk', async () => {
    const file = path.join(dir, 'check.jsonl');
    fs.writeFileSync(file, `${good(8)}\n{oops\n${good(1)}\n`);
    const summary = await vscode.commands.executeCommand<{ records: number; corrupted: number }>('sessionKeeper.checkJsonlFile', vscode.Uri.file(file));
    assert.equal(summary.records, 9);
    assert.equal(summary.corrupted, 1);
    // Fused values lose nothing (not corrupted) but the file is not strict JSON Lines.
    const fused = path.join(dir, 'fused.jsonl');
    fs.writeFileSync(fused, '{"a":1}{"b":2}\n');
    const f = await vscode.commands.executeCommand<{ records: number; corrupted: number; problemCount: number }>('sessionKeeper.checkJsonlFile', vscode.Uri.file(fused));
    assert.deepEqual([f.records, f.corrupted, f.problemCount], [2, 0, 1]);
  });
});
