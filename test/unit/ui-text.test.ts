// The text rules of the extension's UI (src/ui/text-safety, relative-time, session-text): pure
// functions, tested under Node. Labels come from files other processes wrote, so these are the
// guards between a hostile label and the tree, status bar and tooltips.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeMarkdown, sanitizeText, truncate } from '../../src/ui/text-safety';
import { formatAge } from '../../src/ui/relative-time';
import { describeSession } from '../../src/ui/session-text';
import { folderNeighbours, folderOverlaps } from '../../src/core/shared-folders';
import type { SessionInfo } from '../../src/core/session-store';
import { sessionInfo } from '../helpers/session-info';

describe('sanitizeText', () => {
  test('removes C0, C1 and DEL controls, keeping words apart', () => {
    assert.equal(sanitizeText('a\u0000b\u001bc\u007fd\u0085e\nf\tg'), 'a b c d e f g');
  });

  test('removes bidi overrides and isolates (Trojan Source)', () => {
    const text = 'ok\u202eexe.txt\u202c \u2066x\u2069 \u200fy';
    const clean = sanitizeText(text);
    assert.doesNotMatch(clean, /[\u202a-\u202e\u2066-\u2069\u200e\u200f]/);
    assert.equal(clean, 'ok exe.txt x y');
  });

  test('truncates long text with an ellipsis, never splitting a surrogate pair', () => {
    assert.equal(sanitizeText('x'.repeat(500), 10), `${'x'.repeat(9)}…`);
    assert.equal(truncate('😀😀😀', 2), '😀…');
    assert.equal(sanitizeText('short', 10), 'short');
  });

  test('turns non-strings into text and null into empty', () => {
    assert.equal(sanitizeText(null), '');
    assert.equal(sanitizeText(undefined), '');
    assert.equal(sanitizeText(42), '42');
  });
});

