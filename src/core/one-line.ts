// Text from session files, directory names and other programs must not forge extra lines,
// reorder what a terminal or log shows (bidi overrides), or carry text a reader cannot see
// (zero-width characters, Unicode tag characters that smuggle instructions to a language model,
// variation selectors used to hide bytes). The one sanitiser for all such text: oneLine()
// escapes for display, cleanLine() strips for storage.

/**
 * Characters never shown as they are: C0/C1 controls, DEL, soft hyphen, combining grapheme
 * joiner, Arabic letter mark, Hangul fillers, Mongolian vowel separator, zero-width and
 * directional marks (U+200B–U+200F), line/paragraph separators and bidi embeddings
 * (U+2028–U+202E), word joiner and invisible operators (U+2060–U+2064), bidi isolates
 * (U+2066–U+2069), deprecated format characters (U+206A–U+206F), variation selectors
 * (U+FE00–U+FE0F, U+E0100–U+E01EF), the BOM/zero-width no-break space (U+FEFF), interlinear
 * annotation characters (U+FFF9–U+FFFB), tag characters (U+E0000–U+E007F), and lone surrogates.
 */
const UNSAFE =
  /[\u0000-\u001f\u007f-\u009f\u00ad\u034f\u061c\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb\u{e0000}-\u{e007f}\u{e0100}-\u{e01ef}\ud800-\udfff]/gu; // eslint-disable-line no-control-regex, no-misleading-character-class

function escapeChar(c: string): string {
  const cp = c.codePointAt(0) as number;
  return cp > 0xffff ? `\\u{${cp.toString(16)}}` : `\\u${cp.toString(16).padStart(4, '0')}`;
}

function cap(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, Math.max(0, max - 1));
  // Never end on half of a surrogate pair.
  if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/**
 * One printable line of at most `max` UTF-16 units: every unsafe character (see UNSAFE) escaped
 * as \uXXXX (or \u{XXXXX} above U+FFFF), so it stays visible as what it is.
 */
export function oneLine(text: string, max = 500): string {
  return cap(text.replace(UNSAFE, escapeChar), max);
}

/**
 * Text cleaned for storing, of at most `max` UTF-16 units: line breaks and tabs become a
 * space, every other unsafe character is removed. Shown later through oneLine(), it needs no
 * escape, so readers never see literal \u000a.
 */
export function cleanLine(text: string, max = 500): string {
  const cleaned = text.replace(/\r\n|[\t\n\v\f\r\u0085\u2028\u2029]/g, ' ').replace(UNSAFE, '');
  return cap(cleaned, max);
}

/** `text` with every unsafe character (see UNSAFE) replaced by `replacement`; not capped. */
export function replaceUnsafe(text: string, replacement: string): string {
  return text.replace(UNSAFE, replacement);
}
