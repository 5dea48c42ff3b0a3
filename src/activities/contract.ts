/**
 * The contract between the case workflows and the outside world: every business step a workflow
 * can take, typed, with the system it touches. Workflows import this as a type only
 * (`proxyActivities<CaseActivities>`); `createActivities(deps)` implements it (QuickBooks, HubSpot,
 * Gmail, Zendesk, Drive and Skyfire in one set of factories, Slack in another).
 *
 * Rules every implementation follows:
 * - **Idempotency.** Every write takes a `step` string, unique within the case (e.g. `refund.record`,
 *   `approval.1.post`). The implementation derives the external idempotency key from the workflow id
 *   (Activity `Context.current().info.workflowExecution.workflowId`) plus `step`: QuickBooks
 *   `requestid`, Zendesk `Idempotency-Key`, Drive pre-generated file id, Skyfire `buyerTag`
 *   reconciliation, Gmail Message-ID. A retried activity with the same step never writes twice.
 * - **Retries belong to Temporal.** SDK-internal retries are off; the groups in
 *   `src/temporal/activity-retry.ts` say how each activity retries. Failures
 *   are named errors (`ActivityErrorType`); the permanent ones are non-retryable.
 * - **Small, PII-light results.** Results land in workflow history: ids, amounts, states. Emails on
 *   file are returned only where the verified-email rule needs them.
 * - Money is integer minor units with a currency (`Money`), never floats.
 */
import type { Money, PostalAddress } from '../domain/case';
import type { RecordRef } from '../domain/case-state';
import type {
  ContactSummary,
  CustomerSummary,
  DealSummary,
  InvoicePayments,
  InvoiceSummary,
  OpenBalance,
  OwnerSummary,
  PaymentSummary,
  PayTokenCharges,
  PayTokenRef,
  RecipientApproval,
  SkyfireTokenRef,
  StepInput,
  TicketComment,
  TicketRef,
  WalletBalance,
} from '../domain/records';
import type { ApprovalRequestView, FinanceAlertView, SlackMessageRef } from '../domain/views';
import { ACTIVITY_GROUP_OF, type ActivityGroup } from '../temporal/activity-retry';
import type { GateActivities } from './gate';
import type { MoneyActivities } from './money-contract';
import type { ReconcileActivities } from './reconcile';

// ---------------------------------------------------------------------------------------------
// The activities
// ---------------------------------------------------------------------------------------------

/**
 * Every business-step activity a case workflow calls. Reads have no `step`; every write has one.
 * Which retry group each belongs to is `ACTIVITY_GROUP_OF`.
 */
export interface CaseActivities extends GateActivities, MoneyActivities, ReconcileActivities {
  // --- QuickBooks (reads) ---
  /** QuickBooks: find an invoice by DocNumber. `null` when none exists. */
  findInvoice(input: { invoiceNumber: string }): Promise<InvoiceSummary | null>;
  /** QuickBooks: the customer for our account id (or QuickBooks id). `null` when none exists. */
  getCustomer(input: { accountId?: string; customerId?: string }): Promise<CustomerSummary | null>;
  /** QuickBooks: the customer's open balance and open invoices. */
  getOpenBalance(input: { customerId: string }): Promise<OpenBalance>;
  /** QuickBooks: a payment by id, or the payment applied to an invoice. `null` when none. */
  findPayment(input: { paymentId?: string; invoiceId?: string }): Promise<PaymentSummary | null>;
  /** QuickBooks: every payment of the customer applied to the invoice (QuickBooks ids), with the amount it applied there. */
  findInvoicePayments(input: { customerId: string; invoiceId: string }): Promise<InvoicePayments>;

  // --- HubSpot (reads) ---
  /** HubSpot: the contact for our account id (custom property `account_id`). `null` when none. */
  findContact(input: { accountId: string }): Promise<ContactSummary | null>;
  /** HubSpot: an owner, with the Slack user it maps to. `null` when unknown. */
  getOwner(input: { ownerId: string }): Promise<OwnerSummary | null>;
  /** HubSpot: the contact's deals (renewal context), newest first. */
  getDeals(input: { contactId: string }): Promise<DealSummary[]>;

  // --- Skyfire ---
  /** Skyfire: the buyer wallet balance. Read before any Skyfire payment and for renewal / blocker context. */
  getWalletBalance(input: { currency: string }): Promise<WalletBalance>;
  /** Skyfire: a KYA token (the agent's verified identity), tagged with the case. Holds no funds, so a retry may create another. */
  createKyaToken(input: StepInput): Promise<SkyfireTokenRef>;
  /**
   * Skyfire: a pay token for `amount` to the configured seller service (`buyerTag` = case + step,
   * a short `expiresAt`), handed to that service, which charges it. Pay tokens reserve funds and
   * Skyfire documents no way to find a token whose create answer was lost, so a retry after an
   * attempt that may have created one throws `BusinessRuleError` code `SKYFIRE_OUTCOME_UNKNOWN`
   * (non-retryable) instead of creating a second. `InsufficientFundsError` when the wallet cannot
   * cover it; `ValidationError` code `NO_SELLER_ENDPOINT` when no seller service URL is configured.
   */
  createPayToken(input: StepInput & { amount: Money }): Promise<PayTokenRef>;
  /** Skyfire: what the seller has charged on a pay token so far (the documented buyer-side charges read). */
  getPayTokenCharges(input: { tokenId: string; currency: string }): Promise<PayTokenCharges>;

