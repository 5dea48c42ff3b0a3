/**
 * The shared vocabulary of a billing case: what the intake hands a workflow, and what a workflow
 * reports. Pure types and constants; imported by intake, workflows, activities and the API alike.
 * Everything in a CaseInput has already been validated and suppressed (docs/product.md §6): it is safe
 * to store in Temporal history.
 */
import type { CaseTimings } from './policy';

/** Case types of docs/product.md §4, in the wire spelling DialNexa's `billing_intent` uses. */
export const CASE_TYPES = [
  'invoice_resend',
  'renewal_failed',
  'refund_request',
  'billing_details_correction',
  'payment_blocker',
  'collections',
  'receipt_request',
  'charge_dispute',
  'triage',
] as const;
export type CaseType = (typeof CASE_TYPES)[number];

/** The Temporal workflow type that runs each case type (one file per type in src/workflows). */
export const WORKFLOW_TYPE: Record<CaseType, string> = {
  invoice_resend: 'invoiceResend',
  renewal_failed: 'renewalFailed',
  refund_request: 'refundRequest',
  billing_details_correction: 'billingDetailsCorrection',
  payment_blocker: 'paymentBlocker',
  collections: 'collections',
  receipt_request: 'receiptRequest',
  charge_dispute: 'chargeDispute',
  triage: 'triage',
};

/** Lifecycle of a case; also the BillingCaseStatus search attribute. */
export const CaseStatus = {
  Received: 'received',
  Gathering: 'gathering',
  AwaitingApproval: 'awaiting_approval',
  Escalated: 'escalated',
  Executing: 'executing',
  WaitingForCustomer: 'waiting_for_customer',
  Completed: 'completed',
  Rejected: 'rejected',
  /** Final timeout without a decision: failed closed, no money moved. */
  Expired: 'expired',
  /** A step failed after an earlier external write: a person must look. */
  NeedsAttention: 'needs_attention',
  Failed: 'failed',
  /** Cancelled by an operator (Temporal cancel): nothing further happens, open Slack buttons are removed. */
  Cancelled: 'cancelled',
} as const;
export type CaseStatus = (typeof CaseStatus)[keyof typeof CaseStatus];

export const SENSITIVE_CATEGORIES = ['card_number', 'bank_details', 'tax_identifier', 'private_document'] as const;
export type SensitiveCategory = (typeof SENSITIVE_CATEGORIES)[number];

export const Urgency = { Low: 'low', Normal: 'normal', High: 'high', Urgent: 'urgent' } as const;
export type Urgency = (typeof Urgency)[keyof typeof Urgency];

/** Money in integer minor units (cents) with its ISO 4217 currency. Never floats. */
export interface Money {
  amountMinor: number;
  currency: string;
}

export interface PostalAddress {
  line1: string;
  line2?: string;
  city: string;
  region?: string;
  postalCode: string;
  /** ISO 3166-1 alpha-2 where known. */
  country: string;
}

/** The call itself, after suppression. Free text here has had sensitive data replaced by markers. */
export interface CallFacts {
  callId: string;
  agentId?: string;
  direction?: 'inbound' | 'outbound';
  /** ISO timestamps. */
  startedAt?: string;
  endedAt?: string;
  durationSeconds?: number;
  summary?: string;
  /** Suppressed transcript text, capped in length (the full one stays with DialNexa). */
  transcript?: string;
  transcriptUrl?: string;
  recordingUrl?: string;
}

