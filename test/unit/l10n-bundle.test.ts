// Localisation: every message the extension words through vscode.l10n.t or src/ui/l10n.ts is a
// string literal present in l10n/bundle.l10n.json (so a translation is a complete file, not a
// code change), and the UI's pure modules really take their words from the installed translator.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { englishSource, fillPlaceholders, useTranslator } from '../../src/ui/l10n';
import { statusBarView } from '../../src/ui/status-bar-text';
import { rowOf } from '../../src/ui/session-tree-model';
import { formatAge } from '../../src/ui/relative-time';
import type { ModelSnapshot } from '../../src/ui/sessions-model';
import { problemSentence, type ProblemReason } from '../../src/core/problem-text';
import * as l10n from '../../src/ui/l10n';
import { livenessSentence, type LivenessReason, type ScopeReason } from '../../src/core/liveness-text';
import { formatDuration } from '../../src/core/liveness';
import { ENGLISH, wordedDuration } from '../../src/core/words';

const root = path.resolve(__dirname, '../../..');
const load = createRequire(__filename);
const exporter = load(path.join(root, 'scripts/l10n-export.js')) as {
  collectMessages(base?: string): { messages: Map<string, string[]>; nonLiteral: string[] };
  bundleText(messages: Map<string, string[]>): string;
  BUNDLE: string;
};

describe('l10n bundle', () => {
  const { messages, nonLiteral } = exporter.collectMessages(root);
  const bundle = JSON.parse(fs.readFileSync(exporter.BUNDLE, 'utf8')) as Record<string, string>;

  test('the sources word their text through l10n.t', () => {
    // A floor, not an exact count: the tree, status bar, commands and diagnostics all use it.
    assert.ok(messages.size > 100, `only ${messages.size} messages found`);
    for (const file of ['src/ui/session-text.ts', 'src/ui/status-bar-text.ts', 'src/ui/session-tree-model.ts', 'src/ui/commands.ts', 'src/ui/jsonl-diagnostics.ts']) {
      assert.ok([...messages.values()].flat().some((w) => w.startsWith(`${file}:`)), `${file} has no l10n.t call`);
    }
  });

  test('every message is a string literal (a bundle key)', () => {
    assert.deepEqual(nonLiteral, []);
  });

  test('every message is in l10n/bundle.l10n.json with its English text, and nothing else is', () => {
    const missing = [...messages.keys()].filter((m) => bundle[m] !== m);
    assert.deepEqual(missing, [], 'run: node scripts/l10n-export.js');
    const unused = Object.keys(bundle).filter((k) => !messages.has(k));
    assert.deepEqual(unused, [], 'run: node scripts/l10n-export.js');
    assert.equal(fs.readFileSync(exporter.BUNDLE, 'utf8'), exporter.bundleText(messages));
  });

  test('placeholders of each message are numbered from {0} without gaps', () => {
    for (const message of messages.keys()) {
      const used = [...new Set([...message.matchAll(/\{(\d+)\}/g)].map((m) => Number(m[1])))].sort((a, b) => a - b);
      assert.deepEqual(used, used.map((_, i) => i), message);
    }
  });
});

