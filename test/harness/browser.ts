// Headless Debian Chromium through playwright-core (which downloads no browser of its own).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM_PATH } from './harness-paths';
import { removeDir } from './process-cleanup';

/** Flags that keep Chromium quiet and offline inside containers without a GPU or sandbox. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  readonly context: BrowserContext;
  /** A new tab; on a code-server URL each tab is one VS Code window with its own extension host. */
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/**
 * Launches Chromium with a fresh profile in `parentDir` (Playwright refuses --user-data-dir in
 * the args: the persistent context's folder is the profile). `env` marks its processes.
 */
export async function launchBrowser(parentDir: string, env: NodeJS.ProcessEnv): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(`no Chromium at ${CHROMIUM_PATH}: install the Debian package chromium, or set SESSION_KEEPER_CHROMIUM`);
  }
  const profile = fs.mkdtempSync(path.join(parentDir, 'chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    env: env as Record<string, string>,
    viewport: { width: 1280, height: 800 },
    // The workbench takes its time on 2 shared cores.
    timeout: 60_000,
  });
  let first: Page | undefined = context.pages()[0];
  return {
    context,
    async newPage() {
      // The persistent context opens with one blank tab: use it for the first window.
      if (first) {
        const page = first;
        first = undefined;
        return page;
      }
      return context.newPage();
    },
    async close() {
      try {
        await context.close();
      } finally {
        removeDir(profile);
      }
    },
  };
}
