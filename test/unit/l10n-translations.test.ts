// Translations: every l10n/bundle.l10n.<locale>.json and package.nls.<locale>.json in the repository
// is a complete copy of its English source with the same keys, and each message keeps the source's
// placeholders, link targets, codicons, code spans and setting references. An English message
// added without its translation fails here (CONTRIBUTING.md says what to do then).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../../..');

/** One translation and the English file it translates (paths relative to the repository root). */
interface Translation {
  source: string;
  file: string;
}

/** Every translation file present: `l10n/bundle.l10n.<locale>.json` and `package.nls.<locale>.json`. */
function translations(): Translation[] {
  const bundles = fs
    .readdirSync(path.join(root, 'l10n'))
    .filter((f) => /^bundle\.l10n\.[\w-]+\.json$/.test(f))
    .map((f) => ({ source: 'l10n/bundle.l10n.json', file: `l10n/${f}` }));
  const manifests = fs
    .readdirSync(root)
    .filter((f) => /^package\.nls\.[\w-]+\.json$/.test(f))
    .map((f) => ({ source: 'package.nls.json', file: f }));
  return [...bundles, ...manifests].sort((a, b) => a.file.localeCompare(b.file));
}

/** The text of a file as a flat object of strings; throws with the file's name when it is not one. */
function readMessages(file: string): Record<string, string> {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`${file} is not a JSON object`);
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value !== 'string') throw new Error(`${file}: the value of ${JSON.stringify(key)} is not a string`);
  }
  return parsed as Record<string, string>;
}

/** The parts of a message a translation must keep as they are, each as a sorted multiset. */
function fixedParts(message: string): Record<string, string[]> {
  const all = (re: RegExp): string[] => [...message.matchAll(re)].map((m) => m[1] ?? m[0]).sort();
  return {
    // vscode.l10n.t fills {0}, {1}...: each index once, whatever the word order.
    placeholders: [...new Set(all(/\{(\d+)\}/g))].sort(),
    // Markdown link targets: command URIs with their arguments, and web addresses.
    links: all(/\]\(([^)\s]+)\)/g),
    // Codicons such as $(pulse): a translated name shows as literal text.
    codicons: all(/\$\(([\w~-]+)\)/g),
    // Code spans (commands, paths, record fields) and #setting.id# references stay verbatim.
    code: all(/(`[^`]*`)/g),
    settings: all(/(#[\w.]+#)/g),
  };
}

/**
 * The faults of one translation against its source: keys missing or extra, empty messages, and
 * messages whose fixed parts differ. An empty list means the translation is complete.
 */
function faults(source: Record<string, string>, translated: Record<string, string>): string[] {
  const found: string[] = [];
  for (const key of Object.keys(source)) if (!(key in translated)) found.push(`missing: ${JSON.stringify(key)}`);
  for (const key of Object.keys(translated)) if (!(key in source)) found.push(`extra: ${JSON.stringify(key)}`);
  for (const [key, english] of Object.entries(source)) {
    const text = translated[key];
    if (text === undefined) continue;
    if (text.trim() === '' && english.trim() !== '') found.push(`empty: ${JSON.stringify(key)}`);
    const want = fixedParts(english);
    const got = fixedParts(text);
    for (const part of Object.keys(want)) {
      if (JSON.stringify(want[part]) !== JSON.stringify(got[part])) {
        found.push(`${part} differ in ${JSON.stringify(key)}: ${JSON.stringify(want[part])} vs ${JSON.stringify(got[part])}`);
      }
    }
  }
  return found;
}

describe('translations', () => {
  const present = translations();

  test('German is present for both the manifest and the l10n bundle', () => {
    const files = present.map((t) => t.file);
    assert.ok(files.includes('l10n/bundle.l10n.de.json'), JSON.stringify(files));
    assert.ok(files.includes('package.nls.de.json'), JSON.stringify(files));
  });

  for (const { source, file } of present) {
    test(`${file} has every key of ${source}, none extra, each with the same placeholders, links, codicons and code`, () => {
      const english = readMessages(source);
      const translated = readMessages(file);
      assert.deepEqual(faults(english, translated), [], `after a change to ${source}: run npm run l10n:export and add each new message to ${file}`);
    });
  }

  test('the check finds each kind of fault (a new English message without its translation among them)', () => {
    const english = { 'Archive': 'Archive', '{0} of {1}': '{0} of {1}', 'link': '[Show Log](command:sessionKeeper.showLog) $(pulse) `session-keeper ls` #sessionKeeper.registry#' };
    const good = { 'Archive': 'Archivieren', '{0} of {1}': '{1} von {0}', 'link': '`session-keeper ls` #sessionKeeper.registry# $(pulse) [Protokoll anzeigen](command:sessionKeeper.showLog)' };
    assert.deepEqual(faults(english, good), []);
    const cases: Array<[string, Record<string, string>, Record<string, string>, RegExp]> = [
      ['a new English message', { ...english, 'Repair': 'Repair' }, good, /^missing: "Repair"$/],
      ['a message the source no longer has', english, { ...good, 'Old': 'Alt' }, /^extra: "Old"$/],
      ['an empty message', english, { ...good, 'Archive': ' ' }, /^empty: "Archive"$/],
      ['a lost placeholder', english, { ...good, '{0} of {1}': '{0} von allen' }, /^placeholders differ/],
      ['an invented placeholder', english, { ...good, 'Archive': 'Archivieren {0}' }, /^placeholders differ/],
      ['a translated command link', english, { ...good, 'link': good.link.replace('showLog)', 'zeigeLog)') }, /^links differ/],
      ['a translated codicon', english, { ...good, 'link': good.link.replace('$(pulse)', '$(puls)') }, /^codicons differ/],
      ['a translated code span', english, { ...good, 'link': good.link.replace('`session-keeper ls`', '`session-keeper liste`') }, /^code differ/],
      ['a translated setting id', english, { ...good, 'link': good.link.replace('#sessionKeeper.registry#', '#sessionKeeper.registrierung#') }, /^settings differ/],
    ];
    for (const [what, source, translated, expected] of cases) {
      const found = faults(source, translated);
      assert.equal(found.length, 1, `${what}: ${JSON.stringify(found)}`);
      assert.match(found[0] ?? '', expected, what);
    }
  });

  test('a file that is not valid JSON, or not an object of strings, is reported by name', () => {
    const dir = fs.mkdtempSync(path.join(root, 'out', 'l10n-bad-'));
    try {
      const cases: Array<[string, RegExp]> = [
        ['{"a": "b",}', /is not valid JSON/],
        ['["a"]', /is not a JSON object/],
        ['{"a": 1}', /the value of "a" is not a string/],
      ];
      for (const [i, [text, expected]] of cases.entries()) {
        const file = path.join(dir, `bundle.l10n.x${i}.json`);
        fs.writeFileSync(file, text);
        assert.throws(() => readMessages(path.relative(root, file)), (err: Error) => expected.test(err.message) && err.message.includes(`x${i}`));
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
