// What a person sees of Session Keeper, driven through a real VS Code (code-server) in headless
// Chromium: two windows that list each other, another process's session going stale and being
// archived, the tooltip, JSONL problems with their Quick Fix, the welcome view of an unreadable
// folder. Screenshots go to test-results/screenshots/ (the README's come from npm run screenshots).
import * as assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Page } from 'playwright-core';
import { harnessTempParent, REPO_ROOT, VSIX_PATH } from '../harness/harness-paths';
import { startWorkbench, type Workbench } from '../harness/ui-session';
import { clearNotifications, eventually, notifications, openFile, openView, runCommand, screenshot, statusBarItem, statusBarText, treeRows, type TreeRow } from '../harness/workbench';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');

function cli(dir: string, args: string[]): string {
  const run = spawnSync(process.execPath, [CLI, '--dir', dir, ...args], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(run.status, 0, `session-keeper ${args.join(' ')}: ${run.stderr}`);
  return run.stdout;
}

/** The group row (level 1) a row sits under, as the tree shows it. */
function groupOf(rows: TreeRow[], label: string): string | undefined {
  const i = rows.findIndex((r) => r.label === label);
  for (let j = i - 1; j >= 0; j--) if ((rows[j] as TreeRow).level === 1) return (rows[j] as TreeRow).label;
  return undefined;
}

async function sessionRows(page: Page): Promise<TreeRow[]> {
  return treeRows(page);
}

/** Drags the side bar's edge so tree descriptions are not cut off (as a person would). */
async function widenSideBar(page: Page, width: number): Promise<void> {
  const bar = await page.locator('.part.sidebar').boundingBox();
  if (!bar || bar.width >= width) return;
  const edge = bar.x + bar.width;
  await page.mouse.move(edge, 300);
  await page.mouse.down();
  await page.mouse.move(bar.x + width, 300, { steps: 8 });
  await page.mouse.up();
}

/**
 * Where a row's age ends on screen and where the row's visible text area ends: the age is
 * readable when it ends inside that area (a description that does not fit is cut at its end).
 */
async function ageOnScreen(page: Page, label: string): Promise<{ age: string; ageRight: number; visibleRight: number }> {
  const row = page.locator('.part.sidebar .monaco-list-row', { hasText: label }).first();
  return row.evaluate((el) => {
    const desc = el.querySelector('.label-description');
    const area = el.querySelector('.monaco-icon-label-container') ?? el;
    // The first text node of the description (it may sit in a highlight span).
    let first = desc?.firstChild ?? null;
    while (first && first.nodeType !== 3 && first.firstChild) first = first.firstChild;
    const match = /^(just now|\d+ s ago|\d+ min ago)/.exec(first?.textContent ?? '');
    if (!first || !match) return { age: '', ageRight: Infinity, visibleRight: 0 };
    const range = el.ownerDocument.createRange();
    range.setStart(first, 0);
    range.setEnd(first, match[0].length);
    return { age: match[0], ageRight: range.getBoundingClientRect().right, visibleRight: area.getBoundingClientRect().right };
  });
}

/**
 * Hovers a tree row until its tooltip shows. The workbench opens hovers after the pointer rests
 * and moves a little, so a single jump onto the row is not enough.
 */
async function hoverRow(page: Page, label: string): Promise<string> {
  const box = await page.locator('.part.sidebar .monaco-list-row', { hasText: label }).locator('.label-name').boundingBox();
  assert.ok(box, `row ${label} on screen`);
  // This row's hover, not one another row left open under the pointer.
  const hover = page.locator('.monaco-hover.workbench-hover').filter({ hasText: 'Last heartbeat' }).filter({ hasText: label }).first();
  for (let i = 0; i < 30 && !(await hover.isVisible()); i++) {
    await page.mouse.move(box.x + 10 + (i % 5), box.y + box.height / 2);
    await sleep(400);
  }
  return hover.innerText();
}

describe('Session Keeper as a person sees it', { timeout: 300_000 }, () => {
  let wb: Workbench;
  let sessions: string;
  let api: Page;
  let web: Page;
  let other: ChildProcess | undefined;
  let work: string | undefined;

  before(async () => {
    assert.ok(fs.existsSync(VSIX_PATH), 'no VSIX: run `npm run package` first (npm run test:ui does)');
    assert.ok(fs.existsSync(CLI), 'no dist/cli.js: run `npm run build` first');
    work = fs.mkdtempSync(path.join(harnessTempParent(), 'sk-ui-'));
    sessions = path.join(work, 'sessions');
    wb = await startWorkbench({
      vsix: VSIX_PATH,
      env: { SESSION_KEEPER_DIR: sessions },
      // Auto save off, as on a desktop: a browser window saves after 1 s by default, which would
      // race the unsaved-changes test.
      settings: { 'sessionKeeper.heartbeatIntervalSeconds': 2, 'workbench.colorTheme': 'Default Dark Modern', 'files.autoSave': 'off' },
    });
    const apiFolder = path.join(work, 'api-server');
    const webFolder = path.join(work, 'web-client');
    fs.mkdirSync(apiFolder);
    fs.mkdirSync(webFolder);
    // Files that exist before the window opens are in Quick Open's index from the start.
    for (const name of ['events.jsonl', 'dirty.jsonl', 'cancel.jsonl']) fs.writeFileSync(path.join(apiFolder, name), '{}\n');
    api = await wb.openWindow({ folder: apiFolder });
    web = await wb.openWindow({ folder: webFolder });
  });

  after(async () => {
    other?.kill('SIGKILL');
    await wb?.close();
    // The workspace folders and sessions directory of this run: nothing is left behind.
    if (work !== undefined) fs.rmSync(work, { recursive: true, force: true });
  });

  test('at the default side bar width a row shows its age first (the host of this machine left out)', async () => {
    await openView(api, 'Session Keeper');
    const rows = await eventually(() => sessionRows(api), (r) => r.some((x) => x.label === 'web-client'), 'the other window listed');
    assert.match(rows.find((r) => r.label === 'web-client')?.description ?? '', /^(just now|\d+ s ago) · pid \d+$/);
    const shown = await ageOnScreen(api, 'web-client');
    assert.ok(shown.age !== '' && shown.ageRight <= shown.visibleRight, `the age is on screen: ${JSON.stringify(shown)}`);
    await screenshot(api, 'sessions-view-default-width');
  });

  test('two windows on one server list each other as active, each marking itself "this window"', async () => {
    for (const [page, self, peer] of [
      [api, 'api-server', 'web-client'],
      [web, 'web-client', 'api-server'],
    ] as const) {
      await openView(page, 'Session Keeper');
      await widenSideBar(page, 470);
      const rows = await eventually(() => sessionRows(page), (r) => r.some((x) => x.label === peer) && r.some((x) => x.label === self), `${self} to list both windows`);
      const own = rows.find((r) => r.label === self);
      const theirs = rows.find((r) => r.label === peer);
      assert.match(own?.description ?? '', /^(just now|\d+ s ago) · this window · pid \d+$/);
      assert.match(theirs?.description ?? '', /^(just now|\d+ s ago) · pid \d+$/);
      assert.equal(groupOf(rows, self), 'Active');
      assert.equal(groupOf(rows, peer), 'Active');
      assert.equal(await statusBarText(page, 'sessionKeeper.status'), '2 sessions');
      const item = await statusBarItem(page, 'sessionKeeper.status');
      assert.equal(item.ariaLabel, 'Session Keeper: 2 sessions');
      assert.equal(await page.locator('.part.statusbar .statusbar-item[id$="sessionKeeper.status"].warning-kind').count(), 0, 'no warning colour when nothing needs action');
    }
  });

  test('another process’s session: active, stale once killed (status bar warns), archived by Archive All Stale', async () => {
    other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
    const id = cli(sessions, ['register', '--label', 'agent: nightly refactor', '--pid', String(other.pid), '--tool', 'claude-code']).trim();
    let rows = await eventually(() => sessionRows(api), (r) => groupOf(r, 'agent: nightly refactor') === 'Active', 'the agent under Active');
    assert.match(rows.find((r) => r.label === 'agent: nightly refactor')?.description ?? '', new RegExp(`^(just now|\\d+ s ago) · pid ${other.pid}( · |$)`));

    // A click on the row opens the session's journal (the default action).
    await api.locator('.part.sidebar .monaco-list-row', { hasText: 'agent: nightly refactor' }).first().click();
    await api.locator('.tabs-container .tab', { hasText: `${id}.jsonl` }).waitFor({ timeout: 15_000 });
    await api.locator('.editor-instance .view-lines', { hasText: '"created"' }).waitFor();
    await screenshot(api, 'session-click-journal');
    await runCommand(api, 'View: Close All Editors');
    await openView(api, 'Session Keeper');
    // The pointer rests away from the tree: its rows regroup below, and a hover must not open by chance.
    await api.mouse.move(900, 700);

    const exited = new Promise((resolve) => other?.once('exit', resolve));
    other.kill('SIGKILL');
    await exited;
    rows = await eventually(() => sessionRows(api), (r) => groupOf(r, 'agent: nightly refactor') === 'Stale', 'the agent under Stale', 20_000);
    assert.equal(rows.find((r) => r.label === 'Stale')?.description, '1');
    await eventually(() => statusBarText(api, 'sessionKeeper.status'), (t) => t === '3 sessions · 1 stale', 'the status bar to count the stale session');
    assert.equal((await statusBarItem(api, 'sessionKeeper.status')).ariaLabel, 'Session Keeper: 3 sessions, 1 of them stale');
    const warned = await api.locator('.part.statusbar .statusbar-item[id$="sessionKeeper.status"].warning-kind').count();
    assert.equal(warned, 1, 'the status bar item has the warning background');
    await screenshot(api, 'sessions-view-stale');

    // The tooltip: every field of the record, as a person hovering the row reads it.
    const tip = await hoverRow(api, 'agent: nightly refactor');
    for (const field of ['State: Stale', 'Tool: claude-code', `PID: ${other.pid}`, 'Last heartbeat', 'Journal:']) assert.ok(tip.includes(field), `tooltip has ${field}: ${tip}`);
    await screenshot(api, 'session-tooltip');
    await api.mouse.move(900, 700);

    await runCommand(api, 'Session Keeper: Archive All Stale Sessions');
    rows = await eventually(() => sessionRows(api), (r) => !r.some((x) => x.label === 'agent: nightly refactor') && r.some((x) => x.label === 'Archived'), 'the agent to move to Archived');
    assert.equal(rows.find((r) => r.label === 'Archived')?.expanded, false, 'the Archived group starts collapsed');
    const days = fs.readdirSync(path.join(sessions, 'archive'));
    assert.ok(days.some((d) => fs.existsSync(path.join(sessions, 'archive', d, `${id}.json`))), `archived under archive/YYYY-MM-DD/ (${days.join(', ')})`);
    await eventually(() => statusBarText(api, 'sessionKeeper.status'), (t) => t === '2 sessions', 'the status bar back to 2');
    await clearNotifications(api);
  });

  test('an MCP agent in this window’s folder: its row shows its status line, this window counts it', async () => {
    const folder = path.join(path.dirname(sessions), 'api-server');
    const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp', '--dir', sessions], cwd: folder, stderr: 'ignore' });
    const client = new Client({ name: 'ui-agent', version: '1.0.0' });
    await client.connect(transport);
    let id = '';
    try {
      const status = await client.callTool({ name: 'set_session_status', arguments: { status: 'reviewing PR 12' } });
      id = String((status.structuredContent as { id: string }).id);
      const rows = await eventually(
        () => sessionRows(api),
        (r) => (r.find((x) => x.label === 'ui-agent')?.description ?? '').includes('reviewing PR 12'),
        'the agent row with its status line',
      );
      assert.equal(groupOf(rows, 'ui-agent'), 'Active');
      assert.match(rows.find((r) => r.label === 'ui-agent')?.description ?? '', / · “reviewing PR 12” · in this folder$/);
      assert.match(rows.find((r) => r.label === 'api-server')?.description ?? '', /^(just now|\d+ s ago) · this window · pid \d+ · 1 other in this folder$/);
      await screenshot(api, 'sessions-view-mcp-agent');
    } finally {
      await client.close();
    }
    await eventually(() => sessionRows(api), (r) => groupOf(r, 'ui-agent') === 'Closed', 'the agent under Closed once it disconnected');
    // Leave the tree as the next tests expect it.
    cli(sessions, ['archive', id]);
    await eventually(() => sessionRows(api), (r) => !r.some((x) => x.label === 'ui-agent'), 'the agent archived');
  });

  test('a corrupted .jsonl file: problems with line numbers, a warning, and the Repair file Quick Fix', async () => {
    const folder = path.join(path.dirname(sessions), 'api-server');
    const file = path.join(folder, 'events.jsonl');
    const good = (i: number): string => JSON.stringify({ seq: i, event: 'tick' });
    fs.writeFileSync(file, [good(1), good(2), '{"seq":3,"event":"ti', good(4), 'garbage line', good(6), good(7)].join('\n') + '\n');
    await openFile(api, 'events.jsonl', 'garbage line');

    const warning = await eventually(() => notifications(api), (n) => n.some((x) => x.message.includes('of its lines are corrupted')), 'the corruption warning');
    assert.ok(warning.some((n) => n.severity === 'warning' && n.message.startsWith('events.jsonl: 29% of its lines are corrupted (2 of 7)')), JSON.stringify(warning));

    await runCommand(api, 'View: Focus Problems');
    const problems = api.locator('.markers-panel .monaco-list-row');
    await eventually(() => problems.allInnerTexts(), (t) => t.join('\n').includes('Session Keeper'), 'problems in the Problems panel');
    const text = (await problems.allInnerTexts()).join('\n');
    assert.match(text, /Line ends inside a string: probably a torn write/);
    assert.match(text, /Not a JSON value/);
    assert.match(text, /\[Ln 3, Col 1\]/);
    assert.match(text, /\[Ln 5, Col 1\]/);
    await clearNotifications(api);
    await screenshot(api, 'jsonl-problems');

    // Quick Fix on line 5, from the keyboard as a person would: Ctrl+G 5, Ctrl+.
    await api.locator('.editor-instance .view-lines').click();
    await api.keyboard.press('Control+G');
    await api.keyboard.type('5');
    await api.keyboard.press('Enter');
    await api.keyboard.press('Control+.');
    const fix = api.locator('.action-widget .monaco-list-row', { hasText: 'Repair file' });
    await fix.waitFor({ timeout: 15_000 });
    await screenshot(api, 'jsonl-quick-fix');
    // The menu opens with "Repair file" focused (it is the preferred fix): Enter applies it.
    assert.match((await fix.getAttribute('class')) ?? '', /\bfocused\b/);
    await api.keyboard.press('Enter');
    const done = await eventually(() => notifications(api), (n) => n.some((x) => x.message.startsWith('Repaired events.jsonl')), 'the repair result');
    const message = done.find((n) => n.message.startsWith('Repaired events.jsonl'))?.message ?? '';
    assert.match(message, /kept 5 records/);
    assert.match(message, /quarantined 2 lines/);
    assert.ok(message.includes(`${file}.quarantine`), message);
    const repaired = fs.readFileSync(file, 'utf8').trim().split('\n');
    assert.deepEqual(repaired, [good(1), good(2), good(4), good(6), good(7)]);
    await eventually(() => problems.count(), (n) => n === 0, 'the problems to clear once the editor shows the repaired file');
    await clearNotifications(api);
  });

  test('repairing a file with unsaved changes asks first; "Save and Repair" saves, then repairs', async () => {
    const file = path.join(path.dirname(sessions), 'api-server', 'dirty.jsonl');
    fs.writeFileSync(file, '{"a":1}\nnot json\n{"a":3}\n');
    await openFile(api, 'dirty.jsonl', 'not json');
    await api.keyboard.press('Control+End');
    await api.keyboard.type('{"a":4}');
    await runCommand(api, 'Session Keeper: Repair JSONL File…');
    const dialog = api.locator('.monaco-dialog-box');
    await dialog.filter({ hasText: 'dirty.jsonl has unsaved changes' }).waitFor();
    await screenshot(api, 'repair-unsaved-confirm');
    await dialog.getByRole('button', { name: 'Save and Repair' }).click();
    await eventually(() => notifications(api), (n) => n.some((x) => x.message.startsWith('Repaired dirty.jsonl')), 'the repair result');
    assert.equal(fs.readFileSync(file, 'utf8'), '{"a":1}\n{"a":3}\n{"a":4}\n', 'the edit was saved and the bad line repaired away');
    assert.equal(fs.readFileSync(`${file}.quarantine`, 'utf8'), 'not json\n');
    await clearNotifications(api);
  });

  test('the Explorer context menu of a .jsonl file offers Check and Repair', async () => {
    await runCommand(api, 'View: Show Explorer');
    const row = api.locator('.part.sidebar .explorer-folders-view .monaco-list-row', { hasText: 'cancel.jsonl' });
    const menuItems = async (): Promise<string[]> => {
      await row.waitFor();
      await row.click({ button: 'right' });
      const menu = api.locator('.monaco-menu');
      await menu.waitFor();
      const items = await menu.locator('.action-label').allInnerTexts();
      await api.keyboard.press('Escape');
      return items;
    };
    const offersBoth = (items: string[]): boolean => items.includes('Check JSONL File…') && items.includes('Repair JSONL File…');
    try {
      let items = await menuItems();
      if (!offersBoth(items)) {
        // After the earlier tests the explorer may still be re-rendering (a quarantine file just
        // appeared) and a right-click can land on a row being replaced: select it, then ask again.
        await row.click();
        await api.waitForTimeout(500);
        items = await menuItems();
      }
      assert.ok(offersBoth(items), JSON.stringify(items));
    } finally {
      // Never leave the next tests in the Explorer.
      await openView(api, 'Session Keeper');
    }
  });

  test('a repair can be cancelled from its progress notification and leaves the file as it was', async () => {
    const file = path.join(path.dirname(sessions), 'api-server', 'cancel.jsonl');
    const content = '{"a":1}\nbroken\n{"a":3}\n';
    fs.writeFileSync(file, content);
    await openFile(api, 'cancel.jsonl', 'broken');
    // Another process holds the file's lock for a while, so the repair is still waiting when
    // the person presses Cancel (a real repair of a small file is over in milliseconds).
    const holder = spawn(
      process.execPath,
      ['-e', `require(${JSON.stringify(path.join(REPO_ROOT, 'out', 'src', 'core', 'lock.js'))}).withLock(process.argv[1], () => { console.log('locked'); return new Promise((r) => setTimeout(r, 12000)); })`, file],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const holderExited = new Promise((resolve) => holder.once('exit', resolve));
    await Promise.race([
      new Promise<void>((resolve) => holder.stdout?.once('data', () => resolve())),
      holderExited.then(() => assert.fail('the lock holder exited before taking the lock')),
    ]);
    await runCommand(api, 'Session Keeper: Repair JSONL File…');
    const progress = api.locator('.notifications-toasts .notification-list-item', { hasText: 'Repairing cancel.jsonl' });
    await progress.waitFor();
    // The toast keeps moving while its progress bar runs; the button is there and enabled.
    await progress.getByRole('button', { name: 'Cancel' }).click({ force: true });
    await eventually(() => notifications(api), (n) => n.some((x) => x.message === 'Repair of cancel.jsonl cancelled; the file is unchanged.'), 'the cancellation message', 45_000);
    await holderExited;
    assert.equal(fs.readFileSync(file, 'utf8'), content);
    assert.equal(fs.existsSync(`${file}.quarantine`), false, 'nothing quarantined');
    assert.deepEqual(fs.readdirSync(path.dirname(file)).filter((n) => n.endsWith('.tmp')), [], 'no temp files left');
    await clearNotifications(api);
  });

  test('closing a window (its browser tab) closes its session; the other window shows it under Closed', async () => {
    await web.close();
    const closed = await eventually(
      () => sessionRows(api),
      (r) => groupOf(r, 'web-client') === 'Closed',
      'web-client under Closed after its tab closed',
      60_000,
    );
    assert.ok(closed.some((r) => r.label === 'Closed'));
  });

  test('reloading a window closes its old session and registers a new one', async () => {
    web = await wb.openWindow({ folder: path.join(path.dirname(sessions), 'web-client') });
    await runCommand(web, 'Developer: Reload Window');
    // The reload ends web-client's extension host (deactivate closes its session) and starts a new one.
    const rows = await eventually(
      () => sessionRows(api),
      (r) => groupOf(r, 'web-client') === 'Closed' || r.filter((x) => x.label === 'web-client').length === 2,
      'the old web-client session under Closed',
      60_000,
    );
    assert.ok(rows.some((r) => r.label === 'Closed'), JSON.stringify(rows));
    await screenshot(api, 'sessions-view-closed');
  });

  test('an unusable sessions folder shows the welcome of its kind, and the view recovers', async () => {
    const aside = `${sessions}.aside`;
    fs.renameSync(sessions, aside);
    fs.writeFileSync(sessions, 'not a folder\n');
    try {
      // A file where the folder should be: the welcome of that kind, with its fix.
      const welcome = api.locator('.part.sidebar .welcome-view-content', { hasText: 'The sessions folder cannot be used safely' });
      await welcome.waitFor({ timeout: 30_000 });
      assert.match(await welcome.innerText(), /Change the Folder/);
      assert.equal(await statusBarText(api, 'sessionKeeper.status'), 'folder unsafe');
      assert.equal((await statusBarItem(api, 'sessionKeeper.status')).ariaLabel, 'Session Keeper: the sessions folder cannot be used safely');
      await screenshot(api, 'welcome-unreadable');
    } finally {
      fs.rmSync(sessions);
      fs.renameSync(aside, sessions);
    }
    await eventually(() => sessionRows(api), (r) => r.some((x) => x.label === 'api-server'), 'the sessions to show again');
  });

  test('when this window is the only session the view says how to add an agent; a click copies the command', async () => {
    await web.close();
    // Every web-client session (before and after its reload) under Closed.
    const webGroups = (rows: TreeRow[]): string[] =>
      rows.flatMap((r, i) => (r.label === 'web-client' ? [rows.slice(0, i).reverse().find((g) => g.level === 1)?.label ?? ''] : []));
    await eventually(() => sessionRows(api), (r) => webGroups(r).length > 0 && webGroups(r).every((g) => g === 'Closed'), 'web-client closed', 60_000);
    await runCommand(api, 'Session Keeper: Archive All Stale Sessions');
    const rows = await eventually(() => sessionRows(api), (r) => r.some((x) => x.label === 'Add an agent or tool:'), 'the hint row', 30_000);
    assert.equal(rows.find((r) => r.label === 'Add an agent or tool:')?.description, 'session-keeper run --label my-agent -- <command>');
    await screenshot(api, 'sessions-view-alone-hint');
    await api.locator('.part.sidebar .monaco-list-row', { hasText: 'Add an agent or tool:' }).click();
    await api.locator('.part.statusbar', { hasText: 'Copied: session-keeper run --label my-agent -- <command>' }).waitFor({ timeout: 15_000 });
    await clearNotifications(api);
  });
});