describe('escapeMarkdown', () => {
  test('escapes every Markdown and HTML special character', () => {
    const hostile = '**bold** [link](command:workbench.action.quit) <img src=x onerror=alert(1)> `code` # h | t &amp;';
    const escaped = escapeMarkdown(hostile, 1000);
    // With every backslash pair removed, no special character is left over.
    assert.doesNotMatch(escaped.replace(/\\[\s\S]/g, ''), /[\\`*_[\]()#<>|&!]/);
    assert.ok(escaped.includes('\\[link\\]\\(command\\:workbench\\.action\\.quit\\)'));
    assert.ok(escaped.includes('\\<img'));
  });

  test('sanitizes before escaping: no newline can start a new Markdown block', () => {
    assert.equal(escapeMarkdown('a\n# b'), 'a \\# b');
  });
});

describe('formatAge', () => {
  test('reads like a person would say it', () => {
    assert.equal(formatAge(-5000), 'just now');
    assert.equal(formatAge(500), 'just now');
    assert.equal(formatAge(9_999), 'just now');
    assert.equal(formatAge(12_400), '10 s ago');
    assert.equal(formatAge(59_000), '50 s ago');
    assert.equal(formatAge(5 * 60_000 + 10), '5 min ago');
    assert.equal(formatAge(3 * 3_600_000), '3 h ago');
    assert.equal(formatAge(3 * 86_400_000), '3 days ago');
    assert.equal(formatAge(Number.NaN), 'just now');
  });
});

describe('describeSession', () => {
  test('description is age · pid · host, "this window" after the age on our own row, the host left out when it is this machine', () => {
    // 22 s after a heartbeat due every 10 s: late (see shownHeartbeatAge), so the age shows.
    const late = sessionInfo({}, { heartbeatAgeMs: 22_000 });
    assert.equal(describeSession(late, { self: false, localHost: 'laptop' }).description, '20 s ago · pid 4242 · build-01');
    assert.equal(describeSession(late, { self: true, localHost: 'laptop' }).description, '20 s ago · this window · pid 4242 · build-01');
    assert.equal(describeSession(late, { self: false, localHost: 'build-01' }).description, '20 s ago · pid 4242');
  });

  test('a closed session says when it closed', () => {
    // Listed at 00:10, ten minutes after its last heartbeat: the age the store measured.
    const text = describeSession(sessionInfo({ closedAt: '2025-01-01T00:05:00.000Z' }, { state: 'closed', heartbeatAgeMs: 600_000 }), { self: false, localHost: 'laptop' });
    assert.equal(text.description, 'closed 5 min ago · pid 4242 · build-01');
  });

  test('a hostile label is sanitized in the row and escaped in the tooltip', () => {
    const label = '\u202e<script>alert(1)</script> [x](command:rm)\n**bold**';
    const text = describeSession(sessionInfo({ label, hostname: 'h<b>ost' }), { self: false });
    assert.doesNotMatch(text.label, /[\u202e\n]/);
    assert.doesNotMatch(text.tooltip, /(^|[^\\])<script/);
    assert.doesNotMatch(text.tooltip, /(^|[^\\])\[x\]/);
    assert.doesNotMatch(text.tooltip, /\u202e/);
    assert.ok(text.tooltip.includes('h\\<b\\>ost'));
  });

  test('the tooltip carries every field', () => {
    const tooltip = describeSession(sessionInfo(), { self: false }).tooltip;
    for (const field of ['State', 'Id', 'Tool', 'Host', 'User', 'PID', 'Process started', 'Created', 'Last heartbeat', 'Heartbeat interval', 'Unresponsive after', 'Stale after', 'Closed', 'Workspace folders', 'Session file', 'Journal']) {
      assert.ok(tooltip.includes(`${field}:`), `tooltip lacks ${field}`);
    }
    assert.ok(tooltip.includes('4242'));
    assert.ok(tooltip.includes('\\/home\\/ann\\/api') || tooltip.includes('/home/ann/api'));
  });

  test('an empty label still gives a readable row', () => {
    assert.equal(describeSession(sessionInfo({ label: '\u0000\u202e' }), { self: false }).label, '(no label)');
  });
});

describe('status line and folder sharing in the tree', () => {
  const info = (over: Partial<SessionInfo['record']>, state: SessionInfo['state'] = 'active', archivedOn: string | null = null): SessionInfo =>
    sessionInfo(
      { id: '01956a2e-8a9c-7d4e-9f10-3b2a1c0d9e8f', hostname: 'laptop', user: 'ada', label: 'agent', workspaceFolders: [], tool: 'mcp:claude-code', createdAt: '2025-03-01T10:00:00.000Z', heartbeatAt: '2025-03-01T10:00:00.000Z', ...over },
      { state, reason: '', heartbeatAgeMs: 1000, archivedOn },
    );

  test('the status line is shown quoted, sanitized and cut; not for closed sessions', () => {
    const now = Date.parse('2025-03-01T10:00:01.000Z');
    const d = describeSession(info({ status: 'reviewing\u202e PR 12\n' }), { self: false, now });
    assert.match(d.description, / · “reviewing PR 12”$/);
    assert.match(describeSession(info({ status: 'x'.repeat(300) }), { self: false, now }).description, /“x{59}…”$/);
    assert.doesNotMatch(describeSession(info({ status: 'done' }, 'closed'), { self: false, now }).description, /done/);
    assert.match(d.tooltip, /Status: reviewing PR 12/);
  });

  test('this window counts running sessions sharing a folder; those rows are marked', () => {
    const self = info({ id: '00000000-0000-7000-8000-000000000001', workspaceFolders: ['/src/api'] });
    const inside = info({ id: '00000000-0000-7000-8000-000000000002', workspaceFolders: ['/src/api/server'] });
    const same = info({ id: '00000000-0000-7000-8000-000000000003', workspaceFolders: ['/src/api'] }, 'unresponsive');
    const elsewhere = info({ id: '00000000-0000-7000-8000-000000000004', workspaceFolders: ['/src/apix'] });
    const gone = info({ id: '00000000-0000-7000-8000-000000000005', workspaceFolders: ['/src/api'] }, 'stale');
    const archived = info({ id: '00000000-0000-7000-8000-000000000006', workspaceFolders: ['/src/api'] }, 'active', '2025-03-01');
    const near = folderNeighbours([self, inside, same, elsewhere, gone, archived], self.record.id);
    assert.deepEqual([...near.ids].sort(), [inside.record.id, same.record.id]);
    assert.match(describeSession(self, { self: true, neighbours: near.ids.size }).description, / · 2 others in this folder$/);
    assert.match(describeSession(self, { self: true, neighbours: 1 }).description, / · 1 other in this folder$/);
    assert.match(describeSession(inside, { self: false, sharesFolder: true }).description, / · in this folder$/);
    assert.doesNotMatch(describeSession(self, { self: true, neighbours: 0 }).description, /folder/);
    assert.equal(folderNeighbours([self], undefined).ids.size, 0);
    assert.equal(folderOverlaps('/src/api', '/src/apix'), false);
    assert.equal(folderOverlaps('/src/api', '/src/api/x'), true);
  });
});

test('the tree and status bar drop tag, zero-width and other invisible characters (the one core set)', () => {
  const tag = [...'RUN'].map((c) => String.fromCodePoint(0xe0000 + c.charCodeAt(0))).join('');
  assert.equal(sanitizeText(`ok${tag}\u200bzw\u2060\ufeff\u00adx\ufe0f`), 'ok zw x');
});
