/**
 * What a case has learned and done, and the notes made from it: the key facts, the records it
 * touched in other systems, its Zendesk ticket and KYA token, the billing note per destination
 * (docs/product.md §2) and the links shown in Slack. Pure bookkeeping: no I/O, no Temporal commands.
 */
import type { CaseInput } from '../domain/case';
import type { CaseState, RecordRef } from '../domain/case-state';
import { buildBillingNote, type NoteDestination } from '../policy/billing-note';
import { formatMoney } from '../domain/money';
import { callerReasonText } from '../policy/wording';

export class CaseLedger {
  /** Key facts for the billing note (short lines; contact details are scrubbed per destination). */
  readonly facts: string[] = [];
  /** Zendesk ticket of the case, once opened. */
  ticket?: RecordRef;
  /** Skyfire KYA token id, once one is attached. */
  kyaTokenId?: string;

  /** The time zone the case's dates are shown in (the account's, once known), for notes outside Slack. */
  timeZone?: string;

  constructor(private readonly input: CaseInput) {}

  addRecord(state: CaseState, ref: RecordRef): void {
    state.records.push(ref);
  }

  /** The billing note for one destination (docs/product.md §2). */
  note(destination: NoteDestination, state: CaseState): string {
    const { fields, call } = this.input;
    const h = state.handoff;
    return buildBillingNote(
      {
        request: h.request,
        facts: this.facts,
        record: h.destinationObject && h.destinationObject.id !== 'pending' ? h.destinationObject : undefined,
        owner: ownerText(h),
        nextStep: h.nextStep,
        nextStepDeadline: h.nextStepDeadline,
        timeZone: this.timeZone ?? this.input.policy.businessTimeZone,
        status: state.status,
        urgency: h.urgency,
        links: {
          callId: call.callId,
          transcriptUrl: call.transcriptUrl,
          recordingUrl: call.recordingUrl,
          crmUrl: fields.crmUrl,
          ticket: this.ticket?.url ?? fields.supportTicket,
          paymentPlatformUrl: fields.paymentPlatformUrl,
          kyaTokenId: this.kyaTokenId,
        },
        suppressed: this.input.suppressed,
        contact: { name: fields.customerName, email: fields.customerEmail, phone: fields.customerPhone },
      },
      destination,
    );
  }

  /** Links for Slack messages (no contact details). */
  links(): { label: string; url: string }[] {
    const { call, fields } = this.input;
    return [
      call.transcriptUrl && { label: 'Transcript', url: call.transcriptUrl },
      call.recordingUrl && { label: 'Recording', url: call.recordingUrl },
      fields.crmUrl && { label: 'CRM', url: fields.crmUrl },
      this.ticket?.url && { label: 'Ticket', url: this.ticket.url },
      fields.paymentPlatformUrl && { label: 'Payment platform', url: fields.paymentPlatformUrl },
    ].filter((l): l is { label: string; url: string } => Boolean(l));
  }
}

const TEAM_NAMES: Record<string, string> = {
  finance: 'Finance team (the approvers in Slack)',
  support: 'Support team (the Zendesk ticket)',
  account_owner: 'Account owner (not found in HubSpot)',
  'account_owner (unresolved)': 'Account owner (not found in HubSpot)',
};

/** The owner as people read it: the name the case learned, a team's name, never a bare Slack or HubSpot id. */
export function ownerText(h: { owner?: string; ownerName?: string }): string | undefined {
  if (h.ownerName) return h.ownerName;
  if (!h.owner) return undefined;
  if (TEAM_NAMES[h.owner]) return TEAM_NAMES[h.owner];
  if (h.owner.startsWith('hubspot-owner:')) return `HubSpot owner ${h.owner.slice('hubspot-owner:'.length)} (no name on file)`;
  return h.owner;
}

/** One sentence: what the caller asked for (ids and amounts only; no contact details). */
export function describeRequest(input: CaseInput): string {
  const f = input.fields;
  const amount = f.amount ? ` of ${formatMoney(f.amount.amountMinor, f.amount.currency)}` : '';
  const inv = f.invoiceNumber ? ` for invoice ${f.invoiceNumber}` : '';
  const acct = f.accountId ? ` (account ${f.accountId})` : '';
  const what: Record<CaseInput['caseType'], string> = {
    invoice_resend: `Resend invoice${inv}${acct}.`,
    renewal_failed: `Follow up a failed renewal${f.subscriptionId ? ` of ${f.subscriptionId}` : ''}${acct}.`,
    refund_request: `${f.creditRequest ? 'Credit' : 'Refund'}${amount}${inv}${acct}${f.refundReason ? `, reason: ${callerReasonText(f.refundReason)}` : ''}.`,
    billing_details_correction: `Correct billing details${acct}.`,
    payment_blocker: `Customer cannot pay${inv}${acct}.`,
    collections: `Collections follow-up${amount}${inv}${acct}.`,
    receipt_request: `Send a receipt${f.paymentId ? ` for payment ${f.paymentId}` : inv}${acct}.`,
    charge_dispute: `Dispute of a charge${amount}${inv}${acct}${f.disputeReason ? `, reason: ${callerReasonText(f.disputeReason)}` : ''}.`,
    triage: `Unclear billing request${acct}: choose the case.`,
  };
  return what[input.caseType];
}
