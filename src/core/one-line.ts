// Text from session files and directory names must not forge extra lines or reorder what a
// terminal or log shows (bidi overrides), so it is escaped before it is printed.

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g; // eslint-disable-line no-control-regex

/** One printable line of at most `max` characters: control, line-break and bidi characters escaped as \uXXXX. */
export function oneLine(text: string, max = 500): string {
  const escaped = text.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return escaped.length > max ? `${escaped.slice(0, max - 1)}…` : escaped;
}
