// Fixture: one test passes and one fails, so the self-test can see both counted and the run red.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

suite('harness self-test fixture', () => {
  test('passes inside a real extension host', () => {
    assert.equal(typeof vscode.version, 'string');
  });

  test('fails on purpose', () => {
    assert.equal(1 + 1, 3, 'this failure is expected: the self-test checks that it turns the run red');
  });
});
