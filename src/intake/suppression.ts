/**
 * Suppression of data that must never travel (docs/product.md §6): card numbers, bank details, tax
 * identifiers and private documents. It runs on the parsed call before anything is stored, logged
 * or sent to Temporal, over every free-text field, and replaces each finding with a marker such as
 * `[card number removed]` so readers know something was there.
 *
 * Detection uses checksums where the number has one (Luhn for cards, mod-97 for IBANs, the ABA
 * checksum for routing numbers) so that invoice numbers, phone numbers, dates and order ids pass
 * untouched; numbers without a checksum (bank accounts, SSNs, tax ids) are caught by their shape
 * plus the words around them.
 */
import type { BillingFields, CallFacts, SensitiveCategory } from '../domain/case';
import { abaValid, EIN_INVALID_PREFIXES, isIban, luhnValid, ssnShapeValid, VAT_FORMATS } from './number-checks';
import type { ParsedCall } from './schema';

/** The marker that replaces each category in text. */
export const MARKERS: Record<SensitiveCategory, string> = {
  card_number: '[card number removed]',
  bank_details: '[bank details removed]',
  tax_identifier: '[tax identifier removed]',
  private_document: '[private document removed]',
};

/** Stored transcripts are capped: the full one stays with DialNexa (transcript link). */
export const TRANSCRIPT_MAX_CHARS = 20_000;
const TRUNCATED = '\n[transcript truncated; the full transcript is at DialNexa]';

// ---- spoken digits -------------------------------------------------------------------------------

const DIGIT_WORDS: Record<string, string> = {
  zero: '0',
  oh: '0',
  one: '1',
  two: '2',
  three: '3',
  four: '4',
  five: '5',
  six: '6',
  seven: '7',
  eight: '8',
  nine: '9',
};
const DIGIT_TOKEN = '(?:zero|oh|one|two|three|four|five|six|seven|eight|nine|\\d)';
// Nine or more spoken digits in a row ("four one one one, one one one one ..."): how a caller reads a number aloud.
const SPOKEN_RUN = new RegExp(`\\b${DIGIT_TOKEN}(?:[\\s,.-]+${DIGIT_TOKEN}\\b){8,}`, 'gi');

// ---- contexts ------------------------------------------------------------------------------------

const BANK_CONTEXT = /\b(bank|banking|routing|aba|transit|checking|savings|wire|ach|direct debit|iban|swift|sort code)\b/i;
const TAX_CONTEXT =
  /\b(ssn|social security|itin|ein|tin|tax\s*(?:payer\s*)?(?:id|identifier|identification|number)|taxpayer|employer identification)\b/i;

function near(text: string, start: number, end: number, re: RegExp, window = 60): boolean {
  return re.test(text.slice(Math.max(0, start - window), Math.min(text.length, end + window)));
}

// ---- the scanner ---------------------------------------------------------------------------------

/** What suppression found in one text, and the text with markers in its place. */
export interface TextSuppression {
  text: string;
  found: SensitiveCategory[];
}

/** `keepLead`: the match starts with the words that announce the number; only group 1 (the number) is replaced. */
type Rule = { re: RegExp; keepLead?: boolean; check: (match: RegExpExecArray, text: string) => SensitiveCategory | undefined };

const SEP_DIGITS = (min: number, max: number) => `(?<![\\w-]|\\d[ -])\\d(?:[ -]?\\d){${min - 1},${max - 1}}(?![\\w-]|[ -]\\d)`;

// Payment card candidates: 13-19 digits with spaces or dashes, plus room for a code read out right after it.
const CARD_RUN = new RegExp(SEP_DIGITS(13, 23), 'g');
const isCard = (digits: string) => digits.length >= 13 && digits.length <= 19 && luhnValid(digits) && !/^(\d)\1+$/.test(digits);

/**
 * Payment cards: a Luhn-valid run of 13-19 digits. A run that is longer or fails the check is tried
 * again cut at each separator ("4111 1111 1111 1111 123" is a card followed by its security code).
 */
