/**
 * What the systems of record answer and what a step wrote there, as cases carry them (in workflow
 * history, so small and PII-light): summaries of invoices, customers, contacts, payments and
 * wallets, references to what a write made, and the step name every write is keyed by. Shared by
 * the activities that produce them, the workflows that act on them and the tests. Pure types.
 */
import type { Money, PostalAddress } from './case';
import type { ApprovalVote } from './decision';
import type { RecordRef } from './case-state';

/**
 * A person's approval to send a document to an address not on file: the request and its votes,
 * each with the proof the API made. The activity verifies them with the decision key; without a
 * valid approval the address-on-file rule still refuses.
 */
export interface RecipientApproval {
  requestId: string;
  escalated: boolean;
  votes: ApprovalVote[];
}

/** Every outward write names its step within the case; the idempotency key is workflowId + step. */
export interface StepInput {
  /** Unique within the case, stable across retries and replays, e.g. `refund.record`. */
  step: string;
}

// ---------------------------------------------------------------------------------------------
// Read results
// ---------------------------------------------------------------------------------------------

/** A QuickBooks invoice, as much as a case needs. */
export interface InvoiceSummary {
  /** QuickBooks Invoice.Id. */
  id: string;
  /** DocNumber: the invoice number customers see. */
  docNumber: string;
  /** QuickBooks Customer.Id. */
  customerId: string;
  total: Money;
  balance: Money;
  /** YYYY-MM-DD. */
  dueDate?: string;
  /** Invoice.BillEmail: an email on file (verified-email rule). */
  billEmail?: string;
  url?: string;
}

/** A QuickBooks customer. */
export interface CustomerSummary {
  /** QuickBooks Customer.Id. */
  id: string;
  /** Our account id (the HubSpot / DialNexa `account_id`), when known. */
  accountId?: string;
  /** PrimaryEmailAddr: an email on file (verified-email rule). */
  primaryEmail?: string;
  billAddress?: PostalAddress;
  /** Current SyncToken; updates re-read it anyway (it goes stale). */
  syncToken: string;
  /** CurrencyRef: the currency the customer is billed in (USD when QuickBooks names none). */
  currency?: string;
  url?: string;
}

/** A HubSpot contact. */
export interface ContactSummary {
  /** HubSpot contact id. */
  id: string;
  /** The contact's email: an email on file (verified-email rule). */
  email?: string;
  /** hubspot_owner_id. */
  ownerId?: string;
  /** e.g. `vip`, from the contact/company properties, when present. */
  tier?: string;
  /** `quickbooks` | `skyfire` | ..., when the CRM records how the account pays. */
  paymentPlatform?: string;
  /** The account's IANA time zone, when the CRM has one (HubSpot `hs_timezone`). */
  timeZone?: string;
  url?: string;
}

/** A HubSpot owner, with the Slack user to mention (resolved by email; the email is not returned). */
export interface OwnerSummary {
  /** HubSpot owner id. */
  id: string;
  /** Slack user id, when the owner has one. Used for mentions and as the case owner. */
  slackUserId?: string;
  /** Display name for the audit trail (no email). */
  name?: string;
}

/** A HubSpot deal (renewal context). */
export interface DealSummary {
  id: string;
  name: string;
  stage?: string;
  amount?: Money;
  /** YYYY-MM-DD. */
  closeDate?: string;
  url?: string;
}

/** Open balance of a QuickBooks customer. */
export interface OpenBalance {
  total: Money;
  openInvoices: { id: string; docNumber: string; balance: Money; dueDate?: string }[];
}

/** A QuickBooks payment (receipts). */
export interface PaymentSummary {
  id: string;
  customerId: string;
  amount: Money;
  /** YYYY-MM-DD. */
  date?: string;
  /** Invoice ids the payment was applied to. */
  invoiceIds: string[];
}

/**
 * The payments QuickBooks shows applied to one invoice (Payment.Line[].LinkedTxn with TxnType
 * Invoice): the evidence a refund for a duplicate charge needs (src/policy/refund.ts).
 */
export interface InvoicePayments {
  invoiceId: string;
  /** Each payment with what it applied to this invoice (minor units of the payment's currency). */
  payments: { id: string; applied: Money; date?: string }[];
}

/** Skyfire buyer wallet balance (GET /api/v1/agents/balance), converted to minor units. */
export interface WalletBalance {
  /** Spendable now. */
  available: Money;
  /** Reserved by live, uncharged tokens. */
  held: Money;
}

// ---------------------------------------------------------------------------------------------
// Write results
// ---------------------------------------------------------------------------------------------

/** A Skyfire token. The signed JWT itself never enters workflow history (it is a bearer credential). */
export interface SkyfireTokenRef {
  /** The token id (JWT `jti`). Goes into the billing note. */
  tokenId: string;
  /** ISO timestamp. */
  expiresAt: string;
  /** The buyerTag the token carries: the case reference (workflow id + step). */
  buyerTag: string;
  /** True when an earlier attempt's token for this step was found and reused instead of creating one. */
  reused: boolean;
}

/**
 * A refund's Skyfire pay token, handed to the seller service that charges it. It reserves wallet
 * funds, so at most one per case step. Money has moved only once `getPayTokenCharges` shows it.
 */
export interface PayTokenRef extends SkyfireTokenRef {
  amount: Money;
  /** The seller service received the token (its API answered 2xx). False only after a retry that could not know. */
  handedOver: boolean;
  /** ISO time after which the seller can no longer charge (expiry + Skyfire's charge grace): stop waiting then. */
  chargeDeadline: string;
  /** How often the case looks at the token's charges while it waits. */
  pollIntervalMs: number;
}

/** What the seller service has charged on a pay token (GET /api/v1/tokens/{tokenId}/charges). */
export interface PayTokenCharges {
  charged: Money;
  chargeIds: string[];
}

/** A recorded refund or credit in QuickBooks. */
export interface RefundRecord extends RecordRef {
  system: 'quickbooks';
  object: 'RefundReceipt' | 'CreditMemo';
  amount: Money;
}

/** A Zendesk ticket. */
export interface TicketRef extends RecordRef {
  system: 'zendesk';
  object: 'ticket';
  /**
   * false: the ticket has no requester on file (no verified email), so nothing on it may be public;
   * the case writes internal notes only. Absent (older results) = public comments allowed.
   */
  publicComments?: boolean;
  /** The ticket the caller named, when Zendesk says it belongs to someone else (or does not exist): not written to. */
  refusedTicketId?: string;
}

/** A Zendesk comment a case writes under its own step (idempotency key from the case and the step). */
export interface TicketComment {
  step: string;
  body: string;
  public: boolean;
}
