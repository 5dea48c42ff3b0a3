/**
 * Output encoding for Slack (the one place for it): every value that came from a call or a person
 * (a refund reason, names, the summary, a note typed in a modal, an invoice number the caller read
 * out) passes through `slackText` before it goes into a Block Kit text object, and Block Kit's
 * length limits are met by `fitMrkdwn` / `fitPlain` without cutting an escape or a link in half.
 *
 * What `slackText` does, and why (docs/security.md, "Output encoding"):
 * - `&`, `<`, `>` become `&amp;`, `&lt;`, `&gt;` (Slack's own rule): no `<!channel>` / `<!here>`
 *   broadcast, no `<@U…>` mention, no `<https://…|disguised link>` can be formed by a caller.
 * - The formatting markers `*`, `~` and backtick become look-alikes (∗ ∼ ˋ), and `_` does unless it joins
 *   two letters or digits (`duplicate_charge` stays): a caller cannot make text bold, struck or
 *   code-styled inside the bot's message. A leading `>` is already `&gt;` (no quote block).
 * - Line breaks become spaces unless the value is multi-line by nature (a typed reason), which
 *   is then rendered quoted line by line: a caller cannot start a line that looks like ours
 *   ("*Why review* Pre-cleared by CFO").
 * - Bidi overrides and isolates (U+202A-U+202E, U+2066-U+2069), zero-width characters and other
 *   control characters are removed: they can make text read differently from what it is.
 * - Long values are cut (with …) so that the block stays within Slack's limits.
 */

import { stripInvisible, truncate } from '../domain/text';

/** Slack's limits (Block Kit reference). */
export const SLACK_LIMITS = {
  /** Section text, context element text. */
  sectionText: 3000,
  /** Each of a section's `fields`. */
  fieldText: 2000,
  /** Header text, most plain_text labels. */
  headerText: 150,
  /** Button text. */
  buttonText: 75,
  /** The message's top-level `text` we send (Slack truncates at 40,000; notifications show far less). */
  messageText: 3000,
} as const;

const LOOKALIKE: Record<string, string> = { '*': '\u2217', '~': '\u223c', '`': '\u02cb', _: '\uff3f' };

/**
 * A value from a call or a person, made inert for a mrkdwn text object. `multiline`: keep line
 * breaks (the caller renders them quoted); otherwise they become spaces.
 */
export function slackText(value: string | number | undefined | null, opts: { multiline?: boolean } = {}): string {
  if (value === undefined || value === null) return '';
  let text = stripInvisible(String(value));
  text = opts.multiline ? text.replace(/\n{3,}/g, '\n\n') : text.replace(/\s*\n\s*/g, ' ');
  text = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  // `_` inside a word (snake_case ids) cannot open or close italics; anywhere else it could.
  return text.replace(/[*~`]|_/g, (m, offset: number, all: string) =>
    m === '_' && /[\p{L}\p{N}]/u.test(all[offset - 1] ?? '') && /[\p{L}\p{N}]/u.test(all[offset + 1] ?? '') ? m : LOOKALIKE[m],
  );
}

/** A typed, multi-line value (a reason, a note) as a quote: every line starts with `>`, so none can pose as ours. */
export function slackQuote(value: string): string {
  return slackText(value, { multiline: true })
    .split('\n')
    .map((line) => `>${line}`)
    .join('\n');
}

/** A Slack user id (`U…`/`W…`), or undefined: only these may become a `<@…>` mention. */
export function isSlackUserId(id: string): boolean {
  return /^[UW][A-Z0-9]{2,20}$/.test(id);
}

/** `<url|label>` for http(s) URLs; anything else (or an odd URL) shows as escaped text. The label is escaped too. */
export function slackLink(url: string | undefined, label: string): string {
  const text = slackText(label).replace(/\|/g, '\u2223');
  if (!url || !/^https?:\/\/[^\s<>|]+$/i.test(url)) return url ? `${text} (${slackText(url)})` : text;
  return `<${url.replace(/&/g, '&amp;')}|${text}>`;
}

/**
 * mrkdwn within `max` characters: cut with … when longer, backing off so no `&amp;` entity or
 * `<…>` token (a link, mention or date) is cut in half.
 */
export function fitMrkdwn(text: string, max: number = SLACK_LIMITS.sectionText): string {
  if (text.length <= max) return text;
  let out = truncate(text, max).slice(0, -1);
  const open = out.lastIndexOf('<');
  if (open > out.lastIndexOf('>')) out = out.slice(0, open);
  out = out.replace(/&[a-z]{0,3}$/, '');
  return `${out}…`;
}

/** plain_text within `max` characters (invisible characters removed; plain_text shows markup as typed). */
export function fitPlain(text: string, max: number = SLACK_LIMITS.headerText): string {
  const clean = stripInvisible(text).replace(/\s*\n\s*/g, ' ');
  return truncate(clean, max);
}

/** The message's top-level `text` (notifications): escaped, within the limit. */
export function slackFallback(text: string): string {
  return fitMrkdwn(slackText(text), SLACK_LIMITS.messageText);
}
