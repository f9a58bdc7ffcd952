// The VSIX as the Marketplace shows it: an icon drawn for it (a PNG of at least 128x128), a
// gallery banner, categories beyond "Other", every %key% of package.json in package.nls.json,
// and `vsce ls` shipping the icon, the strings, every translation and the walkthrough's pages.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '..', '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as Record<string, unknown> & {
  icon?: string;
  galleryBanner?: { color?: string; theme?: string };
  categories?: string[];
  contributes: { walkthroughs?: Array<{ steps: Array<{ media: { markdown?: string; image?: string } }> }> };
};
const nls = JSON.parse(fs.readFileSync(path.join(REPO, 'package.nls.json'), 'utf8')) as Record<string, string>;

describe('the Marketplace page', () => {
  test('the icon is a PNG of at least 128x128 pixels, drawn from media/icon.svg', () => {
    assert.equal(pkg.icon, 'media/icon.png');
    const png = fs.readFileSync(path.join(REPO, 'media', 'icon.png'));
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
    assert.equal(png.toString('latin1', 12, 16), 'IHDR');
    const width = png.readUInt32BE(16);
    const height = png.readUInt32BE(20);
    assert.ok(width >= 128 && height >= 128 && width === height, `${width}x${height}`);
    assert.ok(fs.existsSync(path.join(REPO, 'media', 'icon.svg')), 'the source of the icon is kept');
  });

  test('a gallery banner and categories that say what it is', () => {
    assert.match(pkg.galleryBanner?.color ?? '', /^#[0-9a-f]{6}$/i);
    assert.ok(pkg.galleryBanner?.theme === 'dark' || pkg.galleryBanner?.theme === 'light');
    assert.ok((pkg.categories ?? []).some((c) => c !== 'Other'), JSON.stringify(pkg.categories));
  });

  test('every %key% in package.json has its string in package.nls.json, and every string there is used', () => {
    const text = fs.readFileSync(path.join(REPO, 'package.json'), 'utf8');
    const used = new Set([...text.matchAll(/"%([\w.-]+)%"/g)].map((m) => m[1] as string));
    assert.ok(used.size > 40, `only ${used.size} keys`);
    for (const key of used) assert.equal(typeof nls[key], 'string', `package.nls.json lacks ${key}`);
    for (const key of Object.keys(nls)) assert.ok(used.has(key) || key === 'description', `${key} is not used in package.json`);
  });

  test('vsce ships the icon, the strings (package.nls.json and the l10n bundle) and the walkthrough pages', () => {
    const listed = execFileSync(process.execPath, [path.join(REPO, 'node_modules', '@vscode', 'vsce', 'vsce'), 'ls', '--no-dependencies'], { cwd: REPO, encoding: 'utf8' })
      .split('\n')
      .map((l) => l.trim());
    // A step's page is a %key% too, so that each translation names its own pages.
    const mediaKeys = (pkg.contributes.walkthroughs ?? []).flatMap((w) => w.steps.map((s) => s.media.markdown ?? s.media.image ?? ''));
    assert.equal(mediaKeys.length, 4);
    const pageOf = (strings: Record<string, string>, ref: string): string => /^%([\w.-]+)%$/.exec(ref)?.[1] !== undefined ? (strings[ref.slice(1, -1)] ?? `missing ${ref}`) : ref;
    const media = mediaKeys.map((ref) => pageOf(nls, ref));
    // The extension's own sentences (vscode.l10n) are looked up in the folder package.json names.
    assert.equal(pkg.l10n, './l10n');
    for (const file of ['media/icon.png', 'package.json', 'package.nls.json', 'l10n/bundle.l10n.json', 'README.md', 'CHANGELOG.md', ...media]) {
      assert.ok(listed.includes(file), `${file} not in ${JSON.stringify(listed)}`);
      assert.ok(fs.existsSync(path.join(REPO, file)), file);
    }
    // Every translation in the repository ships too (VS Code picks package.nls.<locale>.json and
    // l10n/bundle.l10n.<locale>.json by the display language); German is the first of them.
    const translations = [
      ...fs.readdirSync(REPO).filter((f) => /^package\.nls\.[\w-]+\.json$/.test(f)),
      ...fs.readdirSync(path.join(REPO, 'l10n')).filter((f) => /^bundle\.l10n\.[\w-]+\.json$/.test(f)).map((f) => `l10n/${f}`),
    ];
    for (const file of ['package.nls.de.json', 'l10n/bundle.l10n.de.json']) assert.ok(translations.includes(file), `${file} is missing from the repository`);
    for (const file of translations) assert.ok(listed.includes(file), `${file} not in ${JSON.stringify(listed)}`);
    // Each translation's walkthrough pages exist, ship, and are its own (not the English ones).
    for (const file of translations.filter((f) => f.startsWith('package.nls.'))) {
      const strings = JSON.parse(fs.readFileSync(path.join(REPO, file), 'utf8')) as Record<string, string>;
      for (const ref of mediaKeys) {
        const page = pageOf(strings, ref);
        assert.ok(listed.includes(page) && fs.existsSync(path.join(REPO, page)), `${file}: ${ref} is ${page}, not a shipped file`);
        assert.notEqual(page, pageOf(nls, ref), `${file}: ${ref} is the English page`);
      }
    }
  });
});
