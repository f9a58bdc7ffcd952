// Two browser tabs on one code-server are two VS Code windows, each with its own extension
// host: two sessions, as when a person works in two windows.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { extensionHostPids } from '../harness/code-server';
import { VSIX_PATH } from '../harness/harness-paths';
import { startWorkbench, type Workbench } from '../harness/ui-session';
import { eventually, openView, screenshot, statusBarText, waitForTreeRow } from '../harness/workbench';

describe('two windows on one server', { timeout: 180_000 }, () => {
  let wb: Workbench;
  let windows: Page[];

  before(async () => {
    assert.ok(fs.existsSync(VSIX_PATH), 'no VSIX: run `npm run package` first (npm run test:ui does)');
    wb = await startWorkbench({ vsix: VSIX_PATH });
    windows = await wb.openWindows(2);
  });

  after(async () => {
    await wb?.close();
  });

  test('each window runs its own extension host', async () => {
    await eventually(() => extensionHostPids(wb.server), (pids) => pids.length === 2, 'two extension hosts');
  });

  test('each window registers a session and lists both, its own marked "this window"', async () => {
    const own: string[] = [];
    for (const [i, page] of windows.entries()) {
      await openView(page, 'Session Keeper');
      await eventually(() => statusBarText(page, 'sessionKeeper.status'), (text) => text === '2 sessions', `window ${i + 1} to count 2 sessions`);
      const rows = await waitForTreeRow(page, /this window/);
      const self = rows.find((row) => row.description.includes('this window'));
      own.push(/pid (\d+)/.exec(self?.description ?? '')?.[1] ?? `none in ${JSON.stringify(rows)}`);
      await screenshot(page, `two-windows-${i + 1}`);
    }
    assert.notEqual(own[0], own[1], 'each window marks its own session (its own extension host pid)');
  });
});
