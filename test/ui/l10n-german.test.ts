// The German translation as a German user meets it: code-server started with --locale de, the
// packaged VSIX installed as users do, and a language pack for "de" installed from the window
// (built by the harness, see test/harness/language-pack.ts: VS Code only switches to a language
// some installed extension contributes).
// The workbench's own text stays English (that pack carries no workbench translations); what is
// checked is that VS Code hands the extension "de", so the view, the tree rows, the status bar,
// the command titles and the messages come from package.nls.de.json and l10n/bundle.l10n.de.json.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { harnessTempParent, VSIX_PATH } from '../harness/harness-paths';
import { buildLanguagePack, installLanguagePack } from '../harness/language-pack';
import { startWorkbench, type Workbench } from '../harness/ui-session';
import { eventually, notifications, openView, runCommand, screenshot, statusBarItem, treeRows, waitForTreeRow } from '../harness/workbench';

describe('Session Keeper in German (display language "de")', { timeout: 300_000 }, () => {
  let wb: Workbench;
  let page: Page;
  let work: string;

  before(async () => {
    assert.ok(fs.existsSync(VSIX_PATH), 'no VSIX: run `npm run package` first (npm run test:ui does)');
    work = fs.mkdtempSync(path.join(harnessTempParent(), 'sk-de-'));
    const pack = buildLanguagePack(work, 'de', 'Deutsch');
    wb = await startWorkbench({ vsix: VSIX_PATH, locale: 'de', env: { SESSION_KEEPER_DIR: path.join(work, 'sessions') } });
    page = await wb.openWindow();
    // Before the pack, VS Code has no German to offer and the extension speaks English.
    await eventually(() => statusBarItem(page, 'sessionKeeper.status'), (s) => s.text === '1 session', 'the English status bar before the pack');
    await installLanguagePack(page, wb.server.userDataDir, pack, 'de');
  });

  after(async () => {
    await wb?.close();
    if (work !== undefined) fs.rmSync(work, { recursive: true, force: true });
  });

  test('the Sessions view, its rows and the status bar speak German', async () => {
    await openView(page, 'Session Keeper');
    // The view's name comes from package.nls.de.json. Its header is in the DOM but hidden while
    // it is the container's only view, so its text is read, not looked at.
    const header = page.locator('.part.sidebar .pane-header[aria-label^="Sitzungen"]');
    await header.first().waitFor({ state: 'attached' });
    assert.equal((await header.first().locator('h3.title').textContent())?.trim(), 'Sitzungen');

    // The group of live sessions and this window's own row, worded by the l10n bundle.
    const rows = await waitForTreeRow(page, 'dieses Fenster');
    const group = rows.find((r) => r.level === 1 && r.label === 'Aktiv');
    assert.ok(group, `no group "Aktiv" in ${JSON.stringify(rows)}`);
    const self = rows.find((r) => r.description.includes('dieses Fenster'));
    assert.ok(self, JSON.stringify(rows));
    assert.match(self.description, /^(gerade eben|vor \d+ s) · dieses Fenster · PID \d+/, self.description);
    assert.match(self.ariaLabel, /, aktiv, /, self.ariaLabel);
    assert.ok(!(await treeRows(page)).some((r) => r.label === 'Active' || r.description.includes('this window')), 'no English row text');

    const status = await eventually(() => statusBarItem(page, 'sessionKeeper.status'), (s) => /Sitzung/.test(s.text), 'the status bar in German');
    assert.equal(status.text, '1 Sitzung');
    assert.equal(status.ariaLabel, 'Session Keeper: 1 Sitzung');
    await screenshot(page, 'german-sessions-view');
  });

  test('command titles in the Command Palette are German, and the command answers in German', async () => {
    // A palette row shows the title in the display language, then VS Code's English alias on
    // a second line: the first line is the title.
    const palette = page.locator('.quick-input-widget');
    for (const title of ['Session Keeper: Alle verwaisten Sitzungen archivieren', 'Session Keeper: JSONL-Datei prüfen…', 'Session Keeper: Protokoll anzeigen', 'Session Keeper: Warnungen zurücksetzen', 'Session Keeper: Focus on Sitzungen View']) {
      await page.keyboard.press('F1');
      await palette.waitFor({ state: 'visible' });
      await page.keyboard.type(title);
      const focused = palette.locator('.monaco-list-row.focused', { hasText: title });
      await focused.waitFor();
      assert.equal((await focused.innerText()).split('\n')[0]?.trim(), title);
      if (title.endsWith('zurücksetzen')) await screenshot(page, 'german-command-palette');
      await page.keyboard.press('Escape');
      await palette.waitFor({ state: 'hidden' });
    }

    await runCommand(page, 'Session Keeper: Alle verwaisten Sitzungen archivieren');
    await eventually(
      () => notifications(page),
      (n) => n.some((x) => x.message === 'Session Keeper: Es gibt keine verwaisten oder geschlossenen Sitzungen zum Archivieren.'),
      'the German answer of the command',
    );
  });

  test('the walkthrough has German steps and shows the German page of each', async () => {
    // The command asks which walkthrough in a second pick, so the palette stays open: by hand.
    await page.keyboard.press('F1');
    await page.keyboard.type('Welcome: Open Walkthrough');
    await page.locator('.quick-input-widget .monaco-list-row.focused', { hasText: 'Open Walkthrough' }).waitFor();
    await page.keyboard.press('Enter');
    await page.keyboard.type('Erste Schritte mit Session Keeper');
    await page.locator('.quick-input-widget .monaco-list-row.focused', { hasText: 'Erste Schritte mit Session Keeper' }).waitFor();
    await page.keyboard.press('Enter');
    const steps = page.locator('.gettingStartedContainer .getting-started-step');
    const titles = ['Die Ansicht „Sitzungen“ öffnen', 'Einen Agent einbinden oder den MCP-Server hinzufügen', 'Eine JSONL-Datei öffnen und ihre Probleme sehen', 'Die Einstellungen finden'];
    await eventually(() => steps.allInnerTexts(), (t) => titles.every((title) => t.join('\n').includes(title)), 'the German steps');
    // The selected step's page (markdown in a webview) is media/walkthrough/de/view.md.
    const pageText = page.frameLocator('.gettingStartedContainer iframe.webview').frameLocator('iframe#active-frame').locator('body');
    await eventually(() => pageText.innerText(), (t) => t.includes('Die Ansicht „Sitzungen“') && t.includes('Die Statusleiste zählt die Sitzungen'), 'the German page of the first step');
    await screenshot(page, 'german-walkthrough');
    await runCommand(page, 'View: Close All Editors');
  });
});
