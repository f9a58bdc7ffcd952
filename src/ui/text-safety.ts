// Text from session files and JSONL journals is untrusted: another process (or a person) wrote it.
// Everything shown in the tree, the status bar or a tooltip passes through here first. No vscode
// import, so the rules are unit-tested under plain Node.

/**
 * C0 and C1 control characters, DEL, the bidi embedding/override/isolate controls (which can make
 * a label read differently from what it is: "Trojan Source") and the invisible direction marks.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Characters with a meaning in Markdown or HTML; a backslash makes CommonMark show them literally. */
const MARKDOWN_SPECIAL = /[\\`*_{}[\]()#+\-.!|<>~&:"'=$]/g;

export const DEFAULT_MAX_LENGTH = 200;

/**
 * Makes untrusted text safe to display on one line: control and bidi characters become a space
 * (so words stay apart), runs of whitespace collapse, and long text is cut with an ellipsis.
 */
export function sanitizeText(value: unknown, maxLength = DEFAULT_MAX_LENGTH): string {
  const text = typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
  const cleaned = text.replace(UNSAFE_CHARS, ' ').replace(/\s+/g, ' ').trim();
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
