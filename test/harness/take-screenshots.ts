// `npm run screenshots`: retakes the README's and the Marketplace page's screenshots
// (media/screenshots/*.png) from the packaged VSIX in a real VS Code (code-server) driven by
// headless Chromium, over a scene set up with the real CLI: two windows, an agent with a status
// line, a crashed agent (stale), and a damaged JSONL file. Re-runnable: each run starts from
// fresh temp folders and overwrites the images.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import { harnessTempParent, REPO_ROOT, VSIX_PATH } from './harness-paths';
import { startWorkbench } from './ui-session';
import { eventually, openView, runCommand, treeRows } from './workbench';

const OUT = path.join(REPO_ROOT, 'media', 'screenshots');
const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');

function cli(dir: string, args: string[]): string {
  const run = spawnSync(process.execPath, [CLI, '--dir', dir, ...args], { encoding: 'utf8', timeout: 30_000 });
  if (run.status !== 0) throw new Error(`session-keeper ${args.join(' ')}: ${run.stderr}`);
  return run.stdout.trim();
}

async function shot(page: Page, name: string): Promise<void> {
  const file = path.join(OUT, `${name}.png`);
  await page.screenshot({ path: file });
  console.log(`wrote ${path.relative(REPO_ROOT, file)}`);
}

/** Drags the side bar's edge to `width` px, as a person widening it would. */
async function widenSideBar(page: Page, width: number): Promise<void> {
  const bar = await page.locator('.part.sidebar').boundingBox();
  if (!bar || bar.width >= width) return;
  await page.mouse.move(bar.x + bar.width, 300);
  await page.mouse.down();
  await page.mouse.move(bar.x + width, 300, { steps: 8 });
  await page.mouse.up();
  // Off the edge, or the sash stays highlighted in the picture.
  await page.mouse.move(900, 700);
}

async function main(): Promise<void> {
  for (const f of [VSIX_PATH, CLI]) if (!fs.existsSync(f)) throw new Error(`no ${f}: run \`npm run package\` and \`npm run build\` first (npm run screenshots does)`);
  fs.mkdirSync(OUT, { recursive: true });
  const work = fs.mkdtempSync(path.join(harnessTempParent(), 'sk-shots-'));
  const sessions = path.join(work, 'sessions');
  const api = path.join(work, 'api-server');
  const webFolder = path.join(work, 'web-client');
  fs.mkdirSync(api);
  fs.mkdirSync(webFolder);
  const good = (i: number): string => JSON.stringify({ seq: i, event: 'tick' });
  fs.writeFileSync(path.join(api, 'events.jsonl'), [good(1), good(2), '{"seq":3,"event":"ti', good(4), 'garbage line', good(6), good(7)].join('\n') + '\n');
  const agent = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
  const crashed = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
  const wb = await startWorkbench({
    vsix: VSIX_PATH,
    env: { SESSION_KEEPER_DIR: sessions },
    settings: { 'sessionKeeper.heartbeatIntervalSeconds': 2, 'workbench.colorTheme': 'Default Dark Modern', 'files.autoSave': 'off' },
  });
  try {
    const page = await wb.openWindow({ folder: api });
    await wb.openWindow({ folder: webFolder });
    await page.bringToFront();
    const id = cli(sessions, ['register', '--label', 'agent: nightly refactor', '--pid', String(agent.pid), '--tool', 'claude-code', '--interval', '3600000']);
    cli(sessions, ['register', '--label', 'agent: docs review', '--pid', String(crashed.pid), '--tool', 'codex']);
    void id;
    crashed.kill('SIGKILL');
    await openView(page, 'Session Keeper');
    await widenSideBar(page, 470);
    await eventually(() => treeRows(page), (r) => r.some((x) => x.label === 'web-client') && r.some((x) => x.label === 'Stale'), 'both windows and the stale agent', 60_000);
    await sleep(1000);
    await shot(page, 'sessions-view');

    // The tooltip of the stale agent.
    const row = page.locator('.part.sidebar .monaco-list-row', { hasText: 'agent: docs review' }).locator('.label-name');
    const box = await row.boundingBox();
    const hover = page.locator('.monaco-hover.workbench-hover').first();
    for (let i = 0; box && i < 30 && !(await hover.isVisible()); i++) {
      await page.mouse.move(box.x + 10 + (i % 5), box.y + box.height / 2);
      await sleep(400);
    }
    await shot(page, 'session-tooltip');
    await page.mouse.move(900, 700);

    // A damaged JSONL file: its problems and the Repair file Quick Fix.
    await runCommand(page, 'Notifications: Clear All Notifications');
    await page.keyboard.press('Control+P');
    await page.keyboard.type('events.jsonl');
    await page.locator('.quick-input-widget .monaco-list-row.focused', { hasText: 'events.jsonl' }).waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.editor-instance .view-lines', { hasText: 'garbage line' }).waitFor();
    await runCommand(page, 'View: Focus Problems');
    await eventually(() => page.locator('.markers-panel .monaco-list-row').count(), (n) => n >= 2, 'the problems listed');
    await runCommand(page, 'Notifications: Clear All Notifications');
    await page.locator('.editor-instance .view-lines').click();
    await page.keyboard.press('Control+G');
    await page.keyboard.type('3');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Control+.');
    await page.locator('.action-widget .monaco-list-row', { hasText: 'Repair file' }).waitFor({ timeout: 15_000 });
    await shot(page, 'jsonl-quick-fix');
    await page.keyboard.press('Escape');

    // The settings, from the gear in the view's title.
    await page.locator('.part.sidebar .action-label[aria-label="Open Settings"]').first().click();
    await page.locator('.settings-editor .settings-tree-container', { hasText: 'Sessions Directory' }).waitFor();
    await sleep(500);
    await shot(page, 'settings');
  } finally {
    agent.kill('SIGKILL');
    await wb.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