  // --- QuickBooks (writes) ---
  /** QuickBooks: send the invoice (POST /invoice/{id}/send?sendTo=). `to` is an email on file, or one a reviewer approved. */
  sendInvoice(
    input: StepInput & { invoiceId: string; to: string; approval?: RecipientApproval },
  ): Promise<{ sentTo: 'on_file' | 'approved'; deliveredAt?: string }>;
  /** QuickBooks: send a payment receipt (POST /payment/{id}/send?sendTo=). `to` is an email on file, or one a reviewer approved. */
  sendReceipt(
    input: StepInput & { paymentId: string; to: string; approval?: RecipientApproval },
  ): Promise<{ sentTo: 'on_file' | 'approved'; deliveredAt?: string }>;
  /**
   * QuickBooks: sparse update of Customer.BillAddr. Reads the current SyncToken on every attempt; a
   * stale SyncToken (5010) throws the retryable `StaleSyncTokenError`, so Temporal's retry re-reads.
   */
  updateBillingAddress(
    input: StepInput & { customerId: string; address: PostalAddress },
  ): Promise<{ customerId: string; syncToken: string; url?: string }>;

  // --- Zendesk ---
  /**
   * Zendesk: open the customer-facing ticket, with an internal note; or reuse `existingTicketId`
   * when its requester or organization is the customer's on file (else open our own and say so in
   * `refusedTicketId`).
   */
  openTicket(
    input: StepInput & {
      subject: string;
      /** Public comment: what happens next, for the customer. */
      publicComment: string;
      /** Internal note: the billing note, Zendesk destination. */
      internalNote: string;
      priority: 'low' | 'normal' | 'high' | 'urgent';
      /**
       * Requester: the verified email on file (never an address only the caller spoke). Without
       * one the ticket gets no public comment (internal notes only) and says why.
       */
      requesterEmail?: string;
      /** A ticket the caller named: used only if Zendesk says it belongs to this customer (`owner`). */
      existingTicketId?: string;
      /** Who the customer is on file: the account id (Zendesk organization external_id) and its emails on file. */
      owner?: { accountId?: string; emails: string[] };
      tags?: string[];
    },
  ): Promise<TicketRef>;
  /** Zendesk: add a comment (internal note unless `public`). */
  addTicketNote(input: StepInput & { ticketId: string; body: string; public: boolean }): Promise<{ ticketId: string }>;
  /**
   * Zendesk: the case's last word on its ticket: the final billing note (internal), the status the
   * ticket is left in and the agent who owns what is left, found by the Slack user's email (the
   * email stays in the activity). An assignee who is no Zendesk agent leaves the ticket
   * unassigned, and the note says so. `comment`: a comment the case kept for its last word (the
   * refund's public confirmation), written first, once, under its own step's key, as
   * `addTicketNote` would have written it: one activity instead of two.
   */
  settleTicket(
    input: StepInput & {
      ticketId: string;
      status: 'open' | 'pending' | 'solved';
      note: string;
      assigneeSlackUserId?: string;
      comment?: TicketComment;
    },
  ): Promise<{ ticketId: string; status: string; assignee?: string }>;

  // --- HubSpot (writes) ---
  /** HubSpot: a note on the contact (and deal, when given). */
  addCrmNote(input: StepInput & { contactId: string; dealId?: string; body: string }): Promise<RecordRef>;
  /** HubSpot: a task for the owner, due at `dueAt` (ISO). */
  createOwnerTask(
    input: StepInput & { ownerId: string; contactId?: string; subject: string; body: string; dueAt: string },
  ): Promise<RecordRef>;

  // --- Google Drive ---
  /**
   * Drive: archive a document in the case folder. `invoice_pdf` / `credit_note` fetch the PDF from
   * QuickBooks by `invoiceId` / `recordId`; `evidence` writes `text` (links, facts) as a document.
   */
  archiveDocument(
    input: StepInput & {
      kind: 'invoice_pdf' | 'credit_note' | 'evidence';
      name: string;
      invoiceId?: string;
      recordId?: string;
      text?: string;
    },
  ): Promise<RecordRef>;

  // --- Gmail ---
  /** Gmail: an approved follow-up / confirmation to the customer. `to` must be verified (on file). */
  sendCustomerEmail(input: StepInput & { to: string; subject: string; body: string }): Promise<RecordRef>;

  // --- Slack ---
  /** Slack: post an approval request to `channel`. */
  postApprovalRequest(input: StepInput & { channel: string; view: ApprovalRequestView }): Promise<SlackMessageRef>;
  /** Slack: replace the request message (votes so far, decided / expired: buttons removed). */
  updateApprovalMessage(input: StepInput & { message: SlackMessageRef; view: ApprovalRequestView }): Promise<SlackMessageRef>;
  /** Slack: a reminder in the request's thread, mentioning who still needs to decide. */
  postApprovalReminder(input: StepInput & { message: SlackMessageRef; text: string; mentions: string[] }): Promise<SlackMessageRef>;
  /** Slack: a finance alert (mentions the owner); buttons when `view.actions` is set. */
  postFinanceAlert(input: StepInput & { channel: string; view: FinanceAlertView }): Promise<SlackMessageRef>;
}

// Every contract method has a retry group, and every group entry names a contract method.
const _everyMethodHasAGroup: Record<keyof CaseActivities, ActivityGroup> = ACTIVITY_GROUP_OF;
const _everyGroupEntryIsAMethod: Record<keyof typeof ACTIVITY_GROUP_OF, unknown> = {} as Record<keyof CaseActivities, unknown>;
void _everyMethodHasAGroup;
void _everyGroupEntryIsAMethod;
