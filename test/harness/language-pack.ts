// A display-language pack for code-server, built as a VSIX at test time and installed from a
// window. VS Code switches its display language only to a locale that an installed extension
// contributes (contributes.localizations); without one, `--locale de` leaves vscode.env.language at
// "en" and extensions keep their English bundle. Microsoft's German pack comes from the
// Marketplace, which this machine cannot reach, so the harness packs its own: the real
// localization contribution with no workbench translations (VS Code then shows its own English
// text), which is all an extension's bundle needs. It must be installed from a window (as people
// do), not with --install-extension: only the running server records language packs
// (user-data/languagepacks.json), which is where the page looks for them.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { REPO_ROOT } from './harness-paths';
import { waitForWorkbench } from './workbench';

/**
 * Writes and packs a language pack for `languageId` (a VS Code locale such as "de") into `dir`.
 * Returns the VSIX's path, for installLanguagePack. Throws when vsce
 * fails (its output is in the message).
 */
export function buildLanguagePack(dir: string, languageId: string, languageName: string): string {
  const root = path.join(dir, `language-pack-${languageId}`);
  fs.mkdirSync(path.join(root, 'translations'), { recursive: true });
  const manifest = {
    name: `session-keeper-test-language-pack-${languageId}`,
    displayName: `Test language pack (${languageName})`,
    description: `Switches the display language to ${languageId} for Session Keeper's UI tests.`,
    publisher: 'session-keeper-tests',
    version: '0.0.1',
    license: 'MIT',
    engines: { vscode: '^1.100.0' },
    categories: ['Language Packs'],
    contributes: {
      localizations: [
        { languageId, languageName, localizedLanguageName: languageName, translations: [{ id: 'vscode', path: './translations/main.i18n.json' }] },
      ],
    },
  };
  fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify(manifest, null, 2));
  // The format VS Code reads: module id -> message key -> text; a key left out stays English.
  fs.writeFileSync(path.join(root, 'translations', 'main.i18n.json'), JSON.stringify({ version: '1.0.0', contents: {} }));
  fs.writeFileSync(path.join(root, 'README.md'), `${manifest.description}\n`);
  const vsix = path.join(dir, `language-pack-${languageId}.vsix`);
  const vsce = path.join(REPO_ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
  try {
    execFileSync(process.execPath, [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--out', vsix], {
      cwd: root,
      encoding: 'utf8',
      stdio: 'pipe',
      timeout: 120_000,
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`packing the ${languageId} language pack failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
  return vsix;
}

/**
 * Installs the language pack `vsix` from `page` with "Extensions: Install from VSIX...", waits
 * until the server has recorded it for `languageId` in `userDataDir`/languagepacks.json, then
 * reloads the window, which comes back in that language. Throws after `timeoutMs` (ms).
 */
export async function installLanguagePack(page: Page, userDataDir: string, vsix: string, languageId: string, timeoutMs = 60_000): Promise<void> {
  // By hand, not runCommand: the command's file dialog reuses the palette's quick input, which
  // so never closes in between.
  const widget = page.locator('.quick-input-widget');
  await page.keyboard.press('F1');
  await page.keyboard.type('Extensions: Install from VSIX...');
  await widget.locator('.monaco-list-row.focused', { hasText: 'Install from VSIX' }).waitFor();
  await page.keyboard.press('Enter');
  await widget.locator('.quick-input-title', { hasText: 'Install from VSIX' }).waitFor();
  // The remote file dialog is a quick input holding a path: type the file's and accept it. The
  // dialog moves to the home folder once it has listed it, replacing what was typed before:
  // type again until the path stays.
  const input = widget.locator('input');
  const typedBy = Date.now() + timeoutMs;
  for (;;) {
    await input.fill(vsix);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    if ((await input.inputValue()) === vsix) break;
    if (Date.now() > typedBy) throw new Error(`the Install from VSIX dialog did not keep the path ${vsix}`);
  }
  await page.keyboard.press('Enter');
  const recorded = path.join(userDataDir, 'languagepacks.json');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let packs: Record<string, unknown> = {};
    try {
      packs = JSON.parse(fs.readFileSync(recorded, 'utf8')) as Record<string, unknown>;
    } catch {
      // Not written yet, or being written: read again.
    }
    if (packs[languageId] !== undefined) break;
    if (Date.now() > deadline) throw new Error(`the ${languageId} language pack was not recorded in ${recorded} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await page.reload();
  await waitForWorkbench(page);
}
