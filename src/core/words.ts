// How the core's sentences get their words without importing vscode: a sentence function takes a
// `Words` (the UI passes vscode.l10n.t through src/ui/l10n.ts; the CLI and logs use ENGLISH), and
// every message it passes is an English source literal with `{0}`, `{1}`… placeholders, which
// scripts/l10n-export.js collects into l10n/bundle.l10n.json.

/** A placeholder's value in a sentence: what vscode.l10n.t takes. */
export type WordArg = string | number | boolean;

/**
 * Where sentences get their words: `t(message, ...args)` returns `message` (an English source
 * sentence with `{0}`, `{1}`… placeholders) in the reader's language with the placeholders
 * filled; a placeholder without a value stays as written (as vscode.l10n.t does).
 */
export interface Words {
  t(message: string, ...args: WordArg[]): string;
}

/** The English source sentences, placeholders filled: the CLI's words and the default. */
export const ENGLISH: Words = {
  t: (message, ...args) =>
    message.replace(/\{(\d+)\}/g, (whole, i: string) => {
      const value = args[Number(i)];
      return value === undefined ? whole : String(value);
    }),
};
