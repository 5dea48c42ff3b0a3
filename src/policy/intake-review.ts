/**
 * What a person reads when the intake could not settle a call by itself (issue 24): a field of
 * DialNexa's analysis it could not read, an intent it has no case type for, or one field shared by
 * several requests of the call. Pure: the intake builds the notes, the case shows these lines in
 * its review request, its billing note and its Slack message.
 */
import type { CaseType, IntakeNotes, SharedField, UnreadableField } from '../domain/case';

/** `DialNexa said `currency: euros`; we could not read it (must be an ISO 4217 currency code).` */
export function unreadableLine(u: UnreadableField): string {
  return u.said !== undefined
    ? `DialNexa said \`${u.field}: ${u.said}\`; we could not read it (${u.why})`
    : `DialNexa's \`${u.field}\` could not be read (${u.why}); it is a contact detail, so it is not repeated here`;
}

const CASE_LABEL: Record<CaseType, string> = {
  invoice_resend: 'an invoice resend',
  renewal_failed: 'a failed renewal',
  refund_request: 'a refund',
  billing_details_correction: 'a billing details correction',
  payment_blocker: 'a payment blocker',
  collections: 'a collections follow-up',
  receipt_request: 'a receipt',
  charge_dispute: 'a dispute',
  triage: 'triage',
};

/** `The call asks for an invoice resend and a refund, but DialNexa gave one invoice_number (INV-1003) ...` */
export function sharedLine(s: SharedField): string {
  return (
    `The call asks for ${s.intents.map((i) => CASE_LABEL[i]).join(' and ')}, but DialNexa gave one \`${s.field}\` (${s.value}) ` +
    `while the call mentions ${s.mentioned.join(', ')}: which one belongs to which request cannot be told apart`
  );
}

export function unknownIntentLine(intent: string): string {
  return `DialNexa named the request \`${intent}\`, which the service has no case type for`;
}

/** Every line a person must read before the case acts; empty when the intake settled everything. */
export function intakeReviewLines(notes: IntakeNotes | undefined): string[] {
  if (!notes) return [];
  return [
    ...(notes.unknownIntents ?? []).map(unknownIntentLine),
    ...(notes.unreadable ?? []).map(unreadableLine),
    ...(notes.shared ?? []).map(sharedLine),
  ];
}

/** Analysis keys that carry the intent: once a person chose the case in triage, they need no second review. */
export const INTENT_FIELDS: ReadonlySet<string> = new Set(['billing_intent', 'billing_intents', 'intent_confidence']);

/** The notes a case started by triage keeps: the person who chose the case has settled the intent. */
export function notesAfterTriage(notes: IntakeNotes | undefined): IntakeNotes | undefined {
  if (!notes) return undefined;
  const unreadable = (notes.unreadable ?? []).filter((u) => !INTENT_FIELDS.has(u.field));
  const out: IntakeNotes = {
    ...(unreadable.length ? { unreadable } : {}),
    ...(notes.shared?.length ? { shared: notes.shared } : {}),
  };
  return Object.keys(out).length ? out : undefined;
}