describe('the translator', () => {
  afterEach(() => useTranslator(englishSource));

  test('fillPlaceholders fills by index and leaves a placeholder without a value', () => {
    assert.equal(fillPlaceholders('{1} of {0}, {0} again; {2}', ['a', 2]), '2 of a, a again; {2}');
    assert.equal(englishSource('{0} s ago', 20), '20 s ago');
  });

  const snapshot: ModelSnapshot = {
    main: { dir: '/s', sessions: [], archiveDays: ['2025-01-01', '2025-01-02'], error: null, problem: null, exists: true },
    extras: [],
    takenAt: 0,
  };

  test('the status bar, tree rows and ages take their words from the installed translator', () => {
    const seen: string[] = [];
    useTranslator((message, ...args) => {
      seen.push(message);
      return `«${fillPlaceholders(message, args)}»`;
    });
    const view = statusBarView(snapshot);
    assert.equal(view.text, '$(pulse) «0 sessions»');
    assert.equal(view.ariaLabel, '«Session Keeper: «0 sessions»»');
    const archived = rowOf({ kind: 'archived', dir: '/s', days: ['2025-01-01', '2025-01-02'], extra: false });
    assert.equal(archived.label, '«Archived»');
    assert.equal(archived.description, '«2 days»');
    assert.equal(formatAge(5 * 60_000), '«5 min ago»');
    assert.ok(seen.includes('{0} sessions') && seen.includes('{0} min ago'));
  });

  test('durations in liveness reasons are worded too, in the steps the CLI prints in English', () => {
    useTranslator((message, ...args) => `«${fillPlaceholders(message, args)}»`);
    assert.equal(wordedDuration(150_000, l10n), '«2 min»');
    assert.equal(livenessSentence({ code: 'closed', agoMs: 3 * 3_600_000 }, l10n), '«closed «3 h» ago»');
    for (const ms of [-5_000, 0, 59_999, 60_000, 3_599_999, 47 * 3_600_000, 48 * 3_600_000, Infinity]) {
      assert.equal(formatDuration(ms), wordedDuration(ms, ENGLISH), String(ms));
    }
    assert.deepEqual([0, 45_000, 120_000, 3 * 3_600_000, 4 * 86_400_000, Infinity].map(formatDuration), ['0 s', '45 s', '2 min', '3 h', '4 d', 'ever']);
  });

  test('without a translator installed the English source shows, placeholders filled', () => {
    assert.equal(statusBarView(snapshot).text, '$(pulse) 0 sessions');
    assert.equal(formatAge(5 * 60_000), '5 min ago');
  });

  test('every problem reason code is worded through the translator (the core returns codes, the UI words them)', () => {
    const reasons: ProblemReason[] = [
      { code: 'invalid-json', why: 'open-string', bytes: 20 },
      { code: 'invalid-json', why: 'cut-off', bytes: 20 },
      { code: 'invalid-json', why: 'extra-close', bytes: 1 },
      { code: 'invalid-json', why: 'not-json', bytes: 1_484_536 },
      { code: 'invalid-utf8-at', at: 17 },
      { code: 'invalid-utf8', bytes: 3 },
      { code: 'too-long', bytes: 9_000_000 },
      { code: 'not-utf8', message: '', encoding: 'UTF-16LE' },
      { code: 'not-utf8', message: '', encoding: null },
      { code: 'nul-bytes', bytes: 4 },
      { code: 'torn-tail', bytes: 12 },
      { code: 'fused-values' },
      { code: 'cr-line-end' },
      { code: 'utf8-bom' },
      { code: 'blank-line' },
      { code: 'recovered' },
    ];
    useTranslator((message, ...args) => `«${fillPlaceholders(message, args)}»`);
    for (const reason of reasons) {
      const worded = problemSentence(reason, l10n);
      assert.match(worded, /^«.*»$/, JSON.stringify(reason));
      // The English source is the same sentence without the marks.
      assert.equal(worded.replace(/[«»]/g, ''), problemSentence(reason), JSON.stringify(reason));
    }
    assert.equal(problemSentence({ code: 'invalid-json', why: 'not-json', bytes: 1_484_536 }), 'not a JSON value (1,484,536 bytes)');
  });

  test('every liveness reason code is worded through the translator, and English is the core reason', () => {
    const scopes: ScopeReason[] = [
      { code: 'other-host', host: 'build-01' },
      { code: 'no-pid-space-here' },
      { code: 'other-boot' },
      { code: 'other-pid-space', recorded: 'pid:[4026531836]', here: null },
      { code: 'other-pid-space', recorded: null, here: 'pid:[1]' },
      { code: 'other-pid-namespace' },
    ];
    const past = { future: false, ms: 180_000 };
    const ahead = { future: true, ms: 5_000 };
    const reasons: LivenessReason[] = [
      { code: 'closed', agoMs: 60_000 },
      { code: 'zombie', pid: 42 },
      { code: 'gone', pid: 42 },
      { code: 'pid-reused', pid: 42 },
      { code: 'late-process-alive', beat: past },
      { code: 'skew-process-alive', beat: ahead },
      { code: 'fresh', ageMs: 1_000 },
      { code: 'skew', beat: ahead },
      { code: 'expired', ageMs: 90_000_000, expireAfterMs: 86_400_000 },
      { code: 'clock-wrong', beat: ahead, expireAfterMs: 1_000 },
      { code: 'previous-boot' },
      { code: 'late', beat: past, process: 'alive' },
      { code: 'late', beat: ahead, process: 'not-checked' },
      ...scopes.flatMap((scope): LivenessReason[] => [
        { code: 'fresh', ageMs: 1_000, scope },
        { code: 'skew', beat: ahead, scope },
        { code: 'late', beat: past, process: 'not-checked', scope },
      ]),
    ];
    useTranslator((message, ...args) => `«${fillPlaceholders(message, args)}»`);
    for (const reason of reasons) {
      const worded = livenessSentence(reason, l10n);
      assert.match(worded, /^«.*»$/, JSON.stringify(reason));
      assert.equal(worded.replace(/[«»]/g, ''), livenessSentence(reason), JSON.stringify(reason));
    }
    assert.equal(livenessSentence({ code: 'fresh', ageMs: 1_000, scope: { code: 'other-pid-namespace' } }), 'heartbeat 1 s ago; other PID namespace, process not checked');
  });
});