/** DialNexa's post-call analysis fields (docs/product.md §3), parsed, coerced and suppressed. */
export interface BillingFields {
  customerName?: string;
  accountId?: string;
  customerEmail?: string;
  customerPhone?: string;
  invoiceNumber?: string;
  paymentId?: string;
  subscriptionId?: string;
  taxRegion?: string;
  customerTier?: string;
  amount?: Money;
  /** ISO date (YYYY-MM-DD). */
  dueDate?: string;
  paymentStatus?: string;
  refundReason?: string;
  disputeReason?: string;
  /** The caller asked for a credit (CreditMemo) rather than money back. */
  creditRequest?: boolean;
  /** `quickbooks`, `skyfire`, ... */
  paymentPlatform?: string;
  /** The call's own approval threshold, minor units in `amount`'s currency. */
  approvalThresholdMinor?: number;
  financeOwner?: string;
  escalationReason?: string;
  promisedNextStep?: string;
  /** ISO timestamp or date. */
  followUpDeadline?: string;
  newBillingAddress?: PostalAddress;
  crmUrl?: string;
  supportTicket?: string;
  paymentPlatformUrl?: string;
}

/** A field of DialNexa's analysis the intake could not read: kept out of the case's fields, named for a person. */
export interface UnreadableField {
  /** The key as DialNexa sent it (`currency`, `post_call_analysis.customer_email` is `customer_email`). */
  field: string;
  /** What DialNexa sent, as text, suppressed and cut short; absent for contact details (not repeated). */
  said?: string;
  /** Why it could not be read. */
  why: string;
}

/** One field several intents of a call share, while the call names more than one value for it. */
export interface SharedField {
  /** The analysis key (`invoice_number`, `amount`). */
  field: string;
  /** The one value DialNexa's field holds (what the case would act on). */
  value: string;
  /** Every value of that kind the call mentions (the field's among them). */
  mentioned: string[];
  /** The call's intents that share it. */
  intents: CaseType[];
}

/** What the intake could not settle by itself: the case shows it to a person before acting (docs/workflows.md). */
export interface IntakeNotes {
  unreadable?: UnreadableField[];
  /** DialNexa named an intent the service has no case type for (triage as a billing question). */
  unknownIntents?: string[];
  shared?: SharedField[];
}

/**
 * The intake's signature over the facts a case acts on (src/proofs/case-facts.ts): an HMAC with a
 * key only the API and the worker hold, bound to the case's workflow id. Not a secret itself.
 */
export interface CaseAttestation {
  v: 1;
  /** `api`: signed at intake; `worker`: a case a person chose in triage, signed by the worker after it verified triage's facts and the choice. */
  by: 'api' | 'worker';
  /** ISO timestamp. */
  issuedAt: string;
  /** base64url HMAC-SHA256. */
  mac: string;
}

/** Everything a case workflow starts with. */
export interface CaseInput {
  caseType: CaseType;
  call: CallFacts;
  fields: BillingFields;
  /** 0..1, when DialNexa gave one. */
  intentConfidence?: number;
  /** Categories suppressed at intake (DialNexa flags and our own detection). Non-empty = sensitive request. */
  suppressed: SensitiveCategory[];
  /** The intents DialNexa named, when this is a triage case. */
  candidateCaseTypes?: CaseType[];
  /** ISO timestamp the webhook arrived. */
  receivedAt: string;
  /** Fields the intake could not read or tell apart: a person reviews them before the case acts. */
  intake?: IntakeNotes;
  /** Durations only: approvers and limits are the worker's configuration (src/domain/policy.ts), never input. */
  policy: CaseTimings;
  /**
   * The intake's signature over the facts above. Absent or not matching: the facts are not trusted
   * for any automated decision (the case is flagged, counted, and a person decides).
   */
  attestation?: CaseAttestation;
  /**
   * The workflow-code release the starter knows the workers run (CASE_CODE_RELEASE when it
   * started the case): the case takes every patch of that release or older without asking
   * `patched()`, so it records no patch marker and no `TemporalChangeVersion` upsert for them
   * (src/workflows/patches.ts). Absent on cases started before it existed: they ask `patched()`.
   */
  release?: number;
}

/**
 * The release of the case workflows' code that starters stamp into new cases (`CaseInput.release`).
 * Raised together with the patch table (src/workflows/patches.ts) when a change adds patches.
 */
export const CASE_CODE_RELEASE = 5;
