/**
 * The billing note (docs/product.md §2): the short operational summary written wherever people read
 * about the case. Pure and destination-aware: contact details only where the destination needs
 * them (the Zendesk ticket), never in Slack, QuickBooks or Temporal; suppression markers always
 * kept; at most 1,500 characters.
 */
import type { CaseStatus, SensitiveCategory, Urgency } from '../domain/case';
import type { RecordRef } from '../domain/case-state';
import { caseStatusText } from './wording';
import { humanDate, slackDate } from './dates';

export const BILLING_NOTE_MAX_CHARS = 1500;

/** Where the note is written. */
export type NoteDestination = 'zendesk' | 'slack' | 'quickbooks' | 'hubspot' | 'temporal';

/** The marker left wherever data of a category was removed. */
export const SUPPRESSION_MARKER: Record<SensitiveCategory, string> = {
  card_number: '[card number removed]',
  bank_details: '[bank details removed]',
  tax_identifier: '[tax identifier removed]',
  private_document: '[private document removed]',
};

export interface BillingNoteInput {
  /** What the caller asked for, in one sentence. */
  request: string;
  /** Key facts learned (short lines, no contact details: they are scrubbed outside Zendesk anyway). */
  facts: string[];
  /** The affected record. */
  record?: RecordRef;
  /** Owner of the next step, by name as people read it (never an email; an opaque id only when no name is known). */
  owner?: string;
  nextStep?: string;
  /** ISO date or timestamp. */
  nextStepDeadline?: string;
  /** IANA time zone dates are shown in outside Slack (Slack shows each reader their own); default UTC. */
  timeZone?: string;
  status: CaseStatus;
  urgency: Urgency;
  links: {
    callId: string;
    transcriptUrl?: string;
    recordingUrl?: string;
    crmUrl?: string;
    ticket?: string;
    paymentPlatformUrl?: string;
    /** Skyfire KYA token id, when one was attached. */
    kyaTokenId?: string;
  };
  /** Categories suppressed at intake: each gets its marker in the note. */
  suppressed: SensitiveCategory[];
  /** Contact details: written only where the destination needs them (Zendesk). */
  contact?: { name?: string; email?: string; phone?: string };
}

const EMAIL = /[^\s@<>()"',;]+@[^\s@<>()"',;]+\.[A-Za-z]{2,}/g;
// Phone-like runs: 7+ digits with common separators, standing on their own (not inside a word, an id
// or a token such as a UUID); leaves ids such as INV-1001 and amounts alone.
const PHONE = /(?<![\w-])\+?\d[\d\s().-]{7,}\d(?![\w-])/g;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T[\d:.]+Z?)?$/;
// Ids that are never contact details even when they are mostly digits (Skyfire token ids, request ids).
const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;

/** Removes emails and phone numbers from free text (for destinations that must not carry them). */
export function scrubContactDetails(text: string): string {
  const scrub = (part: string) =>
    part
      .replace(EMAIL, '[email omitted]')
      .replace(PHONE, (m) => (m.replace(/\D/g, '').length >= 7 && !ISO_DATE.test(m.trim()) ? '[phone omitted]' : m));
  // UUIDs are kept as they are; only the text between them is scrubbed.
  let out = '';
  let at = 0;
  for (const m of text.matchAll(UUID)) {
    out += scrub(text.slice(at, m.index)) + m[0];
    at = m.index + m[0].length;
  }
  return out + scrub(text.slice(at));
}

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

/** Builds the note for one destination. Never longer than BILLING_NOTE_MAX_CHARS; markers survive truncation. */
export function buildBillingNote(input: BillingNoteInput, destination: NoteDestination): string {
  const withContact = destination === 'zendesk';
  const clean = (s: string) => oneLine(withContact ? s : scrubContactDetails(s));
  const head: string[] = [`Request: ${clean(input.request)}`];
  if (input.record) {
    head.push(`Record: ${input.record.system} ${input.record.object} ${input.record.id}${input.record.url ? ` ${input.record.url}` : ''}`);
  }
  // Dates for people: Slack's date token there, a written-out date and time elsewhere (issue 24 §7).
  const by = input.nextStepDeadline
    ? destination === 'slack'
      ? slackDate(input.nextStepDeadline, input.timeZone)
      : humanDate(input.nextStepDeadline, input.timeZone, !/^\d{4}-\d{2}-\d{2}$/.test(input.nextStepDeadline))
    : undefined;
  const next = input.nextStep ? `${clean(input.nextStep)}${by ? ` (by ${by})` : ''}` : 'none';
  head.push(`Owner: ${input.owner ? clean(input.owner) : 'unassigned'} | Next step: ${next}`);
  head.push(`Status: ${caseStatusText(input.status)} | Urgency: ${input.urgency}`);
  if (withContact && input.contact) {
    const c = [input.contact.name, input.contact.email, input.contact.phone].filter(Boolean).join(', ');
    if (c) head.push(`Contact: ${oneLine(c)}`);
  }
  const l = input.links;
  const links = [
    `DialNexa call ${l.callId}`,
    l.transcriptUrl && `transcript ${l.transcriptUrl}`,
    l.recordingUrl && `recording ${l.recordingUrl}`,
    l.crmUrl && `CRM ${l.crmUrl}`,
    l.ticket && `ticket ${l.ticket}`,
    l.paymentPlatformUrl && `payment ${l.paymentPlatformUrl}`,
    l.kyaTokenId && `Skyfire KYA token ${l.kyaTokenId}`,
  ].filter(Boolean);
  const tail: string[] = [`Links: ${links.join(' | ')}`];
  const markers = [...new Set(input.suppressed)].map((c) => SUPPRESSION_MARKER[c]);
  if (markers.length > 0) tail.push(`Suppressed: ${markers.join(' ')}`);

  // Facts are the only part that gives way when space runs out; the rest is what people act on.
  const fixed = [...head, ...tail].join('\n');
  let budget = BILLING_NOTE_MAX_CHARS - fixed.length - 1 - 'Facts:\n'.length;
  const facts: string[] = [];
  for (const f of input.facts.map(clean).filter(Boolean)) {
    const line = `- ${f}`;
    if (line.length + 1 <= budget) {
      facts.push(line);
      budget -= line.length + 1;
    } else {
      if (budget > 12) facts.push(`${line.slice(0, budget - 2)}…`);
      break;
    }
  }
  const note = [...head, ...(facts.length ? ['Facts:', ...facts] : []), ...tail].join('\n');
  if (note.length <= BILLING_NOTE_MAX_CHARS) return note;
  // Pathological inputs (a huge request sentence or URL): keep the markers at the end regardless.
  const suffix = markers.length > 0 ? `\n${tail[tail.length - 1]}` : '';
  return `${note.slice(0, BILLING_NOTE_MAX_CHARS - suffix.length - 1)}…${suffix}`;
}
