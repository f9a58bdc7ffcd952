// What users install is what we test: the packaged VSIX (`npm run package`) installed into
// code-server with --install-extension, no development path, driven as a person would.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { listExtensions } from '../harness/code-server';
import { REPO_ROOT, VSIX_PATH } from '../harness/harness-paths';
import { ensureTestPrerequisites } from '../harness/install-code-server';
import { startWorkbench, type Workbench } from '../harness/ui-session';
import { activityEntry, notifications, openView, runCommand, screenshot, statusBarItem, treeRows, waitForTreeRow } from '../harness/workbench';

const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { publisher: string; name: string; version: string };

describe('the packaged extension (VSIX) in a VS Code window', { timeout: 180_000 }, () => {
  let wb: Workbench;
  let page: Page;

  before(async () => {
    assert.ok(fs.existsSync(VSIX_PATH), `no ${path.basename(VSIX_PATH)}: run \`npm run package\` first (npm run test:ui does)`);
    // No SESSION_KEEPER_DIR: the extension uses its default folder, inside the run's own HOME.
    wb = await startWorkbench({ vsix: VSIX_PATH });
    page = await wb.openWindow();
  });

  after(async () => {
    await wb?.close();
  });

  test('code-server lists the VSIX as installed, at this version', () => {
    const installed = listExtensions(ensureTestPrerequisites(), wb.server);
    assert.ok(
      installed.includes(`${manifest.publisher}.${manifest.name}@${manifest.version}`),
      `installed extensions: ${JSON.stringify(installed)}`,
    );
  });

  test('its activity-bar entry opens the Sessions view, which lists this window', async () => {
    await activityEntry(page, 'Session Keeper').waitFor();
    await openView(page, 'Session Keeper');
    const rows = await waitForTreeRow(page, /\S/);
    assert.ok(rows.length >= 1, `tree rows: ${JSON.stringify(rows)}`);
    await screenshot(page, 'sessions-view');
  });

  test('its status bar item shows a session count', async () => {
    const item = await statusBarItem(page, 'sessionKeeper.status');
    assert.match(item.text, /\d/, `status bar item: ${JSON.stringify(item)}`);
  });

  test('Session Keeper: Refresh runs from the Command Palette without an error', async () => {
    await runCommand(page, 'Session Keeper: Refresh');
    const errors = (await notifications(page)).filter((n) => n.severity === 'error');
    assert.deepEqual(errors, []);
    assert.ok((await treeRows(page)).length >= 1, 'the tree still lists this window');
  });
});
