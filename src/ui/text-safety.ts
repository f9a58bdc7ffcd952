// Text from session files and JSONL journals is untrusted: another process (or a person) wrote it.
// Everything shown in the tree, the status bar or a tooltip passes through here first. No vscode
// import, so the rules are unit-tested under plain Node. Which characters are unsafe is decided
// in one place for the whole project: core/one-line.ts.
import { replaceUnsafe } from '../core/one-line';

/** Characters with a meaning in Markdown or HTML; a backslash makes CommonMark show them literally. */
const MARKDOWN_SPECIAL = /[\\`*_{}[\]()#+\-.!|<>~&:"'=$]/g;

export const DEFAULT_MAX_LENGTH = 200;

/**
 * Makes untrusted text safe to display on one line: control, bidi and invisible characters
 * (core/one-line.ts) become a space (so words stay apart), runs of whitespace collapse, and long
 * text is cut with an ellipsis.
 */
export function sanitizeText(value: unknown, maxLength = DEFAULT_MAX_LENGTH): string {
  const text = typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
  const cleaned = replaceUnsafe(text, ' ').replace(/\s+/g, ' ').trim();
  return truncate(cleaned, maxLength);
}

/** Cuts to at most `maxLength` code points, never splitting a surrogate pair. */
export function truncate(text: string, maxLength: number): string {
  const points = Array.from(text);
  if (points.length <= maxLength) return text;
  return points.slice(0, Math.max(0, maxLength - 1)).join('') + '…';
}

/** Escapes text for a Markdown tooltip after sanitizing it: it renders as the literal characters. */
export function escapeMarkdown(value: unknown, maxLength = DEFAULT_MAX_LENGTH): string {
  return sanitizeText(value, maxLength).replace(MARKDOWN_SPECIAL, (ch) => `\\${ch}`);
}
