// The welcome view says WHY the registry cannot be used, in headless Chromium against a real
// code-server and a real redis-server: stopped, the view says the server cannot be reached;
// started again, the view recovers by itself with this window's session in it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { harnessTempParent, VSIX_PATH } from '../harness/harness-paths';
import { startWorkbench, type Workbench } from '../harness/ui-session';
import { eventually, openView, screenshot, statusBarText, treeRows } from '../harness/workbench';
import { haveRedisServer, startRedis, stopAllRedis, type TestRedis } from '../helpers/redis-server';

describe('the welcome view of a registry that cannot be used says why', { timeout: 300_000, skip: haveRedisServer() ? false : 'redis-server is not installed (.ci/run installs it)' }, () => {
  let wb: Workbench;
  let page: Page;
  let work: string;
  let redis: TestRedis;

  before(async () => {
    assert.ok(fs.existsSync(VSIX_PATH), 'no VSIX: run `npm run package` first (npm run test:ui does)');
    work = fs.mkdtempSync(path.join(harnessTempParent(), 'sk-registry-'));
    const folder = path.join(work, 'on-redis');
    fs.mkdirSync(folder);
    redis = await startRedis();
    wb = await startWorkbench({ vsix: VSIX_PATH, env: { SESSION_KEEPER_REGISTRY: redis.url, SESSION_KEEPER_DIR: path.join(work, 'sessions') } });
    page = await wb.openWindow({ folder });
  });

  after(async () => {
    await wb?.close();
    await stopAllRedis();
    if (work !== undefined) fs.rmSync(work, { recursive: true, force: true });
  });

  test('Redis stopped: "cannot reach the registry\'s server"; started again: the sessions come back', async () => {
    await openView(page);
    await eventually(() => treeRows(page), (rows) => rows.some((r) => r.label === 'on-redis'), "this window's session on Redis", 60_000);
    await redis.stop();
    const welcome = page.locator('.part.sidebar .welcome-view-content', { hasText: "cannot reach the registry's server" });
    await welcome.waitFor({ timeout: 60_000 });
    // Only the sentence of this kind, and its buttons (the password is not the problem here).
    const text = await welcome.innerText();
    assert.doesNotMatch(text, /refused the credentials|Set Registry Password/, text);
    assert.match(text, /Change the Registry/);
    assert.equal(await statusBarText(page, 'sessionKeeper.status'), 'registry unreachable');
    await screenshot(page, 'welcome-registry-unreachable');
    await redis.start();
    await eventually(() => treeRows(page), (rows) => rows.some((r) => r.label === 'on-redis'), 'the session back after Redis returned', 90_000);
    assert.equal(await welcome.count(), 0);
  });
});
