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

/**
 * A duration in words: "45 s", "2 min", "3 h" (under two days), "4 d"; Infinity is "ever".
 * `ms` in milliseconds, whole units rounded down; coarse on purpose, for people. The CLI's
 * formatDuration (liveness.ts) is this with ENGLISH.
 */
export function wordedDuration(ms: number, l10n: Words = ENGLISH): string {
  if (!Number.isFinite(ms)) return l10n.t('ever');
  const s = Math.floor(ms / 1000);
  if (s < 60) return l10n.t('{0} s', s);
  const min = Math.floor(s / 60);
  if (min < 60) return l10n.t('{0} min', min);
  const h = Math.floor(min / 60);
  if (h < 48) return l10n.t('{0} h', h);
  return l10n.t('{0} d', Math.floor(h / 24));
}
