/**
 * Output encoding for the systems other than Slack (Slack's is src/connectors/slack-text.ts): one function
 * per destination and field, applied by the connector or activity that writes it, to every value
 * that may carry words from a call or a person. What each does and why: docs/security.md,
 * "Output encoding by destination".
 *
 * - Zendesk: comments are sent as plain `body` (never `html_body`), so Zendesk escapes them when it
 *   renders HTML; invisible and control characters are removed; cut below Zendesk's 64 KB.
 * - Gmail (headers, in buildMime): no CR/LF or control character can reach a header; a subject
 *   that is not short printable ASCII becomes RFC 2047 encoded words of at most 75 characters,
 *   folded onto continuation lines; bodies are text/plain only (no HTML to escape).
 * - QuickBooks: PrivateNote / memo fields are plain text with Intuit's length limits; control and
 *   invisible characters removed.
 * - Drive: a file name is one line without `/`, bidi or control characters (a name cannot pose as
 *   another extension), at most 255 characters; a description is plain text, cut; an evidence
 *   file's text has no invisible or control characters.
 */
import { oneLine, stripInvisible, truncate } from '../domain/text';

/** Zendesk's comment body limit is 64 KB; stay well inside it (UTF-8 may take 4 bytes a character). */
export const ZENDESK_COMMENT_MAX = 16_000;

/** Plain text that keeps its lines: invisible and control characters removed, at most one blank line in a row. */
function plainLines(value: string): string {
  return stripInvisible(value).replace(/\n{3,}/g, '\n\n');
}

/** A Zendesk comment body (plain text) or, with `max` 150, a subject line. */
export function zendeskText(value: string, max: number = ZENDESK_COMMENT_MAX): string {
  const text = max <= 250 ? oneLine(value) : plainLines(value);
  return truncate(text, max);
}

/** QuickBooks limits: PrivateNote 4000, CustomerMemo 1000, a line Description 4000. */
export const QBO_LIMITS = { privateNote: 4000, customerMemo: 1000, description: 4000 } as const;

/** A QuickBooks note or memo: plain text, controls and invisible characters removed, within Intuit's limit. */
export function quickbooksNote(value: string, max: number = QBO_LIMITS.privateNote): string {
  return truncate(plainLines(value).trim(), max);
}

/** A Drive file name: one line, no path separator or bidi trick, at most 255 characters; never empty. */
export function driveFileName(value: string): string {
  const name = oneLine(value).replace(/[/\\]/g, '-');
  const cut =
    name.length <= 255
      ? name
      : (() => {
          // Keep a short extension when cutting, so `…pdf` stays a PDF by name.
          const ext = /\.[A-Za-z0-9]{1,8}$/.exec(name)?.[0] ?? '';
          return `${truncate(name.slice(0, name.length - ext.length), 255 - ext.length)}${ext}`;
        })();
  return cut || 'document';
}

/** A Drive file description: plain text, cut (Drive allows far more; people read the first lines). */
export function driveDescription(value: string, max = 4000): string {
  return truncate(stripInvisible(value).trim(), max);
}

/**
 * The text of an evidence file (text/plain): invisible and control characters removed, lines kept.
 * A bidi override in a caller's words would make the file read differently from what it holds.
 */
export function driveText(value: string): string {
  return plainLines(value);
}

/** An email header value from a call or a person: one line, no control characters (no header can be added). */
export function headerLine(value: string): string {
  return oneLine(value);
}

/** RFC 2047: an encoded word is at most 75 characters; `=?UTF-8?B?` + `?=` leave 63, so 60 base64 characters = 45 bytes. */
const WORD_BYTES = 45;

/**
 * A Subject (or other unstructured header) value ready for the wire: short printable ASCII as is;
 * anything else as RFC 2047 B-encoded words of at most 75 characters each, split on whole
 * characters (never inside a UTF-8 sequence), folded with CRLF + space between words.
 */
export function encodeUnstructuredHeader(value: string, opts: { maxChars?: number; headerName?: string } = {}): string {
  const maxChars = opts.maxChars ?? 250;
  // Lines stay within 76 characters (RFC 2047 §2): the first shares its line with `Subject: `.
  const firstBytes = Math.floor(Math.floor((76 - (opts.headerName ?? 'Subject').length - 2 - 12) / 4) * 3);
  const text = truncate(headerLine(value), maxChars);
  // `=?` would be read as the start of an encoded word by the recipient's client: encode it instead.
  if (/^[\x20-\x7e]*$/.test(text) && !text.includes('=?') && text.length <= 66) return text;
  const words: string[] = [];
  let chunk = '';
  for (const ch of text) {
    if (Buffer.byteLength(chunk + ch, 'utf8') > (words.length === 0 ? Math.min(firstBytes, WORD_BYTES) : WORD_BYTES)) {
      words.push(chunk);
      chunk = '';
    }
    chunk += ch;
  }
  if (chunk || words.length === 0) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`).join('\r\n ');
}

/** QuickBooks address field limits (Intuit's reference: Line1-5 500, City 255, CountrySubDivisionCode 255, PostalCode 30, Country 255). */
const QBO_ADDRESS_MAX: Record<string, number> = {
  Line1: 500,
  Line2: 500,
  Line3: 500,
  Line4: 500,
  Line5: 500,
  City: 255,
  CountrySubDivisionCode: 255,
  PostalCode: 30,
  Country: 255,
};

/**
 * A QuickBooks document body as it goes out: its free-text fields (PrivateNote, CustomerMemo,
 * each line's Description, BillAddr's lines) encoded for QuickBooks; everything else as is.
 * Deterministic, so a retried create with the same requestid sends the same body.
 */
export function quickbooksBody<T extends Record<string, unknown>>(body: T): T {
  const out: Record<string, unknown> = { ...body };
  if (typeof out.PrivateNote === 'string') out.PrivateNote = quickbooksNote(out.PrivateNote, QBO_LIMITS.privateNote);
  const memo = out.CustomerMemo as { value?: unknown } | undefined;
  if (memo && typeof memo.value === 'string') out.CustomerMemo = { ...memo, value: quickbooksNote(memo.value, QBO_LIMITS.customerMemo) };
  if (Array.isArray(out.Line))
    out.Line = (out.Line as Record<string, unknown>[]).map((l) =>
      l && typeof l.Description === 'string' ? { ...l, Description: quickbooksNote(l.Description, QBO_LIMITS.description) } : l,
    );
  const addr = out.BillAddr as Record<string, unknown> | undefined;
  if (addr && typeof addr === 'object')
    out.BillAddr = Object.fromEntries(
      Object.entries(addr).map(([k, v]) => [k, typeof v === 'string' && QBO_ADDRESS_MAX[k] ? truncate(oneLine(v), QBO_ADDRESS_MAX[k]) : v]),
    );
  return out as T;
}
