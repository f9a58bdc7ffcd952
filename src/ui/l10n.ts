// The one door every sentence the extension shows goes through, so a translation is a file
// (l10n/bundle.l10n.<locale>.json), not a code change. No vscode import: the UI's pure modules
// (tree rows, status bar text) call t() and run under plain Node in the unit tests, where the
// English source is used as is. extension.ts installs vscode.l10n.t at activation.
//
// Rules for callers (test/unit/l10n-bundle.test.ts checks them): the message is a string literal
// (the bundle's key), values go in as `{0}`, `{1}`… placeholders, and plurals are separate
// messages ("{0} session" / "{0} sessions"), never glued-on suffixes. The core's sentences
// (core/problem-text.ts, core/liveness-text.ts) take this module as their `Words` (core/words.ts): `problemSentence(reason, l10n)`.
import { ENGLISH, type WordArg } from '../core/words';

/** A placeholder's value, as vscode.l10n.t takes it. */
export type L10nArg = WordArg;

/**
 * Turns an English source message and its placeholder values into the sentence to show:
 * vscode.l10n.t's shape. `message` holds `{0}`, `{1}`… for `args[0]`, `args[1]`….
 */
export type Translate = (message: string, ...args: L10nArg[]) => string;

/**
 * Fills `{0}`, `{1}`… in `message` with `args` (String() of each); a placeholder without a value
 * stays as written. The same substitution vscode.l10n.t does for the English source.
 */
export function fillPlaceholders(message: string, args: readonly L10nArg[]): string {
  return ENGLISH.t(message, ...args);
}

/** The English source with its placeholders filled: what shows where no translation is loaded. */
export const englishSource: Translate = (message, ...args) => ENGLISH.t(message, ...args);

let current: Translate = englishSource;

/** Installs the translator (vscode.l10n.t in the extension host); `englishSource` restores the default. */
export function useTranslator(translate: Translate): void {
  current = translate;
}

/** The sentence for `message` in the person's language, placeholders filled. */
export function t(message: string, ...args: L10nArg[]): string {
  return current(message, ...args);
}
