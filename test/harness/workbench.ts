// Doing what a person does in a VS Code window (a Playwright page on code-server): open a view
// from the activity bar, read tree rows, run commands from the palette, open files, clear
// notifications, read the status bar, take screenshots.
import * as fs from 'node:fs';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Locator, Page } from 'playwright-core';
import { SCREENSHOTS_DIR } from './harness-paths';

export interface TreeRow {
  /** The item's label as shown. */
  label: string;
  /** The grey text after the label ('' if none). */
  description: string;
  /** What a screen reader announces (label, description, or the item's accessibility label). */
  ariaLabel: string;
  /** 1 for top-level rows. */
  level: number;
  /** true/false for rows with children, undefined for leaves. */
  expanded: boolean | undefined;
}

export interface StatusBarItem {
  /** e.g. "session-keeper.session-keeper.sessionKeeper.status" (extension id + item id). */
  id: string;
  /** Visible text; codicons such as $(pulse) render as glyphs and are left out. */
  text: string;
  /** The accessible label, which names codicons, e.g. "pulse  1, Session Keeper". */
  ariaLabel: string;
}

const UI_TIMEOUT = 30_000;

/** Waits until the workbench is on screen (activity bar and status bar rendered). */
export async function waitForWorkbench(page: Page, timeout = 60_000): Promise<void> {
  await page.locator('.monaco-workbench .part.activitybar').waitFor({ timeout });
  await page.locator('.monaco-workbench .part.statusbar').waitFor({ timeout });
}

/** The activity-bar entry whose title contains `title`. */
export function activityEntry(page: Page, title: string): Locator {
  return page.locator('.activitybar li.action-item', { has: page.locator(`[aria-label*="${title}"]`) });
}

/**
 * Opens the view container with this title in the side bar by clicking its activity-bar entry,
 * as a person does (a second click would close it, so an open one is left alone).
 */
export async function openView(page: Page, title = 'Session Keeper'): Promise<void> {
  const entry = activityEntry(page, title);
  await entry.waitFor({ timeout: UI_TIMEOUT });
  if (!/\bchecked\b/.test((await entry.getAttribute('class')) ?? '')) await entry.click();
  await page.locator('.part.sidebar .title-label', { hasText: new RegExp(title, 'i') }).waitFor({ timeout: UI_TIMEOUT });
}

/** The rows of the trees in the side bar, top to bottom, as rendered (collapsed children absent). */
export async function treeRows(page: Page): Promise<TreeRow[]> {
  return page.locator('.part.sidebar .monaco-list-row').evaluateAll((rows) =>
    rows.map((row) => {
      const text = (selector: string): string => row.querySelector(selector)?.textContent?.trim() ?? '';
      const expanded = row.getAttribute('aria-expanded');
      return {
        label: text('.label-name'),
        description: text('.label-description'),
        ariaLabel: row.getAttribute('aria-label') ?? '',
        level: Number(row.getAttribute('aria-level') ?? '1'),
        expanded: expanded === null ? undefined : expanded === 'true',
      };
    }),
  );
}

/** Waits until a side-bar tree row matches, then returns all rows. */
export async function waitForTreeRow(page: Page, match: string | RegExp, timeout = UI_TIMEOUT): Promise<TreeRow[]> {
  await page
    .locator('.part.sidebar .monaco-list-row', { hasText: match })
    .first()
    .waitFor({ timeout });
  return treeRows(page);
}

/**
 * Runs a command from the Command Palette: F1, type the title, check that the highlighted
 * entry is that command, Enter. `title` as the palette shows it, e.g. "Session Keeper: Refresh".
 */
