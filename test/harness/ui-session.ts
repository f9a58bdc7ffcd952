// One code-server with the extension (a packaged VSIX, or the development folder as F5 loads
// it) and a headless browser whose tabs are VS Code windows. Each window has its own extension
// host, so N windows on one server are N sessions.
//
//   const wb = await startWorkbench({ vsix: VSIX_PATH });
//   const [a, b] = await wb.openWindows(2);
//   await openView(a); console.log(await treeRows(a));
//   await wb.close();
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { launchBrowser, type Browser } from './browser';
import { startCodeServer, TEST_SETTINGS, type CodeServer } from './code-server';
import { ensureTestPrerequisites } from './install-code-server';
import { waitForWorkbench } from './workbench';

export interface WorkbenchOptions {
  /** Install this VSIX with --install-extension before the server starts: what users install. */
  vsix?: string;
  /** Or run the extension from this folder, as the Extension Development Host does. */
  extensionDevelopmentPath?: string;
  /** Folder the windows open (default: an empty folder in the run's profile). */
  folder?: string;
  /** Added to the extension hosts' environment, e.g. SESSION_KEEPER_DIR. */
  env?: NodeJS.ProcessEnv;
  /** User settings on top of the harness's quiet defaults. */
  settings?: Record<string, unknown>;
  /** Display language (code-server's --locale); takes effect once a pack for it is installed, see language-pack.ts. */
  locale?: string;
}

export interface Workbench {
  readonly server: CodeServer;
  readonly folder: string;
  /** Opens one more window (browser tab) and waits until the workbench is on screen. */
  openWindow(options?: { folder?: string }): Promise<Page>;
  /** Opens `count` windows, one after the other (2 cores: parallel start-ups only compete). */
  openWindows(count: number, options?: { folder?: string }): Promise<Page[]>;
  /** Closes every window and the browser, stops the server, removes all temp folders. */
  close(): Promise<void>;
}

const open = new Set<Workbench>();
let signalsHooked = false;

/** A test process stopped with Ctrl-C must not leave servers behind (they run detached). */
function hookSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void Promise.allSettled([...open].map((wb) => wb.close())).then(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }
}

export async function startWorkbench(options: WorkbenchOptions = {}): Promise<Workbench> {
  if (!options.vsix && !options.extensionDevelopmentPath) throw new Error('startWorkbench needs a vsix or an extensionDevelopmentPath');
  hookSignals();
  const server = await startCodeServer({
    install: ensureTestPrerequisites(),
    vsixFiles: options.vsix ? [options.vsix] : [],
    env: options.env,
    settings: { ...TEST_SETTINGS, ...options.settings },
    locale: options.locale,
  });
  let browser: Browser;
  try {
    browser = await launchBrowser(server.profileDir, server.env);
  } catch (err) {
    await server.stop();
    throw err;
  }
  const folder = options.folder ?? path.join(server.profileDir, 'workspace');
  fs.mkdirSync(folder, { recursive: true });

  const windowUrl = (windowFolder: string): string => {
    const query = [`folder=${encodeURIComponent(windowFolder)}`];
    if (options.extensionDevelopmentPath) {
      const payload = [['extensionDevelopmentPath', server.remoteUri(path.resolve(options.extensionDevelopmentPath))]];
      query.push(`payload=${encodeURIComponent(JSON.stringify(payload))}`);
    }
    return `${server.url}?${query.join('&')}`;
  };

  let closed = false;
  const workbench: Workbench = {
    server,
    folder,
    async openWindow(windowOptions = {}) {
      const page = await browser.newPage();
      await page.goto(windowUrl(windowOptions.folder ?? folder));
      await waitForWorkbench(page);
      return page;
    },
    async openWindows(count, windowOptions = {}) {
      const pages: Page[] = [];
      for (let i = 0; i < count; i++) pages.push(await workbench.openWindow(windowOptions));
      return pages;
    },
    async close() {
      if (closed) return;
      closed = true;
      open.delete(workbench);
      try {
        await browser.close();
      } finally {
        await server.stop();
      }
    },
  };
  open.add(workbench);
  return workbench;
}