function suppressCards(text: string, found: Set<SensitiveCategory>): string {
  return text.replace(CARD_RUN, (run) => {
    const cuts = [run.length];
    for (let i = run.length - 1; i > 0; i--) if (run[i] === ' ' || run[i] === '-') cuts.push(i);
    for (const end of cuts) {
      if (isCard(run.slice(0, end).replace(/[ -]/g, ''))) {
        found.add('card_number');
        return MARKERS.card_number + run.slice(end);
      }
    }
    return run;
  });
}

const RULES: Rule[] = [
  // SSN / ITIN in their printed shape.
  {
    re: /(?<![\w-])(\d{3})[- ](\d{2})[- ](\d{4})(?![\w-])/g,
    check: (m, text) => {
      if (!ssnShapeValid(m[1], m[2], m[3])) return undefined;
      // With spaces the shape is common enough (e.g. "123 45 6789" in a list) that we want context.
      return m[0].includes('-') || near(text, m.index, m.index + m[0].length, TAX_CONTEXT) ? 'tax_identifier' : undefined;
    },
  },
  // EIN: NN-NNNNNNN.
  {
    re: /(?<![\w-])(\d{2})-(\d{7})(?![\w-])/g,
    check: (m) => (EIN_INVALID_PREFIXES.has(m[1]) ? undefined : 'tax_identifier'),
  },
  // VAT ids: a country prefix followed by its national format (spaces, dots and dashes allowed).
  {
    re: /(?<![A-Za-z0-9])(CHE|[A-Z]{2})[ -]?([A-Z0-9+*](?:[ .-]?[A-Z0-9+*]){5,13})(?![A-Za-z0-9])/g,
    check: (m) => {
      const fmt = VAT_FORMATS[m[1]];
      const body = m[2].replace(/[ .-]/g, '');
      return fmt && /\d{3}/.test(body) && fmt.test(body) ? 'tax_identifier' : undefined;
    },
  },
  // A bare 9-digit number is a tax id (SSN/EIN/ITIN) when the words around it say so.
  {
    re: /(?<![\w-])\d{9}(?![\w-])/g,
    check: (m, text) => {
      const s = m.index;
      if (abaValid(m[0]) && near(text, s, s + 9, BANK_CONTEXT)) return 'bank_details';
      return near(text, s, s + 9, TAX_CONTEXT, 40) ? 'tax_identifier' : undefined;
    },
  },
  // Bank account numbers: digits after "bank/checking/savings account", eight or more digits after
  // "account", or "account number" when the text talks about banks.
  {
    keepLead: true,
    re: /\b(?:(?:bank|checking|savings|deposit)\s+account|account|acct)(?:\s+(?:number|no\.?|num|#))?\s*(?:is|:|#|=)?\s*(\d(?:[ -]?\d){4,16})(?![\w-])/gi,
    check: (m, text) => {
      const lead = m[0].toLowerCase();
      const explicit = /(bank|checking|savings|deposit)\s+account/.test(lead);
      const numbered = /(number|no\.?|num|#)/.test(lead);
      // Customer account ids here are short or carry letters (ACME-001, 101); eight or more digits
      // announced as an account are a bank account whatever else the text says.
      const long = m[1].replace(/[ -]/g, '').length >= 8;
      return explicit || long || (numbered && BANK_CONTEXT.test(text)) ? 'bank_details' : undefined;
    },
  },
  // Tax ids announced as such ("my tax id is 12 3456 789", "VAT number GB 123 4567 89").
  {
    keepLead: true,
    re: /\b(?:tax\s*(?:payer\s*)?(?:id|identifier|identification)(?:\s*number)?|tin|ein|itin|ssn|social security(?:\s*number)?|vat\s*(?:id|number|no\.?|reg(?:istration)?(?:\s*number)?)?)\s*(?:is|:|#|=)?\s*([A-Z]{0,3}[ -]?\d[\d .-]{3,16}\d[A-Z]{0,3})(?![\w])/gi,
    check: (m) => ((m[1].match(/\d/g)?.length ?? 0) >= 5 ? 'tax_identifier' : undefined),
  },
];

// IBAN candidates: country, check digits, then either one compact run or groups of four separated
// by single spaces, in any case (some fields are lower-cased by the schema before suppression).
// Grouped candidates may run into the next word ("... 1332 thanks"), so each group boundary is
// tried as the end, longest first; the exact length and the mod-97 checksum decide.
const IBAN_CANDIDATE =
  /(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[A-Za-z0-9]{11,30}(?![A-Za-z0-9])|(?: [A-Za-z0-9]{4}){2,7}(?: [A-Za-z0-9]{1,4})?(?![A-Za-z0-9]))/g;

function suppressIbans(text: string, found: Set<SensitiveCategory>): string {
  return text.replace(IBAN_CANDIDATE, (candidate) => {
    const cuts = [candidate.length];
    for (let i = candidate.length - 1; i > 4; i--) if (candidate[i] === ' ') cuts.push(i);
    for (const end of cuts) {
      if (isIban(candidate.slice(0, end))) {
        found.add('bank_details');
        return MARKERS.bank_details + candidate.slice(end);
      }
    }
    return candidate;
  });
}

function spokenCategory(digits: string, text: string, start: number, end: number): SensitiveCategory | undefined {
  if (digits.length >= 13 && digits.length <= 19 && luhnValid(digits)) return 'card_number';
  if (near(text, start, end, BANK_CONTEXT)) return 'bank_details';
  if (near(text, start, end, TAX_CONTEXT)) return 'tax_identifier';
  // A long number read aloud digit by digit on a billing call is far more often a card than anything else.
  return digits.length >= 13 ? 'card_number' : undefined;
}

const HAS_DIGIT = /\d/;

// ---- card data besides the number ----------------------------------------------------------------
// Security codes, expiry dates, PINs and magnetic-stripe track data are card data too (PCI DSS
// calls the code, PIN and track "sensitive authentication data": never stored after authorisation).
// They are removed under the card category, each with its own marker so the text still reads.

/** The markers for card data other than the number (category `card_number`). */
export const CARD_DATA_MARKERS = {
  securityCode: '[card security code removed]',
  expiry: '[card expiry removed]',
  pin: '[PIN removed]',
  track: '[card track data removed]',
} as const;

// 3-4 digits, written or read out one by one ("one two three").
const SHORT_CODE = `(?:(?<![\\w-])\\d{3,4}(?![\\w-]|[ -]?\\d)|\\b${DIGIT_TOKEN}(?:[\\s,-]+${DIGIT_TOKEN}){2,3}\\b(?![\\s,-]+${DIGIT_TOKEN}\\b))`;
const SECURITY_WORDS =
  '(?:cvv2?|cvc2?|cid|csc|cvn|card\\s+security\\s+code|security\\s+code|card\\s+verification\\s+(?:code|value|number)|(?:three|four|3|4)[ -]digit\\s+(?:security\\s+)?code|code\\s+on\\s+the\\s+back)';
// "CVV 123", "security code is one two three", "the CVC: 1234".
const SECURITY_CODE_LED = new RegExp(`\\b(${SECURITY_WORDS}(?:\\s*(?:number|code|is|was|it's|its|of|:|#|=|-))*\\s*)(${SHORT_CODE})`, 'gi');
// "123 is the CVV", "1234 is my security code".
const SECURITY_CODE_TRAILED = new RegExp(`(${SHORT_CODE})(\\s+(?:is\\s+)?(?:the\\s+|my\\s+)?${SECURITY_WORDS}\\b)`, 'gi');
// "PIN 4931", "pin number is 1234".
const PIN_LED = new RegExp(
  `\\b(pin(?:\\s*(?:number|code))?(?:\\s*(?:is|was|:|#|=))*\\s*)((?<![\\w-])\\d{4,12}(?![\\w-])|\\b${DIGIT_TOKEN}(?:[\\s,-]+${DIGIT_TOKEN}){3,11}\\b)`,
  'gi',
);
// Track 1 (%B<PAN>^<NAME>^<YYMM>...?) and track 2 (;<PAN>=<YYMM>...?), start and end sentinels optional.
const TRACK_DATA = /%?B\d{12,19}\^[^^\n]{1,26}\^\d{4}[^\s?]*\??|;?(?<!\d)\d{12,19}=\d{4}\d*\??/gi;
const MONTHS = '(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\\.?';
// MM/YY, MM/YYYY, MM-YY, "12 28", "December 2028"; never part of a longer date such as 11/01/2026.
const EXPIRY_VALUE = `(?:(?<![\\w/.-])(?:0?[1-9]|1[0-2])\\s?[/-]\\s?(?:20)?\\d{2}(?![\\w/-]|[/.-]\\d)|\\b${MONTHS}\\s+(?:20)?\\d{2}\\b)`;
const EXPIRY_LED = new RegExp(
  `\\b((?:expir(?:y|es|ed|ation|ing)|exp\\.?|valid\\s+(?:thru|through|until)|good\\s+(?:thru|through))(?:\\s*(?:date|is|on|of|:|=))*\\s*)(${EXPIRY_VALUE}|(?<![\\w-])(?:0[1-9]|1[0-2])(?:20)?\\d{2}(?![\\w-]))`,
  'gi',
);
const EXPIRY_BARE = new RegExp(EXPIRY_VALUE, 'gi');
/** Words (or a removed card number) that make a nearby date a card's expiry. */
const CARD_CONTEXT = new RegExp(
  `\\b(?:card|visa|master\\s?card|amex|american express|discover|debit|credit)\\b|${SECURITY_WORDS.replace(/\\\\/g, '\\')}|\\[card number removed\\]`,
  'i',
);
// 3-4 digits right after a removed card number (or its removed expiry): "4111 1111 1111 1111 123".
const CODE_AFTER_CARD = new RegExp(
  `(\\[card number removed\\](?:[\\s,;:.]*(?:and\\s+|then\\s+)?\\[card expiry removed\\])?[\\s,;:.]*(?:and\\s+|then\\s+)?)(${SHORT_CODE})`,
  'gi',
);

/** Removes card data other than the number: track data, security codes, PINs, expiry dates near card context. */
function suppressCardData(text: string, found: Set<SensitiveCategory>): string {
  const hit = (marker: string) => {
    found.add('card_number');
    return marker;
  };
  let out = text.replace(TRACK_DATA, () => hit(CARD_DATA_MARKERS.track));
  if (!/cvv|cvc|cid|csc|cvn|code|pin|exp|valid|good|card|visa|amex|discover|debit|credit|removed|\d/i.test(out)) return out;
  out = out.replace(SECURITY_CODE_LED, (_m, lead: string) => lead + hit(CARD_DATA_MARKERS.securityCode));
  out = out.replace(SECURITY_CODE_TRAILED, (_m, _code: string, tail: string) => hit(CARD_DATA_MARKERS.securityCode) + tail);
  out = out.replace(PIN_LED, (_m, lead: string) => lead + hit(CARD_DATA_MARKERS.pin));
  out = out.replace(EXPIRY_LED, (m: string, lead: string, _v: string, offset: number, whole: string) =>
    near(whole, offset, offset + m.length, CARD_CONTEXT, 80) ? lead + hit(CARD_DATA_MARKERS.expiry) : m,
  );
  out = out.replace(EXPIRY_BARE, (m: string, offset: number, whole: string) =>
    near(whole, offset, offset + m.length, CARD_CONTEXT, 40) ? hit(CARD_DATA_MARKERS.expiry) : m,
  );
  out = out.replace(CODE_AFTER_CARD, (_m, lead: string) => lead + hit(CARD_DATA_MARKERS.securityCode));
  return out;
}

/** Replaces every sensitive finding in `input` with its marker. Pure; safe on any string. */
export function suppressText(input: string): TextSuppression {
  const found = new Set<SensitiveCategory>();
  let text = input.replace(SPOKEN_RUN, (run, offset: number, whole: string) => {
    const digits = run
      .toLowerCase()
      .split(/[\s,.-]+/)
      .map((w) => DIGIT_WORDS[w] ?? w)
      .join('');
    if (!/^\d+$/.test(digits)) return run;
    const cat = spokenCategory(digits, whole, offset, offset + run.length);
    if (!cat) return run;
    found.add(cat);
    return MARKERS[cat];
  });
  // Every rule below (and IBANs) needs ASCII digits; text without any (names, reasons, most
  // summaries) has nothing more to find, so the other passes are skipped.
  if (!HAS_DIGIT.test(text)) return { text: suppressCardData(text, found), found: [...found] };
  // Track data first: it holds a card number the card rule would otherwise cut out of it.
  text = text.replace(TRACK_DATA, () => (found.add('card_number'), CARD_DATA_MARKERS.track));
  text = suppressIbans(text, found);
  text = suppressCards(text, found);
  for (const rule of RULES) {
    text = text.replace(rule.re, (...args: unknown[]) => {
      // replace() hands (match, ...groups, offset, whole); rebuild an exec-style match for the rule.
      const whole = args[args.length - 1] as string;
      const offset = args[args.length - 2] as number;
      const groups = args.slice(0, -2) as string[];
      const m = Object.assign([...groups], { index: offset, input: whole }) as unknown as RegExpExecArray;
      const cat = rule.check(m, whole);
      if (!cat) return groups[0];
      found.add(cat);
      // Keep the words that introduced the number ("account number ") and remove the number only.
      const captured = groups[1];
      return rule.keepLead && captured && groups[0].endsWith(captured)
        ? groups[0].slice(0, groups[0].length - captured.length) + MARKERS[cat]
        : MARKERS[cat];
    });
  }
  // After the card numbers: a code read out right after a number is found by its position.
  text = suppressCardData(text, found);
  return { text, found: [...found] };
}

// ---- the call ------------------------------------------------------------------------------------

/** The call after suppression: safe to store in Temporal. */
export interface SuppressedCall {
  call: CallFacts;
  fields: BillingFields;
  /** DialNexa's flags plus what detection found, each once, in a stable order. */
  suppressed: SensitiveCategory[];
}

/** Fields that are identifiers or links: when one holds sensitive data, it is dropped, not marked. */
const DROP_IF_SENSITIVE = new Set<keyof BillingFields>([
  'accountId',
  'invoiceNumber',
  'paymentId',
  'subscriptionId',
  'customerEmail',
  'customerPhone',
  'crmUrl',
  'paymentPlatformUrl',
  'supportTicket',
  'taxRegion',
  'customerTier',
  'paymentPlatform',
]);

/** Query parameters that make a link a bearer credential (pre-signed S3/GCS/Azure links, tokens). */
const CREDENTIAL_PARAM = /^(x-amz-|x-goog-|signature$|sig$|se$|sp$|sv$|st$|token$|access_token$|auth$|key$|expires$|policy$|key-pair-id$)/i;

/**
 * A link without the parts that grant access on their own: user info and signing parameters.
 * DialNexa's recording links are pre-signed (valid 7 days); the signature is a credential, so it
 * stays out of history, Slack and tickets. People open the recording from DialNexa by call id.
 */
export function withoutCredentials(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  // Each URL setter re-serialises the whole URL: touch only what is there.
  if (u.username) u.username = '';
  if (u.password) u.password = '';
  if (u.search) for (const name of [...u.searchParams.keys()]) if (CREDENTIAL_PARAM.test(name)) u.searchParams.delete(name);
  return u.toString();
}

const LINK_FIELDS = ['crmUrl', 'paymentPlatformUrl'] as const;

const ORDER: SensitiveCategory[] = ['card_number', 'bank_details', 'tax_identifier', 'private_document'];

/**
 * Suppresses a parsed call: every string in the call facts and billing fields is scanned.
 * DialNexa's `private_document` flag keeps only the links (transcript, recording), not the text;
 * a flag for a category detection did not find in the transcript withholds the transcript too,
 * because the detector missed where it was said (fail closed).
 */
export function suppressCall(parsed: ParsedCall, transcriptMaxChars = TRANSCRIPT_MAX_CHARS): SuppressedCall {
  const found = new Set<SensitiveCategory>();
  const analysis = parsed.post_call_analysis;
  const flags = new Set(analysis?.sensitiveFlags ?? []);
  const scan = (v: string | undefined): string | undefined => {
    if (v === undefined) return undefined;
    const r = suppressText(v);
    r.found.forEach((c) => found.add(c));
    return r.text;
  };

  const fields: BillingFields = { ...(analysis?.fields ?? {}) };
  for (const key of Object.keys(fields) as (keyof BillingFields)[]) {
    const value = fields[key];
    if (typeof value !== 'string') continue;
    const clean = scan(value);
    if (clean === value) continue;
    if (DROP_IF_SENSITIVE.has(key)) delete fields[key];
    else (fields as Record<string, unknown>)[key] = clean;
  }
  for (const key of LINK_FIELDS) {
    if (fields[key] !== undefined) fields[key] = withoutCredentials(fields[key]);
    if (fields[key] === undefined) delete fields[key];
  }
  if (fields.newBillingAddress) {
    const a = fields.newBillingAddress;
    fields.newBillingAddress = {
      line1: scan(a.line1) as string,
      line2: scan(a.line2),
      city: scan(a.city) as string,
      region: scan(a.region),
      postalCode: scan(a.postalCode) as string,
      country: scan(a.country) as string,
    };
    if (fields.newBillingAddress.line2 === undefined) delete fields.newBillingAddress.line2;
    if (fields.newBillingAddress.region === undefined) delete fields.newBillingAddress.region;
  }

  const transcriptFound = new Set<SensitiveCategory>();
  let transcript: string | undefined;
  if (parsed.transcript !== undefined) {
    const r = suppressText(parsed.transcript);
    r.found.forEach((c) => (found.add(c), transcriptFound.add(c)));
    transcript = r.text;
  }
  let summary = scan(parsed.summary);
  const missed = [...flags].filter((c) => c !== 'private_document' && !transcriptFound.has(c));
  if (flags.has('private_document')) {
    // Only the links survive: the document's text may be anywhere in what the caller or agent said.
    transcript = transcript === undefined ? undefined : MARKERS.private_document;
    summary = summary === undefined ? undefined : MARKERS.private_document;
  } else if (transcript !== undefined && missed.length > 0) {
    transcript = `[transcript withheld: DialNexa flagged ${missed.map((c) => c.replace('_', ' ')).join(', ')}; see the transcript link]`;
  }
  if (transcript !== undefined && transcript.length > transcriptMaxChars)
    transcript = transcript.slice(0, transcriptMaxChars - TRUNCATED.length) + TRUNCATED;

  const transcriptUrl = analysis?.transcriptUrl;
  const call: CallFacts = {
    callId: parsed.id,
    agentId: scan(parsed.agent_id),
    direction: parsed.direction,
    startedAt: parsed.started_at ?? parsed.initiated_at,
    endedAt: parsed.ended_at,
    durationSeconds: parsed.duration,
    summary,
    transcript,
    transcriptUrl: transcriptUrl && scan(transcriptUrl) === transcriptUrl ? withoutCredentials(transcriptUrl) : undefined,
    recordingUrl:
      parsed.recording_url && scan(parsed.recording_url) === parsed.recording_url ? withoutCredentials(parsed.recording_url) : undefined,
  };
  for (const k of Object.keys(call) as (keyof CallFacts)[]) if (call[k] === undefined) delete call[k];
  const all = new Set<SensitiveCategory>([...flags, ...found]);
  return { call, fields, suppressed: ORDER.filter((c) => all.has(c)) };
}