export async function runCommand(page: Page, title: string): Promise<void> {
  const palette = page.locator('.quick-input-widget');
  await page.keyboard.press('F1');
  await palette.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
  await page.keyboard.type(title);
  const focused = palette.locator('.monaco-list-row.focused');
  try {
    await focused.filter({ hasText: title }).waitFor({ timeout: UI_TIMEOUT });
  } catch {
    const offered = await palette.locator('.monaco-list-row').allInnerTexts();
    await page.keyboard.press('Escape');
    throw new Error(`the Command Palette offers no "${title}"; it shows: ${JSON.stringify(offered.slice(0, 10))}`);
  }
  await page.keyboard.press('Enter');
  await palette.waitFor({ state: 'hidden', timeout: UI_TIMEOUT });
}

/** Clears every notification toast, from the Command Palette. */
export async function clearNotifications(page: Page): Promise<void> {
  await runCommand(page, 'Notifications: Clear All Notifications');
}

/** Opens a file of the workspace with Quick Open (Ctrl+P), waits for `text` on screen and puts the cursor in the editor. */
export async function openFile(page: Page, name: string, text: string): Promise<void> {
  // Right after a window reload Quick Open may not take the keys yet, or not know the workspace's
  // files yet (it then shows no match): close it and ask again, a few times. Not Escape before
  // the first try: with a notification toast on screen, Escape hides it.
  for (let attempt = 1; ; attempt++) {
    if (attempt > 1) await page.keyboard.press('Escape');
    await page.keyboard.press('Control+P');
    await page.keyboard.type(name);
    try {
      await page.locator('.quick-input-widget .monaco-list-row.focused', { hasText: name }).waitFor({ timeout: 15_000 });
      break;
    } catch (err) {
      if (attempt >= 4) throw err;
    }
  }
  await page.keyboard.press('Enter');
  await page.locator('.editor-instance .view-lines', { hasText: text }).waitFor();
  await page.locator('.editor-instance .view-lines').click();
}

export async function statusBarItems(page: Page): Promise<StatusBarItem[]> {
  return page.locator('.part.statusbar .statusbar-item').evaluateAll((items) =>
    items.map((item) => ({
      id: item.id,
      text: (item.textContent ?? '').replace(/\s+/g, ' ').trim(),
      ariaLabel: item.getAttribute('aria-label') ?? '',
    })),
  );
}

/** Waits for the status bar item whose id ends with `itemId` (e.g. "sessionKeeper.status"). */
export async function statusBarItem(page: Page, itemId: string, timeout = UI_TIMEOUT): Promise<StatusBarItem> {
  await page.locator(`.part.statusbar .statusbar-item[id$="${itemId}"]`).waitFor({ timeout });
  const item = (await statusBarItems(page)).find((i) => i.id.endsWith(itemId));
  if (!item) throw new Error(`no status bar item ${itemId}`);
  return item;
}

/** The visible text of a status bar item (see statusBarItem for its accessible label). */
export async function statusBarText(page: Page, itemId: string): Promise<string> {
  return (await statusBarItem(page, itemId)).text;
}

export interface Notification {
  severity: 'error' | 'warning' | 'info';
  message: string;
}

/** The notification toasts on screen, with their severity (from their icon). */
export async function notifications(page: Page): Promise<Notification[]> {
  return page.locator('.notifications-toasts .notification-list-item').evaluateAll((items) =>
    items.map((item) => {
      const icon = item.querySelector('.notification-list-item-icon')?.className ?? '';
      const severity = /codicon-error/.test(icon) ? 'error' : /codicon-warning/.test(icon) ? 'warning' : 'info';
      return { severity, message: item.querySelector('.notification-list-item-message')?.textContent?.trim() ?? '' } as const;
    }),
  );
}

/** Saves a PNG of the window to test-results/screenshots/NAME.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  if (!/^[\w.-]+$/.test(name)) throw new Error(`screenshot name ${JSON.stringify(name)}: use letters, digits, . _ -`);
  fs.mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  const file = path.join(SCREENSHOTS_DIR, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** Polls `read` until `ok` holds: the UI updates asynchronously (watchers, timers, other windows). */
export async function eventually<T>(read: () => Promise<T> | T, ok: (value: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}; last value: ${JSON.stringify(value)}`);
    await sleep(250);
  }
}
