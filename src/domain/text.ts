/**
 * Characters no destination should receive from a call or a person: bidi embeddings, overrides
 * and isolates (U+202A-U+202E, U+2066-U+2069; they make `invoice\u202Efdp.exe` read as
 * `invoiceexe.pdf`), zero-width and joiner characters, the BOM, soft hyphen, line/paragraph
 * separators and the other C0/C1 control characters. Pure; shared by every destination's encoder
 * (src/connectors/slack-text.ts, src/connectors/encoding.ts).
 */
const INVISIBLE =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g;

/** Removes invisible and control characters; keeps `\n` (and turns `\r\n`, `\r` and tabs into `\n` and spaces). */
export function stripInvisible(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(/\t/g, ' ').replace(INVISIBLE, '');
}

/** One line: every run of whitespace (line breaks included) becomes one space. */
export function oneLine(text: string): string {
  return stripInvisible(text).replace(/\s+/g, ' ').trim();
}

/** At most `max` characters, with … when cut; never splits a surrogate pair. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  if (end > 0 && /[\ud800-\udbff]/.test(text[end - 1])) end--;
  return `${text.slice(0, end)}…`;
}
