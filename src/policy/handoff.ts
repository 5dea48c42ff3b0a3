/**
 * The handoff mapping of docs/product.md §2: for every case type, where the handoff lands and who owns
 * the next step. Checked before launch: the worker refuses to start, naming what is missing.
 */
import { CASE_TYPES, type CaseType, type Urgency } from '../domain/case';
import type { RecordRef } from '../domain/case-state';

/** Who owns the next step, resolved per case at run time. */
export type HandoffOwner =
  /** The HubSpot owner of the account (mapped to a Slack user). */
  | 'account_owner'
  /** The finance approvers (the configured allowlist). */
  | 'finance'
  /** The support team working the Zendesk ticket. */
  | 'support';

/** Where the record URL of the handoff points. */
export type HandoffRecordUrl = 'zendesk_ticket' | 'quickbooks_record' | 'hubspot_record' | 'slack_message';

/** One case type's handoff: every field is required (docs/product.md §2). */
export interface HandoffSpec {
  /** The system and object the case acts on. */
  destinationObject: { system: RecordRef['system']; object: string };
  owner: HandoffOwner;
  /** Status the handoff reports once the case has done its part. */
  status: string;
  urgency: Urgency;
  /** The next step, as the owner reads it. */
  nextStep: string;
  recordUrl: HandoffRecordUrl;
}

export type HandoffMapping = Record<CaseType, Partial<HandoffSpec>>;

/** The shipped mapping. */
export const HANDOFF_MAPPING: HandoffMapping = {
  invoice_resend: {
    destinationObject: { system: 'quickbooks', object: 'Invoice' },
    owner: 'support',
    status: 'invoice sent',
    urgency: 'normal',
    nextStep: 'Confirm the customer received the invoice',
    recordUrl: 'zendesk_ticket',
  },
  renewal_failed: {
    destinationObject: { system: 'hubspot', object: 'deal' },
    owner: 'account_owner',
    status: 'follow-up sent',
    urgency: 'high',
    nextStep: 'Check the renewal is paid by the follow-up deadline',
    recordUrl: 'hubspot_record',
  },
  refund_request: {
    destinationObject: { system: 'quickbooks', object: 'RefundReceipt' },
    owner: 'finance',
    status: 'refund decided',
    urgency: 'normal',
    nextStep: 'Confirm the refund to the customer',
    recordUrl: 'quickbooks_record',
  },
  billing_details_correction: {
    destinationObject: { system: 'quickbooks', object: 'Customer' },
    owner: 'finance',
    status: 'billing details decided',
    urgency: 'normal',
    nextStep: 'Review the address change',
    recordUrl: 'quickbooks_record',
  },
  payment_blocker: {
    destinationObject: { system: 'zendesk', object: 'ticket' },
    owner: 'account_owner',
    status: 'finance alerted',
    urgency: 'urgent',
    nextStep: 'Acknowledge and unblock the payment',
    recordUrl: 'slack_message',
  },
  collections: {
    destinationObject: { system: 'hubspot', object: 'contact' },
    owner: 'account_owner',
    status: 'promise to pay recorded',
    urgency: 'normal',
    nextStep: 'Check payment at the promised date',
    recordUrl: 'zendesk_ticket',
  },
  receipt_request: {
    destinationObject: { system: 'quickbooks', object: 'Payment' },
    owner: 'support',
    status: 'receipt sent',
    urgency: 'low',
    nextStep: 'None unless the customer replies',
    recordUrl: 'zendesk_ticket',
  },
  charge_dispute: {
    destinationObject: { system: 'zendesk', object: 'ticket' },
    owner: 'finance',
    status: 'dispute decided',
    urgency: 'high',
    nextStep: 'Decide: accept, contest or ask for information',
    recordUrl: 'zendesk_ticket',
  },
  triage: {
    destinationObject: { system: 'slack', object: 'message' },
    owner: 'finance',
    status: 'case chosen',
    urgency: 'normal',
    nextStep: 'Choose the case type for this call',
    recordUrl: 'slack_message',
  },
};

const REQUIRED_FIELDS = ['destinationObject', 'owner', 'status', 'urgency', 'nextStep', 'recordUrl'] as const;

/** Thrown at start-up when the mapping is incomplete; the message names every gap. */
export class HandoffMappingError extends Error {
  constructor(public readonly missing: string[]) {
    super(`Handoff mapping incomplete (docs/product.md §2), missing: ${missing.join(', ')}`);
    this.name = 'HandoffMappingError';
  }
}

/** Every `caseType.field` that is missing or empty; [] when complete. */
export function missingHandoffFields(mapping: Partial<Record<CaseType, Partial<HandoffSpec> | undefined>>): string[] {
  const missing: string[] = [];
  for (const caseType of CASE_TYPES) {
    const spec = mapping[caseType];
    if (!spec) {
      missing.push(`${caseType} (no mapping)`);
      continue;
    }
    for (const field of REQUIRED_FIELDS) {
      const v = spec[field];
      const empty =
        v === undefined ||
        (typeof v === 'string' && v.trim() === '') ||
        (field === 'destinationObject' && (!spec.destinationObject?.system || !spec.destinationObject.object));
      if (empty) missing.push(`${caseType}.${field}`);
    }
  }
  return missing;
}

/** Throws HandoffMappingError naming what is missing. The worker calls this before it polls. */
export function validateHandoffMapping(
  mapping: Partial<Record<CaseType, Partial<HandoffSpec> | undefined>> = HANDOFF_MAPPING,
): HandoffMapping {
  const missing = missingHandoffFields(mapping);
  if (missing.length > 0) throw new HandoffMappingError(missing);
  return mapping as HandoffMapping;
}
