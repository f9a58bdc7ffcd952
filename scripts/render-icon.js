// Renders media/icon.svg to media/icon.png (256x256, the Marketplace icon) with the Chromium the
// UI tests use (playwright-core, no browser download), plus a 32x32 preview in test-results/ to
// judge legibility at the size the Extensions list shows. Run: node scripts/render-icon.js
const fs = require('node:fs');
const path = require('node:path');
const { Buffer } = require('node:buffer');
const { chromium } = require('playwright-core');

const root = path.resolve(__dirname, '..');
const chromiumPath = process.env.SESSION_KEEPER_CHROMIUM || '/usr/bin/chromium';

async function render(page, svg, size, out) {
  await page.setViewportSize({ width: size, height: size });
  const data = Buffer.from(svg).toString('base64');
  await page.setContent(
    `<html><body style="margin:0;background:transparent"><img style="display:block" width="${size}" height="${size}" src="data:image/svg+xml;base64,${data}"></body></html>`,
  );
  await page.locator('img').evaluate((img) => img.decode());
  await page.screenshot({ path: out, omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } });
}

async function main() {
  const svg = fs.readFileSync(path.join(root, 'media', 'icon.svg'), 'utf8');
  const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage();
    await render(page, svg, 256, path.join(root, 'media', 'icon.png'));
    fs.mkdirSync(path.join(root, 'test-results'), { recursive: true });
    await render(page, svg, 32, path.join(root, 'test-results', 'icon-32.png'));
  } finally {
    await browser.close();
  }
  console.log('wrote media/icon.png (256x256) and test-results/icon-32.png (preview)');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
