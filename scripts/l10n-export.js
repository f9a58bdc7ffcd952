// Writes l10n/bundle.l10n.json, the English source a translator copies to
// l10n/bundle.l10n.<locale>.json: every message the sources pass to vscode.l10n.t or to the UI's
// own l10n.t (src/ui/l10n.ts), as `"message": "message"`, sorted. Parsed with the TypeScript
// compiler, so a message split over lines or written with either quote is found as the code has it.
// Run: node scripts/l10n-export.js   (test/unit/l10n-bundle.test.ts fails when the file is behind)
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const root = path.resolve(__dirname, '..');
const BUNDLE = path.join(root, 'l10n', 'bundle.l10n.json');

function sourceFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** `l10n.t(...)` or `vscode.l10n.t(...)`: the callee is `.t` on something whose last name is `l10n`. */
function isTranslateCall(node) {
  if (!ts.isCallExpression(node) || !ts.isPropertyAccessExpression(node.expression)) return false;
  const callee = node.expression;
  if (callee.name.text !== 't') return false;
  const target = callee.expression;
  return (ts.isIdentifier(target) && target.text === 'l10n') || (ts.isPropertyAccessExpression(target) && target.name.text === 'l10n');
}

/**
 * Every translate call under `src/`: `messages` maps each message to where it is used
 * ("src/ui/x.ts:12"); `nonLiteral` lists calls whose message is not a string literal (which no
 * bundle can hold, so they are errors). Also counts calls of the local alias `t` that
 * repair-command.ts takes of vscode.l10n.t (`const t = vscode.l10n.t`).
 */
function collectMessages(base = root) {
  const messages = new Map();
  const nonLiteral = [];
  for (const file of sourceFiles(path.join(base, 'src'))) {
    const text = fs.readFileSync(file, 'utf8');
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
    // Names bound to vscode.l10n.t or l10n.t in this file (`const t = vscode.l10n.t`).
    const aliases = new Set();
    const findAliases = (node) => {
      if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer && ts.isPropertyAccessExpression(node.initializer)) {
        const init = node.initializer;
        const target = init.expression;
        const isL10n = (ts.isIdentifier(target) && target.text === 'l10n') || (ts.isPropertyAccessExpression(target) && target.name.text === 'l10n');
        if (init.name.text === 't' && isL10n) aliases.add(node.name.text);
      }
      ts.forEachChild(node, findAliases);
    };
    findAliases(source);
    const visit = (node) => {
      const aliased = ts.isCallExpression(node) && ts.isIdentifier(node.expression) && aliases.has(node.expression.text);
      if (isTranslateCall(node) || aliased) {
        const where = `${path.relative(base, file).split(path.sep).join('/')}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
        const first = node.arguments[0];
        if (first && (ts.isStringLiteral(first) || ts.isNoSubstitutionTemplateLiteral(first))) {
          messages.set(first.text, [...(messages.get(first.text) ?? []), where]);
        } else {
          nonLiteral.push(where);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return { messages, nonLiteral };
}

/** The bundle's JSON text for `messages`: keys sorted, each message its own English text. */
function bundleText(messages) {
  const keys = [...messages.keys()].sort();
  return `${JSON.stringify(Object.fromEntries(keys.map((k) => [k, k])), null, 2)}\n`;
}

module.exports = { collectMessages, bundleText, BUNDLE };

if (require.main === module) {
  const { messages, nonLiteral } = collectMessages();
  if (nonLiteral.length > 0) {
    console.error(`Messages must be string literals; not at:\n  ${nonLiteral.join('\n  ')}`);
    process.exit(1);
  }
  fs.mkdirSync(path.dirname(BUNDLE), { recursive: true });
  fs.writeFileSync(BUNDLE, bundleText(messages));
  console.log(`${path.relative(root, BUNDLE)}: ${messages.size} messages`);
}
